"""Batches for training and evaluation, as a ``keras.utils.PyDataset``."""

from __future__ import annotations

import multiprocessing

import keras
import numpy as np

from segbench.data.base import DatasetAdapter, Sample
from segbench.data.pairs import read_pair, resize_pair
from segbench.errors import DataError, SegbenchError, first_line, out_of_memory


class FirstFailure:
    """The first error of ours a loader raised, kept where the process that trains can read it back.

    On TensorFlow, ``fit`` reads the batches inside tf.data (a py_function), which turns any Python exception into
    an ``UnknownError: Graph execution error`` holding some 60 lines of traceback; with worker processes the error
    is raised in another process altogether. The message lives in shared memory, so a loader's forked or spawned
    workers write where the parent reads, and the runner raises the one line it is once the framework gives up."""

    SIZE = 4096  # bytes; errors quote at most 200 characters of a value, so a message is far shorter

    def __init__(self):
        self._message = multiprocessing.Array("c", self.SIZE)

    def record(self, exc: SegbenchError) -> None:
        with self._message.get_lock():
            if not self._message.value:  # the first one: the rest are often its echoes from other workers
                self._message.value = str(exc).encode()[:self.SIZE - 1]

    def raise_if_any(self) -> None:
        message = self._message.value.decode(errors="ignore")
        if message:
            raise DataError(message)


class SegmentationBatches(keras.utils.PyDataset):
    """(uint8 images, labels of class indices) at the model's input size; the model normalises its own input and
    the loss casts the labels. Labels are uint8 where every value fits (the classes and the void label), else
    int32: a quarter of the bytes that worker processes hand over.

    With ``drop_last``, an incomplete last batch is left out (split over several devices, a batch must divide).

    With ``shuffle``, epoch ``e`` visits the samples in an order fixed by (seed, e), so a run is repeatable.

    ``augment`` (``train.augment``; for train batches only) transforms each pair after it is resized to the input
    size, with random draws fixed by (seed, e, sample index), and resizes it back where a transform changed its size
    (a bare random scale, say), so that batches stack. Augmenting at the input size rather than natively keeps
    objects at the scale evaluation shows them (a crop of input size from a large native image would see a fraction
    of the scene), costs less, and makes crop sizes in the config model-input pixels. Label pixels that padding
    invents get the dataset's void label, else 0 (see ``augment.fill_value``).
    """

    def __init__(self, adapter: DatasetAdapter, samples: list[Sample], input_size, batch_size: int,
                 shuffle: bool = False, seed: int = 0, augment: list[dict] | tuple = (),
                 drop_last: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not samples:
            raise DataError(f"{adapter.config.name}: no samples to load")
        self.adapter, self.samples = adapter, samples
        self.input_size, self.batch_size, self.drop_last = tuple(input_size), batch_size, drop_last
        if len(self) == 0:
            raise DataError(f"{adapter.config.name}: {len(samples)} samples make no full batch of {batch_size}")
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self.failure = FirstFailure()
        self.order = self._order()
        void = adapter.ignore_index
        self.label_dtype = np.uint8 if adapter.num_classes <= 256 and (void is None or void <= 255) else np.int32
        self.augmentation = None
        if augment:
            from segbench.data.augment import Augmentation, fill_value  # albumentations takes a second to import

            self.augmentation = Augmentation(augment, fill_value(adapter.ignore_index))

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.samples) // self.batch_size
        return -(-len(self.samples) // self.batch_size)  # noqa: PLE0303 (ceiling division: never negative)

    def __getitem__(self, index: int):
        picked = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        try:
            pairs = [self._pair(int(i)) for i in picked]
            images = np.stack([image for image, _ in pairs])
        except SegbenchError as exc:
            self.failure.record(exc)
            raise
        except Exception as exc:
            if not out_of_memory(exc):
                raise
            # Raised in tf.data or a worker, a MemoryError or OpenCV's would reach the user wrapped: say it here.
            height, width = self.input_size
            failure = SegbenchError(f"out of memory loading a batch of {len(picked)} at {height}x{width} "
                                    f"({first_line(exc)}); try a smaller model.input_size or train.batch_size")
            self.failure.record(failure)
            raise failure from exc
        return images, np.stack([label for _, label in pairs]).astype(self.label_dtype, copy=False)

    def start_at(self, epoch: int) -> None:
        """Continue as epoch ``epoch`` (a resumed run): its shuffle order and augmentation draws."""
        self.epoch = epoch
        self.order = self._order()

    def on_epoch_end(self) -> None:
        # Keras starts its worker processes afresh from this object every epoch, so they see the new epoch too.
        self.epoch += 1
        self.order = self._order()

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.samples))
        return np.random.default_rng((self.seed, self.epoch)).permutation(len(self.samples))

    def _pair(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        sample = self.samples[index]
        image, label = resize_pair(*read_pair(self.adapter, sample), self.input_size)
        if self.augmentation is None:
            return image, label
        try:
            image, label = self.augmentation(image, label, key=(self.seed, self.epoch, index))
        except Exception as exc:  # e.g. a crop larger than the image it is given, or an image of 1 channel made
            raise DataError(f"{sample.id}: train.augment failed ({str(exc).splitlines()[0]})") from exc
        return resize_pair(image, label, self.input_size)
