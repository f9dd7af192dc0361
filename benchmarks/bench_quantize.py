"""Codec throughput of numsim against ml_dtypes ``astype`` (and NumPy for float16).

One run times, on the same float32 inputs (10 M standard-normal values by default), for each of
float8_e4m3fn, float8_e5m2, float4_e2m1fn, bfloat16 and float16:

* encode: numsim.encode(x, fmt) vs x.astype(ml_dtype)
* decode: numsim.decode(codes, fmt, dtype=float32) vs y.astype(float32)
* quantize round trip: numsim.quantize(x, fmt, dtype=float32) vs x.astype(ml_dtype).astype(float32)

then the round trip of every 4/6/8-bit format on five input distributions (N(0,1), N(0,40^2) where
most values overflow FP4/FP6, 10% NaN/Inf, values within 4 binades above the format's smallest
subnormal, all zeros), float64 inputs, and every rounding mode on N(0,1) (no anchor).

Rates are elements per second (best of ``--repeat``); ratios are numsim / anchor (> 1: numsim is
faster). numsim runs on all Numba threads and, for a per-core comparison, on one thread; ml_dtypes
and NumPy casts are single-threaded. First-call times are measured in fresh processes: with the
on-disk kernel cache disabled (compilation) and with a warm cache (loading).

Usage::

    python benchmarks/bench_quantize.py [--n 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import ml_dtypes
import numba
import numpy as np

import numsim
from numsim._exact_inputs import exact_array
from numsim._lower import codec as lowered
from numsim._random_bits import stochastic_args
from timing import best_time, best_times

FORMATS = {
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "float8_e5m2": ml_dtypes.float8_e5m2,
    "float4_e2m1fn": ml_dtypes.float4_e2m1fn,
    "bfloat16": ml_dtypes.bfloat16,
    "float16": np.float16,
}

SMALL_FORMATS = {
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "float8_e5m2": ml_dtypes.float8_e5m2,
    "float6_e3m2fn": ml_dtypes.float6_e3m2fn,
    "float6_e2m3fn": ml_dtypes.float6_e2m3fn,
    "float4_e2m1fn": ml_dtypes.float4_e2m1fn,
}

FIRST_CALL = """
import time, numpy as np
t0 = time.perf_counter(); import numsim; t_import = time.perf_counter() - t0
x = np.linspace(-3, 3, 1000, dtype=np.float32)
t0 = time.perf_counter(); numsim.quantize(x, "e4m3", dtype=np.float32); t_q = time.perf_counter() - t0
t0 = time.perf_counter(); c = numsim.encode(x, "e4m3"); t_e = time.perf_counter() - t0
t0 = time.perf_counter(); numsim.decode(c, "e4m3"); t_d = time.perf_counter() - t0
t0 = time.perf_counter(); numsim.quantize(x.astype(np.float64), "e4m3", "toward_zero"); t_g = time.perf_counter() - t0
print(t_import, t_q, t_e, t_d, t_g)
"""


def first_call_times(cache: bool) -> list[float]:
    env = dict(os.environ, NUMSIM_JIT_CACHE="1" if cache else "0")
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, check=True)
    return [float(v) for v in out.stdout.split()]


def measure(x: np.ndarray, repeat: int) -> list[dict]:
    rows = []
    for name, dtype in FORMATS.items():
        fmt = numsim.get_format(name)
        with np.errstate(all="ignore"):
            y = x.astype(dtype)
        codes = numsim.encode(x, fmt)
        row = {"format": name}
        with np.errstate(all="ignore"):
            row["anchor encode"] = best_time(lambda: x.astype(dtype), repeat)
            row["anchor decode"] = best_time(lambda: y.astype(np.float32), repeat)
            row["anchor round trip"] = best_time(lambda: x.astype(dtype).astype(np.float32), repeat)
        for threads in (numba.config.NUMBA_NUM_THREADS, 1):
            numba.set_num_threads(threads)
            tag = "" if threads > 1 else " 1T"
            row["numsim encode" + tag] = best_time(lambda: numsim.encode(x, fmt), repeat)
            row["numsim decode" + tag] = best_time(lambda: numsim.decode(codes, fmt, dtype=np.float32), repeat)
            row["numsim quantize" + tag] = best_time(lambda: numsim.quantize(x, fmt, dtype=np.float32), repeat)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        rows.append(row)
    return rows


def distributions(n: int, fmt, rng) -> dict[str, np.ndarray]:
    """float32 inputs: N(0,1), N(0,40^2), N(0,1) with 5% NaN and 5% +-Inf, |x| log-uniform over the
    4 binades above the format's smallest subnormal (random signs), zeros."""
    special = rng.standard_normal(n)
    u = rng.random(n)
    special[u < 0.05] = np.nan
    special[(u >= 0.05) & (u < 0.1)] = np.copysign(np.inf, special[(u >= 0.05) & (u < 0.1)])
    tiny = fmt.min_subnormal * 2.0 ** rng.uniform(0, 4, n) * rng.choice([-1.0, 1.0], n)
    return {
        "N(0,1)": rng.standard_normal(n).astype(np.float32),
        "N(0,40^2)": (40 * rng.standard_normal(n)).astype(np.float32),
        "10% NaN/Inf": special.astype(np.float32),
        "near min subnormal": tiny.astype(np.float32),
        "zeros": np.zeros(n, np.float32),
    }


