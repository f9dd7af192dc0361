"""Scalar codecs lowered to :mod:`numsim._kernels.codec` and :mod:`numsim._kernels.rounding_fast`.

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
from .._kernels import rounding_fast as _rf
from .._kernels.inputs import read_only
from .._threads import parallel_chunks
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
def fast_spec(fmt: FloatFormat, mode: Rounding, ov: Overflow, ftz: bool, nbits: int, values: bool,
              keep_nan_bits: bool) -> tuple[_rf.FastSpec, _rf.Results] | None:
    """Parameters of the vectorised path (:mod:`numsim._kernels.rounding_fast`) and its special
    results, producing codes, or with ``values`` the binary64 bits of values; None for a format
    whose normal range reaches below binary64's (emin < -1022), where binary64 subnormal inputs
    could round to normal results. (Formats have at most 31 mantissa bits and values exact in
    binary64, so every other one fits; formats without zero are unsigned, without subnormals.)
    ``keep_nan_bits`` is False where the general path stores NaN values as the canonical quiet
    NaN (float32 results without a decode table). The special results are the general rule's
    (:func:`~numsim._kernels.codec.encode_float_element`), their values
    :func:`~numsim._kernels.codec.decode_float_element`'s."""
    s = float_spec(fmt)
    M = s.man_bits
    if s.emin < -1022:
        return None
    saturate = ov is Overflow.SATURATE
    invalid = 0 if saturate else s.nan_pos

    def signed(negative: bool, pos: int, neg: int) -> int:
        return neg if negative else pos

    def infinite(negative: bool) -> int:  # an infinity the format may lack: its NaN then
        inf = signed(negative, s.inf_pos, s.inf_neg)
        return inf if inf >= 0 else signed(negative, s.nan_pos, s.nan_neg)

    def largest(negative: bool) -> int:
        return s.max_mag | (s.sign_bit if negative else 0)

    def overflow(negative: bool) -> int:  # IEEE: modes pointing back toward zero give +-max
        toward_zero = mode in (Rounding.TOWARD_ZERO, Rounding.TO_ODD, Rounding.TOWARD_POSITIVE if negative else Rounding.TOWARD_NEGATIVE)
        return infinite(negative) if ov is Overflow.NON_SATURATING and not toward_zero else largest(negative)

    def infinite_input(negative: bool) -> int:
        if negative and s.sign_bit == 0:
            return invalid
        return largest(negative) if saturate else infinite(negative)

    quiet = s.exp_all | (1 << (M - 1)) if s.ieee_nan else 0
    nan_codes = (quiet, s.sign_bit | quiet) if s.ieee_nan else (s.nan_pos, s.nan_neg)
    codes = _rf.Results(
        over_pos=overflow(False),
        over_neg=overflow(True) if s.sign_bit else invalid,
        zero_pos=invalid if s.no_zero else 0,
        zero_neg=invalid if s.no_zero else (s.sign_bit if s.neg_zero else 0),
        inf_pos=infinite_input(False),
        inf_neg=infinite_input(True),
        nan_pos=nan_codes[0],
        nan_neg=nan_codes[1],
        nan_shift=52 - M,
        nan_mask=(1 << M) - 1 if s.ieee_nan else 0,
        invalid=-1,  # codes are never negative
        instead=0,
    )
    if values:  # a signalling NaN never is a value: NaN values are quiet
        bits = [_value_bits(code, s, keep_nan_bits) if code >= 0 else _INVALID_VALUE for code in codes[:8]]
        payload_bits = ((1 << M) - 1) << (52 - M) if s.ieee_nan and keep_nan_bits else 0
        codes = _rf.Results(*bits, nan_shift=0, nan_mask=payload_bits, invalid=_INVALID_VALUE, instead=_value_bits(0, s, keep_nan_bits))
    return _rf.FastSpec(
        shift=52 - M,
        emin_field=s.emin + 1023,
        below_shift=52 - M + s.emin + 1023 + (0 if s.subnormals else M),
        offset=(1023 - s.bias) << M,
        below_step=1 if s.subnormals else s.min_normal_code,
        mode=mode.code,
        nbits=nbits,
        add_half=-int(mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY)),
        add_const=-int(mode is Rounding.NEAREST_EVEN),
        add_odd=int(mode is Rounding.NEAREST_EVEN),
        fill_positive=-int(mode is Rounding.TOWARD_POSITIVE),
        fill_negative=-int(mode is Rounding.TOWARD_NEGATIVE),
        fill_even=-int(mode is Rounding.TO_ODD),
        max_mag=s.max_mag,
        sign_bit=s.sign_bit,
        unsigned_big=0 if s.sign_bit else 1 << 62,
        zero_test_code=0 if s.no_zero else -1,
        zero_test_input=-1 if s.no_zero else 0,
        zero_limit=max(s.min_normal_code if ftz else 0, 1),
        bias64=(1023 - s.bias) << 52,
        subnormal_limit=0 if s.no_zero else 1 << M,
        sub_quantum=2.0 ** (s.emin - M) if s.subnormals else 0.0,
        values=-int(values),
    ), codes


