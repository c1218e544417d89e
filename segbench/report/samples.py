"""A grid of dataset samples with their labels overlaid in the dataset palette, for a person to look at."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from matplotlib.patches import Patch

from segbench.data.base import DatasetAdapter, Sample
from segbench.data.pairs import read_pair
from segbench.io import atomic_path
from segbench.report.figures import overlay
from segbench.report.plotting import plt

CELL_INCHES, NAME_INCHES, GAP_INCHES = 3.6, 0.3, 0.1  # an image's width, the band above it for its name, between


def show_grid(adapter: DatasetAdapter, samples: list[Sample], out: Path, title: str, columns: int = 4) -> Path:
    """Write a PNG of the samples (image with label overlay, each fitted into the first one's size) and a legend of
    the classes they contain."""
    pairs = [read_pair(adapter, sample) for sample in samples]
    columns = min(columns, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    height, width = pairs[0][0].shape[:2]
    # The panels are drawn as one image, their names as text on it: an axes of its own per panel, each laid out
    # and titled, took half of this verb's second.
    per_inch = width / CELL_INCHES
    gap, band = round(GAP_INCHES * per_inch), round(NAME_INCHES * per_inch)
    mosaic = np.full((rows * (band + height), columns * (width + gap) + gap, 3), 255, np.uint8)
    present = set()
    for number, (image, label) in enumerate(pairs):
        top, left = (number // columns) * (band + height) + band, gap + (number % columns) * (width + gap)
        panel = _fitted(overlay(image, label, adapter.palette), height, width)
        y, x = (height - panel.shape[0]) // 2, (width - panel.shape[1]) // 2
        mosaic[top + y:top + y + panel.shape[0], left + x:left + x + panel.shape[1]] = panel
        present |= set(np.unique(label).tolist())
    handles = [Patch(facecolor=np.array(colour) / 255, edgecolor="0.3", label=name)
               for index, (name, colour) in enumerate(zip(adapter.classes, adapter.palette)) if index in present]
    void = adapter.ignore_index
    if void is not None and void >= adapter.num_classes and void in present:  # drawn black by colourize
        handles.append(Patch(facecolor="black", edgecolor="0.3", label=f"void ({void})"))
    # A legend entry takes about 1.2 inches: as many columns as the figure's width holds, so none is cut off.
    fig_width = mosaic.shape[1] / per_inch
    ncol = max(1, min(6, len(handles), int(fig_width / 1.2)))
    legend, heading, grid = 0.25 * math.ceil(len(handles) / ncol) + 0.15, 0.45, mosaic.shape[0] / per_inch
    fig = plt.figure(figsize=(fig_width, legend + grid + heading))
    total = legend + grid + heading
    ax = fig.add_axes((0, legend / total, 1, grid / total))
    ax.imshow(mosaic)
    ax.axis("off")
    for number, sample in enumerate(samples):
        ax.text(gap + (number % columns) * (width + gap) + width / 2, (number // columns) * (band + height) + band / 2,
                sample.name, ha="center", va="center", fontsize=9)
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=11, y=1 - 0.1 / total, va="top")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return out


def _fitted(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` scaled to fit ``height`` x ``width``, its aspect kept (a dataset's images may differ in size)."""
    scale = min(height / image.shape[0], width / image.shape[1])
    if scale == 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST)
