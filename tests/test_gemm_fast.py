"""The tiled GEMM kernels (numsim/_kernels/gemm_float.py, gemm_fused.py) against the general
datapath kernel bit for bit, and against the exact step-by-step reference on small cases: which
datapaths the dispatcher sends to them (and refuses just beyond each exactness argument), awkward
values, tile edges, batches, C, and 1 versus 2 Numba threads."""

from __future__ import annotations

import doctest
import zlib

import numba
import numpy as np
import pytest

import datapath_reference as dref
import numsim
from numsim import Datapath, FloatAccumulator, FloatFormat, FusedMultiTerm, Tree
from numsim._kernels import gemm_float, gemm_fused
from numsim._lower import datapath as lowered
from test_datapath import assert_same, random_values

ROWS, COLS = gemm_float.ROW_BLOCK, gemm_float.COL_BLOCK
BF16_ACC = Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16"))
FP16_ACC = Datapath("float16", accumulator=FloatAccumulator("float16"))
FLOAT_DPS = [
    BF16_ACC,
    FP16_ACC,
    Datapath("e4m3", accumulator=FloatAccumulator("bfloat16"), out_format="float32"),
    Datapath("e5m2", accumulator=FloatAccumulator("e4m3")),  # fn accumulator: overflow is NaN, no infinity
    Datapath("float16", accumulator=FloatAccumulator("bfloat16", overflow="saturate"), out_format="float16"),
    Datapath("bfloat16", accumulator=FloatAccumulator("e5m7"), out_format="e4m3"),
    Datapath("int8", accumulator=FloatAccumulator("bfloat16")),  # integer products: exact, up to 2^14
    Datapath("int4", "int8", accumulator=FloatAccumulator("e8m10")),
    Datapath("fixed<8,6>", accumulator=FloatAccumulator("float16"), out_format="float32"),
    Datapath("int16", accumulator=FloatAccumulator("float16")),  # 30-bit products: float64 tiles, overflow to Inf
    Datapath("uint8", "e4m3", accumulator=FloatAccumulator("bfloat16")),
    # approximate multipliers: the general kernel's products, accumulated in the tiles
    Datapath("bfloat16", multiplier="lmul(3)", accumulator=FloatAccumulator("bfloat16")),
    Datapath("bfloat16", multiplier="lmul(4)", accumulator=FloatAccumulator("e8m10")),
    Datapath("float16", multiplier="mitchell", accumulator=FloatAccumulator("float16", overflow="saturate")),
    Datapath("e4m3", multiplier="lmul", accumulator=FloatAccumulator("bfloat16")),  # 8-bit operands: the product table
    Datapath("int8", multiplier="drum(4)", accumulator=FloatAccumulator("bfloat16")),
    Datapath("int16", multiplier="truncated(vbl=6)", accumulator=FloatAccumulator("float16")),
]
TENSOR_CORES = [
    numsim.tensor_core_datapath(gpu, fmt, out_format=out)
    for gpu, fmt, out in [
        ("h100", "bf16", "float32"), ("h100", "fp16", "float32"), ("h100", "fp16", "float16"), ("h100", "e4m3", "float32"),
        ("a100", "fp16", "float32"), ("a100", "bf16", "float32"), ("a100", "fp16", "float16"), ("ada", "e5m2", "float32"),
        ("v100", "fp16", "float32"), ("v100", "fp16", "float16"), ("b200", "e4m3", "float32"), ("b200", "bf16", "float32"),
    ]
]
FUSED_DPS = TENSOR_CORES + [
    Datapath("float16", accumulator=FusedMultiTerm(8, 1, rounding="nearest_even", alignment="nearest_even")),
    Datapath("bfloat16", accumulator=FusedMultiTerm(4, 0, frac_bits=10), c_format="float32"),
    Datapath("e4m3", "e5m2", accumulator=FusedMultiTerm(5, 3, anchor_min=-10)),
]


@pytest.fixture(params=["any", "float64"])
def tiles(request, monkeypatch):
    """``any``: the dispatcher picks float32 tiles where it may; ``float64``: float64 tiles only."""
    if request.param == "float64":
        monkeypatch.setattr(lowered, "_float32_tiles", lambda dp, A, B: False)
    return request.param


def _seed(*parts) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(parts).encode()))


def _fast_and_general(A, B, dp, C=None, route=None):
    """``(fast, general)`` results of ``numsim.matmul``; asserts the fast route was chosen."""
    assert lowered._route(dp) == (route or _expected_route(dp)), dp.name
    fast = numsim.matmul(A, B, dp, C)
    lowered._TILED = False
    try:
        assert lowered._route(dp) == lowered.GENERAL
        general = numsim.matmul(A, B, dp, C)
    finally:
        lowered._TILED = True
    return fast, general


