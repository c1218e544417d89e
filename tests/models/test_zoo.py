"""Every registered model, built small: logits at the input size, training, encoders, sizes, encoder weights."""

import math
from pathlib import Path

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from segbench.errors import ConfigError
from segbench.models.catalog import describe, encoder_parameters
from segbench.precision import policy
from segbench.registry import MODELS

SMOKE = Path(__file__).resolve().parents[2] / "configs" / "smoke" / "segnet.yaml"
SIZE = [64, 96]
CLASSES = 5
# keras.applications' own counts with include_top=False; the published figures are 14.7 M, 23.6 M and 3.2 M.
APPLICATIONS = {"vgg": (keras.applications.VGG16, 14_714_688), "resnet50": (keras.applications.ResNet50, 23_587_712),
                "mobilenet": (keras.applications.MobileNet, 3_228_864)}
IMAGENET_FILES = {"vgg": "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "resnet50": "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "mobilenet": "mobilenet/mobilenet_1_0_224_tf_no_top.h5"}
PRETRAINED = [name for name in MODELS.names() if MODELS.get(name).encoder_name in APPLICATIONS]
BACKEND = keras.backend.backend()
# Training is checked on every model on TensorFlow (`make test`); on JAX and torch (`make test-jax`, `make
# test-torch`) on one model per encoder and per decoder, so that every kind of layer has its gradients taken on every
# backend, while every model is still built and run there. The other pairings add no layer of their own, and on JAX
# they cost about ten minutes of CI.
EVERY_LAYER_KIND = ("segnet", "fcn_8_vgg", "fcn_32_vgg", "mobilenet_unet", "resnet50_pspnet", "mobilenet_deeplabv3plus",
                    "segformer_b0")
TRAINED = MODELS.names() if BACKEND == "tensorflow" else EVERY_LAYER_KIND
# Encoders with no kind of layer of their own: a deeper MiT, ResNet50 with dilated 3x3s (dilation is trained on
# every backend in DeepLabV3+'s stride-16 MobileNet).
SAME_LAYERS = {"mit_b2": "mit_b0", "resnet50_dilated": "resnet50"}


@pytest.fixture(scope="module")
def small_model(build_model):
    """Each model built once for this module, at SIZE and with slim decoders (width 0.25)."""
    cache = {}

    def get(name: str) -> keras.Model:
        if name not in cache:
            keras.utils.set_random_seed(0)
            cache[name] = build_model(name, CLASSES, input_size=SIZE, width=0.25)
        return cache[name]

    return get


def fixed_batch():
    images = np.random.default_rng(0).integers(0, 256, (2, *SIZE, 3), dtype=np.uint8)
    return images, (images[..., 0] // 52).astype("int32")  # a labelling the model can learn


@pytest.mark.parametrize("name", MODELS.names())
def test_logits_at_input_size_and_training_lowers_the_loss(small_model, name):
    model = small_model(name)
    images, labels = fixed_batch()
    logits = model(images, training=False)
    assert tuple(logits.shape) == (2, *SIZE, CLASSES)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    if name not in TRAINED:
        return

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    # Eager steps on TensorFlow and torch: tracing a training step costs more than the few steps here. On JAX it is
    # the other way round (segformer_b0: 89 s eager, 35 s compiled, for five steps).
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss, run_eagerly=BACKEND != "jax")

    def current() -> float:
        return float(keras.ops.convert_to_numpy(loss(labels, model(images, training=True))))

    before = current()
    for _ in range(5):
        model.train_on_batch(images, labels)
    assert current() < before


def test_the_models_trained_on_every_backend_hold_every_encoder_and_decoder():
    def parts(names):
        return ({SAME_LAYERS.get(MODELS.get(n).encoder_name, MODELS.get(n).encoder_name) for n in names},
                {MODELS.get(n).decoder_name for n in names})

    (encoders, decoders), (trained_encoders, trained_decoders) = parts(MODELS.names()), parts(EVERY_LAYER_KIND)
    assert encoders == trained_encoders and decoders == trained_decoders


@pytest.mark.parametrize("encoder", sorted(APPLICATIONS))
def test_encoder_part_is_the_keras_application(small_model, encoder):
    application, published = APPLICATIONS[encoder]
    reference = application(include_top=False, weights=None, input_shape=(*SIZE, 3))
    assert reference.count_params() == published
    for name in PRETRAINED:
        if MODELS.get(name).encoder_name == encoder:
            assert encoder_parameters(small_model(name), name) == published


@pytest.mark.parametrize("name", PRETRAINED)
def test_summary_at_352x480_gives_logits_of_that_size(name):
    summary = describe(name, [352, 480], 12)
    assert summary["output_shape"] == [352, 480, 12]
    assert summary["macs"] > 0


def test_resnet50_pspnet_summary_at_384x480():
    assert describe("resnet50_pspnet", [384, 480], 12)["output_shape"] == [384, 480, 12]


def test_pspnet_pools_adaptively_at_a_multiple_of_32_not_of_192(build_model):
    size = [96, 160]  # a 3x5 map at stride 32: neither 2 nor 6 bins divide it
    model = build_model("mobilenet_pspnet", CLASSES, input_size=size, width=0.25)
    images = np.random.default_rng(1).integers(0, 256, (2, *size, 3), dtype=np.uint8)
    assert tuple(model(images, training=False).shape) == (2, *size, CLASSES)
    probe = keras.Model(model.input, [model.get_layer(name).output for name in
                                      ("conv_pw_13_relu", "conv5_3_pool6", "conv5_3_pool3", "conv5_3_pool2",
                                       "conv5_3_pool1")])
    deepest, *pooled = (keras.ops.convert_to_numpy(out) for out in probe(images, training=False))
    for bins, got in zip((6, 3, 2, 1), pooled):
        np.testing.assert_allclose(got, adaptive_average_pool(deepest, bins), rtol=1e-5, atol=1e-5)


def adaptive_average_pool(x: np.ndarray, bins: int) -> np.ndarray:
    """PyTorch's AdaptiveAvgPool2d, written out: window i spans floor(i*n/bins) to ceil((i+1)*n/bins)."""
    def window(i, n):
        return slice(i * n // bins, math.ceil((i + 1) * n / bins))

    height, width = x.shape[1:3]
    return np.stack([np.stack([x[:, window(i, height), window(j, width)].mean(axis=(1, 2)) for j in range(bins)], 1)
                     for i in range(bins)], 1)


@pytest.mark.parametrize("encoder", sorted(APPLICATIONS))
def test_missing_imagenet_weights_stop_with_one_line(build_model, tmp_path, monkeypatch, encoder):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ConfigError) as error:
        build_model(f"{encoder}_segnet", input_size=SIZE, encoder_weights="imagenet")
    message = str(error.value)
    cached = tmp_path / "models" / IMAGENET_FILES[encoder].split("/")[1]
    assert "\n" not in message
    assert f"needs {cached}," in message
    assert f"place https://storage.googleapis.com/tensorflow/keras-applications/{IMAGENET_FILES[encoder]} there" \
        in message
    assert message.endswith("or set model.encoder_weights: null")


def test_a_run_with_missing_imagenet_weights_exits_2_before_training(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    config = tmp_path / "run.yaml"
    config.write_text(f"base: [{SMOKE}]\n"
                      "model: {name: mobilenet_unet, input_size: [32, 64], encoder_weights: imagenet}\n")
    result = cli("run", config, "--out", tmp_path / "run")
    assert result.returncode == 2
    assert "mobilenet_1_0_224_tf_no_top.h5" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "run" / "history.csv").exists()


def test_an_encoder_weights_path_must_exist(build_model, tmp_path):
    with pytest.raises(ConfigError, match=f"model.encoder_weights: {tmp_path / 'nope.h5'} does not exist"):
        build_model("vgg_unet", input_size=SIZE, encoder_weights=str(tmp_path / "nope.h5"))


@pytest.mark.parametrize("kind", ["not-hdf5", "another-model"])
def test_an_encoder_weights_file_that_is_no_such_encoders_weights_is_one_line(build_model, write_legacy_h5, tmp_path,
                                                                              kind):
    """Another model's weights file there was Keras' traceback of 347 lines; a file of no HDF5 was one line naming
    the run folder, not the file (probe 17b case 20)."""
    given = tmp_path / "w.h5"
    if kind == "not-hdf5":
        given.write_bytes(b"junk" * 100)
    else:
        write_legacy_h5(keras.applications.VGG16(include_top=False, weights=None, input_shape=(*SIZE, 3)), given)
    with pytest.raises(ConfigError, match=rf"^model.encoder_weights: {given}: not weights of keras.applications' "
                                          r"MobileNet without its top \("):
        build_model("mobilenet_segnet", input_size=SIZE, encoder_weights=str(given))

@pytest.mark.parametrize("source", ["imagenet", "path"])
def test_encoder_weights_load_from_keras_cache_or_a_path(build_model, write_legacy_h5, tmp_path, monkeypatch,
                                                         source):
    reference = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(*SIZE, 3))
    cached = tmp_path / "models" / "mobilenet_1_0_224_tf_no_top.h5"
    cached.parent.mkdir()
    write_legacy_h5(reference, cached)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    model = build_model("mobilenet_segnet", input_size=SIZE,
                        encoder_weights="imagenet" if source == "imagenet" else str(cached))
    for name in ("conv1", "conv_dw_13", "conv_pw_13_bn"):
        for got, want in zip(model.get_layer(name).weights, reference.get_layer(name).weights, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want))


def test_imagenet_normalisation_is_the_applications_preprocess_input(build_model):
    images = np.random.default_rng(2).integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    for name, layer, preprocess in (("vgg_segnet", "rgb_to_bgr", keras.applications.vgg16.preprocess_input),
                                    ("resnet50_segnet", "rgb_to_bgr", keras.applications.resnet50.preprocess_input),
                                    ("mobilenet_segnet", "normalize", keras.applications.mobilenet.preprocess_input)):
        model = build_model(name, input_size=[32, 32], width=0.125)
        normalized = keras.Model(model.input, model.get_layer(layer).output)(images)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(normalized), preprocess(images.astype("float32")),
                                   rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", ["vgg_unet", "segnet"])
def test_input_size_must_fit_the_encoder_stride(build_model, name):
    stride = 16 if name == "segnet" else 32
    with pytest.raises(ValidationError, match=f"{name} pools down to 1/{stride}"):
        build_model(name, input_size=[stride * 2 + 8, stride * 2])


@pytest.mark.parametrize("name", ["fcn_8_vgg", "pspnet"])
def test_logits_stay_float32_under_mixed_precision(build_model, name):
    with policy("mixed_float16"):
        model = build_model(name, input_size=SIZE, width=0.125)
    logits = model(np.zeros((1, *SIZE, 3), np.uint8), training=False)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert np.isfinite(keras.ops.convert_to_numpy(logits)).all()
