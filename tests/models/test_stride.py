"""Output stride as an encoder capability: strides traded for dilation on the weights' own layers, feature maps that
cannot come from another call of a layer, and explicit pairing of encoders and decoders."""

import keras
import numpy as np
import pytest
from keras import layers
from pydantic import ValidationError

from segbench.errors import ConfigError
from segbench.models.catalog import describe, render_summary
from segbench.models.dilation import dilate, plan
from segbench.models.encoders import Encoder, EncoderDecoderConfig
from segbench.models.grid import DECODERS, Decoder, EncoderDecoder, register
from segbench.models.listing import render_list, tabled
from segbench.registry import ENCODERS, MODELS

SIZE = [64, 96]


def test_the_plan_strides_no_more_and_dilates_each_stage_past_the_output_stride():
    resnet = ENCODERS.get("resnet50").stages
    at16 = plan(resnet, 16)
    assert at16["conv5_block1_0_conv"] == at16["conv5_block1_1_conv"] == {"strides": (1, 1)}
    # Keras' ResNet50 strides in the 1x1s: every 3x3 of the stage reads the finer map
    assert at16["conv5_block1_2_conv"] == at16["conv5_block3_2_conv"] == {"dilation_rate": (2, 2)}
    assert not any(name.startswith("conv4") for name in at16)
    at8 = plan(resnet, 8)
    assert at8["conv4_block1_1_conv"] == {"strides": (1, 1)} and at8["conv4_block6_2_conv"] == {"dilation_rate": (2, 2)}
    assert at8["conv5_block1_2_conv"] == at8["conv5_block3_2_conv"] == {"dilation_rate": (4, 4)}
    assert plan(resnet, 32) == {}
    mobilenet = plan(ENCODERS.get("mobilenet").stages, 8)
    # MobileNet strides in the 3x3 itself, which keeps the rate of the map it reads, and its one-sided padding
    assert mobilenet["conv_dw_12"] == {"strides": (1, 1), "dilation_rate": (2, 2)}
    assert mobilenet["conv_pad_12"] == {"padding": ((0, 4), (0, 4))}
    assert mobilenet["conv_dw_13"] == {"dilation_rate": (4, 4)}


@pytest.mark.parametrize(("encoder", "strides"), [("resnet50", (32, 16, 8)), ("mobilenet", (32, 16, 8)),
                                                  ("vgg", (32,)), ("plain", (16,)), ("resnet50_dilated", (8,))])
def test_each_encoder_says_the_output_strides_it_reaches(encoder, strides):
    assert ENCODERS.get(encoder).output_strides == strides


@pytest.mark.parametrize("output_stride", [16, 8])
@pytest.mark.parametrize("name", ["resnet50_deeplabv3plus", "mobilenet_deeplabv3plus", "resnet50_unet"])
def test_every_feature_map_is_truly_at_its_stride(build_model, name, output_stride):
    model = build_model(name, input_size=SIZE, width=0.125, output_stride=output_stride)
    encoder = MODELS.get(name).encoder
    deepest = model.get_layer(encoder.output_layer).output
    assert tuple(deepest.shape[1:3]) == (SIZE[0] // output_stride, SIZE[1] // output_stride)
    images = np.random.default_rng(0).integers(0, 256, (1, *SIZE, 3), dtype=np.uint8)
    maps = keras.Model(model.input, [model.get_layer(layer).output
                                     for layer in encoder.feature_layers_at(output_stride).values()])(images)
    for stride, value in zip(encoder.feature_layers_at(output_stride), maps, strict=True):
        assert tuple(value.shape[1:3]) == (SIZE[0] // stride, SIZE[1] // stride)  # computed, not only declared
        assert stride <= output_stride


def test_dilation_keeps_the_pretrained_weights(build_model, write_legacy_h5, tmp_path, monkeypatch):
    reference = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(*SIZE, 3))
    cached = tmp_path / "models" / "mobilenet_1_0_224_tf_no_top.h5"
    cached.parent.mkdir()
    write_legacy_h5(reference, cached)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    model = build_model("mobilenet_deeplabv3plus", input_size=SIZE, width=0.125, encoder_weights="imagenet",
                        output_stride=8)
    assert model.get_layer("conv_dw_12").strides == (1, 1) and model.get_layer("conv_dw_13").dilation_rate == (4, 4)
    for name in ("conv1", "conv_dw_12", "conv_dw_13", "conv_pw_13_bn"):
        for got, want in zip(model.get_layer(name).weights, reference.get_layer(name).weights, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want))


