"""The measuring protocol every bench follows, ours and the peer's alike (pure Python, imports nothing else).

A measured call must return only once the device has finished its work: ours read the loss or the predicted
classes back to the host (``train_on_batch`` and ``predict_on_batch`` return numpy arrays), the peer calls
``loss.item()`` and ``.cpu()``. The first ``warmup`` calls (compilation, autotuning, allocation) are not timed;
then ``repeats`` windows of ``steps`` calls each are, and a figure that varies is reported as the min, median and
max over those windows.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

WARMUP = 2
STEPS = 10
REPEATS = 3


def spread(values) -> dict:
    """``{"min", "median", "max"}`` of ``values``."""
    values = list(values)
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, interpolated linearly between the nearest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def call_seconds(call: Callable[[], object], count: int) -> list[float]:
    """Wall-clock seconds of each of ``count`` calls of ``call``."""
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def throughput(call: Callable[[], object], items_per_call: int, steps: int = STEPS, repeats: int = REPEATS,
               warmup: int = WARMUP) -> dict:
    """Items per second of ``call`` over ``repeats`` windows of ``steps`` calls, after ``warmup`` untimed calls."""
    call_seconds(call, warmup)
    windows = [sum(call_seconds(call, steps)) for _ in range(repeats)]
    return {"per_s": spread(steps * items_per_call / seconds for seconds in windows),
            "steps": steps, "repeats": repeats, "warmup": warmup, "items_per_call": items_per_call}


def latency(call: Callable[[], object], calls: int, warmup: int = WARMUP) -> dict:
    """Median, 95th percentile and extremes of single calls of ``call``, in milliseconds."""
    call_seconds(call, warmup)
    ms = [1000 * s for s in call_seconds(call, calls)]
    return {**spread(ms), "p95": percentile(ms, 95), "calls": calls, "warmup": warmup}
