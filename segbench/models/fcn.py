"""FCN's decoders: class scores from the stride-32 map (FCN-32s), refined with the stride-16 and stride-8 maps
(FCN-8s); the head's bilinear resize is the final, fixed upsampling, as in the paper.

The paper's fc6/fc7 are VGG-16's classifier turned into 7x7 and 1x1 convolutions with 4096 filters. keras.applications
drops that classifier, so they would start untrained here anyway, and on ResNet-50's 2048 channels a 7x7x4096 kernel
alone is 411 M parameters: fc6/fc7 here are a 3x3 and a 1x1 Conv-BN-ReLU with ``FC_FILTERS`` filters.
"""

from __future__ import annotations

from keras import layers

from segbench.models.blocks import conv_bn_relu, scaled
from segbench.models.head import classifier

FC_FILTERS = 1024


def fcn_32(features: dict, num_classes: int, width: float):
    """fc6, fc7 and class scores at stride 32."""
    x = conv_bn_relu(features[32], scaled(FC_FILTERS, width), name="fc6")
    x = conv_bn_relu(x, scaled(FC_FILTERS, width), name="fc7", kernel_size=1)
    return classifier(x, num_classes, name="score32")


def fcn_8(features: dict, num_classes: int, width: float):
    """FCN-32's scores upsampled 2x by a learned transposed convolution and added to scores from the stride-16 map,
    then likewise with the stride-8 map; class scores at stride 8."""
    x = fcn_32(features, num_classes, width)
    for stride in (16, 8):
        x = layers.Conv2DTranspose(num_classes, 4, strides=2, padding="same", use_bias=False, name=f"up{stride}")(x)
        x = layers.Add(name=f"fuse{stride}")([x, classifier(features[stride], num_classes, name=f"score{stride}")])
    return x
