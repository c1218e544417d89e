import h5py
import keras
import numpy as np
import pytest
from keras import layers

from segbench.errors import ConfigError
from segbench.models.weights import load_legacy_h5


def small(seed: int, filters: int = 4, classes: int = 5, bn: bool = True) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(filters, 3, use_bias=False, name="conv1")(x)
    if bn:
        x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    return keras.Model(inputs, layers.Conv2D(classes, 1, name="conv6")(x))


def values(model: keras.Model, name: str) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(w) for w in model.get_layer(name).weights]


def assert_same(a: keras.Model, b: keras.Model, name: str) -> None:
    for x, y in zip(values(a, name), values(b, name), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("layout", [{}, {"full_model": True}, {"split_names": True}])
def test_weights_land_in_the_layers_of_the_same_name(tmp_path, write_legacy_h5, layout):
    source = small(seed=1)
    source.get_layer("conv1_bn").moving_mean.assign(np.arange(4, dtype="float32"))  # not just the initial zeros
    target = small(seed=2)
    assert load_legacy_h5(target, write_legacy_h5(source, tmp_path / "w.h5", **layout)) == []
    for name in ("conv1", "conv1_bn", "conv6"):
        assert_same(source, target, name)


def test_a_shape_mismatch_names_the_layer_and_sets_nothing(tmp_path, write_legacy_h5):
    path = write_legacy_h5(small(seed=1, filters=6), tmp_path / "w.h5")
    target = small(seed=2)
    before = values(target, "conv6")
    with pytest.raises(ConfigError, match=r"has weights of shapes \[\(3, 3, 3, 6\)\] for layer 'conv1', "
                                          r"but \w+'s are \[\(3, 3, 3, 4\)\]"):
        load_legacy_h5(target, path)
    np.testing.assert_array_equal(values(target, "conv6")[0], before[0])


def test_a_layer_missing_from_the_file_is_reported(tmp_path, write_legacy_h5):
    path = write_legacy_h5(small(seed=1, bn=False), tmp_path / "w.h5")
    with pytest.raises(ConfigError, match=r"has no weights for layer conv1_bn of"):
        load_legacy_h5(small(seed=2), path)


def test_a_loose_classifier_of_another_class_count_keeps_its_initial_weights(tmp_path, write_legacy_h5):
    source, target = small(seed=1, classes=150), small(seed=2)
    initial = values(target, "conv6")
    assert load_legacy_h5(target, write_legacy_h5(source, tmp_path / "w.h5"), loose=("conv6",)) == ["conv6"]
    assert_same(source, target, "conv1")
    for now, then in zip(values(target, "conv6"), initial, strict=True):
        np.testing.assert_array_equal(now, then)


def test_a_file_that_is_not_there_or_not_keras_2(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_legacy_h5(small(seed=1), tmp_path / "nope.h5")
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    with pytest.raises(ConfigError, match="not a Keras 2 HDF5 weights file"):
        load_legacy_h5(small(seed=1), tmp_path / "empty.h5")
    (tmp_path / "page.h5").write_text("<html>not the file</html>")  # what a host's error page saved as the file is
    with pytest.raises(ConfigError, match=f"model.weights: {tmp_path / 'page.h5'} is not an HDF5 file"):
        load_legacy_h5(small(seed=1), tmp_path / "page.h5")
