"""Three smoke configs (SegNet on each paper dataset, on synthetic scenes in the dataset's format), the in-process
sweep of them every launcher's result is compared with, and the means to kill a run's worker while it trains."""

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from segbench.cli import main
from segbench.engine import checkpoint

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ("camvid", "sitting", "suim")
# Four epochs, so that a run can be stopped after its first and resume; deterministic kernels, so that a run
# equals itself to the bit, resumed or not.
SETTINGS = ["--set", "train.epochs=4", "--set", "train.deterministic=true"]


@pytest.fixture(scope="session")
def configs(tmp_path_factory) -> list[Path]:
    """``<tmp>/<dataset>/segnet.yaml``: configs/smoke/<dataset>/segnet.yaml on its own synthetic data, so that a
    sweep puts its runs in ``<results>/<dataset>/segnet``."""
    folder = tmp_path_factory.mktemp("configs")
    found = []
    for dataset in DATASETS:
        root = folder / "data" / dataset
        assert main(["datasets", "imitate", dataset, "--root", str(root)]) == 0
        config = folder / dataset / "segnet.yaml"
        config.parent.mkdir()
        config.write_text(f"base: {ROOT / 'configs' / 'smoke' / dataset / 'segnet.yaml'}\ndataset:\n  root: {root}\n")
        found.append(config)
    return found


@pytest.fixture(scope="session")
def reference(configs, tmp_path_factory) -> Path:
    """The same runs by the default launcher, one after another on this machine."""
    results = tmp_path_factory.mktemp("reference")
    assert main(["sweep", *map(str, configs), "--results", str(results), *SETTINGS]) == 0
    return results


@pytest.fixture(scope="session")
def settings() -> list[str]:
    return SETTINGS


@pytest.fixture(scope="session")
def same_runs():
    return _same_runs


@pytest.fixture(scope="session")
def stop_when_checkpointed():
    return _stop_when_checkpointed


def _same_runs(results: Path, reference: Path) -> None:
    """Every run finished, its confusion matrices (the whole test split's and each image's) those of the reference."""
    for dataset in DATASETS:
        ours, theirs = results / dataset / "segnet", reference / dataset / "segnet"
        metrics = json.loads((ours / "metrics.json").read_text())
        assert metrics["epochs"] == 4
        assert metrics["confusion_matrix"] == json.loads((theirs / "metrics.json").read_text())["confusion_matrix"]
        with np.load(ours / "confusion_per_image.npz") as a, np.load(theirs / "confusion_per_image.npz") as b:
            assert sorted(a.files) == sorted(b.files)
            assert all(np.array_equal(a[name], b[name]) for name in a.files), dataset
        assert not (ours / "checkpoints").exists()


def run_process(run: Path) -> int | None:
    """The PID of the ``segbench run`` writing ``run``, from the process table."""
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"run" in argv and b"--out" in argv and str(run).encode() in argv:
            return int(entry.name)
    return None


def parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _stop_when_checkpointed(run: Path, signum: int, timeout: float = 600) -> tuple[threading.Thread, dict]:
    """A thread that, once ``run`` has checkpointed its first epoch, sends ``signum`` to the process that started
    its ``segbench run`` (a Ray worker, a Slurm task); the dict then says what it did."""
    done: dict = {}

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = checkpoint.load_state(run) if (run / "checkpoints").is_dir() else None
            pid = run_process(run) if state and state["epoch"] >= 1 else None
            if pid is not None:
                starter = parent(pid)
                done.update(epoch=state["epoch"], run=pid, starter=starter,
                            finished=(run / "metrics.json").exists())
                os.kill(starter, signum)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, done
