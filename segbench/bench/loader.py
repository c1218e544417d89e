"""``segbench bench loader``: images/s of the whole training input pipeline (decode, resize to the input size,
augmentation, batching, and the hand-over from the workers) loaded by Keras' own workers as ``fit`` loads it,
per worker count; and, with a model, the share of each training step spent waiting for its batch."""

from __future__ import annotations

import time
from functools import partial

import keras

from segbench import backend
from segbench.bench.model import trainable
from segbench.bench.timing import WARMUP, spread
from segbench.data.base import DatasetAdapter, Sample
from segbench.data.loader import SegmentationBatches
from segbench.errors import DataError
from segbench.precision import policy
from segbench.schema import Config

DEFAULT_SIZE = (352, 480)  # CamVid's 360x480 frames at the paper configs' input size
DEFAULT_BATCH = 8


def recipe(input_size) -> list[dict]:
    """docs/configs.md's CamVid augmentation at ``input_size``: flip, scale 0.5-2, pad and crop back, colour jitter."""
    height, width = input_size
    return [{"name": "HorizontalFlip", "p": 0.5},
            {"name": "RandomScale", "scale_limit": [-0.5, 1.0], "p": 1.0},
            {"name": "PadIfNeeded", "min_height": height, "min_width": width},
            {"name": "RandomCrop", "height": height, "width": width},
            {"name": "ColorJitter", "brightness": 0.2, "contrast": 0.2, "saturation": 0.2, "hue": 0.05, "p": 0.5}]


class Clock(keras.callbacks.Callback):
    """When each batch of a ``predict`` or ``fit`` pass ended."""

    def __init__(self):
        super().__init__()
        self.ends: list[float] = []

    def on_predict_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def counter(input_size) -> keras.Model:
    """A model with nothing to compute (one mean per image of one channel), so that ``predict`` over a dataset
    times the input pipeline alone, loaded by Keras' own workers, queue and epoch hooks, as ``fit`` loads it."""
    images = keras.Input((*input_size, 3), dtype="uint8")
    means = keras.ops.mean(keras.ops.cast(images[..., :1], "float32"), axis=(1, 2, 3))
    return keras.Model(images, means)


def pipeline_rate(batches: SegmentationBatches, epochs: int) -> dict:
    """Images/s over each of ``epochs`` whole epochs (the workers' start included), and the seconds to the first
    batch of each."""
    model = counter(batches.input_size)
    for index in dict.fromkeys((0, len(batches) - 1)):  # compiled for the full and the last batch's shapes first
        model.predict_on_batch(batches[index][0])
    rates, first = [], []
    for _ in range(epochs):
        clock, started = Clock(), time.perf_counter()
        model.predict(batches, verbose=0, callbacks=[clock])  # the dataset's on_epoch_end runs at its end
        rates.append(len(batches.samples) / (time.perf_counter() - started))
        first.append(clock.ends[0] - started)
    return {"images_per_s": spread(rates), "first_batch_s": spread(first), "epochs": epochs,
            "images": len(batches.samples)}


def data_wait(batches: SegmentationBatches, model, warmup: int = WARMUP) -> dict:
    """Trains ``model`` with ``fit`` on one epoch of ``batches`` and returns the share of the steps after
    ``warmup`` spent waiting for data: each step's time less the median time of the same step on one batch held in
    memory (the synchronised ``train_on_batch``, host-to-device copy included). Measured from outside the step, as
    TensorFlow pulls the batch inside its compiled step, where no callback sees the hand-over."""
    clock, started = Clock(), time.perf_counter()
    model.fit(batches, epochs=1, verbose=0, callbacks=[clock])
    steps = list(zip([started, *clock.ends], clock.ends))[warmup:]
    if not steps:
        raise DataError(f"{len(batches.samples)} samples make no timed step after {warmup} warm-up steps")
    images, labels = batches[0]
    computes = []
    for _ in steps:
        begun = time.perf_counter()
        model.train_on_batch(images, labels)
        computes.append(time.perf_counter() - begun)
    compute = spread(computes)["median"]
    seconds = [end - begin for begin, end in steps]
    waits = [max(0.0, step - compute) for step in seconds]
    return {"share": sum(waits) / sum(seconds), "steps": len(seconds), "warmup": warmup,
            "step_s": spread(seconds), "wait_s": spread(waits), "compute_s": compute}


def bench_loader(adapter: DatasetAdapter, samples: list[Sample], input_size, batch: int, augment: list[dict],
                 workers: list[int], processes: bool = True, epochs: int = 3, model=None,
                 steps: int = 10) -> list[dict]:
    """One row per worker count: the pipeline's images/s and, with ``model`` (compiled, at ``input_size``), its
    data-wait share over ``steps`` training steps after the warm-up."""
    rows = []
    for count in workers:
        batches = partial(SegmentationBatches, adapter, input_size=input_size, batch_size=batch, shuffle=True,
                          augment=augment, workers=count, use_multiprocessing=processes and count > 0)
        # Keras starts no worker for one thread: the main process loads, as with none.
        kind = "processes" if processes and count else "threads" if count > 1 else "main process"
        row = {"workers": count, "kind": kind, **pipeline_rate(batches(samples), epochs)}
        row["images_per_s_per_worker"] = row["images_per_s"]["median"] / max(count, 1)
        if model is not None:
            row["data_wait"] = data_wait(batches(samples[:(WARMUP + steps) * batch]), model)
        rows.append(row)
    return rows


def bench_dataset(adapter: DatasetAdapter, split: str = "train", config: Config | None = None, input_size=None,
                  batch: int | None = None, workers=(0, 1, 2), processes: bool = True, epochs: int = 3,
                  model: str | None = None, steps: int = 10) -> dict:
    """``bench loader``: the pipeline of ``config`` (its augmentation, input size, batch and precision), or without
    one docs/configs.md's CamVid recipe at ``input_size`` (default 352x480) and batch 8, over ``split``; with ``model``,
    that model trains on the batches to measure the data-wait share."""
    samples = adapter.samples(split)
    if not samples:
        raise DataError(f"{adapter.root}: {adapter.config.name} has no {split} pairs there")
    input_size = list(input_size or (config.model.input_size if config else DEFAULT_SIZE))
    batch = batch or (config.train.batch_size if config else DEFAULT_BATCH)
    augment = config.train.augment if config else recipe(input_size)
    with policy(config.train.precision if config else "float32") as precision:
        trained = trainable(model, input_size, adapter.num_classes) if model else None
        rows = bench_loader(adapter, samples, input_size, batch, augment, list(workers), processes, epochs, trained,
                            steps)
    return {"dataset": adapter.config.name, "root": str(adapter.root), "split": split, "images": len(samples),
            "input_size": input_size, "batch": batch, "augment": augment, "model": model, "precision": precision,
            "cpu": backend.cpu(), "rows": rows}
