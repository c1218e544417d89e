import numpy as np
import pytest

from segbench.config import load_config
from segbench.data.augment import Augmentation, fill_value
from segbench.errors import ConfigError

CLASSES = (0, 3, 7)


def stripes(height=32, width=48):
    """An image whose red channel is 60 x its label, a class that changes along both axes."""
    y, x = np.mgrid[:height, :width]
    label = np.array(CLASSES, np.uint8)[(x // 8 + y // 8) % 3]
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = 30 * label
    image[..., 1] = 255
    return image, label


def test_flip_moves_image_and_label_together():
    image, label = stripes()
    flipped_image, flipped_label = Augmentation([{"name": "HorizontalFlip", "p": 1.0}], 0)(image, label, (0, 0, 0))
    assert (flipped_image == image[:, ::-1]).all() and (flipped_label == label[:, ::-1]).all()


def test_warps_move_image_and_label_alike_and_keep_class_values():
    image, label = stripes()
    # Nearest-neighbour for the image too, so each image pixel still says which label it should sit on.
    warps = [{"name": "Affine", "rotate": [-30, 30], "scale": [0.7, 1.4], "interpolation": 0, "p": 1.0},
             {"name": "RandomScale", "scale_limit": [-0.5, 1.0], "interpolation": 0, "p": 1.0},
             {"name": "ElasticTransform", "interpolation": 0, "p": 1.0}]
    for sample in range(4):
        out_image, out_label = Augmentation(warps, label_fill=0)(image, label, (0, 0, sample))
        assert set(np.unique(out_label)) <= set(CLASSES)
        assert (out_label == out_image[..., 0] // 30).all()


def test_padding_fills_the_label_with_the_fill_value():
    image, label = np.full((20, 30, 3), 200, np.uint8), np.ones((20, 30), np.uint8)
    pad = {"name": "PadIfNeeded", "min_height": 32, "min_width": 48}
    for spec, label_fill, fill in ((pad, 4, 4), (pad, -1, -1), ({**pad, "fill_mask": 9}, 4, 9)):
        out_image, out_label = Augmentation([spec], label_fill)(image, label, (0, 0, 0))
        padding = out_image[..., 0] == 0
        assert out_label.shape == (32, 48) and padding.sum() == 32 * 48 - 20 * 30
        assert (out_label[padding] == fill).all() and (out_label[~padding] == 1).all()


def test_fill_value_is_the_void_label_else_the_background():
    assert fill_value(void=11) == 11
    assert fill_value(void=255) == 255
    assert fill_value(void=None) == 0


def test_draws_depend_on_the_key_alone():
    image, label = stripes()
    jitter = Augmentation([{"name": "ColorJitter", "p": 1.0}, {"name": "Rotate", "limit": 40, "p": 1.0}], 0)
    first = jitter(image, label, (1, 0, 5))
    assert all((a == b).all() for a, b in zip(first, jitter(image, label, (1, 0, 5))))
    for other in ((1, 1, 5), (2, 0, 5), (1, 0, 6)):
        assert not (jitter(image, label, other)[0] == first[0]).all()


def test_a_pipeline_in_use_draws_what_a_fresh_one_draws():
    image, label = stripes()
    specs = [{"name": "ColorJitter", "p": 1.0}, {"name": "RandomScale", "scale_limit": [-0.5, 1.0], "p": 1.0},
             {"name": "Rotate", "limit": 40, "p": 1.0}]
    used = Augmentation(specs, 0)
    for key in ((1, 0, 0), (1, 0, 1), (1, 1, 0)):
        used(image, label, key)
    for key in ((1, 0, 5), (1, 0, 1)):
        expected = Augmentation(specs, 0)(image, label, key)
        assert all((a == b).all() for a, b in zip(used(image, label, key), expected))


def test_uint8_labels_stay_uint8_with_the_values_of_int32_ones():
    image, label = stripes()
    augment = Augmentation([{"name": "Affine", "rotate": [-30, 30], "p": 1.0}], label_fill=7)
    small, wide = augment(image, label, (0, 0, 3))[1], augment(image, label.astype(np.int32), (0, 0, 3))[1]
    assert small.dtype == np.uint8 and wide.dtype == np.int32 and (small == wide).all()
    assert (small == 7).any()  # the uncovered corners got the fill
    assert Augmentation(augment.specs, label_fill=-1)(image, label, (0, 0, 3))[1].dtype == np.int32


@pytest.mark.parametrize("augment, message", [
    ("[{name: HorizontalFlp}]", r"transform 1: unknown transform 'HorizontalFlp' \(did you mean 'HorizontalFlip'\?\)"),
    ("[{name: HorizontalFlip}, {name: RandomScale, scale_limit: [1, 2, 3]}]",
     r"transform 2: RandomScale: scale_limit: tuple should have at most 2 items"),
    # Its own value, not the whole list echoed after it (probe 16b case 11).
    ("[{name: HorizontalFlip, p: 2}, {name: RandomCrop, height: 8, width: 8}]",
     r"HorizontalFlip: p: input should be less than or equal to 1 \(got 2\)$"),
    ("[{name: RandomCrop, width: 48}]", r"RandomCrop: missing argument 'height'"),
    ("[{name: RandomCrop, hieght: 32, width: 48}]", r"RandomCrop has no argument 'hieght' \(did you mean 'height'\?\)"),
    ("[{name: Normalize}]", r"Normalize is not accepted: it turns the image into floats"),
    ("[{name: MaskDropout}]", r"MaskDropout is not accepted"),
    ("[{name: Mosaic}]", r"Mosaic is not accepted: train.augment takes pixel-level and spatial transforms"),
    ("[{name: Rotate, mask_interpolation: 1}]", r"mask_interpolation cannot be set"),
    ("[{p: 0.5}]", r"each transform needs a name"),
], ids=["unknown", "bad-value", "out-of-range", "missing-argument", "unknown-argument", "float-image", "drops-objects",
        "not-2d", "interpolated-labels", "no-name"])
def test_bad_transforms_are_one_line_config_errors(smoke_config, augment, message):
    with pytest.raises(ConfigError, match=r"^--set train.augment: transform \d: ") as caught:
        load_config(smoke_config, [f"train.augment={augment}"])
    assert "\n" not in str(caught.value)
    assert caught.match(message)


def test_errors_name_the_file_and_key(smoke_config, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(f"base: {smoke_config}\ntrain:\n  augment:\n    - {{name: VerticalFlip}}\n"
                      f"    - {{name: ColourJitter, brightness: 0.2}}\n")
    with pytest.raises(ConfigError, match=rf"^{config}: train.augment: transform 2: unknown transform 'ColourJitter' "
                                          r"\(did you mean 'ColorJitter'\?\)"):
        load_config(config)


def test_workers_are_checked(smoke_config):
    assert load_config(smoke_config).train.workers == 1
    with pytest.raises(ConfigError, match="train.workers: input should be greater than or equal to 0"):
        load_config(smoke_config, ["train.workers=-1"])


@pytest.mark.parametrize("specs, said", [
    ([{"name": "RandomCrop", "height": 64, "width": 64, "p": 0.5}], "Crop size"),
    ([{"name": "ToGray", "num_output_channels": 1, "p": 0.3}], r"it made a uint8 image of shape \(32, 48\)"),
], ids=["a-crop-too-large-at-p-0.5", "one-channel-out"])
def test_the_trial_on_the_input_size_applies_every_transform_and_checks_what_it_makes(specs, said):
    """A crop too large at p 0.5 was skipped by the one trial, and ToGray's one channel was no exception there:
    both passed, and `run --force` deleted the finished run before the loader failed (probe 17b cases 1, 18)."""
    from segbench.data.augment import check_on_input_size

    with pytest.raises(ConfigError, match=rf"^train.augment: fails on images of the model's input size 32x48 \({said}"):
        check_on_input_size(specs, [32, 48], 255, 4, 255)
    check_on_input_size([{"name": "PadIfNeeded", "min_height": 64, "min_width": 64},
                         {"name": "RandomCrop", "height": 32, "width": 48, "p": 0.5}], [32, 48], 255, 4, 255)


def test_the_trial_refuses_a_label_fill_of_no_class():
    """`fill_mask: 200` of a dataset of 5 classes ended in TensorFlow's "Received a label value of 200" traceback,
    after `run --force` had deleted the finished run (probe 17c case 12)."""
    from segbench.data.augment import check_on_input_size

    rotate = [{"name": "Rotate", "limit": [40, 45], "fill_mask": 200}]
    with pytest.raises(ConfigError, match=r"^train.augment: transform 1: Rotate: fill_mask 200 is neither one of the "
                                          r"5 classes nor the void label \(4\)"):
        check_on_input_size(rotate, [32, 48], 4, 5, 4)
    check_on_input_size([{**rotate[0], "fill_mask": 4}], [32, 48], 4, 5, 4)  # the void label: what is meant
    # -1 as given: OpenCV saturated it to class 0 on the uint8 label, and the borders trained as class 0 without a
    # word (probe 17d case 11); without a void, it is said as YAML writes it.
    with pytest.raises(ConfigError, match=r"^train.augment: transform 1: Rotate: fill_mask -1 is neither one of the 3 "
                                          r"classes nor the void label \(null\)"):
        check_on_input_size([{**rotate[0], "fill_mask": -1}], [32, 48], 0, 3, None)
    # Of no number's type: "3" was a TypeError traceback there, and 1.5 or true trained (probe 18 case 3).
    for given, shown in (("3", "'3'"), (1.5, "1.5"), (True, "true")):  # echoed as the config errors echo them
        with pytest.raises(ConfigError, match=rf"^train.augment: transform 1: Rotate: fill_mask {shown} is neither"):
            check_on_input_size([{**rotate[0], "fill_mask": given}], [32, 48], 0, 3, None)


def test_the_trial_refuses_labels_it_makes_of_no_class_whatever_made_them(monkeypatch):
    """The label values a transform makes are looked at too, not only its fill_mask as given."""
    from segbench.data import augment

    monkeypatch.setattr(augment.Augmentation, "__call__", lambda self, image, label, key: (image, label + 9))
    with pytest.raises(ConfigError, match=r"^train.augment: makes label values 9, which are neither one of the 5 "
                                          r"classes nor the void label \(4\)"):
        augment.check_on_input_size([{"name": "HorizontalFlip"}], [32, 48], 4, 5, 4)
