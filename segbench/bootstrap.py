"""Confidence intervals over test images: a percentile bootstrap of a run's per-image confusion matrices (pure numpy).

A test split is a sample of the images a model will meet; the figures of one run would differ on another sample.
Resampling the images with replacement, re-summing their confusion matrices and recomputing every figure gives the
spread that sampling alone causes: the interval says how far the paper's figure, or another run's, may lie from
ours before the difference means anything. It does not cover what changes between trainings (seed, order, the
machine's arithmetic): that is the spread over seeds.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from segbench import boundary as boundary_iou
from segbench import calibration
from segbench.metrics import PROTOCOLS, summarize_stack

LEVEL, RESAMPLES, SEED = 0.95, 2000, 0
FIGURES = ("miou", "fiou", "pixel_accuracy")


def draws(num_images: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """The images of each resample, (resamples, num_images) indices drawn with replacement."""
    return np.random.default_rng(seed).integers(0, num_images, size=(resamples, num_images))


def resampled_matrices(matrices: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """The confusion matrix of each resample: the sum of its drawn images' matrices, (resamples, C, C)."""
    resamples, num_images = drawn.shape
    # How often each image is drawn in each resample, then one matrix product sums them all (exact in float64).
    times = np.bincount((drawn + num_images * np.arange(resamples)[:, None]).ravel(),
                        minlength=resamples * num_images).reshape(resamples, num_images)
    flat = np.asarray(matrices, np.float64).reshape(num_images, -1)
    return (times.astype(np.float64) @ flat).reshape(resamples, *matrices.shape[1:])


def intervals(matrices: np.ndarray, ignore_index: int | None, level: float = LEVEL, resamples: int = RESAMPLES,
              seed: int = SEED, boundary: np.ndarray | None = None, confidence: np.ndarray | None = None) -> dict:
    """Percentile intervals of mIoU, fIoU, pixel accuracy and each class's IoU under both protocols, from the
    per-image confusion matrices (N, C, C) of a run; with the per-image Boundary IoU counts (N, C, 3) and
    confidence histograms (N, bins, 3), also of ``boundary_miou`` and ``ece``, over the same resamples. A class
    that leaves the standard mean in a resample (absent from it) is left out of that class's interval; None where
    it is absent from every resample."""
    matrices = np.asarray(matrices)
    if len(matrices) < 2:
        raise ValueError(f"a bootstrap over images needs at least 2 images, got {len(matrices)}")
    drawn = draws(len(matrices), resamples, seed)
    summed = resampled_matrices(matrices, drawn)
    bands = None if boundary is None else resampled_matrices(np.asarray(boundary), drawn)
    tails = [50 * (1 - level), 100 - 50 * (1 - level)]
    found = {"level": level, "method": "percentile bootstrap over test images", "resamples": resamples, "seed": seed}
    for protocol in PROTOCOLS:
        figures = summarize_stack(summed, protocol, ignore_index)
        found[protocol] = {key: [float(v) for v in np.percentile(figures[key], tails)] for key in FIGURES}
        per_class = figures["per_class_iou"]
        found[protocol]["per_class_iou"] = [
            None if np.isnan(column).all() else [float(v) for v in np.nanpercentile(column, tails)]
            for column in per_class.T]
        if bands is not None:
            spread = boundary_iou.summarize_stack(bands, protocol, ignore_index)["miou"]
            found[protocol]["boundary_miou"] = [float(v) for v in np.percentile(spread, tails)]
    if confidence is not None:
        spread = calibration.ece(resampled_matrices(np.asarray(confidence), drawn))
        found["ece"] = [float(v) for v in np.percentile(spread, tails)]
    return found


def verdict(low: float, high: float, level: float = LEVEL) -> str:
    """What an interval of the difference A - B says."""
    if low > 0:
        return "A better"
    if high < 0:
        return "B better"
    return f"not distinguishable at {100 * level:g} %"


