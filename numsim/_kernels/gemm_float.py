"""Tiled GEMM for a sequential float accumulator with nearest-even rounding (semantics in
:mod:`numsim.datapath`; the general kernel is :func:`numsim._kernels.datapath.matmul_rows`).

The general kernel makes every accumulator addition exact-enough with a round-to-odd TwoSum and
then rounds. This kernel adds in plain float64 or float32 (``s = RN(x + p)``, products exact) and
rounds ``s`` into the accumulator format F (nearest-even) with a magic-constant addition,
vectorised over a tile of output columns; an element whose step is outside the cases argued
below is redone by the general :func:`~numsim._kernels.datapath.float_add` (same arguments, same
result).

Why ``RN_F(RN64(S))`` is ``RN_F(S)`` for the exact sum ``S = x + p`` (``x`` a value of F with
``t`` significant bits, ``p`` a product of ``q`` bits):

1. RN64 is monotonic and leaves every float64 number in place; the midpoints between neighbouring
   values of F (``t + 1 <= 53`` bits, inside float64's range) are float64 numbers. So if ``S``
   lies strictly between two midpoints, so does ``s`` or ``s`` is one of them; ``RN_F`` is constant
   between midpoints. The only wrong case: ``s`` is a midpoint ``m`` and ``S != m``.
2. That case needs ``p = m`` and ``|x| <= 2^(e_m - 53)`` when ``max(q, t) + t + 1 <= 53``: if
   ``x >= 2^(e_m - 1)`` or ``x``'s last bit is at or above ``p``'s, ``S`` has at most
   ``t + q + 1`` or ``max(q, t) + t + 1`` significant bits and is a float64 number, ``s = S``.
   Otherwise ``p - m`` is a multiple of ``2^(e_m - max(q, t))``; nonzero, it forces
   ``|x| >= 2^(e_m - max(q, t) - 1)`` and again an exact ``S``; so ``p = m`` and ``x`` is tiny.
   The kernel therefore accepts a midpoint ``s`` as a true tie (rounded to even, which is right
   because ``S = s``) when ``|x| >= 2^(e_s - 52)``, and sends the rest to the general addition.
   Without the bit bound (``genuine_ties`` False) every midpoint goes to the general addition.
3. Rounding ``s`` (normal in F, ``2^emin <= |s| < max + ulp(max)/2``) to ``t`` bits is
   ``(s + c) - c`` with ``c = 1.5 * 2^(e_s + 52 - man_bits)`` for ``man_bits <= 50``: the sum lies
   in ``c``'s binade (``|s| < 2^(e_s + 1) <= c / 3``), whose float64 ulp is F's ulp at ``s``, and
   float64 addition rounds it to nearest-even (``c`` is an even multiple of that ulp, so the tie
   goes to F's even neighbour); the subtraction is exact (Sterbenz). Zeros
   keep IEEE signs (``x + (-x) = +0``, ``-0 + -0 = -0``) when F has a negative zero; subnormal,
   overflowing and special sums take the general addition.

Approximate multipliers (L-Mul, Mitchell, DRUM, product tables): steps 1 and 3 hold for any
addend ``p`` that is a float64 number, so the products come from the general kernel's
:func:`~numsim._kernels.datapath.row_products` (the same values it accumulates) and are added
with ``a = 1``; the tie bound of step 2 takes ``q`` from the multiplier (an L-Mul product is a
code of the operand format plus half a unit: ``precision + 1`` bits) or is not used.

Float32 tiles (bf16 or fp16 accumulation of products that are exact in float32, see the
dispatcher): step 1 holds with float32 in place of float64 (F's midpoints have at most 24 bits),
but the bound of step 2 does not (bf16: ``16 + 8 + 1 = 25 > 24``). Instead each step computes the
exact error ``err = S - s`` by TwoSum (exact in float32 without overflow); a midpoint ``s`` with
``err != 0`` is replaced by F's neighbour on ``err``'s side, ``s +- ulp_F(s) / 2``, which is
``RN_F(S)`` because ``|err| <= ulp32(s) / 2`` is far below half of F's ulp. Step 3 is the same on
float32 bits, for sums below ``2^(127 - 23 + man_bits)`` where ``c`` stays finite.

>>> import numpy as np
>>> from numsim._lower.specs import float_spec
>>> from numsim.registry import get_format
>>> acc = np.zeros((1, 1))
>>> A = np.array([[1.0, 2.0 ** -8]]); B = np.array([[[1.0], [1.0]]])  # 1 + 2^-8 ties to 1 in bf16
>>> int(float_gemm(0, 1, A, B, acc, np.int64(1), float_spec(get_format("bf16")), np.int64(0), np.bool_(True), None)), acc.tolist()
(0, [[1.0]])
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._config import JIT_CACHE
from .codec import decode_float_element
from .datapath import float_add, pow2, row_products
from .rounding import NEAREST_EVEN

ROW_BLOCK = 8  # output rows sharing each streamed row segment of B
COL_BLOCK = 256  # columns per tile: 8 x 256 float64 sums (16 KiB) stay in L1

_ABS = np.int64(0x7FFFFFFFFFFFFFFF)
_EXP = np.int64(0x7FF0000000000000)
_GAP = np.int64(52) << 52  # 2^(e - 52) from 2^e, on the bits
_ABS32 = np.int32(0x7FFFFFFF)
_EXP32 = np.int32(0x7F800000)
_NEAREST_EVEN = np.int64(NEAREST_EVEN)
_I0 = np.int64(0)


@njit(cache=JIT_CACHE)
def nearest_consts(spec):
    """``(lowmask, midbit, lo_bits, top_bits, magic)`` of :func:`round_sum_nearest` for the float
    format ``spec``: float64 bits below F's last place, its half, the bits of ``2^emin`` and of the
    midpoint above F's largest value, and ``1.5 * 2^(52 - man_bits)``."""
    sh = 52 - spec.man_bits
    lowmask = (np.int64(1) << sh) - 1
    midbit = np.int64(1) << (sh - 1)
    top = np.float64(decode_float_element(spec.max_mag, spec)[0]).view(np.int64) + midbit
    return lowmask, midbit, (spec.emin + np.int64(1023)) << 52, top, 1.5 * pow2(sh)


