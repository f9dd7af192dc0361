"""Conversion of real numbers to and from any scalar format: ``quantize``, ``encode``, ``decode``.

Semantics (identical for every format and input dtype):

* **Exact, then round once.** The exact value of each input (float16/32/64, bfloat16 and other
  ml_dtypes types, integers up to 64 bits) is rounded a single time; a float64 input is never
  rounded through float32 first.
* **Rounding** at the fixed quantum 2^(max(floor(log2|x|), emin) - M) (so subnormals are exact
  results of the same rule); the rounding mode picks a neighbour (:class:`~numsim.Rounding`).
  Formats without subnormals round values below 2^emin to 0 or 2^emin.
* **Overflow** is decided on the rounded value: for OCP E4M3FN, 464 rounds to 448 (no overflow)
  while 465 rounds to 480 > 448 and overflows (:class:`~numsim.Overflow`).
* **NaN** inputs give the format's NaN: ieee formats keep the sign and the top payload bits and
  set the quiet bit (the top mantissa bit, IEEE 754 §6.2: a signalling NaN comes out quiet, its
  payload kept where the format has room); ``fn`` formats keep the sign; FNUZ/P3109
  formats have one NaN. Formats without NaN (fp4, fp6, integers) raise, or map NaN to code 0 with
  ``nan_policy="zero"``.
* **Zeros**: -0 is kept where the format has it, else becomes +0. The E8M0-style ``fnu`` formats
  have no zero: 0 and negative inputs give NaN (``2^emin`` when ``overflow="saturate"``) and
  positive values below 2^emin give 2^emin.
* **Unsigned floats**: a negative input that does not round to zero is out of range: NaN, or 0
  when saturating.
* ``ftz=True`` flushes subnormal *results* to (signed) zero; ``daz=True`` treats inputs that are
  subnormal *in their own dtype* as zero.

Example
-------
>>> import numpy as np, numsim
>>> numsim.quantize(np.array([0.12109374882416686, 464.0, 465.0]), "e4m3").tolist()
[0.1171875, 448.0, nan]
>>> numsim.encode([1.0, -2.0], "e4m3")
array([ 56, 192], dtype=uint8)
"""

from __future__ import annotations

import numpy as np

from ._checks import check_bool
from ._exact_inputs import exact_array
from ._lower import codec as _lowered
from ._random_bits import MAX_SR_BITS as MAX_SR_BITS  # re-exported: numsim.codecs.MAX_SR_BITS
from ._random_bits import stochastic_args
from .block_codecs import decode_block, encode_block, quantize_block
from .blocks import BlockFormat
from .formats import TABLE_BITS, FloatFormat, Format
from .registry import get_format
from .rounding import Overflow, Rounding

_NAN_POLICIES = ("raise", "zero")


def decode_table(fmt: Format | str, dtype=np.float64) -> np.ndarray:
    """Read-only array of the value of every code of a format of at most 16 bits."""
    fmt = get_format(fmt)
    if fmt.bits > TABLE_BITS:
        raise ValueError(f"decode tables exist for formats of at most {TABLE_BITS} bits; {fmt.name} has {fmt.bits}")
    return _lowered.value_table(fmt, np.dtype(dtype))


# ---- argument handling ---------------------------------------------------------------------


def _check_overflow(fmt: Format, overflow) -> Overflow:
    if overflow is None:
        return fmt.default_overflow
    ov = Overflow.parse(overflow)
    if isinstance(fmt, FloatFormat):
        if ov is Overflow.WRAP:
            raise ValueError(f"overflow='wrap' applies to integer and fixed-point formats, not to {fmt.name}; allowed: saturate, saturate_keep_inf, non_saturating")
        if ov is not Overflow.SATURATE and not (fmt.has_inf or fmt.has_nan):
            raise ValueError(f"overflow={ov.value!r} needs Inf or NaN codes, which {fmt.name} lacks; use overflow='saturate'")
    else:
        if ov in (Overflow.NON_SATURATING, Overflow.SATURATE_KEEP_INF):
            raise ValueError(f"overflow={ov.value!r} needs Inf or NaN codes, which {fmt.name} lacks; allowed: saturate, wrap")
        if ov is Overflow.WRAP and fmt.symmetric:
            raise ValueError(f"overflow='wrap' cannot be used with the symmetric format {fmt.name} (its most negative code is unused)")
    return ov


