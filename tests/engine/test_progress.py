"""The time a run has left, as the epoch line prints it: from the recent epochs' pace, in words a person reads."""

import pytest

from segbench.engine.progress import hours, time_left


@pytest.mark.parametrize(("seconds", "text"), [(30.4, "30 s"), (90, "1.5 min"), (59 * 60 + 29, "59.5 min"), (3600, "1 h 0 min"),
                                               (2 * 3600 + 22 * 60 + 10, "2 h 22 min")])
def test_hours(seconds, text):
    assert hours(seconds) == text


def test_time_left_is_the_median_of_the_last_five_epochs_times_those_left():
    # The first epoch's 2,600 s (a slow start beside other work) and one 900 s spike move nothing.
    paces = [2600.0, 120.0, 118.0, 900.0, 122.0, 121.0]
    assert time_left(paces, 60) == f"about {hours(121.0 * 60)} left" == "about 2 h 1 min left"


def test_nothing_left_says_nothing():
    assert time_left([120.0], 0) == "" and time_left([], 5) == ""
