import numpy as np
import pytest

from segbench import boundary, calibration
from segbench.bootstrap import draws, intervals, paired, verdict
from segbench.metrics import PROTOCOLS, confusion_matrix, summarize


def per_image_matrices(num_images, num_classes=5, seed=1):
    """Confusion matrices of random label maps and noisy predictions of them; class 3 is rare, class 4 the void."""
    rng = np.random.default_rng(seed)
    matrices = []
    for _ in range(num_images):
        label = rng.choice(num_classes, size=(12, 16), p=[0.4, 0.3, 0.2, 0.02, 0.08])
        prediction = np.where(rng.random(label.shape) < 0.7, label, rng.integers(0, num_classes, label.shape))
        matrices.append(confusion_matrix(label, prediction, num_classes))
    return np.stack(matrices)


def test_the_vectorised_bootstrap_is_the_slow_resampling_loop():
    matrices = per_image_matrices(25)
    found = intervals(matrices, ignore_index=4, resamples=300, seed=7)
    drawn = draws(len(matrices), 300, 7)
    for protocol in PROTOCOLS:
        slow = [summarize(matrices[images].sum(axis=0), protocol, 4) for images in drawn]
        for key in ("miou", "fiou", "pixel_accuracy"):
            expected = np.percentile([s[key] for s in slow], [2.5, 97.5])
            assert found[protocol][key] == pytest.approx(expected, rel=1e-12), (protocol, key)
        for c in range(5):
            column = [s["per_class_iou"][c] for s in slow]
            column = np.array([np.nan if v is None else v for v in column])
            expected = None if np.isnan(column).all() else list(np.nanpercentile(column, [2.5, 97.5]))
            assert found[protocol]["per_class_iou"][c] == (expected if expected is None else pytest.approx(expected))
    assert found["standard"]["per_class_iou"][4] is None  # the void class never enters the standard mean
    assert (found["level"], found["resamples"], found["seed"]) == (0.95, 300, 7)


def test_intervals_hold_the_full_figure_and_narrow_with_more_images():
    few = per_image_matrices(20)
    many = np.concatenate([few] * 9)  # the same images nine times over: the same figure, a third of the spread
    full = summarize(few.sum(axis=0))["miou"]
    narrow, wide = intervals(many, None)["paper"]["miou"], intervals(few, None)["paper"]["miou"]
    assert wide[0] < full < wide[1] and narrow[0] < full < narrow[1]
    assert (narrow[1] - narrow[0]) < 0.5 * (wide[1] - wide[0])


def test_a_single_image_has_no_interval():
    with pytest.raises(ValueError, match="at least 2 images"):
        intervals(per_image_matrices(1), None)


def test_the_paired_bootstrap_is_the_slow_loop_over_shared_draws():
    a, b = per_image_matrices(25, seed=1), per_image_matrices(25, seed=2)
    found = paired(a, b, ignore_index=4, resamples=200, seed=3)
    drawn = draws(25, 200, 3)
    for protocol in PROTOCOLS:
        diffs = [summarize(a[i].sum(axis=0), protocol, 4)["miou"] - summarize(b[i].sum(axis=0), protocol, 4)["miou"]
                 for i in drawn]
        judged = found[protocol]["miou"]
        assert judged["interval"] == pytest.approx(list(np.percentile(diffs, [2.5, 97.5])), rel=1e-12)
        full = summarize(a.sum(axis=0), protocol, 4)["miou"] - summarize(b.sum(axis=0), protocol, 4)["miou"]
        assert judged["difference"] == pytest.approx(full)
    assert found["standard"]["per_class_iou"][4] is None


