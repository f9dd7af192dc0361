"""Cost evaluations of a design point: each a function of a :class:`numsim.Datapath` and keyword
machine parameters returning metric columns with their units in the name.

A sweep config names them under ``[[evaluate]]`` as ``cost = "mac"`` (etc.); any keyword below
can be fixed there or swept as an axis. All listed in :data:`COSTS`.

>>> import numsim
>>> dp = numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32))
>>> sorted(mac(dp))
['mac_area_um2', 'mac_delay_ns', 'mac_energy_pj']
>>> r = systolic(dp, rows=16, workload="gemm(64, 64, 64)")
>>> r["cycles"], round(r["utilisation"], 3)     # 16 folds x (2*16 + 16 + 64 - 2) - 1 = 1759, + 9 to fill from DRAM
(1768.0, 0.582)
"""

from __future__ import annotations

import dataclasses
import functools

import numsim
from hwmodels import SystolicArray, decode, fpga as _fpga, mac_cost, pim as _pim
from hwmodels.data import DEFAULT_N_TERMS
from hwmodels.mac import storage_bits
from hwmodels.memory import get_dram
from hwmodels.systolic import parse_cycle_model, parse_dataflow
from hwmodels.tech import get_tech
from hwmodels.workloads import Gemv, get_transformer, get_workload
from numsim.blocks import BlockFormat

from . import _checks


def mac(datapath, *, tech="45nm", n_terms: int = DEFAULT_N_TERMS) -> dict[str, float]:
    """One multiply-accumulate of the datapath (:func:`hwmodels.mac_cost`): area (um^2),
    energy (pJ) and delay (ns) at ``tech`` (a node such as ``"7nm"``) for dot products of
    ``n_terms`` terms."""
    c = mac_cost(_checks.datapath(datapath), tech, n_terms=n_terms)
    return {"mac_area_um2": c.area_um2, "mac_energy_pj": c.energy_pj, "mac_delay_ns": c.delay_ns}


def systolic(datapath, *, rows: int = 32, cols: int | None = None, dataflow: str = "ws", workload: str = "gemm(256, 256, 256)",
             tech="45nm", clock_ghz: float = 1.0, sram_kb=(512, 512, 256), dram: str = "hbm3",
             dram_bandwidth_gb_s: float | None = None, cycle_model: str = "scalesim") -> dict[str, float]:
    """A ``rows`` x ``cols`` (default square) systolic array of the datapath's PEs running
    ``workload`` (a :func:`hwmodels.workloads.get_workload` string): cycles, latency (s),
    energy (pJ, total and per MAC), utilisation, DRAM traffic (bytes), area (mm^2),
    TOPS/W and TOPS/mm^2 (one MAC = 2 operations)."""
    arr = SystolicArray(rows, rows if cols is None else cols, dataflow, datapath=_checks.datapath(datapath), clock_ghz=clock_ghz,
                        sram_kb=tuple(sram_kb), dram=dram, dram_bandwidth_gb_s=dram_bandwidth_gb_s, tech=tech,
                        cycle_model=cycle_model)
    r = arr.run(list(get_workload(workload)))
    area_mm2 = arr.area().area_um2 * 1e-6
    return {
        "cycles": float(r.cycles),
        "latency_s": r.seconds,
        "energy_pj": r.energy_pj,
        "energy_pj_per_mac": r.energy_pj / r.macs,
        "utilisation": r.utilisation,
        "dram_bytes": float(sum(layer.dram_read_bytes + layer.dram_write_bytes for layer in r.layers)),
        "area_mm2": area_mm2,
        "tops_per_w": r.tops_per_w,
        "tops_per_mm2": r.tops / area_mm2,
    }


def fpga(datapath, *, fpga_device: str = "ultrascale+", n_terms: int = DEFAULT_N_TERMS, use_dsp: bool = False) -> dict[str, float]:
    """LUTs, flip-flops, carry primitives and DSP slices of one MAC of the datapath on
    ``fpga_device`` (:func:`hwmodels.fpga.mac_resources`)."""
    r = _fpga.mac_resources(_checks.datapath(datapath), fpga_device, n=n_terms, use_dsp=use_dsp)
    return {"fpga_luts": float(r.lut), "fpga_ffs": float(r.ff), "fpga_carry8": float(r.carry), "fpga_dsps": float(r.dsp)}


def storage(datapath) -> dict[str, float]:
    """Memory footprint of the A operand: bits per element (block scales included, e.g. 4.25
    for MXFP4) and, for float elements, their exponent and mantissa bits (NaN otherwise), the
    coordinates of exponent x mantissa heatmaps."""
    fmt = _checks.datapath(datapath).a_format
    element = fmt.element if isinstance(fmt, BlockFormat) else fmt
    is_float = isinstance(element, numsim.FloatFormat)
    return {"bits_per_element": storage_bits(fmt),
            "exp_bits": float(element.exp_bits) if is_float else float("nan"),
            "man_bits": float(element.man_bits) if is_float else float("nan")}


