import pytest

from segbench.bench import timing


class FakeClock:
    """perf_counter for timing, advanced only by the measured call: each call takes ``seconds``."""

    def __init__(self, seconds):
        self.now, self.seconds, self.calls = 0.0, list(seconds), 0

    def perf_counter(self):
        return self.now

    def call(self):
        self.now += self.seconds[self.calls % len(self.seconds)]
        self.calls += 1


@pytest.fixture
def clock(monkeypatch):
    def install(*seconds):
        fake = FakeClock(seconds)
        monkeypatch.setattr(timing.time, "perf_counter", fake.perf_counter)
        return fake

    return install


def test_spread_and_percentile():
    assert timing.spread([3, 1, 2, 10]) == {"min": 1, "median": 2.5, "max": 10}
    values = list(range(1, 101))
    assert timing.percentile(values, 50) == pytest.approx(50.5)
    assert timing.percentile(values, 95) == pytest.approx(95.05)
    assert timing.percentile([7], 95) == 7


def test_throughput_leaves_out_the_warmup_and_times_whole_windows(clock):
    # Two warm-up calls of 100 s (compilation), then windows of 3 calls of 0.5 s, 0.25 s, 0.25 s.
    fake = clock(100, 100, 0.5, 0.25, 0.25)
    measured = timing.throughput(fake.call, items_per_call=8, steps=3, repeats=1, warmup=2)
    assert measured["per_s"] == {"min": 24.0, "median": 24.0, "max": 24.0}  # 3 x 8 images in 1 s
    assert fake.calls == 5 and measured["steps"] == 3 and measured["warmup"] == 2


def test_throughput_spread_is_over_repeats(clock):
    fake = clock(1, 1, 2, 4)  # warm-up 1 s, then windows of one call: 1 s, 2 s, 4 s
    measured = timing.throughput(fake.call, items_per_call=4, steps=1, repeats=3, warmup=1)
    assert measured["per_s"] == {"min": 1.0, "median": 2.0, "max": 4.0}


def test_latency_in_milliseconds(clock):
    fake = clock(9, 0.010, 0.020, 0.030, 0.040)
    measured = timing.latency(fake.call, calls=4, warmup=1)
    assert measured["median"] == pytest.approx(25.0) and measured["max"] == pytest.approx(40.0)
    assert measured["p95"] == pytest.approx(38.5) and measured["calls"] == 4


def test_summary_gives_the_percentiles_of_every_call():
    found = timing.summary(range(1, 101))
    assert found["p50"] == pytest.approx(50.5) and found["p95"] == pytest.approx(95.05)
    assert found["p99"] == pytest.approx(99.01) and found["mean"] == pytest.approx(50.5)
    assert (found["min"], found["max"]) == (1, 100)


def test_halves_agree_within_the_tolerance_of_the_smaller_median():
    assert timing.halves_agree([10, 10, 10, 10.5], 0.05)  # medians 10 and 10.25
    assert timing.halves_agree([10, 10, 10.5, 10.5], 0.05)  # 10 and 10.5: 5 % of 10, just
    assert not timing.halves_agree([10, 10, 10.6, 10.6], 0.05)
    assert not timing.halves_agree([10.6, 10.6, 10, 10], 0.05)  # either way round
    assert timing.halves_agree([10, 99, 10], 0.05)  # an odd count leaves the middle call out of both
    assert not timing.halves_agree([5], 0.05) and not timing.halves_agree([], 0.05)


def test_until_stable_stops_once_the_halves_agree_and_leaves_out_the_warmup(clock):
    fake = clock(100, 100, *[0.010] * 100)  # two slow warm-up calls, then steady 10 ms calls
    found = timing.until_stable(fake.call, warmup=2, min_calls=10, tolerance=0.05, budget_s=60)
    assert found["stable"] and found["calls"] == 10 and fake.calls == 12  # the fewest calls: 10
    assert found["p50"] == pytest.approx(10.0) and found["max"] == pytest.approx(10.0)
    assert found["seconds"] == pytest.approx(0.1) and found["warmup"] == 2


def test_until_stable_times_on_past_a_burst_until_it_is_outweighed(clock):
    # 5 fast calls, a burst of 5 five times slower, then fast ones, checked every 2 calls from the 10th: at 10 and
    # 12 the second half's median is slow; at 14 both halves' medians are fast (4 of the last 7 are); the
    # percentiles keep the burst.
    fake = clock(*[0.01] * 5, *[0.05] * 5, *[0.01] * 90)
    found = timing.until_stable(fake.call, warmup=0, min_calls=10, tolerance=0.05, budget_s=60)
    assert found["stable"] and found["calls"] == 14
    assert found["p50"] == pytest.approx(10.0) and found["p99"] == pytest.approx(50.0)


def test_until_stable_stops_at_the_budget_when_the_calls_keep_drifting(clock):
    fake = clock(*[0.01 * 1.1 ** i for i in range(200)])  # each call 10 % slower than the one before
    found = timing.until_stable(fake.call, warmup=0, min_calls=10, tolerance=0.05, budget_s=1.0)
    spent = [sum(0.01 * 1.1 ** i for i in range(n)) for n in range(1, 200)]
    assert not found["stable"] and found["calls"] == next(n for n, s in enumerate(spent, 1) if s >= 1.0)
    assert found["seconds"] >= 1.0
    slow = clock(2.0)
    once = timing.until_stable(slow.call, warmup=1, min_calls=10, tolerance=0.05, budget_s=1.0)
    assert once["calls"] == 1 and not once["stable"] and once["p50"] == pytest.approx(2000.0)
