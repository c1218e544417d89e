"""A grid of dataset samples with their labels overlaid in the dataset palette, for a person to look at."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from segbench.data.base import DatasetAdapter, Sample
from segbench.data.pairs import read_pair
from segbench.io import atomic_path
from segbench.report.figures import overlay
from segbench.report.plotting import plt


def show_grid(adapter: DatasetAdapter, samples: list[Sample], out: Path, title: str, columns: int = 4) -> Path:
    """Write a PNG of the samples (image with label overlay) and a legend of the classes they contain."""
    pairs = [read_pair(adapter, sample) for sample in samples]
    columns = min(columns, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    height, width = pairs[0][0].shape[:2]
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, (3.6 * height / width + 0.35) * rows + 1.0),
                             squeeze=False, layout="constrained")
    present = set()
    for ax, sample, (image, label) in zip(axes.flat, samples, pairs):
        ax.imshow(overlay(image, label, adapter.palette))
        ax.set_title(sample.name, fontsize=9)
        present |= set(np.unique(label).tolist())
    for ax in axes.flat:
        ax.axis("off")
    handles = [Patch(facecolor=np.array(colour) / 255, edgecolor="0.3", label=name)
               for index, (name, colour) in enumerate(zip(adapter.classes, adapter.palette)) if index in present]
    void = adapter.ignore_index
    if void is not None and void >= adapter.num_classes and void in present:  # drawn black by colourize
        handles.append(Patch(facecolor="black", edgecolor="0.3", label=f"void ({void})"))
    # A legend entry takes about 1.2 inches: as many columns as the figure's width holds, so none is cut off.
    ncol = max(1, min(6, len(handles), int(3.6 * columns / 1.2)))
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=11)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return out
