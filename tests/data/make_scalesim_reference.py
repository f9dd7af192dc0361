"""Generate ``tests/data/scalesim_reference.json``: cycle and access counts from the real
SCALE-Sim 3.0.0, as independent reference data for the closed-form model ``hwmodels/systolic.py``.

Run it with a Python that has SCALE-Sim installed (it needs ``numpy<2``), e.g. a virtualenv made
with ``pip install scalesim==3.0.0 "numpy<2"``::

    <scalesim-venv>/bin/python tests/data/make_scalesim_reference.py [--jobs 2] [--out PATH]

It takes about two minutes on two cores. The simulation itself is
``benchmarks/scalesim_runner.simulate_layer``: SCALE-Sim's own classes driven in memory (no
trace or report files), CALC interface bandwidth, 1-byte words, no sparsity, default layout,
offsets 0 / 10,000,000 / 20,000,000. GEMMs are fed through the conv topology as
``[M, K, 1, K, 1, N, 1]`` (ifmap M x K, filter 1 x K, 1 channel, N filters, stride 1), which is
exactly what SCALE-Sim's ``-i gemm`` reader (``topologies.load_arrays_gemm``) builds.

Cases (all drawn from a fixed seed, so the file is reproducible):

* ``worked``: the worked examples of the reference notes, with 6144/6144/2048 KB SRAMs and again
  with 1024/1024/1024 KB SRAMs;
* ``random``: 90 layers on 4x4, 8x8, 8x4, 4x8, 16x16, 16x4, 2x8 and 32x32 arrays with all three
  dataflows; GEMMs with M, N, K in 1..200 (degenerate 1s included), convs with ifmap 5..20,
  filter 1..5, 1..16 channels, 1..40 filters, stride 1..3; SRAMs 6144/6144/2048 KB (everything
  fits); layers whose simulation would exceed ``MAX_LINES`` demand lines are shrunk;
* ``small_sram``: 18 layers with 1..8 KB per SRAM, where operands do not fit the active half
  of their buffer (DRAM re-reads, intermediate OFMAP drains);
* ``edge``: 12 hand-picked buffer edge cases (an operand exactly the size of the read window,
  OFMAP totals at the drain threshold, array widths that do not divide the drain size);
* ``overflow``: 60 layers whose operands overflow 1..64 KB SRAMs (drawn from a second seed, so
  the groups above do not change): 40 random GEMMs and convolutions (overlapping windows with
  stride 1 and 2, and windows that do not overlap) on 4x4 to 32x32 arrays, each SRAM sized for
  a chosen ratio of operand to read window (or OFMAP to drain size) between 0.4 and 4; and 20
  hand-picked cases: the OS filter blocks against the window (one, two or four blocks per
  window fill, and a block as large as the window), OFMAP totals against the drain size D (D + 2
  and 3D words with C dividing D, a C that does not divide D, D = C and D = 2C on 1 x 512 and
  1 x 256 arrays), convolutions whose ifmap fits the window while the filter overflows, and
  windows that do not overlap.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import multiprocessing
import pathlib
import platform
import random
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from scalesim_runner import FIELDS, simulate_layer  # noqa: E402

SEED = 20240607
BIG_SRAM = (6144, 6144, 2048)
MAX_LINES = 120_000          # demand-matrix lines (= total cycles + 1) per case
ARRAYS = [(4, 4), (8, 8), (8, 4), (4, 8), (16, 16), (16, 4), (2, 8), (32, 32)]
DATAFLOWS = ["os", "ws", "is"]

CONV_EX = ("conv_18x18x16_3x3_32", 18, 18, 3, 3, 16, 32, 1)
WORKED = [
    ("ws", 4, 4, ("gemm_16_16_16", 16, 16, 16)),
    ("ws", 8, 8, ("gemm_32_8_20", 32, 8, 20)),
    ("ws", 32, 32, ("gemm_128_128_128", 128, 128, 128)),
    ("os", 4, 4, ("gemm_16_16_16", 16, 16, 16)),
    ("os", 32, 32, ("gemm_128_128_128", 128, 128, 128)),
    ("os", 16, 16, CONV_EX),
    ("is", 4, 4, ("gemm_32_8_20", 32, 8, 20)),
    ("is", 16, 16, CONV_EX),
]


def spatial(layer, dataflow):
    """(S_R, S_C, T) of SCALE-Sim's mapping (ofmap dims use SCALE-Sim's ceil rule)."""
    if len(layer) == 4:
        _, m, n, k = layer
        p, w, f = m, k, n
    else:
        _, ih, iw, fh, fw, c, nf, s = layer
        e = math.ceil((ih - fh + s) / s)
        g = math.ceil((iw - fw + s) / s)
        p, w, f = e * g, fh * fw * c, nf
    return {"os": (p, f, w), "ws": (w, f, p), "is": (w, p, f)}[dataflow]


def lines(layer, dataflow, rows, cols):
    sr, sc, t = spatial(layer, dataflow)
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    return folds * (2 * rows + cols + t - 2)


def rand_dim(rng, hi=200):
    return 1 if rng.random() < 0.12 else rng.randint(1, hi)


def rand_gemm(rng, i, hi=200):
    return (f"r{i}_gemm", rand_dim(rng, hi), rand_dim(rng, hi), rand_dim(rng, hi))


def rand_conv(rng, i, ih_rng=(5, 20), c_hi=16, nf_hi=40, prefix="r"):
    ih, iw = rng.randint(*ih_rng), rng.randint(*ih_rng)
    fh, fw = rng.randint(1, min(5, ih)), rng.randint(1, min(5, iw))
    return (f"{prefix}{i}_conv", ih, iw, fh, fw, rng.randint(1, c_hi), rng.randint(1, nf_hi),
            rng.randint(1, 3))


def shrink(layer, dataflow, rows, cols, max_lines=MAX_LINES):
    """Halve the largest dimension until the simulation has at most ``max_lines`` demand lines."""
    layer = list(layer)
    while lines(tuple(layer), dataflow, rows, cols) > max_lines:
        if len(layer) == 4:
            i = max(range(1, 4), key=lambda j: layer[j])
            layer[i] = max(1, layer[i] // 2)
        else:  # conv: shrink channels, then filters, then the ifmap
            if layer[5] > 1:
                layer[5] //= 2
            elif layer[6] > 1:
                layer[6] //= 2
            else:
                layer[1] = max(layer[3], layer[1] // 2)
                layer[2] = max(layer[4], layer[2] // 2)
    return tuple(layer)


def build_cases():
    rng = random.Random(SEED)
    cases = []
    for sram in (BIG_SRAM, (1024, 1024, 1024)):
        for df, r, c, layer in WORKED:
            cases.append({"group": "worked", "layer": layer, "dataflow": df, "rows": r,
                          "cols": c, "sram_kb": sram})
    for i in range(90):
        df = DATAFLOWS[i % 3]
        rows, cols = ARRAYS[(i // 3) % len(ARRAYS)] if i < 48 else rng.choice(ARRAYS)
        layer = rand_conv(rng, i) if rng.random() < 0.3 else rand_gemm(rng, i)
        layer = shrink(layer, df, rows, cols)
        cases.append({"group": "random", "layer": layer, "dataflow": df, "rows": rows,
                      "cols": cols, "sram_kb": BIG_SRAM})
    small = [1, 2, 3, 4, 8]
    for i in range(18):
        df = DATAFLOWS[i % 3]
        rows, cols = rng.choice([(4, 4), (8, 8), (8, 4), (4, 8), (16, 16), (2, 8)])
        if i % 4 == 3:
            layer = rand_conv(rng, i, ih_rng=(10, 20), c_hi=16, nf_hi=40, prefix="s")
        else:
            layer = (f"s{i}_gemm", rng.randint(20, 140), rng.randint(20, 140), rng.randint(20, 140))
        layer = shrink(layer, df, rows, cols)
        sram = (rng.choice(small), rng.choice(small), rng.choice(small))
        cases.append({"group": "small_sram", "layer": layer, "dataflow": df, "rows": rows,
                      "cols": cols, "sram_kb": sram})
    # Buffer edge cases: an operand of exactly / just under the read window (50 * floor(1024 *
    # KB / 100) words; 500 at 1 KB), OFMAP totals around the drain threshold (512 words at 1 KB),
    # and array widths that do not divide the drain size.
    edge = [
        ("os", 4, 4, ("e0_gemm_U_eq_cap", 20, 9, 25), (1, 64, 64)),
        ("os", 4, 4, ("e1_gemm_U_lt_cap", 20, 9, 24), (1, 64, 64)),
        ("is", 4, 4, ("e2_gemm_filter_eq_cap", 9, 20, 25), (64, 1, 64)),
        ("os", 4, 4, ("e3_gemm_ofmap_eq_D", 32, 16, 3), (64, 64, 1)),
        ("os", 4, 4, ("e4_gemm_ofmap_D_plus_1", 27, 19, 3), (64, 64, 1)),
        ("ws", 8, 3, ("e5_gemm", 70, 50, 20), (2, 1, 1)),
        ("os", 5, 7, ("e6_gemm", 90, 45, 30), (1, 2, 1)),
        ("is", 6, 12, ("e7_gemm", 60, 40, 30), (3, 1, 2)),
        ("ws", 3, 5, ("e8_conv", 12, 12, 3, 3, 4, 20, 1), (1, 1, 1)),
        ("os", 7, 6, ("e9_conv", 16, 15, 2, 3, 5, 21, 2), (1, 1, 1)),
        ("is", 5, 3, ("e10_conv", 11, 13, 4, 2, 3, 17, 3), (1, 2, 1)),
        ("os", 8, 8, ("e11_conv_1x1", 14, 14, 1, 1, 16, 20, 1), (2, 1, 1)),
    ]
    for df, r, c, layer, sram in edge:
        cases.append({"group": "edge", "layer": shrink(layer, df, r, c), "dataflow": df,
                      "rows": r, "cols": c, "sram_kb": sram})
    return cases + overflow_cases()


OVERFLOW_SEED = SEED + 1
OVERFLOW_ARRAYS = [(4, 4), (8, 8), (16, 16), (32, 32), (4, 16), (16, 4), (8, 32), (32, 8), (8, 12)]
OVERFLOW_LINES = 40_000
# (filter_h, filter_w, stride): overlapping windows with stride 1 and 2, then windows that do not overlap
OVERFLOW_WINDOWS = [(3, 3, 1), (3, 3, 2), (5, 5, 1), (5, 5, 2), (2, 2, 1), (4, 2, 2), (2, 2, 2), (1, 1, 1), (3, 3, 3)]


def operand_words(layer, dataflow, rows, cols):
    """Unique ifmap words the windows read, filter words and the OFMAP words SCALE-Sim writes to
    DRAM (partial sums per row fold in WS and IS), for 1-byte words."""
    if len(layer) == 4:
        _, m, n, k = layer
        ifmap, filt, out = m * k, k * n, m * n
    else:
        _, ih, iw, fh, fw, c, nf, s = layer
        e, g = math.ceil((ih - fh + s) / s), math.ceil((iw - fw + s) / s)
        used = [min(size, (o - 1) * s + f) if s <= f else (o - 1) * f + min(f, size - (o - 1) * s)
                for size, f, o in ((ih, fh, e), (iw, fw, g))]
        ifmap, filt, out = used[0] * used[1] * c, fh * fw * c * nf, e * g * nf
    s_r = spatial(layer, dataflow)[0]
    return ifmap, filt, out * (1 if dataflow == "os" else math.ceil(s_r / rows))


def min_kb(dataflow, rows, cols):
    """Smallest SRAMs (KB) whose active halves (512 one-byte words per KB) hold one tile, as
    hwmodels.systolic.SystolicArray requires."""
    tiles = {"os": (rows, cols, rows * cols), "ws": (rows, rows * cols, cols), "is": (rows * cols, rows, cols)}[dataflow]
    return [max(1, math.ceil(t / 512)) for t in tiles]


def overflow_sram(rng, layer, dataflow, rows, cols):
    """Each SRAM sized so that its operand is about 0.4 to 4 times the read window (50 sets of a
    100th of the buffer, ~512 words per KB) or, for the OFMAP, the drain size (512 words per KB)."""
    words = operand_words(layer, dataflow, rows, cols)
    ratios = [rng.choice([0.4, 0.8, 1.2, 2, 4]) for _ in words]
    return tuple(min(64, max(lo, round(w / (r * 512)))) for w, r, lo in zip(words, ratios, min_kb(dataflow, rows, cols)))


def overflow_cases():
    rng = random.Random(OVERFLOW_SEED)
    cases = []
    for i in range(40):
        df = DATAFLOWS[i % 3]
        rows, cols = rng.choice(OVERFLOW_ARRAYS)
        if i % 2:
            fh, fw, s = OVERFLOW_WINDOWS[(i // 2) % len(OVERFLOW_WINDOWS)]
            size = rng.randint(max(fh, fw) + 4, 24)
            layer = (f"o{i}_conv_{fh}x{fw}s{s}", size, size + rng.randint(-3, 3), fh, fw, rng.randint(1, 12),
                     rng.randint(4, 40), s)
        else:
            layer = (f"o{i}_gemm", rng.randint(8, 160), rng.randint(8, 160), rng.randint(8, 160))
        layer = shrink(layer, df, rows, cols, OVERFLOW_LINES)
        cases.append({"group": "overflow", "layer": layer, "dataflow": df, "rows": rows, "cols": cols,
                      "sram_kb": overflow_sram(rng, layer, df, rows, cols)})
    hand = [
        # OS filter: blocks of K x C words, 2 or 3 row folds, against a 500-word window (1 KB)
        ("os", 4, 4, ("o40_os_filter_block_100", 12, 37, 25), (64, 1, 64)),   # four blocks per window fill
        ("os", 4, 4, ("o41_os_filter_block_200", 8, 30, 50), (64, 1, 64)),    # two
        ("os", 4, 4, ("o42_os_filter_block_300", 9, 22, 75), (64, 1, 64)),    # one
        ("os", 4, 4, ("o43_os_filter_block_500", 8, 10, 125), (64, 1, 64)),   # as large as the window
        ("os", 8, 8, ("o44_os_filter_block_480", 20, 45, 60), (64, 3, 64)),   # 1500-word window
        ("ws", 4, 4, ("o45_ws_ifmap_600", 20, 9, 30), (1, 64, 64)),           # ifmap of 1.2 windows (500 words), 3 passes
        ("is", 4, 4, ("o46_is_filter_750", 10, 25, 30), (64, 1, 64)),         # filter of 1.5 windows, 3 passes
        # OFMAP against the drain size D = 512 words (1 KB)
        ("os", 4, 4, ("o47_ofmap_D_plus_2", 2, 257, 3), (64, 64, 1)),
        ("os", 8, 8, ("o48_ofmap_D_plus_2", 2, 257, 3), (64, 64, 1)),
        ("ws", 4, 4, ("o49_ofmap_3D", 48, 32, 3), (64, 64, 1)),
        ("ws", 8, 12, ("o50_ofmap_C_not_dividing_D", 60, 30, 10), (64, 64, 1)),
        ("os", 1, 512, ("o51_ofmap_D_eq_C", 4, 512, 1), (64, 64, 1)),
        ("ws", 1, 512, ("o52_ofmap_D_eq_C", 6, 512, 1), (64, 64, 1)),
        ("os", 1, 256, ("o53_ofmap_D_2C", 4, 256, 1), (64, 64, 1)),
        ("os", 1, 256, ("o54_ofmap_D_2C_Wo_eq_D", 2, 256, 1), (64, 64, 1)),
        # overlapping windows whose ifmap fits the window while the filter and OFMAP overflow
        ("os", 8, 8, ("o55_conv_3x3s1_fits", 12, 12, 3, 3, 4, 40, 1), (2, 1, 1)),
        ("ws", 8, 8, ("o56_conv_3x3s2_fits", 15, 15, 3, 3, 6, 32, 2), (4, 1, 1)),
        ("is", 8, 8, ("o57_conv_5x5s1_fits", 10, 10, 5, 5, 3, 30, 1), (1, 1, 1)),
        # windows that do not overlap: each pass reads each ifmap word once
        ("ws", 8, 8, ("o58_conv_2x2s2_overflow", 24, 24, 2, 2, 4, 16, 2), (2, 64, 64)),
        ("os", 8, 8, ("o59_conv_1x1_overflow", 16, 16, 1, 1, 8, 24, 1), (1, 64, 64)),
    ]
    for df, r, c, layer, sram in hand:
        cases.append({"group": "overflow", "layer": layer, "dataflow": df, "rows": r, "cols": c, "sram_kb": sram})
    return cases


def run_case(case):
    t0 = time.perf_counter()
    res = simulate_layer(case["layer"], case["rows"], case["cols"], case["dataflow"],
                         case["sram_kb"])
    res.pop("seconds", None)
    res.pop("peak_rss_mb", None)
    return {"group": case["group"], **res}, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(HERE / "scalesim_reference.json"))
    args = ap.parse_args()

    import numpy
    from importlib.metadata import version
    cases = build_cases()
    t0 = time.time()
    with multiprocessing.Pool(args.jobs) as pool:
        results = []
        for k, (res, sec) in enumerate(pool.imap(run_case, cases)):
            results.append(res)
            print(f"[{k + 1}/{len(cases)}] {res['group']} {res['name']} {res['dataflow']} "
                  f"{res['rows']}x{res['cols']}: {res['total_cycles']} cycles, {sec:.1f} s",
                  file=sys.stderr, flush=True)
    header = {
        "generator": "tests/data/make_scalesim_reference.py",
        "scalesim_version": version("scalesim"),
        "numpy_version": numpy.__version__,
        "python_version": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "seed": SEED,
        "bandwidth_mode": "CALC",
        "word_size_bytes": 1,
        "notes": [
            "Driven through SCALE-Sim's own classes in memory (scale_config, topologies, layouts, "
            "single_layer_sim), as scalesim.simulator.run does per layer; values are those "
            "simulator.generate_reports writes to COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and "
            "DETAILED_ACCESS_REPORT.csv (checked equal to the command-line run).",
            "GEMMs are fed through the conv topology as [M, K, 1, K, 1, N, 1] (ifmap M x K, "
            "filter 1 x K, 1 channel, N filters, stride 1), identical to the -i gemm reader.",
            "Conv ifmap dimensions include padding; SCALE-Sim's ofmap size is "
            "ceil((ifmap - filter + stride) / stride) per axis.",
            "Cycle fields are SCALE-Sim's (last-cycle indices; DRAM prefetch cycles negative).",
            "Offsets: ifmap 0, filter 10000000, ofmap 20000000; no sparsity; default layout.",
        ],
        "fields": {
            "inputs": ["group", "name", "kind", "M", "N", "K (gemm) | ifmap_h, ifmap_w, "
                       "filter_h, filter_w, channels, num_filters, stride (conv)", "rows", "cols",
                       "dataflow", "sram_kb{ifmap,filter,ofmap}", "bandwidth_mode"],
            "outputs": FIELDS,
        },
        "num_cases": len(results),
        "wall_seconds": round(time.time() - t0, 1),
    }
    out = pathlib.Path(args.out)
    with out.open("w") as f:
        f.write("{\n")
        for key, val in header.items():
            f.write(f"  {json.dumps(key)}: {json.dumps(val)},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(r, separators=(",", ":")) for r in results))
        f.write("\n  ]\n}\n")
    print(f"wrote {out} ({len(results)} cases, {out.stat().st_size // 1024} KB, "
          f"{time.time() - t0:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
