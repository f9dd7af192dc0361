"""The one place where numsim's descriptions reach kernel-backed code, on first use.

The descriptions (formats, blocks, the registry, rounding, datapaths, multiplier specs) do not
import the Numba kernels. The few of their methods that run kernels, :meth:`numsim.Format.values`
and the product functions of :mod:`numsim.multipliers`, load the kernel-backed module they need
through :func:`load` when first called; without Numba it raises an ImportError that says so.

>>> load("codecs", "numsim.quantize").quantize([1.1], "e4m3").tolist()
[1.125]
"""

from __future__ import annotations

import importlib
from types import ModuleType


def load(module: str, user: str) -> ModuleType:
    """The kernel-backed module ``numsim.<module>`` (imported on first use) for ``user``, the name
    an ImportError reports when Numba cannot be imported."""
    try:
        importlib.import_module("numba")
    except ImportError as err:
        raise ImportError(
            f"{user} runs on numsim's Numba kernels, but numba cannot be imported ({err}); install it with "
            "'pip install numba'. numsim's formats and datapath descriptions work without it."
        ) from err
    return importlib.import_module(f"{__package__}.{module}")
