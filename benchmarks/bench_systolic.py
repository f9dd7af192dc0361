"""Systolic-array model speed and agreement with SCALE-Sim on ResNet-50 and a Llama-3-8B block.

Layers: every convolution and the classifier of ResNet-50 (batch 1, 224x224), and the GEMMs of one
Llama-3-8B decoder layer in decode (batch 8, 2048 cached tokens; attention per KV head, instance
count dropped); each on a 128x128 array with 1-byte words, in every dataflow (os, ws, is).

Reported:

* ``cold``: layer evaluations per second with every cache cleared before each pass (the cost of a
  design point never seen);
* ``warm``: the same layers again (a sweep revisiting shapes);
* with SCALE-Sim 3.0.0 available (``pip install scalesim==3.0.0 "numpy<2"`` in a separate
  virtualenv and ``NUMSIM_SCALESIM_PYTHON`` pointing at its python; see
  ``benchmarks/scalesim_runner.py``): its wall time on the same layers (the first ``--scalesim``
  of them in the chosen dataflow; it takes seconds to minutes per layer) and the cycle and access
  agreement, layer by layer, and the speed ratio (anchor: SCALE-Sim, same run).

Usage::

    python benchmarks/bench_systolic.py [--scalesim 10] [--dataflow ws] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numsim
from hwmodels import mac as mac_module
from hwmodels import systolic
from hwmodels.systolic import SystolicArray
from hwmodels.workloads import Conv2d, Gemm, llama_decoder_layer, resnet50

BYTE_WORDS = numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32), out_format="int8")


def layers() -> list:
    """ResNet-50's convolutions (as SCALE-Sim reads them: the extent the windows use, rounding up)
    and classifier, then the Llama-3-8B decode GEMMs (one instance each)."""
    out = []
    for w in resnet50(1):
        if isinstance(w, Conv2d):
            h, wd = (w.ofmap_h - 1) * w.stride + w.filter_h, (w.ofmap_w - 1) * w.stride + w.filter_w
            out.append(Conv2d(h, wd, w.filter_h, w.filter_w, w.channels, w.num_filters, w.stride, name=w.name, ceil_mode=True))
        else:
            out.append(w.gemm())
    for w in llama_decoder_layer("llama-3-8b", batch=8, seq_len=2048, phase="decode"):
        if isinstance(w, Gemm):
            out.append(Gemm(w.M, w.N, w.K, name=w.name))
    return out


def scalesim_tuple(w) -> tuple:
    if isinstance(w, Conv2d):
        return (w.name, w.ifmap_h, w.ifmap_w, w.filter_h, w.filter_w, w.channels, w.num_filters, w.stride)
    return (w.name, w.M, w.N, w.K)


def clear_caches() -> None:
    systolic._gemm_on_array.cache_clear()
    mac_module._mac_cost.cache_clear()


def evaluate(arrays, work) -> None:
    for arr in arrays:
        for w in work:
            arr.run(w)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scalesim", type=int, default=10, help="layers to run through SCALE-Sim (0: none)")
    p.add_argument("--dataflow", default="ws", choices=["os", "ws", "is"], help="dataflow of the SCALE-Sim comparison")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)

    work = layers()
    arrays = [SystolicArray(128, 128, df, BYTE_WORDS, dram_bandwidth_gb_s=float("inf")) for df in ("os", "ws", "is")]
    n = len(work) * len(arrays)
    cold = warm = float("inf")
    for _ in range(args.repeat):
        clear_caches()
        t0 = time.perf_counter()
        evaluate(arrays, work)
        t1 = time.perf_counter()
        evaluate(arrays, work)
        t2 = time.perf_counter()
        cold, warm = min(cold, t1 - t0), min(warm, t2 - t1)
    print(f"{len(work)} layers x 3 dataflows on 128x128 = {n} evaluations")
    print(f"numsim cold: {n / cold:,.0f} evaluations/s ({cold / n * 1e6:.1f} us each)")
    print(f"numsim warm: {n / warm:,.0f} evaluations/s ({warm / n * 1e6:.2f} us each)")
    if args.scalesim <= 0:
        return

    import scalesim_runner

    try:
        exe = scalesim_runner.find_python()
    except RuntimeError as exc:
        print(f"SCALE-Sim comparison skipped: {exc}")
        return
    arr = arrays[("os", "ws", "is").index(args.dataflow)]
    chosen = work[: args.scalesim]
    ref = scalesim_runner.run_scalesim([scalesim_tuple(w) for w in chosen], 128, 128, args.dataflow, python=exe)
    same_cycles = same_access = 0
    ours_s = 0.0
    for w, r in zip(chosen, ref):
        clear_caches()
        t0 = time.perf_counter()
        mine = arr.run(w)
        ours_s += time.perf_counter() - t0
        cyc = mine.cycles == r["total_cycles"]
        acc = (mine.sram_reads["ifmap"], mine.sram_reads["filter"], mine.sram_writes["ofmap"]) == (
            r["sram_ifmap_reads"], r["sram_filter_reads"], r["sram_ofmap_writes"])
        same_cycles += cyc
        same_access += acc
        print(f"  {w.name:28s} cycles {mine.cycles:>10,} vs {r['total_cycles']:>10,} {'=' if cyc else '!'}"
              f"  SCALE-Sim {r['seconds']:8.2f} s, {r.get('peak_rss_mb', float('nan')):7.0f} MiB")
    theirs = sum(r["seconds"] for r in ref)
    print(f"SCALE-Sim 3.0.0 ({args.dataflow}): {len(ref)} layers in {theirs:.1f} s ({theirs / len(ref):.2f} s per layer)")
    print(f"numsim, same layers, caches cleared: {ours_s * 1e3:.2f} ms ({ours_s / len(ref) * 1e6:.0f} us per layer)")
    print(f"identical cycles: {same_cycles}/{len(ref)}; identical SRAM access counts: {same_access}/{len(ref)}")
    print(f"speed ratio (SCALE-Sim time / numsim time): {theirs / ours_s:,.0f}x")


if __name__ == "__main__":
    main()
