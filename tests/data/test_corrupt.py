"""Corruptions for robustness: every one changes the image, more at higher severity, the same way for the same
seed and image, and their names are checked."""

import numpy as np
import pytest

from segbench.data.corrupt import CORRUPTIONS, SEVERITIES, corrupter, parse
from segbench.data.synthetic import draw_scene


@pytest.fixture(scope="module")
def scene():
    return draw_scene((60, 80), (0, 0, 3))[0]


def change(image, corrupted) -> float:
    return float(np.abs(corrupted.astype(int) - image).mean())


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_changes_the_image_more_at_higher_severity(name, scene):
    changes = []
    for severity in SEVERITIES:
        corrupted = corrupter(name, severity)(scene, 0)
        assert corrupted.shape == scene.shape and corrupted.dtype == np.uint8
        changes.append(change(scene, corrupted))
    assert changes[0] > 0
    if name != "fog":  # fog's patches are drawn at random per severity; the others grow with it
        assert changes[-1] > changes[0]


def test_the_draws_follow_the_seed_and_the_image(scene):
    noise = corrupter("gaussian_noise", 3, seed=0)
    assert (noise(scene, 0) == noise(scene, 0)).all()
    assert (noise(scene, 0) == corrupter("gaussian_noise", 3, seed=0)(scene, 0)).all()
    assert not (noise(scene, 0) == noise(scene, 1)).all()  # each image its own noise
    assert not (noise(scene, 0) == corrupter("gaussian_noise", 3, seed=1)(scene, 0)).all()


def test_names_and_severities_are_checked():
    assert parse("fog") == parse("fog:") == ("fog", 3) and parse("motion_blur:5") == ("motion_blur", 5)
    with pytest.raises(ValueError, match="unknown corruption 'rain'; known: gaussian_noise"):
        parse("rain:2")
    for bad in ("fog:0", "fog:6", "fog:x"):
        with pytest.raises(ValueError, match="severity is one of 1, 2, 3, 4, 5"):
            parse(bad)
