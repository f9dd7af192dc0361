"""Numba kernels for encoding, decoding and quantizing scalar formats.

Inputs arrive as bit patterns of binary32 (``uint32``), binary64 (``uint64``) or as ``int64``
integers; :func:`split_input` turns each into ``(kind, negative, mag, e2, payload)`` with the
exact value ``(-1)^negative * mag * 2^e2``. Format descriptions are :class:`FloatSpec` /
:class:`FixedSpec` tuples of ints built by :mod:`numsim.codecs`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from .._config import JIT_CACHE
from .rounding import (
    NON_SATURATING,
    SATURATE,
    STOCHASTIC_A,
    WRAP,
    msb,
    random_bits,
    round_away,
    toward_zero_for_sign,
    truncate,
)

KIND_FINITE = 0
KIND_ZERO = 1
KIND_INF = 2
KIND_NAN = 3

_F64_NAN_BITS = np.int64(0x7FF8000000000000)
_F64_EXP_ALL = np.int64(0x7FF0000000000000)


class FloatSpec(NamedTuple):
    """Kernel view of a FloatFormat (all ints; codes of absent specials are -1)."""

    man_bits: int
    bias: int
    emin: int
    subnormals: int
    no_zero: int
    sign_bit: int  # 1 << (E + M) for signed formats, 0 for unsigned
    mag_mask: int  # (1 << (E + M)) - 1
    max_mag: int
    min_normal_code: int
    neg_zero: int
    ieee_nan: int  # NaNs carry a payload in the mantissa field (ieee style)
    exp_all: int  # ieee: the all-ones exponent field, shifted into place
    nan_pos: int
    nan_neg: int
    inf_pos: int
    inf_neg: int


class FixedSpec(NamedTuple):
    """Kernel view of an IntFormat / FixedFormat."""

    bits: int
    frac_bits: int
    lo: int
    hi: int
    signed: int
    sign_magnitude: int


# ---- input decomposition -------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def split_ieee(v, exp_bits, man_bits):
    """Decompose the bit pattern ``v`` (int64) of a binary float with the given field widths."""
    man = v & ((np.int64(1) << man_bits) - 1)
    e = (v >> man_bits) & ((np.int64(1) << exp_bits) - 1)
    negative = ((v >> (exp_bits + man_bits)) & 1) == 1
    payload = man << (52 - man_bits)
    if e == (np.int64(1) << exp_bits) - 1:
        return (KIND_INF if man == 0 else KIND_NAN), negative, np.int64(0), np.int64(0), payload
    bias = (np.int64(1) << (exp_bits - 1)) - 1
    if e == 0:
        if man == 0:
            return KIND_ZERO, negative, np.int64(0), np.int64(0), payload
        return KIND_FINITE, negative, man, 1 - bias - man_bits, payload
    return KIND_FINITE, negative, man | (np.int64(1) << man_bits), e - bias - man_bits, payload


@njit(cache=JIT_CACHE)
def split_int(v):
    """Decompose an int64 exactly (-2^63 becomes 2^62 * 2^1, the only magnitude above int64)."""
    if v == 0:
        return KIND_ZERO, False, np.int64(0), np.int64(0), np.int64(0)
    if v == np.int64(-0x7FFFFFFFFFFFFFFF - 1):
        return KIND_FINITE, True, np.int64(1) << 62, np.int64(1), np.int64(0)
    negative = v < 0
    return KIND_FINITE, negative, (-v if negative else v), np.int64(0), np.int64(0)


def split_input(x):
    """Dispatch on the element type (binary32 bits, binary64 bits or int64)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(split_input, jit_options={"cache": JIT_CACHE})
def _split_input_impl(x):
    if x == types.uint32:
        return lambda x: split_ieee(np.int64(x), 8, 23)
    if x == types.uint64:
        return lambda x: split_ieee(np.int64(x), 11, 52)
    if x == types.int64:
        return lambda x: split_int(x)
    return None


# ---- float formats -------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def _signed_special(negative, pos, neg):
    return neg if negative else pos


@njit(cache=JIT_CACHE)
def _zero_code(s, negative):
    return s.sign_bit if (negative and s.neg_zero) else np.int64(0)


