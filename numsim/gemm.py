"""``matmul`` and ``dot`` through a :class:`~numsim.Datapath`, bit for bit.

>>> import numpy as np, numsim
>>> a = np.array([[1.0, 2.0**-7]]); b = np.array([[1.0], [2.0**-7]])
>>> h100 = numsim.tensor_core_datapath("h100", "e4m3")
>>> numsim.matmul(a, b, h100).tolist()  # 1 + 2^-14 falls below the 13-bit window
[[1.0]]
>>> numsim.matmul(a, b, numsim.Datapath("e4m3", accumulator=numsim.Kulisch())).tolist()
[[1.00006103515625]]
"""

from __future__ import annotations

import numpy as np

from ._checks import check_bool
from ._lower.datapath import run
from ._operands import initial_values, operand_values
from .block_gemm import block_matmul
from .datapath import Datapath


def matmul(A, B, datapath: Datapath, C=None, *, quantize_inputs: bool = False, seed=None, sr_bits: int = 32) -> np.ndarray:
    """``C + A @ B`` computed the way ``datapath`` says, bit for bit.

    Parameters
    ----------
    A, B : array_like
        Shapes ``(..., M, K)`` and ``(..., K, N)``; leading (batch) dimensions broadcast. Values
        must be representable in the datapath's input formats unless ``quantize_inputs``.
    datapath : Datapath
    C : array_like, optional
        Initial values, broadcastable to ``(..., M, N)`` (default +0); representable in
        ``datapath.c_format`` unless ``quantize_inputs``.
    quantize_inputs : bool
        Round A, B and C into their formats with ``datapath.input_rounding`` first.
    seed, sr_bits : optional
        Random stream and bit count of a stochastic accumulator (addition ``k`` into output
        element ``e`` uses draw ``e * K + k``).

    Returns
    -------
    numpy.ndarray of float64, shape ``(..., M, N)``: values of ``datapath.out_format``.
    """
    if not isinstance(datapath, Datapath):
        raise TypeError(f"datapath must be a numsim.Datapath, got {type(datapath).__name__}")
    check_bool("quantize_inputs", quantize_inputs)
    A = _as_float_array(A, "A")
    B = _as_float_array(B, "B")
    if A.ndim < 2 or B.ndim < 2:
        raise ValueError(f"matmul takes arrays of at least 2 dimensions (use numsim.dot for vectors), got A {A.shape} and B {B.shape}")
    M, K = A.shape[-2:]
    K2, N = B.shape[-2:]
    if K != K2:
        raise ValueError(f"A is (..., {M}, {K}) and B is (..., {K2}, {N}): the inner dimensions must agree")
    try:
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch dimensions of A {A.shape[:-2]} and B {B.shape[:-2]} do not broadcast") from None
    dp = datapath
    q = bool(quantize_inputs)
    out_shape = batch + (M, N)
    if not dp.block_scaled:
        A = operand_values(np.broadcast_to(A, batch + (M, K)), dp.a_format, "A", q, dp.input_rounding)
        B = operand_values(np.broadcast_to(B, batch + (K, N)), dp.b_format, "B", q, dp.input_rounding)
    if C is not None:
        C = _as_float_array(C, "C")
        try:
            C = np.broadcast_to(C, out_shape)
        except ValueError:
            raise ValueError(f"C of shape {C.shape} does not broadcast to the output shape {out_shape}") from None
        C = operand_values(C, dp.c_format, "C", q, dp.input_rounding)
    if dp.block_scaled:
        return block_matmul(dp, A, B, C, batch, M, K, N, q, seed, sr_bits)
    return run(dp, A, B, initial_values(dp, C), batch, M, K, N, seed, sr_bits).reshape(out_shape)


def dot(a, b, datapath: Datapath, c=None, *, quantize_inputs: bool = False, seed=None, sr_bits: int = 32) -> np.ndarray:
    """``c + sum_k a[..., k] b[..., k]`` through ``datapath``; leading dimensions broadcast.

    >>> import numsim
    >>> dp = numsim.Datapath("e4m3", accumulator=numsim.FloatAccumulator("e4m3"))
    >>> float(numsim.dot([1.0, 0.0625, 0.0625], [1.0, 1.0, 1.0], dp))  # 1 + 1/16 ties to 1, twice
    1.0
    """
    a = _as_float_array(a, "a")
    b = _as_float_array(b, "b")
    if a.ndim < 1 or b.ndim < 1 or a.shape[-1] != b.shape[-1]:
        raise ValueError(f"dot takes arrays whose last dimensions agree, got a {a.shape} and b {b.shape}")
    c_arr = None if c is None else _as_float_array(c, "c")[..., None, None]
    r = matmul(a[..., None, :], b[..., :, None], datapath, c_arr, quantize_inputs=quantize_inputs, seed=seed, sr_bits=sr_bits)
    r = r[..., 0, 0]
    return r if r.ndim else r.reshape(())[()]


def _as_float_array(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr
