"""Bridges from numsim formats to the independent exact reference (tests/reference.py)."""

from __future__ import annotations

import numpy as np

import block_reference as block_ref
import reference as ref
from numsim import BlockFormat, FixedFormat, FloatFormat, IntFormat


def ref_format(fmt) -> ref.RefFloat | ref.RefInt:
    """The reference's description of a numsim format (parameters only, no behaviour)."""
    if isinstance(fmt, FloatFormat):
        subnormals = bool(fmt.subnormals) and fmt.specials.value != "fnu"
        return ref.RefFloat(fmt.exp_bits, fmt.man_bits, fmt.bias, subnormals, fmt.specials.value, bool(fmt.signed))
    if isinstance(fmt, (IntFormat, FixedFormat)):
        return ref.RefInt(fmt.bits, fmt.frac_bits, fmt.signed, fmt.symmetric, fmt.sign_magnitude)
    raise TypeError(fmt)


def ref_block(fmt: BlockFormat) -> block_ref.RefBlock:
    """The block reference's description of a numsim BlockFormat."""
    tensor = None if fmt.tensor_scale is None else ref_format(fmt.tensor_scale)
    return block_ref.RefBlock(ref_format(fmt.element), fmt.block_shape, ref_format(fmt.scale), fmt.scale_rule.value, fmt.scale_rounding.value, tensor)


def ref_codes(fmt, x, mode="nearest_even", overflow=None, *, rbits=None, nbits=32, ftz=False, nan_policy="zero") -> np.ndarray:
    """Reference codes of every element of ``x`` (float64 or int64), element by element."""
    rf = ref_format(fmt)
    x = np.asarray(x).reshape(-1)
    rbits = np.zeros(x.size, np.int64) if rbits is None else np.asarray(rbits).reshape(-1)
    out = [
        ref.encode(rf, int(v) if x.dtype.kind in "iu" else float(v), mode, overflow, rbits=int(r), nbits=nbits, ftz=ftz, nan_policy=nan_policy)
        for v, r in zip(x, rbits)
    ]
    return np.array(out, dtype=np.int64)


def assert_codes_equal(ours: np.ndarray, expected: np.ndarray, x: np.ndarray, context: str) -> None:
    ours = np.asarray(ours).astype(np.int64).reshape(-1)
    bad = np.flatnonzero(ours != expected)
    if bad.size:
        i = bad[:6]
        raise AssertionError(
            f"{context}: {bad.size} of {ours.size} codes differ; x={np.asarray(x).reshape(-1)[i].tolist()} "
            f"numsim={ours[i].tolist()} reference={expected[i].tolist()}"
        )
