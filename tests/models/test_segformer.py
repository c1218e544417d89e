"""SegFormer B0 and B2: keras-hub's MiT and decoder, parameter for parameter and output for output, at any size that
is a multiple of 32 (keras-hub's own MiT runs square inputs alone), and its encoder weights from keras-hub."""

import subprocess
import sys

import keras
import keras_hub
import numpy as np
import pytest
from pydantic import ValidationError

from segbench.errors import ConfigError
from segbench.models import mit
from segbench.models.catalog import describe, encoder_parameters
from segbench.precision import policy

SIZE = [64, 96]
CLASSES = 5
# keras-hub's MiTBackbone built from each size's config; SegFormer's paper (Table 1, ADE20K at 512x512, 150
# classes) gives 3.8 M parameters and 8.4 G "FLOPs" (multiply-accumulates, as its counter counts them) for B0,
# 27.5 M and 62.4 G for B2.
ENCODERS = {"segformer_b0": ("mit_b0", 256, 3_319_392), "segformer_b2": ("mit_b2", 768, 24_196_288)}
PAPER = {"segformer_b0": (3.8e6, 8.4e9), "segformer_b2": (27.5e6, 62.4e9)}


def images(size=SIZE, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (2, *size, 3), dtype=np.uint8)


def encoder_maps(model, batch):
    probe = keras.Model(model.input, [model.get_layer(f"output_level_{stage}").output for stage in range(4)])
    return [keras.ops.convert_to_numpy(x) for x in probe(batch, training=False)]


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_parameters_are_those_of_keras_hubs_mit_and_segformer_decoder(build_model, name):
    variant, filters, published = ENCODERS[name]
    model = build_model(name, CLASSES, input_size=SIZE)
    encoder = mit.keras_hub_backbone(variant)
    assert encoder.count_params() == published
    assert encoder_parameters(model, name) == published
    reference = keras_hub.models.SegFormerBackbone(image_encoder=encoder, projection_filters=filters)
    assert model.count_params() == reference.count_params() + (filters + 1) * CLASSES  # and the 1x1 classifier


def test_width_scales_the_decoder_alone(build_model):
    model = build_model("segformer_b0", CLASSES, input_size=SIZE, width=0.25)
    assert model.get_layer("decoder_fuse").filters == 64
    assert encoder_parameters(model, "segformer_b0") == ENCODERS["segformer_b0"][2]


@pytest.mark.parametrize("name", sorted(PAPER))
def test_size_and_cost_at_512x512_are_the_papers(name):
    summary = describe(name, [512, 512], 150)
    parameters, macs = PAPER[name]
    assert summary["output_shape"] == [512, 512, 150]
    assert abs(summary["parameters"] / parameters - 1) < 0.02
    assert abs(summary["macs"] / macs - 1) < 0.005


def test_macs_scale_with_the_pixels_but_for_the_attention():
    """Dense layers and convolutions grow with the pixels; the attention products, with their square."""
    small, large = describe("segformer_b0", [64, 64], 12)["macs"], describe("segformer_b0", [128, 128], 12)["macs"]
    assert 4 * small < large < 4.2 * small


def test_the_encoder_computes_keras_hubs_mit(build_model, tmp_path):
    """On a square input, where keras-hub's own MiT runs, with its weights loaded from its .weights.h5 file."""
    keras.utils.set_random_seed(1)
    reference = mit.keras_hub_backbone("mit_b0", side=64)
    reference.save_weights(tmp_path / "mit_b0.weights.h5")
    model = build_model("segformer_b0", CLASSES, input_size=[64, 64], encoder_weights=str(tmp_path /
                                                                                         "mit_b0.weights.h5"))
    batch = images([64, 64])
    normalized = keras.Model(model.input, model.get_layer("normalize").output)(batch)
    pyramid = keras.Model(reference.inputs, reference.pyramid_outputs)(normalized, training=False)
    for stage, got in enumerate(encoder_maps(model, batch)):
        want = keras.ops.convert_to_numpy(pyramid[f"P{stage + 1}"])
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_it_runs_where_keras_hubs_mit_cannot(build_model):
    """keras-hub 0.32's MiT takes a stage's height and width as the square root of its tokens: 64x96 fails there
    (when built on JAX and PyTorch, when called on TensorFlow). If this starts to pass, segbench.models.mit can
    build keras-hub's MiTBackbone itself."""
    with pytest.raises(Exception):  # noqa: B017  (each backend raises its own kind)
        reference = keras_hub.models.MiTBackbone(**mit.VARIANTS["mit_b0"].keras_hub_config(), image_shape=(*SIZE, 3))
        reference(images().astype("float32"))
    maps = encoder_maps(build_model("segformer_b0", CLASSES, input_size=SIZE), images())
    assert [m.shape[1:] for m in maps] == [(16, 24, 32), (8, 12, 64), (4, 6, 160), (2, 3, 256)]
    assert all(np.isfinite(m).all() for m in maps)


