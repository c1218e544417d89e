"""Confusion matrices and the IoU figures every table is made of (pure numpy, no Keras).

Two protocols read the same confusion matrix:

- ``paper``: what the paper's tables report. Every class counts, void/background included; IoU is 0 where a class
  has an empty union, and mIoU is the plain mean over all classes (each paper row's mIoU is the mean of its columns).
- ``standard``: what mmsegmentation and Keras' ``MeanIoU`` report. Pixels whose ground truth is the ``ignore_index``
  class are dropped, that class leaves the mean, and so does every class whose union is empty.
"""

from __future__ import annotations

import numpy as np

PROTOCOLS = ("paper", "standard")


def confusion_matrix(y_true, y_pred, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Counts of (ground truth, prediction) pairs: int64, shape (C, C), rows are ground truth.

    Pixels whose ground truth equals ``ignore_index`` are dropped (use it for a "don't care" label such as 255; a
    void class that the paper counts, like CamVid's 11, is left in and handled by ``summarize``).
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} pixels but y_pred has {y_pred.size}")
    if ignore_index is not None:
        keep = y_true != ignore_index
        y_true, y_pred = y_true[keep], y_pred[keep]
    _check_range(y_true, num_classes, "label")
    _check_range(y_pred, num_classes, "prediction")
    # Each (truth, prediction) pair as one code, truth * C + prediction, in the narrowest type that holds C * C
    # codes (uint8 up to 16 classes): casting and arithmetic on a quarter or an eighth of the bytes of int64.
    code = np.uint8 if num_classes <= 16 else np.uint16 if num_classes <= 256 else np.int64
    flat = y_true.astype(code, copy=False) * code(num_classes) + y_pred.astype(code, copy=False)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def dont_care(ignore_index: int | None, num_classes: int) -> int | None:
    """The label to drop before counting: a void label outside the class range (255, -1) is "don't care"; one
    inside it is a class the paper protocol counts, so nothing is dropped."""
    return ignore_index if ignore_index is not None and not 0 <= ignore_index < num_classes else None


def _check_range(values: np.ndarray, num_classes: int, what: str) -> None:
    if values.size == 0:
        return
    low, high = values.min(), values.max()
    if low < 0 or high >= num_classes:
        bad = low if low < 0 else high
        raise ValueError(f"{what} value {bad} is outside [0, {num_classes}) and is not the ignore index")


def summarize(cm: np.ndarray, protocol: str = "paper", ignore_index: int | None = None) -> dict:
    """IoU per class, mIoU, frequency-weighted IoU and pixel accuracy, all fractions in [0, 1].

    Under ``standard``, ``per_class_iou`` holds ``None`` for the classes that leave the mean.
    """
    figures = summarize_stack(np.asarray(cm)[None], protocol, ignore_index)
    return {
        "protocol": protocol,
        "per_class_iou": [None if np.isnan(v) else float(v) for v in figures["per_class_iou"][0]],
        **{key: float(figures[key][0]) for key in ("miou", "fiou", "pixel_accuracy")},
    }


def summarize_stack(cms: np.ndarray, protocol: str = "paper", ignore_index: int | None = None) -> dict:
    """:func:`summarize` of each of a stack of confusion matrices (S, C, C) at once, as arrays: ``per_class_iou``
    (S, C) with NaN for a class that leaves the mean, ``miou``, ``fiou`` and ``pixel_accuracy`` (S,). One
    implementation for a single matrix and for thousands of bootstrap resamples."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    cms = np.asarray(cms, dtype=np.float64)  # counts stay exact in float64 up to 2**53
    num_classes = cms.shape[-1]
    counted = np.ones(cms.shape[:1] + (num_classes,), dtype=bool)
    if protocol == "standard" and ignore_index is not None and 0 <= ignore_index < num_classes:
        cms = cms.copy()
        cms[:, ignore_index, :] = 0
        counted[:, ignore_index] = False

    tp = np.diagonal(cms, axis1=1, axis2=2)
    gt = cms.sum(axis=2)
    union = gt + cms.sum(axis=1) - tp
    iou = np.divide(tp, union, out=np.zeros_like(tp), where=union > 0)
    if protocol == "standard":
        counted &= union > 0

    total = gt.sum(axis=1)
    freq = np.divide(gt, total[:, None], out=np.zeros_like(gt), where=total[:, None] > 0)
    kept = counted.sum(axis=1)
    return {
        "per_class_iou": np.where(counted, iou, np.nan),
        "miou": np.divide(np.where(counted, iou, 0.0).sum(axis=1), kept, out=np.zeros(len(cms)), where=kept > 0),
        "fiou": np.where(counted, freq * iou, 0.0).sum(axis=1),
        "pixel_accuracy": np.divide(tp.sum(axis=1), total, out=np.zeros(len(cms)), where=total > 0),
    }
