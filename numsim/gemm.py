"""``matmul`` and ``dot`` through a :class:`~numsim.Datapath`, bit for bit.

>>> import numpy as np, numsim
>>> a = np.array([[1.0, 2.0**-7]]); b = np.array([[1.0], [2.0**-7]])
>>> h100 = numsim.tensor_core_datapath("h100", "e4m3")
>>> numsim.matmul(a, b, h100).tolist()  # 1 + 2^-14 falls below the 13-bit window
[[1.0]]
>>> numsim.matmul(a, b, numsim.Datapath("e4m3", accumulator=numsim.Kulisch())).tolist()
[[1.00006103515625]]
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._checks import check_bool
from ._kernels import datapath as _k
from ._kernels import multipliers as _km
from ._kernels.inputs import read_only
from .arithmetic import _operand
from .block_gemm import block_matmul
from .codecs import _stochastic_args, _table, fixed_spec, float_spec, quantize
from .datapath import (
    Chunked,
    Datapath,
    FixedAccumulator,
    FloatAccumulator,
    FusedMultiTerm,
    Kulisch,
    Pairwise,
    Sequential,
    Tree,
    ulp_exponent,
)
from .formats import FloatFormat, Format, significand_bits
from .multipliers import TABLE_MAX_CODES, Exact, Lookup, kernel_spec, operand_words, product_table
from .registry import get_format
from .rounding import Overflow, Rounding

_FP32 = get_format("float32")
_DUMMY_FLOAT = float_spec(_FP32)
_DUMMY_FIXED = fixed_spec(get_format("int8"))
_NO_TABLE = np.zeros((0, 0), np.float32)
_NO_VALUES_A, _NO_VALUES_B = np.zeros((0, 0), np.float32), np.zeros((0, 0, 0), np.float32)
_NO_CODES_A, _NO_CODES_B = np.zeros((1, 1), np.uint8), np.zeros((1, 1, 1), np.uint8)


def matmul(A, B, datapath: Datapath, C=None, *, quantize_inputs: bool = False, seed=None, sr_bits: int = 32) -> np.ndarray:
    """``C + A @ B`` computed the way ``datapath`` says, bit for bit.

    Parameters
    ----------
    A, B : array_like
        Shapes ``(..., M, K)`` and ``(..., K, N)``; leading (batch) dimensions broadcast. Values
        must be representable in the datapath's input formats unless ``quantize_inputs``.
    datapath : Datapath
    C : array_like, optional
        Initial values, broadcastable to ``(..., M, N)`` (default +0); representable in
        ``datapath.c_format`` unless ``quantize_inputs``.
    quantize_inputs : bool
        Round A, B and C into their formats with ``datapath.input_rounding`` first.
    seed, sr_bits : optional
        Random stream and bit count of a stochastic accumulator (addition ``k`` into output
        element ``e`` uses draw ``e * K + k``).

    Returns
    -------
    numpy.ndarray of float64, shape ``(..., M, N)``: values of ``datapath.out_format``.
    """
    if not isinstance(datapath, Datapath):
        raise TypeError(f"datapath must be a numsim.Datapath, got {type(datapath).__name__}")
    check_bool("quantize_inputs", quantize_inputs)
    A = _as_float_array(A, "A")
    B = _as_float_array(B, "B")
    if A.ndim < 2 or B.ndim < 2:
        raise ValueError(f"matmul takes arrays of at least 2 dimensions (use numsim.dot for vectors), got A {A.shape} and B {B.shape}")
    M, K = A.shape[-2:]
    K2, N = B.shape[-2:]
    if K != K2:
        raise ValueError(f"A is (..., {M}, {K}) and B is (..., {K2}, {N}): the inner dimensions must agree")
    try:
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch dimensions of A {A.shape[:-2]} and B {B.shape[:-2]} do not broadcast") from None
    dp = datapath
    q = bool(quantize_inputs)
    out_shape = batch + (M, N)
    if not dp.block_scaled:
        A = _operand_values(np.broadcast_to(A, batch + (M, K)), dp.a_format, "A", q, dp.input_rounding)
        B = _operand_values(np.broadcast_to(B, batch + (K, N)), dp.b_format, "B", q, dp.input_rounding)
    if C is not None:
        C = _as_float_array(C, "C")
        try:
            C = np.broadcast_to(C, out_shape)
        except ValueError:
            raise ValueError(f"C of shape {C.shape} does not broadcast to the output shape {out_shape}") from None
        C = _operand_values(C, dp.c_format, "C", q, dp.input_rounding)
    if dp.block_scaled:
        return block_matmul(dp, A, B, C, batch, M, K, N, q, seed, sr_bits)
    return _run(dp, A, B, C, batch, M, K, N, seed, sr_bits).reshape(out_shape)


def dot(a, b, datapath: Datapath, c=None, *, quantize_inputs: bool = False, seed=None, sr_bits: int = 32) -> np.ndarray:
    """``c + sum_k a[..., k] b[..., k]`` through ``datapath``; leading dimensions broadcast.

    >>> import numsim
    >>> dp = numsim.Datapath("e4m3", accumulator=numsim.FloatAccumulator("e4m3"))
    >>> float(numsim.dot([1.0, 0.0625, 0.0625], [1.0, 1.0, 1.0], dp))  # 1 + 1/16 ties to 1, twice
    1.0
    """
    a = _as_float_array(a, "a")
    b = _as_float_array(b, "b")
    if a.ndim < 1 or b.ndim < 1 or a.shape[-1] != b.shape[-1]:
        raise ValueError(f"dot takes arrays whose last dimensions agree, got a {a.shape} and b {b.shape}")
    c_arr = None if c is None else _as_float_array(c, "c")[..., None, None]
    r = matmul(a[..., None, :], b[..., :, None], datapath, c_arr, quantize_inputs=quantize_inputs, seed=seed, sr_bits=sr_bits)
    r = r[..., 0, 0]
    return r if r.ndim else r.reshape(())[()]


def _as_float_array(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _operand_values(x: np.ndarray, fmt: Format, name: str, quantize_inputs: bool, rounding: Rounding) -> np.ndarray:
    """``x`` as float64 values of ``fmt`` (checked, or rounded with ``rounding``)."""
    bits = _operand(np.ascontiguousarray(x), fmt, name.lower(), quantize_inputs, rounding, False)
    return bits.view(np.float64).reshape(x.shape)


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
    if significand_bits(a) + significand_bits(b) > 24:
        return False
    lo = math.log2(a.min_subnormal) + math.log2(b.min_subnormal)
    return lo >= -149 and a.max * b.max < 2.0**128


def _run(dp: Datapath, A, B, C, batch, M, K, N, seed, sr_bits, out_scale=None) -> np.ndarray:
    """Rows ``(batch, M)`` of the datapath's result, shape ``(prod(batch) * M, N)``. ``out_scale``
    ``(m, e)`` (arrays of shape ``batch + (M, N)``, ``m`` odd ``< 2^31``) multiplies each result
    by ``m * 2^e`` exactly before its rounding into the output format."""
    acc = dp.accumulator
    nb = int(np.prod(batch)) if batch else 1
    R = nb * M
    if R == 0 or N == 0:
        return np.zeros((R, N))  # no output element
    A2 = np.ascontiguousarray(A.reshape(R, K))
    B3 = np.ascontiguousarray(B.reshape(nb, K, N))
    C2 = np.zeros((R, N)) if C is None else np.ascontiguousarray(_initial(dp, C).reshape(R, N), np.float64)
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
            dec_table = _table(a_fmt, np.dtype(np.float64))
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
        key, nbits, _ = _stochastic_args(acc.rounding, seed, sr_bits, None, 0)
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
        cfg["k_limbs"] = (top - ebase + math.ceil(math.log2(K + 2)) + 2) // 32 + 4 + (out_scale is not None)
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
    if out_scale is not None:
        cfg["out_scaled"] = 1
        SM, SX = (np.ascontiguousarray(np.broadcast_to(v, batch + (M, N)).reshape(R, N), np.int64) for v in out_scale)
        if cfg["float_path"] == _k.NATIVE32:
            cfg["float_path"] = _k.RNE64
    cfg_arr = np.array([cfg[name] for name in _k.CFG_FIELDS], np.int64)
    out = np.empty((R, N))
    native_values = cfg["float_path"] == _k.NATIVE32 and table is None
    WA = _NO_CODES_A if native_values else operand_words(A2, a_fmt, mkind)
    WB = _NO_CODES_B if native_values else operand_words(B3, b_fmt, mkind)
    if cfg["float_path"] == _k.NATIVE32:
        acc32 = _native32(A2, B3, WA, WB, C2, M, None if table is None else _products_in_float32(dp.multiplier, a_fmt, b_fmt))
        if out_fmt == _FP32:
            out[...] = acc32  # a float32 value needs no rounding into float32
            missing = 0
        else:
            missing = _k.store_rows(cfg_arr, read_only(acc32), out, outf_spec, outx_spec)
        nonfinite = 0
    else:
        A2, WA, EA, B3, WB, EB, C2, mparams, mtable, dec_table, SM, SX = read_only(
            A2, WA, EA, B3, WB, EB, C2, np.asarray(mparams, np.int64), mtable, dec_table, SM, SX
        )
        missing, nonfinite = _k.matmul_rows(
            cfg_arr, A2, WA, EA, B3, WB, EB, C2, out, M, mparams, mtable, dec_table, in_spec, scale,
            pf_spec, px_spec, acc_spec, blk_spec, outer_spec, outf_spec, outx_spec, key, SM, SX,
        )
    if nonfinite:
        raise ValueError(f"{nonfinite} product(s) are Inf or NaN, which the fixed-point accumulator {acc.name} cannot hold")
    if missing:
        raise ValueError(
            f"{missing} result(s) of the datapath need a NaN (NaN inputs or invalid operations such as Inf - Inf or 0 * Inf) "
            f"in a format that has none ({dp.name})"
        )
    return out


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
        _k.native32_matmul(*read_only(A2.astype(np.float32), B3.astype(np.float32), _NO_TABLE, _NO_CODES_A, _NO_CODES_B, C2), M, acc32)
    else:
        _k.native32_matmul(*read_only(_NO_VALUES_A, _NO_VALUES_B, table32, WA.astype(np.uint8), WB.astype(np.uint8), C2), M, acc32)
    return acc32


def _initial(dp: Datapath, C: np.ndarray) -> np.ndarray:
    """C rounded into the format the running sum starts in (exact for Kulisch)."""
    acc = dp.accumulator
    if isinstance(acc, Kulisch):
        return C
    if isinstance(dp.order, Chunked):
        outer = dp.order.outer
        return quantize(C, outer.fmt, outer.rounding, outer.overflow, nan_policy="zero")
    if isinstance(acc, FixedAccumulator):
        return C  # the kernel rounds C to the register's quantum and range
    if isinstance(acc, FusedMultiTerm):
        return quantize(C, acc.fmt, acc.rounding, nan_policy="zero")
    return quantize(C, acc.fmt, acc.rounding if not acc.rounding.is_stochastic else Rounding.NEAREST_EVEN, acc.overflow, nan_policy="zero")


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

