import keras
import pytest
from keras import layers

from segbench.errors import ConfigError
from segbench.models.catalog import count_macs, describe, list_models
from segbench.registry import MODELS

PAPER_ROWS = ["segnet", "vgg_unet", "resnet50_unet", "mobilenet_unet", "resnet50_pspnet", "pspnet_50"]
REQUIRED = PAPER_ROWS + ["vgg_segnet", "resnet50_segnet", "mobilenet_segnet", "fcn_8_vgg", "fcn_32_vgg",
                         "fcn_8_resnet50", "fcn_8_mobilenet", "unet"]


def test_the_required_names_are_registered():
    assert set(REQUIRED) <= set(MODELS.names())


def test_list_models_names_parts_and_parameters():
    rows = {row["name"]: row for row in list_models()}
    assert sorted(rows) == MODELS.names()
    assert rows["vgg_unet"]["encoder"] == "vgg" and rows["vgg_unet"]["decoder"] == "unet"
    assert rows["fcn_8_resnet50"]["encoder"] == "resnet50" and rows["fcn_8_resnet50"]["decoder"] == "fcn_8"
    assert rows["segnet"]["encoder"] == "plain"
    assert rows["mobilenet_unet"]["encoder_parameters"] == 3_228_864
    assert rows["pspnet_50"]["num_classes"] == 150
    for row in rows.values():
        assert row["encoder_parameters"] < row["parameters"]


def test_describe_counts_parameters_and_multiply_accumulates():
    summary = describe("segnet", [32, 48], 7)
    assert summary["output_shape"] == [32, 48, 7] and summary["input_size"] == [32, 48]
    assert summary["parameters"] > summary["encoder_parameters"] > 0
    assert describe("segnet", [64, 96], 7)["macs"] == 4 * summary["macs"]


def test_a_size_the_encoder_rejects_is_one_line():
    with pytest.raises(ConfigError, match=r"^vgg_unet at input size 100x96: vgg_unet pools down to 1/32: "):
        describe("vgg_unet", [100, 96])


def test_macs_are_counted_per_layer_kind():
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)  # 8x8x8 outputs, 3x3x3 each
    x = layers.Conv2D(8, 3, dilation_rate=2, padding="same", groups=2)(x)  # 8x8x8, 3x3x4 each
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)  # 8x8x16, 3x3 each
    x = layers.Conv2DTranspose(4, 2, strides=2)(x)  # 8x8 inputs of 16, 2x2x4 each
    x = layers.Dense(5)(x)  # 16x16 positions, 4x5
    x = layers.BatchNormalization()(layers.MaxPooling2D()(x))  # not counted
    expected = 8 * 8 * 8 * 27 + 8 * 8 * 8 * 36 + 8 * 8 * 16 * 9 + 8 * 8 * 16 * 16 + 16 * 16 * 20
    assert count_macs(keras.Model(inputs, x)) == expected
