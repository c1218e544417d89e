"""Boundary IoU against two slow references: a per-pixel search of the band, and the reference code's way (erode
each class mask d times with a 3x3 square, the image edge counting as outside)."""

import numpy as np
import pytest
from scipy import ndimage

from segbench import boundary


def slow_band(labels: np.ndarray, width: int) -> np.ndarray:
    """Per pixel: does any pixel within chessboard distance ``width`` have another class, or lie off the image?"""
    height, wide = labels.shape
    band = np.zeros(labels.shape, bool)
    for y in range(height):
        for x in range(wide):
            for dy in range(-width, width + 1):
                for dx in range(-width, width + 1):
                    yy, xx = y + dy, x + dx
                    if not (0 <= yy < height and 0 <= xx < wide) or labels[yy, xx] != labels[y, x]:
                        band[y, x] = True
    return band


def eroded_band(mask: np.ndarray, width: int) -> np.ndarray:
    """The Boundary IoU paper's mask_to_boundary: the mask minus its erosion (padded with zeros)."""
    inside = ndimage.binary_erosion(mask, structure=np.ones((3, 3)), iterations=width, border_value=0)
    return mask & ~inside


def blobs(shape, classes: int, seed: int) -> np.ndarray:
    """Random maps with regions (smoothed noise, then the top class), not salt-and-pepper."""
    noise = np.random.default_rng(seed).random((classes, *shape))
    return ndimage.uniform_filter(noise, size=(1, 5, 5)).argmax(axis=0)


@pytest.mark.parametrize("seed", range(4))
def test_the_band_is_the_brute_force_search_and_the_reference_erosion(seed):
    labels = blobs((17, 23), 4, seed)
    for width in (1, 2, 3):
        band = boundary.inner_band(labels, width)
        assert (band == slow_band(labels, width)).all()
        for c in range(4):
            assert ((band & (labels == c)) == eroded_band(labels == c, width)).all()


def slow_counts(labels, prediction, classes, ignore, width):
    found = np.zeros((classes, 3), int)
    truth_band, pred_band = slow_band(labels, width), slow_band(prediction, width)
    for c in range(classes):
        g = (labels == c) & truth_band & (labels != ignore)
        p = (prediction == c) & pred_band & (labels != ignore)
        found[c] = [(g & p).sum(), g.sum(), p.sum()]
    return found


@pytest.mark.parametrize("seed", range(3))
def test_counts_and_boundary_iou_are_the_slow_ones(seed):
    labels, prediction = blobs((21, 30), 5, seed), blobs((21, 30), 5, seed + 10)
    labels[:3, :4] = 255  # don't-care pixels count nowhere
    width = boundary.band_width(21, 30)
    assert width == 1  # 2 % of a 36.6-pixel diagonal, at least 1
    counts = boundary.counts(labels, prediction, 5, ignore_index=255)
    assert (counts == slow_counts(labels, prediction, 5, 255, width)).all()
    inter, union = counts[:, 0], counts[:, 1] + counts[:, 2] - counts[:, 0]
    figures = boundary.summarize(counts)
    assert figures["boundary_per_class_iou"] == pytest.approx(list(inter / union))
    assert figures["boundary_miou"] == pytest.approx(np.mean(inter / union))


def test_the_band_width_is_two_percent_of_the_diagonal():
    assert boundary.band_width(360, 480) == 12  # CamVid: a 600-pixel diagonal
    assert boundary.band_width(3, 4) == 1


def test_a_perfect_prediction_scores_one_and_a_shifted_one_less():
    labels = np.zeros((60, 80), int)
    labels[20:40, 20:50] = 1
    assert boundary.summarize(boundary.counts(labels, labels, 2))["boundary_miou"] == 1.0
    shifted = np.roll(labels, 3, axis=1)
    figures = boundary.summarize(boundary.counts(labels, shifted, 2))
    # The region's mask IoU is still 0.82, its band's far lower: what Boundary IoU is for.
    assert figures["boundary_per_class_iou"][1] < 0.7


def test_protocols_treat_void_and_absent_classes_as_the_mask_metrics_do():
    labels = np.zeros((30, 40), int)
    labels[10:20, 10:20] = 1
    counts = boundary.counts(labels, labels, 4)  # classes 2 and 3 never appear
    assert boundary.summarize(counts, "paper")["boundary_miou"] == pytest.approx(0.5)  # 1, 1, 0, 0
    standard = boundary.summarize(counts, "standard", ignore_index=1)
    assert standard["boundary_miou"] == 1.0 and standard["boundary_per_class_iou"] == [1.0, None, None, None]