def _checked_args(x, fmt, rounding, overflow, seed, sr_bits, random_bits, ftz, daz, nan_policy):
    fmt = get_format(fmt)
    mode = Rounding.parse(rounding)
    ov = _check_overflow(fmt, overflow)
    _check_flags(ftz, daz, nan_policy)
    arr = exact_array(x, bool(daz))
    key, nbits, explicit = stochastic_args(mode, seed, sr_bits, random_bits, arr.size)
    return fmt, mode, ov, arr, key, nbits, explicit


def _check_flags(ftz, daz, nan_policy, block: bool = False) -> None:
    for name, flag in (("ftz", ftz), ("daz", daz)):
        if check_bool(name, flag) and block:
            raise ValueError(f"{name}=True is not supported for block formats (their scales already cover tiny values)")
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {', '.join(_NAN_POLICIES)}, got {nan_policy!r}")


def _finish(invalid: int, nan_policy: str, fmt: Format, out: np.ndarray, shape):
    if invalid and nan_policy == "raise":
        raise ValueError(
            f"{invalid} input value(s) need a NaN, which {fmt.name} does not have (NaN inputs, infinities with "
            "overflow='wrap', or values out of range under a non-saturating policy); pass nan_policy='zero' "
            "to map them to code 0"
        )
    return _scalar_result(out.reshape(shape))


# ---- public codecs -------------------------------------------------------------------------


def encode(
    x,
    fmt: Format | BlockFormat | str,
    rounding: Rounding | str = "nearest_even",
    overflow: Overflow | str | None = None,
    *,
    axis=None,
    seed=None,
    sr_bits: int = 32,
    random_bits=None,
    ftz: bool = False,
    daz: bool = False,
    nan_policy: str = "raise",
) -> np.ndarray:
    """Round ``x`` into ``fmt`` and return the bit patterns (codes).

    Parameters
    ----------
    x : array_like
        Real values: float16/32/64, ml_dtypes floats and ints, bool or integers (uint64 below 2^63).
    fmt : Format or str
        Target format or its name.
    rounding : Rounding or str
        Rounding mode, default ``"nearest_even"``.
    overflow : Overflow or str, optional
        Overflow policy; default ``fmt.default_overflow``.
    seed : int, numpy.random.Generator or SeedSequence, optional
        Source of the random bits of stochastic rounding. Element i uses the i-th draw of a
        counter-based SplitMix64 stream keyed from the seed, so results do not depend on the thread
        count. A Generator is advanced by one draw per call.
    sr_bits : int
        Number N of random bits of stochastic rounding (1..32, default 32).
    random_bits : array_like of int, optional
        Explicit random integers in [0, 2^sr_bits), one per element (overrides ``seed``).
    ftz, daz : bool
        Flush subnormal results to zero; treat inputs subnormal in their own dtype as zero.
    nan_policy : {"raise", "zero"}
        What to do with a NaN when ``fmt`` has no NaN code.

    axis : int or pair of ints, optional
        Block formats only: the blocked axis (default -1) or, for 2-D tiles, the two tiled axes
        (default (-2, -1)).

    Returns
    -------
    numpy.ndarray or BlockCodes
        Codes in the smallest unsigned dtype holding ``fmt.bits`` bits, same shape as ``x``. For a
        block format: ``(elements, scales)`` codes, plus ``tensor_scale`` for two-level formats
        (:mod:`numsim.block_codecs`); rounding and overflow then apply to the elements.

    >>> encode([448.0, 500.0], "e4m3", overflow="saturate")
    array([126, 126], dtype=uint8)
    """
    if isinstance(block := get_format(fmt), BlockFormat):
        _check_flags(ftz, daz, nan_policy, block=True)
        return encode_block(x, block, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy)
    _no_axis(axis, block)
    fmt, mode, ov, arr, key, nbits, explicit = _checked_args(x, fmt, rounding, overflow, seed, sr_bits, random_bits, ftz, daz, nan_policy)
    out, invalid = _lowered.encode(arr, fmt, mode, ov, key, nbits, explicit, bool(ftz))
    return _finish(invalid, nan_policy, fmt, out, arr.shape)


