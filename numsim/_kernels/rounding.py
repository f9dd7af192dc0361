"""Round-once decision shared by every kernel that rounds an exact value.

An exact magnitude is ``mag * 2^e2`` with ``0 < mag < 2^63``. Rounding to a quantum ``2^Q`` shifts
right by ``shift = Q - e2 > 0``: the truncated significand is ``mag >> shift`` and the residual
``nu = (mag mod 2^shift) / 2^shift`` decides whether to step one quantum away from zero.
Integer arithmetic only; shifts of 64 or more are handled explicitly (Numba, like x86, would mask
the count); ``(1 << 63) - 1`` wraps to the int64 maximum, the mask of a 63-bit shift.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import leading_zeros

from .._config import JIT_CACHE

NEAREST_EVEN = 0
NEAREST_AWAY = 1
TOWARD_ZERO = 2
TOWARD_POSITIVE = 3
TOWARD_NEGATIVE = 4
TO_ODD = 5
STOCHASTIC_A = 6
STOCHASTIC_B = 7
STOCHASTIC_C = 8

SATURATE = 0
SATURATE_KEEP_INF = 1
NON_SATURATING = 2
WRAP = 3

_SPLITMIX_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_SPLITMIX_M1 = np.uint64(0xBF58476D1CE4E5B9)
_SPLITMIX_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=JIT_CACHE)
def msb(mag):
    """Index of the highest set bit of ``mag > 0`` (floor(log2 mag))."""
    return np.int64(63) - np.int64(leading_zeros(np.uint64(mag)))


@njit(cache=JIT_CACHE)
def truncate(mag, shift):
    """``floor(mag / 2^shift)`` for ``shift >= 0``."""
    return mag >> shift if shift < 64 else np.int64(0)


@njit(cache=JIT_CACHE)
def scaled_residual(mag, shift, k):
    """``floor(nu 2^k)`` with ``nu = (mag mod 2^shift) / 2^shift``, ``shift >= 1``, ``k <= 34``."""
    rem = mag & ((np.int64(1) << shift) - 1) if shift < 64 else mag
    if shift >= k:
        d = shift - k
        return rem >> d if d < 64 else np.int64(0)
    return rem << (k - shift)


@njit(cache=JIT_CACHE)
def toward_zero_for_sign(mode, negative):
    """Whether ``mode`` never rounds away from zero for this sign (IEEE overflow to +-max)."""
    return (
        mode == TOWARD_ZERO
        or mode == TO_ODD
        or (mode == TOWARD_NEGATIVE and not negative)
        or (mode == TOWARD_POSITIVE and negative)
    )


@njit(cache=JIT_CACHE)
def round_away(mode, negative, trunc_odd, mag, shift, rbits, nbits):
    """Whether ``mag * 2^-shift`` (``shift >= 1``) rounds one quantum away from zero.

    ``trunc_odd`` is the parity of the *code* of the truncated value; ``rbits`` is the random
    integer in [0, 2^nbits) for stochastic modes.
    """
    if shift < 64:
        rem = mag & ((np.int64(1) << shift) - 1)
        half = np.int64(1) << (shift - 1)
        above = rem > half
        tie = rem == half
    else:  # mag < 2^63 <= 2^(shift-1): nonzero and below half
        rem = mag
        above = False
        tie = False
    inexact = rem != 0
    if mode == NEAREST_EVEN:
        return above or (tie and trunc_odd)
    if mode == NEAREST_AWAY:
        return above or tie
    if mode == TOWARD_ZERO:
        return False
    if mode == TOWARD_POSITIVE:
        return inexact and not negative
    if mode == TOWARD_NEGATIVE:
        return inexact and negative
    if mode == TO_ODD:
        return inexact and not trunc_odd
    full = np.int64(1) << nbits
    r = np.int64(rbits)
    if mode == STOCHASTIC_A:
        return scaled_residual(mag, shift, nbits) + r >= full
    if mode == STOCHASTIC_B:
        return scaled_residual(mag, shift, nbits + 1) + 2 * r + 1 >= 2 * full
    # STOCHASTIC_C: residual rounded to nbits with ties to even, then compared
    t = scaled_residual(mag, shift, nbits)
    if shift > nbits:
        d = shift - nbits
        if d < 64:
            low = rem & ((np.int64(1) << d) - 1)
            low_half = np.int64(1) << (d - 1)
            if low > low_half or (low == low_half and (t & 1) == 1):
                t += 1
    return t + r >= full


@njit(cache=JIT_CACHE)
def splitmix64(key, index):
    """The ``index``-th output of a SplitMix64 stream seeded with ``key`` (uint64)."""
    z = np.uint64(key) + (np.uint64(index) + np.uint64(1)) * _SPLITMIX_GAMMA
    z = (z ^ (z >> np.uint64(30))) * _SPLITMIX_M1
    z = (z ^ (z >> np.uint64(27))) * _SPLITMIX_M2
    return z ^ (z >> np.uint64(31))


@njit(cache=JIT_CACHE)
def random_bits(key, index, nbits, explicit):
    """Random integer in [0, 2^nbits) for element ``index``: from ``explicit`` if it is non-empty,
    else the top ``nbits`` of a counter-based SplitMix64 draw (independent of thread count)."""
    if explicit.size > 0:
        return np.int64(explicit[index])
    return np.int64(splitmix64(key, index) >> np.uint64(64 - nbits))
