"""Shared timing helper of the benchmark scripts."""

from __future__ import annotations

import time


def best_time(fn, repeat: int) -> float:
    """Best wall-clock time of ``repeat`` calls of ``fn`` after one warm-up call (seconds)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
