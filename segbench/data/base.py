"""What every dataset adapter declares: classes, palette, void index, and its (image, label) pairs per split."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segbench.config import DatasetConfig, Split

SPLITS: tuple[Split, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class Sample:
    """One (image, label) pair; ``id`` names it in errors and figures (the image path where there is one)."""

    id: str
    image: Path | None = None
    label: Path | None = None


class DatasetAdapter(ABC):
    classes: tuple[str, ...]
    palette: tuple[tuple[int, int, int], ...]  # RGB per class, for figures
    ignore_index: int | None = None  # the void class: counted by the paper protocol, left out by the standard one

    def __init__(self, config: DatasetConfig):
        self.config = config

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @abstractmethod
    def list_pairs(self, split: Split) -> list[Sample]:
        """Every pair of ``split``, in a fixed order."""

    @abstractmethod
    def load(self, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
        """(RGB uint8 image of shape HxWx3, label of class indices of shape HxW) at native resolution."""

    def samples(self, split: Split) -> list[Sample]:
        """The pairs of ``split``, cut to the first ``dataset.subset`` when that is set."""
        pairs = self.list_pairs(split)
        return pairs[: self.config.subset] if self.config.subset else pairs
