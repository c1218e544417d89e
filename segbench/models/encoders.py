"""Encoders: each maps an input tensor to its feature maps keyed by output stride."""

from __future__ import annotations

from keras import layers

from segbench.registry import ENCODERS

# The older library's "vanilla" encoder: four conv + pool levels.
PLAIN_FILTERS = (64, 128, 256, 256)


def conv_bn_relu(x, filters: int, name: str, kernel_size: int = 3):
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


@ENCODERS.register("plain")
def plain_encoder(inputs, width: float = 1.0) -> dict[int, object]:
    """Conv-BN-ReLU then 2x2 max-pool per level; features at strides 2, 4, 8, 16. Random init only."""
    features, x = {}, inputs
    for level, filters in enumerate(PLAIN_FILTERS, start=1):
        x = conv_bn_relu(x, scaled(filters, width), name=f"enc{level}")
        x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
        features[2**level] = x
    return features


def scaled(filters: int, width: float) -> int:
    """``filters`` times the width multiplier, never below 4."""
    return max(4, int(round(filters * width)))
