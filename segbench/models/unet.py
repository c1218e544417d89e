"""UNet's decoder: upsampling from the encoder's deepest map with a skip connection from every shallower level."""

from __future__ import annotations

from keras import layers

from segbench.models.blocks import conv_bn_relu, scaled, upsample_2x
from segbench.models.head import classifier
from segbench.models.segnet import DECODER_FILTERS, upward


def unet(features: dict, num_classes: int, width: float):
    """At each stride from just below the deepest up to 2: upsample 2x, concatenate the encoder's map there, two
    Conv-BN-ReLU; class scores at stride 2."""
    strides = upward(max(features))
    x = features[strides[0]]
    for stride in strides[1:]:
        x = upsample_2x(x, name=f"up{stride}")
        x = layers.Concatenate(name=f"up{stride}_concat")([x, features[stride]])
        for conv in (1, 2):
            x = conv_bn_relu(x, scaled(DECODER_FILTERS[stride], width), name=f"up{stride}_{conv}")
    return classifier(x, num_classes)
