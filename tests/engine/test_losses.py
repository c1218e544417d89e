import numpy as np
import pytest
from keras import ops

from segbench.engine.losses import SegmentationCrossEntropy


def numpy_cross_entropy(labels, logits, ignore_index=None):
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    keep = np.ones(labels.shape, bool) if ignore_index is None else labels != ignore_index
    picked = np.take_along_axis(log_probs, np.where(keep, labels, 0)[..., None], -1)[..., 0]
    return -picked[keep].mean()


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 6, 5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, (2, 6, 5)).astype(np.int32)
    labels[0, :3] = 3  # the first image is half void
    return labels, logits


def test_matches_numpy_without_ignore(batch):
    labels, logits = batch
    loss = float(ops.convert_to_numpy(SegmentationCrossEntropy()(labels, logits)))
    assert loss == pytest.approx(numpy_cross_entropy(labels, logits), rel=1e-5)


def test_ignored_pixels_do_not_count(batch):
    labels, logits = batch
    loss = SegmentationCrossEntropy(ignore_index=3)
    value = float(ops.convert_to_numpy(loss(labels, logits)))
    assert value == pytest.approx(numpy_cross_entropy(labels, logits, ignore_index=3), rel=1e-5)
    scrambled = logits.copy()
    scrambled[labels == 3] = 100.0  # whatever the model says on void pixels changes nothing
    assert float(ops.convert_to_numpy(loss(labels, scrambled))) == pytest.approx(value, rel=1e-6)


def test_all_void_batch_is_zero_not_nan(batch):
    _, logits = batch
    labels = np.full(logits.shape[:3], 3, np.int32)
    assert float(ops.convert_to_numpy(SegmentationCrossEntropy(ignore_index=3)(labels, logits))) == 0.0


def test_serializes_its_ignore_index():
    restored = SegmentationCrossEntropy.from_config(SegmentationCrossEntropy(ignore_index=11).get_config())
    assert restored.ignore_index == 11


def test_class_weights_weigh_pixels_and_normalise_by_the_weights(batch):
    labels, logits = batch
    weights = [0.5, 2.0, 1.0, 3.0]
    value = float(ops.convert_to_numpy(SegmentationCrossEntropy(class_weights=weights)(labels, logits)))
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    per_pixel = -np.take_along_axis(log_probs, labels[..., None], -1)[..., 0]
    w = np.array(weights)[labels]
    assert value == pytest.approx((per_pixel * w).sum() / w.sum(), rel=1e-5)
    with_ignore = SegmentationCrossEntropy(ignore_index=3, class_weights=weights)(labels, logits)
    keep = labels != 3
    expected = (per_pixel * w)[keep].sum() / w[keep].sum()
    assert float(ops.convert_to_numpy(with_ignore)) == pytest.approx(expected, rel=1e-5)
