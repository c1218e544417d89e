"""pspnet_50 follows the converted ADE20K release (/work/shared/models/pspnet50_ade20k.md) layer for layer."""

import keras
import numpy as np
import pytest

from segbench.errors import ConfigError
from segbench.models.catalog import describe

# (layer, kernel shape, strides, dilation), from the release's description.
KERNELS = [
    ("conv1_1_3x3_s2", (3, 3, 3, 64), 2, 1),
    ("conv1_2_3x3", (3, 3, 64, 64), 1, 1),
    ("conv1_3_3x3", (3, 3, 64, 128), 1, 1),
    ("conv2_1_1x1_proj", (1, 1, 128, 256), 1, 1),
    ("conv2_1_1x1_reduce", (1, 1, 128, 64), 1, 1),
    ("conv2_3_1x1_increase", (1, 1, 64, 256), 1, 1),
    ("conv3_1_1x1_reduce", (1, 1, 256, 128), 2, 1),
    ("conv3_1_1x1_proj", (1, 1, 256, 512), 2, 1),
    ("conv3_4_3x3", (3, 3, 128, 128), 1, 1),
    ("conv4_1_1x1_proj", (1, 1, 512, 1024), 1, 1),
    ("conv4_6_3x3", (3, 3, 256, 256), 1, 2),
    ("conv5_1_1x1_proj", (1, 1, 1024, 2048), 1, 1),
    ("conv5_3_3x3", (3, 3, 512, 512), 1, 4),
    ("conv5_3_1x1_increase", (1, 1, 512, 2048), 1, 1),
    ("conv5_3_pool6_conv", (1, 1, 2048, 512), 1, 1),
    ("conv5_3_pool1_conv", (1, 1, 2048, 512), 1, 1),
    ("conv5_4", (3, 3, 4096, 512), 1, 1),
    ("conv6", (1, 1, 512, 150), 1, 1),
]


@pytest.fixture(scope="module")
def release(build_model):
    return build_model("pspnet_50", 150, input_size=[64, 96])


@pytest.mark.parametrize("name, kernel, strides, dilation", KERNELS)
def test_layer_names_and_kernels_follow_the_release(release, name, kernel, strides, dilation):
    layer = release.get_layer(name)
    assert tuple(layer.kernel.shape) == kernel
    assert layer.strides == (strides, strides) and layer.dilation_rate == (dilation, dilation)
    assert layer.use_bias == (name == "conv6")
    if name != "conv6":
        bn = release.get_layer(f"{name}_bn")
        assert (bn.momentum, bn.epsilon) == (0.95, 1e-5)


def test_stages_have_the_release_block_counts(release):
    names = {layer.name for layer in release.layers}
    for stage, blocks in ((2, 3), (3, 4), (4, 6), (5, 3)):
        assert f"conv{stage}_{blocks}_3x3" in names and f"conv{stage}_{blocks + 1}_3x3" not in names


def test_pyramid_concatenation_order(release):
    concat = release.get_layer("conv5_3_concat")
    sources = [tensor._keras_history.operation.name for tensor in concat.input]
    assert sources == ["conv5_3_relu", "conv5_3_pool6_interp", "conv5_3_pool3_interp", "conv5_3_pool2_interp",
                       "conv5_3_pool1_interp"]


def test_output_stride_8_at_473_and_150_classes_by_default(build_model):
    assert tuple(build_model("pspnet_50").get_layer("conv5_3_relu").output.shape[1:3]) == (60, 60)
    summary = describe("pspnet_50")
    assert summary["input_size"] == [473, 473] and summary["output_shape"] == [473, 473, 150]


def test_release_weights_load_by_name_and_another_class_count_keeps_all_but_conv6(build_model, write_legacy_h5,
                                                                                   tmp_path):
    keras.utils.set_random_seed(1)
    source = build_model("pspnet_50", 7, input_size=[32, 32], width=0.25)
    path = write_legacy_h5(source, tmp_path / "pspnet50_ade20k.h5")
    keras.utils.set_random_seed(2)
    target = build_model("pspnet_50", 5, input_size=[48, 64], width=0.25, weights=str(path))
    for layer in source.layers:
        for got, want in zip(target.get_layer(layer.name).weights, layer.weights, strict=True):
            same = np.array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want))
            assert same == (layer.name != "conv6"), layer.name


def test_release_weights_must_exist(build_model, tmp_path):
    with pytest.raises(ConfigError, match=f"model.weights: {tmp_path / 'nope.h5'} does not exist"):
        build_model("pspnet_50", input_size=[32, 32], weights=str(tmp_path / "nope.h5"))
