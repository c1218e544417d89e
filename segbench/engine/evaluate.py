"""Evaluation at native label resolution: logits are resized to each label's own size before the argmax."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from keras import ops

from segbench import boundary, calibration
from segbench.data.base import DatasetAdapter, Sample
from segbench.data.pairs import read_pair, resize_pair
from segbench.engine.inference import Inference, batch_logits, logits_at
from segbench.engine.progress import progress_verbosity
from segbench.errors import DataError
from segbench.metrics import confusion_matrix, dont_care


def evaluate(model: keras.Model, adapter: DatasetAdapter, samples: list[Sample], batch_size: int,
             loss_fn=None, progress: bool = False, on_prediction=None, detailed: bool = False,
             infer: Inference | None = None, corrupt: Callable[[np.ndarray, int], np.ndarray] | None = None) -> dict:
    """The confusion matrix over ``samples`` at native resolution, each image's own (``per_image``, uint32, in
    the order of ``samples``), and the mean loss at the input size.

    ``detailed`` (the final scoring; the per-epoch validation leaves it off, it costs time) adds, per image and
    in the same order, Boundary IoU counts (``boundary``, N x C x 4, see :mod:`segbench.boundary`), confidence
    histograms (``confidence``, N x bins x 3) and summed negative log-likelihoods (``nll``, N), see
    :mod:`segbench.calibration`.

    ``on_prediction(sample, image, label, prediction, image_cm)``, if given, sees every image with its native class
    map and its confusion matrix.

    ``infer`` (``segbench evaluate``'s test-time augmentations) makes the native logits instead of the model at its
    input size; ``corrupt(image, index)`` changes each image first, ``index`` being its position in ``samples``.
    The loss is the plain model's, so neither goes with ``loss_fn``."""
    if loss_fn is not None and (infer is not None or corrupt is not None):
        raise ValueError("the loss is computed on plain inputs: no infer or corrupt with loss_fn")
    input_size = tuple(model.input_shape[1:3])
    infer = infer or Inference(lambda size: model, input_size, batch_size)
    cm = np.zeros((adapter.num_classes, adapter.num_classes), np.int64)
    dropped = dont_care(adapter.ignore_index, adapter.num_classes)
    losses, per_image, details = [], [], {"boundary": [], "confidence": [], "nll": []}
    bar = keras.utils.Progbar(len(samples), unit_name="image", verbose=progress_verbosity()) if progress else None
    for start in range(0, len(samples), batch_size):
        batch = samples[start:start + batch_size]
        pairs = [read_pair(adapter, sample) for sample in batch]
        if corrupt is not None:
            pairs = [(corrupt(image, start + offset), label) for offset, (image, label) in enumerate(pairs)]
        if loss_fn is None:
            natives = infer([image for image, _ in pairs])
        else:  # the validation of each epoch: the input-size logits serve the loss and the scores alike
            small = [resize_pair(image, label, input_size) for image, label in pairs]
            logits = batch_logits(model, np.stack([image for image, _ in small]), batch_size)
            targets = np.stack([label for _, label in small]).astype(np.int32)
            # call(), not __call__: under tf.distribute the latter divides by the replicas, for summed gradients.
            losses.append(float(ops.convert_to_numpy(loss_fn.call(targets, logits))))
            natives = [logits_at(one, label.shape[:2]) for one, (_, label) in zip(logits, pairs)]
        for sample, (image, label), native in zip(batch, pairs, natives):
            prediction = native.argmax(axis=-1)
            try:
                image_cm = confusion_matrix(label, prediction, cm.shape[0], dropped)
            except ValueError as exc:
                raise DataError(f"{sample.id}: {exc}") from None
            cm += image_cm
            per_image.append(image_cm.astype(np.uint32))  # one image's pixels fit in 32 bits
            if detailed:
                details["boundary"].append(boundary.counts(label, prediction, cm.shape[0], adapter.ignore_index)
                                           .astype(np.uint32))
                histogram, nll = calibration.histogram(native, label, adapter.ignore_index)
                details["confidence"].append(histogram)
                details["nll"].append(nll)
            if on_prediction is not None:
                on_prediction(sample, image, label, prediction, image_cm)
        if bar is not None:
            bar.add(len(batch))
    found = {"confusion_matrix": cm, "loss": float(np.mean(losses)) if losses else None, "num_images": len(samples),
             "per_image": np.stack(per_image) if per_image else np.zeros((0, *cm.shape), np.uint32)}
    if detailed:
        empty = {"boundary": (0, cm.shape[0], boundary.COLUMNS), "confidence": (0, calibration.BINS, 3), "nll": (0,)}
        found.update({key: np.asarray(values) if values else np.zeros(empty[key]) for key, values in details.items()})
    return found
