import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import write_metrics

ROOT = Path(__file__).resolve().parents[1]

# No test reaches outside this machine: pretrained files are never downloaded, here or in the runs the tests start
# (they inherit the environment); the fetch tests clear it and serve their own files on 127.0.0.1.
os.environ["SEGBENCH_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def smoke_config() -> Path:
    return ROOT / "configs" / "smoke" / "segnet.yaml"


@pytest.fixture
def cli():
    """``python -m segbench ARGS`` in a fresh process, as a user would run it."""

    def run(*args, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "segbench", *map(str, args)], capture_output=True, text=True,
                              cwd=cwd, timeout=600, check=False)

    return run


@pytest.fixture
def small_disk(tmp_path):
    """A 900 KiB tmpfs (room for a config and one weight file of the smoke model, not for a checkpoint pair), to be
    filled by a writer or remounted (`mount -o remount,size=...` or `ro`); skipped where mounting is not allowed."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=900k", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets beside the checkout (never copied into it); tests that need them skip without them."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def fake_run():
    """A finished run folder as `segbench sweep` leaves it, written without training: ``fake_run(folder, dataset,
    ious)`` with ``ious`` the per-class IoU (fractions, in our class order); ``kept`` images get predictions, and
    with ``detailed`` the run has what runs measure today beyond that: Boundary IoU, calibration, and its
    worst images (the ``kept`` ones, ranked); ``per_image`` images' confusion matrices, drawn by the seed."""
    from segbench import calibration
    from segbench.config import merged
    from segbench.engine import predictions
    from segbench.paper import TABLES
    from segbench.shipped import CONFIGS

    def make(folder, dataset, ious, seed=0, kept=("f1", "f2"), prediction=None, detailed=False, per_image=0):
        classes = list(TABLES[dataset].headers)
        assert len(ious) == len(classes)
        miou, detail = float(np.mean(ious)), {}
        if detailed:
            histogram = np.zeros((calibration.BINS, 3))
            histogram[[7, 14]] = [[30, 15, 10], [70, 68, 60]]  # pixels, summed confidence, correct
            detail = {"boundary_miou": miou / 2, "calibration": calibration.summarize(histogram, 35.0)}
        confusion = np.random.default_rng(seed).integers(0, 100, (len(classes), len(classes))).tolist()
        if per_image:  # what `segbench compare` reads: each of that many test images' confusion matrix
            n = len(classes)
            matrices = np.random.default_rng(seed).integers(0, 50, (per_image, n, n))
            # The same images in every run: each class's labelled pixels per image (the rows' sums) do not depend on
            # the seed, which draws only where they were predicted (compare refuses runs whose labels differ).
            truth = np.random.default_rng(1234).integers(49 * (n - 1), 49 * (n - 1) + 50, (per_image, n))
            diagonal = np.arange(n)
            matrices[:, diagonal, diagonal] = 0
            matrices[:, diagonal, diagonal] = truth - matrices.sum(axis=-1)
            confusion = matrices.sum(axis=0).tolist()  # the split's, as a run sums its images'
        write_metrics(folder, classes, ious, dataset=dataset, fiou=miou / 2, confusion_matrix=confusion,
                      standard={"miou": miou + 0.01, **({"boundary_miou": miou / 2 + 0.01} if detailed else {})},
                      seed=seed, epochs=3, scored_epoch=2,
                      environment={"backend": "tensorflow", "keras": "3.15.1", "devices": ["cpu:0"]}, **detail)
        pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 1.5, 1.2], "val_loss": [1.8, 1.4, 1.5],
                      "val_miou": [0.1, 0.3, 0.25], "seconds": [1.0, 1.0, 1.0]}).to_csv(folder / "history.csv",
                                                                                    index=False)
        # The model of the paper row whose folder it is in (`report` refuses another), by its config's name.
        row = re.sub(r"-seed\d+$", "", Path(folder).name)
        paper_config = CONFIGS / dataset / f"{row}.yaml"
        model = merged(paper_config)["model"]["name"] if paper_config.is_file() else row
        config = {"dataset": {"name": dataset, "subset": 4}, "model": {"name": model, "input_size": [64, 96]},
                  "train": {"batch_size": 8, "optimizer": "adam", "learning_rate": 0.0005, "schedule": "poly",
                            "poly_power": 0.9, "warmup_epochs": 1.0, "seed": seed}}
        (folder / "config.yaml").write_text(yaml.safe_dump(config))
        label = np.arange(len(classes), dtype=np.uint8).repeat(4)[None, :].repeat(30, axis=0)  # a stripe per class
        for name in kept:
            pred = label if prediction is None else np.full_like(label, prediction)
            predictions.save(folder / predictions.FOLDER, name, np.zeros((*label.shape, 3), np.uint8), label, pred)
        for rank, name in enumerate(kept if detailed else (), 1):
            pred = np.roll(label, 4 * rank, axis=1)  # the worse the later
            predictions.save(folder / predictions.FOLDER / predictions.WORST, f"{rank:02d}-{name}",
                             np.zeros((*label.shape, 3), np.uint8), label, pred)
        if per_image:
            np.savez(folder / "confusion_per_image.npz", ids=np.array([f"img{i}.png" for i in range(per_image)]),
                     matrices=matrices)
        return folder

    return make
