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
* **NaN** inputs give the format's NaN: ieee formats keep the sign and the top payload bits (an
  empty payload becomes the quiet NaN f = 2^(M-1)); ``fn`` formats keep the sign; FNUZ/P3109
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

import math
import numbers
from functools import lru_cache

import numpy as np

from ._checks import check_bool
from ._kernels import codec as _k
from ._kernels import nearest_fast as _nf
from ._kernels.inputs import read_only
from .blocks import BlockFormat
from .formats import TABLE_BITS, FixedFormat, FloatFormat, Format, IntFormat, Specials
from .registry import get_format
from .rounding import Overflow, Rounding

MAX_SR_BITS = 32
"""Most random bits a stochastic rounding may use."""

_NAN_POLICIES = ("raise", "zero")


# ---- kernel specs --------------------------------------------------------------------------


@lru_cache(maxsize=None)
def float_spec(fmt: FloatFormat) -> _k.FloatSpec:
    """Integer description of ``fmt`` for the kernels."""
    E, M = fmt.exp_bits, fmt.man_bits
    ones = (1 << (E + M)) - 1
    sign_bit = (1 << (E + M)) if fmt.signed else 0
    style = fmt.specials
    nan_pos = nan_neg = inf_pos = inf_neg = -1
    if style is Specials.FN:
        nan_pos, nan_neg = ones, sign_bit | ones
    elif style is Specials.FNUZ:
        nan_pos = nan_neg = sign_bit
    elif style is Specials.EXTENDED and fmt.signed:
        nan_pos = nan_neg = sign_bit
        inf_pos, inf_neg = ones, sign_bit | ones
    elif style is Specials.EXTENDED:
        nan_pos = nan_neg = ones
        inf_pos = ones - 1
    elif style is Specials.FNU:
        nan_pos = nan_neg = ones
    ieee = style is Specials.IEEE
    exp_all = ((1 << E) - 1) << M if ieee else 0
    if ieee:
        inf_pos, inf_neg = exp_all, sign_bit | exp_all
        if M > 0:  # canonical quiet NaN (NaN inputs keep their own payload instead)
            nan_pos = exp_all | (1 << (M - 1))
            nan_neg = sign_bit | nan_pos
    return _k.FloatSpec(
        man_bits=M,
        bias=fmt.bias,
        emin=fmt.emin,
        subnormals=int(fmt.has_subnormals or (M == 0 and style is not Specials.FNU)),
        no_zero=int(style is Specials.FNU),
        sign_bit=sign_bit,
        mag_mask=ones,
        max_mag=fmt._max_mag_code,
        min_normal_code=fmt._min_normal_code,
        neg_zero=int(fmt.has_negative_zero),
        ieee_nan=int(ieee and M > 0),
        exp_all=exp_all,
        nan_pos=nan_pos,
        nan_neg=nan_neg,
        inf_pos=inf_pos,
        inf_neg=inf_neg,
    )


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
def fixed_spec(fmt: IntFormat | FixedFormat) -> _k.FixedSpec:
    return _k.FixedSpec(
        bits=fmt.bits, frac_bits=fmt._frac, lo=fmt.min_int, hi=fmt.max_int, signed=int(fmt.signed), sign_magnitude=int(fmt.sign_magnitude)
    )


@lru_cache(maxsize=None)
def _table(fmt: Format, dtype: np.dtype) -> np.ndarray:
    codes = np.arange(fmt.num_codes, dtype=np.int64)
    out = np.empty(fmt.num_codes, dtype=np.float64)
    _decode_into(codes, fmt, out)
    with np.errstate(invalid="ignore"):  # float32 tables quieten signalling NaN payloads
        table = out.astype(dtype)
    table.flags.writeable = False
    return table


def decode_table(fmt: Format | str, dtype=np.float64) -> np.ndarray:
    """Read-only array of the value of every code of a format of at most 16 bits."""
    fmt = get_format(fmt)
    if fmt.bits > TABLE_BITS:
        raise ValueError(f"decode tables exist for formats of at most {TABLE_BITS} bits; {fmt.name} has {fmt.bits}")
    return _table(fmt, np.dtype(dtype))


