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


def slow_counts(labels, prediction, classes, void, width):
    found = np.zeros((classes, 4), int)
    truth_band, pred_band = slow_band(labels, width), slow_band(prediction, width)
    dont_care = (labels == void) if not 0 <= void < classes else np.zeros(labels.shape, bool)
    for c in range(classes):
        g = (labels == c) & truth_band & ~dont_care
        p = (prediction == c) & pred_band & ~dont_care
        found[c] = [(g & p).sum(), g.sum(), p.sum(), (p & (labels == void)).sum()]
    return found


@pytest.mark.parametrize("seed", range(3))
def test_counts_and_boundary_iou_are_the_slow_ones(seed):
    labels, prediction = blobs((21, 30), 5, seed), blobs((21, 30), 5, seed + 10)
    labels[:3, :4] = 255  # don't-care pixels count nowhere
    width = boundary.band_width(21, 30)
    assert width == 1  # 2 % of a 36.6-pixel diagonal, at least 1
    counts = boundary.counts(labels, prediction, 5, void=255)
    assert (counts == slow_counts(labels, prediction, 5, 255, width)).all()
    assert (counts[:, boundary.ON_VOID] == 0).all()
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


@pytest.mark.parametrize("seed", range(3))
def test_a_void_class_is_a_class_to_the_paper_and_dropped_pixels_to_the_standard_protocol(seed):
    """One rule for void (the standard IoU's): the standard bands of a void class (4 here) are those of the same
    labels with the void outside the classes (255), which count nowhere; the paper protocol keeps its pixels."""
    labels, prediction = blobs((24, 32), 5, seed), blobs((24, 32), 5, seed + 10)
    in_range = boundary.counts(labels, prediction, 5, void=4)
    assert (in_range == slow_counts(labels, prediction, 5, 4, 1)).all()
    assert in_range[:, boundary.ON_VOID].sum() > 0  # some predicted band lies on void: the case that differs
    outside = boundary.counts(np.where(labels == 4, 255, labels), prediction, 5, void=255)
    standard = boundary.summarize_stack(in_range[None], "standard", 4)["per_class_iou"][0]
    expected = boundary.summarize_stack(outside[None], "standard", 255)["per_class_iou"][0]
    assert np.allclose(standard[:4], expected[:4], equal_nan=True) and np.isnan(standard[4])
    paper = boundary.summarize(in_range, "paper")["boundary_per_class_iou"]
    without_void_pixels = boundary.summarize(in_range[:, :3], "paper")["boundary_per_class_iou"]
    assert paper == without_void_pixels  # the paper protocol ignores the fourth column


def test_counts_kept_before_the_void_column_read_as_they_were():
    labels, prediction = blobs((24, 32), 5, 1), blobs((24, 32), 5, 11)
    counts = boundary.counts(labels, prediction, 5, void=4)
    old = counts[:, :3]
    inter, union = old[:, 0], old[:, 1] + old[:, 2] - old[:, 0]
    assert boundary.summarize(old, "standard", 4)["boundary_per_class_iou"][:4] == pytest.approx(list(inter / union)[:4])
