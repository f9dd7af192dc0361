"""The random bits of stochastic rounding: seeds, explicit bits and the key of the kernels' stream.

Element i of a stochastic rounding uses the i-th draw of a counter-based SplitMix64 stream keyed by
one uint64 (:func:`random_key`), so results do not depend on the thread count; explicit random
bits replace the stream.

>>> stochastic_args(Rounding.STOCHASTIC_A, 7, 8, [3, 255], 2)[1:]
(8, array([  3, 255], dtype=uint64))
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .rounding import Rounding

MAX_SR_BITS = 32
"""Most random bits a stochastic rounding may use."""


def random_key(seed) -> np.uint64:
    """The stream key of a seed: a non-negative integer, a numpy Generator (advanced by one draw),
    a SeedSequence, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return np.uint64(seed.integers(0, 2**64, dtype=np.uint64, endpoint=False))
    if isinstance(seed, np.random.SeedSequence):
        return seed.generate_state(1, np.uint64)[0]
    if seed is None:
        return np.random.SeedSequence().generate_state(1, np.uint64)[0]
    if isinstance(seed, (float, np.floating)) and not math.isfinite(seed):
        raise ValueError(f"seed must be a finite non-negative integer or a numpy Generator, got {seed!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer, a numpy Generator or SeedSequence, got {seed!r} of type {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.SeedSequence(int(seed)).generate_state(1, np.uint64)[0]


def stochastic_args(mode: Rounding, seed, sr_bits, random_bits, size: int) -> tuple[np.uint64, int, np.ndarray]:
    """``(key, sr_bits, explicit bits)`` for the kernels of a rounding ``mode`` of ``size`` elements
    (key 0 and no bits for deterministic modes)."""
    if isinstance(sr_bits, bool) or not isinstance(sr_bits, numbers.Integral) or not 1 <= sr_bits <= MAX_SR_BITS:
        raise ValueError(f"sr_bits must be an integer in 1..{MAX_SR_BITS}, got {sr_bits!r}")
    explicit = np.empty(0, np.uint64)
    if not mode.is_stochastic:
        if random_bits is not None:
            raise ValueError(f"random_bits is used only by the stochastic rounding modes, not by rounding={mode.value!r}")
        return np.uint64(0), int(sr_bits), explicit
    if random_bits is not None:
        rb = np.asarray(random_bits)
        if rb.dtype.kind not in "iu":
            raise TypeError(f"random_bits must be an integer array, got dtype {rb.dtype}")
        if rb.size != size:
            raise ValueError(f"random_bits must have one entry per element of x ({size}), got {rb.size}")
        if rb.size and (rb.min() < 0 or rb.max() >= 2**sr_bits):
            raise ValueError(f"random_bits must lie in [0, 2^sr_bits) = [0, {2**sr_bits}), got values in [{rb.min()}, {rb.max()}]")
        return np.uint64(0), int(sr_bits), np.ascontiguousarray(rb, dtype=np.uint64).reshape(-1)
    return random_key(seed), int(sr_bits), explicit
