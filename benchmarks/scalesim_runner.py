"""Run the real SCALE-Sim 3.0.0 on GEMM / conv layers and return its report numbers.

SCALE-Sim needs ``numpy<2`` (NumPy 2 breaks ``int(max(list of arrays))`` in its
``double_buffered_scratchpad_mem.py``), so it normally lives in a separate virtualenv::

    python -m venv scalesim-venv
    scalesim-venv/bin/pip install scalesim==3.0.0 "numpy<2"
    export NUMSIM_SCALESIM_PYTHON=scalesim-venv/bin/python

``run_scalesim`` then runs the layers in a subprocess under that interpreter (in a temporary
working directory) and returns one dict per layer. Nothing is written to disk: the worker drives
SCALE-Sim's own classes (``scale_config``, ``topologies``, ``layouts``, ``single_layer_sim``)
in memory, exactly as ``scalesim.simulator.simulator.run`` does for each layer, and reads the
values that ``simulator.generate_reports`` would print into ``COMPUTE_REPORT.csv``,
``BANDWIDTH_REPORT.csv`` and ``DETAILED_ACCESS_REPORT.csv``; no trace files, no report files.

Layers are ``(name, M, N, K)`` GEMMs or ``(name, ifmap_h, ifmap_w, filter_h, filter_w, channels,
num_filters, stride)`` convolutions (ifmap dimensions include any padding). A GEMM is fed as the
conv layer ``[M, K, 1, K, 1, N, 1]`` (ifmap M x K, filter 1 x K, one channel, N filters, stride 1),
which is exactly the conversion of SCALE-Sim's ``-i gemm`` topology reader
(``topologies.load_arrays_gemm``). Word size is 1 byte (hard-coded in SCALE-Sim); the interface
bandwidth mode is CALC (stall-free; SCALE-Sim reports the bandwidth it needed).

Returned fields per layer (see ``FIELDS``): the inputs (``name``, ``kind``, the layer dimensions,
``rows``, ``cols``, ``dataflow``, ``sram_kb``, ``bandwidth_mode``), the COMPUTE_REPORT columns
(``total_cycles_incl_prefetch``, ``total_cycles``, ``stall_cycles``, ``overall_util_pct``,
``mapping_efficiency_pct``, ``compute_util_pct``), the BANDWIDTH_REPORT columns
(``avg_{ifmap,filter,ofmap}_{sram,dram}_bw``, words/cycle), the DETAILED_ACCESS_REPORT columns
(``{sram,dram}_{ifmap,filter,ofmap}_{start_cycle,stop_cycle}``, ``sram_ifmap_reads``,
``sram_filter_reads``, ``sram_ofmap_writes``, ``dram_ifmap_reads``, ``dram_filter_reads``,
``dram_ofmap_writes``), plus ``seconds`` (wall time of the layer's simulation) and
``peak_rss_mb`` (peak resident memory of the worker process so far, MiB).

Usage as a script (with any Python; the simulation runs under the scalesim interpreter)::

    python benchmarks/scalesim_runner.py --rows 128 --cols 128 --dataflow ws --gemm 1 4096 4096
    python benchmarks/scalesim_runner.py --rows 128 --cols 128 --dataflow os \\
        --conv 58 58 3 3 64 64 1
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ENV_VAR = "NUMSIM_SCALESIM_PYTHON"
SCALESIM_VERSION = "3.0.0"

# Column order of SCALE-Sim's reports (simulator.generate_reports), mapped to our field names.
COMPUTE_FIELDS = [
    "total_cycles_incl_prefetch",  # "Total Cycles (incl. prefetch)"
    "total_cycles",                # "Total Cycles"
    "stall_cycles",                # "Stall Cycles"
    "overall_util_pct",            # "Overall Util %"
    "mapping_efficiency_pct",      # "Mapping Efficiency %"
    "compute_util_pct",            # "Compute Util %"
]
BANDWIDTH_FIELDS = [
    "avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_ofmap_sram_bw",
    "avg_ifmap_dram_bw", "avg_filter_dram_bw", "avg_ofmap_dram_bw",
]
DETAIL_FIELDS = [
    "sram_ifmap_start_cycle", "sram_ifmap_stop_cycle", "sram_ifmap_reads",
    "sram_filter_start_cycle", "sram_filter_stop_cycle", "sram_filter_reads",
    "sram_ofmap_start_cycle", "sram_ofmap_stop_cycle", "sram_ofmap_writes",
    "dram_ifmap_start_cycle", "dram_ifmap_stop_cycle", "dram_ifmap_reads",
    "dram_filter_start_cycle", "dram_filter_stop_cycle", "dram_filter_reads",
    "dram_ofmap_start_cycle", "dram_ofmap_stop_cycle", "dram_ofmap_writes",
]
FIELDS = COMPUTE_FIELDS + BANDWIDTH_FIELDS + DETAIL_FIELDS

GEMM_DIMS = ("M", "N", "K")
CONV_DIMS = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride")


# --------------------------------------------------------------------------------------------
# Layer description helpers (no scalesim needed)
# --------------------------------------------------------------------------------------------

def layer_spec(layer) -> dict:
    """Normalise a layer tuple (or dict) to ``{"name", "kind", <dims>}``."""
    if isinstance(layer, dict):
        spec = dict(layer)
        if "kind" not in spec:
            spec["kind"] = "gemm" if "M" in spec else "conv"
        dims = GEMM_DIMS if spec["kind"] == "gemm" else CONV_DIMS
        missing = [d for d in dims if d not in spec]
        if missing:
            raise ValueError(f"layer {spec.get('name')!r} lacks {missing}")
        spec.setdefault("name", "layer")
        return {"name": str(spec["name"]), "kind": spec["kind"], **{d: int(spec[d]) for d in dims}}
    layer = tuple(layer)
    if len(layer) == 4:
        name, m, n, k = layer
        return {"name": str(name), "kind": "gemm", "M": int(m), "N": int(n), "K": int(k)}
    if len(layer) == 8:
        return {"name": str(layer[0]), "kind": "conv", **{d: int(v) for d, v in zip(CONV_DIMS, layer[1:])}}
    raise ValueError(
        "a layer is (name, M, N, K) or (name, ifmap_h, ifmap_w, filter_h, filter_w, channels, "
        f"num_filters, stride); got {layer!r}")


def conv_entries(spec: dict) -> list:
    """The topology entry SCALE-Sim builds for the layer: [name, ifmap_h, ifmap_w, filter_h,
    filter_w, channels, num_filters, stride_h, stride_w, sparsity N, sparsity M]."""
    if spec["kind"] == "gemm":
        m, n, k = spec["M"], spec["N"], spec["K"]
        if min(m, n, k) < 1:
            raise ValueError(f"layer {spec['name']!r}: M, N, K must be >= 1")
        # identical to topologies.load_arrays_gemm: [name, m, k, 1, k, 1, n, 1, 1, N, M]
        return [spec["name"], m, k, 1, k, 1, n, 1, 1, 1, 1]
    s = spec
    if min(v for k, v in s.items() if k not in ("name", "kind")) < 1:
        raise ValueError(f"layer {s['name']!r}: dimensions must be >= 1")
    if s["filter_h"] > s["ifmap_h"] or s["filter_w"] > s["ifmap_w"]:
        raise ValueError(f"layer {s['name']!r}: filter larger than the ifmap")
    return [s["name"], s["ifmap_h"], s["ifmap_w"], s["filter_h"], s["filter_w"], s["channels"],
            s["num_filters"], s["stride"], s["stride"], 1, 1]


def _plain(x):
    """numpy scalar -> int when integral, else float."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return x
    if f.is_integer() and abs(f) < 2 ** 53:
        return int(f)
    return f


