"""Predictions a run keeps for the report's figures: for a few fixed test images, the input, the label and the
model's class map at native label resolution, under ``predictions/`` in the run folder; and as many of the images
it scored worst (lowest mIoU of the image, standard protocol) under ``predictions/worst/``, ranked ``01-<name>``.

A run folder then draws its figures by itself: a reference run brought back without weights still has them, and
the report never rebuilds a model.
"""

from __future__ import annotations

import heapq
import shutil
from pathlib import Path

import cv2
import numpy as np

from segbench.data.base import Sample, evenly_spaced
from segbench.data.readers import read_index_png, read_rgb, write_image
from segbench.errors import DataError
from segbench.metrics import summarize_stack
from segbench.rundir import PREDICTIONS

FOLDER = PREDICTIONS
WORST = "worst"  # inside FOLDER
LONGEST_SIDE = 480  # the input is there to be looked at in a figure cell, not measured
SUFFIXES = {"input": ".input.jpg", "label": ".label.png", "pred": ".pred.png"}


def figure_samples(samples: list[Sample], count: int) -> list[Sample]:
    """``count`` samples evenly spaced over the split sorted by id: every run on the same split keeps the same."""
    return evenly_spaced(sorted(samples, key=lambda sample: sample.id), count) if count else []


class Keeper:
    """A callback for ``evaluate`` that saves the ``count`` evenly spaced samples as they pass, and holds the
    ``count`` worst so far (by the image's standard mIoU, ties to the earlier image) until ``finish`` saves them.

    Predictions an earlier run left in the folder are removed first: the folder shows this run only."""

    def __init__(self, run_dir: Path, samples: list[Sample], count: int, ignore_index: int | None):
        self.folder, self.count, self.ignore_index = run_dir / FOLDER, count, ignore_index
        shutil.rmtree(self.folder, ignore_errors=True)
        self.chosen = {sample.id for sample in figure_samples(samples, count)}
        self.worst: list[tuple] = []  # a heap of (-mIoU, -order, name, image, label, prediction): the best on top
        self.seen = 0

    def __call__(self, sample: Sample, image: np.ndarray, label: np.ndarray, prediction: np.ndarray,
                 image_cm: np.ndarray) -> None:
        if sample.id in self.chosen:
            save(self.folder, sample.stem, image, label, prediction)
        if self.count:
            miou = summarize_stack(image_cm[None], "standard", self.ignore_index)["miou"][0]
            entry = (-miou, -self.seen, sample.stem, image, label, prediction)
            if len(self.worst) < self.count:
                heapq.heappush(self.worst, entry)
            elif entry[:2] > self.worst[0][:2]:
                heapq.heapreplace(self.worst, entry)
        self.seen += 1

    def finish(self) -> None:
        for rank, (_, _, name, image, label, prediction) in enumerate(sorted(self.worst, reverse=True), 1):
            save(self.folder / WORST, f"{rank:02d}-{name}", image, label, prediction)


def save(folder: Path, name: str, image: np.ndarray, label: np.ndarray, prediction: np.ndarray) -> None:
    """The RGB input (JPEG, at most ``LONGEST_SIDE`` px) and the label and prediction as class-index PNGs."""
    height, width = image.shape[:2]
    scale = LONGEST_SIDE / max(height, width)
    if scale < 1:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    write_image(folder / f"{name}{SUFFIXES['input']}", image)
    write_image(folder / f"{name}{SUFFIXES['label']}", _as_stored(label))
    write_image(folder / f"{name}{SUFFIXES['pred']}", _as_stored(prediction))


def _as_stored(indices: np.ndarray) -> np.ndarray:
    """Class indices as a PNG holds them: 8 bits where they fit, else 16 (a run of 300 classes kept class 260 as
    4, and a void of 65535 as 255)."""
    return indices.astype(np.uint8 if indices.size == 0 or int(indices.max()) <= 255 else np.uint16)


def read(run_dir: Path, classes: int, worst: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """name -> {"input": RGB, "label": indices, "pred": indices} of what a run of ``classes`` classes kept, in name
    order (empty when it kept nothing); with ``worst``, its worst images instead, worst first, named
    ``<rank>-<name>``. A prediction of another size than its label, or holding a value that is no class, is refused:
    drawn, it showed as void without a word."""
    kept = {}
    folder = run_dir / FOLDER / WORST if worst else run_dir / FOLDER
    for pred in sorted(folder.glob(f"*{SUFFIXES['pred']}")):
        name = pred.name.removesuffix(SUFFIXES["pred"])
        files = {kind: folder / f"{name}{suffix}" for kind, suffix in SUFFIXES.items()}
        found = {"input": read_rgb(files["input"]), "label": read_index_png(files["label"]),
                 "pred": read_index_png(files["pred"])}
        height, width = found["label"].shape[:2]
        if found["pred"].shape[:2] != (height, width):
            raise DataError(f"{pred}: {found['pred'].shape[1]}x{found['pred'].shape[0]}, but its label is "
                            f"{width}x{height}: not the prediction the run kept")
        if found["pred"].size and int(found["pred"].max()) >= classes:
            raise DataError(f"{pred}: holds {int(found['pred'].max())}, no class of the run's {classes}: not the "
                            "prediction the run kept")
        kept[name] = found
    return kept
