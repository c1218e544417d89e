"""``segbench bench metrics``: megapixels/s of ``segbench.metrics.confusion_matrix`` accumulated over CamVid-sized
maps, beside the per-class formula of the older keras-segmentation library (three boolean masks per class)."""

from __future__ import annotations

from functools import partial

import numpy as np

from segbench import backend
from segbench.bench.timing import REPEATS, throughput
from segbench.metrics import confusion_matrix

SIZE = (360, 480)  # CamVid's frames
CLASSES = 12


def naive_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(true positives, false positives, false negatives) per class, shape (3, C), the way
    keras_segmentation.predict.evaluate counts them: boolean masks per class, multiplied and summed."""
    counts = np.zeros((3, num_classes), np.int64)
    for c in range(num_classes):
        counts[0, c] += np.sum((y_pred == c) * (y_true == c))
        counts[1, c] += np.sum((y_pred == c) * (y_true != c))
        counts[2, c] += np.sum((y_pred != c) * (y_true == c))
    return counts


def counts_of(cm: np.ndarray) -> np.ndarray:
    """The same (TP, FP, FN) per class read off a confusion matrix (rows are the ground truth)."""
    tp = np.diag(cm)
    return np.stack([tp, cm.sum(axis=0) - tp, cm.sum(axis=1) - tp])


def maps(count: int, size=SIZE, num_classes: int = CLASSES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random label maps as read from disk (uint8, where the classes fit) and predictions as evaluation
    makes them (the int32 of an argmax)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, (count, *size), dtype=np.uint8 if num_classes <= 256 else np.int32)
    return labels, rng.integers(0, num_classes, (count, *size), dtype=np.int32)


def accumulate(count, labels, predictions, num_classes: int):
    """What evaluation does image by image: count one map, add the counts to the running total."""
    total = 0
    for label, prediction in zip(labels, predictions):
        total = total + count(label, prediction, num_classes)
    return total


def bench_metrics(size=SIZE, num_classes: int = CLASSES, images: int = 20, repeats: int = REPEATS) -> dict:
    """Mpix/s of both, each over ``repeats`` passes of ``images`` maps, in this process (numpy runs both on one
    core)."""
    labels, predictions = maps(images, size, num_classes)
    megapixels = labels.size / 1e6
    rates = {name: throughput(partial(accumulate, count, labels, predictions, num_classes), megapixels, 1, repeats,
                              warmup=1)["per_s"]
             for name, count in (("segbench", confusion_matrix), ("naive", naive_counts))}
    return {"size": list(size), "num_classes": num_classes, "images": images, "repeats": repeats, "cpu": backend.cpu(),
            "mpix_per_s": rates, "ratio": rates["segbench"]["median"] / rates["naive"]["median"]}