def _expected_route(dp):
    return lowered.FLOAT_TILES if isinstance(dp.accumulator, FloatAccumulator) else lowered.FUSED_TILES


def assert_fast_is_general(A, B, dp, C=None, context="", route=None):
    fast, general = _fast_and_general(A, B, dp, C, route)
    assert_same(fast, general, f"{dp.name} {context}")
    return fast


# ---- routes --------------------------------------------------------------------------------------


def test_benchmark_cases_take_the_tiled_kernels():
    """bench_matmul's cases (b) and (c) and the other tensor-core presets run the tiled kernels."""
    assert lowered._route(BF16_ACC) == lowered.FLOAT_TILES
    assert lowered._route(FP16_ACC) == lowered.FLOAT_TILES
    for dp in TENSOR_CORES:
        assert lowered._route(dp) == lowered.FUSED_TILES, dp.name


@pytest.mark.parametrize(
    "dp",
    [
        Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16", "toward_zero")),
        Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16", "stochastic")),
        Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16"), order=Tree(4)),
        Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16"), product_format="bfloat16"),
        Datapath("e4m3", accumulator=FloatAccumulator("bfloat16"), multiplier=numsim.LMul(), product_format="e4m3"),
        Datapath("e4m3", accumulator=FloatAccumulator(FloatFormat(11, 4))),  # emin - 53 below float64's normal range
        numsim.tensor_core_datapath("h100", "e4m3", fast_accum=False),  # chunked order
        Datapath("float16", accumulator=FusedMultiTerm(8, 1, anchor="normalized")),
        Datapath("float16", accumulator=FusedMultiTerm(8, 1, rounding="toward_positive")),
        Datapath("e4m3", product_format="e4m3", accumulator=FusedMultiTerm(4, 1)),
        Datapath("float16", accumulator=FusedMultiTerm(16, 24)),  # W + 2 + log2(17) = 54 > 53
        Datapath("float16", accumulator=FusedMultiTerm(4, 1, fmt=FloatFormat(5, 26), c_placement="after")),  # 27 bits after
    ],
    ids=lambda d: d.name,
)
def test_the_general_kernel_keeps_what_the_arguments_do_not_cover(dp):
    assert lowered._route(dp) == lowered.GENERAL


def test_route_boundaries():
    """Each dispatcher condition at its last admitted case (the refused neighbour is above)."""
    assert lowered._route(Datapath("e4m3", accumulator=FloatAccumulator(FloatFormat(10, 4)))) == lowered.FLOAT_TILES
    assert lowered._route(Datapath("int27", "int28", accumulator=FloatAccumulator("bfloat16"))) == lowered.FLOAT_TILES  # 26 + 27 = 53 bits (Datapath refuses more)
    assert lowered._route(Datapath("float16", accumulator=FusedMultiTerm(16, 23))) == lowered.FUSED_TILES  # W = 46: 46 + 2 + 5 = 53
    assert lowered._route(Datapath("float16", accumulator=FusedMultiTerm(4, 1, fmt=FloatFormat(5, 25), c_placement="after"))) == lowered.FUSED_TILES
    assert lowered.genuine_ties(28, 24) and not lowered.genuine_ties(29, 24)  # max(q, t) + t + 1 = 53, 54
    assert lowered.genuine_ties(16, 8) and lowered.genuine_ties(22, 11)  # bf16 and fp16 accumulation


def test_kernel_docstring_examples():
    for module in (gemm_float, gemm_fused):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# ---- float accumulation --------------------------------------------------------------------------


@pytest.mark.parametrize("dp", FLOAT_DPS, ids=lambda d: d.name)
def test_float_tiles_equal_the_general_kernel_on_random_values(dp, tiles):
    rng = _seed("float", dp.name)
    A = random_values(dp.a_format, (2, ROWS + 1, 70), rng)
    B = random_values(dp.b_format, (2, 70, COLS + 3), rng)
    A[0, 0, :] = np.minimum(np.abs(A[0, 0, :]), dp.a_format.max)  # long same-sign runs overflow narrow accumulators
    B[0, :, :5] = np.minimum(np.abs(B[0, :, :5]), dp.b_format.max)  # (two's complement: |min| is not a value)
    C = random_values(dp.c_format, (ROWS + 1, COLS + 3), rng, zero_fraction=0.3)
    assert_fast_is_general(A, B, dp)
    assert_fast_is_general(A, B, dp, C, "with C")


