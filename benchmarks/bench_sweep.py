"""Sweep engine throughput: a cost-only sweep of about 10^4 points and an accuracy sweep of 500
points, on each backend.

* **cost-only**: 10 formats x 3 dataflows x 334 array sizes (10,020 points), each evaluated with
  the systolic-array model (a 256x256x256 GEMM), the MAC model and the storage model. Backends:
  ``serial`` (the anchor: one process, no scheduling), ``processes`` (joblib/loky, every core; the
  first call includes starting and importing in the workers, the second reuses them) and ``dask``
  (a LocalCluster started inside the timed call, as ``run_sweep`` does when given no scheduler,
  and an already running cluster passed as ``scheduler``, warm).
  Target: >= 2000 points/s with ``processes``; Dask within 1.5x of ``processes``.
* **accuracy**: 500 points (25 formats x 4 input distributions x 5 accumulators), each the error of
  a 256x256x256 GEMM through the datapath against float64 (:func:`experiments.tasks.gemm_error`),
  on ``processes``, in fresh workers and again in warm ones. Fresh workers load numsim's
  compiled kernels from Numba's disk cache when an earlier run left them there, else they compile
  them first (minutes on two cores): clear the cache (``__pycache__/*.nbi``, ``*.nbc`` under
  ``numsim/``) to time a first install.
The first run after a fresh install (empty kernel cache) is timed by ``bench_first_run.py``.

Usage::

    python benchmarks/bench_sweep.py [--workers N] [--skip-accuracy] [--skip-dask]
"""

from __future__ import annotations

import argparse
import os
import time

from experiments.engine import run_sweep
from experiments.spec import Evaluation, SweepSpec

FORMATS = ["e2m1", "e3m2", "e2m3", "e4m3", "e5m2", "int4", "int8", "mxfp4", "mxfp8", "nvfp4"]


def cost_spec() -> SweepSpec:
    return SweepSpec(
        "bench-cost", axes={"format": FORMATS, "dataflow": ["os", "ws", "is"], "rows": list(range(8, 8 + 334))},
        fixed={"accumulator": "fp32", "workload": "gemm(256, 256, 256)", "sram_kb": [4096, 4096, 2048]},
        evaluate=[Evaluation("cost", "systolic"), Evaluation("cost", "mac"), Evaluation("cost", "storage")])


def accuracy_spec() -> SweepSpec:
    formats = ["e2m1", "e2m3", "e3m2", "e4m3", "e5m2", "e3m4", "e4m2", "e2m2", "e3m3", "int4", "int5", "int6", "int7", "int8",
               "mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8", "mxfp8_e5m2", "mxint8", "nvfp4", "msfp12", "msfp16", "bf16", "fp16"]
    return SweepSpec(
        "bench-accuracy",
        axes={"format": formats, "distribution": ["gaussian", "laplace", "student_t", "channel_outliers"],
              "accumulator": ["fp32", "fp16", "bf16", "e5m7", "e8m10"]},
        fixed={"M": 256, "N": 256, "K": 256}, evaluate=[Evaluation("task", "gemm_error")])


def timed(spec: SweepSpec, backend: str, workers: int | None) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    df = run_sweep(spec, backend=backend, workers=workers, progress=False)
    return time.perf_counter() - t0, len(df), int(df["error"].notna().sum())


def report(label: str, seconds: float, n: int, errors: int, anchor: float | None = None) -> float:
    rate = n / seconds
    ratio = f"  {seconds / anchor:5.2f}x the time of serial" if anchor else ""
    print(f"  {label:34s} {n:6d} points  {seconds:7.2f} s  {rate:8.0f} points/s  ({errors} error rows){ratio}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    cores = os.cpu_count()
    print(f"cores: {cores}, workers: {args.workers or cores}")

    spec = cost_spec()
    print(f"cost-only sweep ({len(spec.points())} points: systolic + mac + storage)")
    serial = timed(spec, "serial", None)
    report("serial (anchor)", *serial)
    cold = timed(spec, "processes", args.workers)
    report("processes, cold workers", *cold, anchor=serial[0])
    warm = timed(spec, "processes", args.workers)
    report("processes, warm workers", *warm, anchor=serial[0])
    if not args.skip_dask:
        dask = timed(spec, "dask", args.workers)
        report("dask LocalCluster (incl. start)", *dask, anchor=serial[0])
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.workers or cores, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
            run_sweep(spec, backend="dask", scheduler=client, progress=False)          # warm the workers
            t0 = time.perf_counter()
            df = run_sweep(spec, backend="dask", scheduler=client, progress=False)
            running = (time.perf_counter() - t0, len(df), int(df["error"].notna().sum()))
        report("dask, running cluster (warm)", *running, anchor=serial[0])
        print(f"  dask / processes time: {dask[0] / cold[0]:.2f}x with cluster start vs cold workers, "
              f"{running[0] / warm[0]:.2f}x on a running cluster vs warm workers")

    if not args.skip_accuracy:
        spec = accuracy_spec()
        print(f"accuracy sweep ({len(spec.points())} points: 256x256x256 GEMM error each)")
        cold = timed(spec, "processes", args.workers)
        report("processes, fresh workers", *cold)
        warm = timed(spec, "processes", args.workers)
        report("processes, warm", *warm)
        print(f"  GEMM throughput: {warm[1] * 256 ** 3 / warm[0] / 1e6:.1f} M emulated MACs/s")


if __name__ == "__main__":
    main()
