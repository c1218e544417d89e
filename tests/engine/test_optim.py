import itertools

import numpy as np
import pytest
from keras import ops

from segbench.engine.optim import learning_rate, make_optimizer
from segbench.schema import TrainConfig


def rates(schedule, steps):
    return [float(ops.convert_to_numpy(schedule(step))) if callable(schedule) else schedule for step in steps]


def test_constant_without_warmup_is_the_rate():
    assert learning_rate(TrainConfig(learning_rate=0.01), steps_per_epoch=10) == 0.01


def test_warmup_rises_linearly_then_hands_over():
    train = TrainConfig(learning_rate=0.01, warmup_epochs=1, epochs=3)
    assert rates(learning_rate(train, 10), [0, 5, 10, 29]) == pytest.approx([0.0, 0.005, 0.01, 0.01])


@pytest.mark.parametrize("schedule", ["poly", "cosine"])
def test_decays_reach_zero_at_the_end_and_fall_monotonically(schedule):
    train = TrainConfig(learning_rate=0.02, schedule=schedule, warmup_epochs=0.5, epochs=4)
    values = rates(learning_rate(train, 10), range(5, 41))  # from the end of the warm-up to the last step
    assert values[0] == pytest.approx(0.02)
    assert values[-1] == pytest.approx(0.0, abs=1e-7)
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_poly_follows_its_formula():
    train = TrainConfig(learning_rate=0.1, schedule="poly", poly_power=0.9, epochs=2)
    assert rates(learning_rate(train, 5), [3]) == pytest.approx([0.1 * (1 - 3 / 10) ** 0.9])


def test_optimizer_kind_and_schedule():
    optimizer = make_optimizer(TrainConfig(optimizer="sgd", schedule="cosine"), steps_per_epoch=4)
    assert type(optimizer).__name__ == "SGD"
    assert np.isclose(float(ops.convert_to_numpy(optimizer.learning_rate)), 1e-3)
