"""Each kernel compiles once per dtype and rank, not once per call site.

Numba specializes a dispatcher on the exact argument types: a literal ``0`` (``Literal[int](0)``)
and an ``int64`` are two signatures, a ``prange`` index is ``uint64`` where a ``range`` index is
``int64``, and a read-only array is another type than a writable one. Each extra signature
recompiles the callee and everything it calls, which once doubled the cold start of a sweep.
The static checks read the kernel sources; the dynamic ones call the public functions.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

import numsim
import numsim._kernels
from numsim._kernels import datapath as _datapath
from numsim._kernels.inputs import read_only

KERNEL_MODULES = [importlib.import_module(f"numsim._kernels.{m.name}") for m in pkgutil.iter_modules(numsim._kernels.__path__)]


def _compiled_separately(obj) -> bool:
    """A dispatcher whose calls compile it on their own (``inline="always"`` functions are typed
    inside their caller instead; some take literals on purpose, to unroll loops)."""
    return isinstance(obj, CPUDispatcher) and obj.targetoptions.get("inline", "never") != "always"


def _dispatcher_calls(module):
    """``(function, call node, loop variables of enclosing prange loops)`` for every call from a
    jitted function of ``module`` to a separately compiled jitted function."""
    tree = ast.parse(inspect.getsource(module))
    names = vars(module)
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or not isinstance(names.get(fn.name), CPUDispatcher):
            continue
        stack = [(fn, frozenset())]
        while stack:
            node, pranged = stack.pop()
            if isinstance(node, ast.For) and isinstance(node.iter, ast.Call) and getattr(node.iter.func, "id", None) == "prange":
                pranged = pranged | {node.target.id}
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and _compiled_separately(names.get(node.func.id)):
                yield fn.name, node, pranged
            stack.extend((child, pranged) for child in ast.iter_child_nodes(node))


def _literal_argument(arg, names) -> bool:
    """Whether Numba types ``arg`` as a literal: an int or bool constant, or a module-level name
    bound to a Python int or bool."""
    if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub):
        arg = arg.operand
    if isinstance(arg, ast.Constant):
        return isinstance(arg.value, (bool, int))
    return isinstance(arg, ast.Name) and type(names.get(arg.id)) in (bool, int)


@pytest.mark.parametrize("module", KERNEL_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_no_literal_arguments_to_jitted_functions(module):
    bad = [
        f"{fn} line {call.lineno}: {ast.unparse(call)}"
        for fn, call, _ in _dispatcher_calls(module)
        if any(_literal_argument(a, vars(module)) for a in call.args)
    ]
    assert not bad, "pass typed constants (np.int64(0), np.bool_(False)) instead of literals:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", KERNEL_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_no_bare_prange_index_to_jitted_functions(module):
    bad = [
        f"{fn} line {call.lineno}: {ast.unparse(call)}"
        for fn, call, pranged in _dispatcher_calls(module)
        if any(isinstance(a, ast.Name) and a.id in pranged for a in call.args)
    ]
    assert not bad, "pass np.int64(i) for a prange index (typed uint64 after parfor lowering):\n" + "\n".join(bad)


def test_the_static_check_sees_literals():
    """The checks above find what they look for (guards against a walker that yields nothing)."""
    calls = list(_dispatcher_calls(_datapath))
    assert len(calls) > 50
    source = ast.parse("f(0, x, False, -1, NEAREST_EVEN, 1.5)").body[0].value
    flags = [_literal_argument(a, {"NEAREST_EVEN": 0}) for a in source.args]
    assert flags == [True, False, True, True, True, False]


def test_read_only_views_share_memory():
    a = np.arange(6.0)
    v, w = read_only(a, a.reshape(2, 3))
    assert not v.flags.writeable and not w.flags.writeable
    assert np.shares_memory(v, a) and a.flags.writeable


def test_matmul_kernel_has_one_specialization():
    """Plain, block-scaled (scaled outputs) and L-Mul (read-only decode table) datapaths and
    read-only operands all run the one compiled generic kernel (toward-zero accumulation: the
    tiled kernels take nearest-even)."""
    rng = np.random.default_rng(0)
    a = numsim.quantize(rng.normal(size=(4, 32)), "e4m3")
    b = numsim.quantize(rng.normal(size=(32, 3)), "e4m3")
    bf16 = numsim.FloatAccumulator("bf16", "toward_zero")
    plain = numsim.matmul(a, b, numsim.Datapath("e4m3", accumulator=bf16))
    a_ro, b_ro = read_only(a, b)
    assert np.array_equal(numsim.matmul(a_ro, b_ro, numsim.Datapath("e4m3", accumulator=bf16), read_only(np.zeros((4, 3)))), plain)
    numsim.matmul(a, b, numsim.Datapath("mxfp8", accumulator=bf16), quantize_inputs=True)
    numsim.matmul(a, b, numsim.Datapath("bf16", multiplier=numsim.LMul(), accumulator=bf16), quantize_inputs=True)
    assert len(_datapath.matmul_rows.signatures) == 1, _datapath.matmul_rows.signatures


_SPECIALISATIONS = """
import numpy as np, numsim
from numsim._kernels import codec, rounding_fast as rf
from numsim._kernels.inputs import read_only
from numsim._lower import codec as lowered
from numsim.rounding import Overflow, Rounding
x = np.linspace(-3.0, 3.0, 11)
expected = numsim.quantize(x, "e5m2", "toward_zero")
assert np.array_equal(numsim.quantize(read_only(x), "e5m2", "toward_zero"), expected)
for mode in ("nearest_even", "stochastic_a", "to_odd"):
    numsim.quantize(x, "float32", mode, seed=0)
for fmt in ("e4m3", "bf16", "e2m1", "float32"):
    numsim.encode(x, fmt)
for fmt in ("e5m2", "float32"):
    for arr in (x, read_only(x)):
        lowered.quantize(arr, numsim.get_format(fmt), np.dtype(np.float64), Rounding.TOWARD_ZERO, Overflow.SATURATE, 0, 0,
                         np.empty(0, np.uint64), False, fast=False)
dtypes = lambda kernel, *args: sorted(tuple(str(sig[i].dtype) for i in args) for sig in kernel.signatures)
print(dtypes(rf.round_chunk, 2, 3), dtypes(rf._round_deterministic, 0, 1), dtypes(rf._round_stochastic, 0, 1), dtypes(codec.quantize_float, 0, 1))
"""


def test_quantize_kernels_have_one_specialization_per_input_and_output_dtype():
    """In a fresh process with an empty kernel cache (a cached caller would not compile its
    callees, and other tests add signatures of their own): formats with a decode table (read-only,
    cached) and without one, writable and read-only inputs, every rounding mode, codes of every
    width and float64 values. The vectorised rounding loops compile once for float64 inputs (their
    uint64 output holds codes and the bits of values), the light block loop around them once per
    output dtype, and the general kernel (forced) once for float64 inputs and float64 values."""
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run([sys.executable, "-c", _SPECIALISATIONS], env=dict(os.environ, NUMBA_CACHE_DIR=cache),
                              capture_output=True, text=True, check=True)
    blocks = [("uint64", out) for out in ("float64", "uint16", "uint32", "uint8")]
    loops = [("uint64", "uint64")]
    assert done.stdout.strip() == f"{blocks} {loops} {loops} {[('uint64', 'float64')]}", done.stdout + done.stderr
