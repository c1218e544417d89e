"""How far a model's confidence can be trusted: expected calibration error and negative log-likelihood over
pixels (pure numpy, no Keras).

Evaluation adds each image's pixels to a histogram of the top softmax probability (15 equal-width bins: pixels,
summed confidence, correct pixels per bin) and to a summed log-likelihood of the true class, so that no per-pixel
values are stored. ECE = sum over bins of |correct - summed confidence| / pixels, i.e. the pixel-weighted gap
between accuracy and mean confidence (Guo et al., 2017); NLL = the mean of -log p(true class).
"""

from __future__ import annotations

import numpy as np

BINS = 15
PIXELS, CONFIDENCE, CORRECT = range(3)  # the last axis of a histogram


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def histogram(logits: np.ndarray, labels: np.ndarray, void: int | None = None,
              bins: int = BINS) -> tuple[np.ndarray, float]:
    """One image's (bins, 3) histogram and its summed negative log-likelihood, from logits (H, W, C) and labels
    (H, W) at the same size; pixels labelled ``void`` are left out, a void class as a void outside the classes
    (the standard protocol's rule: calibration is of the pixels that have a true class)."""
    log_p = log_softmax(logits).reshape(-1, np.shape(logits)[-1])
    labels = np.asarray(labels).reshape(-1)
    if void is not None:
        keep = labels != void
        log_p, labels = log_p[keep], labels[keep]
    confidence = np.exp(log_p.max(axis=1))
    correct = log_p.argmax(axis=1) == labels
    where = np.minimum((confidence * bins).astype(np.int64), bins - 1)  # a confidence of 1 is in the last bin
    found = np.stack([np.bincount(where, minlength=bins),
                      np.bincount(where, weights=confidence, minlength=bins),
                      np.bincount(where, weights=correct, minlength=bins)], axis=1).astype(np.float64)
    nll = float(-log_p[np.arange(len(labels)), labels].sum())
    return found, nll


def ece(histograms: np.ndarray) -> np.ndarray:
    """The expected calibration error of each of a stack of histograms (..., bins, 3), in [0, 1]."""
    histograms = np.asarray(histograms, np.float64)
    pixels = histograms[..., PIXELS].sum(axis=-1)
    gap = np.abs(histograms[..., CORRECT] - histograms[..., CONFIDENCE]).sum(axis=-1)
    return np.divide(gap, pixels, out=np.zeros_like(pixels), where=pixels > 0)


VOID_RULE = "ground-truth void pixels left out"


def summarize(histogram_sum: np.ndarray, nll_sum: float) -> dict:
    """The calibration section of metrics.json: ECE, mean NLL and the reliability diagram's bins (lower edge,
    pixels, mean confidence, accuracy; None where a bin is empty)."""
    histogram_sum = np.asarray(histogram_sum, np.float64)
    bins = len(histogram_sum)
    pixels = histogram_sum[:, PIXELS]
    total = pixels.sum()

    def mean(column: int) -> list[float | None]:
        return [None if n == 0 else float(v / n) for v, n in zip(histogram_sum[:, column], pixels)]

    return {"ece": float(ece(histogram_sum)), "nll": float(nll_sum / total) if total else None, "bins": bins,
            "pixels": int(total), "void": VOID_RULE,
            "reliability": {"lower": [b / bins for b in range(bins)], "pixels": [int(n) for n in pixels],
                            "confidence": mean(CONFIDENCE), "accuracy": mean(CORRECT)}}
