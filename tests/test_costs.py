"""Cost evaluations of design points (experiments.costs) that compose hwmodels models: checked
against the validated hwmodels figures they are built from and for the orderings their physics
implies."""

from __future__ import annotations

import pytest

import numsim
from experiments import costs
from hwmodels import data
from hwmodels.memory import get_dram
from hwmodels.pim import HBM2_PIM, gemv_latency, host_gemv_latency

FP16 = numsim.Datapath("fp16", accumulator=numsim.FloatAccumulator("fp16"))
FP16_FP32 = numsim.Datapath("fp16", accumulator=numsim.FloatAccumulator("fp32"))


def test_pim_gemv_reproduces_the_hbm_pim_validation_point():
    """pim_gemv on HBM2-PIM with its own FP16 datapath is the HBM-PIM GEMV of tests/test_pim.py:
    the same PIM latency and the same host (the stack's 307.2 GB/s at 85%, 312 TFLOPS)."""
    rows, cols = data.HBM2_PIM_CLAIMS["gemv_shape"]
    r = costs.pim_gemv(FP16, workload=f"gemv({rows}, {cols})", pim="hbm2-pim", host_tflops=data.A100_40GB["tflops"])
    assert r["pim_latency_s"] == pytest.approx(gemv_latency(HBM2_PIM, rows, cols).total_ns * 1e-9, rel=1e-12)
    stack = get_dram("hbm2").with_bandwidth(HBM2_PIM.external_bandwidth_gb_s)
    host = host_gemv_latency(rows, cols, stack, compute_tflops=data.A100_40GB["tflops"])
    assert r["host_latency_s"] == pytest.approx(host.total_ns * 1e-9, rel=1e-12)
    assert r["speedup_vs_host"] == pytest.approx(4.37, abs=0.005)   # the figure test_pim.py reports


def test_pim_gemv_placements_order_as_in_attacc():
    """PUs nearer the cells see more internal bandwidth and move each bit a shorter way: bank PUs
    beat bank-group PUs beat the buffer die in latency and energy; the buffer die has the fewest PUs."""
    r = {p: costs.pim_gemv(FP16_FP32, placement=p) for p in ("bank", "bank_group", "buffer_die")}
    for key in ("pim_latency_s", "pim_energy_pj"):
        assert r["bank"][key] < r["bank_group"][key] < r["buffer_die"][key], key
    assert r["bank"]["pim_logic_area_mm2"] > r["bank_group"]["pim_logic_area_mm2"] > r["buffer_die"]["pim_logic_area_mm2"]
    assert r["bank"]["speedup_vs_host"] > 1 > r["bank"]["energy_vs_host"]


def test_pim_gemv_batch_favours_the_host():
    """PIM re-reads the matrix for every vector, the host reads it once: PIM time and energy grow
    linearly with the batch and the host pulls ahead."""
    one = costs.pim_gemv(FP16_FP32, workload="gemv(4096, 4096, 1)")
    many = costs.pim_gemv(FP16_FP32, workload="gemv(4096, 4096, 16)")
    assert many["pim_latency_s"] == pytest.approx(16 * one["pim_latency_s"], rel=1e-12)
    assert many["pim_energy_pj"] == pytest.approx(16 * one["pim_energy_pj"], rel=1e-12)
    assert many["pim_energy_pj_per_mac"] == pytest.approx(one["pim_energy_pj_per_mac"], rel=1e-12)
    assert many["host_latency_s"] < 16 * one["host_latency_s"]
    assert one["speedup_vs_host"] > 1 > many["speedup_vs_host"]


def test_pim_gemv_narrow_elements_cost_less_to_move():
    """The datapath sets the element width: 8-bit elements move half the bits of 16-bit ones."""
    fp16 = costs.pim_gemv(FP16_FP32)
    int8 = costs.pim_gemv(numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32)))
    assert int8["pim_energy_pj"] < 0.6 * fp16["pim_energy_pj"]
    assert int8["host_latency_s"] < 0.6 * fp16["host_latency_s"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(pim="hbm2-pim", placement="buffer_die"), r"hbm2-pim has PUs only at the bank, got placement='buffer_die'"),
    (dict(pim="hbm4"), r"pim must be one of 'hbm3', 'hbm2-pim'"),
    (dict(placement="subarray"), r"placement must be one of 'bank', 'bank_group', 'buffer_die'"),
    (dict(workload="gemm(64, 64, 64)"), r"pim_gemv takes a workload 'gemv\(rows, cols\[, batch\]\)'"),
])
def test_pim_gemv_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        costs.pim_gemv(FP16_FP32, **kwargs)


def test_pim_gemv_element_wider_than_the_lanes_allow():
    """16 lanes x 32-bit elements do not fit a 256-bit HBM3 column: the device refuses the datapath."""
    with pytest.raises(ValueError, match="lanes .* must not exceed column_bits"):
        costs.pim_gemv(numsim.Datapath("fp32"))


def test_npu_pim_decode_energy_columns():
    r = costs.npu_pim_decode(batch=64, context=1024, mode="interleaved")
    assert r["energy_vs_gpu"] == pytest.approx(r["energy_j_per_token"] / r["gpu_energy_j_per_token"], rel=1e-12)
    assert r["speedup_vs_gpu"] == pytest.approx(r["tokens_per_s"] / r["gpu_tokens_per_s"], rel=1e-12)
