"""SegFormer (Xie et al., 2021, "SegFormer: Simple and Efficient Design for Semantic Segmentation with
Transformers") at the sizes B0 and B2: the MiT encoder, from keras-hub's layers (``segbench.models.mit``), under
the all-MLP decoder of keras-hub's ``SegFormerBackbone`` and its segmenter's dropout and classifier.

Registering these models imports neither keras-hub nor its layers: the builder does, when it builds one.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers
from pydantic import Field, ValidationInfo, field_validator

from segbench.errors import ConfigError, first_line
from segbench.models.blocks import resize_bilinear, scaled
from segbench.models.encoders import EncoderDecoderConfig
from segbench.models.head import classifier, imagenet_standardization, logits_at_input_size
from segbench.registry import MODELS
from segbench.schema import PathText


class SegFormerConfig(EncoderDecoderConfig):
    """``width`` multiplies the decoder's filters (its ``projection_filters``); the MiT encoder is as published."""

    encoder_weights: PathText | None = Field(
        None, description="ade20k or cityscapes: keras-hub's MiT preset of this size (SegFormer's encoder fine-tuned "
                          "on that set, downloaded from Kaggle: needs a network), a keras-hub MiT preset folder, a "
                          ".weights.h5 file of keras-hub's MiTBackbone, or null for random init")

    @field_validator("encoder_weights")
    @classmethod
    def _no_imagenet(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value == "imagenet":
            raise ValueError(f"{info.data.get('name', 'segformer')}: keras-hub publishes no ImageNet-only MiT "
                             "weights (its MiT presets are SegFormer's encoders fine-tuned on ADE20K or "
                             "Cityscapes): set model.encoder_weights to ade20k, cityscapes, a keras-hub MiT preset "
                             "folder or .weights.h5 file, or null")
        return value


def all_mlp_decoder(features, filters: int, num_classes: int):
    """Each stage's map projected to ``filters`` channels by a dense layer and resized to the first's (stride 4),
    concatenated deepest first, fused by a 1x1 convolution, batch normalisation and ReLU; then dropout and the
    classifier."""
    height, width = features[0].shape[1:3]
    projected = []
    for stage, feature in enumerate(features):
        x = layers.Dense(filters, name=f"decoder_linear_{stage}")(feature)
        projected.append(resize_bilinear(x, height, width, name=f"decoder_resize_{stage}") if stage else x)
    x = layers.Concatenate(name="decoder_concat")(projected[::-1])
    x = layers.Conv2D(filters, 1, use_bias=False, name="decoder_fuse")(x)
    x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name="decoder_fuse_bn")(x)
    x = layers.ReLU(name="decoder_fuse_relu")(x)
    return classifier(layers.Dropout(0.1, name="decoder_dropout")(x), num_classes)


@dataclass(frozen=True)
class SegFormer:
    """A model builder (``segbench.models.base.ModelBuilder``, described) for one SegFormer size."""

    encoder_name: str  # a key of segbench.models.mit.VARIANTS
    projection_filters: int  # the decoder's width: 256 for B0 and B1, 768 for B2-B5
    decoder_name: str = "segformer"
    encoder_output_layer: str = "output_level_3"
    default_classes: int = 12  # CamVid's 11 classes and void

    def __call__(self, config: SegFormerConfig, num_classes: int) -> keras.Model:
        try:
            from segbench.models import mit
        except ImportError as exc:
            raise ConfigError(f"{config.name} needs keras-hub 0.32 or later ({first_line(exc)}): "
                              "pip install 'keras-hub>=0.32'") from None
        image = keras.Input((*config.input_size, 3), dtype="uint8", name="image")
        features = mit.mit_encoder(imagenet_standardization(image), self.encoder_name)
        scores = all_mlp_decoder(features, scaled(self.projection_filters, config.width), num_classes)
        model = keras.Model(image, logits_at_input_size(scores, config.input_size), name=config.name)
        if config.encoder_weights is not None:
            mit.load_encoder_weights(model, self.encoder_name, config.encoder_weights)
        return model


MODELS.register("segformer_b0", options=SegFormerConfig)(SegFormer("mit_b0", 256))
MODELS.register("segformer_b2", options=SegFormerConfig)(SegFormer("mit_b2", 768))
