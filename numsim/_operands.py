"""Operands of arithmetic and datapaths: values checked to be representable in their format, or
rounded into it, and a datapath's initial value C rounded into the format its sum starts in.

>>> import numpy as np, numsim
>>> operand_values(np.array([1.1, 2.0]), numsim.get_format("e4m3"), "A", True, Rounding.NEAREST_EVEN).tolist()
[1.125, 2.0]
"""

from __future__ import annotations

import numpy as np

from .codecs import quantize
from .datapath import Chunked, Datapath, FixedAccumulator, FusedMultiTerm, Kulisch
from .formats import FloatFormat, Format
from .rounding import Rounding


def operand_bits(x: np.ndarray, fmt: Format, name: str, quantize_inputs: bool, input_rounding, daz: bool) -> np.ndarray:
    """Float64 bits of operand ``x`` as a value of ``fmt`` (checked, or rounded there)."""
    if quantize_inputs:
        values = np.asarray(quantize(x, fmt, input_rounding, nan_policy="zero"), np.float64)
    else:
        # a representable value is a fixed point of every rounding; nearest-even has the fast path
        values = np.asarray(quantize(x, fmt, "nearest_even", nan_policy="zero"), np.float64)
        with np.errstate(invalid="ignore"):  # signalling NaN patterns
            given = x.astype(np.float64)
        bad = ~((values == given) | (np.isnan(values) & np.isnan(given)))
        if bad.any():
            first = given[bad].flat[0]
            raise ValueError(
                f"{name} holds {int(bad.sum())} value(s) that {fmt.name} cannot represent (first: {first!r}); "
                f"pass {name}_format= the format the values come from, or quantize_inputs=True to round them into {fmt.name}"
            )
    if daz and isinstance(fmt, FloatFormat):
        values = np.where(np.abs(values) < fmt.min_normal, np.copysign(0.0, values), values)
    return np.ascontiguousarray(values, np.float64).reshape(-1).view(np.uint64)


def operand_values(x: np.ndarray, fmt: Format, name: str, quantize_inputs: bool, rounding: Rounding) -> np.ndarray:
    """``x`` as float64 values of ``fmt`` (checked, or rounded with ``rounding``)."""
    bits = operand_bits(np.ascontiguousarray(x), fmt, name.lower(), quantize_inputs, rounding, False)
    return bits.view(np.float64).reshape(x.shape)


def initial_values(dp: Datapath, C: np.ndarray | None) -> np.ndarray | None:
    """C rounded into the format the running sum of ``dp`` starts in (exact for Kulisch). None and
    an empty C (no output element: nothing is accumulated) stay as they are."""
    if C is None or C.size == 0:
        return C
    acc = dp.accumulator
    if isinstance(acc, Kulisch):
        return C
    if isinstance(dp.order, Chunked):
        outer = dp.order.outer
        return quantize(C, outer.fmt, outer.rounding, outer.overflow, nan_policy="zero")
    if isinstance(acc, FixedAccumulator):
        return C  # the kernel rounds C to the register's quantum and range
    if isinstance(acc, FusedMultiTerm):
        return quantize(C, acc.fmt, acc.rounding, nan_policy="zero")
    return quantize(C, acc.fmt, acc.rounding if not acc.rounding.is_stochastic else Rounding.NEAREST_EVEN, acc.overflow, nan_policy="zero")