@pytest.mark.parametrize("dp", [BF16_ACC, FP16_ACC], ids=lambda d: d.name)
def test_float_tiles_on_awkward_values(dp, tiles):
    """Cancellation to signed zeros, overflow to infinity, NaN and infinite inputs, subnormal
    sums, exact ties, and scales at both ends of the format (bf16: float64 tiles, since products
    reach 2^128; float32 tiles in the next test)."""
    rng = _seed("awkward", dp.name)
    f = dp.a_format
    K = 40
    A = random_values(f, (12, K), rng)
    B = random_values(f, (K, 11), rng)
    A[0] = 1.0
    B[:, 0] = np.resize([1.0, -1.0], K)  # exact cancellation: +0
    A[1] = -0.0
    B[:, 1] = 0.0  # -0 * 0 sums: the sign of zero
    A[2] = numsim.quantize(f.max / 4, f)
    B[:, 2] = 4.0  # overflow to infinity
    A[3, 5], A[4, 7], B[9, 3] = np.nan, np.inf, -np.inf
    A[5] = f.min_normal * 2.0 ** 3
    B[:, 4] = np.resize([2.0**-4, -(2.0**-5)], K)  # sums in the subnormal range
    A[6] = 1.0
    B[:, 5] = np.resize([1.0, 2.0**-f.man_bits / 2], K)  # 1 + half an ulp: ties to even
    B[:, 6] = np.resize([1.0, 3 * 2.0 ** (-f.man_bits - 1)], K)  # ties away from even
    A[7] = f.min_subnormal
    A[8] = numsim.quantize(np.sqrt(f.max), f)
    A[9] = 0.0
    C = random_values(dp.c_format, (12, 11), rng, zero_fraction=0.3)
    C[0, 0], C[1, 1] = -0.0, -0.0
    C[10, 10], C[11, 10] = np.inf, np.nan
    assert_fast_is_general(A, B, dp, C)


@pytest.mark.parametrize("c, expected", [(2.0**-100, 1.2578125), (-(2.0**-100), 1.25), (2.0**-53, 1.2578125), (2.0**-52, 1.2578125), (0.0, 1.25)])
def test_a_product_on_a_midpoint_plus_a_tiny_sum(c, expected, tiles):
    """The one case where a float64 sum lands inexactly on a bf16 midpoint: the product 3 * 107/256
    = 321/256 is the midpoint of 1.25 and 1.2578125, and C is below 2^-52 of it (2^-52 itself
    gives an exact float64 sum); each is checked against the exact reference."""
    A, B, C = np.array([[3.0]]), np.array([[107 / 256]]), np.array([[c]])
    dp = Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16"))
    ours = assert_fast_is_general(A, B, dp, C)
    assert_same(ours, dref.matmul(A, B, dp, C), "reference")
    assert ours[0, 0] == expected


@pytest.mark.parametrize("dp", [d for d in FLOAT_DPS if not isinstance(d.a_format, FloatFormat) and d.multiplier.name == "exact"], ids=lambda d: d.name)
def test_integer_operands_against_the_reference(dp, tiles):
    """Integer and fixed-point products in the float tiles, against the exact step-by-step
    reference: extreme codes (two's complement minimum included) in long same-sign runs."""
    rng = _seed("integer", dp.name)
    A = random_values(dp.a_format, (3, 24), rng)
    B = random_values(dp.b_format, (24, 4), rng)
    A[0], B[:, 0] = dp.a_format.min, dp.b_format.min
    A[1], B[:, 1] = dp.a_format.max, np.resize([dp.b_format.max, dp.b_format.min], 24)
    C = random_values(dp.c_format, (3, 4), rng, zero_fraction=0.3)
    assert_same(assert_fast_is_general(A, B, dp, C), dref.matmul(A, B, dp, C), "reference")


def test_bf16_awkward_values_in_float32_tiles(tiles):
    """Overflowing sums (products up to 2^127), sums into bf16's subnormal range (products down to
    2^-149 in their last bit), cancellation, ties and specials, with float32 tiles."""
    rng = _seed("float32 tiles")
    dp = BF16_ACC
    A = numsim.quantize(rng.standard_normal((10, 40)), "bfloat16")
    B = numsim.quantize(rng.standard_normal((40, 9)), "bfloat16")
    A[0], B[:, 0] = 2.0**63, 2.0**64  # running sums overflow to infinity
    A[1], B[:, 1] = -(2.0**63), np.resize([2.0**64, -(2.0**64), 2.0**64], 40)
    A[2], B[:, 2] = 2.0**-67, np.resize([2.0**-68, -(2.0**-67), 3 * 2.0**-68], 40)  # bf16 subnormal sums
    A[3], B[:, 3] = 1.0, np.resize([1.0, 2.0**-8, -(2.0**-8), 3 * 2.0**-9], 40)  # ties
    A[4, 3], A[5, 4], B[7, 5] = np.nan, np.inf, -np.inf
    assert lowered._float32_tiles(dp, A, B) == (tiles == "any")
    C = numsim.quantize(rng.standard_normal((10, 9)), "bfloat16")
    C[0, 0], C[9, 8] = -0.0, 2.0**110  # the last float32 sums of the fast path (see _consts32)
    assert_fast_is_general(A, B, dp, C)


