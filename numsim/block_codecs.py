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
from typing import NamedTuple

import numpy as np

from ._exact_inputs import exact_array
from ._lower import block_codec as _lowered
from ._lower.block_codec import Layout
from ._random_bits import stochastic_args
from .blocks import BlockFormat
from .formats import FloatFormat, Format
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


def _layout(shape: tuple[int, ...], fmt: BlockFormat, axis) -> Layout:
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
    return Layout(tuple(shape), axes, moved_shape, kernel_shape, tile)


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
    key, nbits, explicit = stochastic_args(mode, seed, sr_bits, rb, arr.size)
    elements, scales, tensor_code, invalid, inexact = _lowered.encode(arr, fmt, layout, mode, ov, key, nbits, explicit, dtype)
    _raise_invalid(invalid, nan_policy, fmt)
    _raise_inexact(inexact, fmt)
    return elements, scales, tensor_code


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
        tensor_scale = _lowered.decode_scalar(int(_codes_of("tensor_scale", np.asarray(codes[2]).reshape(()), fmt.tensor_scale)), fmt.tensor_scale)
    values, inexact = _lowered.decode(elements, scales, fmt, layout, tensor_scale, dtype)
    _raise_inexact(inexact, fmt)
    return values


def _codes_of(name: str, arr, fmt: Format) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} codes must be integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= fmt.num_codes):
        raise ValueError(f"{name} codes of {fmt.name} lie in [0, {fmt.num_codes - 1}], got values in [{arr.min()}, {arr.max()}]")
    return arr