def quantize(
    x,
    fmt: Format | BlockFormat | str,
    rounding: Rounding | str = "nearest_even",
    overflow: Overflow | str | None = None,
    *,
    axis=None,
    dtype=np.float64,
    seed=None,
    sr_bits: int = 32,
    random_bits=None,
    ftz: bool = False,
    daz: bool = False,
    nan_policy: str = "raise",
) -> np.ndarray:
    """Round ``x`` into ``fmt`` and return the represented values (``decode(encode(x))``).

    Same parameters as :func:`encode`, plus ``dtype`` (``float64`` default, or ``float32`` for
    formats whose values are all exact in float32; block formats raise if a value is not).
    Returns an array of ``x``'s shape.

    >>> quantize([0.3, 7.0], "e2m1")
    array([0.5, 6. ])
    """
    if isinstance(block := get_format(fmt), BlockFormat):
        _check_flags(ftz, daz, nan_policy, block=True)
        return _scalar_result(quantize_block(x, block, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy, _float_dtype(dtype)))
    _no_axis(axis, block)
    out_dtype = _output_dtype(dtype, block)
    fmt, mode, ov, arr, key, nbits, explicit = _checked_args(x, fmt, rounding, overflow, seed, sr_bits, random_bits, ftz, daz, nan_policy)
    out, invalid = _lowered.quantize(arr, fmt, out_dtype, mode, ov, key, nbits, explicit, bool(ftz))
    return _finish(invalid, nan_policy, fmt, out, arr.shape)


def decode(codes, fmt: Format | BlockFormat | str, *, axis=None, dtype=np.float64) -> np.ndarray:
    """Values of the bit patterns ``codes`` (integers in [0, 2^bits)) of ``fmt``.

    Formats of at most 16 bits decode by table lookup. NaN codes of ieee formats keep their
    payload in the float64 result. For a block format ``codes`` is the tuple :func:`encode`
    returned, decoded along the same ``axis``.

    >>> decode([0x7E, 0x7F, 0x80], "e4m3")
    array([448.,  nan,  -0.])
    """
    fmt = get_format(fmt)
    if isinstance(fmt, BlockFormat):
        return _scalar_result(decode_block(codes, fmt, axis, _float_dtype(dtype)))
    _no_axis(axis, fmt)
    out_dtype = _output_dtype(dtype, fmt)
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"codes must be an integer array, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= fmt.num_codes):
        raise ValueError(f"codes of {fmt.name} lie in [0, {fmt.num_codes - 1}], got values in [{arr.min()}, {arr.max()}]")
    return _scalar_result(_lowered.decode(arr, fmt, out_dtype).reshape(arr.shape))


def _float_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32, got {dtype!r}") from None
    if dt not in (np.float64, np.float32):
        raise ValueError(f"dtype must be float64 or float32, got {dt}")
    return dt


def _output_dtype(dtype, fmt: Format) -> np.dtype:
    dt = _float_dtype(dtype)
    if dt == np.float32 and not fits_float32(fmt):
        raise ValueError(f"{fmt.name} has values that float32 cannot hold exactly; use dtype=float64")
    return dt


def _no_axis(axis, fmt: Format) -> None:
    if axis is not None:
        raise ValueError(f"axis applies to block formats; {fmt.name} is a scalar format (got axis={axis!r})")


def _scalar_result(out: np.ndarray):
    return out[()] if out.ndim == 0 else out


def fits_float32(fmt: Format) -> bool:
    """Whether every value of ``fmt`` is exactly representable in float32."""
    if isinstance(fmt, FloatFormat):
        return fmt.man_bits <= 23 and fmt.emax <= 127 and fmt.emin - fmt.man_bits >= -149
    frac = fmt._frac
    return max(abs(fmt.min_int), fmt.max_int) <= 1 << 24 and -149 <= -frac and fmt.bits - frac <= 128