def measure_distributions(n: int, repeat: int) -> list[tuple[str, str, float, float]]:
    """``(format, distribution, numsim seconds, ml_dtypes seconds)`` of the round trip, timed in turns."""
    rng = np.random.default_rng(1)
    rows = []
    for name, dtype in SMALL_FORMATS.items():
        fmt = numsim.get_format(name)
        for label, x in distributions(n, fmt, rng).items():
            with np.errstate(all="ignore"):
                ours, anchor = best_times([lambda: numsim.quantize(x, fmt, dtype=np.float32, nan_policy="zero"), lambda: x.astype(dtype).astype(np.float32)], repeat)
            rows.append((name, label, ours, anchor))
    return rows


def measure_other(x: np.ndarray, repeat: int) -> list[tuple[str, str, float, float | None]]:
    """float64 inputs (anchor: ml_dtypes' float64 cast, which double-rounds through float32), and
    every rounding mode with all threads and one (anchor: numsim's general element-by-element
    kernel, which ran every mode but nearest-even before the vectorised kernel, on all threads)."""
    x64 = x.astype(np.float64)
    rows = []
    for name in ("float8_e4m3fn", "bfloat16"):
        dtype = FORMATS[name]
        with np.errstate(all="ignore"):
            anchor = best_time(lambda: x64.astype(dtype).astype(np.float64), repeat)
        rows.append((name, "quantize float64, nearest_even", best_time(lambda: numsim.quantize(x64, name), repeat), anchor))
    fmt, arr = numsim.get_format("e4m3"), exact_array(x)
    modes = []
    for mode in numsim.Rounding:
        for threads in (numba.config.NUMBA_NUM_THREADS, 1):
            numba.set_num_threads(threads)
            modes.append((mode, threads, best_time(lambda: numsim.quantize(x, fmt, mode, dtype=np.float32, seed=0), repeat)))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    general = {}  # timed after the vectorised kernel: the general kernel is a parfor, whose OpenMP threads spin on after it
    for mode in numsim.Rounding:
        key, nbits, explicit = stochastic_args(mode, 0, 32, None, x.size)
        general[mode] = best_time(lambda: lowered.quantize(arr, fmt, np.dtype(np.float32), mode, fmt.default_overflow, key, nbits, explicit, False, fast=False), repeat)
    for mode, threads, seconds in modes:
        rows.append((fmt.name, f"quantize float32, {mode.value}{'' if threads > 1 else ', 1 thread'}", seconds, general[mode]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="number of float32 inputs")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (best is kept)")
    args = parser.parse_args()

    cold = first_call_times(cache=False)
    warm = first_call_times(cache=True)
    x = np.random.default_rng(0).standard_normal(args.n).astype(np.float32)
    rows = measure(x, args.repeat)
    spread = measure_distributions(args.n, args.repeat)
    other = measure_other(x, args.repeat)
    rate = lambda seconds: args.n / seconds / 1e6  # noqa: E731  (M elements / s)

    print(f"numsim {numsim.__version__}, ml_dtypes {ml_dtypes.__version__}, numpy {np.__version__}, numba {numba.__version__}, "
          f"{numba.config.NUMBA_NUM_THREADS} Numba threads, {os.cpu_count()} CPUs, n = {args.n:,} float32 N(0,1) inputs")
    print("\nFirst call in a fresh process (s): import, quantize f32->e4m3, encode, decode, quantize f64->e4m3 toward_zero")
    print(f"  cache off (compile): {'  '.join(f'{t:.2f}' for t in cold)}")
    print(f"  cache on  (load)   : {'  '.join(f'{t:.2f}' for t in warm)}")
    print("\nThroughput in M elements/s; ratio = numsim / anchor (anchor: ml_dtypes astype, NumPy for float16)")
    header = "| format | op | anchor | numsim | ratio | numsim 1 thread | ratio 1T |"
    print(header)
    print("|" + "---|" * 7)
    for row in rows:
        for op, anchor in (("encode", "anchor encode"), ("decode", "anchor decode"), ("quantize", "anchor round trip")):
            a, n, n1 = row[anchor], row[f"numsim {op}"], row[f"numsim {op} 1T"]
            print(f"| {row['format']} | {op} | {rate(a):.0f} | {rate(n):.0f} | {a / n:.2f} | {rate(n1):.0f} | {a / n1:.2f} |")

    print("\nRound trip (quantize, float32 out) by input distribution, M elements/s; ratio = numsim / ml_dtypes")
    print("| format | distribution | ml_dtypes | numsim | ratio |")
    print("|" + "---|" * 5)
    for name, label, seconds, anchor in spread:
        print(f"| {name} | {label} | {rate(anchor):.0f} | {rate(seconds):.0f} | {anchor / seconds:.2f} |")

    print("\nfloat64 inputs (anchor: ml_dtypes), and every rounding mode (anchor: numsim's general kernel), M elements/s")
    print("| format | operation | numsim | anchor | ratio |")
    print("|" + "---|" * 5)
    for name, what, seconds, anchor in other:
        a = f"{rate(anchor):.0f} | {anchor / seconds:.2f}" if anchor else "- | -"
        print(f"| {name} | {what} | {rate(seconds):.0f} | {a} |")


if __name__ == "__main__":
    main()
