"""Datapaths lowered to :mod:`numsim._kernels.datapath`: the configuration vector, format specs,
multiplier parameters and product tables of one datapath without block-scaled inputs, and the
choice of kernel (:func:`_route`): the general kernel, its float32 fast path, or the tiled
kernels of :mod:`numsim._kernels.gemm_float` and :mod:`numsim._kernels.gemm_fused`.

:func:`run` takes what :mod:`numsim.gemm` and :mod:`numsim.block_gemm` have checked: operand
values of the datapath's formats and C already rounded into the format the running sum starts in.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

from .._kernels import datapath as _k
from .._kernels import gemm_float as _kf
from .._kernels import gemm_fused as _kt
from .._kernels import multipliers as _km
from .._kernels.inputs import read_only
from .._threads import parallel_chunks
from .._random_bits import stochastic_args
from ..datapath import Chunked, Datapath, FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch, Pairwise, Sequential, Tree, ulp_exponent
from ..formats import FixedFormat, FloatFormat, Format, IntFormat, significand_bits
from ..multipliers import TABLE_MAX_CODES, Exact, Lookup
from ..registry import get_format
from ..rounding import Overflow, Rounding
from .codec import value_table
from .multipliers import kernel_spec, operand_words, product_table
from .specs import fixed_spec, float_spec

_FP32 = get_format("float32")
_DUMMY_FLOAT = float_spec(_FP32)
_DUMMY_FIXED = fixed_spec(get_format("int8"))
_NO_TABLE = np.zeros((0, 0), np.float32)
_NO_VALUES_A, _NO_VALUES_B = np.zeros((0, 0), np.float32), np.zeros((0, 0, 0), np.float32)
_NO_CODES_A, _NO_CODES_B = np.zeros((1, 1), np.uint8), np.zeros((1, 1, 1), np.uint8)

#: Whether :func:`_route` may choose the tiled kernels; tests switch it off to compare them with
#: the general kernel.
_TILED = True
GENERAL, NATIVE32, FLOAT_TILES, FUSED_TILES = "general", "native32", "float_tiles", "fused_tiles"


def _exponents(values: np.ndarray, fmt: Format) -> np.ndarray:
    """Unbiased exponents ``max(floor(log2|x|), emin)`` (0 for zeros and specials)."""
    finite = np.isfinite(values) & (values != 0)
    e = np.frexp(np.where(finite, values, 1.0))[1].astype(np.int64) - 1
    return np.where(finite, np.maximum(e, fmt.emin), 0)


def _float_path(dp: Datapath, table: np.ndarray | None) -> int:
    """How float accumulation runs: NATIVE32 (float32 arithmetic; fp32 nearest-even sequential
    accumulation of products that are all float32 values), RNE64 (bit rounding of round-to-odd
    float64 sums) or GENERIC (the encoder)."""
    acc = dp.accumulator
    if not isinstance(acc, FloatAccumulator) or acc.rounding is not Rounding.NEAREST_EVEN:
        return _k.GENERIC
    if table is not None:
        products_fit = _products_in_float32(dp.multiplier, dp.a_format, dp.b_format) is not None
    else:
        products_fit = isinstance(dp.multiplier, Exact) and _fits_float32(dp.a_format, dp.b_format)
    native = (
        acc.fmt == _FP32
        and acc.overflow is Overflow.NON_SATURATING
        and dp.product_format is None
        and isinstance(dp.order, Sequential)
        and products_fit
    )
    return _k.NATIVE32 if native else _k.RNE64


def _fits_float32(a: Format, b: Format) -> bool:
    """Whether every product of ``a`` and ``b`` values is exact in float32."""
    return _products_fit(a, b, 24, -149, 128)


def _products_fit(a: Format, b: Format, precision: int, last_bit: int, top: int) -> bool:
    """Whether every product of ``a`` and ``b`` values (float, integer or fixed point) is a number
    of a binary format with ``precision`` significant bits, smallest quantum ``2^last_bit`` and
    magnitudes below ``2^top``."""
    if significand_bits(a) + significand_bits(b) > precision:
        return False
    lo = math.log2(a.min_subnormal) + math.log2(b.min_subnormal)
    return lo >= last_bit and Fraction(max(-a.min, a.max)) * Fraction(max(-b.min, b.max)) < Fraction(2) ** top


def _route(dp: Datapath, table: np.ndarray | None = None, scaled: bool = False) -> str:
    """Which kernel computes ``dp`` (``table``: the product table of :func:`_table_route`,
    ``scaled``: outputs scaled by block scales): :data:`NATIVE32` (float32 arithmetic),
    :data:`FLOAT_TILES` / :data:`FUSED_TILES` (the tiled kernels, where their exactness arguments
    hold: :func:`_float_tiles_hold`, :func:`_fused_tiles_hold`) or :data:`GENERAL`."""
    if isinstance(dp.accumulator, FloatAccumulator):
        path = _float_path(dp, table)
        if path == _k.NATIVE32 and not scaled:
            return NATIVE32
        if path == _k.RNE64 and _TILED and not scaled and _float_tiles_hold(dp):
            return FLOAT_TILES
    elif isinstance(dp.accumulator, FusedMultiTerm) and _TILED and not scaled and _fused_tiles_hold(dp):
        return FUSED_TILES
    return GENERAL


def _plain_products(dp: Datapath) -> bool:
    """Exact products, not rounded, summed in k order, of two float, integer or fixed-point formats
    whose products are all float64 numbers."""
    a, b = dp.a_format, dp.b_format
    return (
        isinstance(dp.multiplier, Exact)
        and dp.product_format is None
        and isinstance(dp.order, Sequential)
        and all(isinstance(f, (FloatFormat, IntFormat, FixedFormat)) for f in (a, b))
        and _products_fit(a, b, 53, -1074, 1024)
    )


def genuine_ties(q: int, t: int) -> bool:
    """Whether a float64 sum of a ``t``-bit accumulator value and a ``q``-bit addend that lands on
    a midpoint of the accumulator format is exact unless the accumulator value is below
    ``2^-52`` of the sum (the argument of :mod:`numsim._kernels.gemm_float`)."""
    return max(q, t) + t + 1 <= 53


def _float_tiles_hold(dp: Datapath) -> bool:
    """:func:`numsim._kernels.gemm_float.float_gemm` computes ``dp`` (nearest-even float
    accumulation, see :func:`_float_path`): exact products, or an approximate multiplier's
    products (float64 numbers the general kernel's product function makes), not rounded, in k
    order into an accumulator format :func:`nearest_tiles_hold` admits."""
    approximate = not isinstance(dp.multiplier, Exact) and dp.product_format is None and isinstance(dp.order, Sequential)
    return (approximate or _plain_products(dp)) and nearest_tiles_hold(dp.accumulator.fmt)


def _product_bits(dp: Datapath, mkind: int) -> int:
    """Significant bits every product has at most, for :func:`genuine_ties`: the operands' for
    exact products, a code of the operand format plus a half unit for the integer-adder (L-Mul,
    float Mitchell) products, and 53 (no bound) for the others."""
    a, b = dp.a_format, dp.b_format
    if mkind == _km.EXACT:
        return significand_bits(a) + significand_bits(b)
    if mkind == _km.LOGADD:
        return max(significand_bits(a), significand_bits(b)) + 1
    return 53


def nearest_tiles_hold(f: Format) -> bool:
    """Whether :func:`numsim._kernels.gemm_float.accumulate_row` rounds into ``f``: a signed float
    format whose values, midpoints and rounding constants ``1.5 * 2^(e + 52 - man_bits)`` are
    normal float64 numbers (formats have at most 32 bits, so ``man_bits <= 50`` always holds)."""
    return isinstance(f, FloatFormat) and f.signed and f.emin - 53 >= -1022 and f.emax + 54 <= 1023


def _float32_tiles(dp: Datapath, A: np.ndarray, B: np.ndarray) -> bool:
    """Whether :func:`numsim._kernels.gemm_float.float_gemm` may run in float32 tiles: the
    accumulator format's values and midpoints are float32 numbers (at most 22 fraction bits,
    exponents within float32's normal range) and every product of values of ``A`` and ``B`` is
    exact in float32, which the formats guarantee (:func:`_fits_float32`) or the magnitudes present
    do: products of at most 24 bits whose last bit is at least ``2^-149`` and that stay below
    ``2^128``."""
    f, a, b = dp.accumulator.fmt, dp.a_format, dp.b_format
    if not (f.man_bits <= 22 and f.emin >= -126 and f.emax <= 127 and significand_bits(a) + significand_bits(b) <= 24):
        return False
    if _fits_float32(a, b):
        return True
    if not (isinstance(a, FloatFormat) and isinstance(b, FloatFormat)):
        return False
    (a_lo, a_hi), (b_lo, b_hi) = (_kf.magnitude_range(read_only(X.reshape(-1))) for X in (A, B))
    if a_hi == 0.0 or b_hi == 0.0:
        return True  # every product is a zero or not finite
    last_bit = math.floor(math.log2(a_lo)) - a.man_bits + math.floor(math.log2(b_lo)) - b.man_bits
    return last_bit >= -149 and a_hi * b_hi < 2.0**128


def _fused_tiles_hold(dp: Datapath) -> bool:
    """:func:`numsim._kernels.gemm_fused.fused_gemm` computes ``dp``: exact float products anchored
    at ``E_a + E_b`` in one chain of blocks, normalisation by truncation or nearest-even into an
    IEEE-style format, float64 sums of at most ``n + 1`` aligned terms below ``2^(W + 2)`` that stay
    exact integers, alignment scales ``2^(W - M)`` and ``2^(M - W)`` that are normal float64
    numbers, and (``c_placement="after"``) an accumulator format of at most 26 bits."""
    acc = dp.accumulator
    f = acc.fmt
    if not (_plain_products(dp) and acc.anchor == "product" and acc.rounding in (Rounding.TOWARD_ZERO, Rounding.NEAREST_EVEN)):
        return False
    if not (f.signed and f.has_inf and acc.window + 2 + math.ceil(math.log2(acc.n + 1)) <= 53):
        return False
    if acc.c_placement == "after" and f.precision > 26:
        return False
    lo, hi = _anchor_span(dp)  # 2^(M - W) and 2^(W - M) for lo <= M <= hi, and 2^lo (W >= 0)
    return lo - acc.window >= -1022 and hi - acc.window <= 1022


def _anchor_span(dp: Datapath) -> tuple[int, int]:
    """``(floor, top)``: the anchor floor of :func:`numsim._kernels.gemm_fused.fused_gemm` (no
    anchor is below it, and ``anchor_min`` if higher) and the largest possible alignment exponent."""
    acc = dp.accumulator
    a, b = dp.a_format, dp.b_format
    inside = acc.c_placement == "inside"
    lows = [a.emin + b.emin] + ([acc.fmt.emin] if inside else [])
    highs = [math.floor(math.log2(a.max)) + math.floor(math.log2(b.max))] + ([acc.fmt.emax] if inside else [])
    floor = min(lows) if acc.anchor_min is None else max(min(lows), acc.anchor_min)
    return floor, max(max(highs), floor)


def values_embed(src, dst) -> bool:
    """Whether every value of the float format ``src`` (infinities, NaN and -0 included) is a
    value of ``dst``: rounding into ``dst`` then changes nothing."""
    if src == dst:
        return True
    if not (isinstance(src, FloatFormat) and isinstance(dst, FloatFormat)):
        return False
    specials = (dst.has_inf or not src.has_inf) and (dst.has_nan or not src.has_nan) and (dst.has_negative_zero or not src.has_negative_zero)
    smallest = src.min_subnormal if src.has_subnormals else src.min_normal
    low = smallest >= dst.min_normal or (dst.has_subnormals and src.emin - src.man_bits >= dst.emin - dst.man_bits)
    return specials and (dst.signed or not src.signed) and dst.man_bits >= src.man_bits and src.max <= dst.max and low


def run(dp: Datapath, A, B, C, batch, M, K, N, seed, sr_bits, out_scale=None) -> np.ndarray:
    """Rows ``(batch, M)`` of the datapath's result, shape ``(prod(batch) * M, N)``, of operand
    values ``A`` (``batch + (M, K)``) and ``B`` (``batch + (K, N)``) and the start values ``C``
    (``batch + (M, N)``, or None for +0). ``out_scale`` (positive products of block scales, shape
    ``batch + (M, N)``, at most 31 significant bits) multiplies each result exactly before its
    rounding into the output format."""
    acc = dp.accumulator
    nb = int(np.prod(batch)) if batch else 1
    R = nb * M
    if R == 0 or N == 0:
        return np.zeros((R, N))  # no output element
    scale_parts = None if out_scale is None else _odd_times_power_of_two(out_scale)
    A2 = np.ascontiguousarray(A.reshape(R, K))
    B3 = np.ascontiguousarray(B.reshape(nb, K, N))
    C2 = np.zeros((R, N)) if C is None else np.ascontiguousarray(C.reshape(R, N), np.float64)
    a_fmt, b_fmt = dp.a_format, dp.b_format
    mkind, mparams, mtable = kernel_spec(dp.multiplier, a_fmt, b_fmt)
    table = None
    if _table_route(dp):
        # operands of at most 8 bits: one lookup in the table of every product replaces the
        # multiplier's bit manipulation (the table holds the same exact values)
        table = product_table(dp.multiplier, a_fmt, b_fmt)
        mkind, mtable = _km.LOOKUP, table
    mtable = np.ascontiguousarray(mtable, np.float64)
    dec_table = np.empty(0)
    in_spec = _DUMMY_FLOAT
    if mkind == _km.LOGADD:
        in_spec = float_spec(a_fmt)
        if a_fmt.bits <= 16:
            dec_table = value_table(a_fmt, np.dtype(np.float64))
    scale = math.ldexp(1.0, -(getattr(a_fmt, "_frac", 0) + getattr(b_fmt, "_frac", 0))) if mkind not in (_km.EXACT, _km.LOGADD, _km.LOOKUP) else 1.0

    cfg = dict.fromkeys(_k.CFG_FIELDS, 0)
    cfg["mult_kind"] = mkind
    cfg["mult_p0"], cfg["mult_p1"] = int(mparams[0]), int(mparams[1])
    pf_spec, px_spec = _DUMMY_FLOAT, _DUMMY_FIXED
    if dp.product_format is not None:
        pfmt = dp.product_format
        is_float = isinstance(pfmt, FloatFormat)
        cfg["prod_round"] = 1 if is_float else 2
        cfg["prod_mode"] = dp.product_rounding.code
        cfg["prod_overflow"] = pfmt.default_overflow.code
        if is_float:
            pf_spec = float_spec(pfmt)
        else:
            px_spec = fixed_spec(pfmt)
    acc_spec, blk_spec, outer_spec = _DUMMY_FLOAT, _DUMMY_FLOAT, _DUMMY_FLOAT
    key, nbits = np.uint64(0), 0
    EA = np.zeros((1, 1), np.int64)
    EB = np.zeros((1, 1, 1), np.int64)
    if isinstance(acc, FloatAccumulator):
        cfg["acc_kind"] = _k.FLOAT
        acc_spec = float_spec(acc.fmt)
        cfg["acc_mode"] = acc.rounding.code
        cfg["acc_overflow"] = acc.overflow.code
        cfg["float_path"] = _float_path(dp, table)
        key, nbits, _ = stochastic_args(acc.rounding, seed, sr_bits, None, 0)
        if acc.rounding.is_stochastic and acc.fmt.precision + nbits > 52:
            raise ValueError(f"stochastic accumulation into {acc.fmt.name} takes sr_bits <= {52 - acc.fmt.precision}, got {nbits}")
    elif isinstance(acc, FixedAccumulator):
        cfg["acc_kind"] = _k.FIXED
        cfg["fx_width"], cfg["fx_frac"] = acc.width, acc.frac_bits
        cfg["fx_saturate"] = int(acc.overflow == "saturate")
        cfg["fx_mode"] = acc.rounding.code
    elif isinstance(acc, Kulisch):
        cfg["acc_kind"] = _k.KULISCH
        ebase, top = _kulisch_span(dp)
        cfg["k_ebase"] = ebase
        cfg["k_limbs"] = (top - ebase + math.ceil(math.log2(K + 2)) + 2) // 32 + 4 + (scale_parts is not None)
    else:
        cfg["acc_kind"] = _k.FUSED
        acc_spec = float_spec(acc.fmt)
        blk_spec = float_spec(acc.block_format)
        cfg["acc_mode"] = acc.rounding.code
        cfg["acc_overflow"] = acc.fmt.default_overflow.code
        cfg["f_n"], cfg["f_window"] = acc.n, acc.window
        cfg["f_anchor_min"] = acc.anchor_min if acc.anchor_min is not None else -(1 << 40)
        cfg["f_after"] = int(acc.c_placement == "after")
        cfg["f_normalized"] = int(acc.anchor == "normalized")
        cfg["f_nearest"] = int(acc.alignment is Rounding.NEAREST_EVEN)
        exact_anchor = isinstance(dp.multiplier, Exact) and dp.product_format is None and acc.anchor == "product"
        cfg["f_exact_anchor"] = int(exact_anchor)
        pfmt = dp.product_format if dp.product_format is not None else dp.a_format
        cfg["f_prod_emin"] = pfmt.emin if isinstance(pfmt, FloatFormat) else -(1 << 40)
        cfg["f_emin"], cfg["f_emax"] = acc.fmt.emin, acc.fmt.emax
        cfg["f_has_inf"] = int(acc.fmt.has_inf)
        if exact_anchor:
            EA = _exponents(A2, dp.a_format)
            EB = _exponents(B3, dp.b_format)
        else:
            EA = np.zeros((R, K), np.int64)
            EB = np.zeros((nb, K, N), np.int64)
    order = dp.order
    cfg["order"], cfg["width"] = _order_code(order, K)
    if isinstance(order, Chunked):
        cfg["inner"], cfg["inner_width"] = _order_code(order.inner, order.n)
        outer_spec = float_spec(order.outer.fmt)
        cfg["outer_mode"] = order.outer.rounding.code
        cfg["outer_overflow"] = order.outer.overflow.code
    out_fmt = dp.out_format
    outf_spec, outx_spec = _DUMMY_FLOAT, _DUMMY_FIXED
    cfg["out_kind"] = 0 if isinstance(out_fmt, FloatFormat) else 1
    if isinstance(out_fmt, FloatFormat):
        outf_spec = float_spec(out_fmt)
    else:
        outx_spec = fixed_spec(out_fmt)
    cfg["out_mode"] = dp.out_rounding.code
    cfg["out_overflow"] = out_fmt.default_overflow.code
    cfg["nbits"] = nbits
    SM = SX = np.ones((1, 1), np.int64)
    if scale_parts is not None:
        cfg["out_scaled"] = 1
        SM, SX = (np.ascontiguousarray(np.broadcast_to(v, batch + (M, N)).reshape(R, N), np.int64) for v in scale_parts)
        if cfg["float_path"] == _k.NATIVE32:
            cfg["float_path"] = _k.RNE64
    cfg_arr = np.array([cfg[name] for name in _k.CFG_FIELDS], np.int64)
    out = np.empty((R, N))
    route = _route(dp, table, scale_parts is not None)
    nonfinite = 0
    if route in (FLOAT_TILES, FUSED_TILES):
        sums = np.array(C2, np.float64)  # a private copy: the kernels accumulate in place
        if route == FLOAT_TILES:
            genuine = np.bool_(genuine_ties(_product_bits(dp, mkind), acc.fmt.precision))
            mul = None
            if mkind != _km.EXACT:  # the general kernel's product function, on operand words
                WA, WB = operand_words(A2, a_fmt, mkind), operand_words(B3, b_fmt, mkind)
                mul = (cfg_arr, *read_only(WA, WB, np.asarray(mparams, np.int64), mtable, dec_table), in_spec, scale)
            A_t, B_t = (A2.astype(np.float32), B3.astype(np.float32)) if mul is None and _float32_tiles(dp, A2, B3) else (A2, B3)
            missing = sum(parallel_chunks(_kf.float_gemm, _kf.tile_count(R, M, N), *read_only(A_t, B_t), sums, np.int64(M), acc_spec,
                                          np.int64(acc.overflow.code), genuine, mul))
        else:
            PA, PB = (np.where((X != 0) & np.isfinite(X), np.ldexp(1.0, E), 0.0) for X, E in ((A2, EA), (B3, EB)))
            parallel_chunks(_kt.fused_gemm, _kf.tile_count(R, M, N), cfg_arr, *read_only(A2, PA, B3, PB), sums, np.int64(M), acc_spec, blk_spec,
                            np.int64(_anchor_span(dp)[0]))
            missing = 0
        if values_embed(acc.fmt, out_fmt):
            out = sums  # every accumulator value is a value of the output format
        else:
            missing += _store_rows(cfg_arr, sums, out, outf_spec, outx_spec)
    elif route == NATIVE32:
        if table is None:
            acc32 = _native32(A2, B3, _NO_CODES_A, _NO_CODES_B, C2, M, None)
        else:
            WA, WB = operand_words(A2, a_fmt, mkind), operand_words(B3, b_fmt, mkind)
            acc32 = _native32(A2, B3, WA, WB, C2, M, _products_in_float32(dp.multiplier, a_fmt, b_fmt))
        if out_fmt == _FP32:
            out[...] = acc32  # a float32 value needs no rounding into float32
            missing = 0
        else:
            missing = _store_rows(cfg_arr, acc32, out, outf_spec, outx_spec)
    else:
        WA = operand_words(A2, a_fmt, mkind)
        WB = operand_words(B3, b_fmt, mkind)
        A2, WA, EA, B3, WB, EB, C2, mparams, mtable, dec_table, SM, SX = read_only(
            A2, WA, EA, B3, WB, EB, C2, np.asarray(mparams, np.int64), mtable, dec_table, SM, SX
        )
        counts = parallel_chunks(
            _k.matmul_rows, R, cfg_arr, A2, WA, EA, B3, WB, EB, C2, out, M, mparams, mtable, dec_table, in_spec, scale,
            pf_spec, px_spec, acc_spec, blk_spec, outer_spec, outf_spec, outx_spec, key, SM, SX,
        )
        missing, nonfinite = sum(c[0] for c in counts), sum(c[1] for c in counts)
    if nonfinite:
        raise ValueError(f"{nonfinite} product(s) are Inf or NaN, which the fixed-point accumulator {acc.name} cannot hold")
    raise_missing_nan(missing, dp)
    return out


def raise_missing_nan(missing: int, dp: Datapath) -> None:
    """The error for ``missing`` results of ``dp`` that need a NaN their format lacks (none: no error)."""
    if missing:
        raise ValueError(
            f"{missing} result(s) of the datapath need a NaN (NaN inputs or invalid operations such as Inf - Inf or 0 * Inf) "
            f"in a format that has none ({dp.name})"
        )


def _table_route(dp: Datapath) -> bool:
    """Whether products come from :func:`~numsim.multipliers.product_table` (approximate
    multipliers on operand formats of at most 8 bits)."""
    small = max(dp.a_format.num_codes, dp.b_format.num_codes) <= TABLE_MAX_CODES
    return small and not isinstance(dp.multiplier, Exact)


@functools.lru_cache(maxsize=32)
def _products_in_float32(mult, a_fmt: Format, b_fmt: Format) -> np.ndarray | None:
    """The product table as float32 when every entry is a float32 value (NaN included), else
    None; cached with the table, so repeated matmuls neither recheck nor reconvert it (internal:
    never handed to callers)."""
    table = product_table(mult, a_fmt, b_fmt)
    table32 = table.astype(np.float32)
    return table32 if bool(np.all(np.isnan(table) | (table32 == table))) else None


def _native32(A2, B3, WA, WB, C2, M, table32) -> np.ndarray:
    """The float32 fast path (see :func:`numsim._kernels.datapath.native32_matmul`)."""
    acc32 = np.empty(C2.shape, np.float32)
    if table32 is None:
        operands = read_only(A2.astype(np.float32), B3.astype(np.float32), _NO_TABLE, _NO_CODES_A, _NO_CODES_B, C2)
    else:
        operands = read_only(_NO_VALUES_A, _NO_VALUES_B, table32, WA.astype(np.uint8), WB.astype(np.uint8), C2)
    parallel_chunks(_k.native32_matmul, _k.native32_tiles(C2.shape[0], M), *operands, M, acc32)
    return acc32


def _store_rows(cfg_arr, values, out, outf_spec, outx_spec) -> int:
    """``out`` = ``values`` rounded into the output format (:func:`numsim._kernels.datapath.store_rows`);
    the number of results that needed a missing NaN."""
    return sum(parallel_chunks(_k.store_rows, values.shape[0], cfg_arr, read_only(values), out, outf_spec, outx_spec))


def _order_code(order, K: int) -> tuple[int, int]:
    if isinstance(order, Sequential):
        return _k.SEQUENTIAL, 1
    if isinstance(order, Tree):
        return _k.TREE, order.width
    if isinstance(order, Pairwise):
        return _k.PAIRWISE, max(K, 1)
    return _k.CHUNKED, order.n


def _kulisch_span(dp: Datapath) -> tuple[int, int]:
    """``(ebase, top)``: exponent of the finest quantum and a bound on the largest magnitude's
    exponent among the products and C."""
    a, b = dp.a_format, dp.b_format
    lows = [ulp_exponent(dp.c_format)]
    highs = [math.ceil(math.log2(dp.c_format.max)) + 1]
    pfmt = dp.product_format
    if pfmt is not None:
        lows.append(ulp_exponent(pfmt))
        highs.append(math.ceil(math.log2(pfmt.max)) + 1)
    elif isinstance(dp.multiplier, Lookup):
        lows.append(ulp_exponent(a) + ulp_exponent(b))
        largest = int(np.abs(dp.multiplier.table).max())
        highs.append(largest.bit_length() + ulp_exponent(a) + ulp_exponent(b) + 1)
    elif isinstance(dp.multiplier, Exact) or not isinstance(a, FloatFormat):
        # exact products, and integer multipliers: DRUM overestimates by less than 2x, Mitchell and
        # broken arrays never overestimate
        lows.append(ulp_exponent(a) + ulp_exponent(b))
        highs.append(math.ceil(math.log2(a.max)) + math.ceil(math.log2(b.max)) + 2)
    else:  # float integer-adder multipliers: codes of a, or (literal L-Mul) half a unit between two
        lows.append(ulp_exponent(a) - 1)
        highs.append(math.ceil(math.log2(a.max)) + 1)
    return min(lows), max(highs)


def _odd_times_power_of_two(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(m, e)`` with ``x = m * 2^e`` and ``m`` odd (int64) for positive finite ``x``."""
    frac, exp = np.frexp(x)
    m = np.ldexp(frac, 53).astype(np.int64)
    tz = np.log2(m & -m).astype(np.int64)
    return np.ascontiguousarray(m >> tz), np.ascontiguousarray(exp.astype(np.int64) - 53 + tz)
