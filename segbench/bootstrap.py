"""Confidence intervals over test images: a percentile bootstrap of a run's per-image confusion matrices (pure numpy).

A test split is a sample of the images a model will meet; the figures of one run would differ on another sample.
Resampling the images with replacement, re-summing their confusion matrices and recomputing every figure gives the
spread that sampling alone causes: the interval says how far the paper's figure, or another run's, may lie from
ours before the difference means anything. It does not cover what changes between trainings (seed, order, the
machine's arithmetic): that is the spread over seeds.
"""

from __future__ import annotations

import numpy as np

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
              seed: int = SEED) -> dict:
    """Percentile intervals of mIoU, fIoU, pixel accuracy and each class's IoU under both protocols, from the
    per-image confusion matrices (N, C, C) of a run. A class that leaves the standard mean in a resample (absent
    from it) is left out of that class's interval; None where it is absent from every resample."""
    matrices = np.asarray(matrices)
    if len(matrices) < 2:
        raise ValueError(f"a bootstrap over images needs at least 2 images, got {len(matrices)}")
    summed = resampled_matrices(matrices, draws(len(matrices), resamples, seed))
    tails = [50 * (1 - level), 100 - 50 * (1 - level)]
    found = {"level": level, "method": "percentile bootstrap over test images", "resamples": resamples, "seed": seed}
    for protocol in PROTOCOLS:
        figures = summarize_stack(summed, protocol, ignore_index)
        found[protocol] = {key: [float(v) for v in np.percentile(figures[key], tails)] for key in FIGURES}
        per_class = figures["per_class_iou"]
        found[protocol]["per_class_iou"] = [
            None if np.isnan(column).all() else [float(v) for v in np.nanpercentile(column, tails)]
            for column in per_class.T]
    return found


def verdict(low: float, high: float, level: float = LEVEL) -> str:
    """What an interval of the difference A - B says."""
    if low > 0:
        return "A better"
    if high < 0:
        return "B better"
    return f"not distinguishable at {100 * level:g} %"


def paired(a: np.ndarray, b: np.ndarray, ignore_index: int | None, level: float = LEVEL,
           resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """The difference A - B of two runs scored on the same images (per-image matrices (N, C, C) in the same
    order): each resample draws the images once and sums both runs' matrices over that draw, so what the images
    share cancels out. Per protocol and figure (and per class): the difference on the full split, its percentile
    interval and the verdict."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"the runs' per-image matrices differ in shape: {a.shape} and {b.shape}")
    if len(a) < 2:
        raise ValueError(f"a bootstrap over images needs at least 2 images, got {len(a)}")
    drawn = draws(len(a), resamples, seed)
    tails = [50 * (1 - level), 100 - 50 * (1 - level)]
    found = {"level": level, "method": "paired percentile bootstrap over test images", "resamples": resamples,
             "seed": seed, "images": len(a)}

    def judged(full: float, spread: np.ndarray) -> dict | None:
        if np.isnan(full) or np.isnan(spread).all():
            return None
        low, high = (float(v) for v in np.nanpercentile(spread, tails))
        return {"difference": float(full), "interval": [low, high], "verdict": verdict(low, high, level)}

    for protocol in PROTOCOLS:
        whole = [summarize_stack(m.sum(axis=0)[None], protocol, ignore_index) for m in (a, b)]
        fa, fb = (summarize_stack(resampled_matrices(m, drawn), protocol, ignore_index) for m in (a, b))
        found[protocol] = {key: judged(whole[0][key][0] - whole[1][key][0], fa[key] - fb[key]) for key in FIGURES}
        found[protocol]["per_class_iou"] = [
            judged(whole[0]["per_class_iou"][0, c] - whole[1]["per_class_iou"][0, c],
                   fa["per_class_iou"][:, c] - fb["per_class_iou"][:, c])
            for c in range(a.shape[-1])]
    return found
