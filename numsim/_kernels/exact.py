"""Exact arithmetic on integer significands, ready for one rounding.

A finite nonzero operand is ``mag * 2^e2`` with ``0 < mag < 2^62`` (int64). Every operation here
returns its result in the same form, either exactly or as a *window*: ``mag`` with at least
:data:`WINDOW_BITS` significant bits whose lowest bit is a sticky bit (set when anything nonzero
lies below it). Rounding such a window to a quantum at least two bits above the sticky bit, with
up to ``nbits`` stochastic residual bits below the quantum, decides exactly as rounding the true
value would when ``precision + nbits <= WINDOW_BITS - 1`` (the public functions check this).

The sums keep the operands exact in an unsigned 64-bit window: the operand with the larger
leading bit sits at bit 61, the other is shifted to match, and bits shifted out of it become a
half-unit: ``(2 * kept + 1)`` at twice the resolution, which lies strictly inside the interval
the true value occupies, so no rounding boundary can separate them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT_CACHE
from .rounding import msb

WINDOW_BITS = 60
"""Significant bits that an inexact result carries above its sticky bit."""
_TOP = 61  # leading bit of the larger addend in the sum window


@njit(cache=JIT_CACHE)
def _sticky_shift(mag, s):
    """``mag >> s`` (``mag`` unsigned 64-bit, ``s >= 1``) and whether any shifted-out bit was set."""
    if s >= 64:
        return np.uint64(0), mag != np.uint64(0)
    return mag >> np.uint64(s), (mag & ((np.uint64(1) << np.uint64(s)) - np.uint64(1))) != np.uint64(0)


@njit(cache=JIT_CACHE)
def window(mag, e2):
    """An unsigned 64-bit ``mag * 2^e2`` (``mag > 0``) as an int64 below 2^62: unchanged when it
    fits, else cut to :data:`WINDOW_BITS` + 1 bits above a sticky bit."""
    top = msb(mag)
    if top <= 61:
        return np.int64(mag), e2
    s = top - WINDOW_BITS
    kept, sticky = _sticky_shift(mag, s)
    return (np.int64(kept) << 1) | np.int64(sticky), e2 + s - 1


@njit(cache=JIT_CACHE)
def exact_sum(neg_a, mag_a, e_a, neg_b, mag_b, e_b):
    """``(-1)^neg_a mag_a 2^e_a + (-1)^neg_b mag_b 2^e_b`` for nonzero operands below 2^62, as
    ``(negative, mag, e2)``; ``mag == 0`` for an exact cancellation (the caller picks the zero's
    sign)."""
    if msb(mag_b) + e_b > msb(mag_a) + e_a:  # a holds the higher leading bit
        neg_a, mag_a, e_a, neg_b, mag_b, e_b = neg_b, mag_b, e_b, neg_a, mag_a, e_a
    lift = _TOP - msb(mag_a)
    base = e_a - lift  # exponent of the window's lowest bit
    big = np.uint64(mag_a) << np.uint64(lift + 1)  # one more bit for the half-unit
    d = e_b - base
    if d >= 0:  # b lies within the window (always when the leading bits are equal)
        small = np.uint64(mag_b) << np.uint64(d + 1)
    else:
        kept, sticky = _sticky_shift(np.uint64(mag_b), -d)
        small = (kept << np.uint64(1)) | np.uint64(sticky)
    negative = neg_a
    if neg_a == neg_b:
        total = big + small
    elif big >= small:
        total = big - small
    else:  # equal leading bits, b larger
        total = small - big
        negative = neg_b
    if total == np.uint64(0):
        return False, np.int64(0), np.int64(0)
    mag, e2 = window(total, base - 1)
    return negative, mag, e2


@njit(cache=JIT_CACHE)
def exact_product(mag_a, e_a, mag_b, e_b):
    """``mag_a 2^e_a * mag_b 2^e_b`` for significands below 2^32 (the product fits 64 bits)."""
    return window(np.uint64(mag_a) * np.uint64(mag_b), e_a + e_b)


@njit(cache=JIT_CACHE)
def exact_quotient(num, num_e2, den, den_e2):
    """``num 2^num_e2 / (den 2^den_e2)`` (``0 < num < 2^63``, ``0 < den < 2^53``) as a window of
    at least :data:`WINDOW_BITS` bits (the integer part of ``num / den`` is always kept whole)."""
    return divide(num, num_e2, den, den_e2, np.int64(WINDOW_BITS))  # typed: one specialization of divide


@njit(cache=JIT_CACHE)
def divide(num, num_e2, den, den_e2, want):
    """``num 2^num_e2 / (den 2^den_e2)`` as ``(mag, e2)``: ``mag`` has at least ``want`` (<= 60)
    significant bits followed by a sticky lowest bit, which keeps every rounding decision of a
    format of up to ``want - 2`` bits of precision plus residual bits exact. ``0 < den < 2^53``."""
    q = num // den
    r = num % den
    e2 = num_e2 - den_e2
    step = 62 - (msb(den) + 1)
    while q == 0 or msb(q) + 1 < want:
        have = 0 if q == 0 else msb(q) + 1
        k = min(step, want - have)
        r <<= k
        q = (q << k) | (r // den)
        r = r % den
        e2 -= k
    q = (q << 1) | (r != 0)
    return q, e2 - 1


@njit(cache=JIT_CACHE)
def exact_sqrt(mag, e2):
    """Square root of ``mag 2^e2`` (``0 < mag < 2^62``) as a window: a 60-bit root by the
    digit-by-digit method on ``mag * 4^k`` (its bit pairs read from ``mag``, zeros below), then the
    sticky bit of the remainder."""
    if e2 & 1:
        mag <<= 1
        e2 -= 1
    k = (119 - msb(mag)) // 2  # mag * 4^k has 119 or 120 bits: a root in [2^59, 2^60)
    q = np.int64(0)
    r = np.int64(0)  # r <= 2q < 2^61 throughout, so r << 2 stays below 2^63
    for i in range(59, -1, -1):
        j = 2 * (i - k)
        pair = (mag >> j) & 3 if j >= 0 else np.int64(0)
        r = (r << 2) | pair
        t = (q << 2) | 1
        if r >= t:
            r -= t
            q = (q << 1) | 1
        else:
            q <<= 1
    return (q << 1) | (r != 0), (e2 - 2 * k) // 2 - 1
