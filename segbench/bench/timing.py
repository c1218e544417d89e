"""The measuring protocol every bench follows, ours and the peer's alike (pure Python, imports nothing else).

A measured call must return only once the device has finished its work: ours read the loss or the predicted
classes back to the host (``train_on_batch`` and ``predict_on_batch`` return numpy arrays), the peer calls
``loss.item()`` and ``.cpu()``. The first ``warmup`` calls (compilation, autotuning, allocation) are not timed;
then ``repeats`` windows of ``steps`` calls each are, and a figure that varies is reported as the min, median and
max over those windows.

Latency as a user sees it (``until_stable``, for ``bench latency``) times single calls instead, as many as it takes
for the figure to settle: after the warm-up, calls are timed one by one until the median of the first half of them
and that of the second half agree within a tolerance (at least ``min_calls`` calls), or a time budget is spent; the
percentiles are over every timed call, and the record says whether the halves agreed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

WARMUP = 2
STEPS = 10
REPEATS = 3
LATENCY_THREADS = (1, 2)  # bench latency's thread counts and throughput batch
LATENCY_BATCH = 8
# until_stable's defaults: the warm-up calls, the fewest timed calls (so that p95 is not the slowest call but one of
# a few), the agreement of the halves' medians, and the seconds of timed calls after which it stops regardless.
LATENCY_WARMUP = 5
MIN_CALLS = 50
TOLERANCE = 0.05
BUDGET_S = 30.0


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


def summary(ms) -> dict:
    """``p50``, ``p95``, ``p99``, ``min``, ``max`` and ``mean`` of ``ms``."""
    ms = list(ms)
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99), "min": min(ms),
            "max": max(ms), "mean": statistics.fmean(ms)}


def halves_agree(values, tolerance: float = TOLERANCE) -> bool:
    """Whether the median of the first half of ``values`` (in the order measured) and that of the second half
    differ by at most ``tolerance`` of the smaller: the calls have stopped drifting (a cache warming, a clock
    ramping up, a neighbour's load coming or going). An odd count leaves the middle call out of both halves."""
    values = list(values)
    half = len(values) // 2
    if half == 0:
        return False
    first, second = statistics.median(values[:half]), statistics.median(values[-half:])
    return abs(first - second) <= tolerance * min(first, second)


def until_stable(call: Callable[[], object], warmup: int = LATENCY_WARMUP, min_calls: int = MIN_CALLS,
                 tolerance: float = TOLERANCE, budget_s: float = BUDGET_S) -> dict:
    """Milliseconds of single calls of ``call`` after ``warmup`` untimed ones, timed until ``halves_agree`` on at
    least ``min_calls`` of them or ``budget_s`` seconds of timed calls have passed (one call at least), as
    ``summary`` gives them, with ``calls``, ``warmup``, ``seconds`` (of timed calls) and ``stable`` (whether the
    halves agreed). Agreement is checked every fifth of ``min_calls`` calls, not after each: sorting every time
    would cost more than a fast model's call."""
    call_seconds(call, warmup)
    check_every = max(1, min_calls // 5)
    ms, spent, stable = [], 0.0, False
    while True:
        seconds = call_seconds(call, 1)[0]
        ms.append(1000 * seconds)
        spent += seconds
        if len(ms) >= min_calls and len(ms) % check_every == 0 and halves_agree(ms, tolerance):
            stable = True
            break
        if spent >= budget_s:
            stable = len(ms) >= min_calls and halves_agree(ms, tolerance)
            break
    return {**summary(ms), "calls": len(ms), "warmup": warmup, "seconds": spent, "stable": stable}
