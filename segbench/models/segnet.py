"""SegNet's decoder: an encoder-decoder without skip connections (with the plain encoder, the paper's SegNet row)."""

from __future__ import annotations

from segbench.models.blocks import conv_bn_relu, scaled, upsample_2x
from segbench.models.head import classifier

# Filters per output stride, mirroring VGG-16's stages as SegNet's decoder does.
DECODER_FILTERS = {32: 512, 16: 512, 8: 256, 4: 128, 2: 64}


def upward(deepest: int) -> list[int]:
    """The strides from ``deepest`` up to 2: [32, 16, 8, 4, 2] for an encoder that pools down to 1/32."""
    return [deepest >> shift for shift in range(deepest.bit_length() - 1)]


def segnet(features: dict, num_classes: int, width: float):
    """Conv-BN-ReLU at each stride from the encoder's deepest map up to stride 2, upsampling 2x in between;
    class scores at stride 2."""
    strides = upward(max(features))
    x = features[strides[0]]
    for stage, stride in enumerate(strides, start=1):
        x = conv_bn_relu(x, scaled(DECODER_FILTERS[stride], width), name=f"dec{stage}")
        if stride > 2:
            x = upsample_2x(x, name=f"dec{stage}_up")
    return classifier(x, num_classes)