# --------------------------------------------------------------------------------------------
# In-process simulation (needs scalesim importable, i.e. the scalesim interpreter)
# --------------------------------------------------------------------------------------------

def simulate_layer(layer, rows: int, cols: int, dataflow: str,
                   sram_kb=(6144, 6144, 2048), bandwidth_mode: str = "CALC") -> dict:
    """Simulate one layer in this process with SCALE-Sim (must be importable) and return the
    report numbers. Mirrors ``simulator.run`` + ``simulator.generate_reports`` for one layer."""
    import numpy as np
    if int(np.__version__.split(".")[0]) >= 2:
        raise RuntimeError(f"SCALE-Sim 3.0.0 needs numpy<2 (found {np.__version__})")
    from scalesim.scale_config import scale_config
    from scalesim.topology_utils import topologies
    from scalesim.layout_utils import layouts
    from scalesim.single_layer_sim import single_layer_sim

    if bandwidth_mode != "CALC":
        raise ValueError("only InterfaceBandwidth = CALC is supported")
    dataflow = dataflow.lower()
    if dataflow not in ("os", "ws", "is"):
        raise ValueError(f"dataflow must be os, ws or is, got {dataflow!r}")
    spec = layer_spec(layer)
    ifmap_kb, filter_kb, ofmap_kb = (int(v) for v in sram_kb)

    # The fields scale_config.read_conf_file sets, with the values of a config file that has
    # [run_presets] InterfaceBandwidth: CALC, UseRamulatorTrace: False; [layout]
    # IfmapCustomLayout/FilterCustomLayout: False; [sparsity] SparsitySupport: false.
    cfg = scale_config()
    cfg.run_name = "numsim_reference"
    cfg.use_user_bandwidth = False
    cfg.use_ramulator_trace = False
    cfg.array_rows, cfg.array_cols = int(rows), int(cols)
    cfg.ifmap_sz_kb, cfg.filter_sz_kb, cfg.ofmap_sz_kb = ifmap_kb, filter_kb, ofmap_kb
    cfg.ifmap_offset, cfg.filter_offset, cfg.ofmap_offset = 0, 10000000, 20000000
    cfg.df = dataflow
    cfg.using_ifmap_custom_layout = False
    cfg.using_filter_custom_layout = False
    cfg.sparsity_support = False
    cfg.sparsity_optimized_mapping = False
    cfg.valid_conf_flag = True

    topo = topologies()
    topo.load_layer_params_from_list(spec["name"], conv_entries(spec))
    lay = layouts()  # only consulted with a custom layout, which is off

    t0 = time.perf_counter()
    sim = single_layer_sim()
    sim.set_params(layer_id=0, config_obj=cfg, topology_obj=topo, layout_obj=lay, verbose=False)
    sim.run()
    comp = sim.get_compute_report_items()
    bw = sim.get_bandwidth_report_items()
    det = sim.get_detail_report_items()
    seconds = time.perf_counter() - t0

    out = {"name": spec["name"], "kind": spec["kind"]}
    out.update({k: v for k, v in spec.items() if k not in ("name", "kind")})
    out.update({"rows": int(rows), "cols": int(cols), "dataflow": dataflow,
                "sram_kb": {"ifmap": ifmap_kb, "filter": filter_kb, "ofmap": ofmap_kb},
                "bandwidth_mode": bandwidth_mode})
    for names, values in ((COMPUTE_FIELDS, comp), (BANDWIDTH_FIELDS, bw), (DETAIL_FIELDS, det)):
        assert len(names) == len(values), (names, values)
        out.update({k: _plain(v) for k, v in zip(names, values)})
    out["seconds"] = seconds
    try:
        import resource
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except ImportError:  # pragma: no cover - non-Unix
        pass
    return out


