"""A run killed at any moment continues with --resume and ends as if it had not been stopped."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd

from segbench.engine import checkpoint

# Enough images that an epoch takes a while, so the kill lands inside one.
SLOW = ["--set", "train.epochs=4", "--set", "dataset.num_images={train: 96, val: 8, test: 4}"]


# Where only an interrupted run is wanted, not a kill inside an epoch: small epochs, more than are ever reached.
QUICK = ["--set", "train.epochs=50", "--set", "dataset.num_images={train: 8, val: 4, test: 4}"]


def start(smoke_config, out, *extra, settings=SLOW):
    return subprocess.Popen([sys.executable, "-m", "segbench", "run", str(smoke_config), "--out", str(out), *settings,
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_epoch_then_resume(smoke_config, tmp_path):
    out = tmp_path / "run"
    process = start(smoke_config, out)
    deadline = time.monotonic() + 300
    while (checkpoint.load_state(out) or {}).get("epoch", 0) < 1:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)  # into epoch 2
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "metrics.json").exists()
    stopped_at = checkpoint.load_state(out)["epoch"]
    assert 1 <= stopped_at < 4

    resumed = subprocess.run([sys.executable, "-m", "segbench", "run", str(smoke_config), "--out", str(out), *SLOW,
                              "--resume"], capture_output=True, text=True, timeout=600, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after epoch {stopped_at} of 4" in resumed.stdout
    assert "Skipping variable loading" not in resumed.stderr  # Keras' warning when weights and optimiser mismatch
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 4
    assert sum(map(sum, metrics["confusion_matrix"])) == 4 * 40 * 56
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    # The training time counts the epochs before the kill too (each epoch's own seconds are within it).
    assert metrics["seconds"]["train"] >= history["seconds"].sum()
    assert not (out / "checkpoints").exists()


def test_resume_refuses_another_config_and_without_resume_starts_over(smoke_config, tmp_path, cli):
    out = tmp_path / "run"
    process = start(smoke_config, out, settings=QUICK)
    while (checkpoint.load_state(out) or {}).get("epoch", 0) < 1:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    other = cli("run", smoke_config, "--out", out, *QUICK, "--set", "train.learning_rate=0.01", "--resume")
    assert other.returncode == 2
    assert "the interrupted run had another config (train.learning_rate: 0.001 -> 0.01)" in other.stderr
    fresh = cli("run", smoke_config, "--out", out, *QUICK, "--set", "train.epochs=1")
    assert fresh.returncode == 0, fresh.stderr
    assert "starting over (--resume continues it)" in fresh.stdout
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [1]