def _decode_into(codes: np.ndarray, fmt: Format, out: np.ndarray) -> None:
    if isinstance(fmt, FloatFormat):
        bits = out.view(np.int64) if out.dtype == np.float64 else np.empty(0, np.int64)
        _k.decode_float(read_only(codes), out, bits, float_spec(fmt))
    else:
        _k.decode_fixed(read_only(codes), out, fixed_spec(fmt))


# ---- argument handling ---------------------------------------------------------------------


def exact_array(x, daz: bool = False) -> np.ndarray:
    """``x`` as a float32, float64 or int64 array holding its exact values (float16, bfloat16 and
    other ml_dtypes floats widen exactly to float32; small integers to float64)."""
    arr = np.asarray(x)
    dt = arr.dtype
    smallest_normal = None
    if dt.kind == "c":
        raise TypeError(f"x must be real; got complex dtype {dt}")
    if dt.kind == "b":
        arr = arr.astype(np.int64)
    elif dt.kind in "iu":
        if dt.itemsize < 8:
            arr = arr.astype(np.float64)  # exact
        elif dt.kind == "u":
            if arr.size and arr.max() >= np.uint64(1 << 63):
                raise ValueError("x has uint64 values >= 2^63, which numsim does not accept; convert them to float64 explicitly if rounding there is acceptable")
            arr = arr.astype(np.int64)
    elif dt.kind == "f":
        if dt.itemsize > 8:
            raise TypeError(f"x has dtype {dt}; extended precision inputs are not supported (use float64 or float32)")
        smallest_normal = np.finfo(dt).smallest_normal
        if dt.itemsize < 4:
            arr = arr.astype(np.float32)  # exact widening
    elif dt.kind == "V" and dt.type.__module__.startswith("ml_dtypes"):
        import ml_dtypes

        if dt.name.startswith(("int", "uint")):
            arr = arr.astype(np.int64)
        else:
            smallest_normal = float(ml_dtypes.finfo(dt).smallest_normal)
            arr = arr.astype(np.float32)  # every ml_dtypes float widens exactly to float32
    else:
        raise TypeError(f"x must be a real numeric array or scalar; got dtype {dt!r}")
    if daz and smallest_normal is not None:
        arr = np.where(np.abs(arr) < smallest_normal, np.copysign(np.zeros((), arr.dtype), arr), arr)
    return arr


def kernel_input(arr: np.ndarray) -> np.ndarray:
    """C-contiguous view for the kernels: binary32/binary64 bit patterns, or the int64 values."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.float64:
        return arr.view(np.uint64)
    if arr.dtype == np.float32:
        return arr.view(np.uint32)
    return arr


def _source(x, daz: bool) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flat kernel input holding x's exact values, and x's shape."""
    arr = exact_array(x, daz)
    return kernel_input(arr).reshape(-1), arr.shape


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


