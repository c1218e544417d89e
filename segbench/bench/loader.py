"""``segbench bench loader``: images/s of the whole training input pipeline (decode, resize to the input size,
augmentation, batching, and the hand-over from the workers) loaded as ``fit`` loads it, per worker count; and,
with a model, the share of each training step spent waiting for its batch."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

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
    """The README's CamVid augmentation at ``input_size``: flip, scale 0.5-2 then pad and crop back, colour jitter."""
    height, width = input_size
    return [{"name": "HorizontalFlip", "p": 0.5},
            {"name": "RandomScale", "scale_limit": [-0.5, 1.0], "p": 1.0},
            {"name": "PadIfNeeded", "min_height": height, "min_width": width},
            {"name": "RandomCrop", "height": height, "width": width},
            {"name": "ColorJitter", "brightness": 0.2, "contrast": 0.2, "saturation": 0.2, "hue": 0.05, "p": 0.5}]


def epoch(batches: SegmentationBatches):
    """The batches of one epoch in order, loaded as fit loads a ``keras.utils.PyDataset``: by its ``workers``
    threads (processes with ``use_multiprocessing``) started for the epoch and kept at most ``max_queue_size``
    batches ahead, or in this process for no worker or one thread; ``on_epoch_end`` after, so that the next epoch's
    workers start from the dataset's next epoch. The loader fit itself uses is not public Keras API, so the same
    contract is kept here with the standard library's pools."""
    batches.on_epoch_begin()
    try:
        if batches.workers > 1 or (batches.workers > 0 and batches.use_multiprocessing):
            yield from pooled(batches)
        else:
            yield from batches
    finally:
        batches.on_epoch_end()


def pooled(batches: SegmentationBatches):
    """The batches in order, from a pool of the dataset's workers started here and shut down after."""
    if batches.use_multiprocessing:
        # Each process gets the dataset once, when it starts (as Keras' workers do), and then only batch indices.
        pool = ProcessPoolExecutor(batches.workers, initializer=_share, initargs=(batches,))
        load = _shared_batch
    else:
        pool = ThreadPoolExecutor(batches.workers)
        load = batches.__getitem__
    ahead = deque()
    try:
        for index in range(len(batches)):
            ahead.append(pool.submit(load, index))
            if len(ahead) >= batches.max_queue_size:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


_shared: SegmentationBatches | None = None  # a worker process's dataset


def _share(batches: SegmentationBatches) -> None:
    global _shared
    _shared = batches


def _shared_batch(index: int):
    return _shared[index]


def pipeline_rate(batches: SegmentationBatches, epochs: int) -> dict:
    """Images/s over each of ``epochs`` whole epochs (the workers' start included), and the seconds to the first
    batch of each."""
    rates, first = [], []
    for _ in range(epochs):
        images, started, arrived = 0, time.perf_counter(), None
        for batch, _ in epoch(batches):
            arrived = arrived or time.perf_counter()
            images += len(batch)
        rates.append(images / (time.perf_counter() - started))
        first.append(arrived - started)
    return {"images_per_s": spread(rates), "first_batch_s": spread(first), "epochs": epochs,
            "images": len(batches.samples)}


def data_wait(batches: SegmentationBatches, model, warmup: int = WARMUP) -> dict:
    """Trains ``model`` on one epoch of ``batches`` and returns the share of the steps after ``warmup`` spent
    waiting for the next batch (the rest is the synchronised ``train_on_batch``, host-to-device copy included)."""
    waits, steps = [], []
    clock = time.perf_counter()
    for images, labels in epoch(batches):
        arrived = time.perf_counter()
        model.train_on_batch(images, labels)
        done = time.perf_counter()
        waits.append(arrived - clock)
        steps.append(done - clock)
        clock = done
    waits, steps = waits[warmup:], steps[warmup:]
    if not steps:
        raise DataError(f"{len(batches.samples)} samples make no timed step after {warmup} warm-up steps")
    return {"share": sum(waits) / sum(steps), "steps": len(steps), "warmup": warmup,
            "step_s": spread(steps), "wait_s": spread(waits)}


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
    one the README's CamVid recipe at ``input_size`` (default 352x480) and batch 8, over ``split``; with ``model``,
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
