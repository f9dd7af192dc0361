"""Block-scaled matmul with exact block sums in float64 and nearest-even float accumulation (the
fast route of :mod:`numsim.block_gemm`; semantics in :mod:`numsim.datapath`, steps a-d).

One kernel computes, per output element, ``acc = c; acc = RN_F(acc + fp32(s_j * X_j))`` over the
K-blocks ``j`` in order, where ``s_j`` is the exact sum of the block's element products,
``X_j = X_A,j X_B,j`` the product of the block scales and F the accumulator format (fp32, TF32,
bf16, ...). It is bit-identical to the general path (per-block Kulisch sums, rounding into the
fp32 scale format, a round-to-nearest-even sequential accumulation in F) because every step below
is exact or is the one rounding that path declares:

1. **Exact block sums in float64, in any order.** The lowering admits element formats whose
   products are multiples of a quantum ``q`` (the product of the two finest quanta) and whose
   block sums are bounded by ``kb * max|a| * max|b|``, with ``bound / q <= 2^53``. Every partial
   sum, in whatever order, is then an integer multiple of ``q`` of at most 53 bits, so every
   float64 addition (and the FMA that contracts ``a*b + s``: its product needs no rounding) is
   exact. E4M3: ``q = 2^-18``, ``bound = 32 * 448^2 < 2^23``: 41 bits. E2M1: 13 (MXFP4), 12
   (NVFP4) bits; E2M3 / E3M2: 17 / 23 bits; MXINT8: 20 bits.
2. **Split sums where one float64 is too narrow** (E5M2: products span ``2^-32 .. 2^31.6``, a
   block sum needs up to 69 bits). With a threshold ``2^t`` the products of two elements both
   below ``2^t`` go into ``s2`` and all others into ``s1``. ``s2``'s terms are multiples of
   ``q`` below ``2^2t``; each of ``s1``'s terms has a factor of at least ``2^t``, so it is a
   multiple of a quantum ``q1 >= q 2^(t - t_min)``; the lowering picks ``t`` so that both sums
   fit 53 bits (E5M2: ``t`` in ``[2, 8]``). The exact block sum is ``s1 + s2``; TwoSum folds
   it into ``sum_to_odd(s1, s2)``, the sum rounded to odd at 53 bits, and a value rounded to odd
   at 53 bits and then to nearest-even at 24 bits (or fewer: fp32 subnormals) is the correctly
   rounded value (Boldo and Melquiond 2008). The split is used only with power-of-two scale
   products, so multiplying the rounded-to-odd sum by ``X`` commutes with that rounding.
3. **The scales, exactly.** ``s * X`` is exact in float64: ``s`` is an integer multiple ``m q``
   and ``X`` an odd integer ``o`` times a power of two (``o = 1`` for E8M0 x E8M0, ``o <= 15 * 15``
   for NVFP4's E4M3 x E4M3); the lowering checks ``max|m| * max o <= 2^53`` and that ``s * X``
   stays in float64's normal range. A NaN scale (a block that held NaN) makes the product NaN;
   Inf elements give +-Inf or NaN exactly as the Kulisch register's special-value rules do (NaN
   if any NaN, both infinities, or 0 * Inf).
4. **One rounding into fp32.** ``np.float32(s * X)`` is IEEE round-to-nearest-even with
   overflow to Inf and gradual underflow, the declared ``scale_format`` rounding. A zero block sum
   is +0 here and in the Kulisch register (started from +0; float64 gives +0 for ``+0 + -0`` and
   for exact cancellation under nearest-even); an underflowing product keeps its sign.
5. **Accumulation in F**, in block order from ``c``: each step is
   :func:`numsim._kernels.gemm_float.accumulate_row` with the product ``1 * term``, whose
   argument (module docstring there) covers fp32 terms (``q = 24``) and any F the lowering
   admits; sums it leaves undecided, overflowing and special ones take the general addition
   with the accumulator's overflow policy.

6. **The two-level epilogue** (NVFP4's tensor scales, cuBLAS's ``alpha``) into a float output
   with infinities and nearest-even rounding: ``alpha * S`` is exact in float64 (an fp32 value times a value of
   F of at most 29 significant bits, which the lowering checks, exponents within float64's
   range), so the general addition of ``alpha * S`` and ``c`` (a float64 value) is the single
   rounding of the fused multiply-add, with IEEE's signed zeros (``-0 + +0 = +0``) and the output
   format's overflow policy. Without C, ``c = +0``, which turns a -0 into +0.

NaN results are stored as the canonical float64 NaN, as the general path stores them (the lowering
runs the epilogue here only into formats with infinities, whose NaNs come from NaN and invalid
operations alone).

Tiles of 8 output rows x 128 columns keep their block sums and accumulators (float64) in L1 while each row segment of a block of B streams once per tile.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._config import JIT_CACHE
from .datapath import float_add, sum_to_odd
from .gemm_float import accumulate_row, step_consts
from .rounding import NEAREST_EVEN

_NEAREST_EVEN = np.int64(NEAREST_EVEN)
_I0 = np.int64(0)
_ROWS = 8  # output rows sharing each streamed row of B
_COLS = 128  # columns per tile: 8 x 128 float64 sums (x2 when split) and float64 accumulators in L1


def row_tiles(R, M):
    """Number of row tiles of :func:`block_matmul` over ``R = batch * M`` rows."""
    return (R // M) * -(-M // _ROWS) if M > 0 else 0


@njit(nogil=True, cache=JIT_CACHE, fastmath={"contract"})
def block_matmul(start, stop, A, XA, B, XB, C0, M, kb, split, spec, overflow, genuine_ties, epilogue, alpha, C64, out_spec, out_overflow, out_fp32, out):
    """Row tiles ``start <= t < stop`` (:func:`row_tiles`) of ``out`` (R x N float64, R = batch x M):
    nearest-even accumulation into the float format ``spec`` (overflow policy ``overflow``), over
    K-blocks, of the exact block sums of element values ``A`` (R x K) and ``B[b]`` (K x N,
    b = row // M) times the block scales ``XA`` (R x K/kb) and ``XB[b]`` (K/kb x N), each rounded
    into fp32, started from ``C0`` (R x N values of ``spec``). ``split`` > 0: products of two
    elements of magnitude below ``split`` are summed apart and joined by round-to-odd (module
    docstring, step 2); 0: one float64 sum. ``genuine_ties``: the tie bound of
    :mod:`numsim._kernels.gemm_float` holds for fp32 terms and ``spec``. ``epilogue`` (two-level
    formats; step 6 of the module docstring): 0 none, 1 each sum ``S`` becomes ``alpha S``,
    2 ``alpha S + C64``, rounded to nearest-even into ``out_spec`` (overflow policy
    ``out_overflow``; ``out_fp32``: binary32 with overflow to Inf, by a float32 conversion). Returns the number of results that need a NaN ``spec`` or ``out_spec``
    lacks.

    Example: ``A = [[1, 2]]``, ``B = [[3], [4]]``, unit scales, ``kb = 2``: ``out = [[11.0]]``.
    """
    N = out.shape[1]
    K = A.shape[1]
    nblk = K // kb
    tiles = (M + _ROWS - 1) // _ROWS
    consts = step_consts(spec, A, genuine_ties)
    bad = 0
    for t in range(start, stop):
        b = t // tiles
        r0 = b * M + (t % tiles) * _ROWS
        h = min(_ROWS, b * M + M - r0)
        s1 = np.empty((_ROWS, _COLS))  # private to the tile: no aliasing with the inputs
        s2 = np.empty((_ROWS, _COLS))
        acc = np.empty((_ROWS, _COLS))
        terms = np.empty(_COLS)
        redo = np.empty(_COLS, np.bool_)
        for j0 in range(0, N, _COLS):
            w = min(_COLS, N - j0)
            for i in range(h):
                for j in range(w):
                    acc[i, j] = C0[r0 + i, j0 + j]
            for blk in range(nblk):
                s1[:h, :w] = 0.0
                s2[:h, :w] = 0.0
                for k in range(blk * kb, blk * kb + kb):
                    brow = B[b, k, j0 : j0 + w]
                    for i in range(h):
                        a = A[r0 + i, k]
                        row1 = s1[i]
                        if split > 0.0 and abs(a) < split:
                            row2 = s2[i]
                            for j in range(w):
                                p = a * brow[j]
                                small = abs(brow[j]) < split
                                row1[j] += 0.0 if small else p
                                row2[j] += p if small else 0.0
                        else:
                            for j in range(w):
                                row1[j] += a * brow[j]
                for i in range(h):
                    xa = XA[r0 + i, blk]
                    xrow = XB[b, blk, j0 : j0 + w]
                    if split > 0.0:
                        for j in range(w):
                            terms[j] = np.float32(sum_to_odd(s1[i, j], s2[i, j]) * (xa * xrow[j]))
                    else:
                        for j in range(w):
                            terms[j] = np.float32(s1[i, j] * (xa * xrow[j]))
                    bad += accumulate_row(acc[i], 1.0, terms, w, consts, redo, spec, overflow)
            for i in range(h):
                for j in range(w):
                    v = acc[i, j]
                    if epilogue > 0 and out_fp32:  # binary32 rounding of the round-to-odd sum (c = +0: a -0 product gives +0)
                        v = np.float64(np.float32(sum_to_odd(alpha * v, C64[r0 + i, j0 + j]) if epilogue == 2 else alpha * v + 0.0))
                    elif epilogue > 0:
                        v, good = float_add(alpha * v, C64[r0 + i, j0 + j] if epilogue == 2 else 0.0, out_spec, _NEAREST_EVEN, out_overflow, _I0, _I0)
                        bad += not good
                    out[r0 + i, j0 + j] = np.nan if math.isnan(v) else v
    return bad
