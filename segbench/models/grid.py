"""The encoder x decoder grid: every registered encoder under every decoder whose skips it can feed, registered
under the older library's names (``vgg_unet``, ``fcn_8_resnet50``; the plain encoder's models go by the decoder's
name alone: ``segnet``, ``unet``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from segbench.models.encoders import Encoder
from segbench.models.fcn import fcn_8, fcn_32
from segbench.models.head import logits_at_input_size
from segbench.models.pspnet import pspnet
from segbench.models.segnet import segnet
from segbench.models.unet import unet
from segbench.registry import ENCODERS, MODELS


@dataclass(frozen=True)
class Decoder:
    """``build(features, num_classes, width)`` returns class scores at some stride; ``needs`` lists the strides it
    reads, beyond the deepest, that the encoder must offer."""

    name: str
    build: Callable
    needs: frozenset[int] = frozenset()


DECODERS = {decoder.name: decoder for decoder in (
    Decoder("segnet", segnet),
    Decoder("fcn_8", fcn_8, frozenset({8, 16, 32})),
    Decoder("fcn_32", fcn_32, frozenset({32})),
    Decoder("unet", unet),
    Decoder("pspnet", pspnet),
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
        scores = self.decoder.build(self.encoder(image, config), num_classes, config.width)
        return keras.Model(image, logits_at_input_size(scores, config.input_size), name=config.name)


def model_name(encoder: str, decoder: str) -> str:
    if encoder == "plain":
        return decoder
    return f"{decoder}_{encoder}" if decoder.startswith("fcn") else f"{encoder}_{decoder}"


def register_grid() -> None:
    for encoder_name in ENCODERS.names():
        encoder = ENCODERS.get(encoder_name)
        for decoder in DECODERS.values():
            if decoder.needs <= set(encoder.feature_layers):
                MODELS.register(model_name(encoder_name, decoder.name), options=encoder.options)(
                    EncoderDecoder(encoder_name, encoder, decoder))


register_grid()
