"""Shared timing helpers of the benchmark scripts."""

from __future__ import annotations

import time


def best_time(fn, repeat: int) -> float:
    """Best wall-clock time of ``repeat`` calls of ``fn`` after one warm-up call (seconds)."""
    return best_times([fn], repeat)[0]


def best_times(fns, repeat: int) -> list[float]:
    """Best wall-clock time of each of ``fns`` (seconds) over ``repeat`` rounds that call them in
    turn after one warm-up call each, so that a slow spell of a shared machine hits all of them
    alike rather than whichever happened to run then."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best
