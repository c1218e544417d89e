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
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    cm = np.asarray(cm, dtype=np.int64)
    num_classes = cm.shape[0]
    counted = np.ones(num_classes, dtype=bool)
    if protocol == "standard" and ignore_index is not None and 0 <= ignore_index < num_classes:
        cm = cm.copy()
        cm[ignore_index, :] = 0
        counted[ignore_index] = False

    tp = np.diag(cm).astype(np.float64)
    gt = cm.sum(axis=1).astype(np.float64)
    union = gt + cm.sum(axis=0) - tp
    iou = np.divide(tp, union, out=np.zeros(num_classes), where=union > 0)
    if protocol == "standard":
        counted &= union > 0

    total = gt.sum()
    freq = gt / total if total > 0 else np.zeros(num_classes)
    return {
        "protocol": protocol,
        "per_class_iou": [float(v) if c else None for v, c in zip(iou, counted)],
        "miou": float(iou[counted].mean()) if counted.any() else 0.0,
        "fiou": float((freq * iou)[counted].sum()),
        "pixel_accuracy": float(tp.sum() / total) if total > 0 else 0.0,
    }
