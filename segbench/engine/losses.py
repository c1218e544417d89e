"""Segmentation losses, written with ``keras.ops`` only so every backend runs them."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="segbench")
class SegmentationCrossEntropy(keras.losses.Loss):
    """Pixel-wise cross-entropy from logits, averaged over the pixels whose label is not ``ignore_index``."""

    def __init__(self, ignore_index: int | None = None, name: str = "segmentation_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.ignore_index = ignore_index

    def call(self, y_true, y_pred):
        labels = ops.cast(y_true, "int32")
        logits = ops.cast(y_pred, "float32")  # softmax in float32 even under mixed precision
        if self.ignore_index is None:
            return ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        valid = ops.not_equal(labels, self.ignore_index)
        safe = ops.where(valid, labels, ops.zeros_like(labels))
        per_pixel = ops.sparse_categorical_crossentropy(safe, logits, from_logits=True)
        weight = ops.cast(valid, "float32")
        # The mean over the batch's valid pixels, not per image: an image that is mostly void must not weigh more.
        return ops.sum(per_pixel * weight) / ops.maximum(ops.sum(weight), 1.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "ignore_index": self.ignore_index}