def test_float32_tile_boundaries():
    """The dispatcher's data check for bf16 products in float32: last bits down to 2^-149 and
    magnitudes below 2^128 are admitted, one step beyond is not."""
    dp = BF16_ACC
    one = np.ones((2, 2))
    assert lowered._float32_tiles(dp, one * 2.0**-67, one * 2.0**-68)  # last bit 2^(-67-7-68-7) = 2^-149
    assert not lowered._float32_tiles(dp, one * 2.0**-67, one * 2.0**-69)
    assert lowered._float32_tiles(dp, one * 255 * 2.0**56, one * 2.0**64)  # 255 * 2^120 < 2^128
    assert not lowered._float32_tiles(dp, one * 2.0**64, one * 2.0**64)
    assert lowered._float32_tiles(dp, one * 0.0, one * np.inf)  # no finite nonzero product
    assert lowered._float32_tiles(FP16_ACC, one, one)  # fp16 products always fit
    assert not lowered._float32_tiles(Datapath("float16", accumulator=FloatAccumulator(FloatFormat(5, 23))), one, one)  # 23 fraction bits: midpoints need 25
    assert lowered._float32_tiles(Datapath("float16", accumulator=FloatAccumulator(FloatFormat(6, 22))), one, one)


def test_without_the_bit_bound_every_midpoint_is_redone():
    """An accumulator of 24 bits with 29-bit products (max(q, t) + t + 1 = 54): the kernel then
    sends every midpoint to the general addition, and still agrees with it."""
    rng = _seed("no bound")
    dp = Datapath(FloatFormat(5, 13), FloatFormat(5, 14), accumulator=FloatAccumulator(FloatFormat(8, 23), overflow="saturate"), out_format="float32")
    assert not lowered.genuine_ties(29, 24)
    A = numsim.quantize(rng.standard_normal((9, 60)), dp.a_format)
    B = numsim.quantize(rng.standard_normal((60, 5)), dp.b_format)
    A[:, ::3] = 1.0
    assert_fast_is_general(A, B, dp)


@pytest.mark.parametrize("dp", [
    Datapath("e4m3", accumulator=FloatAccumulator(FloatFormat(10, 4)), out_format="float32"),  # emin - 53 = -564
    Datapath("float16", accumulator=FusedMultiTerm(16, 23)),  # W = 46: sums of 17 terms below 2^53
    Datapath("float16", accumulator=FusedMultiTerm(4, 1, fmt=FloatFormat(5, 25), c_placement="after")),  # 26 bits after
], ids=lambda d: d.name)
def test_the_last_admitted_cases_equal_the_general_kernel(dp):
    rng = _seed("boundary", dp.name)
    A = random_values(dp.a_format, (9, 80), rng)
    B = random_values(dp.b_format, (80, 9), rng)
    A[:, 1::2] = numsim.quantize(A[:, 1::2] * 2.0**-8, dp.a_format)  # products of very different sizes
    A[0] = numsim.quantize(dp.a_format.max, dp.a_format)
    B[:, 0] = numsim.quantize(dp.b_format.max, dp.b_format)  # the largest aligned terms
    assert_fast_is_general(A, B, dp)


@pytest.mark.parametrize("dp", [BF16_ACC, TENSOR_CORES[0]], ids=lambda d: d.name)
@pytest.mark.parametrize(
    "M, K, N",
    [(1, 1, 1), (1, 17, COLS + 1), (ROWS - 1, 15, COLS - 1), (ROWS, 16, COLS), (ROWS + 1, 33, COLS + 1), (2 * ROWS + 3, 31, 2 * COLS + 5), (5, 0, 3)],
)
def test_tile_edges(dp, M, K, N):
    rng = _seed("edges", dp.name, M, K, N)
    A = random_values(dp.a_format, (M, K), rng)
    B = random_values(dp.b_format, (K, N), rng)
    C = random_values(dp.c_format, (M, N), rng)
    assert_fast_is_general(A, B, dp, C, f"{M}x{K}x{N}")


