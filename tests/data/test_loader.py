import numpy as np
import pytest

from segbench.config import load_config
from segbench.data.base import DatasetAdapter, Sample
from segbench.data.loader import SegmentationBatches, resize_pair
from segbench.errors import DataError
from segbench.registry import DATASETS


@pytest.fixture
def data(smoke_config):
    cfg = load_config(smoke_config, ["dataset.num_images={train: 10, val: 2, test: 2}"])
    return DATASETS.get("synthetic")(cfg.dataset)


def test_batches_at_input_size(data):
    batches = SegmentationBatches(data, data.samples("train"), [32, 48], batch_size=4)
    assert len(batches) == 3
    images, labels = batches[0]
    assert images.shape == (4, 32, 48, 3) and images.dtype == np.uint8
    assert labels.shape == (4, 32, 48) and labels.dtype == np.int32
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
    with pytest.raises(DataError, match=r"frames/0042.png: cannot be read \(truncated file\)"):
        SegmentationBatches(broken, broken.samples("train"), [32, 48], 1)[0]


def test_size_mismatch_is_named(data):
    class Mismatched(DatasetAdapter):
        classes, palette = ("a",), ((0, 0, 0),)

        def list_pairs(self, split):
            return [Sample(id="img_7")]

        def load(self, sample):
            return np.zeros((10, 12, 3), np.uint8), np.zeros((10, 11), np.uint8)

    odd = Mismatched(data.config)
    with pytest.raises(DataError, match="img_7: image is 12x10 but its label is 11x10"):
        SegmentationBatches(odd, odd.samples("train"), [32, 48], 1)[0]
