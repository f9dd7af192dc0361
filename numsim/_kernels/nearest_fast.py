"""Nearest-even rounding formulas of the block kernels (:mod:`numsim._kernels.block_codec`).

For an input whose biased exponent field ``e`` lies in ``[lo, hi]`` the result is finite and
follows from integer arithmetic on the input's bit pattern:

* normal results (``e >= emin_field``): ``code = ((a + 2^(shift-1) - 1 + odd) >> shift) - offset``
  with ``a`` the magnitude bits, ``shift`` the number of mantissa bits dropped and ``offset`` the
  difference of the exponent biases (carries move into the exponent by themselves);
* subnormal results (and zeros): the significand (with its hidden bit unless the input is itself
  subnormal) shifted right by ``shift + emin_field - max(e, 1)``;
* under a saturating overflow policy the top binade is included and codes are clamped to the
  largest finite code.

The formulas are free of branches so LLVM vectorises the loops that use them; inputs outside
``[lo, hi]`` (:func:`_outside`: NaN/Inf, values beyond the range under non-saturating overflow,
negatives for unsigned targets, inputs in a target's normal range below the input's normal range)
take the general rule of :mod:`numsim._kernels.codec` instead. Scalar codecs under nearest-even
use them for blocks whose inputs all lie in ``[lo, hi]`` (:func:`all_inside`, a cheap scan) and
the formulas of :mod:`numsim._kernels.rounding_fast`, which cover every input and rounding mode,
for the other blocks.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._config import JIT_CACHE


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
    max_mag: int  # largest finite magnitude code and its value: saturation clamps to them
    max_value: float


@njit(cache=JIT_CACHE)
def nearest_spec_of(s, in_man, subnormal_results, saturate):
    """Fast-path parameters for rounding binary32 (``in_man=23``) or binary64 (``in_man=52``) inputs
    into the float format ``s`` (a FloatSpec); ``lo > hi`` when no input can take the fast path.
    ``subnormal_results`` admits inputs that round to subnormals or zero (off under flush-to-zero);
    ``saturate`` admits the top binade, whose overflow then clamps to the largest finite value."""
    in_exp = 8 if in_man == 23 else 11
    in_bias = (1 << (in_exp - 1)) - 1
    M = s.man_bits
    shift = in_man - M
    emax = (s.max_mag >> M) - s.bias
    emin_field = s.emin + in_bias
    top = (1 << in_exp) - 2  # the input's largest finite exponent field
    if saturate:  # a carry out of the input's top binade must stay clampable: only if the target ends there
        hi = emax + in_bias if emax + in_bias <= top else top - 1
    else:
        hi = min((1 << in_exp) - 3, emax - 1 + in_bias)  # results stay below the top binade
    if subnormal_results and s.subnormals and not s.no_zero and emin_field >= 1 and shift + emin_field - 1 >= 1:
        lo = 0  # zeros, subnormal results, subnormal inputs (below the target's normals, rounded)
    else:
        lo = max(1, emin_field)
    if shift < 0:
        lo = hi + 1
    max_value = math.ldexp(float((np.int64(1) << M) + (s.max_mag & ((np.int64(1) << M) - 1))), emax - M)
    return NearestSpec(
        in_man=in_man,
        lo=lo,
        hi=hi,
        emin_field=emin_field,
        shift=shift,
        offset=(in_bias - s.bias) << M,
        sign_bit=s.sign_bit,
        neg_zero=s.neg_zero,
        unsigned=int(s.sign_bit == 0),
        sub_quantum=math.ldexp(1.0, s.emin - M),
        max_mag=s.max_mag,
        max_value=max_value,
    )


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
    if like.dtype in (types.uint32, types.float32):
        return lambda bits, like: np.float64(np.int32(bits).view(np.float32))
    if like.dtype in (types.uint64, types.float64):
        return lambda bits, like: np.int64(bits).view(np.float64)
    return None


@njit(cache=JIT_CACHE, inline="always")
def _rne_shift(v, shift, code_offset):
    """Round-to-nearest-even of ``v / 2^shift`` (``1 <= shift <= 62``, ``0 <= v < 2^53``) where the
    code of the result is ``(v >> shift) - code_offset``: ties go to the even *code*, which differs
    from the even significand when M = 0 and the exponent field is the whole code."""
    odd = ((v >> shift) - code_offset) & 1
    return (v + ((np.int64(1) << shift) >> 1) - 1 + odd) >> shift


@njit(cache=JIT_CACHE, inline="always")
def _magnitude(u, f):
    return u & ((np.int64(1) << (f.in_man + (11 if f.in_man == 52 else 8))) - 1)


@njit(cache=JIT_CACHE, inline="always")
def _negative(u, f):
    return ((u >> (f.in_man + (11 if f.in_man == 52 else 8))) & 1) == 1


@njit(cache=JIT_CACHE, inline="always")
def _below(a, e, f):
    """``(significand, shift)`` of the subnormal-result formula for magnitude bits ``a``."""
    significand = (a & ((np.int64(1) << f.in_man) - 1)) | (np.int64(e > 0) << f.in_man)
    return significand, min(max(f.shift + f.emin_field - max(e, np.int64(1)), np.int64(1)), np.int64(62))


@njit(cache=JIT_CACHE, inline="always")
def _code(u, f):
    a = _magnitude(u, f)
    e = a >> f.in_man
    normal = (_rne_shift(a, f.shift, f.offset) if f.shift > 0 else a) - f.offset
    significand, below = _below(a, e, f)
    mag = min(normal if e >= f.emin_field else _rne_shift(significand, below, 0), np.int64(f.max_mag))
    return mag | (f.sign_bit if (_negative(u, f) & ((mag != 0) | (f.neg_zero != 0))) else np.int64(0))


@njit(cache=JIT_CACHE, inline="always")
def _value(u, f, like):
    """Value of input bits ``u`` rounded by the formulas (``like``: an array of the input's width)."""
    a = _magnitude(u, f)
    e = a >> f.in_man
    normal = float_from_bits(_rne_shift(a, f.shift, f.offset) << f.shift if f.shift > 0 else a, like)
    significand, below = _below(a, e, f)
    value = min(normal if e >= f.emin_field else float(_rne_shift(significand, below, 0)) * f.sub_quantum, f.max_value)
    return -value if (_negative(u, f) & ((value != 0) | (f.neg_zero != 0))) else value


@njit(cache=JIT_CACHE, inline="always")
def _outside(u, f):
    e = _magnitude(u, f) >> f.in_man
    return (e < f.lo) | (e > f.hi) | ((f.unsigned != 0) & _negative(u, f))


@njit(cache=JIT_CACHE)
def all_inside(src, f):
    """Whether every input of ``src`` lies in the formulas' range ``[lo, hi]`` (a branch-free scan)."""
    flags = np.int64(0)
    for i in range(src.size):
        u = binary_bits(src[i])
        e = _magnitude(u, f) >> f.in_man
        flags |= (e - f.lo) | (f.hi - e) | -(f.unsigned & np.int64(_negative(u, f)))
    return flags >= 0


@njit(cache=JIT_CACHE)
def codes_inside(src, out, f):
    """Codes of inputs that :func:`all_inside` admits."""
    for i in range(src.size):
        out[i] = _code(binary_bits(src[i]), f)


@njit(cache=JIT_CACHE)
def values_inside(src, out, f):
    """Values of inputs that :func:`all_inside` admits: normal results are the input bits with the
    low ``shift`` bits rounded away, subnormal results ``code * 2^(emin - M)``."""
    for i in range(src.size):
        out[i] = _value(binary_bits(src[i]), f, src)