@pytest.mark.parametrize("dp", [BF16_ACC, FP16_ACC] + TENSOR_CORES[:4] + TENSOR_CORES[-2:], ids=lambda d: d.name)
def test_small_cases_against_the_exact_reference(dp):
    rng = _seed("reference", dp.name)
    for K in (1, 17, 40):
        A = random_values(dp.a_format, (3, K), rng)
        B = random_values(dp.b_format, (K, 2), rng)
        C = random_values(dp.c_format, (3, 2), rng, zero_fraction=0.5)
        assert lowered._route(dp) == _expected_route(dp)
        assert_same(numsim.matmul(A, B, dp, C), dref.matmul(A, B, dp, C), f"{dp.name} K={K}")


@pytest.mark.parametrize("dp", [BF16_ACC, TENSOR_CORES[0], TENSOR_CORES[-2]], ids=lambda d: d.name)
def test_one_and_two_threads_agree(dp):
    rng = _seed("threads", dp.name)
    A = random_values(dp.a_format, (3, 2 * ROWS + 1, 50), rng)
    B = random_values(dp.b_format, (3, 50, COLS + 7), rng)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = numsim.matmul(A, B, dp)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = numsim.matmul(A, B, dp)
    finally:
        numba.set_num_threads(before)
    assert_same(one, two, "threads")
    lowered._TILED = False
    try:
        assert_same(one, numsim.matmul(A, B, dp), "general")
    finally:
        lowered._TILED = True


def test_broadcast_batches_and_dot():
    rng = _seed("batches")
    A = random_values("bfloat16", (2, 1, 4, 30), rng)
    B = random_values("bfloat16", (3, 30, 5), rng)
    for dp in (BF16_ACC, TENSOR_CORES[0]):
        assert_fast_is_general(A, B, dp, context="batch")
        assert_fast_is_general(A[0, 0, :1], B[0, :, :1], dp, context="dot")


# ---- fused multi-term accumulation ----------------------------------------------------------------


@pytest.mark.parametrize("dp", FUSED_DPS, ids=lambda d: d.name)
def test_fused_tiles_equal_the_general_kernel_on_random_values(dp):
    rng = _seed("fused", dp.name)
    n = dp.accumulator.n
    A = random_values(dp.a_format, (ROWS + 1, 3 * n + 1), rng)
    B = random_values(dp.b_format, (3 * n + 1, COLS + 1), rng)
    C = random_values(dp.c_format, (ROWS + 1, COLS + 1), rng, zero_fraction=0.3)
    assert_fast_is_general(A, B, dp)
    assert_fast_is_general(A, B, dp, C, "with C")


@pytest.mark.parametrize("dp", [TENSOR_CORES[0], TENSOR_CORES[2], TENSOR_CORES[-2]] + FUSED_DPS[-3:], ids=lambda d: d.name)
def test_fused_tiles_on_awkward_values(dp):
    """NaN and infinite inputs and C, overflow of the block result, subnormal block results,
    exact cancellation, all-zero blocks, terms below the window, and -0 in C."""
    rng = _seed("fused awkward", dp.name)
    a, b = dp.a_format, dp.b_format
    n = dp.accumulator.n
    K = 2 * n + 3
    A = random_values(a, (12, K), rng)
    B = random_values(b, (K, 10), rng)
    A[0] = 1.0
    B[:, 0] = np.resize([1.0, -1.0], K)  # cancels block by block
    A[1] = 0.0  # all-zero blocks
    A[2] = numsim.quantize(a.max, a)
    B[:, 2] = numsim.quantize(b.max, b)  # overflowing block sums
    A[3, 1], A[4, 2], B[5, 3] = np.nan, np.inf if a.has_inf else np.nan, -np.inf if b.has_inf else np.nan
    A[5] = a.min_subnormal if a.has_subnormals else a.min_normal
    B[:, 4] = b.min_subnormal if b.has_subnormals else b.min_normal  # subnormal (or flushed) results
    A[6] = 1.0
    B[:, 5] = np.resize([1.0, numsim.quantize(2.0**-30, b)], K)  # terms below the window
    A[7, ::2] = -A[7, ::2]
    C = random_values(dp.c_format, (12, 10), rng, zero_fraction=0.3)
    C[1, :3] = -0.0
    C[8, 8], C[9, 8], C[10, 9] = np.inf, np.nan, -np.inf
    C[11] = numsim.quantize(dp.c_format.max, dp.c_format)
    assert_fast_is_general(A, B, dp, C)