@njit(cache=JIT_CACHE)
def encode_float_element(kind, negative, mag, e2, payload, s, mode, overflow, rbits, nbits, ftz):
    """Code of ``(-1)^negative mag 2^e2`` in the float format ``s``; -1 if it needs a NaN the format
    lacks."""
    M = s.man_bits
    if kind == KIND_NAN:
        if s.ieee_nan:  # quiet (IEEE 754 6.2): the top payload bits kept, the top mantissa bit set
            p = (payload >> (52 - M)) | (np.int64(1) << (M - 1))
            return (s.sign_bit if negative else np.int64(0)) | s.exp_all | p
        return _signed_special(negative, s.nan_pos, s.nan_neg)
    if s.no_zero and (negative or kind == KIND_ZERO):
        return np.int64(0) if overflow == SATURATE else s.nan_pos
    if kind == KIND_ZERO:
        return _zero_code(s, negative)
    unsigned_negative = negative and s.sign_bit == 0
    if kind == KIND_INF:
        if unsigned_negative:
            return np.int64(0) if overflow == SATURATE else s.nan_pos
        if overflow == SATURATE:
            return s.max_mag | (s.sign_bit if negative else np.int64(0))
        inf = _signed_special(negative, s.inf_pos, s.inf_neg)
        return inf if inf >= 0 else _signed_special(negative, s.nan_pos, s.nan_neg)

    L = msb(mag) + e2
    below = L < s.emin
    if not below:
        q = L - M
    elif s.subnormals:
        q = s.emin - M
    else:
        q = np.int64(s.emin)
    shift = q - e2
    trunc = mag << (-shift) if shift <= 0 else truncate(mag, shift)
    if not below:
        code_t = ((L + s.bias) << M) + trunc - (np.int64(1) << M)
    elif s.subnormals:
        code_t = trunc
    else:
        code_t = np.int64(0)
    up = shift > 0 and round_away(mode, negative, (code_t & 1) == 1, mag, shift, rbits, nbits)
    if below and not s.subnormals:
        code = s.min_normal_code if up else np.int64(0)
    else:
        code = code_t + up

    if (code == 0 and not s.no_zero) or (ftz and code < s.min_normal_code):
        return _zero_code(s, negative)  # flushing happens before the range checks
    if unsigned_negative:
        return np.int64(0) if overflow == SATURATE else s.nan_pos
    if code > s.max_mag:
        if overflow == NON_SATURATING and not toward_zero_for_sign(mode, negative):
            inf = _signed_special(negative, s.inf_pos, s.inf_neg)
            return inf if inf >= 0 else _signed_special(negative, s.nan_pos, s.nan_neg)
        code = np.int64(s.max_mag)
    return code | (s.sign_bit if negative else np.int64(0))


@njit(cache=JIT_CACHE)
def decode_float_element(code, s):
    """``(value, nan_bits)``: the float64 value of ``code``; for NaN codes ``nan_bits`` holds the
    float64 bit pattern (ieee payloads are kept, shifted to the top of the mantissa), else -1."""
    negative = s.sign_bit != 0 and (code & s.sign_bit) != 0
    mag = code & s.mag_mask
    M = s.man_bits
    sign64 = np.int64(-0x7FFFFFFFFFFFFFFF - 1) if negative else np.int64(0)
    if s.exp_all > 0 and (mag & s.exp_all) == s.exp_all:  # ieee: top exponent field
        f = mag & ((np.int64(1) << M) - 1)
        if f == 0:
            return (-math.inf if negative else math.inf), np.int64(-1)
        return 0.0, sign64 | _F64_EXP_ALL | (f << (52 - M))
    if code == s.nan_pos or code == s.nan_neg:
        return 0.0, sign64 | _F64_NAN_BITS
    if code == s.inf_pos:
        return math.inf, np.int64(-1)
    if code == s.inf_neg:
        return -math.inf, np.int64(-1)
    e = mag >> M
    f = mag & ((np.int64(1) << M) - 1)
    if e == 0 and not s.no_zero:
        value = math.ldexp(float(f), s.emin - M) if s.subnormals else 0.0
    else:
        value = math.ldexp(float((np.int64(1) << M) + f), e - s.bias - M)
    return (-value if negative else value), np.int64(-1)


# ---- integer and fixed-point formats -------------------------------------------------------


@njit(cache=JIT_CACHE)
def encode_fixed_element(kind, negative, mag, e2, s, mode, overflow, rbits, nbits):
    """Two's-complement code of the value rounded to a multiple of 2^-frac_bits; -1 if invalid."""
    mask = (np.int64(1) << s.bits) - 1
    if kind == KIND_NAN or (kind == KIND_INF and overflow != SATURATE):
        return np.int64(-1)  # Inf under wrap, or kept infinite (block formats: the block turns NaN)
    if kind == KIND_INF:
        n = -s.lo if negative else np.int64(s.hi)
        if s.sign_magnitude:
            return (np.int64(1) << (s.bits - 1)) | n if negative else n
        return (-n if negative else n) & mask
    if kind == KIND_ZERO:
        return np.int64(0)
    shift = -s.frac_bits - e2
    huge = False
    n = np.int64(0)
    if shift <= 0:
        left = -shift
        if msb(mag) + left >= 62:
            huge = True
            if overflow == WRAP:
                n = (mag & ((np.int64(1) << (s.bits - left)) - 1)) << left if left < s.bits else np.int64(0)
        else:
            n = mag << left
    else:
        trunc = truncate(mag, shift)
        n = trunc + round_away(mode, negative, (trunc & 1) == 1, mag, shift, rbits, nbits)
    if overflow != WRAP:
        if negative and (huge or n > -s.lo):
            n = -s.lo
        if not negative and (huge or n > s.hi):
            n = np.int64(s.hi)
    if s.sign_magnitude:
        return (np.int64(1) << (s.bits - 1)) | n if (negative and n != 0) else n
    return (-n if negative else n) & mask