@njit(cache=JIT_CACHE)
def round_sum_nearest(x, s, lowmask, midbit, lo_bits, top_bits, magic, zeros, genuine_ties):
    """``(r, ok)``: ``r = RN_F(s)`` for ``s = RN64(x + p)``, and whether it is the correctly rounded
    exact sum by the argument of the module docstring (``ok`` False: redo the addition)."""
    bits = np.float64(s).view(np.int64)
    ab = bits & _ABS
    ok = ((ab >= lo_bits) & (ab < top_bits)) | ((ab == 0) & zeros)
    tie_ok = genuine_ties & ((np.float64(x).view(np.int64) & _ABS) >= (ab & _EXP) - _GAP)
    ok &= ((bits & lowmask) != midbit) | tie_ok
    c = np.int64(ab & _EXP).view(np.float64) * magic
    return s if ab == 0 else (s + c) - c, ok


def step_consts(spec, A, genuine_ties):
    """The constants of :func:`nearest_step` for tiles of ``A``'s dtype (float32 or float64)."""


def nearest_step(x, a, b, consts):
    """``(r, ok)``: the accumulator value ``x`` plus the exact product ``a * b``, rounded to
    nearest-even into F in the tile's precision, and whether that is certainly the correctly
    rounded exact sum (``ok`` False: redo it with the general addition)."""


def _consts64(spec, A, genuine_ties):
    """float64 tiles: :func:`nearest_consts`, the sign-of-zero rule and the tie bound."""
    lowmask, midbit, lo_bits, top_bits, magic = nearest_consts(spec)
    return lowmask, midbit, lo_bits, top_bits, magic, spec.neg_zero == 1, genuine_ties


