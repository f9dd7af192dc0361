"""The one place where numsim's descriptions reach kernel-backed code, on first use.

The descriptions (formats, blocks, the registry, rounding, datapaths, multiplier specs) import
without Numba, so that ``import numsim`` is quick and ``hwmodels`` prices datapaths where Numba
is missing. Everything that runs kernels loads through :func:`load` when it is first needed: the
kernel-backed names of the package (``numsim.quantize``, ``numsim.matmul``, ...; see
:data:`KERNEL_BACKED`, served by ``numsim.__getattr__``), :meth:`numsim.Format.values` and the
product functions of :mod:`numsim.multipliers`. The first of them loads the whole kernel-backed
layer (Numba and every module of :data:`KERNEL_MODULES`) in one step, before any kernel runs, as
``import numsim`` did when it imported them eagerly. Without Numba they raise an ImportError that
says so.

>>> load("codecs", "numsim.quantize").quantize([1.1], "e4m3").tolist()
[1.125]
"""

from __future__ import annotations

import importlib
from types import ModuleType

KERNEL_BACKED = {
    **dict.fromkeys(("add", "sub", "mul", "div", "fma", "sqrt"), "arithmetic"),
    **dict.fromkeys(("decode", "decode_table", "encode", "quantize"), "codecs"),
    **dict.fromkeys(("dot", "matmul"), "gemm"),
}
"""Kernel-backed names of ``numsim`` -> the module (of ``numsim``) that defines them."""

KERNEL_MODULES = ("arithmetic", "block_gemm", "codecs", "gemm")
"""Kernel-backed modules that ``numsim`` has as attributes, as an eager import would (importing
them loads the floor, :mod:`numsim._lower`, too)."""


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
    for name in KERNEL_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    return importlib.import_module(f"{__package__}.{module}")


def attribute(name: str):
    """``numsim.<name>`` for a kernel-backed name or module (PEP 562 ``__getattr__`` of the package)."""
    if name in KERNEL_BACKED:
        return getattr(load(KERNEL_BACKED[name], f"numsim.{name}"), name)
    if name in KERNEL_MODULES:
        return load(name, f"numsim.{name}")
    raise AttributeError(f"module {__package__!r} has no attribute {name!r}")
