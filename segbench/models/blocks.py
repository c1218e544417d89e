"""The layer recipes the models share (as segmentation_models.pytorch's ``base/modules.py``): the width multiplier,
Conv-BN(-ReLU) in segbench's naming and in the PSPNet release's, and 2x or bilinear upsampling.

Each layer takes the name its caller gives: saved weights files and the PSPNet-50 release's converted weights are
matched to layers by name, so a recipe may change how it is written but never the names or shapes it makes.
"""

from __future__ import annotations

import keras
from keras import layers, ops


def scaled(filters: int, width: float) -> int:
    """``filters`` times the width multiplier, never below 4."""
    return max(4, round(filters * width))


def conv_bn(x, filters: int, kernel_size: int, conv_name: str, bn_name: str, relu_name: str | None = None,
            strides: int = 1, dilation: int = 1, momentum: float = 0.99, epsilon: float = 1e-3):
    """Conv2D with "same" padding and no bias (the normalisation's offset takes its place), BatchNormalization,
    then a ReLU where ``relu_name`` names one."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", dilation_rate=dilation, use_bias=False,
                      name=conv_name)(x)
    x = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, name=bn_name)(x)
    return x if relu_name is None else layers.ReLU(name=relu_name)(x)


def conv_bn_relu(x, filters: int, name: str, kernel_size: int = 3, dilation: int = 1):
    """Conv-BN-ReLU of the layers segbench defines: ``<name>_conv``, ``<name>_bn``, ``<name>_relu``."""
    return conv_bn(x, filters, kernel_size, f"{name}_conv", f"{name}_bn", f"{name}_relu", dilation=dilation,
                   momentum=0.9)


def release_conv_bn(x, filters: int, kernel_size: int, name: str, strides: int = 1, dilation: int = 1,
                    relu: bool = True):
    """Conv-BN(-ReLU) named (``<name>``, ``<name>_bn``, ``<name>_relu``) and normalised as in the PSPNet release,
    so that its converted weights load by name."""
    return conv_bn(x, filters, kernel_size, name, f"{name}_bn", f"{name}_relu" if relu else None, strides, dilation,
                   momentum=0.95, epsilon=1e-5)


def upsample_2x(x, name: str):
    """Nearest-neighbour upsampling by 2 (the decoders' fixed, parameter-free step up a stride)."""
    return layers.UpSampling2D(2, name=name)(x)


def resize_bilinear(x, height: int, width: int, name: str):
    """Bilinear resizing to ``height`` x ``width``."""
    return BilinearResize(height, width, name=name)(x)


@keras.saving.register_keras_serializable("segbench")
class BilinearResize(layers.Layer):
    """Bilinear resizing as Keras' ``Resizing`` does it, in a plain layer. Not ``Resizing`` itself: a preprocessing
    layer, it leaves the graph that Keras hands tf2onnx with every BatchNormalization called after it in training
    mode, so that an exported PSPNet or DeepLabV3+ normalised each batch by its own statistics (ONNX logits off by
    the logits' own size; Keras' own predict was right)."""

    def __init__(self, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = height, width

    def call(self, x):
        resized = ops.image.resize(x, (self.height, self.width), interpolation="bilinear")
        return ops.cast(resized, x.dtype)  # TensorFlow's bilinear resize returns float32 whatever it is given

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
