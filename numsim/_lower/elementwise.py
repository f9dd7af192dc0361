"""Elementwise arithmetic lowered to :mod:`numsim._kernels.elementwise`.

:func:`elementwise` takes what :mod:`numsim.arithmetic` has checked: operands as float64 bit
patterns of values of their formats, the result format, parsed rounding and overflow, and the
random-stream arguments.
"""

from __future__ import annotations

import numpy as np

from .._kernels import elementwise as _ew
from .._kernels.exact import WINDOW_BITS  # the exact bits the kernels keep: numsim.arithmetic checks widths against it
from .._kernels.inputs import read_only
from .._threads import MIN_CHUNK, parallel_chunks
from ..formats import TABLE_BITS, FloatFormat, Format
from ..rounding import Overflow, Rounding
from .codec import value_table
from .specs import format_spec

OPS = {"add": _ew.ADD, "sub": _ew.SUB, "mul": _ew.MUL, "div": _ew.DIV, "fma": _ew.FMA, "sqrt": _ew.SQRT}

_EMPTY = np.empty(0, np.uint64)


def elementwise(op: str, bits: list[np.ndarray], fmt: Format, out_dtype: np.dtype, mode: Rounding, ov: Overflow, key, nbits: int,
                explicit: np.ndarray, ftz: bool) -> tuple[np.ndarray, int, int]:
    """Values in ``out_dtype`` of ``op`` on the 1 to 3 flat operands ``bits`` rounded once into
    ``fmt``, the number of results that needed a NaN and the number of wrapped results beyond
    the exact window."""
    size = bits[0].size
    out = np.empty(size, out_dtype)
    out_bits = out.view(np.int64) if out_dtype == np.float64 else np.empty(0, np.int64)
    is_float = isinstance(fmt, FloatFormat)
    table = value_table(fmt, out_dtype) if is_float and fmt.bits <= TABLE_BITS else np.empty(0, out_dtype)
    operands = [*bits, *[_EMPTY] * (3 - len(bits))]
    counts = parallel_chunks(_ew.elementwise, size, OPS[op], *read_only(*operands), out, out_bits, read_only(table), format_spec(fmt), mode.code,
                             ov.code, key, nbits, read_only(explicit), ftz, min_chunk=MIN_CHUNK)
    return out, sum(c[0] for c in counts), sum(c[1] for c in counts)
