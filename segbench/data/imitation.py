"""Synthetic scenes written in a real dataset's exact on-disk format: its folders, file names, image and label
encodings. CI and new users run every paper config through the real adapter code without the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.data.base import DatasetAdapter
from segbench.data.readers import write_image
from segbench.data.synthetic import VOID, draw_scene
from segbench.errors import DataError
from segbench.schema import SPLITS


def imitate(adapter: DatasetAdapter, counts: dict[str, int], size: tuple[int, int], seed: int = 0) -> int:
    """Write ``counts[split]`` pairs of ``size`` (height, width) per split under ``adapter.root``; returns how many.

    Splits that share folders (a dataset that draws its own val, or cuts one folder by number) get their sum; the
    adapter's own split rule then divides them."""
    per_folders: dict[tuple[Path, Path], int] = {}
    for split in SPLITS:
        folders = adapter.folders(split)
        if folders is None:
            raise DataError(f"{adapter.root}: {adapter.config.name} lists its pairs from files, not folders; "
                            "cannot imitate it")
        per_folders[folders] = per_folders.get(folders, 0) + counts.get(split, 0)
    for folder in {f for pair in per_folders for f in pair}:
        if folder.is_dir() and any(folder.iterdir()):
            raise DataError(f"{folder}: holds files already; imitate writes into an empty root only")
    mapping = class_mapping(adapter)
    written = 0
    for (images, labels), count in per_folders.items():
        for _ in range(count):
            written += 1
            image, scene = draw_scene(list(size), (seed, written))
            stem = f"image{written}"  # trailing numbers: what Sitting's split orders by
            write_image(images / f"{stem}{adapter.image_suffix}", image)
            adapter.write_label(labels / f"{stem}{adapter.label_suffix}", mapping[scene])
    return written


def class_mapping(adapter: DatasetAdapter) -> np.ndarray:
    """Synthetic class -> dataset class: the four scene classes spread over the dataset's real classes, and the
    outlines on its void class (on its first class where it has none)."""
    real = [c for c in range(adapter.num_classes) if c != adapter.ignore_index]
    spread = [real[i] for i in np.linspace(0, len(real) - 1, VOID).round().astype(int)]
    void = adapter.ignore_index if adapter.ignore_index is not None else spread[0]
    return np.array([*spread, void], np.uint8)
