"""PSPNet's decoder: pyramid pooling over the encoder's deepest map, named as in the PSPNet-50 release."""

from __future__ import annotations

import numpy as np
from keras import layers, ops

from segbench.models.blocks import release_conv_bn, resize_bilinear, scaled
from segbench.models.head import classifier

# In the release's concatenation order, which fixes the input-channel order of conv5_4's kernel.
BINS = (6, 3, 2, 1)
POOL_FILTERS = 512


def pspnet(features: dict, num_classes: int, width: float):
    """Average-pool the deepest map into 6x6, 3x3, 2x2 and 1x1 bins, reduce each with a 1x1 Conv-BN-ReLU, resize
    back and concatenate after the map itself; then a 3x3 Conv-BN-ReLU, dropout and class scores at the deepest
    stride.

    The pooling is adaptive, so the bins need not divide the map: any input the encoder accepts works, not only
    multiples of 6 times its stride.
    """
    x = features[max(features)]
    rows, cols = x.shape[1:3]
    branches = [x]
    for bins in BINS:
        name = f"conv5_3_pool{bins}"
        y = AdaptiveAveragePooling(bins, name=name)(x)
        y = release_conv_bn(y, scaled(POOL_FILTERS, width), 1, f"{name}_conv")
        branches.append(resize_bilinear(y, rows, cols, name=f"{name}_interp"))
    x = layers.Concatenate(name="conv5_3_concat")(branches)
    x = release_conv_bn(x, scaled(POOL_FILTERS, width), 3, "conv5_4")
    x = layers.Dropout(0.1, name="conv5_4_dropout")(x)
    return classifier(x, num_classes, name="conv6")


class AdaptiveAveragePooling(layers.Layer):
    """Average pooling into ``bins`` x ``bins`` windows laid out as PyTorch's AdaptiveAvgPool2d lays them out (row
    window i spans floor(i * h / bins) to ceil((i + 1) * h / bins)), as two products with averaging matrices.

    Not keras.layers.AdaptiveAveragePooling2D: on TensorFlow it also pools with a window one wider than the widest
    it needs, which fails inside a traced function whenever that exceeds the map (always for a single bin).
    """

    def __init__(self, bins: int, **kwargs):
        super().__init__(**kwargs)
        self.bins = bins

    def call(self, x):
        rows = ops.convert_to_tensor(window_means(x.shape[1], self.bins), dtype=x.dtype)
        cols = ops.convert_to_tensor(window_means(x.shape[2], self.bins), dtype=x.dtype)
        return ops.einsum("ih,bhwc,jw->bijc", rows, x, cols)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.bins, self.bins, input_shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "bins": self.bins}


def window_means(size: int, bins: int) -> np.ndarray:
    """A (bins, size) matrix whose row i averages the positions of adaptive window i."""
    matrix = np.zeros((bins, size), "float32")
    for i in range(bins):
        start, end = i * size // bins, -(-(i + 1) * size // bins)
        matrix[i, start:end] = 1 / (end - start)
    return matrix
