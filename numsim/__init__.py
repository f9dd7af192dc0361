"""numsim: bit-exact emulation of hardware number formats.

>>> import numsim
>>> numsim.quantize([1.1, 300.0], "e4m3").tolist()
[1.125, 288.0]
"""

from . import _lazy, metrics
from .blocks import BlockFormat, ScaleRule, bfp
from .accumulators import FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch, get_accumulator, kulisch_width
from .datapath import Datapath, get_datapath
from .orders import Chunked, Pairwise, Sequential, Tree, chunked, get_order, pairwise, sequential, tree
from .tensor_cores import tensor_core_datapath
from .formats import FixedFormat, FloatFormat, Format, IntFormat, Specials
from .multipliers import DRUM, Exact, LMul, Lookup, Mitchell, Truncated, get_multiplier
from .packing import pack, unpack
from .registry import aliases, get_format, p3109_format, registered_block_formats, registered_formats
from .reorder import channel_magnitudes, reorder_channels, restore_channels
from .rounding import Overflow, Rounding
from .scaling import (
    apply_scales, block_scales, channel_scales, scale_from_amax, scaled_dequantize, scaled_matmul, scaled_quantize, tensor_scale,
    token_scales,
)

__version__ = "0.1.0"


def __getattr__(name: str):
    """The kernel-backed names (``quantize``, ``matmul``, ``add``, ...) and modules (``codecs``,
    ``gemm``, ...) load with their Numba kernels on first use (PEP 562), so that the descriptions
    import without Numba: see :mod:`numsim._lazy`."""
    value = _lazy.attribute(name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_lazy.KERNEL_BACKED, *_lazy.KERNEL_MODULES})


__all__ = [
    "tensor_core_datapath",
    "dot",
    "matmul",
    "Chunked",
    "Datapath",
    "FixedAccumulator",
    "FloatAccumulator",
    "FusedMultiTerm",
    "Kulisch",
    "Pairwise",
    "Sequential",
    "Tree",
    "chunked",
    "kulisch_width",
    "pairwise",
    "sequential",
    "tree",
    "DRUM",
    "Exact",
    "LMul",
    "Lookup",
    "Mitchell",
    "Truncated",
    "BlockFormat",
    "FixedFormat",
    "FloatFormat",
    "Format",
    "IntFormat",
    "Overflow",
    "Rounding",
    "ScaleRule",
    "Specials",
    "add",
    "aliases",
    "apply_scales",
    "bfp",
    "block_scales",
    "channel_magnitudes",
    "channel_scales",
    "decode",
    "div",
    "decode_table",
    "encode",
    "fma",
    "get_accumulator",
    "get_datapath",
    "get_format",
    "get_multiplier",
    "get_order",
    "metrics",
    "mul",
    "pack",
    "p3109_format",
    "quantize",
    "registered_block_formats",
    "registered_formats",
    "reorder_channels",
    "restore_channels",
    "scale_from_amax",
    "scaled_dequantize",
    "scaled_matmul",
    "scaled_quantize",
    "sqrt",
    "sub",
    "tensor_scale",
    "token_scales",
    "unpack",
]
