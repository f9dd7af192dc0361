"""Kernels of the approximate multipliers (semantics in :mod:`numsim.multipliers`).

Float multipliers work on codes of one float format and return a code of it (plus, for the
literal L-Mul formula, a half-unit bit: its value can need one fraction bit more than the
format has); their parameters are an int64 array laid out by :data:`LOGADD_FIELDS`. Integer multipliers work on raw signed
integers (sign-magnitude: magnitudes multiplied, the sign applied afterwards).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT_CACHE
from .rounding import msb

EXACT, LOGADD, INT_MITCHELL, DRUM, TRUNCATED, LOOKUP = 0, 1, 2, 3, 4, 5

# switch values
ZERO_SIGNED, ZERO_POSITIVE, ZERO_RAW = 0, 1, 2
SUB_FLUSH, SUB_RAW = 0, 1
UNDER_FLUSH, UNDER_POSITIVE, UNDER_PASS, UNDER_WRAP = 0, 1, 2, 3
OVER_INF, OVER_SATURATE, OVER_NAN, OVER_WRAP = 0, 1, 2, 3

LOGADD_FIELDS = (
    "man_bits",  # m
    "bias",
    "sign_bit",  # 0 for unsigned formats
    "mag_mask",  # (1 << (E + m)) - 1
    "max_mag",  # largest finite magnitude pattern
    "nan_min",  # magnitudes >= this are NaN (ieee: exp_all + 1; fn: mag_mask; none: 2^62)
    "inf_mag",  # infinity magnitude pattern, -1 if none
    "nan_code",  # positive default NaN code, -1 if none
    "neg_zero",  # 1 if the format has -0
    "subnormals",  # 1 if exponent-field-0 codes are subnormal numbers (else zeros)
    "offset",
    "literal",
    "drop_bits",  # m - mantissa_bits (0: no input quantization)
    "nearest",  # 1: nearest-even input quantization, 0: truncation
    "zero",
    "subnormal",
    "underflow",
    "overflow",
    "raw_specials",
)
_F = {name: i for i, name in enumerate(LOGADD_FIELDS)}
MAN_BITS, BIAS, SIGN_BIT, MAG_MASK, MAX_MAG, NAN_MIN, INF_MAG, NAN_CODE, NEG_ZERO, SUBNORMALS = range(10)
OFFSET, LITERAL, DROP_BITS, NEAREST, ZERO, SUBNORMAL, UNDERFLOW, OVERFLOW, RAW_SPECIALS = range(10, 19)


@njit(cache=JIT_CACHE)
def _quantized(mag, p):
    """The input magnitude with its mantissa cut to the kept bits."""
    d = p[DROP_BITS]
    if d == 0 or mag > p[MAX_MAG]:
        return mag
    low = mag & ((np.int64(1) << d) - 1)
    down = mag - low
    if p[NEAREST] == 0:
        return down
    half = np.int64(1) << (d - 1)
    if low > half or (low == half and ((down >> d) & 1) == 1):
        up = down + (np.int64(1) << d)
        return up if up <= p[MAX_MAG] else down
    return down


@njit(cache=JIT_CACHE)
def _is_zero(mag, p):
    """Whether a finite magnitude counts as zero (true zeros, flushed subnormals)."""
    if mag == 0:
        return True
    if mag < (np.int64(1) << p[MAN_BITS]):
        return p[SUBNORMALS] == 0 or p[SUBNORMAL] == SUB_FLUSH
    return False


@njit(cache=JIT_CACHE)
def _signed_zero(negative, p):
    return p[SIGN_BIT] if (negative and p[NEG_ZERO] == 1) else np.int64(0)


@njit(cache=JIT_CACHE)
def logadd(ca, cb, p):
    """``(code, half)`` of the integer-adder product (L-Mul, float Mitchell) of codes ``ca``,
    ``cb``: the result is the value of ``code`` plus ``half`` (0 or 1) half-units in its last
    place. ``half`` is 1 only for the literal formula, whose renormalisation ``(1 + t) / 2`` can
    end in half a unit, and only on normal in-range results; a negative code is a NaN the
    format lacks."""
    sb = p[SIGN_BIT]
    negative = sb != 0 and ((ca & sb) != 0) != ((cb & sb) != 0)
    ma = ca & p[MAG_MASK]
    mb = cb & p[MAG_MASK]
    none = np.int64(0)
    ieee = p[RAW_SPECIALS] == 0
    if ieee:
        if ma >= p[NAN_MIN] or mb >= p[NAN_MIN]:
            return p[NAN_CODE], none
    ma = _quantized(ma, p)
    mb = _quantized(mb, p)
    if ieee and (ma == p[INF_MAG] or mb == p[INF_MAG]):
        other = mb if ma == p[INF_MAG] else ma
        if other != p[INF_MAG] and _is_zero(other, p):
            return p[NAN_CODE], none
        return p[INF_MAG] | (sb if negative else none), none
    za = _is_zero(ma, p)
    zb = _is_zero(mb, p)
    if za or zb:
        if p[ZERO] == ZERO_SIGNED:
            return _signed_zero(negative, p), none
        if p[ZERO] == ZERO_POSITIVE:
            return none, none
        if za:
            ma = none
        if zb:
            mb = none
    m = p[MAN_BITS]
    one = np.int64(1) << m
    half = none
    if p[LITERAL] == 0:
        r = ma + mb - p[OFFSET]
    else:
        t = (ma & (one - 1)) + (mb & (one - 1)) + (p[BIAS] << m) - p[OFFSET]
        e = (ma >> m) + (mb >> m) - p[BIAS]
        if t < one:
            r = (e << m) + t
        else:
            r = ((e + 1) << m) + ((one + t) >> 1) - one
            half = (one + t) & 1
    modulus = p[MAG_MASK] + 1
    sign = sb if negative else none
    if r < one:
        policy = p[UNDERFLOW]
        if policy == UNDER_FLUSH:
            return _signed_zero(negative, p), none
        if policy == UNDER_POSITIVE:
            return none, none
        if policy == UNDER_PASS:
            return ((r | sign) if r > 0 else _signed_zero(negative, p)), none
        return (r % modulus) | sign, none
    if r > p[MAX_MAG] or (r == p[MAX_MAG] and half == 1):
        policy = p[OVERFLOW]
        if policy == OVER_INF:
            return p[INF_MAG] | sign, none
        if policy == OVER_SATURATE:
            return p[MAX_MAG] | sign, none
        if policy == OVER_NAN:
            return p[NAN_CODE], none
        return (r % modulus) | sign, none
    return r | sign, half


@njit(cache=JIT_CACHE)
def half_unit(code, p):
    """Half a unit in the last place of the finite code ``code`` (float64, signed like it)."""
    mag = code & p[MAG_MASK]
    field = max(mag >> p[MAN_BITS], np.int64(1))
    h = np.float64(2.0) ** (field - p[BIAS] - p[MAN_BITS] - 1)
    return -h if (code & p[SIGN_BIT]) != 0 else h


@njit(cache=JIT_CACHE)
def mitchell_int(a, b):
    """Mitchell's integer product of magnitudes ``a``, ``b`` >= 0."""
    if a == 0 or b == 0:
        return np.int64(0)
    k1 = msb(a)
    k2 = msb(b)
    f = ((a - (np.int64(1) << k1)) << k2) + ((b - (np.int64(1) << k2)) << k1)
    base = np.int64(1) << (k1 + k2)
    return base + f if f < base else f << 1


