"""Expected calibration error and NLL on inputs whose answer is known."""

import numpy as np
import pytest

from segbench import calibration


def logits_with_confidence(confidence: float, classes: int, shape, top: np.ndarray) -> np.ndarray:
    """Logits whose softmax gives ``confidence`` to the class ``top`` and shares the rest evenly."""
    rest = (1 - confidence) / (classes - 1)
    logits = np.full((*shape, classes), np.log(rest))
    np.put_along_axis(logits, top[..., None], np.log(confidence), axis=-1)
    return logits


def test_calibrated_pixels_have_no_error_and_overconfident_ones_the_gap():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (40, 50))
    right = rng.random((40, 50)) < 0.8  # exactly the predicted class on these pixels
    predicted = np.where(right, labels, (labels + 1) % 3)
    accuracy = right.mean()
    histogram, _ = calibration.histogram(logits_with_confidence(accuracy, 3, (40, 50), predicted), labels)
    assert calibration.ece(histogram) == pytest.approx(0.0, abs=1e-12)
    histogram, _ = calibration.histogram(logits_with_confidence(0.99, 3, (40, 50), predicted), labels)
    assert calibration.ece(histogram) == pytest.approx(0.99 - accuracy)
    assert histogram[:, calibration.PIXELS].sum() == 2000 and histogram[14, calibration.PIXELS] == 2000


def test_ece_weighs_bins_by_their_pixels():
    """Half the pixels at 0.95 confidence all right (gap 0.05), half at 0.55 all wrong (gap 0.55): 0.30."""
    labels = np.zeros((2, 10), int)
    top = np.zeros((2, 10), int)
    top[1] = 1  # the second row predicts class 1: wrong
    logits = np.concatenate([logits_with_confidence(0.95, 2, (1, 10), top[:1]),
                             logits_with_confidence(0.55, 2, (1, 10), top[1:])])
    histogram, _ = calibration.histogram(logits, labels)
    assert calibration.ece(histogram) == pytest.approx(0.5 * 0.05 + 0.5 * 0.55)
    summary = calibration.summarize(histogram, 0.0)
    reliability = summary["reliability"]
    assert reliability["pixels"][14] == 10 and reliability["accuracy"][14] == 1.0
    assert reliability["pixels"][8] == 10 and reliability["accuracy"][8] == 0.0  # 0.55 lies in [8/15, 9/15)
    assert reliability["confidence"][0] is None and summary["pixels"] == 20


@pytest.mark.parametrize("void", [255, 3])  # outside the classes, and a void class: one rule for both
def test_nll_of_uniform_logits_is_log_of_the_classes_and_void_is_left_out(void):
    labels = np.full((8, 8), 2)
    labels[0] = void
    histogram, nll = calibration.histogram(np.zeros((8, 8, 4)), labels, void=void)
    assert histogram[:, calibration.PIXELS].sum() == 56
    assert calibration.summarize(histogram, nll)["nll"] == pytest.approx(np.log(4))


def test_extreme_logits_stay_finite():
    logits = np.zeros((1, 2, 3))
    logits[0, 0, 0] = 1e4  # confident and right
    logits[0, 1, 1] = 1e4  # confident and wrong: a huge but finite NLL
    histogram, nll = calibration.histogram(logits, np.array([[0, 0]]))
    assert np.isfinite(nll) and nll == pytest.approx(1e4)
    assert calibration.ece(histogram) == pytest.approx(0.5)