def _step64(x, a, b, consts):
    """float64 tiles: the midpoint argument of the module docstring."""
    lowmask, midbit, lo_bits, top_bits, magic, zeros, genuine_ties = consts
    return round_sum_nearest(x, x + a * b, lowmask, midbit, lo_bits, top_bits, magic, zeros, genuine_ties)


def _consts32(spec, A, genuine_ties):
    """float32 tiles: :func:`nearest_consts` on float32 bits, and ``2^-(man_bits + 1)``; sums from
    ``2^(127 - sh)`` up (``sh = 23 - man_bits``) take the general addition, since their rounding
    constant ``1.5 * 2^(e + sh)`` would overflow float32."""
    sh = 23 - spec.man_bits
    midbit = np.int32(1 << (sh - 1))
    top = np.float32(decode_float_element(spec.max_mag, spec)[0]).view(np.int32) + midbit
    top = np.int32(min(top, (254 - sh) << 23))
    lo = np.int32((spec.emin + 127) << 23)
    return np.int32((1 << sh) - 1), midbit, lo, top, np.float32(1.5 * pow2(sh)), np.float32(pow2(-spec.man_bits - 1)), spec.neg_zero == 1


def _step32(x, a, b, consts):
    """float32 tiles: ``s = RN32(x + p)`` with its exact TwoSum error ``err``; a midpoint ``s``
    with ``err != 0`` becomes F's neighbour on ``err``'s side (``s +- ulp_F / 2``, exact)."""
    lowmask, midbit, lo_bits, top_bits, magic, hscale, zeros = consts
    p = a * b
    s = x + p
    bb = s - x
    err = (x - (s - bb)) + (p - bb)
    bits = np.float32(s).view(np.int32)
    ab = bits & _ABS32
    ok = ((ab >= lo_bits) & (ab < top_bits)) | ((ab == 0) & zeros)
    pe = np.int32(ab & _EXP32).view(np.float32)
    c = pe * magic
    r = s + math.copysign(pe * hscale, err) if ((bits & lowmask) == midbit) & (err != 0) else (s + c) - c
    return s if ab == 0 else r, ok


@overload(step_consts)
def _step_consts(spec, A, genuine_ties):
    return _consts32 if A.dtype == types.float32 else _consts64


@overload(nearest_step)
def _nearest_step(x, a, b, consts):
    return _step32 if x == types.float32 else _step64


def tile_products(A, B, b, r, k, j0, w, prods, mul):
    """``(a, row)`` whose products ``a * row[j]`` (exact) are the multiplier's products of
    ``A[r, k]`` and ``B[b, k, j0 + j]``, ``j < w``: the operands themselves for exact products
    (``mul`` None), else ``(1, prods)`` with ``prods`` filled by the general kernel's
    :func:`~numsim._kernels.datapath.row_products` (``mul``: its arguments ``(cfg, WA, WB,
    mparams, mtable, dec_table, in_spec, scale)``, operand words indexed like ``A`` and ``B``)."""


def _operand_products(A, B, b, r, k, j0, w, prods, mul):
    return A[r, k], B[b, k, j0 : j0 + w]


def _multiplier_products(A, B, b, r, k, j0, w, prods, mul):
    cfg, WA, WB, mparams, mtable, dec_table, in_spec, scale = mul
    row = prods[:w]
    row_products(cfg, A[r, k], WA[r, k], B[b, k, j0 : j0 + w], WB[b, k, j0 : j0 + w], mparams, mtable, dec_table, in_spec, scale, row)
    return np.float64(1.0), row


@overload(tile_products, jit_options={"cache": JIT_CACHE})
def _tile_products(A, B, b, r, k, j0, w, prods, mul):
    return _operand_products if isinstance(mul, types.NoneType) else _multiplier_products


@njit(cache=JIT_CACHE)
def magnitude_range(X):
    """``(smallest nonzero, largest)`` finite magnitude in ``X`` (``(inf, 0)`` when none)."""
    lo = np.inf
    hi = 0.0
    for x in X.ravel():
        m = abs(x)
        if m != 0.0 and m < np.inf:
            lo = min(lo, m)
            hi = max(hi, m)
    return lo, hi


