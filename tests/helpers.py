"""Small datasets and run folders written by the tests themselves."""

from pathlib import Path

import cv2
import numpy as np

from segbench import rundir


def write_pair(images: Path, labels: Path, stem: str, label: np.ndarray, image_suffix=".jpg", label_suffix=".png"):
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(len(stem)).integers(0, 255, (*label.shape[:2], 3), dtype=np.uint8)
    cv2.imwrite(str(images / f"{stem}{image_suffix}"), image)
    cv2.imwrite(str(labels / f"{stem}{label_suffix}"), label)
    return images / f"{stem}{image_suffix}", labels / f"{stem}{label_suffix}"


def stripes(height: int, width: int, values) -> np.ndarray:
    """A label with vertical stripes of the given class values."""
    label = np.zeros((height, width), np.uint8)
    for i, value in enumerate(values):
        label[:, i * width // len(values):(i + 1) * width // len(values)] = value
    return label


def write_metrics(folder: Path, classes, ious, **fields) -> dict:
    """A finished run's ``metrics.json`` in ``folder``, written through segbench's own schema: the least a run
    holds, its figures from the per-class IoU ``ious`` (paper protocol, in ``classes`` order), then ``fields`` on
    top (``standard``'s keys on top of its own)."""
    miou = float(np.mean(ious))
    figures = {"per_class_iou": list(ious), "miou": miou, "fiou": miou, "pixel_accuracy": 0.5}
    metrics = {"dataset": "synthetic", "model": folder.name.split("-seed")[0], "split": "test", "num_images": 4,
               "classes": list(classes), "ignore_index": None, "protocol": "paper", **figures,
               "confusion_matrix": np.eye(len(classes), dtype=int).tolist(), **fields,
               "standard": {"protocol": "standard", **figures, **fields.get("standard", {})}}
    folder.mkdir(parents=True, exist_ok=True)
    return rundir.write_metrics(folder, metrics)