@njit(cache=JIT_CACHE)
def decode_fixed_element(code, s):
    n = np.int64(code)
    top = np.int64(1) << (s.bits - 1)
    if s.sign_magnitude and n >= top:
        n = -(n - top)
    elif s.signed and n >= top:
        n -= np.int64(1) << s.bits
    return math.ldexp(float(n), -s.frac_bits)


# ---- array kernels -------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def float_code(x, i, s, mode, overflow, key, nbits, explicit, ftz):
    """Code of input element ``x`` (the ``i``-th) in the float format ``s``; -1 if it needs a NaN
    the format lacks."""
    kind, negative, mag, e2, payload = split_input(x)
    r = random_bits(key, i, nbits, explicit) if mode >= STOCHASTIC_A else np.int64(0)
    return encode_float_element(kind, negative, mag, e2, payload, s, mode, overflow, r, nbits, ftz)


@njit(cache=JIT_CACHE)
def fixed_code(x, i, s, mode, overflow, key, nbits, explicit):
    """Code of input element ``x`` (the ``i``-th) in the integer/fixed format ``s``; -1 if invalid."""
    kind, negative, mag, e2, _ = split_input(x)
    r = random_bits(key, i, nbits, explicit) if mode >= STOCHASTIC_A else np.int64(0)
    return encode_fixed_element(kind, negative, mag, e2, s, mode, overflow, r, nbits)


@njit(cache=JIT_CACHE)
def store_float_value(out, out_bits, table, i, code, s):
    """``out[i] =`` the value of ``code``: from ``table`` when it is non-empty, else decoded; NaN
    payloads go through ``out_bits`` (an int64 view of a float64 ``out``) when it is non-empty."""
    if table.size > 0:
        out[i] = table[code]
        return
    value, nan_bits = decode_float_element(code, s)
    if nan_bits == -1:
        out[i] = value
    elif out_bits.size > 0:
        out_bits[i] = nan_bits
    else:
        out[i] = np.nan


@njit(parallel=True, cache=JIT_CACHE)
def encode_float(src, out, s, mode, overflow, key, nbits, explicit, ftz):
    """Encode every element of ``src`` into ``out``; returns the number of unrepresentable NaNs
    (their codes are 0)."""
    invalid = 0
    for i in prange(src.size):
        c = float_code(src[i], np.int64(i), s, mode, overflow, key, nbits, explicit, ftz)
        if c < 0:
            invalid += 1
            c = 0
        out[i] = c
    return invalid


@njit(parallel=True, cache=JIT_CACHE)
def quantize_float(src, out, out_bits, table, s, mode, overflow, key, nbits, explicit, ftz):
    """Like :func:`encode_float` but writes values (see :func:`store_float_value`)."""
    invalid = 0
    for i in prange(src.size):
        c = float_code(src[i], np.int64(i), s, mode, overflow, key, nbits, explicit, ftz)
        if c < 0:
            invalid += 1
            c = 0
        if table.size > 0:
            out[i] = table[c]
        else:
            store_float_value(out, out_bits, table, np.int64(i), c, s)
    return invalid


@njit(parallel=True, cache=JIT_CACHE)
def decode_float(codes, out, out_bits, s):
    empty = np.empty(0, out.dtype)
    for i in prange(codes.size):
        store_float_value(out, out_bits, empty, np.int64(i), np.int64(codes[i]), s)


@njit(parallel=True, cache=JIT_CACHE)
def encode_fixed(src, out, s, mode, overflow, key, nbits, explicit):
    invalid = 0
    for i in prange(src.size):
        c = fixed_code(src[i], np.int64(i), s, mode, overflow, key, nbits, explicit)
        invalid += c < 0
        out[i] = max(c, 0)
    return invalid


@njit(parallel=True, cache=JIT_CACHE)
def quantize_fixed(src, out, s, mode, overflow, key, nbits, explicit):
    invalid = 0
    for i in prange(src.size):
        c = fixed_code(src[i], np.int64(i), s, mode, overflow, key, nbits, explicit)
        invalid += c < 0
        out[i] = decode_fixed_element(max(c, 0), s)
    return invalid


@njit(parallel=True, cache=JIT_CACHE)
def decode_fixed(codes, out, s):
    for i in prange(codes.size):
        out[i] = decode_fixed_element(np.int64(codes[i]), s)


@njit(parallel=True, cache=JIT_CACHE)
def lookup(table, codes, out):
    """``out[i] = table[codes[i]]`` (table decode of formats of at most 16 bits)."""
    for i in prange(codes.size):
        out[i] = table[codes[i]]