def test_a_preset_folder_loads_into_a_model_of_another_size(build_model, tmp_path):
    keras.utils.set_random_seed(2)
    reference = mit.keras_hub_backbone("mit_b0")
    reference.save_to_preset(str(tmp_path / "preset"))
    model = build_model("segformer_b0", CLASSES, input_size=SIZE, encoder_weights=str(tmp_path / "preset"))
    for ours, theirs in (("patch_and_embed_0", "patch_and_embed_0"), ("hierarchical_encoder_3_1",
                                                                       "hierarchical_encoder_3_1")):
        for got, want in zip(model.get_layer(ours).weights, reference.get_layer(theirs).weights, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want))
    with pytest.raises(ConfigError, match=r"is a MiT of hidden_dims \[32, 64, 160, 256\] and depths \[2, 2, 2, 2\], "
                                          r"not mit_b2"):
        build_model("segformer_b2", CLASSES, input_size=SIZE, encoder_weights=str(tmp_path / "preset"))


@pytest.mark.parametrize(("weights", "preset"), [("ade20k", "mit_b0_ade20k_512"), ("cityscapes", "mit_b0_cityscapes_1024")])
def test_a_preset_that_cannot_be_downloaded_stops_with_one_line(build_model, monkeypatch, weights, preset):
    asked = []

    def offline(cls, handle, **kwargs):
        asked.append(handle)
        raise OSError("HTTPSConnectionPool(host='api.kaggle.com', port=443): Max retries exceeded\n(more lines)")

    monkeypatch.setattr(mit.MiTBackbone, "from_preset", classmethod(offline))
    with pytest.raises(ConfigError) as error:
        build_model("segformer_b0", CLASSES, input_size=SIZE, encoder_weights=weights)
    message = str(error.value)
    assert asked == [preset]
    assert "\n" not in message
    assert message.startswith(f"model.encoder_weights: {weights}: keras-hub could not load its preset {preset} "
                              "(HTTPSConnectionPool(host='api.kaggle.com', port=443): Max retries exceeded)")
    assert message.endswith("give the preset's folder instead, or set model.encoder_weights: null")


def test_imagenet_is_refused_with_the_reason(build_model):
    with pytest.raises(ValidationError, match="segformer_b0: keras-hub publishes no ImageNet-only MiT weights"):
        build_model("segformer_b0", input_size=SIZE, encoder_weights="imagenet")


def test_an_encoder_weights_path_must_exist(build_model, tmp_path):
    with pytest.raises(ConfigError, match=f"^model.encoder_weights: {tmp_path / 'nope'} does not exist "):
        build_model("segformer_b0", input_size=SIZE, encoder_weights=str(tmp_path / "nope"))


def test_input_size_must_be_a_multiple_of_32(build_model):
    with pytest.raises(ValidationError, match="segformer_b2 pools down to 1/32: height and width must be multiples "
                                              "of 32"):
        build_model("segformer_b2", input_size=[64, 80])


def test_normalisation_is_imagenets_mean_and_std_of_unit_pixels(build_model):
    model = build_model("segformer_b0", input_size=SIZE, width=0.25)
    batch = images()
    normalized = keras.ops.convert_to_numpy(keras.Model(model.input, model.get_layer("normalize").output)(batch))
    expected = (batch / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(normalized, expected, rtol=1e-5, atol=1e-5)


def test_logits_stay_float32_and_finite_under_mixed_precision(build_model):
    with policy("mixed_float16"):
        model = build_model("segformer_b0", CLASSES, input_size=SIZE, width=0.25)
    logits = model(images(), training=False)
    assert tuple(logits.shape) == (2, *SIZE, CLASSES)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert np.isfinite(keras.ops.convert_to_numpy(logits)).all()


def test_registering_the_models_does_not_import_keras_hub():
    code = ("import sys; from segbench.registry import MODELS; "
            "assert {'segformer_b0', 'segformer_b2'} <= set(MODELS.names()); "
            "assert MODELS.get('segformer_b0').encoder_name == 'mit_b0'; "
            "print(sorted(name for name in sys.modules if name.startswith(('keras_hub', 'segbench.models.mit'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