@njit(cache=JIT_CACHE)
def _drum_operand(a, k):
    if a == 0:
        return a
    p = msb(a)
    if p < k:
        return a
    s = p - k + 1
    return ((a >> s) | 1) << s


@njit(cache=JIT_CACHE)
def drum(a, b, k):
    """DRUM-k product of magnitudes ``a``, ``b`` >= 0."""
    return _drum_operand(a, k) * _drum_operand(b, k)


@njit(cache=JIT_CACHE)
def broken_array(a, b, vbl, hbl):
    """Broken-array product of magnitudes: rows ``i >= hbl``, columns ``i + j >= vbl``."""
    total = np.int64(0)
    i = hbl
    while (b >> i) != 0:
        if (b >> i) & 1:
            cut = max(vbl - i, 0)
            total += ((a >> cut) << cut) << i
        i += 1
    return total


@njit(cache=JIT_CACHE)
def int_product(kind, a, b, param0, param1):
    """Signed raw product of an integer multiplier (sign-magnitude around the unsigned core)."""
    negative = (a < 0) != (b < 0)
    ua = -a if a < 0 else a
    ub = -b if b < 0 else b
    if kind == INT_MITCHELL:
        m = mitchell_int(ua, ub)
    elif kind == DRUM:
        m = drum(ua, ub, param0)
    else:
        m = broken_array(ua, ub, param0, param1)
    return -m if negative else m


@njit(nogil=True, cache=JIT_CACHE)
def logadd_codes(start, stop, ca, cb, p, out, half):
    """``out[i], half[i] = logadd(ca[i], cb[i])`` for ``start <= i < stop``."""
    for i in range(start, stop):
        out[i], half[i] = logadd(ca[i], cb[i], p)


@njit(nogil=True, cache=JIT_CACHE)
def int_products(start, stop, kind, a, b, param0, param1, table, out):
    """``out[i]`` = the raw product of raw integers (or, for LOOKUP, codes) ``a[i]``, ``b[i]``, for
    ``start <= i < stop``."""
    for i in range(start, stop):
        if kind == LOOKUP:
            out[i] = table[a[i], b[i]]
        else:
            out[i] = int_product(kind, a[i], b[i], param0, param1)