def _worker_main() -> None:
    """Subprocess entry: JSON job on stdin, one JSON line per layer on stdout."""
    job = json.load(sys.stdin)
    for layer in job["layers"]:
        res = simulate_layer(layer, job["rows"], job["cols"], job["dataflow"],
                             tuple(job["sram_kb"]), job.get("bandwidth_mode", "CALC"))
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Driver side (any Python)
# --------------------------------------------------------------------------------------------

def _no_interpreter(why: str) -> RuntimeError:
    return RuntimeError(
        f"SCALE-Sim is not available: {why}. Install it in a separate virtualenv "
        f"(python -m venv scalesim-venv && scalesim-venv/bin/pip install "
        f"scalesim=={SCALESIM_VERSION} \"numpy<2\") and point {ENV_VAR} at that "
        f"virtualenv's python (or pass python=...).")


@functools.lru_cache(maxsize=None)
def _probe(exe: str) -> str:
    resolved = shutil.which(exe) or (exe if os.path.exists(exe) else None)
    if resolved is None:
        raise _no_interpreter(f"interpreter {exe!r} not found")
    probe = ("import sys, numpy, scalesim.single_layer_sim; from importlib.metadata import version;"
             "sys.exit(3 if int(numpy.__version__.split('.')[0]) >= 2 else "
             f"4 if version('scalesim') != {SCALESIM_VERSION!r} else 0)")
    try:
        rc = subprocess.run([resolved, "-c", probe], capture_output=True, timeout=120).returncode
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _no_interpreter(f"cannot run {exe!r} ({exc})") from exc
    if rc == 3:
        raise _no_interpreter(f"{exe!r} has numpy>=2, which breaks SCALE-Sim 3.0.0")
    if rc == 4:
        raise _no_interpreter(f"{exe!r} has a scalesim other than {SCALESIM_VERSION}")
    if rc != 0:
        raise _no_interpreter(f"{exe!r} cannot import scalesim")
    return resolved


