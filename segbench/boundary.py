"""Boundary IoU (Cheng et al., CVPR 2021) for semantic segmentation (pure numpy and scipy, no Keras).

mIoU is dominated by the inside of large regions; Boundary IoU scores only the pixels near each class's contour,
where models differ most. For a class c, let G be the ground-truth mask of c and G_d the pixels of G within
distance d of its contour (a pixel of another class, or the image edge); P and P_d likewise for the prediction.
Then Boundary IoU(c) = |G_d ∩ P_d| / |G_d ∪ P_d|, with d = 2 % of the image diagonal, as in the paper and its
reference code (which erodes each mask d times with a 3x3 square: chessboard distance, the image edge counting
as outside). Counts are summed over a split like the confusion matrix and kept per image (intersection, ground-
truth band, predicted band, and the predicted band's pixels on ground-truth void, per class) so that intervals
follow from the run folder.

Void follows the metrics' one rule: a void label outside the classes (255) counts nowhere; a void class (CamVid's
Unlabelled) is a class under the paper protocol, while the standard protocol drops every ground-truth void pixel,
from the predicted bands too, as its IoU drops them from the confusion matrix.
"""

from __future__ import annotations

import math

import numpy as np

from segbench.metrics import PROTOCOLS

RATIO = 0.02  # of the image diagonal, the paper's choice for semantic segmentation
# The last axis of the counts. ON_VOID: predicted-band pixels whose ground truth is a void class, which the standard
# protocol takes out of PREDICTED; counts kept before it existed have three columns and keep those pixels.
INTERSECTION, TRUTH, PREDICTED, ON_VOID = range(4)
COLUMNS = 4
VOID_RULE = "standard: ground-truth void pixels in neither band; paper: a void class is a class"


def band_width(height: int, width: int, ratio: float = RATIO) -> int:
    """d in pixels, rounded as the reference code does, at least 1."""
    return max(1, round(ratio * math.hypot(height, width)))


def inner_band(labels: np.ndarray, width: int) -> np.ndarray:
    """The pixels within chessboard distance ``width`` of a pixel of another class or of the image edge.

    A pixel lies in its class's band exactly when the (2 width + 1)-square around it holds another value or
    leaves the image: one min and one max filter for all classes at once (the edge padded with -1)."""
    labels = np.asarray(labels, np.int32)
    size = 2 * width + 1
    from scipy import ndimage  # here: reading Boundary IoU from a run folder (its summaries) needs none of it

    low = ndimage.minimum_filter(labels, size=size, mode="constant", cval=-1)
    high = ndimage.maximum_filter(labels, size=size, mode="constant", cval=-1)
    return (low != labels) | (high != labels)


def counts(labels: np.ndarray, prediction: np.ndarray, num_classes: int, void: int | None = None,
           ratio: float = RATIO) -> np.ndarray:
    """One image's (C, 4) counts: per class the intersection of the two bands, the ground truth's band, the
    prediction's band and how much of the prediction's band lies on a ground-truth void class. Pixels whose ground
    truth is a ``void`` outside the classes (255) count nowhere."""
    labels, prediction = np.asarray(labels), np.asarray(prediction)
    if labels.shape != prediction.shape:
        raise ValueError(f"labels are {labels.shape} but the prediction is {prediction.shape}")
    width = band_width(*labels.shape[:2], ratio)
    is_void = np.zeros(labels.shape, bool) if void is None else labels == void
    keep = ~is_void if void is not None and not 0 <= void < num_classes else np.ones(labels.shape, bool)
    truth = inner_band(labels, width) & keep
    predicted = inner_band(prediction, width) & keep
    both = truth & predicted & (labels == prediction)
    found = np.zeros((num_classes, COLUMNS), np.int64)
    masks = ((both, labels), (truth, labels), (predicted, prediction), (predicted & is_void, prediction))
    for column, (mask, source) in enumerate(masks):
        found[:, column] = np.bincount(source[mask].astype(np.int64), minlength=num_classes)[:num_classes]
    return found


def summarize_stack(stack: np.ndarray, protocol: str = "paper", ignore_index: int | None = None) -> dict:
    """Boundary IoU per class (S, C) and its mean (S,) for a stack of summed counts (S, C, 4), under the protocols
    of :mod:`segbench.metrics`: ``paper`` averages every class (0 where both bands are empty), ``standard`` drops
    the predicted-band pixels on ground-truth void and leaves out the void class and classes with empty bands (NaN
    in ``per_class_iou``)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    stack = np.asarray(stack, np.float64)
    inter, predicted = stack[..., INTERSECTION], stack[..., PREDICTED]
    if protocol == "standard" and stack.shape[-1] > ON_VOID:
        predicted = predicted - stack[..., ON_VOID]
    union = stack[..., TRUTH] + predicted - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    counted = np.ones(iou.shape, bool)
    if protocol == "standard":
        counted &= union > 0
        if ignore_index is not None and 0 <= ignore_index < iou.shape[-1]:
            counted[:, ignore_index] = False
    kept = counted.sum(axis=1)
    return {"per_class_iou": np.where(counted, iou, np.nan),
            "miou": np.divide(np.where(counted, iou, 0.0).sum(axis=1), kept, out=np.zeros(len(stack)),
                              where=kept > 0)}


def summarize(summed: np.ndarray, protocol: str = "paper", ignore_index: int | None = None) -> dict:
    """``boundary_miou`` and ``boundary_per_class_iou`` of one split's summed counts (C, 4), as in metrics.json."""
    figures = summarize_stack(np.asarray(summed)[None], protocol, ignore_index)
    return {"boundary_miou": float(figures["miou"][0]),
            "boundary_per_class_iou": [None if np.isnan(v) else float(v) for v in figures["per_class_iou"][0]]}
