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
from pydantic import Field, ValidationInfo, field_validator, model_validator

from segbench.errors import ConfigError, first_line
from segbench.io import why_not_a_file
from segbench.models.blocks import conv_bn_relu, release_conv_bn, scaled
from segbench.models.dilation import Stage, dilate, plan
from segbench.models.fetch import ensure
from segbench.models.head import caffe_normalization, input_normalization, mean_subtraction
from segbench.pretrained import PRETRAINED
from segbench.registry import ENCODERS
from segbench.schema import KeyProblem, ModelConfig

# The older library's "vanilla" encoder: four conv + pool levels.
PLAIN_FILTERS = (64, 128, 256, 256)
STRIDES = (2, 4, 8, 16, 32)


class EncoderDecoderConfig(ModelConfig):
    """Keys of every encoder-decoder model. ``output_strides`` are those the model runs at, its default first (set
    per model when it is registered: what its encoder can reach by dilation and its decoder is made for); the input
    sides must be multiples of the one chosen, unless the encoder pads to ``any_size``."""

    output_strides: ClassVar[tuple[int, ...]] = (32,)
    any_size: ClassVar[bool] = False
    output_stride: int | None = Field(None, description="how far the encoder downsamples before the decoder: 32, 16 "
                                                        "or 8 where the backbone allows it (its last strides traded "
                                                        "for dilation), null for the model's default; `segbench "
                                                        "models list` shows each model's")
    width: float = Field(1.0, gt=0, le=4, description="multiplies the filter count of the layers segbench defines: "
                                                      "the plain encoder's and every decoder's")

    @model_validator(mode="after")
    def _stride_and_size(self):
        strides = self.output_strides
        if self.output_stride is None:
            self.output_stride = strides[0]
        elif self.output_stride not in strides:
            raise KeyProblem("output_stride", self.output_stride,
                             f"{self.name} runs at output stride {' or '.join(map(str, strides))}")
        if not self.any_size and any(side % self.output_stride for side in self.input_size):
            raise KeyProblem("input_size", self.input_size, f"{self.name} pools down to 1/{self.output_stride}: "
                             f"height and width must be multiples of {self.output_stride}")
        return self