_INVALID_VALUE = 0x7FF0000000000BAD  # a signalling NaN: marks the values path's results that need a missing NaN


def _value_bits(code: int, s: _k.FloatSpec, keep_nan_bits: bool) -> int:
    """binary64 bits of the value the general path stores for ``code`` (int64 range)."""
    value, nan_bits = _k.decode_float_element(code, s)
    if nan_bits == -1:
        return int(np.float64(value).view(np.int64))
    return int(nan_bits) if keep_nan_bits else _rf.QUIET_NAN


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


def _fast(fmt: Format, mode: Rounding, ov: Overflow, src: np.ndarray, ftz: bool, nbits: int, values: bool, keep_nan_bits: bool,
          fast: bool) -> tuple[_rf.FastSpec, _rf.Results] | None:
    """:func:`fast_spec` for binary32/64 inputs into a float format, unless ``fast`` is False."""
    if not fast or src.dtype.kind != "u" or not isinstance(fmt, FloatFormat):
        return None
    return fast_spec(fmt, mode, ov, ftz, nbits, values, keep_nan_bits)


def _round_fast(src: np.ndarray, out: np.ndarray, spec: tuple[_rf.FastSpec, _rf.Results], fmt: FloatFormat, mode: Rounding, ov: Overflow,
                ftz: bool, key, explicit: np.ndarray) -> int:
    """Run the vectorised kernel over ``src`` on all threads; returns the NaNs the format lacks."""
    ns = _nearest_spec(fmt, 23 if src.dtype == np.uint32 else 52, not ftz, ov in (Overflow.SATURATE, Overflow.SATURATE_KEEP_INF))
    if mode is not Rounding.NEAREST_EVEN:
        ns = ns._replace(lo=1, hi=0)
    return sum(parallel_chunks(_rf.round_chunk, src.size, read_only(src), out, *spec, ns, key, read_only(explicit), min_chunk=_rf.BLOCK))


@lru_cache(maxsize=None)
def _nearest_spec(fmt: FloatFormat, in_man: int, subnormal_results: bool, saturate: bool) -> _nf.NearestSpec:
    """Parameters of the nearest-even formulas (:func:`~numsim._kernels.nearest_fast.nearest_spec_of`)
    from binary32 (``in_man=23``) or binary64 (``in_man=52``) inputs."""
    return _nf.nearest_spec_of(float_spec(fmt), in_man, subnormal_results, saturate)


def encode(arr: np.ndarray, fmt: Format, mode: Rounding, ov: Overflow, key, nbits: int, explicit: np.ndarray, ftz: bool,
           fast: bool = True) -> tuple[np.ndarray, int]:
    """Codes of the exact values ``arr`` (flat), and the number of values that needed a NaN.
    ``fast=False`` runs the general element-by-element kernel even where the vectorised one
    applies (the tests compare the two)."""
    src = kernel_input(arr).reshape(-1)
    out = np.empty(src.size, dtype=fmt.code_dtype)
    if (spec := _fast(fmt, mode, ov, src, ftz, nbits, False, True, fast)) is not None:
        invalid = _round_fast(src, out, spec, fmt, mode, ov, ftz, key, explicit)
    elif isinstance(fmt, FloatFormat):
        invalid = _k.encode_float(read_only(src), out, float_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit), ftz)
    else:
        invalid = _k.encode_fixed(read_only(src), out, fixed_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit))
    return out, invalid


def quantize(arr: np.ndarray, fmt: Format, out_dtype: np.dtype, mode: Rounding, ov: Overflow, key, nbits: int, explicit: np.ndarray,
             ftz: bool, fast: bool = True) -> tuple[np.ndarray, int]:
    """Values in ``out_dtype`` of the exact values ``arr`` rounded into ``fmt`` (flat), and the
    number of values that needed a NaN (``fast`` as in :func:`encode`)."""
    src = kernel_input(arr).reshape(-1)
    out = np.empty(src.size, dtype=out_dtype)
    has_table = fmt.bits <= TABLE_BITS
    if (spec := _fast(fmt, mode, ov, src, ftz, nbits, True, has_table or out_dtype == np.float64, fast)) is not None:
        return out, _round_fast(src, out, spec, fmt, mode, ov, ftz, key, explicit)
    table = value_table(fmt, out_dtype) if has_table else np.empty(0, out_dtype)
    out_bits = out.view(np.int64) if out_dtype == np.float64 else np.empty(0, np.int64)
    if isinstance(fmt, FloatFormat):
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
