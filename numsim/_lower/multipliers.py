"""Multipliers lowered to :mod:`numsim._kernels.multipliers`: kernel kind, int64 parameters and
product tables of a :mod:`numsim.multipliers` spec on given operand formats.

Every function expects ``mult.check(a_format, b_format)`` to have passed.
"""

from __future__ import annotations

import functools

import numpy as np

from .._kernels import multipliers as k
from .._kernels.inputs import read_only
from .._threads import MIN_CHUNK, parallel_chunks
from ..formats import FloatFormat, Format
from ..multipliers import DRUM, Exact, LMul, Lookup, Mitchell, Multiplier, Truncated
from ..rounding import Rounding
from .codec import decode, encode, value_table

_EMPTY_TABLE = np.zeros((1, 1), np.int64)
_ZERO = {"signed": k.ZERO_SIGNED, "positive": k.ZERO_POSITIVE, "raw": k.ZERO_RAW}
_SUBNORMAL = {"flush": k.SUB_FLUSH, "raw": k.SUB_RAW}
_UNDERFLOW = {"flush": k.UNDER_FLUSH, "positive_zero": k.UNDER_POSITIVE, "pass": k.UNDER_PASS, "wrap": k.UNDER_WRAP}
_OVERFLOW = {"inf": k.OVER_INF, "saturate": k.OVER_SATURATE, "nan": k.OVER_NAN, "wrap": k.OVER_WRAP}


def logadd_params(mult: LMul | Mitchell, fmt: FloatFormat) -> np.ndarray:
    """The int64 parameter array of the float integer-adder kernel for ``mult`` on ``fmt``."""
    m = fmt.man_bits
    mag_mask = (1 << (fmt.exp_bits + m)) - 1
    style = fmt.specials.value
    if style == "ieee":
        inf_mag = ((1 << fmt.exp_bits) - 1) << m
        nan_min = inf_mag + 1
    else:
        inf_mag = -1
        nan_min = mag_mask if style == "fn" else 1 << 62
    values = {
        "man_bits": m,
        "bias": fmt.bias,
        "sign_bit": (1 << (fmt.exp_bits + m)) if fmt.signed else 0,
        "mag_mask": mag_mask,
        "max_mag": fmt._max_mag_code,
        "nan_min": nan_min,
        "inf_mag": inf_mag,
        "nan_code": -1 if not fmt.has_nan else ((inf_mag | (1 << (m - 1))) if style == "ieee" else mag_mask),
        "neg_zero": int(fmt.has_negative_zero),
        "subnormals": int(fmt.subnormals),
        "offset": mult.offset_for(fmt),
        "literal": int(mult.semantics == "literal"),
        "drop_bits": m - mult.kept_mantissa_bits(fmt),
        "nearest": int(mult.input_rounding == "nearest_even"),
        "zero": _ZERO[mult.zero],
        "subnormal": _SUBNORMAL[mult.subnormal],
        "underflow": _UNDERFLOW[mult.underflow],
        "overflow": _OVERFLOW[mult.overflow_policy(fmt)],
        "raw_specials": int(mult.specials == "raw"),
    }
    return np.array([values[name] for name in k.LOGADD_FIELDS], np.int64)


def kernel_spec(mult: Multiplier, a_format: Format, b_format: Format) -> tuple[int, np.ndarray, np.ndarray]:
    """``(kind, params, table)`` for the product kernels."""
    if isinstance(mult, Exact):
        return k.EXACT, np.zeros(2, np.int64), _EMPTY_TABLE
    if isinstance(mult, (LMul, Mitchell)) and isinstance(a_format, FloatFormat):
        return k.LOGADD, logadd_params(mult, a_format), _EMPTY_TABLE
    if isinstance(mult, Mitchell):
        return k.INT_MITCHELL, np.zeros(2, np.int64), _EMPTY_TABLE
    if isinstance(mult, DRUM):
        return k.DRUM, np.array([mult.k, 0], np.int64), _EMPTY_TABLE
    if isinstance(mult, Truncated):
        return k.TRUNCATED, np.array([mult.vbl, mult.hbl], np.int64), _EMPTY_TABLE
    if isinstance(mult, Lookup):
        return k.LOOKUP, np.zeros(2, np.int64), mult.table
    raise TypeError(f"unknown multiplier {mult!r}")


