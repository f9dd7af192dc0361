"""Datapaths of NVIDIA tensor cores: the block FMA of each GPU generation as a :class:`Datapath`.

Khattak and Mikaitis' bit-accurate models (tensor-core reference, section 4) give each
generation's block size ``n``, alignment window, anchor clamp and the placement of ``c``;
:func:`tensor_core_datapath` turns them into the datapath of a whole GEMM.

>>> tensor_core_datapath("h100", "fp16").name
'fp16*fp16 exact -> acc fused(n=16, e=2, anchor_min=-133) (sequential) -> fp32'
"""

from __future__ import annotations

from ._checks import check_bool
from .accumulators import FloatAccumulator, FusedMultiTerm
from .datapath import Datapath
from .orders import Chunked, Order, Sequential
from .registry import float_format, scalar_format
from .rounding import Rounding


# (gpu, input kind, output) -> (n, e, anchor_min, c_placement); from the tensor-core reference,
# section 4 (Khattak and Mikaitis' bit-accurate models, checked against their measurement sets).
_TENSOR_CORES = {
    ("v100", "fp16", "float32"): (4, 0, None, "inside"),
    ("v100", "fp16", "float16"): (4, 0, -19, "inside"),
    ("a100", "fp16", "float32"): (8, 1, -132, "inside"),
    ("a100", "bf16", "float32"): (8, 1, -132, "inside"),
    ("a100", "fp16", "float16"): (8, 1, -20, "inside"),
    ("a100", "tf32", "float32"): (4, 1, -132, "inside"),
    ("ada", "fp16", "float32"): (8, 1, -132, "inside"),
    ("ada", "bf16", "float32"): (8, 1, -132, "inside"),
    ("ada", "fp16", "float16"): (8, 1, -20, "inside"),
    ("ada", "tf32", "float32"): (4, 1, -132, "inside"),
    ("ada", "fp8", "float32"): (16, -10, -132, "inside"),
    ("h100", "fp16", "float32"): (16, 2, -133, "inside"),
    ("h100", "bf16", "float32"): (16, 2, -133, "inside"),
    ("h100", "fp16", "float16"): (16, 2, -21, "inside"),
    ("h100", "tf32", "float32"): (8, 2, -133, "inside"),
    ("h100", "fp8", "float32"): (32, -10, -133, "inside"),
    ("b200", "fp16", "float32"): (16, 2, -133, "inside"),
    ("b200", "bf16", "float32"): (16, 2, -133, "inside"),
    ("b200", "fp16", "float16"): (16, 2, -21, "inside"),
    ("b200", "tf32", "float32"): (8, 2, -133, "inside"),
    ("b200", "fp8", "float32"): (32, 2, -133, "after"),
}
_GPU_ALIASES = {"h200": "h100", "l40s": "ada", "a30": "a100", "rtx_pro_6000": "b200"}
_INPUT_KINDS = {"float16": "fp16", "bfloat16": "bf16", "tf32": "tf32", "float8_e4m3fn": "fp8", "float8_e5m2": "fp8"}
PROMOTION_INTERVAL = 128  # cuBLAS / CUTLASS FP8 promotion (tensor-core reference, section 7)


def tensor_core_datapath(gpu: str, a_format, b_format=None, out_format="float32", fast_accum: bool = True) -> Datapath:
    """The :class:`Datapath` of a whole GEMM on an NVIDIA tensor core (no split-K).

    ``gpu`` is ``v100``, ``a100``, ``ada``, ``h100`` (``h200``) or ``b200``; inputs ``fp16``,
    ``bf16``, ``tf32`` or FP8 (``e4m3``/``e5m2``, any pair); ``out_format`` ``float32`` or
    ``float16`` (fp16 inputs). One chain of ``n``-term block FMAs over K; FP8 on ``h100`` and
    ``ada`` with ``fast_accum=False`` restarts the chain every 128 products and adds each chunk to
    an fp32 round-to-nearest-even accumulator (cuBLAS without fast accumulation). The B200 FP8
    preset (products-only blocks, then an fp32 RNE addition of ``c``) is provisional: no
    independent measurement.

    >>> tensor_core_datapath("h100", "bf16").accumulator.name
    'fused(n=16, e=2, anchor_min=-133)'
    >>> tensor_core_datapath("h100", "e4m3", fast_accum=False).order.name
    'chunked(128, outer=fp32)'
    """
    if not isinstance(gpu, str):
        raise TypeError(f"gpu must be a string, got {gpu!r}")
    g = _GPU_ALIASES.get(gpu.strip().lower(), gpu.strip().lower())
    gpus = sorted({key[0] for key in _TENSOR_CORES})
    if g not in gpus:
        raise ValueError(f"gpu must be one of {', '.join(gpus)} (or h200, l40s, a30), got {gpu!r}")
    a = scalar_format(a_format, "a_format")
    b = a if b_format is None else scalar_format(b_format, "b_format")
    out = float_format(out_format, "out_format")
    kind_a, kind_b = _INPUT_KINDS.get(a.name), _INPUT_KINDS.get(b.name)
    if kind_a is None or kind_b is None or kind_a != kind_b or (kind_a != "fp8" and a != b):
        raise ValueError(f"tensor-core inputs must be fp16, bf16, tf32 or an FP8 pair (e4m3/e5m2); got {a.name} x {b.name}")
    key = (g, kind_a, out.name)
    if key not in _TENSOR_CORES:
        have = ", ".join(f"{k[1]}->{k[2]}" for k in _TENSOR_CORES if k[0] == g)
        raise ValueError(f"{g} has no modelled {kind_a} -> {out.name} tensor-core path; modelled: {have}")
    n, e, amin, placement = _TENSOR_CORES[key]
    window = 23 + e
    rounding = Rounding.TOWARD_ZERO if out.name == "float32" else Rounding.NEAREST_EVEN
    acc = FusedMultiTerm(n, window - out.man_bits, out, rounding, None, Rounding.TOWARD_ZERO, "product", amin, placement)
    check_bool("fast_accum", fast_accum)
    order: Order = Sequential()
    if not fast_accum:
        if kind_a != "fp8" or g not in ("h100", "ada"):
            raise ValueError("fast_accum=False (promotion every 128 products) applies to FP8 on h100 and ada")
        order = Chunked(PROMOTION_INTERVAL, FloatAccumulator("float32"))
    return Datapath(a, b, accumulator=acc, order=order, c_format=out, out_format=out)
