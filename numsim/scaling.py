"""Scaling recipes: amax-based scales per tensor, token, channel or block, and the scaled matmul.

A narrow format (FP8, FP4, int8, ...) holds a tensor ``x`` through a scale ``s``: the datapath
sees ``q = round(x / s)`` in the format and the tensor stands for ``q * s``. The recipes here
choose ``s`` from the data and apply it, the way dynamic-scaling libraries and torch's
``_scaled_mm`` do:

* **amax** is the largest finite ``|x|`` of a slice (NaN and infinities are ignored), rounded up
  to float32 (exact for float32 inputs), as hardware reduces it.
* **scale** ``s = amax / fmt.max`` rounded once into ``scale_format`` with ``rounding``
  (default ``toward_positive``: then ``amax / s <= fmt.max`` and nothing saturates). With
  ``power_of_two=True`` the quotient is rounded to a power of two instead (as into E8M0), within
  the powers of two ``scale_format`` holds. A scale beyond the scale format's range saturates to
  its largest value (largest power of two); one that would round to zero becomes its smallest
  positive value; a slice whose finite values are all zero gets ``s = 1``. The quotient is
  correctly rounded: amax and ``fmt.max`` have at most 24 significant bits, so their float64
  quotient lies on the same side of every rounding boundary as the exact one.
* **granularity**: :func:`tensor_scale` (one scale), :func:`token_scales` (one per row, the last
  axis reduced: a token of the activations A of ``A @ B``), :func:`channel_scales` (one per
  column, axis -2 reduced: an output channel of a weight B stored ``(K, N)``) and
  :func:`block_scales` (one per ``block_size`` consecutive elements along an axis, the last block
  possibly shorter: group-wise weight scales such as 128 weights per scale).
* :func:`scaled_quantize` rounds ``x / s`` once into the format (``saturate`` overflow by default);
  :func:`scaled_dequantize` returns ``q * s``.
* :func:`apply_scales` is the epilogue of a scaled GEMM in float32:
  ``alpha = fp32(s_a s_b)``, ``out = fp32(alpha * fp32(D))`` (cuBLAS's ``alpha``; an integer or
  fixed-point accumulator is converted to float32 first, as hardware does);
  :func:`scaled_matmul` quantizes A and B with their scales, runs :func:`numsim.matmul` on the
  scaled operands and applies the epilogue: row-wise ``scale_a`` of shape ``(M, 1)`` (or one
  per-tensor scale) and column-wise ``scale_b`` of shape ``(1, N)``.

Block formats (MX, NVFP4, BFP: :class:`numsim.BlockFormat`) carry their own scales: the
datapath computes them, so their operands take no scale here.

>>> import numpy as np, numsim
>>> x = np.array([[0.5, -3.0], [0.01, 0.02]], np.float32)
>>> numsim.token_scales(x, "int8").ravel().tolist()                  # amax / 127, rounded up in fp32
[0.023622049018740654, 0.00015748031728435308]
>>> numsim.tensor_scale(x, "e4m3", scale_format="e8m0").tolist()     # 3 / 448 -> 2^-7
[[0.0078125]]
>>> numsim.scaled_quantize(x, "e4m3", numsim.tensor_scale(x, "e4m3", power_of_two=True)).tolist()
[[64.0, -384.0], [1.25, 2.5]]
"""

from __future__ import annotations

import math

import numpy as np

from . import _lazy
from ._checks import check_bool, check_int
from .blocks import BlockFormat
from .datapath import Datapath
from .formats import FloatFormat, Format
from .registry import float_format, get_format
from .rounding import Overflow, Rounding

_SCALE_SIGNIFICAND_BITS = 24  # amax and fmt.max are exact in float32: the quotient rounds correctly


