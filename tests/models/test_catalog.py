import keras
import pytest
from keras import layers

from segbench.errors import ConfigError
from segbench.models import catalog, listing
from segbench.models.base import ModelBuilder
from segbench.models.catalog import bundled, count_macs, describe, figures, render_summary
from segbench.models.listing import list_models, render_list, tabled
from segbench.registry import MODELS, Registry

PAPER_ROWS = ["segnet", "vgg_unet", "resnet50_unet", "mobilenet_unet", "resnet50_pspnet", "pspnet_50"]
REQUIRED = PAPER_ROWS + ["vgg_segnet", "resnet50_segnet", "mobilenet_segnet", "fcn_8_vgg", "fcn_32_vgg",
                         "fcn_8_resnet50", "fcn_8_mobilenet", "unet"]


def test_the_required_names_are_registered():
    assert set(REQUIRED) <= set(MODELS.names())


def test_the_table_holds_every_bundled_model_as_built():
    """The figures ``models list`` reads are those of the models built now: each bundled model is built here once, at
    its own size (scripts/model_catalog.py writes the table)."""
    built = {name: figures(name) for name in bundled()}
    table = {row["name"]: row for row in tabled()}
    rerun = "rerun scripts/model_catalog.py"
    assert sorted(table) == sorted(built), (f"registered, not in the table: {sorted(set(built) - set(table))}; in the "
                                            f"table, not registered: {sorted(set(table) - set(built))}; {rerun}")
    for name, row in built.items():
        assert table[name] == row, f"{name}: the table holds {table[name]}, the model built {row}; {rerun}"
    assert [row["name"] for row in tabled()] == sorted(table)
    assert built["vgg_unet"]["encoder"] == "vgg" and built["vgg_unet"]["decoder"] == "unet"
    assert built["fcn_8_resnet50"]["encoder"] == "resnet50" and built["fcn_8_resnet50"]["decoder"] == "fcn_8"
    assert built["segnet"]["encoder"] == "plain" and built["segnet"]["input_size"] == [224, 224]
    assert built["mobilenet_unet"]["encoder_parameters"] == 3_228_864
    assert built["pspnet_50"]["num_classes"] == 150 and built["pspnet_50"]["input_size"] == [473, 473]
    for row in built.values():
        assert row["encoder_parameters"] < row["parameters"] and row["macs"] > 0


def test_with_nothing_registered_and_no_plugin_installed_the_table_is_the_list(monkeypatch):
    """The registry is not asked (its module does not exist: importing it would fail), so Keras need not load."""
    monkeypatch.setattr(listing, "MODELS", Registry("model", ("no_such_module_here",), group="no.such.group"))
    assert list_models() == tabled()


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
    """A registry of the test's own in place of MODELS, for the catalog and the listing."""
    registry = Registry("model")
    monkeypatch.setattr(catalog, "MODELS", registry)
    monkeypatch.setattr(listing, "MODELS", registry)
    return registry


def test_any_builder_that_keeps_the_contract_is_listed_and_described(local_models):
    local_models.register("tiny")(tiny)  # no options: the keys every model takes
    local_models.register("tiny_described")(TinyEncoderDecoder())
    assert all(isinstance(local_models.get(name), ModelBuilder) for name in local_models.names())
    # Registered at run time, so not in the table: built to be listed, in name order among the table's models.
    rows = list_models()
    listed = {row["name"]: row for row in rows}
    assert [row["name"] for row in rows] == sorted([*(row["name"] for row in tabled()), "tiny", "tiny_described"])
    pixels = 224 * 224
    assert listed["tiny"] == {"name": "tiny", "encoder": None, "decoder": None, "input_size": [224, 224],
                              "num_classes": 3, "output_strides": None, "parameters": 27 * 3 + 3,
                              "encoder_parameters": None, "macs": pixels * 3 * 27}
    assert listed["tiny_described"] == {"name": "tiny_described", "encoder": "tiny", "decoder": "conv1x1",
                                        "input_size": [224, 224], "num_classes": 2, "output_strides": None,
                                        "parameters": 27 * 4 + 4 + 4 * 2 + 2, "encoder_parameters": 27 * 4 + 4,
                                        "macs": pixels * (4 * 27 + 2 * 4)}
    cells = [cell.strip() for cell in render_list([listed["tiny"]]).splitlines()[2].split("|")[1:-1]]
    assert cells == ["tiny", "-", "-", "3", "224x224", "-", "0.00", "-", "0.00"]

    summary = describe("tiny", [16, 24], 5)
    assert summary["output_shape"] == [16, 24, 5] and summary["encoder_parameters"] is None
    assert summary["macs"] == 16 * 24 * 5 * 27
    assert render_summary(summary).splitlines()[0] == "tiny"
    assert render_summary(summary).splitlines()[3] == "parameters   140"
    described = render_summary(describe("tiny_described", [16, 24]))
    assert described.splitlines()[0] == "tiny_described: tiny encoder, conv1x1 decoder"
    assert "(112 in the encoder)" in described
