import keras
import pytest
from keras import layers

from segbench.errors import ConfigError
from segbench.models import catalog
from segbench.models.base import ModelBuilder
from segbench.models.catalog import count_macs, describe, list_models, render_list, render_summary
from segbench.registry import MODELS, Registry

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


def tiny(config, num_classes: int) -> keras.Model:
    """A builder outside the grid that keeps only the contract: one 3x3 convolution."""
    image = keras.Input((*config.input_size, 3), dtype="uint8")
    return keras.Model(image, layers.Conv2D(num_classes, 3, padding="same")(layers.Rescaling(1 / 255)(image)))


tiny.default_classes = 3


class TinyEncoderDecoder:
    """One that also describes itself: a 3x3 "encoder" of 4 filters under a 1x1 "decoder"."""

    default_classes = 2
    encoder_name, decoder_name, encoder_output_layer = "tiny", "conv1x1", "features"

    def __call__(self, config, num_classes: int) -> keras.Model:
        image = keras.Input((*config.input_size, 3), dtype="uint8")
        features = layers.Conv2D(4, 3, padding="same", name="features")(layers.Rescaling(1 / 255)(image))
        return keras.Model(image, layers.Conv2D(num_classes, 1)(features))


@pytest.fixture
def local_models(monkeypatch):
    """A registry of the test's own in place of MODELS, for the catalog."""
    registry = Registry("model")
    monkeypatch.setattr(catalog, "MODELS", registry)
    return registry


def test_any_builder_that_keeps_the_contract_is_listed_and_described(local_models):
    local_models.register("tiny")(tiny)  # no options: the keys every model takes
    local_models.register("tiny_described")(TinyEncoderDecoder())
    assert all(isinstance(local_models.get(name), ModelBuilder) for name in local_models.names())
    rows = list_models()
    assert rows == [
        {"name": "tiny", "encoder": None, "decoder": None, "num_classes": 3, "parameters": 27 * 3 + 3,
         "encoder_parameters": None},
        {"name": "tiny_described", "encoder": "tiny", "decoder": "conv1x1", "num_classes": 2,
         "parameters": 27 * 4 + 4 + 4 * 2 + 2, "encoder_parameters": 27 * 4 + 4}]
    cells = [cell.strip() for cell in render_list(rows).splitlines()[2].split("|")[1:-1]]
    assert cells == ["tiny", "-", "-", "3", "0.00", "-"]

    summary = describe("tiny", [16, 24], 5)
    assert summary["output_shape"] == [16, 24, 5] and summary["encoder_parameters"] is None
    assert summary["macs"] == 16 * 24 * 5 * 27
    assert render_summary(summary).splitlines()[0] == "tiny"
    assert render_summary(summary).splitlines()[3] == "parameters   140"
    described = render_summary(describe("tiny_described", [16, 24]))
    assert described.splitlines()[0] == "tiny_described: tiny encoder, conv1x1 decoder"
    assert "(112 in the encoder)" in described