def scale_from_amax(amax, fmt, *, scale_format="fp32", rounding="toward_positive", power_of_two: bool = False) -> np.ndarray:
    """Scales ``amax / fmt.max`` rounded into ``scale_format`` (see the module docstring).

    Parameters
    ----------
    amax : array_like
        Largest magnitudes (>= 0, finite); rounded up to float32 first.
    fmt : Format or str
        The scalar format the scaled values go into (``int8``, ``e4m3``, ``e2m1``, ...).
    scale_format : FloatFormat or str
        Format of the scales (``fp32`` default, ``e8m0``, ``e4m3``, ``bf16``, ...).
    rounding : Rounding or str
        Deterministic rounding of the quotient into ``scale_format`` (default ``toward_positive``).
    power_of_two : bool
        Round to a power of two (E8M0-style) held by ``scale_format``.

    Returns
    -------
    numpy.ndarray of float64, the shape of ``amax``: values of ``scale_format``, all > 0.

    >>> scale_from_amax([6.0, 0.0, 7.0, 1e-40], "e2m1", scale_format="e8m0").tolist()   # 7 / 6 up to 2
    [1.0, 1.0, 2.0, 5.877471754111438e-39]
    """
    fmt = _scaled_format(fmt)
    scale_fmt = float_format(scale_format, "scale_format")
    mode = Rounding.parse(rounding, "rounding")
    if mode.is_stochastic:
        raise ValueError(f"rounding must be a deterministic mode for scales, got {mode.value!r}")
    power_of_two = check_bool("power_of_two", power_of_two)
    amax = np.asarray(amax, np.float64)
    if amax.size and not (np.all(amax >= 0) and np.all(np.isfinite(amax))):
        raise ValueError(f"amax must hold finite values >= 0, got values in [{amax.min()}, {amax.max()}]")
    a32 = _round_up_to_float32(amax)
    quantize = _lazy.load("codecs", "numsim.scale_from_amax").quantize
    ratio = a32 / fmt.max  # rounds correctly below: both have at most 24 significant bits
    if power_of_two:
        scales = quantize(ratio, "e8m0", mode, Overflow.SATURATE)
        low, high = _powers_of_two(scale_fmt)
    else:
        scales = quantize(ratio, scale_fmt, mode, Overflow.SATURATE)
        low, high = _smallest_positive(scale_fmt), scale_fmt.max
    scales = np.clip(scales, low, high)
    return np.where(a32 > 0, scales, 1.0)


def tensor_scale(x, fmt, **recipe) -> np.ndarray:
    """One scale for the whole of ``x``, shaped ``(1,) * x.ndim`` (broadcasts against ``x``).
    ``recipe``: ``scale_format``, ``rounding``, ``power_of_two`` of :func:`scale_from_amax`.

    >>> tensor_scale([[1.0, -448.0]], "e4m3").tolist()
    [[1.0]]
    """
    x = _real_array(x, "x")
    return scale_from_amax(_amax(x, axis=None), fmt, **recipe)


def token_scales(x, fmt, **recipe) -> np.ndarray:
    """One scale per row of ``x`` (``(..., M, K)``, the last axis reduced): shape ``(..., M, 1)``.
    Rows are tokens of activations ``A`` in ``A @ B``.

    >>> token_scales([[127.0, 1.0], [-2.54, 0.0]], "int8").ravel().tolist()
    [1.0, 0.020000003278255463]
    """
    x = _real_array(x, "x", min_ndim=1)
    return scale_from_amax(_amax(x, axis=-1), fmt, **recipe)


def channel_scales(x, fmt, **recipe) -> np.ndarray:
    """One scale per column of ``x`` (``(..., K, N)``, axis -2 reduced): shape ``(..., 1, N)``.
    Columns are output channels of a weight stored as the ``B`` of ``A @ B``.

    >>> channel_scales([[1.0, 12.0], [-3.0, 0.5]], "e2m1").tolist()
    [[0.5, 2.0]]
    """
    x = _real_array(x, "x", min_ndim=2)
    return scale_from_amax(_amax(x, axis=-2), fmt, **recipe)


