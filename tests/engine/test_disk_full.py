"""A disk that fills up mid-run, or is read-only: one line, nothing half-written, and --resume finishes once there
is space. Needs root to mount a small tmpfs (conftest's small_disk); skipped (saying so) where that is not allowed."""

import json
import subprocess

import yaml

from segbench.config import load_config


def test_a_full_disk_ends_in_one_line_and_resume_finishes_once_there_is_room(small_disk, cli, smoke_config):
    out = small_disk / "run"
    full = cli("run", smoke_config, "--out", out, "--set", "train.epochs=3")
    assert full.returncode == 2 and "Traceback" not in full.stderr
    assert full.stderr.strip() == (f"segbench: error: {out}: No space left on device; free some space, then "
                                   "--resume continues from the last whole epoch")
    assert not (out / "metrics.json").exists()
    assert not [p for p in out.rglob(".*")]  # no temporary file (atomic writes use hidden names) left behind

    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    resumed = cli("run", smoke_config, "--out", out, "--set", "train.epochs=3", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 3


def test_a_read_only_results_folder_is_one_line(small_disk, cli, smoke_config):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = cli("run", smoke_config, "--out", small_disk / "run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"segbench: error: {small_disk / 'run'}: Read-only file system"


def test_a_read_only_run_folder_on_resume_names_the_folder(small_disk, cli, smoke_config):
    out = small_disk / "run"
    out.mkdir()
    # An interrupted run's folder: the config.yaml a run writes, every section resolved.
    (out / "config.yaml").write_text(yaml.safe_dump(load_config(smoke_config).model_dump(mode="json")))
    (out / "history.csv").write_text("epoch,loss\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = cli("run", smoke_config, "--out", out, "--resume")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"segbench: error: {out}: Read-only file system"  # not its metrics.json
