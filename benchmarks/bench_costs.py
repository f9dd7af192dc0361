"""Cost-model throughput: ``hwmodels.mac_cost`` over a sweep of mixed datapaths on one core.

The pool is every valid combination of 15 input formats (integers, minifloats, bf16 / fp16 /
fp32, MX, NVFP4), 5 multipliers (exact, L-Mul, Mitchell, DRUM-4, broken-array), 8 accumulators
(fp32, bf16, fp16, int32, a 24.8 fixed register, Kulisch, two tensor-core fused adders) and 4
orders (sequential, tree(4), pairwise, chunked(32)), each at 4 dot-product lengths; the sweep
draws ``--points`` (default 10^5) design points from it at random (a seeded generator). Reported:

* ``sweep``: evaluations per second over the whole sweep, cache cleared first (target >= 10^5/s);
* ``cold``: evaluations per second of distinct design points never seen before (every unit
  cache cleared): the cost of a miss;
* the anchor: the same distinct points through the model with its caches disabled (each call
  rebuilds every unit), in the same run.

Usage::

    python benchmarks/bench_costs.py [--points 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import numsim
from hwmodels import mac as mac_module
from hwmodels import mac_cost, units


def pool() -> list[tuple[numsim.Datapath, int]]:
    formats = ["int4", "int8", "uint8", "e2m1", "e2m3", "e3m2", "e4m3", "e5m2", "bf16", "fp16", "fp32", "mxfp8_e4m3", "mxint8", "mxfp4", "nvfp4"]
    multipliers = [numsim.Exact(), numsim.LMul(), numsim.Mitchell(), numsim.DRUM(4), numsim.Truncated(vbl=4)]
    accumulators = [
        numsim.FloatAccumulator("fp32"), numsim.FloatAccumulator("bf16"), numsim.FloatAccumulator("fp16"),
        numsim.FixedAccumulator(32, 0), numsim.FixedAccumulator(24, 8), numsim.Kulisch(),
        numsim.FusedMultiTerm(16, -10), numsim.FusedMultiTerm(4, 0),
    ]
    orders = ["sequential", numsim.tree(4), "pairwise", numsim.chunked(32)]
    out = []
    for f, m, a, o in itertools.product(formats, multipliers, accumulators, orders):
        try:
            dp = numsim.Datapath(f, multiplier=m, accumulator=a, order=o)
        except (ValueError, TypeError):
            continue
        out += [(dp, n) for n in (256, 1024, 4096, 4608)]
    return out


def clear() -> None:
    mac_module._mac_cost.cache_clear()
    for name in dir(units):
        fn = getattr(units, name)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    points = pool()
    print(f"pool: {len(points)} distinct design points ({time.perf_counter() - t0:.2f} s to build)")
    rng = np.random.default_rng(args.seed)
    sweep = [points[i] for i in rng.integers(0, len(points), args.points)]

    clear()
    t0 = time.perf_counter()
    for dp, n in points:
        mac_cost(dp, n_terms=n)
    cold = time.perf_counter() - t0

    clear()
    t0 = time.perf_counter()
    for dp, n in sweep:
        mac_cost(dp, n_terms=n)
    warm = time.perf_counter() - t0

    sample = points[:: max(len(points) // 2000, 1)]
    t0 = time.perf_counter()
    for dp, n in sample:
        clear()
        mac_cost(dp, n_terms=n)
    uncached = time.perf_counter() - t0

    cold_rate, sweep_rate, anchor_rate = len(points) / cold, len(sweep) / warm, len(sample) / uncached
    print(f"sweep : {len(sweep)} evaluations in {warm:.3f} s = {sweep_rate:,.0f} /s (target >= 100,000 /s)")
    print(f"cold  : {len(points)} distinct points in {cold:.3f} s = {cold_rate:,.0f} /s")
    print(f"anchor: caches disabled, {len(sample)} points in {uncached:.3f} s = {anchor_rate:,.0f} /s")
    print(f"ratios: sweep / uncached = {sweep_rate / anchor_rate:.0f}x, cold / uncached = {cold_rate / anchor_rate:.1f}x")


if __name__ == "__main__":
    main()
