"""Random Hadamard rotations of a matmul's inner dimension (as QuaRot and Quartet apply them before
4-bit quantization).

``A @ B = (A H) (H^T B)`` for any orthogonal ``H``. Here ``H`` is block-diagonal over the inner
dimension K, with blocks of ``b`` (a power of two): each block is ``D S / sqrt(b)``, ``S`` the
Sylvester Hadamard matrix of order ``b`` (entries +-1) and ``D`` a diagonal of random signs drawn
from ``numpy.random.default_rng([seed, K])``. The rotation spreads outliers over a block, so a
narrow format loses less to them, and leaves the product unchanged in exact arithmetic.
:func:`rotate` computes ``x H`` along an axis in float64 (the +-1 sums of float32 values are
exact) and rounds once to float32; the same call on B's K axis gives ``H^T B`` because ``S`` is
symmetric.

>>> import numpy as np
>>> A, B = np.ones((1, 4), np.float32), np.arange(8, dtype=np.float32).reshape(4, 2)
>>> rotate(A, -1, 4, 0) @ rotate(B, -2, 4, 0), A @ B
(array([[12., 16.]], dtype=float32), array([[12., 16.]], dtype=float32))
"""

from __future__ import annotations

import functools

import numpy as np


def hadamard_block(hadamard: bool | int, K: int, op: str) -> int:
    """The block size of a rule's ``hadamard`` setting on an inner dimension ``K`` (0: no
    rotation; ``True``: the largest power of two dividing K). Raises ValueError naming ``op``
    when a block size does not divide K.

    >>> hadamard_block(True, 96, "lm_head"), hadamard_block(16, 96, "lm_head"), hadamard_block(False, 96, "lm_head")
    (32, 16, 0)
    """
    if hadamard is False:
        return 0
    if hadamard is True:
        return K & -K
    if K % hadamard:
        raise ValueError(f"hadamard={hadamard} does not divide the inner dimension K={K} of {op}")
    return int(hadamard)


def rotate(x: np.ndarray, axis: int, block: int, seed: int) -> np.ndarray:
    """``x`` rotated along ``axis`` (length K, a multiple of ``block``) by the module's ``H``:
    float32."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    K = x.shape[-1]
    signs = np.random.default_rng([seed, K]).choice([-1.0, 1.0], size=K)
    blocks = (x * signs).reshape(x.shape[:-1] + (K // block, block))
    rotated = (blocks @ _sylvester(block)) * (1 / np.sqrt(block))
    return np.moveaxis(rotated.reshape(x.shape).astype(np.float32), -1, axis)


@functools.lru_cache(maxsize=16)
def _sylvester(order: int) -> np.ndarray:
    """The Sylvester Hadamard matrix of ``order`` (a power of two), entries +-1."""
    S = np.ones((1, 1))
    while S.shape[0] < order:
        S = np.block([[S, S], [S, -S]])
    S.flags.writeable = False
    return S
