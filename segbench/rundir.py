"""The run folder, one contract: the names of its files, how a sweep names the folders of a config's seeds, and
how its per-image statistics and ``metrics.json`` are written and read. Pure Python, numpy and pandas (no Keras),
so that reading results never loads a deep-learning framework.

A run folder holds ``config.yaml`` (the resolved config), ``history.csv``, the weights, the per-image files and, last
of all, ``metrics.json``: its presence beside ``config.yaml`` is what marks a run as finished.
"""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from segbench import boundary, calibration
from segbench.errors import DataError
from segbench.io import atomic_path, write_text
from segbench.metrics import summarize_stack

CONFIG = "config.yaml"
METRICS = "metrics.json"
# Each test image's confusion matrix (``ids``, ``matrices``: uint32, N x C x C), Boundary IoU counts and calibration
# histograms, from which every statistic over images (the bootstrap of metrics.json's ``intervals``, paired
# comparisons) is computed without the model.
PER_IMAGE = "confusion_per_image.npz"
# Each test image's own figures, worst first: where a model fails.
WORST_FIRST = "per_image.csv"
REQUIRED = {"dataset", "model", "classes", "per_class_iou", "miou", "fiou", "pixel_accuracy", "standard"}


def seed_folder(folder: Path, seed: int) -> Path:
    """Where a sweep puts seed ``seed`` of the config whose single-run folder is ``folder``."""
    return folder.with_name(f"{folder.name}-seed{seed}")


def find_runs(paths) -> tuple[list[Path], list[Path]]:
    """Run folders at or below ``paths``, and the ``metrics.json`` files skipped: a finished run's folder holds
    ``metrics.json`` beside its ``config.yaml``; a lone ``metrics.json`` (a benchmark's, another tool's) is not one."""
    found, skipped = [], []
    for path in map(Path, paths):
        if not path.exists():
            raise DataError(f"{path}: no such folder")
        for metrics in sorted(path.rglob(METRICS)):
            (found if (metrics.parent / CONFIG).is_file() else skipped).append(metrics.parent)
    return found, [folder / METRICS for folder in skipped]


def seed_folders(folder: Path, stem: str) -> list[Path]:
    """The finished ``<stem>-seed<k>`` run folders of a sweep in ``folder``, in seed order."""
    seeded = [path for path in folder.glob(f"{glob.escape(stem)}-seed*")
              if re.fullmatch(rf"{re.escape(stem)}-seed\d+", path.name) and (path / METRICS).is_file()]
    return sorted(seeded, key=lambda path: int(path.name.rpartition("seed")[2]))


def read_metrics(run_dir: Path) -> dict:
    path = run_dir / METRICS
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    missing = sorted(REQUIRED - metrics.keys()) if isinstance(metrics, dict) else ["everything"]
    if missing:
        raise DataError(f"{path}: not a segbench metrics file (missing {', '.join(missing)})")
    return metrics


# What the per-image file holds besides ``ids``: evaluate()'s per-image arrays under these names.
PER_IMAGE_ARRAYS = {"matrices": "per_image", "boundary": "boundary", "confidence": "confidence", "nll": "nll"}


def write_per_image(run_dir: Path, ids: list[str], scored: dict, ignore_index: int | None) -> None:
    """The per-image arrays of a detailed ``evaluate``, and each image's figures worst first."""
    arrays = {name: scored[key] for name, key in PER_IMAGE_ARRAYS.items()}
    with atomic_path(run_dir / PER_IMAGE) as tmp:
        np.savez_compressed(tmp, ids=np.array(ids), **arrays)
    write_text(run_dir / WORST_FIRST, worst_first(ids, arrays, ignore_index).to_csv(index=False))


def worst_first(ids: list[str], arrays: dict, ignore_index: int | None) -> pd.DataFrame:
    """Per image: its mIoU and Boundary mIoU under the standard protocol (over the classes in its labels or its
    prediction, the void class left out: on one image, the paper protocol's zeros for absent classes would swamp
    it), its pixel accuracy and its calibration error, in %, lowest mIoU first."""
    figures = summarize_stack(arrays["matrices"], "standard", ignore_index)
    table = pd.DataFrame({"image": ids, "miou": 100 * figures["miou"],
                          "pixel_accuracy": 100 * figures["pixel_accuracy"]})
    if "boundary" in arrays:
        table["boundary_miou"] = 100 * boundary.summarize_stack(arrays["boundary"], "standard", ignore_index)["miou"]
    if "confidence" in arrays:
        table["ece"] = 100 * calibration.ece(arrays["confidence"])
    return table.round(2).sort_values("miou", kind="stable").reset_index(drop=True)


def read_per_image(run_dir: Path) -> dict:
    """The per-image arrays of a finished run: ``ids`` (a list), ``matrices`` and, for runs since they were kept,
    ``boundary``, ``confidence`` and ``nll``; one line where the file is not there."""
    path = run_dir / PER_IMAGE
    if not path.is_file():
        raise DataError(f"{path}: missing; runs finished before segbench kept it get it from "
                        "`python scripts/add_statistics.py RUN_DIR`")
    try:
        with np.load(path) as saved:
            found = {name: saved[name] for name in saved.files if name in PER_IMAGE_ARRAYS}
            found["ids"] = [str(i) for i in saved["ids"]]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: unreadable ({exc})") from None
    if "matrices" not in found:
        raise DataError(f"{path}: unreadable (no matrices in it)")
    return found
