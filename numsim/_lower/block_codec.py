"""Block-format codecs lowered to :mod:`numsim._kernels.block_codec` and
:mod:`numsim._kernels.block_rows`: the tile layout, the scale rule and the vectorised row pass.

The kernels work on arrays of shape ``(B, H, W)`` whose tiles are ``rows x cols`` (1-D blocks:
``1 x block``); :class:`Layout` moves the blocked axes of an input there and back.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .._kernels import block_codec as _bk
from .._kernels import block_rows as _br
from .._kernels import nearest_fast as _nf
from .._kernels.inputs import read_only
from .._threads import parallel_chunks
from ..blocks import BlockFormat, ScaleRule
from ..formats import TABLE_BITS, FloatFormat, significand_bits
from ..rounding import Overflow, Rounding
from .codec import kernel_input, value_table
from .specs import float_spec, format_spec


class Layout(NamedTuple):
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
        return 1.0 / value_table(scale, np.dtype(np.float64))


def row_pass(fmt: BlockFormat, ov: Overflow, dtype: np.dtype, tensor_value: float):
    """Parameters of the vectorised nearest-even row pass (:mod:`numsim._kernels.block_rows`) for
    inputs of ``dtype``, and whether any element can take it."""
    element = fmt.element
    saturate = ov in (Overflow.SATURATE, Overflow.SATURATE_KEEP_INF)
    espec = format_spec(element)
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
    magnitudes = value_table(element, np.dtype(np.float64))[: s.max_mag + 1]
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
        if decode_scalar(code, tfmt) == 0.0:
            code = _bk.round_quotient(tfmt.min_normal, 1.0, tspec, Rounding.NEAREST_EVEN.code)
    return decode_scalar(code, tfmt), np.asarray(code, dtype=tfmt.code_dtype)


def decode_scalar(code: int, fmt: FloatFormat) -> float:
    """The value of one valid code of a float format."""
    value, nan_bits = _bk.decode_float_element(np.int64(code), float_spec(fmt))
    return value if nan_bits == -1 else math.nan


def encode(arr: np.ndarray, fmt: BlockFormat, layout: Layout, mode: Rounding, ov: Overflow, key, nbits: int, explicit: np.ndarray,
           dtype: np.dtype | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int, int]:
    """Element codes (``dtype`` None) or values in ``dtype``, scale codes and tensor scale code of
    the exact float values ``arr`` (input geometry), the number of elements that needed a NaN and
    the number of values that float32 cannot hold."""
    xs = read_only(layout.to_kernel(arr))
    src = read_only(kernel_input(xs))
    rows, cols = layout.tile
    tile_rows = layout.scale_kernel_shape[0] * layout.scale_kernel_shape[1]
    maxima = np.empty((0, 0, 0), np.int64)
    amax = 0.0
    if fmt.tensor_scale is not None and arr.size:  # the tensor's amax comes with the tile maxima, in one pass
        maxima = np.empty(layout.scale_kernel_shape, np.int64)
        amax = max(parallel_chunks(_bk.all_tile_maxima, tile_rows, src, rows, cols, maxima))
    tensor_value, tensor_code = _tensor_scale(amax, fmt)
    espec = format_spec(fmt.element)
    fast, use_fast = row_pass(fmt, ov, xs.dtype, tensor_value)
    out = np.empty(layout.kernel_shape, dtype=fmt.element.code_dtype if dtype is None else dtype)
    scales = np.empty(layout.scale_kernel_shape, dtype=fmt.scale.code_dtype)
    sspec = float_spec(fmt.scale)
    sfast = _nf.nearest_spec_of(sspec, 52, True, True)
    reciprocals = _reciprocals(fmt.scale) if fmt.scale_rule is ScaleRule.ROUND else np.empty(0)
    counts = parallel_chunks(_bk.block_kernel, tile_rows, xs, src, out, scales, maxima, espec, fast, sspec, sfast, read_only(reciprocals),
                             _block_spec(fmt, tensor_value), rows, cols, mode.code, ov.code, key, nbits, read_only(explicit), use_fast)
    invalid, inexact = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return layout.from_kernel(out), layout.scales_from_kernel(scales), tensor_code, invalid, inexact


def decode(elements: np.ndarray, scales: np.ndarray, fmt: BlockFormat, layout: Layout, tensor_scale: float,
           dtype: np.dtype) -> tuple[np.ndarray, int]:
    """Values in ``dtype`` of valid element and scale codes (input geometry), and the number of
    values that float32 cannot hold."""
    element = fmt.element
    table = value_table(element, np.dtype(np.float64)) if element.bits <= TABLE_BITS else np.empty(0, np.float64)
    out = np.empty(layout.kernel_shape, dtype=dtype)
    rows, cols = layout.tile
    tile_rows = layout.scale_kernel_shape[0] * layout.scale_kernel_shape[1]
    inexact = sum(parallel_chunks(_bk.decode_blocks, tile_rows, read_only(layout.to_kernel(elements)), read_only(layout.scales_to_kernel(scales)),
                                  out, format_spec(element), float_spec(fmt.scale), read_only(table), tensor_scale, rows, cols))
    return layout.from_kernel(out), inexact
