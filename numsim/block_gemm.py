"""``matmul`` with block-scaled inputs (MX, NVFP4, BFP): steps a-e of :mod:`numsim.datapath`.

Datapaths with exact block sums, fp32 scaled sums and nearest-even sequential accumulation in a
float format (the defaults: ``Datapath("mxfp8")``, ``"mxfp8_e5m2"``, ``"mxfp6_e2m3"``,
``"mxfp6_e3m2"``, ``"mxfp4"``, ``"nvfp4"``, ..., also with bf16 or TF32 accumulators) run one kernel that sums each block exactly in float64 and
accumulates in that format (:mod:`numsim._lower.block_gemm` checks when that is bit-identical). Any
other datapath runs the general kernels: the per-block sums run through
:meth:`Datapath.inner_datapath` on the element values, batched over the blocks, and the kernel
multiplies each exact block sum by ``X_A X_B`` (an odd integer times a power of two) before its
single rounding into ``scale_format``; the scaled sums are then accumulated by
:meth:`Datapath.outer_datapath`. Two-level formats finish with the ``alpha`` epilogue.

>>> import numpy as np, numsim
>>> dp = numsim.Datapath("mxfp4", accumulator=numsim.FloatAccumulator("fp32"))
>>> a = numsim.quantize(np.linspace(-3, 3, 64).reshape(1, 64), "mxfp4")
>>> float(numsim.matmul(a, a.T, dp)[0, 0]) == float(np.sum(a.astype(np.float64) ** 2))  # small exact sums
True
"""

from __future__ import annotations

import numpy as np

from ._lower.block_gemm import fast_plan, run_fast
from ._lower.datapath import run
from ._operands import initial_values, operand_values
from .arithmetic import fma
from .blocks import BlockFormat
from .codecs import decode, decode_table, encode, quantize
from .datapath import Datapath
from .formats import TABLE_BITS, FloatFormat
from .registry import get_format
from .rounding import Rounding

_FP32 = get_format("float32")
_FAST_ROUTE = True  # tests set it False to run the general kernels on datapaths the fast route takes


def block_matmul(dp: Datapath, A, B, C, batch, M, K, N, quantize_inputs: bool, seed, sr_bits) -> np.ndarray:
    """``C + A @ B`` through a datapath with block-scaled inputs; shape ``batch + (M, N)``."""
    kb = dp.block_size
    if K % kb:
        if dp.block_padding == "error":
            raise ValueError(
                f"K={K} is not a multiple of the block size {kb}; pad A and B along K or use Datapath(..., block_padding='zeros')"
            )
        pad = -K % kb
        A = np.concatenate([np.broadcast_to(A, batch + (M, K)), np.zeros(batch + (M, pad))], axis=-1)
        B = np.concatenate([np.broadcast_to(B, batch + (K, N)), np.zeros(batch + (pad, N))], axis=-2)
        K += pad
    nblk = K // kb
    EA, XA, tA = _operand(np.broadcast_to(A, batch + (M, K)), dp.a_format, "A", -1, quantize_inputs, dp.input_rounding)
    EB, XB, tB = _operand(np.broadcast_to(B, batch + (K, N)), dp.b_format, "B", -2, quantize_inputs, dp.input_rounding)

    two_level = tA is not None or tB is not None
    outer = dp.outer_datapath()
    C_outer = None if (C is None or two_level) else initial_values(outer, C[..., None])
    split = fast_plan(dp) if _FAST_ROUTE and M * N * nblk * int(np.prod(batch)) > 0 else None
    alpha = np.float32(1.0 if tA is None else tA) * np.float32(1.0 if tB is None else tB) if two_level else None
    if split is None:
        S = _general_sums(dp, outer, EA, XA, EB, XB, C_outer, batch, M, N, nblk, seed, sr_bits)
    else:  # exact float64 block sums, float accumulation (and a float epilogue): one kernel
        # an epilogue in the kernel where the output's NaNs come only from NaN and invalid operations
        # (IEEE-style formats overflow to Inf), as canonical NaNs on both paths
        fused = two_level and isinstance(dp.out_format, FloatFormat) and dp.out_format.has_inf and dp.out_rounding is Rounding.NEAREST_EVEN
        start = None if C_outer is None else C_outer[..., 0]
        S = run_fast(dp, EA, XA, EB, XB, start, batch, M, K, N, split, alpha if fused else None, C)
        if fused:
            return S
    if not two_level:
        return S
    # step e: alpha = fp32(s_tA * s_tB), d = alpha * S + c rounded once
    c = np.zeros(batch + (M, N)) if C is None else C
    return np.asarray(
        fma(np.float64(alpha), S, c, dp.out_format, dp.out_rounding, a_format=_FP32, b_format=outer.out_format, c_format=dp.c_format),
        np.float64,
    )