def operand_words(values: np.ndarray, fmt: Format, kind: int) -> np.ndarray:
    """What the product kernel of ``kind`` reads for each operand: codes (float multipliers and
    tables) or raw integers ``value * 2^frac_bits`` (integer multipliers), as int64, for values
    representable in ``fmt``."""
    if kind == k.EXACT:
        return np.zeros(values.shape, np.int64)
    if kind in (k.LOGADD, k.LOOKUP):
        codes, invalid = encode(values, fmt, Rounding.NEAREST_EVEN, fmt.default_overflow, np.uint64(0), 32, np.empty(0, np.uint64), False)
        if invalid:
            raise ValueError(f"{invalid} operand value(s) need a NaN, which {fmt.name} does not have")
        return np.asarray(codes, np.int64).reshape(values.shape)
    return np.ldexp(values, fmt._frac).astype(np.int64)


def product_values(mult: Multiplier, a: np.ndarray, b: np.ndarray, a_format: Format, b_format: Format) -> np.ndarray:
    """Exact values of ``mult``'s products of the representable float64 arrays ``a`` and ``b``
    (same shape); NaN where a float multiplier returns a NaN code."""
    kind, params, table = kernel_spec(mult, a_format, b_format)
    if kind == k.EXACT:
        return a * b
    wa, wb, params, table = read_only(operand_words(a, a_format, kind).reshape(-1), operand_words(b, b_format, kind).reshape(-1), params, table)
    out = np.empty(wa.size, np.int64)
    if kind == k.LOGADD:
        half = np.empty(wa.size, np.int64)
        parallel_chunks(k.logadd_codes, wa.size, wa, wb, params, out, half, min_chunk=MIN_CHUNK)
        missing = out < 0  # a NaN result in a format without NaN
        codes = np.where(missing, 0, out)
        values = decode(codes, a_format, np.dtype(np.float64))
        m, bias = a_format.man_bits, a_format.bias
        field = np.maximum((codes & int(params[k.MAG_MASK])) >> m, 1)
        with np.errstate(invalid="ignore", over="ignore"):  # specials never carry a half unit
            values = np.where(half != 0, values + np.copysign(np.ldexp(1.0, field - bias - m - 1), values), values)  # literal formula
        return np.where(missing, np.nan, values).reshape(a.shape)
    parallel_chunks(k.int_products, wa.size, kind, wa, wb, params[0], params[1], table, out, min_chunk=MIN_CHUNK)
    return np.ldexp(out.astype(np.float64), -(a_format._frac + b_format._frac)).reshape(a.shape)


@functools.lru_cache(maxsize=32)
def product_table(mult: Multiplier, a_format: Format, b_format: Format) -> np.ndarray:
    """Every product of ``mult`` on operand formats of at most 8 bits, indexed by the two codes
    (read-only, cached): see :func:`numsim.multipliers.product_table`."""
    a = value_table(a_format, np.dtype(np.float64))
    b = value_table(b_format, np.dtype(np.float64))
    aa, bb = np.meshgrid(a, b, indexing="ij")
    table = product_values(mult, aa, bb, a_format, b_format)
    table.flags.writeable = False
    return table


def multiply_codes(mult: LMul | Mitchell, a: np.ndarray, b: np.ndarray, fmt: FloatFormat) -> np.ndarray:
    """Result codes of a float integer-adder multiplier on the valid codes ``a`` and ``b`` of
    ``fmt`` (same shape): see :func:`numsim.multipliers.multiply_codes`."""
    out = np.empty(a.size, np.int64)
    wa, wb, params = read_only(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1), logadd_params(mult, fmt))
    parallel_chunks(k.logadd_codes, wa.size, wa, wb, params, out, np.empty(a.size, np.int64), min_chunk=MIN_CHUNK)
    return out.reshape(a.shape)
