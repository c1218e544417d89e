"""Per run: its training curves (from ``history.csv``), its normalised confusion matrix and its reliability
diagram (from ``metrics.json``), written into the run folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from segbench import rundir
from segbench.io import atomic_path
from segbench.report.fresh import metadata
from segbench.report.plotting import plt
from segbench.rundir import CONFUSION, CURVES, RELIABILITY


def plot_curves(run_dir: Path, metrics: dict, key: str | None = None) -> Path:
    """Loss and val loss, and val mIoU, per epoch; the epoch that was scored is marked. ``key``, here and in the
    other plots: the digest of their inputs the PNG carries (:mod:`segbench.report.fresh`)."""
    # The rows of the epochs metrics.json says were trained, and no others: a history.csv cut short was drawn as
    # the run's whole curves.
    history = rundir.history(run_dir, metrics.get("epochs"), "a run's curves are drawn from it: put its whole "
                             "history.csv back, or run it again", exact=True)
    epochs, loss, val_loss, val_miou = (history[c] for c in ("epoch", "loss", "val_loss", "val_miou"))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    left.plot(epochs, loss, marker=".", label="loss")
    left.plot(epochs, val_loss, marker=".", label="val loss")
    left.set(xlabel="epoch", ylabel="loss", title="Loss")
    left.legend(frameon=False)
    right.plot(epochs, 100 * val_miou, marker=".", color="tab:green")
    right.set(xlabel="epoch", ylabel="val mIoU (%)", title="Validation mIoU (paper protocol)")
    scored = metrics.get("scored_epoch")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if scored:
            ax.axvline(scored, color="0.5", linestyle="--", linewidth=1, label=f"scored epoch ({scored})")
    if scored:
        right.legend(frameon=False)
    fig.suptitle(_title(run_dir, metrics), fontsize=11)
    return _save(fig, run_dir / CURVES, key)


def plot_confusion(run_dir: Path, metrics: dict, key: str | None = None) -> Path:
    """The confusion matrix with each ground-truth row in percent of its pixels (a row without any says so);
    ``metrics`` as :func:`segbench.rundir.read_metrics` gives it, whose schema holds the matrix to C x C."""
    counts = np.asarray(metrics["confusion_matrix"], dtype=float)
    classes = metrics["classes"]
    share = normalised(counts)
    size = 2.5 + 0.45 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1.2, size), layout="constrained")
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=100)
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, classes, fontsize=8)
    ax.set(xlabel="predicted", ylabel="ground truth")
    for (row, col), value in np.ndenumerate(share):
        if not np.isnan(value):
            ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if value > 60 else "black")
    for row in np.flatnonzero(np.isnan(share).all(axis=1)):  # say why a row is blank
        ax.text((len(classes) - 1) / 2, row, "no pixels of this class in the ground truth", ha="center",
                va="center", fontsize=7, color="0.35", style="italic")
    fig.colorbar(image, ax=ax, label="% of the ground-truth pixels", shrink=0.8)
    ax.set_title(f"{_title(run_dir, metrics)}, {metrics.get('split', '?')} split", fontsize=10)
    return _save(fig, run_dir / CONFUSION, key)


def plot_reliability(run_dir: Path, metrics: dict, key: str | None = None) -> Path | None:
    """Accuracy against mean confidence per bin of the top softmax probability, the gap to the diagonal shaded,
    and the share of pixels per bin below; None for a run finished before calibration was measured."""
    found = metrics.get("calibration")
    if not found:
        return None
    bins = found["reliability"]
    width = 1 / found["bins"]
    lower = np.asarray(bins["lower"])
    pixels = np.asarray(bins["pixels"], float)
    accuracy = np.array([np.nan if v is None else v for v in bins["accuracy"]])
    confidence = np.array([np.nan if v is None else v for v in bins["confidence"]])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(4.6, 5.2), height_ratios=(3, 1), sharex=True,
                                      layout="constrained")
    top.bar(lower, accuracy, width=width, align="edge", color="tab:blue", alpha=0.75, edgecolor="white",
            label="accuracy")
    # Hatched, not filled: where the model is under-confident the gap lies over the accuracy bar, and stays legible.
    top.bar(lower, confidence - accuracy, bottom=accuracy, width=width, align="edge", fill=False, hatch="///",
            edgecolor="tab:red", linewidth=0.8, label="gap to the mean confidence")
    top.plot([0, 1], [0, 1], color="0.4", linestyle="--", linewidth=1)
    top.set(ylabel="accuracy", xlim=(0, 1), ylim=(0, 1),
            title=f"ECE {100 * found['ece']:.2f} %, NLL {found['nll']:.3f}" if found.get("nll") is not None
            else f"ECE {100 * found['ece']:.2f} %")
    top.legend(frameon=False, loc="upper left", fontsize=8)
    bottom.bar(lower, 100 * pixels / max(pixels.sum(), 1), width=width, align="edge", color="0.6", edgecolor="white")
    bottom.set(xlabel="confidence (top softmax probability)", ylabel="% of pixels")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.suptitle(_title(run_dir, metrics), fontsize=10)
    return _save(fig, run_dir / RELIABILITY, key)


def normalised(counts: np.ndarray) -> np.ndarray:
    """Each row as percent of its sum; NaN for a row without pixels (a class absent from the labels)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * counts / counts.sum(axis=1, keepdims=True)


def _title(run_dir: Path, metrics: dict) -> str:
    return f"{run_dir.parent.name}/{run_dir.name}: {metrics['model']} on {metrics['dataset']}"


def _save(fig, path: Path, key: str | None) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, metadata=metadata(path, key))
    plt.close(fig)
    return path
