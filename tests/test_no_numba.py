"""Descriptions without kernels: where Numba cannot be imported, numsim's formats and datapaths
still import, hwmodels prices them, and only the kernel-backed names fail, saying why."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import hwmodels
import numsim

ROOT = Path(__file__).resolve().parents[1]

DATAPATHS = {
    "fp8": 'numsim.get_datapath("e4m3*e4m3 exact -> acc fp32 (sequential) -> fp32")',
    "mxfp4": 'numsim.Datapath("mxfp4", accumulator=numsim.FloatAccumulator("fp32"))',
    "lmul": 'numsim.Datapath("bf16", multiplier=numsim.LMul(mantissa_bits=3))',
}

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys


    class NoNumba(importlib.abc.MetaPathFinder):
        \"\"\"Refuses numba and llvmlite, as an interpreter without them would, and records each try.\"\"\"

        attempts = []

        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("numba", "llvmlite"):
                self.attempts.append(name)
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, NoNumba())
    import numsim
    import hwmodels

    datapaths = DATAPATHS
    costs = {}
    for key, source in datapaths.items():
        dp = eval(source)
        cost = hwmodels.mac_cost(dp)
        costs[key] = [dp.name, cost.area_um2, cost.energy_pj, cost.delay_ns, cost.leakage_uw]
    tried = list(NoNumba.attempts)
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in ("numba", "llvmlite") or m.startswith(("numsim._kernels", "numsim._lower")))
    errors = {}
    for name, call in [
        ("numsim.quantize", lambda: numsim.quantize([1.0], "e4m3")),
        ("from numsim import matmul", lambda: exec("from numsim import matmul")),
        ("Format.values()", lambda: numsim.get_format("e4m3").values()),
        ("product_table", lambda: numsim.multipliers.product_table(numsim.LMul(), numsim.get_format("e4m3"), numsim.get_format("e4m3"))),
    ]:
        try:
            call()
        except ImportError as err:
            errors[name] = str(err)
        else:
            errors[name] = None
    print(json.dumps({"costs": costs, "tried": tried, "loaded": loaded, "errors": errors}))
    """
)


def _run_without_numba() -> dict:
    script = SCRIPT.replace("DATAPATHS", repr(DATAPATHS))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_descriptions_and_costs_work_without_numba():
    out = _run_without_numba()
    assert out["tried"] == [], f"importing numsim and hwmodels and pricing datapaths tried to import {out['tried']}"
    assert out["loaded"] == []
    for key, source in DATAPATHS.items():
        dp = eval(source)
        cost = hwmodels.mac_cost(dp)
        assert out["costs"][key] == [dp.name, cost.area_um2, cost.energy_pj, cost.delay_ns, cost.leakage_uw], key
    for name, message in out["errors"].items():
        assert message is not None, f"{name} worked without numba"
        assert "numba" in message and "pip install numba" in message, f"{name}: {message}"


def test_kernel_backed_names_load_on_first_use():
    """``numsim.quantize`` and friends behave as eagerly imported names once loaded."""
    assert set(numsim.__all__) <= set(dir(numsim))
    assert {"codecs", "gemm", "arithmetic", "block_gemm"} <= set(dir(numsim))
    from numsim import quantize

    assert numsim.quantize is quantize is numsim.codecs.quantize
    assert numsim.matmul is numsim.gemm.matmul and numsim.add is numsim.arithmetic.add
    try:
        numsim.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("numsim.no_such_name did not raise AttributeError")
