"""Vectorised nearest-even rounding of binary32 / binary64 inputs into a float format.

For an input with biased exponent field ``e`` inside ``[lo, hi]`` the result lies in the target's
finite range below its top binade, so rounding is integer arithmetic on the input's bit pattern:

* normal results (``e >= emin_field``): ``code = ((a + 2^(shift-1) - 1 + odd) >> shift) - offset``
  with ``a`` the magnitude bits, ``shift`` the number of mantissa bits dropped and ``offset`` the
  difference of the exponent biases (carries move into the exponent by themselves);
* subnormal results: the significand ``1.m`` shifted by ``shift + emin_field - e`` instead.

Loops over blocks are free of branches so LLVM vectorises them; a block that contains any input
outside ``[lo, hi]`` (zeros, subnormal inputs, values near or beyond the top of the target,
NaN/Inf, negatives for unsigned targets) is revisited and those elements take the general rule of
:mod:`numsim._kernels.codec`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from .._config import JIT_CACHE
from .codec import float_code, store_float_value

BLOCK = 1 << 14
NO_BITS = np.empty(0, np.uint64)  # no explicit random bits: nearest-even draws none


class NearestSpec(NamedTuple):
    """Fast-path parameters for one (input width, target format) pair."""

    in_man: int  # 23 or 52
    lo: int
    hi: int
    emin_field: int  # input biased exponent of the target's smallest normal
    shift: int  # in_man - M
    offset: int  # (in_bias - bias) << M
    sign_bit: int  # of the target code
    neg_zero: int
    unsigned: int
    sub_quantum: float  # 2^(emin - M): the value of subnormal code 1


def binary_bits(x):
    """Bit pattern of a binary32/64 input as int64 (the array holds uint32/uint64 views)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(binary_bits, jit_options={"cache": JIT_CACHE})
def _binary_bits_impl(x):
    if x in (types.uint32, types.uint64):
        return lambda x: np.int64(x)
    return None


