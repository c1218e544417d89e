import numpy as np
import pytest

from segbench.metrics import confusion_matrix, summarize

# Six pixels, three classes. Pairs (truth, prediction): (0,0) (0,1) (0,1) (1,1) (2,2) (2,0).
TRUTH = np.array([[0, 0, 0], [1, 2, 2]])
PRED = np.array([[0, 1, 1], [1, 2, 0]])


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(TRUTH, PRED, 3)
    assert cm.dtype == np.int64
    assert cm.tolist() == [[1, 2, 0], [0, 1, 0], [1, 0, 1]]


def test_paper_protocol_by_hand():
    # IoU = TP / (TP + FP + FN): class 0: 1/(3+2-1), class 1: 1/(1+3-1), class 2: 1/(2+1-1)
    s = summarize(confusion_matrix(TRUTH, PRED, 3), "paper")
    assert s["per_class_iou"] == pytest.approx([1 / 4, 1 / 3, 1 / 2])
    assert s["miou"] == pytest.approx(13 / 36)
    # frequencies 3/6, 1/6, 2/6
    assert s["fiou"] == pytest.approx(3 / 6 * 1 / 4 + 1 / 6 * 1 / 3 + 2 / 6 * 1 / 2)
    assert s["pixel_accuracy"] == pytest.approx(3 / 6)


def test_standard_protocol_drops_the_void_class_by_hand():
    # Without the two pixels whose truth is 2: class 0 is 1/(3+1-1), class 1 is 1/(1+3-1).
    s = summarize(confusion_matrix(TRUTH, PRED, 3), "standard", ignore_index=2)
    assert s["per_class_iou"][:2] == pytest.approx([1 / 3, 1 / 3])
    assert s["per_class_iou"][2] is None
    assert s["miou"] == pytest.approx(1 / 3)
    assert s["fiou"] == pytest.approx(3 / 4 * 1 / 3 + 1 / 4 * 1 / 3)
    assert s["pixel_accuracy"] == pytest.approx(2 / 4)


def test_empty_union_counts_as_zero_in_paper_and_is_left_out_in_standard():
    cm = confusion_matrix(TRUTH, PRED, 4)  # class 3 is neither in truth nor prediction
    paper, standard = summarize(cm, "paper"), summarize(cm, "standard")
    assert paper["per_class_iou"][3] == 0.0
    assert paper["miou"] == pytest.approx(13 / 36 * 3 / 4)
    assert standard["per_class_iou"][3] is None
    assert standard["miou"] == pytest.approx(13 / 36)


def test_ignored_pixels_are_dropped():
    truth = np.array([0, 255, 1, 255])
    pred = np.array([0, 1, 1, 0])
    assert confusion_matrix(truth, pred, 2, ignore_index=255).tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize("bad", [7, -1])
def test_out_of_range_labels_are_named(bad):
    with pytest.raises(ValueError, match=f"label value {bad} is outside"):
        confusion_matrix(np.array([0, bad]), np.array([0, 0]), 3)


def test_out_of_range_prediction_is_named():
    with pytest.raises(ValueError, match="prediction value 3"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)


def test_shape_mismatch():
    with pytest.raises(ValueError, match="pixels"):
        confusion_matrix(np.zeros(4, int), np.zeros(5, int), 2)


def test_unknown_protocol():
    with pytest.raises(ValueError, match="unknown protocol"):
        summarize(np.eye(2, dtype=int), "mmseg")


def _per_class_masks(truth, pred, num_classes):
    """The older library's formula: three boolean masks per class."""
    iou, gt_pixels = [], []
    for c in range(num_classes):
        t, p = truth == c, pred == c
        union = np.logical_or(t, p).sum()
        iou.append(np.logical_and(t, p).sum() / union if union else 0.0)
        gt_pixels.append(t.sum())
    return np.array(iou), np.array(gt_pixels)


def test_matches_an_independent_computation_on_random_maps():
    rng = np.random.default_rng(0)
    num_classes = 12
    truth = rng.integers(0, num_classes, (3, 45, 61))
    # Predictions right about 60% of the time, so IoUs spread across (0, 1).
    pred = np.where(rng.random(truth.shape) < 0.6, truth, rng.integers(0, num_classes, truth.shape))
    cm = confusion_matrix(truth, pred, num_classes)
    s = summarize(cm, "paper")
    iou, gt_pixels = _per_class_masks(truth, pred, num_classes)
    assert s["per_class_iou"] == pytest.approx(iou.tolist())
    assert s["miou"] == pytest.approx(iou.mean())
    assert s["fiou"] == pytest.approx((gt_pixels / gt_pixels.sum() * iou).sum())
    assert s["pixel_accuracy"] == pytest.approx((truth == pred).mean())
    pairs = np.zeros((num_classes, num_classes), np.int64)
    for t, p in zip(truth.ravel(), pred.ravel()):
        pairs[t, p] += 1
    assert (cm == pairs).all()


def test_standard_matches_masks_with_void_pixels_removed():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 5, (40, 40))
    pred = np.where(rng.random(truth.shape) < 0.5, truth, rng.integers(0, 5, truth.shape))
    s = summarize(confusion_matrix(truth, pred, 5), "standard", ignore_index=4)
    keep = truth != 4
    iou, _ = _per_class_masks(truth[keep], pred[keep], 5)
    assert s["per_class_iou"][:4] == pytest.approx(iou[:4].tolist())
    assert s["miou"] == pytest.approx(iou[:4].mean())


def test_batches_add_up_to_the_whole():
    rng = np.random.default_rng(2)
    truth, pred = rng.integers(0, 4, (2, 10, 10)), rng.integers(0, 4, (2, 10, 10))
    whole = confusion_matrix(truth, pred, 4)
    parts = confusion_matrix(truth[0], pred[0], 4) + confusion_matrix(truth[1], pred[1], 4)
    assert (whole == parts).all()
    assert whole.sum() == truth.size