class PlainConfig(EncoderDecoderConfig):
    output_strides: ClassVar[tuple[int, ...]] = (16,)

    @field_validator("encoder_weights")
    @classmethod
    def _from_scratch(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            raise ValueError(f"{info.data.get('name', 'the plain encoder')} is trained from scratch: "
                             "set model.encoder_weights to null")
        return value


@dataclass(frozen=True)
class Encoder:
    """``build(image, config)`` returns the backbone as a functional model from the image to its deepest map at
    its own output stride; ``feature_layers`` names, per stride there, the layer whose output is the feature map;
    ``stages`` are the stages (``segbench.models.dilation.Stage``) that can trade their stride for dilation, so that
    it also runs at 1/16 or 1/8 (``output_strides``). ``any_size``: it pads, so that any input size works."""

    build: Callable
    feature_layers: dict[int, str]
    options: type[EncoderDecoderConfig] | None = None
    pretrained: str | None = None  # the segbench.pretrained file that ``model.encoder_weights: imagenet`` reads
    stages: tuple[Stage, ...] = ()
    any_size: bool = False

    @property
    def output_strides(self) -> tuple[int, ...]:
        """Its own output stride, then each it reaches by dilating one more stage from the deepest."""
        strides = [max(self.feature_layers)]
        for stage in sorted(self.stages, key=lambda stage: stage.stride, reverse=True):
            if stage.stride == strides[-1]:
                strides.append(stage.stride // 2)
        return tuple(strides)

    def feature_layers_at(self, output_stride: int) -> dict[int, str]:
        """The layer of each feature map when the backbone stops at ``output_stride``: a map past it is at
        ``output_stride`` too, and the deepest of those is the one kept."""
        layers_at = {}
        for stride, name in sorted(self.feature_layers.items()):
            layers_at[min(stride, output_stride)] = name
        return layers_at

    def __call__(self, image, config) -> dict[int, object]:
        backbone = self.build(image, config)
        changes = plan(self.stages, config.output_stride)
        if changes:
            backbone = dilate(backbone, changes)
        return {stride: only_output(backbone, name)
                for stride, name in self.feature_layers_at(config.output_stride).items()}

    @property
    def output_layer(self) -> str:
        """The layer of the deepest feature map, at every output stride."""
        return self.feature_layers[max(self.feature_layers)]


def only_output(backbone: keras.Model, name: str):
    """The output of ``backbone``'s layer ``name``, which must have been called once: a layer called more than once
    (shared, or rebuilt on the same tensors) has one output per call, and Keras' ``layer.output`` is the first,
    which need not be this graph's: a map of another stride would be taken without a word."""
    layer = backbone.get_layer(name)
    calls = len(layer._inbound_nodes)  # Keras keeps one node per call; there is no public count
    if calls != 1:
        raise ValueError(f"{backbone.name}: layer {name!r}, named as a feature map, is called {calls} times, so its "
                         "output is ambiguous; name a layer called once (an Identity after it, for one)")
    return layer.output


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
        said = why_not_a_file(value)
        raise ConfigError(f"model.encoder_weights: {value} {'does not exist' if said == 'not found' else said} (give "
                          "imagenet, null or a weights file)")
    return value


def application_backbone(application: Callable, normalization: Callable, pretrained: str, image,
                         config: EncoderDecoderConfig) -> keras.Model:
    """A keras.applications network without its top, built on its own normalisation of the image."""
    weights = encoder_weights_file(config.encoder_weights, pretrained)
    if config.encoder_weights in (None, "imagenet"):  # the cache's file is checked by its digest where fetched
        return application(include_top=False, weights=weights, input_tensor=normalization(image))
    try:
        return application(include_top=False, weights=weights, input_tensor=normalization(image))
    except Exception as exc:  # noqa: BLE001  h5py's and Keras' errors share no base: another model's file, no HDF5
        raise ConfigError(f"model.encoder_weights: {weights}: not weights of keras.applications' {application.__name__}"
                          f" without its top ({first_line(exc)})") from None


def application_encoder(application: Callable, normalization: Callable, pretrained: str, feature_layers,
                        stages: tuple[Stage, ...] = ()) -> Encoder:
    return Encoder(partial(application_backbone, application, normalization, pretrained),
                   dict(zip(STRIDES, feature_layers)), EncoderDecoderConfig, pretrained, stages)


def resnet50_stage(stage: int, blocks: int, stride: int) -> Stage:
    """Keras' ResNet50 strides in the 1x1 convolutions of a stage's first block (its shortcut's and its own), so
    every 3x3 after them, the first block's included, runs on the finer map."""
    return Stage(stride, strided=(f"conv{stage}_block1_0_conv", f"conv{stage}_block1_1_conv"),
                 rest=tuple(f"conv{stage}_block{block}_2_conv" for block in range(1, blocks + 1)))


def mobilenet_stage(first: int, last: int, stride: int) -> Stage:
    """MobileNet strides in a depthwise 3x3 after an explicit one-sided padding; its later depthwise 3x3s
    (``same`` padded) run on the finer map."""
    return Stage(stride, strided=(f"conv_dw_{first}",), first=(f"conv_dw_{first}",),
                 rest=tuple(f"conv_dw_{block}" for block in range(first + 1, last + 1)), pads=(f"conv_pad_{first}",))


ENCODERS.register("vgg")(application_encoder(
    keras.applications.VGG16, caffe_normalization, "vgg16",
    ("block1_pool", "block2_pool", "block3_pool", "block4_pool", "block5_pool")))
ENCODERS.register("resnet50")(application_encoder(
    keras.applications.ResNet50, caffe_normalization, "resnet50",
    ("conv1_relu", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"),
    (resnet50_stage(4, 6, 16), resnet50_stage(5, 3, 32))))
ENCODERS.register("mobilenet")(application_encoder(
    keras.applications.MobileNet, input_normalization, "mobilenet",
    ("conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu", "conv_pw_11_relu", "conv_pw_13_relu"),
    (mobilenet_stage(6, 11, 16), mobilenet_stage(12, 13, 32))))


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


# PSPNet-50's encoder: paired with no decoder of the grid (segbench.models.pspnet50 registers its one model).
ENCODERS.register("resnet50_dilated")(Encoder(
    dilated_resnet50_backbone, {2: "conv1_3_3x3_relu", 4: "conv2_3_relu", 8: "conv5_3_relu"}, any_size=True))