def test_verdicts():
    a = per_image_matrices(40, seed=1)
    same = paired(a, a, None)["paper"]["miou"]
    assert same == {"difference": 0.0, "interval": [0.0, 0.0], "verdict": "not distinguishable at 95 %"}
    # B predicts every pixel as class 0: far worse, and the verdict says so whichever side it is on.
    worse = a.copy()
    worse[:, :, 0] = a.sum(axis=2)
    worse[:, :, 1:] = 0
    assert paired(a, worse, None)["paper"]["miou"]["verdict"] == "A better"
    assert paired(worse, a, None)["paper"]["miou"]["verdict"] == "B better"
    assert verdict(-0.01, 0.02) == "not distinguishable at 95 %"


def test_boundary_and_calibration_intervals_are_the_slow_loop_over_the_same_draws():
    rng = np.random.default_rng(5)
    matrices = per_image_matrices(20)
    bands = rng.integers(0, 40, (20, 5, 3))
    bands[..., 0] = np.minimum(bands[..., 0], bands[..., 1:].min(axis=-1))  # an intersection within both bands
    confidence = rng.random((20, calibration.BINS, 3))
    found = intervals(matrices, 4, resamples=250, seed=2, boundary=bands, confidence=confidence)
    drawn = draws(20, 250, 2)
    for protocol in PROTOCOLS:
        slow = [boundary.summarize(bands[images].sum(axis=0), protocol, 4)["boundary_miou"] for images in drawn]
        assert found[protocol]["boundary_miou"] == pytest.approx(list(np.percentile(slow, [2.5, 97.5])))
    slow = [calibration.ece(confidence[images].sum(axis=0)) for images in drawn]
    assert found["ece"] == pytest.approx(list(np.percentile(slow, [2.5, 97.5])))


def test_the_paired_bootstrap_over_seeds_is_the_slow_loop_over_images_and_seeds():
    """Three seeds of A against two of B: each resample draws the images once for both sides and each side's seeds
    with replacement (from the stream seeded [seed, 1]), and compares the means over the drawn seeds."""
    a = np.stack([per_image_matrices(15, seed=s) for s in (1, 2, 3)])
    b = np.stack([per_image_matrices(15, seed=s) for s in (4, 5)])
    found = paired(a, b, ignore_index=4, resamples=150, seed=6)
    drawn = draws(15, 150, 6)
    seeds = np.random.default_rng([6, 1])
    picks_a, picks_b = seeds.integers(0, 3, (150, 3)), seeds.integers(0, 2, (150, 2))
    for protocol in PROTOCOLS:
        def mean_miou(runs, picked, images, protocol=protocol):
            return np.mean([summarize(runs[s][images].sum(axis=0), protocol, 4)["miou"] for s in picked])

        diffs = [mean_miou(a, picks_a[r], drawn[r]) - mean_miou(b, picks_b[r], drawn[r]) for r in range(150)]
        judged = found[protocol]["miou"]
        assert judged["interval"] == pytest.approx(list(np.percentile(diffs, [2.5, 97.5])), rel=1e-12)
        full = (np.mean([summarize(run.sum(axis=0), protocol, 4)["miou"] for run in a])
                - np.mean([summarize(run.sum(axis=0), protocol, 4)["miou"] for run in b]))
        assert judged["difference"] == pytest.approx(full)
    assert found["seeds"] == [3, 2] and found["method"].endswith("and over seeds")
    # One run a side is the image-only bootstrap, whatever the seed stream.
    assert paired(a[0], b[0], 4, resamples=150, seed=6)["paper"]["miou"] == \
        paired(a[:1], b[:1], 4, resamples=150, seed=6)["paper"]["miou"]


def test_an_interval_is_shown_rounded_outward_so_it_holds_its_estimate():
    """Rounded to the nearest, "8.37 [8.4, 9.9]" showed the estimate outside its own interval (probe 16c case 21)."""
    from segbench.bootstrap import interval_text

    assert interval_text(0.0836, 0.0991) == "[8.3, 10.0]"
    assert interval_text(0.5, 0.5) == "[50.0, 50.0]"  # exact tenths stay as they are
    assert interval_text(0.123, 0.2) == "[12.3, 20.0]"
