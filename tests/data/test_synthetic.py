import cv2
import numpy as np

from segbench.config import load_config
from segbench.data.synthetic import VOID, Synthetic, draw_scene
from segbench.registry import DATASETS


def adapter(smoke_config, *overrides):
    cfg = load_config(smoke_config, list(overrides))
    return DATASETS.get("synthetic")(cfg.dataset)


def test_registered():
    assert DATASETS.get("synthetic") is Synthetic
    assert len(Synthetic.classes) == len(Synthetic.palette) == 5
    assert Synthetic.classes[Synthetic.ignore_index] == "void"


def test_same_seed_same_scene_other_seed_other_scene():
    image, label = draw_scene([48, 64], (0, 0, 3))
    again_image, again_label = draw_scene([48, 64], (0, 0, 3))
    other_image, _ = draw_scene([48, 64], (1, 0, 3))
    assert (image == again_image).all() and (label == again_label).all()
    assert not (image == other_image).all()


def test_shapes_dtypes_and_label_values():
    image, label = draw_scene([40, 72], (0, 2, 0))
    assert image.shape == (40, 72, 3) and image.dtype == np.uint8
    assert label.shape == (40, 72)
    assert set(np.unique(label)) <= set(range(5))


def test_every_class_appears_and_void_outlines_the_shapes():
    labels = [draw_scene([96, 128], (0, 0, i))[1] for i in range(20)]
    assert set(np.unique(np.stack(labels))) == set(range(5))
    for label in labels:
        void = (label == VOID).astype(np.uint8)
        assert 0 < void.mean() < 0.3
        # an outline two pixels wide: eroding it with a 3x3 square leaves (almost) nothing, unlike a region
        assert cv2.erode(void, np.ones((3, 3), np.uint8)).sum() <= 0.15 * void.sum()


def test_image_colour_follows_the_label():
    image, label = draw_scene([96, 128], (0, 0, 1))
    red = image[..., 0].astype(float) - image[..., 2]
    discs = label == 1
    if discs.any():
        assert red[discs].mean() > red[label == 0].mean()


def test_splits_sizes_and_subset(smoke_config):
    data = adapter(smoke_config)
    assert [len(data.samples(s)) for s in ("train", "val", "test")] == [8, 4, 4]
    assert len({s.id for s in data.samples("train")} & {s.id for s in data.samples("test")}) == 0
    first = adapter(smoke_config, "dataset.subset=2").samples("train")
    assert first == data.samples("train")[:2]


def test_load_is_native_size_and_independent_of_order(smoke_config):
    data = adapter(smoke_config)
    samples = data.samples("val")
    forward = [data.load(s)[1] for s in samples]
    backward = [data.load(s)[1] for s in reversed(samples)][::-1]
    assert all((a == b).all() for a, b in zip(forward, backward))
    assert forward[0].shape == (40, 56)
