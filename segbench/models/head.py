"""The ends every model shares: input normalisation, a classifier, and logits that match the input size."""

from __future__ import annotations

import keras
from keras import layers, ops

from segbench.models.blocks import resize_bilinear

# ImageNet's per-channel pixel means, in RGB order.
IMAGENET_MEAN = (123.68, 116.779, 103.939)
# torchvision's ImageNet mean and standard deviation of [0, 1] pixels, RGB, as SegFormer's release and keras-hub's
# SegFormer presets normalise.
TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)


def input_normalization(inputs):
    """uint8 pixels to [-1, 1] (keras.applications' "tf" mode), inside the model so the loader can ship uint8 and
    the device does the maths."""
    return layers.Rescaling(1 / 127.5, offset=-1.0, name="normalize")(inputs)


def mean_subtraction(inputs):
    """uint8 RGB minus the ImageNet mean, as the Caffe-trained PSPNet release expects its input. A Rescaling, not a
    Normalization with a fixed mean (the same values, in float32 and in bfloat16, for every uint8 input): that one
    holds its mean as a tensor the graph captures, which an ONNX export turns into an input the file then needs."""
    return layers.Rescaling(1.0, offset=tuple(-mean for mean in IMAGENET_MEAN), name="normalize")(inputs)


def imagenet_standardization(inputs):
    """uint8 pixels scaled to [0, 1], then standardised per channel with torchvision's ImageNet mean and standard
    deviation; one Rescaling, for the reason ``mean_subtraction`` gives."""
    scale = tuple(1 / (255 * std) for std in TORCHVISION_STD)
    offset = tuple(-mean / std for mean, std in zip(TORCHVISION_MEAN, TORCHVISION_STD))
    return layers.Rescaling(scale, offset=offset, name="normalize")(inputs)


def caffe_normalization(inputs):
    """keras.applications' "caffe" mode (VGG16, ResNet50): the mean subtracted, then RGB to BGR."""
    return ReverseChannels(name="rgb_to_bgr")(mean_subtraction(inputs))


@keras.saving.register_keras_serializable("segbench")
class ReverseChannels(layers.Layer):
    """RGB to BGR. A layer of its own, not a Lambda: a dilated encoder is rebuilt from its layers' configs
    (``segbench.models.dilation``), and a Lambda's function does not come back from its config."""

    def call(self, x):
        return ops.flip(x, axis=-1)


def classifier(x, num_classes: int, name: str = "classifier"):
    """The 1x1 convolution that turns features into class scores."""
    return layers.Conv2D(num_classes, 1, name=name)(x)


def logits_at_input_size(scores, input_size):
    """Class scores resized bilinearly up to ``input_size`` where the decoder stopped short of it.

    The logits stay float32 under mixed precision and carry no softmax: the loss takes logits.
    """
    height, width = input_size
    if tuple(scores.shape[1:3]) != (height, width):
        scores = resize_bilinear(scores, height, width, name="logits_resize")
    return layers.Activation("linear", dtype="float32", name="logits")(scores)
