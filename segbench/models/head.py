"""The ends every model shares: input normalisation and a classifier whose logits match the input size."""

from __future__ import annotations

from keras import layers


def input_normalization(inputs):
    """uint8 pixels to [-1, 1], inside the model so the loader can ship uint8 and the device does the maths."""
    return layers.Rescaling(1 / 127.5, offset=-1.0, name="normalize")(inputs)


def logits_at_input_size(x, num_classes: int, input_size):
    """1x1 classifier, then bilinear resize up to ``input_size`` where the decoder stopped short of it.

    The logits stay float32 under mixed precision and carry no softmax: the loss takes logits.
    """
    x = layers.Conv2D(num_classes, 1, name="classifier")(x)
    height, width = input_size
    if tuple(x.shape[1:3]) != (height, width):
        x = layers.Resizing(height, width, interpolation="bilinear", name="logits_resize")(x)
    return layers.Activation("linear", dtype="float32", name="logits")(x)
