"""Inputs of the kernel-backed functions as arrays of their exact values.

>>> import numpy as np
>>> exact_array(np.array([1.5, 2.0], np.float16)).dtype, exact_array(np.array([3, 4], np.int8)).dtype
(dtype('float32'), dtype('float64'))
"""

from __future__ import annotations

import numpy as np


def exact_array(x, daz: bool = False) -> np.ndarray:
    """``x`` as a float32, float64 or int64 array holding its exact values (float16, bfloat16 and
    other ml_dtypes floats widen exactly to float32; small integers to float64)."""
    arr = np.asarray(x)
    dt = arr.dtype
    smallest_normal = None
    if dt.kind == "c":
        raise TypeError(f"x must be real; got complex dtype {dt}")
    if dt.kind == "b":
        arr = arr.astype(np.int64)
    elif dt.kind in "iu":
        if dt.itemsize < 8:
            arr = arr.astype(np.float64)  # exact
        elif dt.kind == "u":
            if arr.size and arr.max() >= np.uint64(1 << 63):
                raise ValueError("x has uint64 values >= 2^63, which numsim does not accept; convert them to float64 explicitly if rounding there is acceptable")
            arr = arr.astype(np.int64)
    elif dt.kind == "f":
        if dt.itemsize > 8:
            raise TypeError(f"x has dtype {dt}; extended precision inputs are not supported (use float64 or float32)")
        smallest_normal = np.finfo(dt).smallest_normal
        if dt.itemsize < 4:
            arr = arr.astype(np.float32)  # exact widening
    elif dt.kind == "V" and dt.type.__module__.startswith("ml_dtypes"):
        import ml_dtypes

        if dt.name.startswith(("int", "uint")):
            arr = arr.astype(np.int64)
        else:
            smallest_normal = float(ml_dtypes.finfo(dt).smallest_normal)
            arr = arr.astype(np.float32)  # every ml_dtypes float widens exactly to float32
    else:
        raise TypeError(f"x must be a real numeric array or scalar; got dtype {dt!r}")
    if daz and smallest_normal is not None:
        arr = np.where(np.abs(arr) < smallest_normal, np.copysign(np.zeros((), arr.dtype), arr), arr)
    return arr
