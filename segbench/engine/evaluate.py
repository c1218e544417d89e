"""Evaluation at native label resolution: logits are resized to each label's own size before the argmax."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from segbench.data.base import DatasetAdapter, Sample
from segbench.data.loader import read_pair, resize_pair
from segbench.engine.progress import progress_verbosity
from segbench.errors import DataError
from segbench.metrics import confusion_matrix


def labels_at(logits, size: tuple[int, int]) -> np.ndarray:
    """Class map of shape ``size`` (height, width) from one image's logits (h, w, C) by bilinear resize + argmax."""
    resized = ops.image.resize(ops.expand_dims(logits, 0), size, interpolation="bilinear")
    return ops.convert_to_numpy(ops.argmax(resized[0], axis=-1))


def evaluate(model: keras.Model, adapter: DatasetAdapter, samples: list[Sample], batch_size: int,
             loss_fn=None, progress: bool = False, on_prediction=None) -> dict:
    """The confusion matrix over ``samples`` at native resolution, each image's own (``per_image``, uint32, in
    the order of ``samples``), and the mean loss at the input size.

    ``on_prediction(sample, image, label, prediction)``, if given, sees every image with its native class map."""
    input_size = tuple(model.input_shape[1:3])
    cm = np.zeros((adapter.num_classes, adapter.num_classes), np.int64)
    # A void label outside the class range (255, -1) is "don't care" and dropped; one inside it is a class the paper
    # protocol counts.
    void = adapter.ignore_index
    dropped = void if void is not None and not 0 <= void < adapter.num_classes else None
    losses, per_image = [], []
    bar = keras.utils.Progbar(len(samples), unit_name="image", verbose=progress_verbosity()) if progress else None
    for start in range(0, len(samples), batch_size):
        batch = samples[start:start + batch_size]
        pairs = [read_pair(adapter, sample) for sample in batch]
        small = [resize_pair(image, label, input_size) for image, label in pairs]
        images = np.stack([image for image, _ in small])
        # The last batch is padded to full size: one compiled shape on JAX, and a batch that divides over devices.
        if len(images) < batch_size:
            images = np.concatenate([images, np.repeat(images[-1:], batch_size - len(images), axis=0)])
        logits = model.predict_on_batch(images)[:len(batch)]  # compiled, and no autograd tape on torch
        if loss_fn is not None:
            targets = np.stack([label for _, label in small]).astype(np.int32)
            # call(), not __call__: under tf.distribute the latter divides by the replicas, for summed gradients.
            losses.append(float(ops.convert_to_numpy(loss_fn.call(targets, logits))))
        for sample, (image, label), sample_logits in zip(batch, pairs, logits):
            prediction = labels_at(sample_logits, label.shape[:2])
            try:
                image_cm = confusion_matrix(label, prediction, cm.shape[0], dropped)
            except ValueError as exc:
                raise DataError(f"{sample.id}: {exc}") from None
            cm += image_cm
            per_image.append(image_cm.astype(np.uint32))  # one image's pixels fit in 32 bits
            if on_prediction is not None:
                on_prediction(sample, image, label, prediction)
        if bar is not None:
            bar.add(len(batch))
    return {"confusion_matrix": cm, "loss": float(np.mean(losses)) if losses else None, "num_images": len(samples),
            "per_image": np.stack(per_image) if per_image else np.zeros((0, *cm.shape), np.uint32)}