def npu_pim_decode(*, model: str = "gpt3_175b", batch: int = 64, context: int = 1024, mode: str = "interleaved",
                   tensor_parallel: int = 8) -> dict[str, float]:
    """One decode step of ``model`` (a decoder of :data:`hwmodels.workloads.TRANSFORMERS`, e.g.
    ``gpt3_175b``, ``llama3_8b``) on NeuPIMs-style NPU + PIM devices
    (:func:`hwmodels.decode.npu_pim_decode_step`, ``mode`` one of ``npu_only``, ``blocked``,
    ``concurrent``, ``interleaved``) and on the GPU-only baseline (one A100 per device): step
    time (s), tokens/s, dynamic energy per token (J, all ``tensor_parallel`` devices, without
    communication) and the ratios to the GPU.

    >>> r = npu_pim_decode(batch=128, context=512, mode="blocked")
    >>> r["tokens_per_s"] > 0 and r["energy_j_per_token"] > 0
    True
    """
    spec = get_transformer(model, decoders_only=True)
    step = decode.npu_pim_decode_step(spec, batch, context, mode, tensor_parallel=tensor_parallel)
    gpu = decode.gpu_only_step(spec, batch, context, tensor_parallel=tensor_parallel)
    return {"step_s": step.seconds, "tokens_per_s": step.tokens_per_s, "energy_j_per_token": step.pj_per_token * 1e-12,
            "gpu_tokens_per_s": gpu.tokens_per_s, "gpu_energy_j_per_token": gpu.pj_per_token * 1e-12,
            "speedup_vs_gpu": gpu.seconds / step.seconds, "energy_vs_gpu": step.energy_pj / gpu.energy_pj}


def pim_gemv(datapath, *, workload: str = "gemv(4096, 4096)", pim: str = "hbm3", placement: str = "bank",
             host_tflops: float = 312.0, host_tech="7nm") -> dict[str, float]:
    """A GEMV workload (``gemv(rows, cols[, batch])``: ``batch`` vectors against one matrix) in the
    PIM design ``pim`` with its PUs at ``placement`` (:func:`hwmodels.pim.get_pim_device`), whose PUs multiply and accumulate in ``datapath`` (element width: storage bits of
    its A format, block scales included; results: its output format; MAC energy and area:
    :func:`hwmodels.mac_cost` at the device's DRAM logic node), against a host that reads the
    same device over its pins (:func:`hwmodels.pim.host_gemv_latency`: 85% of the external
    bandwidth, ``host_tflops``, MACs priced at ``host_tech``). PIM runs the ``batch`` vectors one
    after another, re-reading the matrix each time; the host reads it once.

    Columns: ``pim_latency_s``, ``pim_energy_pj``, ``pim_energy_pj_per_mac``,
    ``pim_logic_area_mm2`` (all PUs' MACs), ``host_latency_s``, ``host_energy_pj`` and the ratios
    ``speedup_vs_host`` and ``energy_vs_host`` (PIM over host).

    >>> r = pim_gemv(numsim.Datapath("fp16", accumulator=numsim.FloatAccumulator("fp32")), placement="bank")
    >>> r["speedup_vs_host"] > 1 and r["energy_vs_host"] < 1
    True
    """
    dp = _checks.datapath(datapath)
    (w,) = _gemv(workload)
    dev = dataclasses.replace(_pim.get_pim_device(pim, placement), datapath=dp)
    lat = _pim.gemv_latency(dev, w.rows, w.cols, count=w.count)
    energy = _pim.gemv_energy(dev, w.rows, w.cols, count=w.count)
    pim_s, pim_pj = lat.seconds * w.batch, energy.total_pj * w.batch
    dram = dev.host_dram()
    bits = {"element_bits": dev.element_bits, "out_bits": dev.acc_bits, "batch": w.batch}
    host_s = _pim.host_gemv_latency(w.rows, w.cols, dram, host_tflops, **bits).total_ns * 1e-9 * w.count
    host_pj = _pim.host_gemv_energy(w.rows, w.cols, dram, mac_cost(dp, host_tech).energy_pj, **bits) * w.count
    macs = w.rows * w.cols * w.batch * w.count
    return {"pim_latency_s": pim_s, "pim_energy_pj": pim_pj, "pim_energy_pj_per_mac": pim_pj / macs,
            "pim_logic_area_mm2": dev.logic_area_mm2(), "host_latency_s": host_s, "host_energy_pj": host_pj,
            "speedup_vs_host": host_s / pim_s, "energy_vs_host": pim_pj / host_pj}


def _gemv(workload: str) -> list:
    layers = get_workload(workload)
    if len(layers) != 1 or not isinstance(layers[0], Gemv):
        raise ValueError(f"pim_gemv takes a workload 'gemv(rows, cols[, batch])', got {workload!r}")
    return layers


#: Cost evaluations by config name.
COSTS = {"mac": mac, "systolic": systolic, "fpga": fpga, "storage": storage, "pim_gemv": pim_gemv,
         "npu_pim_decode": npu_pim_decode}

#: Checks of the parameters that take a name, run by :class:`experiments.SweepSpec` on every
#: value of a sweep before it starts: a misspelt value is a config error, not a column of error rows.
VALUE_CHECKS = {
    "tech": get_tech,
    "dram": get_dram,
    "dataflow": parse_dataflow,
    "cycle_model": parse_cycle_model,
    "fpga_device": _fpga.get_device,
    "model": functools.partial(get_transformer, decoders_only=True),
    "mode": decode.parse_mode,
    "pim": _pim.get_pim_device,
    "placement": _pim.parse_placement,
}

