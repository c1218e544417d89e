"""Encoders: each builds a backbone on the uint8 image, normalising it the way its weights expect, and names the
layers whose outputs are its feature maps at each output stride."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import keras
from keras import layers
from pydantic import Field, ValidationInfo, field_validator

from segbench.errors import ConfigError
from segbench.models.blocks import conv_bn_relu, release_conv_bn, scaled
from segbench.models.fetch import ensure
from segbench.models.head import caffe_normalization, input_normalization, mean_subtraction
from segbench.pretrained import PRETRAINED
from segbench.registry import ENCODERS
from segbench.schema import ModelConfig

# The older library's "vanilla" encoder: four conv + pool levels.
PLAIN_FILTERS = (64, 128, 256, 256)
STRIDES = (2, 4, 8, 16, 32)


class EncoderDecoderConfig(ModelConfig):
    """Keys of every encoder-decoder model; ``stride`` is how far its encoder pools down."""

    stride: ClassVar[int] = 1
    width: float = Field(1.0, gt=0, le=4, description="multiplies the filter count of the layers segbench defines: "
                                                      "the plain encoder's and every decoder's")

    @field_validator("input_size")
    @classmethod
    def _divisible(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if any(side % cls.stride for side in value):
            raise ValueError(f"{info.data.get('name', 'this model')} pools down to 1/{cls.stride}: "
                             f"height and width must be multiples of {cls.stride}")
        return value


class PlainConfig(EncoderDecoderConfig):
    stride: ClassVar[int] = 16

    @field_validator("encoder_weights")
    @classmethod
    def _from_scratch(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            raise ValueError(f"{info.data.get('name', 'the plain encoder')} is trained from scratch: "
                             "set model.encoder_weights to null")
        return value


class PretrainedConfig(EncoderDecoderConfig):
    stride: ClassVar[int] = 32


@dataclass(frozen=True)
class Encoder:
    """``build(image, config)`` returns the backbone as a functional model from the image to its deepest map;
    ``feature_layers`` names, per output stride, the layer whose output is the feature map there."""

    build: Callable
    feature_layers: dict[int, str]
    options: type[EncoderDecoderConfig] | None = None
    pretrained: str | None = None  # the segbench.pretrained file that ``model.encoder_weights: imagenet`` reads

    def __call__(self, image, config) -> dict[int, object]:
        backbone = self.build(image, config)
        return {stride: backbone.get_layer(name).output for stride, name in self.feature_layers.items()}

    @property
    def output_layer(self) -> str:
        return self.feature_layers[max(self.feature_layers)]


def plain_backbone(image, config: PlainConfig) -> keras.Model:
    """Conv-BN-ReLU then 2x2 max-pool per level; random init only."""
    x = input_normalization(image)
    for level, filters in enumerate(PLAIN_FILTERS, start=1):
        x = conv_bn_relu(x, scaled(filters, config.width), name=f"enc{level}")
        x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    return keras.Model(image, x, name="plain")


ENCODERS.register("plain")(
    Encoder(plain_backbone, {2**level: f"enc{level}_pool" for level in range(1, len(PLAIN_FILTERS) + 1)}, PlainConfig))


def encoder_weights_file(value: str | None, pretrained: str) -> str | None:
    """The file to hand keras.applications for ``model.encoder_weights``: for ``imagenet`` the ``pretrained`` file
    in Keras' cache, fetched and checked here on first use, so that a missing or bad file stops the run with one
    line instead of failing deep inside Keras."""
    if value is None:
        return None
    if value == "imagenet":
        return str(ensure(PRETRAINED[pretrained]))
    if not Path(value).is_file():
        raise ConfigError(f"model.encoder_weights: {value} does not exist (give imagenet, null or a weights file)")
    return value


def application_backbone(application: Callable, normalization: Callable, pretrained: str, image,
                         config: PretrainedConfig) -> keras.Model:
    """A keras.applications network without its top, built on its own normalisation of the image."""
    weights = encoder_weights_file(config.encoder_weights, pretrained)
    return application(include_top=False, weights=weights, input_tensor=normalization(image))


def application_encoder(application: Callable, normalization: Callable, pretrained: str,
                        feature_layers) -> Encoder:
    return Encoder(partial(application_backbone, application, normalization, pretrained),
                   dict(zip(STRIDES, feature_layers)), PretrainedConfig, pretrained)


ENCODERS.register("vgg")(application_encoder(
    keras.applications.VGG16, caffe_normalization, "vgg16",
    ("block1_pool", "block2_pool", "block3_pool", "block4_pool", "block5_pool")))
ENCODERS.register("resnet50")(application_encoder(
    keras.applications.ResNet50, caffe_normalization, "resnet50",
    ("conv1_relu", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out")))
ENCODERS.register("mobilenet")(application_encoder(
    keras.applications.MobileNet, input_normalization, "mobilenet",
    ("conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu", "conv_pw_11_relu", "conv_pw_13_relu")))


# stage, blocks, bottleneck width, stride of its first block, dilation
DILATED_STAGES = ((2, 3, 64, 1, 1), (3, 4, 128, 2, 1), (4, 6, 256, 1, 2), (5, 3, 512, 1, 4))


def dilated_resnet50_backbone(image, config) -> keras.Model:
    """The PSPNet release's ResNet-50: a three-conv stem, and dilation instead of striding in the last two stages,
    so that it stops at output stride 8."""
    x = mean_subtraction(image)
    x = release_conv_bn(x, 64, 3, "conv1_1_3x3_s2", strides=2)
    x = release_conv_bn(x, 64, 3, "conv1_2_3x3")
    x = release_conv_bn(x, 128, 3, "conv1_3_3x3")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    for stage, blocks, mid, first_stride, dilation in DILATED_STAGES:
        for block in range(1, blocks + 1):
            name, strides = f"conv{stage}_{block}", first_stride if block == 1 else 1
            shortcut = release_conv_bn(x, 4 * mid, 1, f"{name}_1x1_proj", strides, relu=False) if block == 1 else x
            y = release_conv_bn(x, mid, 1, f"{name}_1x1_reduce", strides)
            y = release_conv_bn(y, mid, 3, f"{name}_3x3", dilation=dilation)
            y = release_conv_bn(y, 4 * mid, 1, f"{name}_1x1_increase", relu=False)
            # The release applies the ReLU at the start of the next block; after the sum is the same function.
            x = layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([y, shortcut]))
    return keras.Model(image, x, name="resnet50_dilated")


RESNET50_DILATED = Encoder(dilated_resnet50_backbone, {2: "conv1_3_3x3_relu", 4: "conv2_3_relu", 8: "conv5_3_relu"})
