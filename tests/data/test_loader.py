import keras
import numpy as np
import pytest

from segbench.config import load_config
from segbench.data.base import DatasetAdapter, Sample
from segbench.data.loader import SegmentationBatches
from segbench.data.pairs import resize_pair
from segbench.errors import DataError
from segbench.registry import DATASETS

# The CamVid recipe at the smoke config's input size: flip, scale 0.5-2, pad and crop back, colour jitter.
AUGMENT = [{"name": "HorizontalFlip", "p": 0.5},
           {"name": "RandomScale", "scale_limit": [-0.5, 1.0], "p": 1.0},
           {"name": "PadIfNeeded", "min_height": 32, "min_width": 48},
           {"name": "RandomCrop", "height": 32, "width": 48},
           {"name": "ColorJitter", "brightness": 0.3, "hue": 0.1, "p": 1.0}]


@pytest.fixture
def data(smoke_config):
    cfg = load_config(smoke_config, ["dataset.num_images={train: 10, val: 2, test: 2}"])
    return DATASETS.get("synthetic")(cfg.dataset)


def test_batches_at_input_size(data):
    batches = SegmentationBatches(data, data.samples("train"), [32, 48], batch_size=4)
    assert len(batches) == 3
    images, labels = batches[0]
    assert images.shape == (4, 32, 48, 3) and images.dtype == np.uint8
    assert labels.shape == (4, 32, 48) and labels.dtype == np.uint8  # the loss casts them on the device
    assert batches[2][0].shape[0] == 2  # the last batch holds the remainder


def test_label_resize_keeps_class_indices():
    label = np.zeros((40, 56), np.uint8)
    label[10:30, 5:50] = 3
    label[20:22, :] = 4
    image = np.zeros((40, 56, 3), np.uint8)
    small_image, small_label = resize_pair(image, label, (17, 23))
    assert small_image.shape == (17, 23, 3) and small_label.shape == (17, 23)
    assert set(np.unique(small_label)) <= {0, 3, 4}


def test_shuffle_is_a_permutation_fixed_by_seed_and_epoch(data):
    def orders(seed):
        batches = SegmentationBatches(data, data.samples("train"), [32, 48], 4, shuffle=True, seed=seed)
        first = batches.order.copy()
        batches.on_epoch_end()
        return first, batches.order.copy()

    first, second = orders(seed=5)
    assert sorted(first) == list(range(10))
    assert not (first == second).all()  # a new order every epoch
    again_first, again_second = orders(seed=5)
    assert (first == again_first).all() and (second == again_second).all()
    assert not (orders(seed=6)[0] == first).all()


def test_unreadable_sample_is_named(data):
    class Broken(DatasetAdapter):
        classes, palette = ("a", "b"), ((0, 0, 0), (1, 1, 1))

        def list_pairs(self, split):
            return [Sample(id="frames/0042.png")]

        def load(self, sample):
            raise OSError("truncated file")

    broken = Broken(data.config)
    # A plugin's load: named as the plugin's error, at its line (the sample's file may be sound).
    with pytest.raises(DataError, match=r"frames/0042.png: Broken.load raised OSError: truncated file \(.*test_loader"
                                        r".py:\d+\)"):
        SegmentationBatches(broken, broken.samples("train"), [32, 48], 1)[0]


def test_size_mismatch_is_named(data):
    class Mismatched(DatasetAdapter):
        classes, palette = ("a",), ((0, 0, 0),)

        def list_pairs(self, split):
            return [Sample(id="img_7")]

        def load(self, sample):
            return np.zeros((10, 12, 3), np.uint8), np.zeros((10, 11), np.uint8)

    odd = Mismatched(data.config)
    with pytest.raises(DataError, match=r"^img_7: label is 10x11 but its image is 10x12 \(as Mismatched.load "
                                        r"returned them\)$"):
        SegmentationBatches(odd, odd.samples("train"), [32, 48], 1)[0]


def augmented(data, augment=AUGMENT, seed=0, shuffle=True, **kwargs) -> SegmentationBatches:
    return SegmentationBatches(data, data.samples("train")[:6], [32, 48], 2, shuffle=shuffle, seed=seed,
                               augment=augment, **kwargs)