def _random_key(seed) -> np.uint64:
    if isinstance(seed, np.random.Generator):
        return np.uint64(seed.integers(0, 2**64, dtype=np.uint64, endpoint=False))
    if isinstance(seed, np.random.SeedSequence):
        return seed.generate_state(1, np.uint64)[0]
    if seed is None:
        return np.random.SeedSequence().generate_state(1, np.uint64)[0]
    if isinstance(seed, (float, np.floating)) and not math.isfinite(seed):
        raise ValueError(f"seed must be a finite non-negative integer or a numpy Generator, got {seed!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer, a numpy Generator or SeedSequence, got {seed!r} of type {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.SeedSequence(int(seed)).generate_state(1, np.uint64)[0]


def _stochastic_args(mode: Rounding, seed, sr_bits, random_bits, size: int):
    if isinstance(sr_bits, bool) or not isinstance(sr_bits, numbers.Integral) or not 1 <= sr_bits <= MAX_SR_BITS:
        raise ValueError(f"sr_bits must be an integer in 1..{MAX_SR_BITS}, got {sr_bits!r}")
    explicit = np.empty(0, np.uint64)
    if not mode.is_stochastic:
        if random_bits is not None:
            raise ValueError(f"random_bits is used only by the stochastic rounding modes, not by rounding={mode.value!r}")
        return np.uint64(0), int(sr_bits), explicit
    if random_bits is not None:
        rb = np.asarray(random_bits)
        if rb.dtype.kind not in "iu":
            raise TypeError(f"random_bits must be an integer array, got dtype {rb.dtype}")
        if rb.size != size:
            raise ValueError(f"random_bits must have one entry per element of x ({size}), got {rb.size}")
        if rb.size and (rb.min() < 0 or rb.max() >= 2**sr_bits):
            raise ValueError(f"random_bits must lie in [0, 2^sr_bits) = [0, {2**sr_bits}), got values in [{rb.min()}, {rb.max()}]")
        return np.uint64(0), int(sr_bits), np.ascontiguousarray(rb, dtype=np.uint64).reshape(-1)
    return _random_key(seed), int(sr_bits), explicit


def _checked_args(x, fmt, rounding, overflow, seed, sr_bits, random_bits, ftz, daz, nan_policy):
    fmt = get_format(fmt)
    mode = Rounding.parse(rounding)
    ov = _check_overflow(fmt, overflow)
    _check_flags(ftz, daz, nan_policy)
    src, shape = _source(x, bool(daz))
    key, nbits, explicit = _stochastic_args(mode, seed, sr_bits, random_bits, src.size)
    return fmt, mode, ov, src, shape, key, nbits, explicit


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
        from .block_codecs import encode_block

        _check_flags(ftz, daz, nan_policy, block=True)
        return encode_block(x, block, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy)
    _no_axis(axis, block)
    fmt, mode, ov, src, shape, key, nbits, explicit = _checked_args(x, fmt, rounding, overflow, seed, sr_bits, random_bits, ftz, daz, nan_policy)
    out = np.empty(src.size, dtype=fmt.code_dtype)
    fast = _fast_path(fmt, mode, ov, src, not ftz)
    if fast is not None:
        invalid = _nf.encode_nearest(read_only(src), out, float_spec(fmt), fast, ov.code, bool(ftz))
    elif isinstance(fmt, FloatFormat):
        invalid = _k.encode_float(read_only(src), out, float_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit), bool(ftz))
    else:
        invalid = _k.encode_fixed(read_only(src), out, fixed_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit))
    return _finish(invalid, nan_policy, fmt, out, shape)


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
        from .block_codecs import quantize_block

        _check_flags(ftz, daz, nan_policy, block=True)
        return _scalar_result(quantize_block(x, block, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy, _float_dtype(dtype)))
    _no_axis(axis, block)
    out_dtype = _output_dtype(dtype, block)
    fmt, mode, ov, src, shape, key, nbits, explicit = _checked_args(x, fmt, rounding, overflow, seed, sr_bits, random_bits, ftz, daz, nan_policy)
    out = np.empty(src.size, dtype=out_dtype)
    table = _table(fmt, out_dtype) if fmt.bits <= TABLE_BITS else np.empty(0, out_dtype)
    out_bits = out.view(np.int64) if out_dtype == np.float64 else np.empty(0, np.int64)
    fast = _fast_path(fmt, mode, ov, src, not ftz)
    if fast is not None:
        invalid = _nf.quantize_nearest(read_only(src), out, out_bits, read_only(table), float_spec(fmt), fast, ov.code, bool(ftz))
    elif isinstance(fmt, FloatFormat):
        invalid = _k.quantize_float(read_only(src), out, out_bits, read_only(table), float_spec(fmt), mode.code, ov.code, key, nbits,
                                    read_only(explicit), bool(ftz))
    else:
        invalid = _k.quantize_fixed(read_only(src), out, fixed_spec(fmt), mode.code, ov.code, key, nbits, read_only(explicit))
    return _finish(invalid, nan_policy, fmt, out, shape)


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
        from .block_codecs import decode_block

        return _scalar_result(decode_block(codes, fmt, axis, _float_dtype(dtype)))
    _no_axis(axis, fmt)
    out_dtype = _output_dtype(dtype, fmt)
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"codes must be an integer array, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= fmt.num_codes):
        raise ValueError(f"codes of {fmt.name} lie in [0, {fmt.num_codes - 1}], got values in [{arr.min()}, {arr.max()}]")
    shape = arr.shape
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = np.empty(flat.size, dtype=out_dtype)
    if fmt.bits <= TABLE_BITS:
        _k.lookup(_table(fmt, out_dtype), read_only(flat), out)
    else:
        _decode_into(flat, fmt, out)
    return _scalar_result(out.reshape(shape))


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
