"""Block-scaled datapaths lowered to :mod:`numsim._kernels.block_gemm`: which datapaths its exact
float64 block sums reproduce bit for bit, and the call.

:func:`fast_plan` checks the kernel's exactness argument (module docstring of the kernel) on the
datapath's description: exact products summed exactly per block (a Kulisch block accumulator),
block sums that fit float64's 53 bits in one sum or, with power-of-two scales, in two sums split
at a magnitude threshold, scaled sums exact in float64, their fp32 nearest-even rounding, and
nearest-even sequential accumulation after them in a float format whose values the output
format holds. Anything else returns None and :mod:`numsim.block_gemm` runs the general
per-block kernels.

>>> import numsim
>>> fast_plan(numsim.Datapath("mxfp8"))  # E4M3: one float64 sum per block
0.0
>>> fast_plan(numsim.Datapath("mxfp8_e5m2"))  # E5M2: two sums split at 2^5
32.0
>>> fast_plan(numsim.Datapath("mxfp8", accumulator="bf16"))  # bf16 accumulation, bf16 output
0.0
>>> fast_plan(numsim.Datapath("mxfp8", accumulator="bf16", out_format="e4m3")) is None  # output rounding
True
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._kernels import block_gemm as _k
from .._kernels.inputs import read_only
from .._threads import parallel_chunks
from ..blocks import BlockFormat
from ..datapath import Datapath, FloatAccumulator, Kulisch, Sequential
from ..formats import FixedFormat, FloatFormat, Format, IntFormat, significand_bits
from ..multipliers import Exact
from ..registry import get_format
from ..rounding import Overflow, Rounding
from .datapath import genuine_ties, nearest_tiles_hold, raise_missing_nan, values_embed
from .specs import float_spec

_FP32 = get_format("float32")
_MANTISSA = 53  # float64 significand bits
_NO_C = np.zeros((1, 1))


def fast_plan(dp: Datapath) -> float | None:
    """The ``split`` argument of :func:`numsim._kernels.block_gemm.block_matmul` for ``dp``:
    0.0 when one float64 sum holds every block sum exactly, a power of two ``2^t`` when two sums
    split at ``2^t`` do, and None when the kernel does not reproduce ``dp`` (see the module
    docstring)."""
    acc = dp.accumulator
    two_level = any(isinstance(f, BlockFormat) and f.tensor_scale is not None for f in (dp.a_format, dp.b_format))
    if not (
        isinstance(dp.block_accumulator, Kulisch)
        and isinstance(dp.multiplier, Exact)
        and dp.product_format is None
        and dp.scale_format == _FP32
        and dp.scale_rounding is Rounding.NEAREST_EVEN
        and isinstance(acc, FloatAccumulator)
        and acc.rounding is Rounding.NEAREST_EVEN
        and nearest_tiles_hold(acc.fmt)
        and isinstance(dp.order, Sequential)
        and (acc.fmt.precision + significand_bits(_FP32) <= _MANTISSA if two_level else values_embed(acc.fmt, dp.out_format))
    ):
        return None
    a, b, kb = dp.a_element, dp.b_element, dp.block_size
    if not all(isinstance(f, (FloatFormat, FixedFormat, IntFormat)) for f in (a, b)):
        return None
    xa, xb = _scale_range(dp.a_format), _scale_range(dp.b_format)
    x_odd, x_min, x_max = xa[0] * xb[0], xa[1] * xb[1], xa[2] * xb[2]
    q = _quantum(a) * _quantum(b)  # every product is a multiple of q
    bound = kb * _magnitude(a) * _magnitude(b)  # every partial block sum is at most this
    if q * x_min < Fraction(2) ** -1022 or bound * x_max >= Fraction(2) ** 1024:
        return None  # s * X would leave float64's normal range
    units = math.floor(bound / q)
    if units * x_odd <= 2**_MANTISSA:
        return 0.0  # one float64 sum per block, exact in any order; s * X exact (an odd part of <= 53 bits)
    if x_odd > 1 or not (isinstance(a, FloatFormat) and isinstance(b, FloatFormat)):
        return None  # a split sum is rounded to odd before the scales: those must be powers of two
    fits = [t for t in range(min(a.emin, b.emin) - max(a.man_bits, b.man_bits), max(a.emax, b.emax) + 2) if _split_fits(a, b, kb, t)]
    return math.ldexp(1.0, fits[len(fits) // 2]) if fits else None


def _split_fits(a: FloatFormat, b: FloatFormat, kb: int, t: int) -> bool:
    """Whether both sums of a block split at ``2^t`` are exact in float64: ``s2`` holds products of
    two elements below ``2^t`` (multiples of the finest quantum, below ``kb 2^2t``), ``s1`` the
    others (each with a factor of at least ``2^t``, so a multiple of a coarser quantum)."""
    q = _quantum(a) * _quantum(b)
    q1 = min(_quantum_above(a, t) * _quantum(b), _quantum(a) * _quantum_above(b, t))
    s1_units = math.floor(kb * _magnitude(a) * _magnitude(b) / q1)
    s2_units = math.floor(kb * Fraction(2) ** (2 * t) / q)
    return s1_units <= 2**_MANTISSA and s2_units <= 2**_MANTISSA


def _quantum(f: Format) -> Fraction:
    """The smallest nonzero magnitude: every value is a multiple of it."""
    return Fraction(f.min_subnormal)


def _quantum_above(f: FloatFormat, t: int) -> Fraction:
    """A quantum of every value of magnitude at least ``2^t``: the ulp of the binade ``2^t``."""
    return Fraction(2) ** (max(t, f.emin) - f.man_bits)


def _magnitude(f: Format) -> Fraction:
    """The largest finite magnitude (two's-complement formats: ``-min``)."""
    return max(Fraction(f.max), -Fraction(f.min))


def _scale_range(f: Format) -> tuple[int, Fraction, Fraction]:
    """``(largest odd part, smallest, largest)`` of an operand's block scales (all 1 without
    blocks): a scale is an odd integer below ``2^p`` (p significant bits) times a power of two."""
    if not isinstance(f, BlockFormat):
        return 1, Fraction(1), Fraction(1)
    return 2 ** significand_bits(f.scale) - 1, Fraction(f.scale.min_subnormal), Fraction(f.scale.max)


def run_fast(dp: Datapath, EA, XA, EB, XB, C0, batch, M, K, N, split: float, alpha=None, C=None) -> np.ndarray:
    """Steps b-d of a datapath ``dp`` that :func:`fast_plan` admits (``split`` its answer), shape
    ``batch + (M, N)``: element values ``EA`` (``batch + (M, K)``) and ``EB`` (``batch + (K, N)``),
    block scales ``XA`` (``batch + (M, K/kb)``) and ``XB`` (``batch + (K/kb, N)``), start values
    ``C0`` of the accumulator format (``batch + (M, N)``, or None for +0). With ``alpha`` (a
    float32 value; only for a nearest-even float output) step e as well: ``alpha S + C`` rounded
    once into ``dp.out_format``, ``C`` float64 values or None (+0)."""
    acc = dp.accumulator
    kb = dp.block_size
    nb = int(np.prod(batch)) if batch else 1
    R = nb * M
    nblk = K // kb
    A2 = np.ascontiguousarray(np.broadcast_to(EA, batch + (M, K)).reshape(R, K), np.float64)
    XA2 = np.ascontiguousarray(np.broadcast_to(XA, batch + (M, nblk)).reshape(R, nblk), np.float64)
    B3 = np.ascontiguousarray(np.broadcast_to(EB, batch + (K, N)).reshape(nb, K, N), np.float64)
    XB3 = np.ascontiguousarray(np.broadcast_to(XB, batch + (nblk, N)).reshape(nb, nblk, N), np.float64)
    C2 = np.zeros((R, N)) if C0 is None else np.ascontiguousarray(C0.reshape(R, N), np.float64)
    C64 = _NO_C if alpha is None or C is None else np.ascontiguousarray(np.broadcast_to(C, batch + (M, N)).reshape(R, N), np.float64)
    epilogue = 0 if alpha is None else (1 if C is None else 2)
    out = np.empty((R, N))
    missing = sum(parallel_chunks(
        _k.block_matmul, _k.row_tiles(A2.shape[0], M), *read_only(A2, XA2, B3, XB3, C2), np.int64(M), np.int64(kb), np.float64(split),
        float_spec(acc.fmt), np.int64(acc.overflow.code), np.bool_(genuine_ties(significand_bits(_FP32), acc.fmt.precision)),
        np.int64(epilogue), np.float64(0.0 if alpha is None else alpha), read_only(C64),
        float_spec(dp.out_format if alpha is not None else acc.fmt), np.int64(dp.out_format.default_overflow.code),
        np.bool_(dp.out_format == _FP32 and dp.out_format.default_overflow is Overflow.NON_SATURATING), out,
    ))
    raise_missing_nan(missing, dp)
    return out.reshape(batch + (M, N))