APPLICATIONS = {"resnet50": (keras.applications.ResNet50, "conv5_block3_out"),
                "mobilenet": (keras.applications.MobileNet, "conv_pw_13_relu")}


@pytest.mark.parametrize("output_stride", [16, 8])
@pytest.mark.parametrize("encoder", sorted(APPLICATIONS))
def test_the_dilated_backbone_is_the_strided_one_on_a_finer_grid(encoder, output_stride):
    """Every layer samples the positions it sampled before, with the same kernel: the dilated deepest map, taken at
    every (32 / output stride)-th position, is the strided backbone's map, borders included."""
    keras.utils.set_random_seed(0)
    application, deepest = APPLICATIONS[encoder]
    image = keras.Input((*SIZE, 3))
    strided = application(include_top=False, weights=None, input_tensor=image)
    dilated = dilate(strided, plan(ENCODERS.get(encoder).stages, output_stride))
    x = np.random.default_rng(1).normal(size=(2, *SIZE, 3)).astype("float32")
    want = keras.ops.convert_to_numpy(strided(x))
    got = keras.ops.convert_to_numpy(keras.Model(image, dilated.get_layer(deepest).output)(x))
    step = 32 // output_stride
    assert got.shape[1:3] == (SIZE[0] // output_stride, SIZE[1] // output_stride)
    np.testing.assert_allclose(got[:, ::step, ::step], want, rtol=1e-4, atol=1e-4)


def test_dilate_refuses_a_layer_the_backbone_lacks():
    image = keras.Input((8, 8, 3))
    backbone = keras.Model(image, layers.Conv2D(2, 3, strides=2, name="c")(image))
    with pytest.raises(ValueError, match=r"has no layers \['nope'\] to dilate"):
        dilate(backbone, {"nope": {"strides": (1, 1)}})


def shared_layer_backbone(image, config):
    """A backbone whose layer ``shared`` runs twice: once at full size, then again at stride 2."""
    x = layers.Rescaling(1 / 255, name="normalize")(image)
    shared = layers.Conv2D(8, 3, padding="same", name="shared")
    x = layers.MaxPooling2D(2, name="pool2")(shared(layers.Conv2D(8, 1, name="widen")(x)))
    x = layers.MaxPooling2D(2, name="pool4")(shared(x))
    return keras.Model(image, x, name="shared_backbone")


def test_a_feature_layer_called_twice_is_refused_not_read_from_its_first_call():
    """Keras' ``layer.output`` is the first call's: the full-size map, offered as the stride-2 one. The pitfall a
    contributor met (a stride-32 model trained as stride 16); the encoder refuses the layer instead."""
    image = keras.Input((*SIZE, 3), dtype="uint8")
    backbone = shared_layer_backbone(image, None)
    assert tuple(backbone.get_layer("shared").output.shape[1:3]) == tuple(SIZE)  # the trap
    encoder = Encoder(shared_layer_backbone, {2: "shared", 4: "pool4"})
    config = EncoderDecoderConfig.model_validate({"name": "x", "input_size": SIZE, "output_stride": 32})
    with pytest.raises(ValueError, match="layer 'shared', named as a feature map, is called 2 times"):
        encoder(keras.Input((*SIZE, 3), dtype="uint8"), config)


def test_a_map_not_at_its_declared_stride_stops_the_build():
    class Config(EncoderDecoderConfig):
        output_strides = (4,)

    encoder = Encoder(shared_layer_backbone, {2: "widen", 4: "pool4"})  # widen is at stride 1
    builder = EncoderDecoder("shared", encoder, DECODERS["unet"])
    with pytest.raises(ValueError, match=r"encoder shared: its map for stride 2 is \(64, 96\), not \(32, 48\)"):
        builder(Config.model_validate({"name": "x", "input_size": SIZE}), 3)


def test_decoders_name_their_encoders_and_strides():
    names = set(MODELS.names())
    assert {"resnet50_deeplabv3plus", "mobilenet_deeplabv3plus"} <= names
    assert "vgg_deeplabv3plus" not in names and "plain_deeplabv3plus" not in names and "deeplabv3plus" not in names
    assert not any(name.startswith("resnet50_dilated") for name in names)  # PSPNet-50's encoder pairs with no decoder
    assert MODELS.options("resnet50_deeplabv3plus").output_strides == (16, 8)
    assert MODELS.options("resnet50_unet").output_strides == (32, 16, 8)
    assert MODELS.options("fcn_8_resnet50").output_strides == (32,)  # it reads the stride-32 and 16 maps
    assert MODELS.options("pspnet_50").output_strides == (8,)
    with pytest.raises(ValueError, match="decoder deeplabv3plus cannot run on encoder vgg"):
        register("vgg", DECODERS["deeplabv3plus"], name="never_registered")
    assert "never_registered" not in MODELS.names()


def test_a_plugin_decoder_pairs_with_an_encoder_by_name():
    def head(features, num_classes, width):
        return layers.Conv2D(num_classes, 1, name="plugin_head")(features[max(features)])

    register("mobilenet", Decoder("plugin_head", head), name="test_plugin_head")
    try:
        config = MODELS.options("test_plugin_head").model_validate({"name": "test_plugin_head", "input_size": SIZE,
                                                                    "output_stride": 16})
        model = MODELS.get("test_plugin_head")(config, 3)
        assert tuple(model.output.shape[1:]) == (*SIZE, 3)
        assert tuple(model.get_layer("plugin_head").output.shape[1:3]) == (SIZE[0] // 16, SIZE[1] // 16)
    finally:
        MODELS._entries.pop("test_plugin_head", None)


def test_deeplab_rates_follow_the_output_stride(build_model):
    for output_stride, rates in ((16, (6, 12, 18)), (8, (12, 24, 36))):
        model = build_model("resnet50_deeplabv3plus", input_size=SIZE, width=0.125, output_stride=output_stride)
        assert tuple(model.get_layer(f"aspp{i}_conv").dilation_rate[0] for i in (1, 2, 3)) == rates
        assert tuple(model.get_layer("decoder_concat").output.shape[1:3]) == (SIZE[0] // 4, SIZE[1] // 4)


@pytest.mark.parametrize(("keys", "message"), [
    ({"output_stride": 32}, "resnet50_deeplabv3plus runs at output stride 16 or 8"),
    ({"input_size": [72, 96]}, "pools down to 1/16: height and width must be multiples of 16"),
])
def test_stride_and_size_are_checked_together(keys, message):
    options = MODELS.options("resnet50_deeplabv3plus")
    with pytest.raises(ValidationError, match=message):
        options.model_validate({"name": "resnet50_deeplabv3plus", **keys})
    assert options.model_validate({"name": "resnet50_deeplabv3plus", "input_size": [72, 96],
                                   "output_stride": 8}).output_stride == 8
    assert options.model_validate({"name": "resnet50_deeplabv3plus"}).output_stride == 16  # the default, resolved


def test_summary_and_list_give_each_output_stride():
    at16, at8 = (describe("mobilenet_deeplabv3plus", SIZE, 5, stride) for stride in (16, 8))
    assert (at16["output_stride"], at8["output_stride"]) == (16, 8) and at8["output_strides"] == [16, 8]
    assert at8["parameters"] == at16["parameters"] and at8["macs"] > at16["macs"]  # the same kernels, more positions
    with pytest.raises(ConfigError, match="^vgg_unet at output stride 8: vgg_unet runs at output stride 32"):
        describe("vgg_unet", output_stride=8)
    row = next(row for row in tabled() if row["name"] == "resnet50_deeplabv3plus")
    assert row["output_strides"] == [16, 8]
    assert "| 16, 8 " in render_list([row]).splitlines()[2]


def test_the_summary_names_the_stride_and_the_others_the_model_runs_at():
    lines = render_summary(describe("mobilenet_deeplabv3plus", SIZE, 5, 8)).splitlines()
    assert lines[3] == "stride       8 (runs at 16 or 8)"
    assert "stride       32" in render_summary(describe("vgg_unet", SIZE, 5)).splitlines()  # one stride: no list
