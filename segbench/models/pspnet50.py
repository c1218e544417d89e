"""PSPNet-50 as released for ADE20K (the paper's "PSP Pretrained" row): the release's dilated ResNet-50 under the
PSPNet decoder, with the layer names of the converted Keras 2 weights file so that ``model.weights`` loads it."""

from __future__ import annotations

import keras
from pydantic import Field, field_validator

from segbench.models.encoders import EncoderDecoderConfig
from segbench.models.fetch import ensure
from segbench.models.grid import DECODERS, EncoderDecoder, register
from segbench.models.weights import load_legacy_h5
from segbench.pretrained import PRETRAINED
from segbench.schema import PathText, height_width

ADE20K_CLASSES = 150


class PSPNet50Config(EncoderDecoderConfig):
    input_size: height_width() = Field(default_factory=lambda: [473, 473],
                                       description="[height, width] the model sees; the release used 473x473")
    weights: PathText | None = Field(None, description="ade20k: the release's converted Keras 2 HDF5 file "
                                                  "(pspnet50_ade20k.h5, fetched on first use), or such a file; "
                                                  "loaded by layer name, another class count keeps all but conv6")

    @field_validator("encoder_weights")
    @classmethod
    def _whole_model(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("pspnet_50 takes its pretrained weights from model.weights: "
                             "set model.encoder_weights to null")
        return value


class PSPNet50(EncoderDecoder):
    def __call__(self, config: PSPNet50Config, num_classes: int) -> keras.Model:
        model = super().__call__(config, num_classes)
        if config.weights is not None:
            release = PRETRAINED["pspnet50_ade20k"]
            path = ensure(release) if config.weights == release.value else config.weights
            load_legacy_h5(model, path, loose=("conv6",))
        return model


register("resnet50_dilated", DECODERS["pspnet"], "pspnet_50", PSPNet50, PSPNet50Config,
         default_classes=ADE20K_CLASSES)
