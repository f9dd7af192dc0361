"""Packing of sub-byte codes into bytes: two fp4 per byte, four fp6 per three bytes.

Codes of ``bits`` bits are laid end to end along an axis as a little-endian bit stream: code i
occupies bits ``[i*bits, (i+1)*bits)`` counted from the least significant bit of the first byte.
For 4-bit codes this puts element 0 in the low nibble (PyTorch's ``float4_e2m1fn_x2`` layout).

>>> import numpy as np
>>> pack(np.array([1, 2, 3], np.uint8), 4).tolist()
[33, 3]
>>> unpack(pack(np.array([1, 2, 3], np.uint8), 4), 4, 3).tolist()
[1, 2, 3]
"""

from __future__ import annotations

import numpy as np

from ._checks import check_axis, check_int


def _check_codes(codes, bits: int) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"codes must be an integer array, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= 1 << bits):
        raise ValueError(f"codes of {bits} bits lie in [0, {(1 << bits) - 1}], got values in [{arr.min()}, {arr.max()}]")
    return arr


def pack(codes, bits: int, axis: int = -1) -> np.ndarray:
    """Pack ``bits``-bit codes (1..8) along ``axis`` into ``ceil(n * bits / 8)`` bytes (uint8)."""
    bits = check_int("bits", bits, 1, 8)
    arr = _check_codes(codes, bits)
    if arr.ndim == 0:
        raise ValueError("pack needs an array of codes, got a scalar")
    axis = check_axis(axis, arr.ndim)
    moved = np.moveaxis(arr.astype(np.uint8), axis, -1)
    stream = np.unpackbits(moved[..., None], axis=-1, bitorder="little")[..., :bits]
    stream = stream.reshape(*moved.shape[:-1], moved.shape[-1] * bits)
    packed = np.packbits(stream, axis=-1, bitorder="little")
    return np.moveaxis(packed, -1, axis)


def unpack(packed, bits: int, count: int, axis: int = -1) -> np.ndarray:
    """Inverse of :func:`pack`: the first ``count`` codes of ``bits`` bits along ``axis`` (uint8)."""
    bits = check_int("bits", bits, 1, 8)
    arr = np.asarray(packed)
    if arr.dtype != np.uint8:
        raise TypeError(f"packed must be a uint8 array, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError("unpack needs an array of bytes, got a scalar")
    axis = check_axis(axis, arr.ndim)
    moved = np.moveaxis(arr, axis, -1)
    capacity = moved.shape[-1] * 8 // bits
    count = check_int("count", count, 0, capacity)
    stream = np.unpackbits(moved, axis=-1, bitorder="little")[..., : count * bits]
    groups = stream.reshape(*moved.shape[:-1], count, bits)
    codes = np.packbits(groups, axis=-1, bitorder="little")[..., 0]
    return np.moveaxis(codes, -1, axis)
