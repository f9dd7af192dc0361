"""Scalar codecs lowered to :mod:`numsim._kernels.codec` and :mod:`numsim._kernels.nearest_fast`.

The functions take what :mod:`numsim.codecs` has checked: a scalar format, parsed rounding and
overflow, the random-stream arguments, and inputs as exact float32/float64/int64 arrays, which
the kernels read as binary32/binary64 bit patterns or int64 values. Encoders also return how many
values needed a NaN the format lacks; the caller decides what that means.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._kernels import codec as _k
from .._kernels import nearest_fast as _nf
from .._kernels.inputs import read_only
from ..formats import TABLE_BITS, FloatFormat, Format
from ..rounding import Overflow, Rounding
from .specs import fixed_spec, float_spec


def kernel_input(arr: np.ndarray) -> np.ndarray:
    """C-contiguous view for the kernels: binary32/binary64 bit patterns, or the int64 values."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.float64:
        return arr.view(np.uint64)
    if arr.dtype == np.float32:
        return arr.view(np.uint32)
    return arr


@lru_cache(maxsize=None)
def nearest_spec(fmt: FloatFormat, in_man: int, subnormal_results: bool, saturate: bool) -> _nf.NearestSpec | None:
    """Parameters of the vectorised nearest-even path (:func:`~numsim._kernels.nearest_fast.nearest_spec_of`)
    from binary32 (``in_man=23``) or binary64 (``in_man=52``) inputs, or None when no input can
    take it."""
    spec = _nf.nearest_spec_of(float_spec(fmt), in_man, subnormal_results, saturate)
    return None if spec.lo > spec.hi else spec


def _fast_path(fmt: Format, mode: Rounding, overflow: Overflow, src: np.ndarray, subnormal_results: bool) -> _nf.NearestSpec | None:
    if mode is not Rounding.NEAREST_EVEN or src.dtype.kind != "u" or not isinstance(fmt, FloatFormat):
        return None
    saturate = overflow in (Overflow.SATURATE, Overflow.SATURATE_KEEP_INF)
    return nearest_spec(fmt, 23 if src.dtype == np.uint32 else 52, subnormal_results, saturate)


@lru_cache(maxsize=None)
def value_table(fmt: Format, dtype: np.dtype) -> np.ndarray:
    """Read-only array of the value of every code of ``fmt`` (at most 16 bits) in ``dtype``."""
    codes = np.arange(fmt.num_codes, dtype=np.int64)
    out = np.empty(fmt.num_codes, dtype=np.float64)
    _decode_into(codes, fmt, out)
    with np.errstate(invalid="ignore"):  # float32 tables quieten signalling NaN payloads
        table = out.astype(dtype)
    table.flags.writeable = False
    return table


def _decode_into(codes: np.ndarray, fmt: Format, out: np.ndarray) -> None:
    if isinstance(fmt, FloatFormat):
        bits = out.view(np.int64) if out.dtype == np.float64 else np.empty(0, np.int64)
        _k.decode_float(read_only(codes), out, bits, float_spec(fmt))
    else:
        _k.decode_fixed(read_only(codes), out, fixed_spec(fmt))


def encode(arr: np.ndarray, fmt: Format, mode: Rounding, ov: Overflow, key, nbits: int, explicit: np.ndarray, ftz: bool) -> tuple[np.ndarray, int]:
    """Codes of the exact values ``arr`` (flat), and the number of values that needed a NaN."""
    src = kernel_input(arr).reshape(-1)
    out = np.empty(src.size, dtype=fmt.code_dtype)
    fast = _fast_path(fmt, mode, ov, src, not ftz)
    if fast is not None:
        invalid = _nf.encode_nearest(read_only(src), out, float_spec(fmt), fast, ov.code, ftz)
    elif isinstance(fmt, FloatFormat):
        invalid = _k.encode_float(read_only(src), out, float_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit), ftz)
    else:
        invalid = _k.encode_fixed(read_only(src), out, fixed_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit))
    return out, invalid


def quantize(arr: np.ndarray, fmt: Format, out_dtype: np.dtype, mode: Rounding, ov: Overflow, key, nbits: int, explicit: np.ndarray,
             ftz: bool) -> tuple[np.ndarray, int]:
    """Values in ``out_dtype`` of the exact values ``arr`` rounded into ``fmt`` (flat), and the
    number of values that needed a NaN."""
    src = kernel_input(arr).reshape(-1)
    out = np.empty(src.size, dtype=out_dtype)
    table = value_table(fmt, out_dtype) if fmt.bits <= TABLE_BITS else np.empty(0, out_dtype)
    out_bits = out.view(np.int64) if out_dtype == np.float64 else np.empty(0, np.int64)
    fast = _fast_path(fmt, mode, ov, src, not ftz)
    if fast is not None:
        invalid = _nf.quantize_nearest(read_only(src), out, out_bits, read_only(table), float_spec(fmt), fast, ov.code, ftz)
    elif isinstance(fmt, FloatFormat):
        invalid = _k.quantize_float(read_only(src), out, out_bits, read_only(table), float_spec(fmt), mode.code, ov.code, key, nbits,
                                    read_only(explicit), ftz)
    else:
        invalid = _k.quantize_fixed(read_only(src), out, fixed_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit))
    return out, invalid


def decode(codes: np.ndarray, fmt: Format, out_dtype: np.dtype) -> np.ndarray:
    """Values in ``out_dtype`` of the valid codes ``codes`` of ``fmt`` (flat)."""
    flat = np.ascontiguousarray(codes).reshape(-1)
    out = np.empty(flat.size, dtype=out_dtype)
    if fmt.bits <= TABLE_BITS:
        _k.lookup(value_table(fmt, out_dtype), read_only(flat), out)
    else:
        _decode_into(flat, fmt, out)
    return out