def _general_sums(dp: Datapath, outer: Datapath, EA, XA, EB, XB, C_outer, batch, M, N, nblk, seed, sr_bits) -> np.ndarray:
    """Steps b-d by the general kernels: per-block sums through :meth:`Datapath.inner_datapath`
    (batched over the blocks, scales applied to the exact sums before their rounding), then the
    scaled sums accumulated by ``outer`` (:meth:`Datapath.outer_datapath`) from ``C_outer``."""
    kb = dp.block_size
    Ae = np.moveaxis(EA.reshape(batch + (M, nblk, kb)), -2, -3)
    Be = EB.reshape(batch + (nblk, kb, N))
    X = np.moveaxis(XA, -1, -2)[..., :, :, None] * XB[..., :, None, :]  # exact: <= 31 significant bits
    nan_scale = np.isnan(X)
    inner = dp.inner_datapath()
    T = run(inner, Ae, Be, None, batch + (nblk,), M, kb, N, None, sr_bits, out_scale=np.where(nan_scale, 1.0, X)).reshape(batch + (nblk, M, N))
    if nan_scale.any():
        if not dp.scale_format.has_nan:
            raise ValueError(f"a block holds NaN (NaN scale), which scale_format={dp.scale_format.name} cannot hold")
        T[nan_scale] = np.nan
    T = np.moveaxis(T, -3, -1)  # batch + (M, N, nblk)
    ones = np.broadcast_to(1.0, batch + (M, nblk, 1))
    return run(outer, T, ones, C_outer, batch + (M,), N, nblk, 1, seed, sr_bits).reshape(batch + (M, N))


def _operand(x: np.ndarray, fmt, name: str, axis: int, quantize_inputs: bool, rounding: Rounding):
    """``(element values, scale values per block, tensor scale or None)`` of operand ``x``,
    blocked along ``axis``."""
    if not isinstance(fmt, BlockFormat):
        values = operand_values(x, fmt, name, quantize_inputs, rounding)
        shape = list(x.shape)
        shape[axis] = 1
        return values, np.ones(shape), None
    mode = rounding if quantize_inputs else Rounding.NEAREST_EVEN
    codes = encode(x, fmt, mode, axis=axis, nan_policy="zero")
    elements, scales = _values(codes[0], fmt.element), _values(codes[1], fmt.scale)
    tensor = None if fmt.tensor_scale is None else float(_values(codes[2], fmt.tensor_scale))
    if not quantize_inputs:
        elements, scales = _reproduced(x, fmt, name, axis, elements, scales, 1.0 if tensor is None else tensor)
    return elements, scales, tensor


def _reproduced(x: np.ndarray, fmt: BlockFormat, name: str, axis: int, elements, scales, tensor: float):
    """Element and scale values that reproduce ``x`` exactly: the scales the rule picks or, for a
    block they do not reproduce under a power-of-two rule, half of them.

    Quantizing can round a block's maximum up into the next binade (MXINT8's most negative code
    -2 = -2^1), where the rule picks a scale twice as large as the one the block was quantized
    with; the tensor that ``quantize`` returned is then held exactly by the smaller scale.

    >>> import numpy as np, numsim
    >>> q = numsim.quantize(np.array([-0.99609375, 0.8984375]), "mxint8")  # -1.0 = -2 x 2^-1
    >>> e, s = _reproduced(q, numsim.get_format("mxint8"), "A", -1, np.array([-1.0, 0.90625]), np.array([1.0]), 1.0)
    >>> e.tolist(), s.tolist()
    ([-2.0, 1.796875], [0.5])
    """
    kb = x.shape[axis] // max(scales.shape[axis], 1)  # 0 blocks: nothing to repeat
    per_element = lambda s: np.repeat(s, kb, axis=axis)  # noqa: E731
    bad = _unreproduced(x, elements * per_element(scales) * tensor)
    if bad.any() and fmt.scale_rule.power_of_two:
        half = scales / 2
        retry = np.logical_or.reduceat(bad, np.arange(0, x.shape[axis], kb), axis=axis) & (quantize(half, fmt.scale) == half)
        scales = np.where(retry, half, scales)
        elements = np.where(per_element(retry), x / per_element(scales), elements)  # exact: a power of two
        moved = per_element(retry)
        held = elements.copy()
        held[moved] = quantize(elements[moved], fmt.element)
        bad = _unreproduced(x, held * per_element(scales))
    if bad.any():
        raise ValueError(
            f"{name} holds {int(bad.sum())} value(s) that {fmt.name} does not reproduce with the scales its rule picks (or half of them) "
            f"(first: {x[bad].flat[0]!r}); pass quantize_inputs=True to quantize them"
        )
    return elements, scales


def _unreproduced(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where ``values`` differ from ``x`` (NaN matches NaN)."""
    return ~((values == x) | (np.isnan(values) & np.isnan(x)))


def _values(codes: np.ndarray, fmt) -> np.ndarray:
    """Float64 values of ``codes`` computed in this thread (no parallel region to start for a
    table of elements or scales): the lookup :func:`decode` makes in the format's decode table
    (formats of at most 16 bits); binary32 codes are the value's bits."""
    if fmt == _FP32:
        return np.asarray(codes, np.uint32).view(np.float32).astype(np.float64)
    if fmt.bits > TABLE_BITS:
        return np.asarray(decode(codes, fmt), np.float64)
    return decode_table(fmt)[codes]
