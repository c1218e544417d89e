"""DeepLabV3+'s decoder (Chen et al., 2018): atrous spatial pyramid pooling over the encoder's deepest map, then a
light decoder that joins it with the stride-4 map. The encoder runs at output stride 16 or 8 by dilation
(``segbench.models.dilation``); the ASPP's rates follow it."""

from __future__ import annotations

from keras import layers

from segbench.models.blocks import conv_bn_relu, resize_bilinear, scaled
from segbench.models.head import classifier

# At output stride 16; doubled at 8, so that each branch sees the same part of the image.
ASPP_RATES = (6, 12, 18)
ASPP_FILTERS = 256
SKIP_FILTERS = 48  # few, so that the decoder leans on the deep map rather than the skip's many channels
DECODER_FILTERS = 256


def deeplabv3plus(features: dict, num_classes: int, width: float):
    """ASPP (a 1x1 branch, three 3x3 branches at the rates, and the image's mean), projected to 256 channels;
    upsampled bilinearly to stride 4 and concatenated with the stride-4 map reduced to 48 channels; two 3x3
    Conv-BN-ReLU and class scores at stride 4."""
    stride = max(features)
    x = features[stride]
    rows, cols = x.shape[1:3]
    filters = scaled(ASPP_FILTERS, width)
    branches = [conv_bn_relu(x, filters, name="aspp0", kernel_size=1)]
    for branch, rate in enumerate(ASPP_RATES, start=1):
        branches.append(conv_bn_relu(x, filters, name=f"aspp{branch}", dilation=rate * 16 // stride))
    pooled = layers.GlobalAveragePooling2D(keepdims=True, name="aspp_mean")(x)
    pooled = conv_bn_relu(pooled, filters, name="aspp_pool", kernel_size=1)
    branches.append(resize_bilinear(pooled, rows, cols, name="aspp_pool_resize"))
    x = layers.Concatenate(name="aspp_concat")(branches)
    x = conv_bn_relu(x, filters, name="aspp_project", kernel_size=1)
    x = layers.Dropout(0.1, name="aspp_dropout")(x)

    skip = features[4]
    x = resize_bilinear(x, *skip.shape[1:3], name="decoder_up")
    skip = conv_bn_relu(skip, scaled(SKIP_FILTERS, width), name="decoder_skip", kernel_size=1)
    x = layers.Concatenate(name="decoder_concat")([x, skip])
    for conv in (1, 2):
        x = conv_bn_relu(x, scaled(DECODER_FILTERS, width), name=f"decoder{conv}")
    return classifier(x, num_classes)
