"""Block-format codecs behind :func:`numsim.quantize`, :func:`numsim.encode` and
:func:`numsim.decode` (called with a :class:`~numsim.BlockFormat`).

Geometry: 1-D blocks run along ``axis`` (default the last); 2-D tiles over the two axes ``axis``
(default the last two). The last block of an axis may be shorter (its missing elements are simply
not there: nothing is padded or read out of bounds). Scale arrays have the input's shape with each
blocked axis of length L replaced by ceil(L / block).

Stochastic element rounding draws the random bits of element i from its position in C order
after the blocked axes have been moved to the end (the order the kernels walk); explicit
``random_bits`` have the input's shape and move with it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numba
import numpy as np

from ._kernels import block_codec as _bk
from ._kernels import block_rows as _br
from ._kernels import nearest_fast as _nf
from ._kernels.inputs import read_only
from .blocks import BlockFormat, ScaleRule
from .codecs import (
    _stochastic_args,
    _table,
    exact_array,
    fixed_spec,
    float_spec,
    kernel_input,
)
from .formats import TABLE_BITS, FloatFormat, Format, significand_bits
from .rounding import Overflow, Rounding


class BlockCodes(NamedTuple):
    """Codes of a single-level block format: element codes (input shape) and scale codes."""

    elements: np.ndarray
    scales: np.ndarray


class TwoLevelCodes(NamedTuple):
    """Codes of a two-level block format (NVFP4): plus the code of the per-tensor scale."""

    elements: np.ndarray
    scales: np.ndarray
    tensor_scale: np.ndarray


class _Layout(NamedTuple):
    """Where the blocked axes went: ``(B, H, W)`` kernel shape, tile, and how to go back."""

    shape: tuple[int, ...]
    axes: tuple[int, ...]
    moved_shape: tuple[int, ...]
    kernel_shape: tuple[int, int, int]
    tile: tuple[int, int]

    @property
    def scale_kernel_shape(self) -> tuple[int, int, int]:
        B, H, W = self.kernel_shape
        return B, -(-H // self.tile[0]), -(-W // self.tile[1])

    def to_kernel(self, arr: np.ndarray) -> np.ndarray:
        moved = np.moveaxis(arr, self.axes, range(arr.ndim - len(self.axes), arr.ndim))
        return np.ascontiguousarray(moved).reshape(self.kernel_shape)

    def from_kernel(self, arr: np.ndarray) -> np.ndarray:
        n = len(self.moved_shape)
        return np.moveaxis(arr.reshape(self.moved_shape), range(n - len(self.axes), n), self.axes)

    def scales_from_kernel(self, scales: np.ndarray) -> np.ndarray:
        lead = self.moved_shape[: len(self.moved_shape) - len(self.axes)]
        _, n_h, n_w = scales.shape
        blocked = (n_w,) if len(self.axes) == 1 else (n_h, n_w)
        n = len(self.moved_shape)
        return np.moveaxis(scales.reshape(lead + blocked), range(n - len(self.axes), n), self.axes)

    def scales_to_kernel(self, scales: np.ndarray) -> np.ndarray:
        moved = np.moveaxis(scales, self.axes, range(scales.ndim - len(self.axes), scales.ndim))
        return np.ascontiguousarray(moved).reshape(self.scale_kernel_shape)

    def scale_shape(self) -> tuple[int, ...]:
        """The input's shape with each blocked axis of length L replaced by ceil(L / block)."""
        shape = list(self.shape)
        for axis, n in zip(self.axes, self.tile[2 - len(self.axes):]):
            shape[axis] = -(-shape[axis] // n)
        return tuple(shape)


def _layout(shape: tuple[int, ...], fmt: BlockFormat, axis) -> _Layout:
    ndim = len(shape)
    dims = len(fmt.block_shape)
    if axis is None:
        axis = -1 if dims == 1 else (-2, -1)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) != dims or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise ValueError(f"axis must be {'an int' if dims == 1 else 'a pair of ints'} for {fmt.name} (block shape {fmt.block_shape}), got {axis!r}")
    if ndim < dims:
        raise ValueError(f"{fmt.name} blocks {dims} axis/axes, but x has {ndim} dimension(s)")
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimension(s) (allowed: {-ndim}..{ndim - 1})")
    axes = tuple(int(a) % ndim for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis must name distinct axes, got {axis!r}")
    moved_shape = tuple(s for i, s in enumerate(shape) if i not in axes) + tuple(shape[a] for a in axes)
    lead = math.prod(moved_shape[: ndim - dims])
    if dims == 1:
        kernel_shape, tile = (1, lead, moved_shape[-1]), (1, fmt.block_shape[0])
    else:
        kernel_shape, tile = (lead, moved_shape[-2], moved_shape[-1]), fmt.block_shape
    return _Layout(tuple(shape), axes, moved_shape, kernel_shape, tile)


def _element_spec(element: Format):
    return float_spec(element) if isinstance(element, FloatFormat) else fixed_spec(element)


def element_overflow(fmt: BlockFormat, overflow) -> Overflow:
    """Overflow policy of the elements: default ``saturate_keep_inf`` (finite overflow saturates,
    as OCP MX requires; infinities stay Inf, become the element NaN, or make the block NaN).
    Policies that need a NaN the element lacks are allowed: the block's scale provides it."""
    if overflow is None:
        return Overflow.SATURATE_KEEP_INF
    ov = Overflow.parse(overflow)
    element = fmt.element
    if isinstance(element, FloatFormat):
        if ov is Overflow.WRAP:
            raise ValueError(f"overflow='wrap' applies to integer and fixed-point elements, not to {element.name}; allowed: saturate, saturate_keep_inf, non_saturating")
        return ov
    if ov is Overflow.NON_SATURATING:
        raise ValueError(f"overflow='non_saturating' needs Inf or NaN codes, which the {element.name} elements lack; allowed: saturate, saturate_keep_inf, wrap")
    if ov is Overflow.WRAP and element.symmetric:
        raise ValueError(f"overflow='wrap' cannot be used with the symmetric elements {element.name}")
    return ov


@lru_cache(maxsize=256)
def _block_spec(fmt: BlockFormat, tensor_scale: float) -> _bk.BlockSpec:
    element, scale = fmt.element, fmt.scale
    return _bk.BlockSpec(
        rule=fmt.scale_rule.code,
        emax_elem=fmt.emax_elem,
        elem_man=fmt.element_mantissa_bits,
        inv_max_f32=float(np.float32(1.0 / element.max)),
        e_lo=math.frexp(scale.min_subnormal)[1] - 1,
        e_hi=scale.emax,
        scale_mode=fmt.scale_rounding.code,
        scale_min=scale.min_normal,
        scale_max=scale.max,
        divisor=element.max * tensor_scale,
        inv_divisor=1.0 / (element.max * tensor_scale),
        tensor_scale=tensor_scale,
        inv_tensor_scale=1.0 / tensor_scale,
        scale_precision=scale.precision,
        elem_precision=fmt.element_mantissa_bits + 1,
    )


@lru_cache(maxsize=None)
def _reciprocals(scale: FloatFormat) -> np.ndarray:
    """float64 reciprocal (correctly rounded) of every code of a scale format of at most 16 bits;
    empty for wider formats."""
    if scale.bits > TABLE_BITS:
        return np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / _table(scale, np.dtype(np.float64))


def _row_pass(fmt: BlockFormat, ov: Overflow, dtype: np.dtype, tensor_value: float):
    """Parameters of the vectorised nearest-even row pass (:mod:`numsim._kernels.block_rows`) for
    inputs of ``dtype``, and whether any element can take it."""
    element = fmt.element
    saturate = ov in (Overflow.SATURATE, Overflow.SATURATE_KEEP_INF)
    espec = _element_spec(element)
    if not isinstance(element, FloatFormat):
        return espec, saturate  # the integer formulas saturate
    if dtype == np.float32 and fmt.scale_rule.power_of_two:
        bits = _pow2_bits(element, saturate)
        if bits is not None:
            return bits, True
    thresholds = _thresholds(fmt, saturate, tensor_value)
    if thresholds is not None:
        return thresholds, True
    fast = _nf.nearest_spec_of(espec, 52, True, saturate)
    return fast, fast.lo <= fast.hi


@lru_cache(maxsize=None)
def _pow2_bits(element: FloatFormat, saturate: bool) -> _br.Pow2Bits | None:
    """The binary32-bits pass for power-of-two scales: elements with 1..22 mantissa bits,
    subnormals, a zero and a sign."""
    s = float_spec(element)
    M = s.man_bits
    if not (1 <= M <= 22 and s.subnormals and not s.no_zero and s.sign_bit and s.max_mag >> M >= 1):
        return None
    top_field = (s.max_mag >> M) - s.bias + 127
    return _br.Pow2Bits(
        shift=23 - M,
        man_bits=M,
        emin_field=s.emin + 127,
        top_field=top_field,
        hi=top_field if saturate else top_field - 1,
        offset=(127 - s.bias) << M,
        max_bits=(top_field << 23) | ((s.max_mag & ((1 << M) - 1)) << (23 - M)),
        max_mag=s.max_mag,
        sign_bit=s.sign_bit,
        neg_zero=s.neg_zero,
    )


def _thresholds(fmt: BlockFormat, saturate: bool, tensor_value: float) -> _br.Thresholds | None:
    """The midpoint-comparison pass: saturating elements with at most 8 magnitudes (codes 0..n in
    increasing order from 0), when every midpoint times every scale is exact in float64."""
    element = fmt.element
    s = float_spec(element)
    if not saturate or s.max_mag > 7 or s.no_zero:
        return None
    magnitudes = _table(element, np.dtype(np.float64))[: s.max_mag + 1]
    if magnitudes[0] != 0 or not np.all(np.diff(magnitudes) > 0) or not np.isfinite(magnitudes).all():
        return None
    scale = fmt.scale
    scale_precision = 1 if fmt.scale_rule.power_of_two else scale.precision + (fmt.tensor_scale.precision if fmt.tensor_scale else 0)
    smallest = magnitudes[1] / 2 * scale.min_subnormal * tensor_value
    largest = magnitudes[-1] * scale.max * tensor_value
    if significand_bits(element) + 1 + scale_precision > 53 or not 2.0**-960 < smallest <= largest < 2.0**960:
        return None
    midpoints = (magnitudes[:-1] + magnitudes[1:]) / 2
    pad = 7 - len(midpoints)
    return _br.Thresholds(*map(float, midpoints), *[math.inf] * pad, *map(float, np.diff(magnitudes)), *[0.0] * pad, s.sign_bit, s.neg_zero)


def _tensor_scale(amax: float, fmt: BlockFormat) -> tuple[float, np.ndarray | None]:
    """Per-tensor scale value and code for a tensor of largest finite magnitude ``amax``:
    amax / (scale max * element max) rounded into the tensor scale format (nearest-even; its
    smallest normal if that rounds to 0; 1 for an all-zero tensor)."""
    if fmt.tensor_scale is None:
        return 1.0, None
    tfmt = fmt.tensor_scale
    tspec = float_spec(tfmt)
    if amax == 0.0:
        code = _bk.round_quotient(1.0, 1.0, tspec, Rounding.NEAREST_EVEN.code)
    else:
        code = _bk.round_quotient(amax, fmt.scale.max * fmt.element.max, tspec, Rounding.NEAREST_EVEN.code)
        if _decode_scalar(code, tfmt) == 0.0:
            code = _bk.round_quotient(tfmt.min_normal, 1.0, tspec, Rounding.NEAREST_EVEN.code)
    return _decode_scalar(code, tfmt), np.asarray(code, dtype=tfmt.code_dtype)


def _decode_scalar(code: int, fmt: FloatFormat) -> float:
    value, nan_bits = _bk.decode_float_element(np.int64(code), float_spec(fmt))
    return value if nan_bits == -1 else math.nan


def _block_input(x) -> np.ndarray:
    arr = exact_array(x)
    if arr.dtype == np.int64:
        if arr.size and np.abs(arr).max() > 2**53:
            raise ValueError("block formats take integer inputs up to 2^53 in magnitude; convert larger ones to float64 first")
        arr = arr.astype(np.float64)
    return arr


def _same_shape(name: str, arr: np.ndarray, shape) -> np.ndarray:
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have the shape of x {tuple(shape)}, got {arr.shape}")
    return arr


def _raise_invalid(invalid: int, nan_policy: str, fmt: BlockFormat) -> None:
    if invalid and nan_policy == "raise":
        raise ValueError(
            f"{invalid} element(s) need a NaN, which neither the elements nor the scale format of {fmt.name} "
            "can represent; pass nan_policy='zero' to encode them as 0"
        )


def _run(x, fmt: BlockFormat, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy, dtype):
    """Element codes (``dtype`` None) or values, scale codes and tensor scale code of ``x``."""
    arr = _block_input(x)
    layout = _layout(arr.shape, fmt, axis)
    mode = Rounding.parse(rounding)
    ov = element_overflow(fmt, overflow)
    rb = None if random_bits is None else layout.to_kernel(_same_shape("random_bits", np.asarray(random_bits), arr.shape))
    key, nbits, explicit = _stochastic_args(mode, seed, sr_bits, rb, arr.size)
    xs = read_only(layout.to_kernel(arr))
    src = read_only(kernel_input(xs))
    rows, cols = layout.tile
    threads, width = numba.config.NUMBA_NUM_THREADS, layout.kernel_shape[2]
    scratch, int_scratch = np.empty((threads, 4, width)), np.empty((threads, 3, width), np.int64)
    maxima = np.empty((0, 0, 0), np.int64)
    amax = 0.0
    if fmt.tensor_scale is not None and arr.size:  # the tensor's amax comes with the tile maxima, in one pass
        maxima = np.empty(layout.scale_kernel_shape, np.int64)
        amax = _bk.all_tile_maxima(src, rows, cols, int_scratch, maxima)
    tensor_value, tensor_code = _tensor_scale(amax, fmt)
    espec = _element_spec(fmt.element)
    fast, use_fast = _row_pass(fmt, ov, xs.dtype, tensor_value)
    out = np.empty(layout.kernel_shape, dtype=fmt.element.code_dtype if dtype is None else dtype)
    scales = np.empty(layout.scale_kernel_shape, dtype=fmt.scale.code_dtype)
    sspec = float_spec(fmt.scale)
    sfast = _nf.nearest_spec_of(sspec, 52, True, True)
    reciprocals = _reciprocals(fmt.scale) if fmt.scale_rule is ScaleRule.ROUND else np.empty(0)
    invalid, inexact = _bk.block_kernel(xs, src, out, scales, maxima, scratch, int_scratch, espec, fast, sspec, sfast, read_only(reciprocals),
                                        _block_spec(fmt, tensor_value),
                                        rows, cols, mode.code, ov.code, key, nbits, read_only(explicit), use_fast)
    _raise_invalid(invalid, nan_policy, fmt)
    _raise_inexact(inexact, fmt)
    return layout.from_kernel(out), layout.scales_from_kernel(scales), tensor_code


def encode_block(x, fmt: BlockFormat, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy):
    elements, scales, tensor_code = _run(x, fmt, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy, None)
    return BlockCodes(elements, scales) if tensor_code is None else TwoLevelCodes(elements, scales, tensor_code)


def quantize_block(x, fmt: BlockFormat, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy, dtype):
    return _run(x, fmt, rounding, overflow, axis, seed, sr_bits, random_bits, nan_policy, dtype)[0]


def _raise_inexact(inexact: int, fmt: BlockFormat) -> None:
    if inexact:
        raise ValueError(f"{inexact} value(s) of {fmt.name} cannot be held exactly in float32; use dtype=float64")


def decode_block(codes, fmt: BlockFormat, axis, dtype):
    if not isinstance(codes, tuple) or len(codes) not in (2, 3):
        raise TypeError(f"codes of {fmt.name} must be the (elements, scales[, tensor_scale]) tuple that encode returns, got {type(codes).__name__}")
    if (len(codes) == 3) != (fmt.tensor_scale is not None):
        want = "(elements, scales, tensor_scale)" if fmt.tensor_scale is not None else "(elements, scales)"
        raise ValueError(f"codes of {fmt.name} must be {want}, got a tuple of {len(codes)}")
    elements = _codes_of("elements", codes[0], fmt.element)
    layout = _layout(elements.shape, fmt, axis)
    scales = _same_shape("scales", _codes_of("scales", codes[1], fmt.scale), layout.scale_shape())
    tensor_scale = 1.0
    if fmt.tensor_scale is not None:
        tensor_scale = _decode_scalar(int(_codes_of("tensor_scale", np.asarray(codes[2]).reshape(()), fmt.tensor_scale)), fmt.tensor_scale)
    element = fmt.element
    table = _table(element, np.dtype(np.float64)) if element.bits <= TABLE_BITS else np.empty(0, np.float64)
    out = np.empty(layout.kernel_shape, dtype=dtype)
    rows, cols = layout.tile
    inexact = _bk.decode_blocks(read_only(layout.to_kernel(elements)), read_only(layout.scales_to_kernel(scales)), out, _element_spec(element),
                                float_spec(fmt.scale), read_only(table), tensor_scale, rows, cols)
    _raise_inexact(inexact, fmt)
    return layout.from_kernel(out)


def _codes_of(name: str, arr, fmt: Format) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} codes must be integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= fmt.num_codes):
        raise ValueError(f"{name} codes of {fmt.name} lie in [0, {fmt.num_codes - 1}], got values in [{arr.min()}, {arr.max()}]")
    return arr
