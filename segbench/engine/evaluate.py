"""Evaluation at native label resolution: logits are resized to each label's own size before the argmax."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from segbench import boundary, calibration
from segbench.data.base import DatasetAdapter, Sample
from segbench.data.loader import read_pair, resize_pair
from segbench.engine.progress import progress_verbosity
from segbench.errors import DataError
from segbench.metrics import confusion_matrix, dont_care


def logits_at(logits, size: tuple[int, int]) -> np.ndarray:
    """One image's logits (h, w, C) resized bilinearly to ``size`` (height, width), as float32 numpy."""
    resized = ops.image.resize(ops.expand_dims(ops.cast(logits, "float32"), 0), size, interpolation="bilinear")
    return ops.convert_to_numpy(resized[0])


def batch_logits(model: keras.Model, images: np.ndarray, batch_size: int) -> np.ndarray:
    """The logits of up to ``batch_size`` images at the model's input size. A short batch is padded to full size
    (one compiled shape on JAX, and a batch that divides over devices) and the padding's logits dropped."""
    count = len(images)
    if count < batch_size:
        images = np.concatenate([images, np.repeat(images[-1:], batch_size - count, axis=0)])
    return model.predict_on_batch(images)[:count]  # compiled, and no autograd tape on torch


def evaluate(model: keras.Model, adapter: DatasetAdapter, samples: list[Sample], batch_size: int,
             loss_fn=None, progress: bool = False, on_prediction=None, detailed: bool = False) -> dict:
    """The confusion matrix over ``samples`` at native resolution, each image's own (``per_image``, uint32, in
    the order of ``samples``), and the mean loss at the input size.

    ``detailed`` (the final scoring; the per-epoch validation leaves it off, it costs time) adds, per image and
    in the same order, Boundary IoU counts (``boundary``, N x C x 3, see :mod:`segbench.boundary`), confidence
    histograms (``confidence``, N x bins x 3) and summed negative log-likelihoods (``nll``, N), see
    :mod:`segbench.calibration`.

    ``on_prediction(sample, image, label, prediction, image_cm)``, if given, sees every image with its native class
    map and its confusion matrix."""
    input_size = tuple(model.input_shape[1:3])
    cm = np.zeros((adapter.num_classes, adapter.num_classes), np.int64)
    dropped = dont_care(adapter.ignore_index, adapter.num_classes)
    losses, per_image, details = [], [], {"boundary": [], "confidence": [], "nll": []}
    bar = keras.utils.Progbar(len(samples), unit_name="image", verbose=progress_verbosity()) if progress else None
    for start in range(0, len(samples), batch_size):
        batch = samples[start:start + batch_size]
        pairs = [read_pair(adapter, sample) for sample in batch]
        small = [resize_pair(image, label, input_size) for image, label in pairs]
        logits = batch_logits(model, np.stack([image for image, _ in small]), batch_size)
        if loss_fn is not None:
            targets = np.stack([label for _, label in small]).astype(np.int32)
            # call(), not __call__: under tf.distribute the latter divides by the replicas, for summed gradients.
            losses.append(float(ops.convert_to_numpy(loss_fn.call(targets, logits))))
        for sample, (image, label), sample_logits in zip(batch, pairs, logits):
            native = logits_at(sample_logits, label.shape[:2])
            prediction = native.argmax(axis=-1)
            try:
                image_cm = confusion_matrix(label, prediction, cm.shape[0], dropped)
            except ValueError as exc:
                raise DataError(f"{sample.id}: {exc}") from None
            cm += image_cm
            per_image.append(image_cm.astype(np.uint32))  # one image's pixels fit in 32 bits
            if detailed:
                details["boundary"].append(boundary.counts(label, prediction, cm.shape[0], dropped).astype(np.uint32))
                histogram, nll = calibration.histogram(native, label, dropped)
                details["confidence"].append(histogram)
                details["nll"].append(nll)
            if on_prediction is not None:
                on_prediction(sample, image, label, prediction, image_cm)
        if bar is not None:
            bar.add(len(batch))
    found = {"confusion_matrix": cm, "loss": float(np.mean(losses)) if losses else None, "num_images": len(samples),
             "per_image": np.stack(per_image) if per_image else np.zeros((0, *cm.shape), np.uint32)}
    if detailed:
        empty = {"boundary": (0, cm.shape[0], 3), "confidence": (0, calibration.BINS, 3), "nll": (0,)}
        found.update({key: np.asarray(values) if values else np.zeros(empty[key]) for key, values in details.items()})
    return found
