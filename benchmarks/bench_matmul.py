"""Datapath matmul throughput against numpy float32 ``@`` (BLAS) in the same run.

Shapes M x N x K: 512 x 512 x 512 and 4096 x 4096 x 256 unless ``--shape`` says otherwise.
Cases:

a. e4m3 inputs, exact products, fp32 sequential accumulation (float32 fast path; target >= 0.1x
   BLAS throughput);
b. bf16 inputs, exact products, bf16 accumulation (tiled float64 kernel; target >= 3 G MAC/s);
   b2: the same with fp16 inputs and fp16 accumulation;
c. the H100 bf16 tensor core (FusedMultiTerm n=16, e=2, RZ; tiled kernel; target >= 1 G MAC/s);
   c2-c6: the H100 fp16, A100 bf16 and fp16, H100 e4m3 (n=32, 13-bit window) and B200 e4m3
   (c added after the block) tensor-core presets;
d. e4m3 L-Mul products with fp32 accumulation;
e. the exact step-by-step Fraction reference on an 8 x 8 x 32 case, against numsim on the same
   case, to show the speedup;
f. MXFP8 e4m3 inputs: exact block sums, E8M0 scales applied exactly, fp32 rounding of each block
   sum and fp32 accumulation (``--blocks`` times every MX format and NVFP4; target >= 1 G MAC/s).

Every case is checked bit for bit against a reference before it is timed: (a) and (d) against a
float32 loop in numpy over the products of ``numsim.mul`` (on a 64-row x 64-column corner when
M * N exceeds 512^2), the others against the exact reference on a 4 x 64 x 4 corner. Prints MAC/s
and the ratio to numpy float32 ``@`` (BLAS) timed in the same rounds. First-call (compile or
cache-load) time is reported per case.

Usage::

    python benchmarks/bench_matmul.py [--shape 512x512x512 --shape 4096x4096x256] [--repeat 5] [--cases b,c]
    python benchmarks/bench_matmul.py --blocks [--shapes 512x512x512,4096x4096x256] [--repeat 3] [--general]

``--blocks`` runs :func:`block_main` instead: the default datapaths of the block formats (exact
block sums, fp32 scaled sums, fp32 sequential accumulation), see its docstring.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np

import numsim
from numsim import Datapath, FloatAccumulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from timing import best_times  # noqa: E402


def _inputs(fmt, shape, rng, axis=-1):
    """Random values of ``fmt`` (block formats: blocked along ``axis``, the K axis)."""
    if isinstance(fmt, numsim.BlockFormat):
        return numsim.quantize(rng.standard_normal(shape), fmt, axis=axis)
    return numsim.quantize(rng.standard_normal(shape), fmt)


def _cases() -> dict:
    tc = numsim.tensor_core_datapath
    return {
        "a: e4m3, fp32 sequential": Datapath("e4m3"),
        "b: bf16, bf16 accumulation": Datapath("bf16", accumulator=FloatAccumulator("bf16")),
        "b2: fp16, fp16 accumulation": Datapath("fp16", accumulator=FloatAccumulator("fp16")),
        "c: bf16, H100 tensor core": tc("h100", "bf16"),
        "c2: fp16, H100 tensor core": tc("h100", "fp16"),
        "c3: bf16, A100 tensor core": tc("a100", "bf16"),
        "c4: fp16, A100 tensor core": tc("a100", "fp16"),
        "c5: e4m3, H100 tensor core": tc("h100", "e4m3"),
        "c6: e4m3, B200 tensor core": tc("b200", "e4m3"),
        "d: e4m3 L-Mul, fp32 acc": Datapath("e4m3", multiplier=numsim.LMul()),
        "f: mxfp8, exact blocks, fp32 acc": Datapath("mxfp8"),
    }


def _check(name, A, B, dp, dref) -> None:
    """The case against its reference, bit for bit (see the module docstring)."""
    if name[0] in "ad":  # float32 loop over the (exact, L-Mul: elementwise numsim.mul) products
        A, B = (A, B) if A.shape[0] * B.shape[1] <= 512**2 else (A[:64], B[:, :64])
        acc = np.zeros((A.shape[0], B.shape[1]), np.float32)
        for k in range(A.shape[1]):
            acc += numsim.mul(A[:, k : k + 1], B[k : k + 1, :], "float32", multiplier=dp.multiplier, a_format=dp.a_format, b_format=dp.b_format).astype(np.float32)
        assert np.array_equal(numsim.matmul(A, B, dp), acc), f"{name} differs from the float32 loop"
    elif dp.block_scaled:  # against the block reference on a corner, elements and scales from the codec
        small = numsim.matmul(A[:4, :64], B[:64, :4], dp)
        EA, XA = (np.asarray(numsim.decode(c, f), np.float64) for c, f in zip(numsim.encode(A[:4, :64], dp.a_format), (dp.a_element, dp.a_format.scale)))
        EB, XB = (np.asarray(numsim.decode(c, f), np.float64) for c, f in zip(numsim.encode(B[:64, :4], dp.b_format, axis=0), (dp.b_element, dp.b_format.scale)))
        assert np.array_equal(small, dref.block_matmul(EA, XA, EB, XB, dp)), f"{name} differs from the reference"
    else:
        small = numsim.matmul(A[:4, :64], B[:64, :4], dp)
        assert np.array_equal(small, dref.matmul(A[:4, :64], B[:64, :4], dp)), f"{name} differs from the reference"


def _shape(text: str) -> tuple[int, int, int]:
    m, n, k = (int(v) for v in text.lower().split("x"))
    return m, n, k


def run_shape(M: int, N: int, K: int, repeat: int, rng, only=None) -> None:
    """Check, then time the cases (those whose label, before the colon, is in ``only`` if given)
    on one shape; print the table."""
    import datapath_reference as dref  # the tests' exact reference

    data = {}
    first_call = {}
    for name, dp in _cases().items():
        if only and name.split(":")[0] not in only:
            continue
        A = _inputs(dp.a_format, (M, K), rng)
        B = _inputs(dp.b_format, (K, N), rng, axis=0)
        data[name] = (A, B, dp)
        t0 = time.perf_counter()
        numsim.matmul(A[:4, :64], B[:64, :4], dp)
        first_call[name] = time.perf_counter() - t0
        _check(name, A, B, dp, dref)
    X = rng.standard_normal((M, K)).astype(np.float32)
    Y = rng.standard_normal((K, N)).astype(np.float32)
    fns = [lambda: X @ Y] + [lambda A=A, B=B, dp=dp: numsim.matmul(A, B, dp) for A, B, dp in data.values()]
    times = best_times(fns, repeat)
    macs = M * N * K
    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, {M}x{N}x{K} (M x N x K) = {macs / 1e6:.0f} M MAC")
    print(f"{'case':32s} {'time (s)':>10s} {'M MAC/s':>10s} {'vs BLAS':>9s} {'first call (s)':>15s}")
    print(f"{'numpy float32 @ (BLAS)':32s} {times[0]:10.4f} {macs / times[0] / 1e6:10.0f} {1.0:9.3f}")
    for (name, _), t in zip(data.items(), times[1:]):
        print(f"{name:32s} {t:10.4f} {macs / t / 1e6:10.0f} {times[0] / t:9.4f} {first_call[name]:15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=_shape, action="append", help="M x N x K, e.g. 4096x4096x256 (repeatable)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", help="comma-separated case labels to time, e.g. b,c (default: all)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for M, N, K in args.shape or [(512, 512, 512), (4096, 4096, 256)]:
        run_shape(M, N, K, args.repeat, rng, args.cases.split(",") if args.cases else None)
    import datapath_reference as dref

    # (e) the exact reference against numsim on a small case
    dp = _cases()["b: bf16, bf16 accumulation"]
    A = _inputs(dp.a_format, (8, 32), rng)
    B = _inputs(dp.b_format, (32, 8), rng)
    t_ref, t_ours = best_times([lambda: dref.matmul(A, B, dp), lambda: numsim.matmul(A, B, dp)], 1)
    assert np.array_equal(dref.matmul(A, B, dp), numsim.matmul(A, B, dp))
    print(f"e: exact Fraction reference, 8x8x32 bf16 acc: {t_ref:.3f} s; numsim {t_ours * 1e3:.3f} ms; speedup {t_ref / t_ours:.0f}x")


BLOCK_CASES = ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "nvfp4")


def block_main() -> None:
    """Block-scaled datapaths ``Datapath(name)`` for the MX formats and NVFP4 (fast route:
    :mod:`numsim._kernels.block_gemm`) against numpy float32 ``@`` of the same shape, M x N x K.

    Inputs are values of the block format made before the timing (as case f does; ``matmul``
    itself re-encodes them to read elements and scales, which is timed). Before it is timed,
    each case is checked bit for bit: the fast route against the general per-block kernels
    (``numsim.block_gemm._FAST_ROUTE = False``, the code that ran these datapaths before the
    fast route) on the first 16 rows (``quantize_inputs=True``, so NVFP4's tensor scale may
    differ from the full matrix's), and against the exact Fraction reference on a 2 x 2 corner
    of two blocks. ``--general`` also times the general kernels on the full shape, once.
    """
    import numsim.block_gemm as bg
    from test_block_datapath import reference

    parser = argparse.ArgumentParser(description=block_main.__doc__.splitlines()[0])
    parser.add_argument("--blocks", action="store_true")
    parser.add_argument("--shapes", default="512x512x512,4096x4096x256", help="MxNxK, comma separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--general", action="store_true", help="also time the general kernels (slow: ~0.2 G MAC/s)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, best of {args.repeat} alternating repeats")
    for shape in args.shapes.split(","):
        M, N, K = (int(v) for v in shape.split("x"))
        macs = M * N * K
        data, first_call = {}, {}
        for name in BLOCK_CASES:
            dp = Datapath(name)
            A = _inputs(dp.a_format, (M, K), rng)
            B = _inputs(dp.b_format, (K, N), rng, axis=0)
            t0 = time.perf_counter()
            numsim.matmul(A[:2, :64], B[:64, :2], dp, quantize_inputs=True)
            first_call[name] = time.perf_counter() - t0
            rows = numsim.matmul(A[:16], B, dp, quantize_inputs=True)
            bg._FAST_ROUTE = False
            try:
                same = np.array_equal(rows.view(np.uint64), numsim.matmul(A[:16], B, dp, quantize_inputs=True).view(np.uint64))
            finally:
                bg._FAST_ROUTE = True
            assert same, f"{name}: the fast route differs from the general kernels"
            corner = numsim.matmul(A[:2, :64], B[:64, :2], dp, quantize_inputs=True)
            assert np.array_equal(corner.view(np.uint64), reference(A[:2, :64], B[:64, :2], dp).view(np.uint64)), f"{name} differs from the reference"
            data[name] = (A, B, dp)
        X = rng.standard_normal((M, K)).astype(np.float32)
        Y = rng.standard_normal((K, N)).astype(np.float32)
        fns = [lambda: X @ Y] + [lambda A=A, B=B, dp=dp: numsim.matmul(A, B, dp) for A, B, dp in data.values()]
        times = best_times(fns, args.repeat)
        general = {}
        if args.general:
            bg._FAST_ROUTE = False
            try:
                for name, (A, B, dp) in data.items():
                    t0 = time.perf_counter()
                    numsim.matmul(A, B, dp)
                    general[name] = time.perf_counter() - t0
            finally:
                bg._FAST_ROUTE = True
        print(f"\n{M}x{N}x{K} = {macs / 1e6:.0f} M MAC; checked: fast == general kernels (16 rows), == exact reference (2x2 corner)")
        print("| case | time (s) | G MAC/s | vs BLAS | general kernels (s) | G MAC/s | speedup | first call (s) |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| numpy float32 @ (BLAS) | {times[0]:.4f} | {macs / times[0] / 1e9:.1f} | 1 | | | | |")
        for (name, _), t in zip(data.items(), times[1:]):
            g = general.get(name)
            before = f"{g:.3f} | {macs / g / 1e9:.3f} | {g / t:.0f}x" if g else "| |"
            print(f"| {name} | {t:.4f} | {macs / t / 1e9:.2f} | {times[0] / t:.4f} | {before} | {first_call[name]:.2f} |")


if __name__ == "__main__":
    block_main() if "--blocks" in sys.argv[1:] else main()