def find_python(python: str | None = None) -> str:
    """The interpreter that has scalesim: ``python``, else $NUMSIM_SCALESIM_PYTHON, else the
    current interpreter if it can import scalesim. Raises RuntimeError if none works."""
    candidates = [python] if python else []
    if not candidates and os.environ.get(ENV_VAR):
        candidates.append(os.environ[ENV_VAR])
    if not candidates:
        candidates.append(sys.executable)
    return _probe(candidates[0])


def run_scalesim(layers, rows: int, cols: int, dataflow: str, sram_kb=(6144, 6144, 2048),
                 python: str | None = None, timeout: float | None = None) -> list[dict]:
    """Run SCALE-Sim 3.0.0 (CALC bandwidth mode, 1-byte words) on ``layers`` for one
    ``rows`` x ``cols`` array with ``dataflow`` in {"os", "ws", "is"} and SRAM sizes ``sram_kb``
    = (ifmap, filter, ofmap) in KB. Layers are (name, M, N, K) GEMMs or (name, ifmap_h, ifmap_w,
    filter_h, filter_w, channels, num_filters, stride) convs. Returns one dict per layer (fields:
    see the module docstring) including ``seconds``, the wall time of that layer.

    The simulation runs in a subprocess under ``python`` or $NUMSIM_SCALESIM_PYTHON (a Python
    with ``scalesim==3.0.0`` and ``numpy<2``), in a temporary directory. ``timeout`` (seconds,
    whole call) raises ``subprocess.TimeoutExpired`` when exceeded."""
    specs = [layer_spec(layer) for layer in layers]
    for spec in specs:
        conv_entries(spec)  # validate here rather than in the subprocess
    if str(dataflow).lower() not in ("os", "ws", "is"):
        raise ValueError(f"dataflow must be os, ws or is, got {dataflow!r}")
    if int(rows) < 1 or int(cols) < 1:
        raise ValueError("rows and cols must be >= 1")
    exe = find_python(python)
    job = {"rows": int(rows), "cols": int(cols), "dataflow": str(dataflow).lower(),
           "sram_kb": [int(v) for v in sram_kb], "bandwidth_mode": "CALC", "layers": specs}
    here = os.path.abspath(__file__)
    with tempfile.TemporaryDirectory(prefix="scalesim_") as tmp:
        proc = subprocess.run([exe, here, "--worker"], input=json.dumps(job), text=True,
                              capture_output=True, cwd=tmp, timeout=timeout)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or len(results) != len(specs):
        raise RuntimeError(f"SCALE-Sim worker failed (exit {proc.returncode}) after "
                           f"{len(results)}/{len(specs)} layers:\n{proc.stderr[-4000:]}")
    return results


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rows", type=int, default=128)
    p.add_argument("--cols", type=int, default=128)
    p.add_argument("--dataflow", default="ws", choices=["os", "ws", "is"])
    p.add_argument("--sram-kb", type=int, nargs=3, default=[6144, 6144, 2048],
                   metavar=("IFMAP", "FILTER", "OFMAP"))
    p.add_argument("--gemm", type=int, nargs=3, action="append", default=[],
                   metavar=("M", "N", "K"))
    p.add_argument("--conv", type=int, nargs=7, action="append", default=[],
                   metavar=("IH", "IW", "FH", "FW", "C", "NF", "S"))
    p.add_argument("--python", default=None, help=f"scalesim interpreter (default ${ENV_VAR})")
    args = p.parse_args(argv)
    if args.worker:
        _worker_main()
        return
    layers = [(f"gemm{i}", *g) for i, g in enumerate(args.gemm)]
    layers += [(f"conv{i}", *c) for i, c in enumerate(args.conv)]
    if not layers:
        p.error("give at least one --gemm or --conv layer")
    for res in run_scalesim(layers, args.rows, args.cols, args.dataflow, tuple(args.sram_kb),
                            python=args.python):
        print(json.dumps(res))


if __name__ == "__main__":
    main()
