"""Tiled GEMM for the fused multi-term (tensor-core) accumulator of a sequential chain of blocks
with exact products anchored at ``E_a + E_b`` (semantics in :mod:`numsim.datapath`; the general
kernel's block is :func:`numsim._kernels.datapath.fused_block`, which this kernel calls for every
block of a column that leaves the cases argued below).

Each block of ``n`` products runs in float64 over a tile of output columns:

1. The alignment exponent ``M`` is the largest anchor as a power of two,
   ``2^M = max(2^anchor_floor, 2^(E_d), max_t 2^(E_a,t) * 2^(E_b,t))``, from operand powers
   ``PA``/``PB`` (0 for a zero operand, so a zero product has no anchor, as in the general kernel).
   ``anchor_floor = max(anchor_min, lowest possible anchor)`` leaves ``M`` unchanged whenever
   there is an anchor; with none, every term is zero and the block is ``+0`` either way.
2. ``2^(W - M)`` and ``2^(M - W)`` are formed on the exponent bits (the dispatcher keeps both and
   every ``product * 2^(W - M)`` inside float64's normal range). A product is exact in float64,
   so ``trunc(p * 2^(W - M))`` (``rint`` for nearest alignment) is exactly the general kernel's
   ``sign * floor(|p| * 2^(W - M))``. Each such integer is below ``2^(W + 2)`` and at most ``n + 1``
   of them are summed, so with ``W + 2 + log2(n + 1) <= 53`` (dispatcher) every float64 sum is an
   exact integer, in any order, and ``V = sum * 2^(M - W)`` is the exact block sum.
3. ``V`` rounded into the block format keeping ``frac_bits``: truncation (``toward_zero``) or
   nearest-even on the float64 bits, which is the encoder's rounding for a normal result of the
   exact value ``V``. A zero sum is +0. Subnormal or overflowing results, infinities and NaNs
   take the general block (``ok`` False).
4. ``c_placement="after"``: the running value joins by one nearest-even addition into the
   accumulator format, :func:`numsim._kernels.gemm_float.round_sum_nearest` (both addends are
   values of that format, so no float64 sum can land inexactly on one of its midpoints).

>>> import numpy as np
>>> from numsim._lower.specs import float_spec
>>> from numsim.registry import get_format
>>> cfg = np.zeros(64, np.int64); cfg[[F_N, F_WINDOW, F_EMIN, F_EMAX]] = [4, 25, -126, 127]
>>> acc = np.zeros((1, 1)); fp32 = float_spec(get_format("float32"))
>>> A = np.array([[1.0, 2.0 ** -30]]); B = np.array([[[1.0], [1.0]]])  # 2^-30 falls below W = 25
>>> fused_gemm(0, 1, cfg, A, A, B, B, acc, np.int64(1), fp32, fp32, np.int64(-300)); acc.tolist()
[[1.0]]
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._config import JIT_CACHE
from .codec import decode_float_element
from .datapath import (
    ACC_MODE,
    ACC_OVERFLOW,
    F_AFTER,
    F_EMAX,
    F_EMIN,
    F_N,
    F_NEAREST,
    F_WINDOW,
    exponent,
    fused_block,
    pow2,
    product_anchors,
)
from .gemm_float import COL_BLOCK, ROW_BLOCK, nearest_consts, round_sum_nearest, tile_origin
from .rounding import NEAREST_EVEN

_ABS = np.int64(0x7FFFFFFFFFFFFFFF)
_EXP = np.int64(0x7FF0000000000000)


@njit(cache=JIT_CACHE)
def _align(y, nearest):
    """``y`` (an exact float64) to an integer: nearest-even or toward zero."""
    return np.rint(y) if nearest else np.trunc(y)


@njit(cache=JIT_CACHE)
def _block_consts(cfg, blk_spec):
    """``(sh, half, odd, clear, lo_bits, top_bits)``: rounding of a float64 to the block format's
    ``man_bits``, ``(bits + half + (odd & (bits >> sh))) & clear`` (``half = odd = 0``: truncation),
    and the bits of its normal range: results with ``lo_bits <= |bits| < top_bits`` need neither
    subnormal nor overflow handling."""
    sh = 52 - blk_spec.man_bits
    clear = ~((np.int64(1) << sh) - 1)
    lo = (blk_spec.emin + np.int64(1023)) << 52
    if cfg[ACC_MODE] == NEAREST_EVEN:
        midbit = np.int64(1) << (sh - 1)
        top = np.float64(decode_float_element(blk_spec.max_mag, blk_spec)[0]).view(np.int64) + midbit
        return sh, midbit - 1, np.int64(1), clear, lo, top
    return sh, np.int64(0), np.int64(0), clear, lo, (cfg[F_EMAX] + np.int64(1024)) << 52


@njit(nogil=True, cache=JIT_CACHE)
def fused_gemm(start, stop, cfg, A, PA, B, PB, acc, M, acc_spec, blk_spec, anchor_floor):
    """Tiles ``start <= t < stop`` (:func:`~numsim._kernels.gemm_float.tile_count`) of ``acc`` (R x N, C at entry) become the chain of block FMAs of ``cfg`` (the general
    kernel's configuration vector) over rows of ``A`` and ``B[r // M]``; ``PA``/``PB`` are the
    operands' anchor powers ``2^max(floor(log2|x|), emin)`` (0 for zeros); the tensor core's
    formats have NaN, so no result goes missing."""
    N = acc.shape[1]
    K = A.shape[1]
    n = cfg[F_N]
    W = cfg[F_WINDOW]
    after = cfg[F_AFTER] == 1
    nearest_align = cfg[F_NEAREST] == 1
    sh, half, odd, clear, lo_bits, top_bits = _block_consts(cfg, blk_spec)
    lowmask, midbit, alo_bits, atop_bits, magic = nearest_consts(acc_spec)
    zeros = acc_spec.neg_zero == 1
    floor_pow = pow2(anchor_floor)
    d_floor = pow2(cfg[F_EMIN])
    scale_base = (W + np.int64(2046)) << 52
    unscale = W << 52
    nrb = (M + ROW_BLOCK - 1) // ROW_BLOCK
    ncb = (N + COL_BLOCK - 1) // COL_BLOCK
    for t in range(start, stop):
        b, r0, j0 = tile_origin(np.int64(t), M, nrb, ncb)
        rows = min(ROW_BLOCK, (b + 1) * M - r0)
        w = min(COL_BLOCK, N - j0)
        tile = np.empty((ROW_BLOCK, COL_BLOCK))
        mpow = np.empty(COL_BLOCK)
        scale = np.empty(COL_BLOCK)
        total = np.empty(COL_BLOCK)
        redo = np.empty(COL_BLOCK, np.bool_)
        d1 = np.empty(1)
        P1 = np.empty((n, 1))
        ANC1 = np.empty((n, 1), np.int64)
        eb1 = np.empty(1, np.int64)
        m1 = np.empty(1, np.int64)
        s1 = np.empty(1, np.int64)
        for i in range(rows):
            for j in range(w):
                tile[i, j] = acc[r0 + i, j0 + j]
        for k0 in range(0, K, n):
            count = min(n, K - k0)
            for i in range(rows):
                r = r0 + i
                drow = tile[i]
                for j in range(w):
                    x = drow[j]
                    dpow = max(np.int64(np.float64(x).view(np.int64) & _EXP).view(np.float64), d_floor)
                    mpow[j] = floor_pow if (after or x == 0.0) else max(floor_pow, dpow)
                for u in range(count):
                    pa = PA[r, k0 + u]
                    pbrow = PB[b, k0 + u, j0 : j0 + w]
                    for j in range(w):
                        mpow[j] = max(mpow[j], pa * pbrow[j])
                for j in range(w):
                    sc = np.int64(scale_base - np.float64(mpow[j]).view(np.int64)).view(np.float64)
                    scale[j] = sc
                    total[j] = 0.0 if after else 0.0 + _align(drow[j] * sc, nearest_align)
                for u in range(count):
                    a = A[r, k0 + u]
                    brow = B[b, k0 + u, j0 : j0 + w]
                    for j in range(w):
                        total[j] += _align(a * brow[j] * scale[j], nearest_align)
                anyredo = False
                for j in range(w):
                    x = drow[j]
                    v = total[j] * np.int64(np.float64(mpow[j]).view(np.int64) - unscale).view(np.float64)
                    bits = np.float64(v).view(np.int64)
                    ab = bits & _ABS
                    ok = ((ab >= lo_bits) & (ab < top_bits)) | (ab == 0)
                    rv = np.int64((bits + half + (odd & (bits >> sh))) & clear).view(np.float64)
                    if after and x != 0.0:
                        rv, ok2 = round_sum_nearest(x, rv + x, lowmask, midbit, alo_bits, atop_bits, magic, zeros, np.bool_(True))
                        ok &= ok2
                    ok &= math.isfinite(x)
                    drow[j] = rv if ok else x
                    redo[j] = not ok
                    anyredo |= not ok
                if anyredo:
                    for j in range(w):
                        if redo[j]:
                            d1[0] = drow[j]
                            for u in range(count):
                                P1[u, 0] = A[r, k0 + u] * B[b, k0 + u, j0 + j]
                                eb1[0] = exponent(PB[b, k0 + u, j0 + j])
                                product_anchors(cfg, P1[u], ANC1[u], exponent(PA[r, k0 + u]), eb1)
                            fused_block(cfg, d1, P1, ANC1, count, acc_spec, blk_spec, cfg[ACC_MODE], cfg[ACC_OVERFLOW], m1, s1)
                            drow[j] = d1[0]
        for i in range(rows):
            for j in range(w):
                acc[r0 + i, j0 + j] = tile[i, j]
