"""Segmentation losses, written with ``keras.ops`` only so every backend runs them."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="segbench")
class SegmentationCrossEntropy(keras.losses.Loss):
    """Pixel-wise cross-entropy from logits, averaged over the pixels whose label is not ``ignore_index``.

    With ``class_weights``, each pixel counts with its class's weight and the mean is taken over the weights, as
    PyTorch's weighted CrossEntropyLoss does, so the loss stays on the same scale whatever the weights.
    """

    def __init__(self, ignore_index: int | None = None, class_weights: list[float] | None = None,
                 name: str = "segmentation_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.ignore_index = ignore_index
        self.class_weights = None if class_weights is None else [float(w) for w in class_weights]

    def call(self, y_true, y_pred):
        labels = ops.cast(y_true, "int32")
        logits = ops.cast(y_pred, "float32")  # softmax in float32 even under mixed precision
        if self.ignore_index is None and self.class_weights is None:
            return ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        valid = ops.ones_like(labels, "bool") if self.ignore_index is None else ops.not_equal(labels,
                                                                                               self.ignore_index)
        # An ignored label may lie outside the classes (255): point it at class 0, its weight is zeroed below.
        safe = ops.where(valid, labels, ops.zeros_like(labels))
        per_pixel = ops.sparse_categorical_crossentropy(safe, logits, from_logits=True)
        weight = ops.cast(valid, "float32")
        if self.class_weights is not None:
            weight = weight * ops.take(ops.convert_to_tensor(self.class_weights, "float32"), safe)
        # The mean over the batch's counted pixels, not per image: an image that is mostly void must not weigh more.
        return ops.sum(per_pixel * weight) / ops.maximum(ops.sum(weight), 1e-12)

    def get_config(self) -> dict:
        return {**super().get_config(), "ignore_index": self.ignore_index, "class_weights": self.class_weights}