def block_scales(x, fmt, block_size: int, *, axis: int = -1, **recipe) -> np.ndarray:
    """One scale per run of ``block_size`` consecutive elements along ``axis`` (the last run may
    be shorter): ``x``'s shape with ``axis`` of length ``ceil(n / block_size)``.

    >>> block_scales([[1.0, 2.0, 3.0, 127.0, 0.0]], "int8", 2).tolist()
    [[0.015748033300042152, 1.0, 1.0]]
    """
    x = _real_array(x, "x", min_ndim=1)
    axis, n, block_size = _block_axis(x, block_size, axis)
    blocks = -(-n // block_size)
    padded = np.moveaxis(x, axis, -1)
    padded = np.concatenate([padded, np.zeros(padded.shape[:-1] + (blocks * block_size - n,))], axis=-1)
    amax = _amax(padded.reshape(padded.shape[:-1] + (blocks, block_size)), axis=-1)[..., 0]
    return np.moveaxis(scale_from_amax(amax, fmt, **recipe), -1, axis)


def scaled_quantize(x, fmt, scale=None, *, block_size: int | None = None, axis: int = -1, rounding="nearest_even",
                    overflow="saturate", nan_policy: str = "raise") -> np.ndarray:
    """``x / scale`` rounded once into ``fmt``: the values a datapath receives (float64).

    ``scale`` broadcasts against ``x``; with ``block_size`` it holds one scale per block along
    ``axis`` (:func:`block_scales`). ``scale=None`` quantizes ``x`` unscaled; a block format
    takes no scale (it computes its own, blocks along ``axis``). The quotient is computed in
    float64, so the result is correctly rounded when ``x`` and the scales have at most 24
    significant bits (float32 data and scales); ``rounding``, ``overflow`` and ``nan_policy`` are
    those of :func:`numsim.quantize`.

    >>> scaled_quantize([1.0, 3.0, 100.0], "e2m1", 0.5).tolist()   # 2, 6, 200 -> saturates at 6
    [2.0, 6.0, 6.0]
    """
    x = _real_array(x, "x")
    target = get_format(fmt)
    codecs = _lazy.load("codecs", "numsim.scaled_quantize")
    if isinstance(target, BlockFormat):
        if scale is not None or block_size is not None:
            raise ValueError(f"{target.name} is a block format and carries its own scales; pass scale=None and no block_size")
        return codecs.quantize(x, target, rounding, overflow, axis=axis, nan_policy=nan_policy)
    if scale is not None:
        x = x / _expanded(scale, x, block_size, axis)
    elif block_size is not None:
        raise ValueError("block_size needs the per-block scale it describes; got scale=None")
    return codecs.quantize(x, target, rounding, overflow, nan_policy=nan_policy)


def scaled_dequantize(q, scale=None, *, block_size: int | None = None, axis: int = -1) -> np.ndarray:
    """``q * scale`` in float64 (exact for values and scales of at most 26 significant bits each),
    with ``scale`` as :func:`scaled_quantize` takes it.

    >>> scaled_dequantize([[1.0, 2.0, 3.0]], [[2.0, 0.5]], block_size=2).tolist()
    [[2.0, 4.0, 1.5]]
    """
    q = _real_array(q, "q")
    return q if scale is None else q * _expanded(scale, q, block_size, axis)


def apply_scales(D, scale_a=None, scale_b=None) -> np.ndarray:
    """The float32 epilogue of a scaled GEMM: ``fp32(alpha * fp32(D))`` with
    ``alpha = fp32(scale_a * scale_b)`` (each scale may be None: 1).

    ``scale_a`` broadcasts as ``(..., M, 1)`` (per tensor or per row), ``scale_b`` as
    ``(..., 1, N)`` (per tensor or per column).

    >>> apply_scales(np.array([[3.0, 5.0]]), np.array([[0.5]]), np.array([[1.0, 0.25]])).tolist()
    [[1.5, 0.625]]
    """
    D = np.asarray(D, np.float64).astype(np.float32)
    if scale_a is None and scale_b is None:
        return D
    alpha = np.asarray(1.0 if scale_a is None else scale_a, np.float64) * np.asarray(1.0 if scale_b is None else scale_b, np.float64)
    return D * alpha.astype(np.float32)


def scaled_matmul(A, B, datapath: Datapath, scale_a=None, scale_b=None) -> np.ndarray:
    """``A @ B`` through ``datapath`` on scaled operands, as torch's ``_scaled_mm``: float32.

    A (``(..., M, K)``) is quantized into ``datapath.a_format`` with ``scale_a`` (None, one
    scale, or ``(..., M, 1)`` per row), B (``(..., K, N)``) into ``datapath.b_format`` with
    ``scale_b`` (None, one scale, or ``(..., 1, N)`` per column), both with the datapath's input
    rounding and saturating; a block-format operand takes no scale (the datapath blocks it along
    K). :func:`numsim.matmul` accumulates, and :func:`apply_scales` scales the result. An output
    element whose row of A or column of B holds a NaN or an infinity is NaN.

    >>> A, B = np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])
    >>> sa, sb = token_scales(A, "e4m3", power_of_two=True), channel_scales(B, "e4m3", power_of_two=True)
    >>> sa.tolist(), sb.tolist()                 # A / sa = [128, 256], B / sb = [192, 256]: exact in e4m3
    ([[0.0078125]], [[0.015625]])
    >>> scaled_matmul(A, B, Datapath("e4m3"), sa, sb).tolist()
    [[11.0]]
    """
    if not isinstance(datapath, Datapath):
        raise TypeError(f"datapath must be a numsim.Datapath, got {type(datapath).__name__}")
    A, B = _real_array(A, "A", min_ndim=2), _real_array(B, "B", min_ndim=2)
    rounding = datapath.input_rounding
    Aq = scaled_quantize(A, datapath.a_format, scale_a, rounding=rounding, nan_policy="zero")
    Bq = scaled_quantize(B, datapath.b_format, scale_b, axis=-2, rounding=rounding, nan_policy="zero")
    D = _lazy.load("gemm", "numsim.scaled_matmul").matmul(Aq, Bq, datapath)
    return mark_undefined(apply_scales(D, scale_a, scale_b), A, B)


def mark_undefined(out: np.ndarray, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``out`` (``A @ B``'s shape) with NaN wherever the row of A or the column of B holds a
    non-finite value (formats without NaN or infinity cannot carry them through a datapath).

    >>> mark_undefined(np.zeros((1, 2), np.float32), np.ones((1, 1)), np.array([[1.0, np.inf]])).tolist()
    [[0.0, nan]]
    """
    bad = ~np.isfinite(A).all(axis=-1, keepdims=True) | ~np.isfinite(B).all(axis=-2, keepdims=True)
    return np.where(bad, np.float32(np.nan), out) if bad.any() else out


# ---- helpers ---------------------------------------------------------------------------------


def _real_array(x, name: str, min_ndim: int = 0) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    return arr


def _scaled_format(fmt) -> Format:
    f = get_format(fmt)
    if isinstance(f, BlockFormat):
        raise ValueError(f"fmt={f.name} is a block format: it carries its own scales (numsim.quantize computes them)")
    mantissa, _ = math.frexp(f.max)
    if (mantissa * 2**_SCALE_SIGNIFICAND_BITS) % 1:
        raise ValueError(f"fmt={f.name} has a largest value {f.max} of more than {_SCALE_SIGNIFICAND_BITS} significant bits; "
                         "amax scaling takes formats whose largest value float32 holds exactly")
    return f


def _amax(x: np.ndarray, axis) -> np.ndarray:
    """Largest finite magnitude along ``axis`` (all axes for None), keeping the dimensions."""
    return np.max(np.abs(x), axis=axis, keepdims=True, where=np.isfinite(x), initial=0.0).astype(np.float64)


def _round_up_to_float32(a: np.ndarray) -> np.ndarray:
    """``a`` rounded up to float32 (clamped to float32's largest value), as float64."""
    a32 = np.minimum(a, np.finfo(np.float32).max).astype(np.float32)
    return np.where(a32.astype(np.float64) < a, np.nextafter(a32, np.float32(np.inf)), a32).astype(np.float64)


def _smallest_positive(fmt: FloatFormat) -> float:
    return fmt.min_subnormal if fmt.has_subnormals else fmt.min_normal


def _powers_of_two(fmt: FloatFormat) -> tuple[float, float]:
    """The smallest and largest powers of two of ``fmt``."""
    return _smallest_positive(fmt), 2.0 ** (math.frexp(fmt.max)[1] - 1)


def _block_axis(x: np.ndarray, block_size, axis) -> tuple[int, int, int]:
    axis = check_int("axis", axis, -x.ndim, x.ndim - 1) % x.ndim
    return axis, x.shape[axis], check_int("block_size", block_size, 1)


def _expanded(scale, x: np.ndarray, block_size, axis) -> np.ndarray:
    """``scale`` broadcast to ``x``'s shape (one scale per block along ``axis`` with ``block_size``)."""
    s = _real_array(scale, "scale")
    if block_size is not None:
        axis, n, block_size = _block_axis(x, block_size, axis)
        blocks = -(-n // block_size)
        if s.ndim != x.ndim or s.shape[axis] != blocks:
            raise ValueError(f"scale of shape {s.shape} does not hold one scale per block of {block_size} along axis {axis} "
                             f"of x {x.shape} ({blocks} blocks)")
        s = np.take(np.repeat(s, block_size, axis=axis), np.arange(n), axis=axis)
    try:
        return np.broadcast_to(s, x.shape)
    except ValueError:
        raise ValueError(f"scale of shape {s.shape} does not broadcast to x of shape {x.shape}") from None
