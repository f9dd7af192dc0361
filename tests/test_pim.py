"""DRAM processing in memory (hwmodels.pim) and the systems built on it (hwmodels.decode) against
the published figures of the hardware reference (section 14; validation targets 8 and 28-32),
properties, and bad input.

Each validation test names its source and writes out its configuration. Targets the model cannot
reach within their tolerance are strict xfails whose reason gives the measured value: the model
was not tuned to pass them.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import numsim
from hwmodels import data
from hwmodels.memory import get_dram
from hwmodels.decode import (
    A100_40GB, A100A, MODES, GpuSpec, attacc_decode_step, decoder_layer, gpu_decode_step, gpu_only_step, kv_bytes_per_token,
    max_batch, neupims_npu, npu_pim_decode_step, weight_bytes,
)
from hwmodels.pim import (
    GDDR6_AIM, HBM2_PIM, HBM3_PIM_BANK, HBM3_PIM_BANK_GROUP, HBM3_PIM_BUFFER, LOCATIONS, NEWTON, PIM_PRESETS, PimDevice,
    energy_per_bit, gemv_energy, gemv_latency, host_gemv_energy, host_gemv_latency,
)
from hwmodels.workloads import GPT3_175B, Gemm, TransformerSpec


def within(value: float, target: float, tol: float) -> bool:
    return abs(value - target) <= tol * target


# ---- target 8: HBM3 energy per bit by PU location -------------------------------------------------

def test_hbm3_energy_per_bit_by_location():
    """Target 8 (AttAcc src/config.py, FGDRAM stage energies): bank 0.55, bank group 1.56, buffer die
    3.29, off-chip 3.59 pJ/bit, each the sum of the stages a bit crosses; exact (to float rounding)."""
    expected = {"bank": 0.55, "bank_group": 1.56, "buffer_die": 3.29, "off_chip": 3.59}
    for location, pj in expected.items():
        assert energy_per_bit(location) == pytest.approx(pj, rel=1e-12, abs=1e-12)
    assert [d.pj_per_bit for d in (HBM3_PIM_BANK, HBM3_PIM_BANK_GROUP, HBM3_PIM_BUFFER)] == \
        [energy_per_bit(p) for p in ("bank", "bank_group", "buffer_die")]
    assert get_dram("hbm3").pj_per_bit == pytest.approx(energy_per_bit("off_chip"), rel=1e-12)
    # bank-level PIM moves a bit 6.5x cheaper than an off-chip read (reference 14.1)
    assert energy_per_bit("off_chip") / energy_per_bit("bank") == pytest.approx(6.53, abs=0.01)


# ---- target 28: HBM-PIM bandwidth ratio and peak ---------------------------------------------------

def test_hbm_pim_bandwidth_ratio_and_peak():
    """Target 28 (Samsung Aquabolt-XL, reference 14.2): 4x internal/external bandwidth and
    1.2 TFLOPS, exact: 16 pseudo-channels (4 PIM dies x 4) x 8 PCUs x 16 FP16 lanes, tCCD_S = 2,
    tCCD_L = 4 at tCK = 1/1.2 GHz (2.4 Gb/s pins): 8 * 2 / 4 = 4.0 and 128 * 16 * 2 * 0.3 GHz =
    1.2288e12 FLOP/s; internal 1,228.8 GB/s against 307.2 GB/s of pins."""
    d = HBM2_PIM
    assert (d.channels, d.pus_per_channel, d.lanes, d.tCCD_S, d.tCCD_L) == (16, 8, 16, 2, 4)
    assert d.bandwidth_ratio() == 4.0
    assert d.peak_flops() == pytest.approx(1.2288e12, rel=1e-12)
    assert d.external_bandwidth_gb_s == pytest.approx(307.2, rel=1e-12)
    assert d.internal_bandwidth_gb_s == pytest.approx(1228.8, rel=1e-12)
    assert round(d.peak_flops() / 1e12, 1) == data.HBM2_PIM_CLAIMS["tflops"]
    assert d.bandwidth_ratio() == data.HBM2_PIM_CLAIMS["bandwidth_ratio"]


# ---- target 29: HBM-PIM GEMV speedup ----------------------------------------------------------------

def _hbm_pim_gemv_speedup() -> float:
    rows, cols = data.HBM2_PIM_CLAIMS["gemv_shape"]
    pim = gemv_latency(HBM2_PIM, rows, cols).total_ns
    # the host GPU reads the same HBM2 stack with PIM off: 307.2 GB/s, capped at 0.85 (AttAcc's cap);
    # 312 TFLOPS of FP16 (an A100-class GPU) never bounds a GEMV
    stack = get_dram("hbm2").with_bandwidth(HBM2_PIM.external_bandwidth_gb_s)
    gpu = host_gemv_latency(rows, cols, stack, compute_tflops=data.A100_40GB["tflops"]).total_ns
    return gpu / pim


@pytest.mark.xfail(strict=True, reason=(
    "measured 4.37x against 8.9x (-51%): an honest bandwidth model gives at most the 4x internal/external "
    "ratio over a GPU that streams the same stack at 85% of its pins; 8.9x needs the GPU to use far less "
    "of its bandwidth on a small GEMV than the roofline assumes"))
def test_hbm_pim_gemv_speedup_vs_gpu():
    """Target 29 (Samsung, IEEE Micro 2022): GEMV micro-kernels 8.9x faster with HBM-PIM than on the
    GPU, within 30%. Assumed: PIMSimulator's GEMV, 4096 x 1024 FP16, on one HBM2-PIM stack
    (:data:`HBM2_PIM`) against a GPU reading that stack's 307.2 GB/s at 85% (AttAcc's cap) with
    312 TFLOPS FP16, plus the HBM2 first-access latency."""
    assert within(_hbm_pim_gemv_speedup(), data.HBM2_PIM_CLAIMS["gemv_speedup_vs_gpu"], 0.30)


def test_hbm_pim_gemv_speedup_is_bounded_by_the_bandwidth_ratio():
    """What the model does give for target 29: between 3x and the 4x bandwidth ratio / 0.85."""
    s = _hbm_pim_gemv_speedup()
    assert 3.0 < s < HBM2_PIM.bandwidth_ratio() / data.ATTACC_SYSTEM["max_mem_bw_util"]
    assert s == pytest.approx(4.37, abs=0.005)


# ---- target 30: GDDR6-AiM -------------------------------------------------------------------------

def test_aim_peak_exact():
    """Target 30 (SK hynix GDDR6-AiM, JSSC 2023; reference 14.3): 1 TFLOPS: 2 channels x 16 banks x
    16 BF16 MACs x 2 at 1 GHz = 1.024e12 FLOP/s, exact; 16 Gb/s x 32 DQ = 64 GB/s external, 16x
    internal (SK hynix's 'up to 16x')."""
    d = GDDR6_AIM
    assert (d.channels, d.banks_per_channel, d.pus_per_channel, d.lanes) == (2, 16, 16, 16)
    assert d.peak_flops() == pytest.approx(1.024e12, rel=1e-12)
    assert d.external_bandwidth_gb_s == 64.0
    assert d.bandwidth_ratio() == 16.0
    assert d.datapath.a_format == numsim.get_format("bf16")


def test_aim_gemv_speedup():
    """Target 30 (JSSC 2023): GEMV 7.5-10.5x faster than HBM2- or GDDR6-based systems, within 30%
    of the range (7.5 / 1.3 ... 10.5 * 1.3). Assumed: a 4096 x 1024 BF16 GEMV on one AiM device
    against a host reading an x32 GDDR6 device (64 GB/s at 85%, 7.5 pJ/bit preset) with 312 TFLOPS."""
    rows, cols = 4096, 1024
    pim = gemv_latency(GDDR6_AIM, rows, cols).total_ns
    host = host_gemv_latency(rows, cols, "gddr6", compute_tflops=312).total_ns
    speedup = host / pim
    low, high = data.AIM["gemv_speedup"]
    assert low / 1.3 <= speedup <= high * 1.3
    assert speedup == pytest.approx(11.89, abs=0.01)      # 13% above the top of the published range


# ---- AttAcc bandwidth scales (consistency with the simulator) ---------------------------------------

def test_attacc_bandwidth_scale_without_power_constraint():
    """AttAcc src/config.py BW_SCALE (no power constraint): bank 16, bank group 8, buffer die 1 per
    HBM3 stack: our formula N_PU * tCCD_S / tCCD_PU with the NPC spacings (nCCDAB = 4 for bank PUs,
    bus rate for bank-group PUs) gives the same. The power-constrained presets (nCCDAB = nCCDSB = 6)
    give 10.7 and 2.7 where the simulator's Python uses 9 and 3."""
    npc = data.HBM3_PIM["nCCDAB_NPC"]
    assert dataclasses.replace(HBM3_PIM_BANK, tCCD_PU=npc).bandwidth_ratio() == data.ATTACC_BW_SCALE["bank"]
    assert dataclasses.replace(HBM3_PIM_BANK_GROUP, tCCD_PU=None).bandwidth_ratio() == data.ATTACC_BW_SCALE["bank_group"]
    assert HBM3_PIM_BUFFER.bandwidth_ratio() == data.ATTACC_BW_SCALE["buffer_die"]
    assert HBM3_PIM_BANK.bandwidth_ratio() == pytest.approx(32 * 2 / 6)
    assert HBM3_PIM_BANK.external_bandwidth_gb_s == get_dram("hbm3").bandwidth_gb_s


# ---- target 31: AttAcc ---------------------------------------------------------------------------

LIN, LOUT = data.ATTACC_SYSTEM["lin"], data.ATTACC_SYSTEM["lout"]
CONTEXT = LIN + LOUT // 2            # mean context over the generated tokens


def _attacc_ratios() -> tuple[float, float]:
    m = GPT3_175B
    kv_gb = data.ATTACC_SYSTEM["attacc_devices"] * data.ATTACC_SYSTEM["stacks_per_device"] * data.ATTACC_SYSTEM["stack_gb"]
    b_attacc = max_batch(m, LIN + LOUT, 8 * A100A.capacity_gb, kv_capacity_gb=kv_gb)
    b_2xdgx = max_batch(m, LIN + LOUT, 16 * A100A.capacity_gb)
    assert (b_attacc, b_2xdgx) == (62, 90)
    attacc = attacc_decode_step(m, b_attacc, CONTEXT, gpus=8, pim=HBM3_PIM_BANK, pipelined=True)
    base = gpu_decode_step(m, b_2xdgx, CONTEXT, gpus=16)
    return attacc.tokens_per_s / base.tokens_per_s, attacc.tokens_per_joule / base.tokens_per_joule


ATTACC_CONFIG = (
    "GPT-3 175B (96 layers, d = 12288, 96 heads), FP16, Lin = 2048, Lout = 128 (mean decode context 2112); "
    "DGX + AttAcc: 8 A100a (312 TFLOPS, 3,352 GB/s, 80 GB, caps 0.8 / 0.85) + 8 AttAcc x 5 HBM3-PIM stacks "
    "(AttAcc_bank, nCCDAB = 6) with attention pipelined against the QKV/O projections; baseline 2xDGX "
    "(16 A100a, same 1,280 GB); each at the largest batch that fits (62 and 90 requests)")


@pytest.mark.xfail(strict=True, reason=(
    "measured 1.30x against 2.81x (-54%): with a roofline GPU the 8-GPU FC layers of DGX+AttAcc take twice "
    "as long as on 16 GPUs, which cancels most of the attention gain; config: " + ATTACC_CONFIG))
def test_attacc_throughput():
    """Target 31 (Park et al., ASPLOS 2024): up to 2.81x throughput for a 175B model against the
    conventional system with the same memory capacity, within 30%."""
    assert within(_attacc_ratios()[0], data.ATTACC_CLAIMS["throughput"], 0.30)


@pytest.mark.xfail(strict=True, reason="measured 1.78x against 2.67x (-33%); config: " + ATTACC_CONFIG)
def test_attacc_energy_efficiency():
    """Target 31 (Park et al., ASPLOS 2024): up to 2.67x energy efficiency (tokens per joule), within
    30%. GPU energy: DRAM 3.59 pJ/bit + one pass through L2 and L1 (0.46 pJ/bit) + 0.32 pJ/MAC
    (AttAcc's table, register file not charged); PIM: 0.55 pJ/bit + PU MACs from mac_cost at 14 nm;
    NVLink 1.3 pJ/bit."""
    assert within(_attacc_ratios()[1], data.ATTACC_CLAIMS["energy_efficiency"], 0.30)


def test_attacc_measured_ratios():
    """The values the AttAcc xfails report, and their direction: AttAcc wins on both counts."""
    thr, eff = _attacc_ratios()
    assert thr == pytest.approx(1.30, abs=0.01) and eff == pytest.approx(1.78, abs=0.01)


# ---- target 32: NeuPIMs -------------------------------------------------------------------------

NEUPIMS_BATCH, NEUPIMS_CONTEXT = data.NEUPIMS["max_batch"], data.NEUPIMS["max_seq_len"] // 2
NEUPIMS_CONFIG = (
    "GPT-3 175B, tensor parallelism 8 (one device: 12 heads, 1/8 of every GEMM), batch 128, context 512; "
    "NPU 8 x 128x128 WS FP16 arrays at 1 GHz (pipelined weight preloads, partial sums kept on chip, 1,024 GB/s HBM2); PIM: Newton-style "
    "HBM2, 32 channels x 32 banks, 16 FP16 multipliers per bank, dual row buffers; NeuPIMs = sub-batch "
    "interleaving, naive = blocked; GPU-only: one A100 40 GB (312 TFLOPS, 1,555 GB/s, caps 0.8 / 0.85) per device")


def _neupims() -> dict:
    m = GPT3_175B
    steps = {mode: npu_pim_decode_step(m, NEUPIMS_BATCH, NEUPIMS_CONTEXT, mode) for mode in MODES}
    steps["gpu_only"] = gpu_only_step(m, NEUPIMS_BATCH, NEUPIMS_CONTEXT, gpu=A100_40GB)
    return {k: v.seconds for k, v in steps.items()}


@pytest.mark.xfail(strict=True, reason=(
    "measured 0.69x against 3x: at batch 128 the NPU's FC GEMMs are bound by streaming the weights "
    "(519 MB per layer and device at 1,024 GB/s: 0.53 ms, 97% array utilisation when fed) while the A100 "
    "streams them at 1,555 GB/s x 0.85 (0.36 ms) and needs 0.31 ms for attention; PIM attention takes "
    "0.04 ms, so hiding it cannot make up the bandwidth gap; config: " + NEUPIMS_CONFIG))
def test_neupims_vs_gpu_only():
    """Target 32 (Heo et al., ASPLOS 2024): NeuPIMs 3x the throughput of GPU-only, within 30%."""
    t = _neupims()
    assert within(t["gpu_only"] / t["interleaved"], data.NEUPIMS_CLAIMS["vs_gpu_only"], 0.30)


@pytest.mark.xfail(strict=True, reason=(
    "measured 0.58x against 1.6x: attention is ~7% of a blocked layer, so there is little to overlap, and "
    "two sub-batches stream every weight twice through a bandwidth-bound NPU (0.49 ms per 64-request "
    "sub-batch against 0.53 ms for all 128); config: " + NEUPIMS_CONFIG))
def test_neupims_vs_blocked():
    """Target 32 (Heo et al., ASPLOS 2024): NeuPIMs 1.6x the throughput of naive (blocked) NPU+PIM,
    within 30%."""
    t = _neupims()
    assert within(t["blocked"] / t["interleaved"], data.NEUPIMS_CLAIMS["vs_blocked_npu_pim"], 0.30)


def test_neupims_measured_ratios():
    """The values the NeuPIMs xfails report, and the mode ordering that holds by construction."""
    t = _neupims()
    assert t["gpu_only"] / t["interleaved"] == pytest.approx(0.69, abs=0.01)
    assert t["blocked"] / t["interleaved"] == pytest.approx(0.58, abs=0.01)
    assert t["concurrent"] <= t["blocked"] < t["npu_only"]
    assert t["npu_only"] / t["interleaved"] == pytest.approx(2.47, abs=0.01)   # cf. the unconfirmed 2.4x over NPU-only


def test_neupims_configuration():
    """NeuPIMs configs: 8 x 128x128 WS arrays at 1 GHz (262 TFLOPS FP16), HBM2 of 32 channels x 32
    banks x 16 multipliers (16.4 TFLOPS, 16x internal bandwidth), 1,024 GB/s external."""
    npu = neupims_npu()
    assert (npu.rows, npu.cols, npu.dataflow, npu.n_pes) == (128, 128, "ws", 8 * 128 * 128)
    assert npu.peak_tops == pytest.approx(262.144)
    assert (NEWTON.channels, NEWTON.banks_per_channel, NEWTON.lanes) == (32, 32, 16)
    assert NEWTON.bandwidth_ratio() == 16.0
    assert NEWTON.external_bandwidth_gb_s == 1024.0 == npu.bandwidth_gb_s
    assert NEWTON.peak_flops() == pytest.approx(16.384e12)


# ---- figures added to the DRAM presets ---------------------------------------------------------------

def test_dram_presets_from_data():
    """hbm2: 3.97 pJ/bit (O'Connor et al., MICRO 2017), one 1,024-DQ stack at 2 Gb/s (256 GB/s),
    tRCD + CL = 28 ns (NewtonSim HBM2 ini); gddr6: 7.5 pJ/bit (Micron table), one x32 device at
    16 Gb/s (64 GB/s), 28.5 ns (Ramulator2 GDDR6 preset)."""
    hbm2, gddr6 = get_dram("hbm2"), get_dram("gddr6")
    assert (hbm2.pj_per_bit, hbm2.bandwidth_gb_s, hbm2.latency_ns) == (data.HBM2_PJ_PER_BIT, 256.0, 28.0)
    assert (gddr6.pj_per_bit, gddr6.bandwidth_gb_s) == (data.GDDR6_PJ_PER_BIT, 64.0)
    assert gddr6.latency_ns == pytest.approx(28.5)
    assert "O'Connor" in hbm2.source and "Micron" in gddr6.source


# ---- model details -------------------------------------------------------------------------------

def test_gemv_components_hbm_pim():
    """4096 x 1024 on HBM2-PIM: 32 rows per PCU x 64 columns x tCCD_L; the PCU's two banks hide all
    but the first activation; 16 lane partial sums per row read by the host."""
    t = gemv_latency(HBM2_PIM, 4096, 1024)
    tck = 1 / 1.2
    assert t.column_commands == 32 * 64 and t.k_split == 1 and t.channels_per_gemv == 16
    assert t.mac_ns == pytest.approx(2048 * 4 * tck)
    assert t.activation_ns == pytest.approx((14 + 63 * 0) * tck)
    assert t.input_ns == pytest.approx(1024 * 16 / (64 * 2.4))
    assert t.output_ns == pytest.approx(4096 * 16 / 16 * 16 / (64 * 2.4))
    assert t.total_ns == pytest.approx(t.input_ns + t.activation_ns + t.mac_ns + t.output_ns)
    assert t.seconds == pytest.approx(t.total_ns * 1e-9)


def test_gemv_single_bank_pus_expose_activations():
    """AiM's PUs read one bank each: every row switch costs tRP + tRCD (35 + 35 cycles of 0.5 ns)."""
    t = gemv_latency(GDDR6_AIM, 4096, 1024)
    assert t.activations == 128
    assert t.activation_ns == pytest.approx(128 * (35 + 35) * 0.5)


def test_gemv_small_rows_split_over_pus():
    """Fewer rows than PUs: each row is split, partial sums are read out."""
    t = gemv_latency(HBM3_PIM_BANK, 8, 4096)
    assert t.k_split > 1
    one = gemv_latency(HBM3_PIM_BANK.with_channels(1), 8, 4096)
    assert t.mac_ns < one.mac_ns


def test_gemv_count_spreads_over_channels():
    d = HBM3_PIM_BANK
    one = gemv_latency(d, 2048, 128, count=1)
    many = gemv_latency(d, 2048, 128, count=3 * d.channels)
    single_channel = gemv_latency(d.with_channels(1), 2048, 128)
    assert many.gemvs_per_channel == 3 and many.channels_per_gemv == 1
    assert many.total_ns == pytest.approx(3 * single_channel.total_ns)
    assert one.total_ns < single_channel.total_ns


def test_gemv_energy_components():
    d = HBM3_PIM_BANK
    e = gemv_energy(d, 2048, 128, count=4)
    assert e.weights_pj == pytest.approx(2048 * 128 * 16 * 4 * 0.55)
    assert e.mac_pj == pytest.approx(2048 * 128 * 4 * d.mac().energy_pj)
    assert e.total_pj == pytest.approx(e.weights_pj + e.input_pj + e.output_pj + e.mac_pj)
    # bank PIM reading the same bits costs less than the host reading them off-chip
    assert e.weights_pj < host_gemv_energy(2048, 128, "hbm3", mac_pj=0.32, batch=1) * 4


def test_host_gemv_roofline():
    t = host_gemv_latency(4096, 4096, "hbm3", compute_tflops=312, batch=4096)
    assert t.bound == "compute"
    t1 = host_gemv_latency(4096, 4096, "hbm3", compute_tflops=312)
    assert t1.bound == "memory"
    assert t1.memory_ns == pytest.approx((4096 * 4096 + 2 * 4096) * 2 / (665.6 * 0.85))


def test_rooflines():
    for d in PIM_PRESETS.values():
        low, high = d.roofline(1e-3), d.roofline(1e6)
        assert low.bound == "memory" and high.bound == "compute"
        assert high.attainable_tops == pytest.approx(d.peak_flops() / 1e12)
        assert low.attainable_tops == pytest.approx(1e-3 * d.internal_bandwidth_gb_s / 1e3)
    assert A100A.roofline(1).bound == "memory" and A100A.roofline(1000).bound == "compute"


def test_pu_cost_from_mac_cost():
    d = HBM2_PIM
    assert d.pu_cost().energy_pj == pytest.approx(16 * d.mac().energy_pj)
    assert d.logic_area_mm2() == pytest.approx(128 * 16 * d.mac().area_um2 * 1e-6)
    assert 0.0 < d.logic_area_mm2() < 10.0


def test_gpu_run_and_decode_parts():
    r = A100A.run(Gemm(M=1, N=12288, K=12288))
    assert r.bound == "memory"
    assert r.seconds == pytest.approx((12288 * 12288 + 12288 + 12288) * 2 / (3352e9 * 0.85))
    s = gpu_decode_step(GPT3_175B, 8, 2048, gpus=8)
    assert s.seconds == pytest.approx(sum(s.time_parts.values()))
    assert s.energy_pj == pytest.approx(sum(s.energy_parts.values()))
    a = attacc_decode_step(GPT3_175B, 8, 2048, gpus=8)
    assert a.time_parts["fc"] == pytest.approx(s.time_parts["fc"])
    assert a.time_parts["attention"] < s.time_parts["attention"]
    assert a.energy_parts["attention"] < s.energy_parts["attention"]
    assert attacc_decode_step(GPT3_175B, 8, 2048, pipelined=True).seconds <= a.seconds


def test_decoder_layer_shapes_and_sizes():
    g, a = decoder_layer(GPT3_175B, 2, 100)
    assert sum(w.filter_words for w in g) == GPT3_175B.layer_weights == 12 * 12288 ** 2
    assert weight_bytes(GPT3_175B) == 96 * 12 * 12288 ** 2 * 2
    assert kv_bytes_per_token(GPT3_175B) == 2 * 96 * 12288 * 2
    assert max_batch(GPT3_175B, 2048, 300) == 0       # the weights alone do not fit
    swiglu = TransformerSpec("t", 64, 2, 4, 2, 96, 100, "swiglu", "")
    g, _ = decoder_layer(swiglu, 1, 8, tensor_parallel=2)
    assert [w.N for w in g] == [(4 + 4) * 16 // 2, 64, 2 * 96 // 2, 64]


# ---- properties (hypothesis) ---------------------------------------------------------------------

DEVICES = st.sampled_from(sorted(PIM_PRESETS.values(), key=lambda d: d.name))
DIMS = st.integers(1, 5000)


@given(DEVICES, DIMS, DIMS, st.integers(1, 300), st.integers(1, 64), st.integers(1, 64))
def test_more_pus_never_slower(device, rows, cols, count, c1, c2):
    """More channels of the same PUs never make a GEMV (or a batch of them) slower."""
    lo, hi = sorted((c1, c2))
    slow = gemv_latency(device.with_channels(lo), rows, cols, count=count).total_ns
    fast = gemv_latency(device.with_channels(hi), rows, cols, count=count).total_ns
    assert fast <= slow * (1 + 1e-12)


@given(DEVICES, DIMS, DIMS, DIMS, DIMS, st.integers(1, 50))
def test_larger_gemv_never_faster(device, r1, r2, c1, c2, count):
    small = gemv_latency(device, min(r1, r2), min(c1, c2), count=count).total_ns
    large = gemv_latency(device, max(r1, r2), max(c1, c2), count=count).total_ns
    assert small <= large * (1 + 1e-12)


@given(DIMS, DIMS, st.integers(1, 50))
def test_bank_placement_never_more_energy_per_bit(rows, cols, count):
    assert energy_per_bit("bank") <= energy_per_bit("bank_group") <= energy_per_bit("buffer_die") <= energy_per_bit("off_chip")
    bank = gemv_energy(HBM3_PIM_BANK, rows, cols, count=count)
    buffer = gemv_energy(HBM3_PIM_BUFFER, rows, cols, count=count)
    assert bank.weights_pj <= buffer.weights_pj
    assert bank.weights_pj / (rows * cols * 16 * count) <= buffer.weights_pj / (rows * cols * 16 * count)


@given(st.floats(1e-6, 1e6))
def test_roofline_never_above_peak_or_bandwidth(ai):
    for d in (HBM2_PIM, GDDR6_AIM, HBM3_PIM_BANK):
        r = d.roofline(ai)
        assert r.attainable_tops <= d.peak_flops() / 1e12 * (1 + 1e-12)
        assert r.attainable_tops <= ai * d.internal_bandwidth_gb_s / 1e3 * (1 + 1e-12)


@given(st.integers(1, 256), st.integers(1, 4096))
def test_npu_pim_mode_order(batch, context):
    m = TransformerSpec("small", 1024, 2, 16, 16, 4096, 1000, "gelu", "")
    t = {mode: npu_pim_decode_step(m, batch, context, mode, tensor_parallel=1).seconds for mode in ("blocked", "concurrent")}
    assert t["concurrent"] <= t["blocked"]


# ---- bad input -------------------------------------------------------------------------------------

def _dev(**changes):
    base = dict(name="toy", channels=2, banks_per_channel=4, bank_groups=2, lanes=16, column_bits=256, row_bits=8192,
                dq_per_channel=64, gbps_per_pin=2.0, tck_ns=1.0, tCCD_S=2, tCCD_L=4, tRCD=14, tRP=14, tRAS=33)
    base.update(changes)
    return PimDevice(**base)


@pytest.mark.parametrize("changes, exc, match", [
    ({"name": ""}, TypeError, "name"),
    ({"channels": 0}, ValueError, "channels"),
    ({"channels": 1.5}, TypeError, "channels"),
    ({"banks_per_channel": True}, TypeError, "banks_per_channel"),
    ({"gbps_per_pin": -1}, ValueError, "gbps_per_pin"),
    ({"tck_ns": 0}, ValueError, "tck_ns"),
    ({"tck_ns": "1"}, TypeError, "tck_ns"),
    ({"tRAS": 0}, ValueError, "tRAS"),
    ({"placement": "rank"}, ValueError, "placement"),
    ({"lane_reduction": "sum"}, ValueError, "lane_reduction"),
    ({"dual_row_buffer": 1}, TypeError, "dual_row_buffer"),
    ({"bank_groups": 3}, ValueError, "bank_groups"),
    ({"row_bits": 1000}, ValueError, "column_bits"),
    ({"pus_per_channel": 3}, ValueError, "pus_per_channel"),
    ({"placement": "bank_group", "pus_per_channel": 4}, ValueError, "pus_per_channel"),
    ({"placement": "buffer_die", "pus_per_channel": 2}, ValueError, "pus_per_channel"),
    ({"tCCD_PU": 0}, ValueError, "tCCD_PU"),
    ({"lanes": 32}, ValueError, "lanes"),
    ({"datapath": 16}, TypeError, "datapath"),
    ({"tech": "fast"}, ValueError, "tech"),
    ({"source": 3}, TypeError, "source"),
])
def test_bad_device(changes, exc, match):
    with pytest.raises(exc, match=match):
        _dev(**changes)


def test_bad_device_methods():
    with pytest.raises(ValueError, match="element_bits"):
        HBM2_PIM.column_cycles(element_bits=512)
    with pytest.raises(ValueError, match="arithmetic_intensity"):
        HBM2_PIM.roofline(-1)
    with pytest.raises(TypeError, match="arithmetic_intensity"):
        HBM2_PIM.roofline("1")
    with pytest.raises(ValueError, match="channels"):
        HBM2_PIM.with_channels(0)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: energy_per_bit("cell"), ValueError, "location"),
    (lambda: energy_per_bit(1), ValueError, "location"),
    (lambda: gemv_latency("hbm2-pim", 4, 4), TypeError, "device"),
    (lambda: gemv_latency(HBM2_PIM, 0, 4), ValueError, "rows"),
    (lambda: gemv_latency(HBM2_PIM, 4, -1), ValueError, "cols"),
    (lambda: gemv_latency(HBM2_PIM, 4, 4, count=True), TypeError, "count"),
    (lambda: gemv_latency(HBM2_PIM, 4, 4, element_bits=512), ValueError, "element_bits"),
    (lambda: gemv_latency(HBM2_PIM, 4, 4, acc_bits=0), ValueError, "acc_bits"),
    (lambda: gemv_energy(None, 4, 4), TypeError, "device"),
    (lambda: gemv_energy(HBM2_PIM, 4.0, 4), TypeError, "rows"),
    (lambda: host_gemv_latency(4, 4, "sram", 312), ValueError, "dram"),
    (lambda: host_gemv_latency(4, 4, "hbm3", 0), ValueError, "compute_tflops"),
    (lambda: host_gemv_latency(4, 4, "hbm3", 312, bw_util=1.5), ValueError, "bw_util"),
    (lambda: host_gemv_latency(4, 4, "hbm3", 312, compute_util=0), ValueError, "compute_util"),
    (lambda: host_gemv_latency(4, 4, "hbm3", 312, batch=0), ValueError, "batch"),
    (lambda: host_gemv_energy(4, 4, "hbm3", mac_pj=-1), ValueError, "mac_pj"),
    (lambda: host_gemv_energy(4, 4, 3.5, mac_pj=1), TypeError, "dram"),
    (lambda: GpuSpec("g", 0, 100, 10), ValueError, "peak_tflops"),
    (lambda: GpuSpec("g", 1, 100, 10, compute_util=2), ValueError, "compute_util"),
    (lambda: GpuSpec("g", 1, 100, 10, dram="flash"), ValueError, "dram"),
    (lambda: A100A.run("gemm"), TypeError, "workload"),
    (lambda: A100A.run([]), ValueError, "workload"),
    (lambda: A100A.roofline(0), ValueError, "arithmetic_intensity"),
    (lambda: decoder_layer("gpt3", 1, 1), TypeError, "model"),
    (lambda: decoder_layer(GPT3_175B, 1, 1, tensor_parallel=7), ValueError, "tensor_parallel"),
    (lambda: decoder_layer(GPT3_175B, 0, 1), ValueError, "batch"),
    (lambda: kv_bytes_per_token(None), TypeError, "model"),
    (lambda: weight_bytes(GPT3_175B, element_bits=0), ValueError, "element_bits"),
    (lambda: max_batch(GPT3_175B, 0, 100), ValueError, "context"),
    (lambda: max_batch(GPT3_175B, 10, -1), ValueError, "weight_capacity_gb"),
    (lambda: max_batch(GPT3_175B, 10, 1000, kv_capacity_gb=0), ValueError, "kv_capacity_gb"),
    (lambda: gpu_decode_step(GPT3_175B, 1, 1, gpu="a100"), TypeError, "gpu"),
    (lambda: gpu_decode_step(GPT3_175B, 1, 1, gpus=0), ValueError, "gpus"),
    (lambda: gpu_decode_step(GPT3_175B, 1, 1, link_gb_s=0), ValueError, "link_gb_s"),
    (lambda: attacc_decode_step(GPT3_175B, 1, 1, pim="bank"), TypeError, "pim"),
    (lambda: attacc_decode_step(GPT3_175B, 1, 1, gpu=None), TypeError, "gpu"),
    (lambda: attacc_decode_step(GPT3_175B, 1, 1, pipelined="yes"), TypeError, "pipelined"),
    (lambda: attacc_decode_step(GPT3_175B, 1, 1, stacks=0), ValueError, "stacks"),
    (lambda: neupims_npu(pim="newton"), TypeError, "pim"),
    (lambda: npu_pim_decode_step(GPT3_175B, 1, 1, mode="fast"), ValueError, "mode"),
    (lambda: npu_pim_decode_step(GPT3_175B, 1, 1, mode="interleaved", pim=NEWTON), ValueError, "dual_row_buffer"),
    (lambda: npu_pim_decode_step(GPT3_175B, 1, 1, mode="blocked", npu="tpu"), TypeError, "npu"),
    (lambda: npu_pim_decode_step(GPT3_175B, 1, 1, mode="blocked", pim=3), TypeError, "pim"),
    (lambda: npu_pim_decode_step(GPT3_175B, 1, 0, mode="blocked"), ValueError, "context"),
    (lambda: gpu_only_step(GPT3_175B, 1, 1, gpu=A100A.name), TypeError, "gpu"),
    (lambda: gpu_only_step(GPT3_175B, 1, 1, tensor_parallel=0), ValueError, "tensor_parallel"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_presets_are_consistent():
    """Every preset's bus spacing equals its burst time (pins and timings agree) except Newton's
    tCCD_S = 1 under a 2-cycle BL4 burst, which the model bounds by the burst."""
    for d in PIM_PRESETS.values():
        burst = d.column_bits / (d.dq_per_channel * d.gbps_per_pin * d.tck_ns)
        assert d.bus_cycles == pytest.approx(max(d.tCCD_S, burst))
        assert math.isclose(burst, d.tCCD_S) or d is NEWTON
        assert d.source
    assert [round(energy_per_bit(p), 2) for p in LOCATIONS] == [0.55, 1.56, 3.29, 3.59]


# ---- decode-step energy ---------------------------------------------------------------------------


def test_decode_step_energy_orders_and_bounds():
    """Energy of a NeuPIMs-style decode step: every mode reads each weight from DRAM at least once
    per device (interleaving twice: once per sub-batch), so the step costs at least the weight
    bits at HBM2's pJ/bit; blocked and concurrent do the same work; attention on bank-level PIM
    beats streaming the KV cache through the NPU once the context is long."""
    m, tp = GPT3_175B, data.NEUPIMS["tensor_parallel"]
    floor_pj = weight_bytes(m) * 8 * data.HBM2_PJ_PER_BIT  # all devices together hold the weights once
    steps = {mode: npu_pim_decode_step(m, 128, 4096, mode, tensor_parallel=tp) for mode in MODES}
    for mode, s in steps.items():
        assert s.energy_pj >= (2 if mode == "interleaved" else 1) * floor_pj, mode
        assert s.pj_per_token == pytest.approx(s.energy_pj / 128)
    assert steps["blocked"].energy_pj == steps["concurrent"].energy_pj
    assert steps["interleaved"].energy_pj > steps["blocked"].energy_pj
    assert steps["npu_only"].energy_pj > steps["blocked"].energy_pj
    gpu = gpu_only_step(m, 128, 4096, tensor_parallel=tp)
    assert gpu.energy_pj >= floor_pj  # the A100 model reads HBM2 too


def test_decode_step_energy_scales_with_layers():
    """Every layer is the same work, so a model of twice the layers costs twice the energy."""
    half = dataclasses.replace(GPT3_175B, layers=GPT3_175B.layers // 2)
    for mode in MODES:
        full, part = npu_pim_decode_step(GPT3_175B, 32, 512, mode), npu_pim_decode_step(half, 32, 512, mode)
        assert full.energy_pj == pytest.approx(2 * part.energy_pj, rel=1e-12), mode
    assert gpu_only_step(GPT3_175B, 32, 512).energy_pj == pytest.approx(2 * gpu_only_step(half, 32, 512).energy_pj, rel=1e-12)