def tile_count(R, M, N):
    """Number of tiles of ``ROW_BLOCK`` rows x ``COL_BLOCK`` columns over ``R = batch * M`` rows
    and ``N`` columns (tiles do not cross batches)."""
    return (R // M) * -(-M // ROW_BLOCK) * -(-N // COL_BLOCK) if M > 0 else 0


@njit(cache=JIT_CACHE)
def tile_origin(t, M, nrb, ncb):
    """``(batch, first row, first column)`` of tile ``t``: row blocks vary fastest, so a thread's
    consecutive tiles share one column panel of B in cache."""
    rb = t % nrb
    rest = t // nrb
    jb = rest % ncb
    b = rest // ncb
    return b, b * M + rb * ROW_BLOCK, jb * COL_BLOCK


@njit(cache=JIT_CACHE, inline="always")
def accumulate_row(row, a, brow, w, consts, redo, spec, overflow):
    """``row[j] = RN_F(row[j] + a * brow[j])`` for ``j < w`` (exact products): the vectorised
    :func:`nearest_step`, then the general addition for the elements it leaves undecided
    (``redo``: scratch of at least ``w`` flags). Returns the number of results that need a NaN F lacks."""
    anyredo = False
    for j in range(w):
        x = row[j]
        r, ok = nearest_step(x, a, brow[j], consts)
        row[j] = r if ok else x
        redo[j] = not ok
        anyredo |= not ok
    bad = 0
    if anyredo:
        for j in range(w):
            if redo[j]:
                v, good = float_add(np.float64(row[j]), np.float64(a) * np.float64(brow[j]), spec, _NEAREST_EVEN, overflow, _I0, _I0)
                row[j] = v
                bad += not good
    return bad


@njit(nogil=True, cache=JIT_CACHE, fastmath={"contract"})
def float_gemm(start, stop, A, B, acc, M, spec, overflow, genuine_ties, mul):
    """Tiles ``start <= t < stop`` (:func:`tile_count`) of ``acc`` (R x N, C at entry) become ``C + A @ B`` accumulated in k order with one
    nearest-even rounding into ``spec`` per addition, in tiles of ``A``'s dtype: float64, or
    float32 when F's values and midpoints are float32 numbers and every product
    ``A[r, k] * B[r // M, k, j]`` is exact in float32 (the dispatcher checks). The products are
    exact (``mul`` None) or an approximate multiplier's (``mul``: see :func:`tile_products`;
    float64 tiles). Returns the number of results that need a NaN ``spec`` lacks.

    Contracting ``x + a * b`` into an FMA changes nothing: the product needs no rounding.
    """
    N = acc.shape[1]
    K = A.shape[1]
    consts = step_consts(spec, A, genuine_ties)
    nrb = (M + ROW_BLOCK - 1) // ROW_BLOCK
    ncb = (N + COL_BLOCK - 1) // COL_BLOCK
    bad = 0
    for t in range(start, stop):
        b, r0, j0 = tile_origin(np.int64(t), M, nrb, ncb)
        rows = min(ROW_BLOCK, (b + 1) * M - r0)
        w = min(COL_BLOCK, N - j0)
        tile = np.empty((ROW_BLOCK, COL_BLOCK), A.dtype)  # private: no aliasing with B
        redo = np.empty(COL_BLOCK, np.bool_)
        prods = np.empty(COL_BLOCK)
        for i in range(rows):
            for j in range(w):
                tile[i, j] = acc[r0 + i, j0 + j]
        for k in range(K):
            for i in range(rows):
                a, brow = tile_products(A, B, b, r0 + i, k, j0, w, prods, mul)
                bad += accumulate_row(tile[i], a, brow, w, consts, redo, spec, overflow)
        for i in range(rows):
            for j in range(w):
                acc[r0 + i, j0 + j] = tile[i, j]
    return bad