def epochs(batches: SegmentationBatches, count: int = 2) -> list[list]:
    """The batches of ``count`` epochs, drawn in the main process."""
    drawn = []
    for _ in range(count):
        drawn.append([batches[i] for i in range(len(batches))])
        batches.on_epoch_end()
    return drawn


def same(batches, others) -> bool:
    return all((a == b).all() for batch, other in zip(batches, others, strict=True)
               for a, b in zip(batch, other, strict=True))


def test_augmented_batches_repeat_per_seed_and_epoch(data):
    first, second = epochs(augmented(data))
    images, labels = first[0]
    assert images.shape == (2, 32, 48, 3) and images.dtype == np.uint8
    assert labels.shape == (2, 32, 48) and labels.dtype == np.uint8
    again = epochs(augmented(data))
    assert same(first, again[0]) and same(second, again[1])
    assert not same(first, epochs(augmented(data, seed=1), 1)[0])
    unshuffled = epochs(augmented(data, shuffle=False))
    assert not same(*unshuffled)  # the same samples in the same order, augmented anew


def test_labels_are_int32_where_a_label_value_does_not_fit_uint8(data, monkeypatch):
    small = augmented(data)[0][1]
    monkeypatch.setattr(data, "ignore_index", 300)  # a void label past uint8
    images, labels = augmented(data)[0]
    assert labels.dtype == np.int32 and images.dtype == np.uint8
    assert (labels == small).all()  # the same values


def test_augmented_batches_end_at_input_size_with_class_labels(data):
    resized = [{"name": "RandomScale", "scale_limit": [-0.5, 1.0], "p": 1.0}, {"name": "RandomRotate90", "p": 1.0}]
    for images, labels in epochs(augmented(data, resized), 1)[0]:
        assert images.shape == (2, 32, 48, 3) and labels.shape == (2, 32, 48)
        assert set(np.unique(labels)) <= set(range(data.num_classes))


def test_padding_takes_the_dataset_void_label(data):
    shrunk = [{"name": "RandomScale", "scale_limit": [-0.5, -0.5], "p": 1.0},
              {"name": "PadIfNeeded", "min_height": 32, "min_width": 48}]
    images, labels = augmented(data, shrunk)[0]
    assert (images[:, 0, 0] == 0).all() and (labels[:, 0, 0] == data.ignore_index).all()


def test_failed_augmentation_is_named(data):
    too_big = [{"name": "RandomCrop", "height": 64, "width": 64}]
    with pytest.raises(DataError, match=r"^synthetic/train/\d+: train.augment failed \(Crop size .* exceeds image"):
        augmented(data, too_big)[0]
    grey = [{"name": "ToGray", "num_output_channels": 1, "p": 1.0}]
    with pytest.raises(DataError, match=r"train.augment failed \(it made a uint8 image of shape \(32, 48\); batches "
                                        r"need uint8 RGB\)"):
        augmented(data, grey)[0]


@pytest.mark.parametrize("use_multiprocessing", [False, True], ids=["threads", "processes"])
def test_fit_workers_draw_what_the_main_process_draws(data, use_multiprocessing):
    expected = epochs(augmented(data))
    # predict loads a PyDataset as fit does (public API to Keras' workers): they start with each call, and the
    # dataset's on_epoch_end runs after them, so a worker of the second call must see epoch 1. An identity model
    # hands the images back.
    batches = augmented(data, workers=2, use_multiprocessing=use_multiprocessing)
    image = keras.Input((32, 48, 3), dtype="uint8")
    model = keras.Model(image, keras.layers.Identity()(image))
    for drawn in expected:
        assert (model.predict(batches, verbose=0) == np.concatenate([images for images, _ in drawn])).all()


def test_drop_last_leaves_out_only_the_incomplete_batch(data):
    samples = data.samples("train")[:7]
    kept = SegmentationBatches(data, samples, [32, 48], 3, drop_last=True)
    assert len(kept) == 2 and [len(kept[i][0]) for i in range(2)] == [3, 3]
    assert len(SegmentationBatches(data, samples, [32, 48], 3)) == 3
    with pytest.raises(DataError, match="7 samples make no full batch of 8"):
        SegmentationBatches(data, samples, [32, 48], 8, drop_last=True)
