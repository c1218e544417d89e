"""The encoder x decoder grid: each decoder under the encoders it names, at the output strides both allow,
registered under the older library's names (``vgg_unet``, ``fcn_8_resnet50``; the plain encoder's models go by the
decoder's name alone: ``segnet``, ``unet``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from segbench.models.deeplab import deeplabv3plus
from segbench.models.encoders import Encoder, EncoderDecoderConfig
from segbench.models.fcn import fcn_8, fcn_32
from segbench.models.head import logits_at_input_size
from segbench.models.pspnet import pspnet
from segbench.models.segnet import segnet
from segbench.models.unet import unet
from segbench.registry import ENCODERS, MODELS

PAPER_ENCODERS = ("plain", "vgg", "resnet50", "mobilenet")  # the older library's
APPLICATION_ENCODERS = ("vgg", "resnet50", "mobilenet")


@dataclass(frozen=True)
class Decoder:
    """``build(features, num_classes, width)`` returns class scores at some stride from the encoder's maps (keyed by
    stride; the deepest is at the output stride). ``encoders`` names those it is paired with; ``needs`` the strides
    it reads that the encoder must offer; ``output_strides`` those it is made for, preferred first (None: the
    encoder's own first, then any it reaches by dilation)."""

    name: str
    build: Callable
    encoders: tuple[str, ...] = PAPER_ENCODERS
    needs: frozenset[int] = frozenset()
    output_strides: tuple[int, ...] | None = None

    def strides_with(self, encoder: Encoder) -> tuple[int, ...]:
        """The output strides this decoder runs at on ``encoder``, the default first; none: no model."""
        wanted = self.output_strides or encoder.output_strides
        return tuple(stride for stride in wanted if stride in encoder.output_strides
                     and self.needs <= set(encoder.feature_layers_at(stride)))


DECODERS = {decoder.name: decoder for decoder in (
    Decoder("segnet", segnet),
    Decoder("fcn_8", fcn_8, APPLICATION_ENCODERS, frozenset({8, 16, 32})),
    Decoder("fcn_32", fcn_32, APPLICATION_ENCODERS, frozenset({32})),
    Decoder("unet", unet),
    Decoder("pspnet", pspnet),
    Decoder("deeplabv3plus", deeplabv3plus, ("resnet50", "mobilenet"), frozenset({4}), (16, 8)),
)}


@dataclass(frozen=True)
class EncoderDecoder:
    """A model builder (``segbench.models.base.ModelBuilder``, described): the encoder's feature maps through the
    decoder, then logits at the input size."""

    encoder_name: str
    encoder: Encoder
    decoder: Decoder
    default_classes: int = 12  # CamVid's 11 classes and void, the paper's benchmark

    @property
    def decoder_name(self) -> str:
        return self.decoder.name

    @property
    def encoder_output_layer(self) -> str:
        return self.encoder.output_layer

    def __call__(self, config, num_classes: int) -> keras.Model:
        image = keras.Input((*config.input_size, 3), dtype="uint8", name="image")
        features = self.encoder(image, config)
        check_strides(features, config.input_size, self.encoder_name)
        scores = self.decoder.build(features, num_classes, config.width)
        return keras.Model(image, logits_at_input_size(scores, config.input_size), name=config.name)


def check_strides(features: dict, input_size, encoder: str) -> None:
    """Each feature map at the size its stride says, where the input divides by it: an encoder that named the
    wrong layer would otherwise build, train and score a model at another stride than it claims."""
    for stride, tensor in features.items():
        expected = tuple(side // stride for side in input_size)
        if all(side % stride == 0 for side in input_size) and tuple(tensor.shape[1:3]) != expected:
            raise ValueError(f"encoder {encoder}: its map for stride {stride} is {tuple(tensor.shape[1:3])}, "
                             f"not {expected} as 1/{stride} of {tuple(input_size)}")


def model_name(encoder: str, decoder: str) -> str:
    if encoder == "plain":
        return decoder
    return f"{decoder}_{encoder}" if decoder.startswith("fcn") else f"{encoder}_{decoder}"


def options_for(base: type[EncoderDecoderConfig], strides: tuple[int, ...], any_size: bool,
                name: str) -> type[EncoderDecoderConfig]:
    """The config section of one model: ``base``'s keys, at the output strides it runs at."""
    return type(f"{''.join(part.title() for part in name.split('_'))}Config", (base,),
                {"output_strides": strides, "any_size": any_size, "__module__": __name__})


def register(encoder_name: str, decoder: Decoder, name: str | None = None, builder: type = EncoderDecoder,
             options: type[EncoderDecoderConfig] | None = None, **keys) -> None:
    """Register ``decoder`` on encoder ``encoder_name`` as one model, by default named as the older library names
    it, with its config section (``options``, else the encoder's) at the output strides both allow. A plugin's
    encoder or decoder is paired the same way."""
    encoder = ENCODERS.get(encoder_name)
    strides = decoder.strides_with(encoder)
    if not strides:
        raise ValueError(f"decoder {decoder.name} cannot run on encoder {encoder_name}: it reads maps at strides "
                         f"{sorted(decoder.needs)}, which the encoder does not offer at output stride "
                         f"{' or '.join(map(str, decoder.output_strides or encoder.output_strides))}")
    name = name or model_name(encoder_name, decoder.name)
    section = options_for(options or encoder.options or EncoderDecoderConfig, strides, encoder.any_size, name)
    MODELS.register(name, options=section)(builder(encoder_name, encoder, decoder, **keys))


def register_grid() -> None:
    for decoder in DECODERS.values():
        for encoder_name in decoder.encoders:
            if decoder.strides_with(ENCODERS.get(encoder_name)):
                register(encoder_name, decoder)


register_grid()
