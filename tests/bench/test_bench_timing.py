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