def paired(a: np.ndarray, b: np.ndarray, ignore_index: int | None, level: float = LEVEL,
           resamples: int = RESAMPLES, seed: int = SEED, boundary: tuple | None = None) -> dict:
    """The difference A - B of two runs, or of two sets of seeds, scored on the same images.

    ``a`` and ``b``: per-image matrices in the same image order, (N, C, C) for one run or (S, N, C, C) for S seeds;
    ``boundary``: optionally both sides' Boundary IoU counts, (N, C, 3) or (S, N, C, 3), for ``boundary_miou``.
    Each resample draws the images once, for both sides, so what the images share cancels out; where a side has
    several seeds it also draws its seeds with replacement and takes their mean, so that the interval covers
    what changes between trainings too. Per protocol and figure (and per class): the difference of the full
    split's figures (averaged over seeds), its percentile interval and the verdict."""
    a, b = _by_seed(a), _by_seed(b)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"the runs' per-image matrices differ in shape: {a.shape[1:]} and {b.shape[1:]}")
    images = a.shape[1]
    if images < 2:
        raise ValueError(f"a bootstrap over images needs at least 2 images, got {images}")
    drawn = draws(images, resamples, seed)
    # The seeds' draws come from a stream of their own: one run per side gives the image-only bootstrap, unchanged.
    seeds = np.random.default_rng([seed, 1])
    picks = [seeds.integers(0, len(side), size=(resamples, len(side))) for side in (a, b)]
    tails = [50 * (1 - level), 100 - 50 * (1 - level)]
    found = {"level": level, "resamples": resamples, "seed": seed, "images": images, "seeds": [len(a), len(b)],
             "method": "paired percentile bootstrap over test images"
                       + (", and over seeds" if len(a) > 1 or len(b) > 1 else "")}

    def judged(full: float, spread: np.ndarray) -> dict | None:
        if np.isnan(full) or np.isnan(spread).all():
            return None
        low, high = (float(v) for v in np.nanpercentile(spread, tails))
        return {"difference": float(full), "interval": [low, high], "verdict": verdict(low, high, level)}

    def summed(sides) -> list:
        """Per side, per seed: the whole split's matrix (1, C, C) and the resampled ones, summed once for both
        protocols."""
        return [[(run.sum(axis=0)[None], resampled_matrices(run, drawn)) for run in side] for side in sides]

    def differences(sums, summarize) -> dict:
        """Per figure of ``summarize``: the full split's A - B and its resampled spread, each side averaged over
        its (drawn) seeds."""
        full, spread = [], []
        for side, pick in zip(sums, picks):
            whole = [summarize(matrix) for matrix, _ in side]
            resampled = [summarize(matrices) for _, matrices in side]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a class absent from every (drawn) seed: NaN
                full.append({key: np.nanmean([w[key][0] for w in whole], axis=0) for key in whole[0]})
                spread.append({key: np.nanmean(np.stack([r[key] for r in resampled])[pick, np.arange(resamples)[:, None]],
                                               axis=1) for key in resampled[0]})
        return {key: (full[0][key] - full[1][key], spread[0][key] - spread[1][key]) for key in full[0]}

    matrices = summed((a, b))
    bands = None if boundary is None else summed([_by_seed(side) for side in boundary])
    for protocol in PROTOCOLS:
        found_here = differences(matrices, lambda stack, p=protocol: summarize_stack(stack, p, ignore_index))
        found[protocol] = {key: judged(*found_here[key]) for key in FIGURES}
        full, spread = found_here["per_class_iou"]
        found[protocol]["per_class_iou"] = [judged(full[c], spread[:, c]) for c in range(a.shape[-1])]
        if bands is not None:
            found_bands = differences(bands, lambda stack, p=protocol: boundary_iou.summarize_stack(stack, p,
                                                                                                   ignore_index))
            found[protocol]["boundary_miou"] = judged(*found_bands["miou"])
    return found


def _by_seed(runs: np.ndarray) -> np.ndarray:
    """Per-image arrays with a leading seed axis: one run's (N, ...) becomes (1, N, ...)."""
    runs = np.asarray(runs)
    return runs[None] if runs.ndim == 3 else runs


def interval_text(low: float, high: float) -> str:
    """A 95 % interval of fractions as percentages to one decimal, rounded outward: rounded to the nearest,
    "8.37 [8.4, 9.9]" showed the estimate outside its own interval."""
    low, high = (round(1000 * value, 6) for value in (low, high))  # tenths of a percent, float noise off
    return f"[{math.floor(low) / 10:.1f}, {math.ceil(high) / 10:.1f}]"
