"""Block-format quantize throughput: numsim block formats against numsim's scalar quantize of the
same element format and against a plain NumPy implementation of OCP MX FLOOR scaling.

One run quantizes the same 4096 x 4096 float32 matrix (N(0,1) values) along its rows into MXFP8
(E4M3), MXFP4, NVFP4 and MXINT8, and reports elements per second (best of ``--repeat``; block
and scalar calls alternate, so a slow spell of the machine hits both):

* ``block``: ``numsim.quantize(x, fmt)``;
* ``scalar``: ``numsim.quantize(x, fmt.element, overflow="saturate")``: the element format alone,
  no scales (target: block >= 0.5x scalar);
* ``numpy``: a vectorised NumPy OCP MX FLOOR quantizer (block amax, E8M0 scale, element rounding to
  nearest-even with saturation), written from the OCP definition (target: numsim >= 5x). NVFP4
  uses the same NumPy structure with its E4M3 block scales and float32 tensor scale.

Both numsim paths write float32 values (NVFP4: float64, whose element x E4M3 x fp32 products
float32 cannot hold). The NumPy quantizers are checked against numsim for bit-exact agreement
before they are timed.

Usage::

    python benchmarks/bench_blocks.py [--rows 4096] [--cols 4096] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import numsim
from timing import best_times


def numpy_float_element(y: np.ndarray, man_bits: int, emin: int, vmax: float) -> np.ndarray:
    """Round float64 ``y`` to a float element format (nearest-even, subnormals, saturating)."""
    _, exp = np.frexp(np.abs(y))
    quantum = np.exp2(np.maximum(exp - 1, emin) - man_bits)
    return np.clip(np.rint(y / quantum) * quantum, -vmax, vmax)


def numpy_mx_floor(x: np.ndarray, element: numsim.FloatFormat | numsim.FixedFormat, k: int) -> np.ndarray:
    """OCP MX FLOOR quantization along the last axis in plain NumPy (blocks of ``k``)."""
    blocks = x.astype(np.float64).reshape(*x.shape[:-1], -1, k)
    amax = np.max(np.abs(blocks), axis=-1, keepdims=True)
    _, exp = np.frexp(amax)
    emax_elem = int(np.floor(np.log2(element.max)))
    e = np.where(amax > 0, exp - 1 - emax_elem, -127)
    scale = np.exp2(np.clip(e, -127, 127))
    y = blocks / scale
    if isinstance(element, numsim.FloatFormat):
        q = numpy_float_element(y, element.man_bits, element.emin, element.max)
    else:
        step = 2.0**-element.frac_bits
        q = np.clip(np.rint(y / step), element.min_int, element.max_int) * step
    return (q * scale).reshape(x.shape)


def numpy_nvfp4(x: np.ndarray) -> np.ndarray:
    """NVFP4 (E2M1 elements, blocks of 16, E4M3 block scales, float32 tensor scale) in NumPy."""
    e2m1, e4m3 = numsim.get_format("e2m1"), numsim.get_format("e4m3")
    blocks = x.astype(np.float64).reshape(*x.shape[:-1], -1, 16)
    amax_t = np.max(np.abs(blocks))
    s_t = float(np.float32(amax_t / (448 * 6))) if amax_t > 0 else 1.0
    b = np.clip(np.max(np.abs(blocks), axis=-1, keepdims=True) / (6 * s_t), e4m3.min_normal, e4m3.max)
    b = numpy_float_element(b, e4m3.man_bits, e4m3.emin, e4m3.max)
    q = numpy_float_element(blocks / (b * s_t), e2m1.man_bits, e2m1.emin, e2m1.max)
    return (q * b * s_t).reshape(x.shape)


CASES = {
    "mxfp8_e4m3": lambda x: numpy_mx_floor(x, numsim.get_format("e4m3"), 32),
    "mxfp4": lambda x: numpy_mx_floor(x, numsim.get_format("e2m1"), 32),
    "nvfp4": numpy_nvfp4,
    "mxint8": lambda x: numpy_mx_floor(x, numsim.get_format("fixed<8,6>"), 32),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--cols", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal((args.rows, args.cols)).astype(np.float32)
    n = x.size

    t0 = time.perf_counter()
    numsim.quantize(x[:4, :64], "mxfp4", dtype=np.float32)
    first_call = time.perf_counter() - t0

    rows = []
    for name, numpy_quantize in CASES.items():
        fmt = numsim.get_format(name)
        dtype = np.float64 if name == "nvfp4" else np.float32
        agree = np.array_equal(numpy_quantize(x[:256]), numsim.quantize(x[:256], fmt))
        t_block, t_scalar = best_times([lambda: numsim.quantize(x, fmt, dtype=dtype),
                                        lambda: numsim.quantize(x, fmt.element, overflow="saturate", dtype=dtype)], args.repeat)
        t_numpy = best_times([lambda: numpy_quantize(x)], max(1, args.repeat // 2))[0]
        rows.append((name, t_block, t_scalar, t_numpy, agree))

    rate = lambda seconds: n / seconds / 1e6  # noqa: E731
    print(f"numsim {numsim.__version__}, numpy {np.__version__}, numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads, "
          f"{args.rows}x{args.cols} float32 N(0,1), blocks along rows; first block quantize call {first_call:.2f} s")
    print("\nM elements/s; ratios are block / scalar and block / numpy")
    print("| format | block | scalar | block/scalar | numpy | block/numpy | numpy agrees |")
    print("|" + "---|" * 7)
    for name, t_block, t_scalar, t_numpy, agree in rows:
        print(f"| {name} | {rate(t_block):.0f} | {rate(t_scalar):.0f} | {t_scalar / t_block:.2f} | {rate(t_numpy):.1f} | {t_numpy / t_block:.1f} | {agree} |")


if __name__ == "__main__":
    main()
