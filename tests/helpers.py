"""Small datasets written by the tests themselves."""

from pathlib import Path

import cv2
import numpy as np


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
