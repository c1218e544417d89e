"""SegNet: an encoder-decoder without skip connections or pretraining (the paper's SegNet row)."""

from __future__ import annotations

import keras
from keras import layers
from pydantic import Field, field_validator

from segbench.config import ModelConfig
from segbench.models.encoders import conv_bn_relu, scaled
from segbench.models.head import input_normalization, logits_at_input_size
from segbench.registry import ENCODERS, MODELS

DECODER_FILTERS = (512, 256, 128, 64)
STRIDE = 16


class SegNetConfig(ModelConfig):
    width: float = Field(1.0, gt=0, le=4, description="multiplies every layer's filter count")

    @field_validator("input_size")
    @classmethod
    def _divisible(cls, value: list[int]) -> list[int]:
        if any(side % STRIDE for side in value):
            raise ValueError(f"segnet pools down to 1/{STRIDE}: height and width must be multiples of {STRIDE}")
        return value

    @field_validator("encoder_weights")
    @classmethod
    def _from_scratch(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("segnet is trained from scratch: set model.encoder_weights to null")
        return value


@MODELS.register("segnet", options=SegNetConfig)
def build_segnet(config: SegNetConfig, num_classes: int) -> keras.Model:
    """Plain encoder down to stride 16, then three conv + upsampling stages back to stride 2, as the older
    library's SegNet; logits are then resized bilinearly to the input size."""
    inputs = keras.Input((*config.input_size, 3), dtype="uint8", name="image")
    features = ENCODERS.get("plain")(input_normalization(inputs), width=config.width)
    x = features[STRIDE]
    for stage, filters in enumerate(DECODER_FILTERS, start=1):
        x = conv_bn_relu(x, scaled(filters, config.width), name=f"dec{stage}")
        if stage < len(DECODER_FILTERS):
            x = layers.UpSampling2D(2, name=f"dec{stage}_up")(x)
    return keras.Model(inputs, logits_at_input_size(x, num_classes, config.input_size), name=config.name)
