"""Test-time views: flips, scales and sliding windows, checked against what each must equal on models whose answer
is known (a per-pixel model, which a flip or a window cannot change, and one that sees its neighbours, which they
do change)."""

import itertools

import keras
import numpy as np
import pytest

from segbench.engine.inference import Inference, logits_at, scaled_side, window_starts
from segbench.engine.views import MS_SCALES, SINGLE, Views


def models(kernel: int):
    """``model_at(size)``: the same convolution (``kernel`` x ``kernel``, fixed weights) for inputs of any size,
    with a record of the sizes asked for."""
    weights = np.random.default_rng(0).normal(size=(kernel, kernel, 3, 4)).astype("float32")
    asked, built = [], {}

    def model_at(size):
        asked.append(tuple(size))
        if tuple(size) not in built:
            inputs = keras.Input((*size, 3))
            conv = keras.layers.Conv2D(4, kernel, padding="same", use_bias=False)
            model = keras.Model(inputs, conv(keras.layers.Rescaling(1 / 255)(inputs)))
            conv.set_weights([weights])
            built[tuple(size)] = model
        return built[tuple(size)]

    return model_at, asked


def image(height=40, width=56, seed=1):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_window_starts_cover_every_position_evenly():
    assert window_starts(100, 40, 30) == [0, 30, 60]
    assert window_starts(100, 40, 25) == [0, 20, 40, 60]  # 25 apart at most: 3 steps of 20, the last window ending at the edge
    assert window_starts(40, 40, 10) == [0] and window_starts(30, 40, 10) == [0]
    for length, window, stride in ((360, 192, 96), (480, 256, 100), (97, 32, 31)):
        starts = window_starts(length, window, stride)
        assert starts[0] == 0 and starts[-1] == length - window
        assert all(0 < b - a <= stride for a, b in itertools.pairwise(starts))


def test_scaled_sides_are_multiples_of_32():
    assert [scaled_side(192, s) for s in MS_SCALES] == [96, 160, 192, 256, 288, 352]
    assert scaled_side(64, 0.25) == 32


def test_views_are_named_for_files_and_refuse_gaps():
    assert SINGLE.name == "single" and Views(flip=True).name == "flip"
    assert Views(flip=True, scales=MS_SCALES).name == "ms+flip"
    assert Views(scales=(0.75, 1.25)).name == "scales0.75-1.25"
    assert Views(window=(64, 96), stride=32, flip=True).name == "window64x96s32+flip"
    with pytest.raises(ValueError, match="stride"):
        Views(window=(64, 96), stride=65)  # windows 65 apart would leave a row of pixels unseen
    with pytest.raises(ValueError, match="needs a stride"):
        Views(window=(64, 96))


def test_single_view_is_the_plain_resize_path():
    model_at, asked = models(3)
    picture = image()
    [logits] = Inference(model_at, (32, 48), 2)([picture])
    from segbench.data.pairs import resize_image

    plain = model_at((32, 48)).predict_on_batch(resize_image(picture, (32, 48))[None])[0]
    np.testing.assert_allclose(logits, logits_at(plain, (40, 56)), rtol=1e-6, atol=1e-6)
    assert set(asked) == {(32, 48)}


def test_flip_averages_the_mirrored_view():
    model_at, _ = models(3)  # a 3x3 kernel is not mirror-symmetric: the flipped view differs
    picture = image()
    [single] = Inference(model_at, (40, 56), 4)([picture])
    [flipped] = Inference(model_at, (40, 56), 4, Views(flip=True))([picture])
    mirrored = model_at((40, 56)).predict_on_batch(picture[None, :, ::-1])[0][:, ::-1]
    np.testing.assert_allclose(flipped, (single + mirrored) / 2, rtol=1e-5, atol=1e-5)
    assert not np.allclose(flipped, single)
    # A per-pixel model gives the same logits either way.
    pointwise, _ = models(1)
    [one] = Inference(pointwise, (40, 56), 4)([picture])
    [two] = Inference(pointwise, (40, 56), 4, Views(flip=True))([picture])
    np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5)


def test_scales_build_the_model_at_each_size_and_average_at_native_size():
    model_at, asked = models(3)
    pictures = [image(40, 56, 1), image(30, 70, 2)]
    views = Views(scales=(0.5, 1.0, 2.0))
    found = Inference(model_at, (64, 96), 2, views)(pictures)
    assert {(32, 64), (64, 96), (128, 192)} <= set(asked)  # 0.5 x 96 = 48 -> 64: sides stay multiples of 32
    for picture, logits in zip(pictures, found):
        assert logits.shape == (*picture.shape[:2], 4) and logits.dtype == np.float32
        each = [Inference(model_at, size, 2)([picture])[0] for size in ((32, 64), (64, 96), (128, 192))]
        np.testing.assert_allclose(logits, np.mean(each, axis=0), rtol=1e-5, atol=1e-5)


def test_sliding_windows_of_a_per_pixel_model_equal_the_whole_image():
    model_at, asked = models(1)
    picture = image(70, 100)
    [windowed] = Inference(model_at, (32, 48), 4, Views(window=(32, 48), stride=20))([picture])
    whole = model_at((70, 100)).predict_on_batch(picture[None])[0]
    np.testing.assert_allclose(windowed, whole, rtol=1e-5, atol=1e-5)
    assert (32, 48) in asked


def test_windows_blend_where_they_overlap_and_pad_small_images():
    model_at, _ = models(3)  # sees its neighbours: a window's edge differs from the whole image's
    picture = image(70, 100)
    [windowed] = Inference(model_at, (32, 48), 4, Views(window=(32, 48), stride=16))([picture])
    # The top-left corner lies in one window only: there it is that window's own logits.
    corner = model_at((32, 48)).predict_on_batch(picture[None, :32, :48])[0]
    np.testing.assert_allclose(windowed[:10, :10], corner[:10, :10], rtol=1e-5, atol=1e-5)
    small = image(20, 30)
    [padded] = Inference(model_at, (32, 48), 4, Views(window=(32, 48), stride=16))([small])
    assert padded.shape == (20, 30, 4) and np.isfinite(padded).all()