def float_from_bits(bits, like):
    """The binary float whose bit pattern is ``bits``, of the width of ``like``'s elements, as float64."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(float_from_bits, jit_options={"cache": JIT_CACHE})
def _float_from_bits_impl(bits, like):
    if like.dtype == types.uint32:
        return lambda bits, like: np.float64(np.int32(bits).view(np.float32))
    if like.dtype == types.uint64:
        return lambda bits, like: np.int64(bits).view(np.float64)
    return None


@njit(cache=JIT_CACHE)
def _rne_shift(v, shift, code_offset):
    """Round-to-nearest-even of ``v / 2^shift`` (``1 <= shift <= 62``, ``0 <= v < 2^53``) where the
    code of the result is ``(v >> shift) - code_offset``: ties go to the even *code*, which differs
    from the even significand when M = 0 and the exponent field is the whole code."""
    odd = ((v >> shift) - code_offset) & 1
    return (v + ((np.int64(1) << shift) >> 1) - 1 + odd) >> shift


@njit(cache=JIT_CACHE)
def _magnitude(u, f):
    return u & ((np.int64(1) << (f.in_man + (11 if f.in_man == 52 else 8))) - 1)


@njit(cache=JIT_CACHE)
def _negative(u, f):
    return ((u >> (f.in_man + (11 if f.in_man == 52 else 8))) & 1) == 1


@njit(cache=JIT_CACHE)
def _below_shift(e, f):
    return min(max(f.shift + f.emin_field - e, np.int64(1)), np.int64(62))


@njit(cache=JIT_CACHE)
def _code(u, f):
    a = _magnitude(u, f)
    e = a >> f.in_man
    normal = (_rne_shift(a, f.shift, f.offset) if f.shift > 0 else a) - f.offset
    significand = (a & ((np.int64(1) << f.in_man) - 1)) | (np.int64(1) << f.in_man)
    subnormal = _rne_shift(significand, _below_shift(e, f), 0)
    mag = normal if e >= f.emin_field else subnormal
    return mag | (f.sign_bit if (_negative(u, f) and (mag != 0 or f.neg_zero)) else np.int64(0))


@njit(cache=JIT_CACHE)
def _outside(u, f):
    e = (_magnitude(u, f) >> f.in_man)
    return e < f.lo or e > f.hi or (f.unsigned and _negative(u, f))


@njit(cache=JIT_CACHE)
def _any_outside(src, f):
    """Whether any input of ``src`` needs the general rule (a branch-free scan)."""
    flags = np.int64(0)
    for i in range(src.size):
        u = binary_bits(src[i])
        e = _magnitude(u, f) >> f.in_man
        flags |= (e - f.lo) | (f.hi - e) | -(f.unsigned & np.int64(_negative(u, f)))
    return flags < 0


@njit(cache=JIT_CACHE)
def _codes(src, out, f):
    for i in range(src.size):
        out[i] = _code(binary_bits(src[i]), f)


@njit(cache=JIT_CACHE)
def _values(src, out, f):
    """Rounded values: normal results are the input bits with the low ``shift`` bits rounded away,
    subnormal results ``code * 2^(emin - M)``."""
    for i in range(src.size):
        u = binary_bits(src[i])
        a = _magnitude(u, f)
        e = a >> f.in_man
        normal = float_from_bits(_rne_shift(a, f.shift, f.offset) << f.shift if f.shift > 0 else a, src)
        significand = (a & ((np.int64(1) << f.in_man) - 1)) | (np.int64(1) << f.in_man)
        subnormal = float(_rne_shift(significand, _below_shift(e, f), 0)) * f.sub_quantum
        value = normal if e >= f.emin_field else subnormal
        out[i] = -value if (_negative(u, f) and (value != 0 or f.neg_zero)) else value


@njit(cache=JIT_CACHE)
def _fix_codes(src, out, s, f, overflow, ftz):
    """Redo the inputs outside the fast path with the general rule; returns unrepresentable NaNs."""
    invalid = 0
    for i in range(src.size):
        if _outside(binary_bits(src[i]), f):
            c = float_code(src[i], i, s, 0, overflow, np.uint64(0), 1, NO_BITS, ftz)
            invalid += c < 0
            out[i] = max(c, 0)
    return invalid


@njit(cache=JIT_CACHE)
def _fix_values(src, out, out_bits, table, s, f, overflow, ftz):
    """As :func:`_fix_codes`, storing values (:func:`~numsim._kernels.codec.store_float_value`)."""
    invalid = 0
    for i in range(src.size):
        if _outside(binary_bits(src[i]), f):
            c = float_code(src[i], i, s, 0, overflow, np.uint64(0), 1, NO_BITS, ftz)
            invalid += c < 0
            store_float_value(out, out_bits, table, i, max(c, 0), s)
    return invalid


@njit(parallel=True, cache=JIT_CACHE)
def encode_nearest(src, out, s, f, overflow, ftz):
    """Codes of binary32/64 inputs (``src`` holds their bits) under nearest-even; returns the number
    of NaNs the format cannot represent. Numba reduces only top-level updates of ``invalid``, so
    each block's count is added once."""
    n = src.size
    invalid = 0
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo, hi = b * BLOCK, min(b * BLOCK + BLOCK, n)
        _codes(src[lo:hi], out[lo:hi], f)
        if _any_outside(src[lo:hi], f):
            invalid += _fix_codes(src[lo:hi], out[lo:hi], s, f, overflow, ftz)
    return invalid


@njit(parallel=True, cache=JIT_CACHE)
def quantize_nearest(src, out, out_bits, table, s, f, overflow, ftz):
    """Values of binary32/64 inputs under nearest-even; the general rule decodes through ``table``
    when it is non-empty."""
    n = src.size
    invalid = 0
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo, hi = b * BLOCK, min(b * BLOCK + BLOCK, n)
        _values(src[lo:hi], out[lo:hi], f)
        if _any_outside(src[lo:hi], f):
            invalid += _fix_values(src[lo:hi], out[lo:hi], out_bits[lo:hi] if out_bits.size > 0 else out_bits, table, s, f, overflow, ftz)
    return invalid
