"""Channel reordering for outlier-heavy tensors.

Block formats share one scale per block, so a single outlier channel coarsens every block it
falls in. Sorting the channels of the blocked axis by magnitude before blocking puts channels of
similar magnitude into the same blocks; the permutation is returned so it can be undone (or, for
a matrix product ``X @ W``, applied to X's columns and W's rows alike, which leaves the product
unchanged).

>>> import numpy as np
>>> x = np.array([[1.0, 100.0, 2.0, 50.0]])
>>> y, perm = reorder_channels(x)
>>> y.tolist(), perm.tolist()
([[1.0, 2.0, 50.0, 100.0]], [0, 2, 3, 1])
>>> restore_channels(y, perm).tolist()
[[1.0, 100.0, 2.0, 50.0]]
"""

from __future__ import annotations

import numpy as np

from ._checks import check_axis


def _axis(axis, ndim: int) -> int:
    if ndim == 0:
        raise ValueError("channel reordering needs an array with at least one axis")
    return check_axis(axis, ndim)


def channel_magnitudes(x, axis: int = -1) -> np.ndarray:
    """Largest finite |x| of each channel (index along ``axis``) over all other axes."""
    arr = np.asarray(x, dtype=np.float64)
    axis = _axis(axis, arr.ndim)
    others = tuple(i for i in range(arr.ndim) if i != axis)
    finite = np.isfinite(arr)
    return np.max(np.abs(np.where(finite, arr, 0.0)), axis=others, initial=0.0) if others else np.abs(np.where(finite, arr, 0.0))


def reorder_channels(x, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Channels of ``x`` along ``axis`` sorted by increasing magnitude, and the permutation used
    (``reordered = np.take(x, perm, axis)``). Ties keep their order (stable sort)."""
    arr = np.asarray(x)
    axis = _axis(axis, arr.ndim)
    perm = np.argsort(channel_magnitudes(arr, axis), kind="stable")
    return np.take(arr, perm, axis=axis), perm


def restore_channels(x, perm, axis: int = -1) -> np.ndarray:
    """Undo :func:`reorder_channels`: put channel ``perm[i]`` back at position ``perm[i]``."""
    arr = np.asarray(x)
    axis = _axis(axis, arr.ndim)
    perm = np.asarray(perm)
    if perm.shape != (arr.shape[axis],) or not np.array_equal(np.sort(perm), np.arange(arr.shape[axis])):
        raise ValueError(f"perm must be a permutation of range({arr.shape[axis]}) (the length of axis {axis}), got {perm!r}")
    return np.take(arr, np.argsort(perm), axis=axis)
