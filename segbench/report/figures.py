"""Qualitative figures like the paper's Figures 1-3: for a few fixed test images, the input, the ground truth and
each model's prediction in the dataset palette; and each model's worst images. Drawn from the predictions the runs
saved (never re-computed)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from segbench.io import atomic_path
from segbench.metrics import confusion_matrix, dont_care, summarize
from segbench.report.fresh import SUFFIXES, metadata
from segbench.report.plotting import plt

CELL_INCHES = 2.1
# About the characters of a 10-point header that fit one column with a gap to the next (DejaVu Sans averages
# 0.08 inch a character at that size).
HEADER_CHARACTERS = 24
# A row's label runs up the side of its first panel, in 7 points, wrapped to about the panel's height (0.058 inch a
# character; the panel keeps about three quarters of its cell once the layout has made room for labels and gaps),
# and shrunk where it is still longer: it stays beside its own row instead of running into the next row's label.
# Its lines are 1.4 apart: at matplotlib's 1.2 an image name's underscore all but touches the line below.
ROW_LABEL_POINTS = 7
ROW_LABEL_CHARACTER_INCHES = 0.058
PANEL_SHARE = 0.75
ROW_LABEL_LINESPACING = 1.4


def colourize(label: np.ndarray, palette) -> np.ndarray:
    """Class indices -> RGB in the palette; values outside it (a 255 void) come out black. Indices of any width: a
    run of 300 classes drew classes 256..299 in class 255's colour."""
    table = np.zeros((max(len(palette), int(label.max()) + 1 if label.size else 0), 3), np.uint8)
    table[: len(palette)] = palette
    return table[label]


def overlay(image: np.ndarray, label: np.ndarray, palette, alpha: float = 0.55) -> np.ndarray:
    return (image * (1 - alpha) + colourize(label, palette) * alpha).astype(np.uint8)


def qualitative(title: str, classes, palette, columns: list[tuple[str, dict]], out: Path,
                key: str | None = None) -> list[Path]:
    """Write ``out`` as .png and .pdf: one row per image the first column's run kept, one column each for the
    input, the ground truth and every ``(method, kept predictions)``; a legend of every class below. ``key``, here
    and in :func:`worst`: the digest of their inputs the PNG carries (:mod:`segbench.report.fresh`)."""
    first = columns[0][1]
    rows = [(name, [first[name]["input"], colourize(first[name]["label"], palette),
                    *(colourize(kept[name]["pred"], palette) if name in kept else None for _, kept in columns)])
            for name in first]
    return _grid(title, classes, palette, ["Input", "Ground truth", *(method for method, _ in columns)], rows, out, key)


def worst(title: str, classes, palette, ignore_index: int | None, runs: list[tuple[str, dict]], out: Path,
          count: int, key: str | None = None) -> list[Path]:
    """Write ``out`` as .png and .pdf: for each ``(method, its kept worst images)``, up to ``count`` of them, worst
    first, a row of input, ground truth and prediction, labelled with the image's own mIoU (standard protocol, as
    in per_image.csv)."""
    rows = []
    for method, kept in runs:
        for ranked, images in list(kept.items())[:count]:
            name = ranked.split("-", 1)[-1]
            miou = image_miou(images["label"], images["pred"], len(classes), ignore_index)
            rows.append((f"{method}\n{name}\nmIoU {100 * miou:.1f} %",
                         [images["input"], colourize(images["label"], palette), colourize(images["pred"], palette)]))
    return _grid(title, classes, palette, ["Input", "Ground truth", "Prediction"], rows, out, key)


def image_miou(label: np.ndarray, prediction: np.ndarray, num_classes: int, ignore_index: int | None) -> float:
    dropped = dont_care(ignore_index, num_classes)
    return summarize(confusion_matrix(label, prediction, num_classes, dropped), "standard", ignore_index)["miou"]


def _grid(title: str, classes, palette, headers: list[str], rows: list[tuple[str, list]], out: Path,
          key: str | None) -> list[Path]:
    """A grid of image panels (None: a placeholder), one labelled row each, headers on top, the class legend below,
    written as .png and .pdf."""
    height, width = rows[0][1][0].shape[:2]
    label_characters = max(10, int(PANEL_SHARE * CELL_INCHES * height / width / ROW_LABEL_CHARACTER_INCHES))
    fig_width = CELL_INCHES * len(headers)
    # A legend entry takes about 1.2 inches and a title character a tenth: both fit the figure, however few columns.
    ncol = max(1, min(_legend_columns(classes), int(fig_width / 1.2)))
    legend_rows = -(-len(classes) // ncol)
    title = textwrap.fill(title, width=max(40, int(fig_width * 10)))
    # A header wider than its column would run into the next one's ("(from scratch; 192x256)(from scratch; ...").
    headers = [_wrap_lines(header, HEADER_CHARACTERS) for header in headers]
    header_lines = max(header.count("\n") for header in headers)
    fig, axes = plt.subplots(len(rows), len(headers), squeeze=False, layout="constrained",
                             figsize=(fig_width,
                                      CELL_INCHES * height / width * len(rows) + 0.4 + 0.2 * title.count("\n")
                                      + 0.17 * header_lines + 0.25 * legend_rows))
    for number, (axes_row, (name, panels)) in enumerate(zip(axes, rows)):
        for ax, panel, header in zip(axes_row, panels, headers):
            _panel(ax, panel)
            if number == 0:
                ax.set_title(header, fontsize=10)
        axes_row[0].set_ylabel(_wrap_lines(name, label_characters), fontsize=ROW_LABEL_POINTS,
                               linespacing=ROW_LABEL_LINESPACING)
    handles = [Patch(facecolor=np.array(colour) / 255, edgecolor="0.4", label=name)
               for name, colour in zip(classes, palette)]
    # Matplotlib fills a legend column by column; this order makes it read row by row, in class order.
    by_rows = [handles[r * ncol + c] for c in range(ncol) for r in range(legend_rows) if r * ncol + c < len(handles)]
    fig.legend(handles=by_rows, loc="outside lower center", ncol=ncol, fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=11)
    _fit_row_labels(fig, [axes_row[0] for axes_row in axes])
    written = []
    for suffix in SUFFIXES:
        with atomic_path(out.with_suffix(suffix)) as tmp:
            fig.savefig(tmp, dpi=150, metadata=metadata(out.with_suffix(suffix), key))
        written.append(out.with_suffix(suffix))
    plt.close(fig)
    return written


def _fit_row_labels(fig, first_panels) -> None:
    """Shrink each row label still longer than its panel is high, measured on the figure laid out once (a shrunk
    label only frees room, so it fits the final layout too), with a twentieth to spare: the PDF's text metrics are
    not quite Agg's."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in first_panels:
        label = ax.yaxis.label
        room = ax.get_window_extent(renderer).height / label.get_window_extent(renderer).height
        if room < 1 / 0.95:
            label.set_fontsize(label.get_fontsize() * room * 0.95)


def _wrap_lines(text: str, width: int) -> str:
    """Each line of ``text`` wrapped to ``width`` characters, its own line breaks kept."""
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _panel(ax, image: np.ndarray | None) -> None:
    # Ticks off but the frame kept (axis("off") would also hide the row's image name).
    ax.set_xticks([])
    ax.set_yticks([])
    if image is None:
        ax.text(0.5, 0.5, "not kept\nby this run", ha="center", va="center", fontsize=8, transform=ax.transAxes)
    else:
        ax.imshow(image, interpolation="nearest")


def _legend_columns(classes) -> int:
    return min(len(classes), 8 if max(map(len, classes)) < 12 else 4)
