"""Image counts and per-class pixel counts of a split, as the metrics see the labels (after any repair)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from segbench.data.base import DatasetAdapter, Sample
from segbench.data.pairs import read_pair
from segbench.markdown import markdown_table


def class_pixels(adapter: DatasetAdapter, samples: list[Sample]) -> dict:
    """``{"images", "pixels": [count per class], "ignored": pixels of a void label outside the classes,
    "present_pixels": [all pixels of the images in which each class appears]}``."""
    num_classes = adapter.num_classes

    def count(sample: Sample) -> np.ndarray:
        _, label = read_pair(adapter, sample)  # which refuses values outside the classes and the void label
        inside = label < num_classes
        pixels = np.bincount(label[inside].ravel(), minlength=num_classes)
        # [pixels per class, void pixels outside the classes, image size where each class is present]
        return np.concatenate([pixels, [label.size - inside.sum()], (pixels > 0) * label.size])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        totals = sum(pool.map(count, samples), np.zeros(2 * num_classes + 1, np.int64))
    return {"images": len(samples), "pixels": totals[:num_classes].tolist(), "ignored": int(totals[num_classes]),
            "present_pixels": totals[num_classes + 1:].tolist()}


def median_frequency(pixels, present_pixels) -> list[float]:
    """SegNet's class balancing: weight_c = median(freq) / freq_c, where freq_c is the pixels of class c over the
    pixels of the images that contain c. A class absent from the labels gets weight 0."""
    pixels, present = np.asarray(pixels, float), np.asarray(present_pixels, float)
    freq = np.divide(pixels, present, out=np.zeros_like(pixels), where=present > 0)
    seen = freq > 0
    median = np.median(freq[seen]) if seen.any() else 0.0
    return np.divide(median, freq, out=np.zeros_like(freq), where=seen).tolist()


def render(adapter: DatasetAdapter, split: str, counts: dict) -> str:
    total = sum(counts["pixels"]) + counts["ignored"]
    table = pd.DataFrame({"class": adapter.classes, "pixels": counts["pixels"],
                          "share %": [f"{100 * c / total:.2f}" if total else "-" for c in counts["pixels"]]})
    extra = f", {counts['ignored']} void pixels outside the classes" if counts["ignored"] else ""
    return (f"{adapter.config.name} {split}: {counts['images']} images, {total} pixels{extra}\n\n"
            + markdown_table(table))
