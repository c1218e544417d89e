"""Batches for training and evaluation, as a ``keras.utils.PyDataset``."""

from __future__ import annotations

import cv2
import keras
import numpy as np

from segbench.data.base import DatasetAdapter, Sample
from segbench.errors import DataError


def read_pair(adapter: DatasetAdapter, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """The adapter's (image, label), with any failure turned into an error that names the sample."""
    try:
        image, label = adapter.load(sample)
    except DataError:
        raise
    except Exception as exc:  # a codec or parser failure deep inside OpenCV, scipy, ...
        raise DataError(f"{sample.id}: cannot be read ({exc})") from exc
    if image.shape[:2] != label.shape[:2]:
        raise DataError(f"{sample.id}: image is {image.shape[1]}x{image.shape[0]} but its label is "
                        f"{label.shape[1]}x{label.shape[0]}")
    return image, label


def resize_pair(image: np.ndarray, label: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Image bilinear, label nearest-neighbour (label values must stay class indices), to (height, width)."""
    height, width = size
    if image.shape[:2] == (height, width):
        return image, label
    return (cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR),
            cv2.resize(label, (width, height), interpolation=cv2.INTER_NEAREST))


class SegmentationBatches(keras.utils.PyDataset):
    """(uint8 images, int32 labels) at the model's input size; the model normalises its own input.

    With ``shuffle``, epoch ``e`` visits the samples in an order fixed by (seed, e), so a run is repeatable.
    """

    def __init__(self, adapter: DatasetAdapter, samples: list[Sample], input_size, batch_size: int,
                 shuffle: bool = False, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if not samples:
            raise DataError(f"{adapter.config.name}: no samples to load")
        self.adapter, self.samples = adapter, samples
        self.input_size, self.batch_size = tuple(input_size), batch_size
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self.order = self._order()

    def __len__(self) -> int:
        return -(-len(self.samples) // self.batch_size)

    def __getitem__(self, index: int):
        picked = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        pairs = [resize_pair(*read_pair(self.adapter, self.samples[i]), self.input_size) for i in picked]
        return (np.stack([image for image, _ in pairs]),
                np.stack([label for _, label in pairs]).astype(np.int32))

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.samples))
        return np.random.default_rng((self.seed, self.epoch)).permutation(len(self.samples))
