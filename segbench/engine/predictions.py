"""Predictions a run keeps for the report's figures: for a few fixed test images, the input, the label and the
model's class map at native label resolution, under ``predictions/`` in the run folder.

A run folder then draws its figures by itself: a reference run brought back without weights still has them, and
the report never rebuilds a model.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cv2
import numpy as np

from segbench.data.base import Sample, evenly_spaced
from segbench.data.readers import read_index_png, read_rgb, write_image

FOLDER = "predictions"
LONGEST_SIDE = 480  # the input is there to be looked at in a figure cell, not measured
SUFFIXES = {"input": ".input.jpg", "label": ".label.png", "pred": ".pred.png"}


def figure_samples(samples: list[Sample], count: int) -> list[Sample]:
    """``count`` samples evenly spaced over the split sorted by id: every run on the same split keeps the same."""
    return evenly_spaced(sorted(samples, key=lambda sample: sample.id), count) if count else []


def name_of(sample: Sample) -> str:
    """The file-name stem for a sample: its id's stem, with anything but letters, digits, '.', '-' made '_'."""
    return re.sub(r"[^\w.-]", "_", Path(sample.id).stem)


def keeper(run_dir: Path, samples: list[Sample], count: int):
    """A callback for ``evaluate`` that saves the chosen samples, or None when ``count`` is 0.

    Predictions an earlier run left in the folder are removed first: the folder shows this run only."""
    folder = run_dir / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    chosen = {sample.id for sample in figure_samples(samples, count)}
    if not chosen:
        return None

    def keep(sample: Sample, image: np.ndarray, label: np.ndarray, prediction: np.ndarray) -> None:
        if sample.id in chosen:
            save(folder, name_of(sample), image, label, prediction)

    return keep


def save(folder: Path, name: str, image: np.ndarray, label: np.ndarray, prediction: np.ndarray) -> None:
    """The RGB input (JPEG, at most ``LONGEST_SIDE`` px) and the label and prediction as class-index PNGs."""
    height, width = image.shape[:2]
    scale = LONGEST_SIDE / max(height, width)
    if scale < 1:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    write_image(folder / f"{name}{SUFFIXES['input']}", image)
    write_image(folder / f"{name}{SUFFIXES['label']}", label.astype(np.uint8))
    write_image(folder / f"{name}{SUFFIXES['pred']}", prediction.astype(np.uint8))


def read(run_dir: Path) -> dict[str, dict[str, np.ndarray]]:
    """name -> {"input": RGB, "label": indices, "pred": indices} of what a run kept, in name order (empty when
    it kept nothing)."""
    kept = {}
    for pred in sorted((run_dir / FOLDER).glob(f"*{SUFFIXES['pred']}")):
        name = pred.name.removesuffix(SUFFIXES["pred"])
        files = {kind: run_dir / FOLDER / f"{name}{suffix}" for kind, suffix in SUFFIXES.items()}
        kept[name] = {"input": read_rgb(files["input"]), "label": read_index_png(files["label"]),
                      "pred": read_index_png(files["pred"])}
    return kept
