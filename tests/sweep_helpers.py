"""Evaluation functions for the sweep tests, importable by worker processes and by a separate
process that the tests kill."""

from __future__ import annotations

import time

import numpy as np


def noisy(*, x: float = 1.0, n: int = 0, tag: str = "", seed: int) -> dict[str, float]:
    """A metric that depends on the point's seed: identical only if seeds are (``n`` and
    ``tag`` are extra axes for the tests)."""
    return {"draw": float(np.random.default_rng(seed).standard_normal()) + x, "x_squared": x * x}


def fails_on_odd(*, x: int = 0) -> dict[str, float]:
    """Raise for odd ``x``: the sweep must turn it into an error row."""
    if x % 2:
        raise RuntimeError(f"odd x={x}")
    return {"half": x / 2}


def slow(*, x: int = 0, delay_s: float = 0.02) -> dict[str, float]:
    """Take ``delay_s`` per point, so a test can kill a sweep half way."""
    time.sleep(delay_s)
    return {"x_cubed": float(x) ** 3}
