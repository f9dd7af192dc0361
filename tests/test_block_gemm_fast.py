"""The fast route of block-scaled matmul (numsim._kernels.block_gemm: exact float64 block sums,
nearest-even float accumulation) against the general per-block kernels and the exact Fraction reference.

Every comparison is bit for bit (float64 bytes, so signed zeros and the NaN pattern count). The
general path is forced through ``numsim.block_gemm._FAST_ROUTE``; the fast route is checked to
run (a spy on ``run_fast``) wherever a test relies on it.
"""

from __future__ import annotations

import zlib
import numba
import numpy as np
import pytest

import numsim
import numsim.block_gemm as bg
from numsim import BlockFormat, Datapath, FixedAccumulator, FloatAccumulator, Kulisch, LMul, Tree
from numsim._lower.block_gemm import fast_plan
from test_block_datapath import block_values, reference

# the default datapath of every registered block format takes the fast route (E5M2 split at 2^5)
FAST = {name: Datapath(name) for name in numsim.registered_block_formats()}
MIXED = {
    "mxfp8 x mxfp8_e5m2": Datapath("mxfp8", "mxfp8_e5m2"),
    "mxfp8 x e4m3": Datapath("mxfp8", "e4m3"),
    "mxfp4 x nvfp4 scales": Datapath(BlockFormat("e2m1", 16, "e4m3"), "nvfp4"),
    "mxfp8, C in bf16": Datapath("mxfp8", c_format="bf16"),
    "mxfp8, zero padding": Datapath("mxfp8_e5m2", block_padding="zeros"),
    "mxfp8, bf16 accumulation": Datapath("mxfp8", accumulator="bf16"),
    "mxfp8_e5m2, tf32 accumulation": Datapath("mxfp8_e5m2", accumulator="tf32"),
    "mxfp4, fp16 accumulation, fp32 out": Datapath("mxfp4", accumulator="fp16", out_format="fp32"),
    "nvfp4, e8m10 accumulation": Datapath("nvfp4", accumulator="e8m10"),
    "mxint8, saturating fp32": Datapath("mxint8", accumulator=FloatAccumulator("fp32", overflow="saturate")),
    "mxfp4, e4m3 accumulation": Datapath("mxfp4", accumulator="e4m3"),
    "nvfp4, bf16 accumulation and output": Datapath("nvfp4", accumulator="bf16"),
    "nvfp4, fp32 accumulation, e4m3 output": Datapath("nvfp4", out_format="e4m3"),
    "nvfp4, fp32 accumulation, fp16 output": Datapath("nvfp4", out_format="fp16"),
}
ROUTED = {**FAST, **MIXED}


@pytest.fixture
def spy(monkeypatch):
    """Counts the calls of the fast kernel's lowering."""
    calls = []

    def counted(*args):
        calls.append(args)
        return run_fast(*args)

    run_fast = bg.run_fast
    monkeypatch.setattr(bg, "run_fast", counted)
    return calls


def general(A, B, dp, C=None, **kw):
    """The result of the general per-block kernels."""
    bg._FAST_ROUTE = False
    try:
        return numsim.matmul(A, B, dp, C, **kw)
    finally:
        bg._FAST_ROUTE = True


def assert_bits(x, y, what):
    x, y = np.asarray(x), np.asarray(y)
    assert x.dtype == y.dtype == np.float64 and x.shape == y.shape, (what, x.dtype, y.dtype, x.shape, y.shape)
    same = x.view(np.uint64) == y.view(np.uint64)
    assert same.all(), f"{what}: {int((~same).sum())} differ, first at {np.argwhere(~same)[0]}: {x[~same][0]!r} vs {y[~same][0]!r}"


def check(A, B, dp, spy, C=None, what="", exact=False, **kw):
    """Fast route == general kernels (and, with ``exact``, == the Fraction reference); returns it."""
    n = len(spy)
    ours = numsim.matmul(A, B, dp, C, **kw)
    assert len(spy) == n + 1, f"{what}: the fast route was not taken"
    assert_bits(ours, general(A, B, dp, C, **kw), f"{what} vs general")
    if exact:
        expected = reference(A, B, dp, C)
        if _nan_per_sign(dp):  # the reference keeps the sign of such a NaN, numsim stores the canonical one
            nan = np.isnan(ours)
            assert (np.isnan(expected) == nan).all(), f"{what}: NaNs differ from the reference"
            ours, expected = np.where(nan, 0.0, ours), np.where(nan, 0.0, expected)
        assert_bits(expected, ours, f"{what} vs reference")
    return ours


def _nan_per_sign(dp) -> bool:
    """Whether the accumulator or output format has no infinities (OCP-style NaN per sign)."""
    acc = getattr(dp.accumulator, "fmt", None)
    return any(isinstance(f, numsim.FloatFormat) and not f.has_inf for f in (acc, dp.out_format))


def mx_values(elements, exponent, fmt="mxfp8"):
    """Values whose blocks encode as ``elements`` with scale ``2^exponent`` (the block's largest
    element sets the FLOOR scale, so it must lie in the element format's top binade)."""
    values = np.ldexp(np.asarray(elements, np.float64), exponent)
    assert_bits(numsim.quantize(values, fmt, axis=-1 if values.ndim == 1 else 0), values, "inputs encode as intended")
    return values


# ---- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROUTED))
def test_fast_route_is_taken(name, spy):
    dp = ROUTED[name]
    split = fast_plan(dp)
    assert split is not None
    e5m2 = "e5m2" in dp.a_element.name or "e5m2" in dp.b_element.name
    assert (split > 0) == e5m2  # only E5M2 products overflow one float64 sum
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    A = block_values(dp.a_format, (2, 2 * dp.block_size), rng, -1)
    B = block_values(dp.b_format, (2 * dp.block_size, 3), rng, 0)
    check(A, B, dp, spy, what=name, exact=True)


REFUSED = [
    Datapath("mxfp8", block_accumulator=FloatAccumulator("fp32")),  # rounded block sums
    Datapath("mxfp8", block_accumulator=FixedAccumulator(40, 20)),
    Datapath("mxfp8", multiplier=LMul()),
    Datapath("mxfp8", product_format="e5m2"),
    Datapath("mxfp8", scale_format="bf16"),
    Datapath("mxfp8", scale_rounding="toward_zero"),
    Datapath("mxfp8", accumulator=FloatAccumulator("bf16"), out_format="e4m3"),  # an output rounding
    Datapath("mxfp8", accumulator=FloatAccumulator("fp32", "toward_zero")),
    Datapath("mxfp8", accumulator=FloatAccumulator("e11m20")),  # midpoints beyond float64's normal range
    Datapath("mxfp8", accumulator=FloatAccumulator("fp32", "stochastic")),
    Datapath("mxfp8", order=Tree(2)),
    Datapath("mxfp8", order="pairwise"),
    Datapath("mxfp8", accumulator=Kulisch()),
    Datapath("mxfp8", out_format="bf16"),
    Datapath(BlockFormat("bf16", 32)),  # bf16 products span 2^-266 .. 2^256: no split fits
    Datapath(BlockFormat("e5m2", 32, "e4m3")),  # a split needs power-of-two scales
    Datapath(BlockFormat("e5m2", 1024)),  # the split's two sums cannot both fit 53 bits
]


@pytest.mark.parametrize("dp", REFUSED, ids=[d.name for d in REFUSED])
def test_fast_route_is_refused_where_its_argument_fails(dp, spy):
    assert fast_plan(dp) is None
    rng = np.random.default_rng(zlib.crc32(dp.name.encode()))
    A = block_values(dp.a_format, (2, dp.block_size), rng, -1)
    B = block_values(dp.b_format, (dp.block_size, 2), rng, 0)
    numsim.matmul(A, B, dp, seed=1, sr_bits=16)
    assert not spy


def test_plain_sum_boundary_e4m3():
    """One float64 sum holds a block of E4M3 products exactly up to 2^17 products (2^17 * 448^2
    in quanta of 2^-18: 52.6 bits); at 2^18 the route splits the sum."""
    assert fast_plan(Datapath(BlockFormat("e4m3", 2**17))) == 0.0
    assert fast_plan(Datapath(BlockFormat("e4m3", 2**18))) > 0.0


def test_split_boundary_e5m2():
    """E5M2 blocks split at 2^t: 512 products leave exactly one t (6); at 1024 none is left."""
    assert fast_plan(Datapath(BlockFormat("e5m2", 512))) == 64.0
    assert fast_plan(Datapath(BlockFormat("e5m2", 1024))) is None


# ---- exactness at the boundaries -------------------------------------------------------------------


def _widest_block(kb, big, tiny):
    """A block whose exact sum needs the most bits: ``kb - 1`` products ``big^2`` and one
    ``tiny^2`` between them (E4M3: 52.6 bits for kb = 2^17, 53.6 for 2^18, where the route splits)."""
    a = np.full(kb, big)
    a[kb // 2] = tiny
    return a.reshape(1, kb), a.reshape(kb, 1)


@pytest.mark.parametrize("kb", [2**17, 2**18])
def test_widest_e4m3_blocks_at_the_plain_boundary(kb, spy):
    dp = Datapath(BlockFormat("e4m3", kb))
    a, b = _widest_block(kb, 448.0, 2.0**-9)
    ours = check(a, b, dp, spy, what=f"kb={kb}", exact=True)
    assert ours[0, 0] == float(np.float32((kb - 1) * 448.0**2))  # fp32 is far coarser than the tiny product


def test_widest_e5m2_blocks_at_the_split_boundary(spy):
    """512 E5M2 elements split at 2^6: the big sum of 57344^2 products (52.6 bits in quanta of
    2^-12) and the small sum of 56^2 and 2^-32 products (52.6 bits in quanta of 2^-32), both full."""
    kb = 512
    dp = Datapath(BlockFormat("e5m2", kb))
    assert fast_plan(dp) == 64.0
    a = np.array([57344.0] * 200 + [56.0] * 200 + [2.0**-16] * 112)
    b = np.array([57344.0] * 200 + [56.0] * 200 + [-(2.0**-16)] * 112)
    check(a.reshape(1, kb), b.reshape(kb, 1), dp, spy, what="full split sums", exact=True)


def test_split_sum_keeps_a_product_a_float64_sum_would_drop(spy):
    """E5M2: 57344^2 + 2^-32 - 57344^2 is 2^-32 (a plain float64 sum in order gives 0)."""
    dp = Datapath("mxfp8_e5m2")
    a = np.zeros(32)
    b = np.zeros(32)
    a[:3], b[:3] = [57344.0, 2.0**-16, -57344.0], [57344.0, 2.0**-16, 57344.0]
    a, b = mx_values(a, 0, "mxfp8_e5m2"), mx_values(b, 0, "mxfp8_e5m2")
    assert (a[0] * b[0] + a[1] * b[1]) + a[2] * b[2] == 0.0
    ours = check(a.reshape(1, 32), b.reshape(32, 1), dp, spy, what="cancellation", exact=True)
    assert ours[0, 0] == 2.0**-32


def test_split_sum_breaks_a_tie_by_its_sticky_bit(spy):
    """Products 2^24 + 1 + 2^-32 (elements 2^15, 8, 2^-13 at scales 2^-3): the exact sum is just
    above the fp32 midpoint 2^24 + 1 and rounds up to 2^24 + 2. Rounding it to float64 first
    would land on the midpoint and round to even (2^24): the split sums are joined by
    round-to-odd."""
    dp = Datapath("mxfp8_e5m2")
    a = np.zeros(32)
    a[:3] = [2.0**12, 1.0, 2.0**-16]
    assert np.float32((2.0**24 + 1.0) + 2.0**-32) == 2.0**24  # the double rounding the route avoids
    ours = check(a.reshape(1, 32), a.reshape(32, 1), dp, spy, what="sticky bit", exact=True)
    assert ours[0, 0] == 2.0**24 + 2.0


@pytest.mark.parametrize("name", ["mxfp8", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4"])
def test_extreme_scales_overflow_and_underflow(name, spy):
    """Full blocks of the largest elements at scale 2^127 overflow fp32 to Inf, and +Inf meets
    -Inf (NaN); the largest and smallest elements at 2^-75 land in fp32's subnormals (the
    smallest product a sticky bit far below), at 2^-127 they underflow to +-0, whose sign
    survives only into a -0 start value."""
    dp = Datapath(name)
    top, sub = dp.a_element.max, dp.a_element.min_subnormal
    big = mx_values(np.full(32, top), 127, name)
    A = np.concatenate([big, big]).reshape(1, 64)
    B = np.stack([A[0], np.concatenate([big, -big])], axis=1)
    ours = check(A, B, dp, spy, what=f"{name} at 2^127")
    assert ours[0, 0] == np.inf and np.isnan(ours[0, 1])
    small = np.zeros(32)
    small[0], small[1], small[2] = top, sub, -sub
    for e in (-75, -127):
        a = mx_values(small, e, name)
        A, B = a.reshape(1, 32), np.stack([a, -a, np.zeros(32)], axis=1)
        for C in (None, np.array([[-0.0, -0.0, -0.0]])):
            ours = check(A, B, dp, spy, C=C, what=f"{name} at 2^{e}, C={C}")
            if e == -127:
                assert (ours == 0).all()
                assert list(np.signbit(ours[0])) == [False, C is not None, False]


ACCUMULATORS = ["bf16", "fp16", "tf32", "e4m3", FloatAccumulator("fp16", overflow="saturate"), FloatAccumulator("bf16", overflow="saturate")]


@pytest.mark.parametrize("acc", ACCUMULATORS, ids=str)
@pytest.mark.parametrize("name", ["mxfp8", "mxfp8_e5m2", "mxfp4", "nvfp4", "nvfp4 -> fp16"])
def test_narrow_accumulators(name, acc, spy):
    """Accumulation into formats narrower than fp32, with and without Inf, saturating: scales
    spread over 2^-20 .. 2^20 so sums overflow fp16 and e4m3, cancel, tie and land in
    subnormals; a NaN block; start values C; NVFP4's epilogue into the accumulator format or
    into fp16."""
    fmt, _, out = name.partition(" -> ")
    dp = Datapath(fmt, accumulator=acc, **({"out_format": out} if out else {}))
    rng = np.random.default_rng(zlib.crc32(f"{name} {acc}".encode()))
    kb = dp.block_size
    A = block_values(dp.a_format, (9, 6 * kb), rng, -1, spread=6.0)
    B = block_values(dp.b_format, (6 * kb, 11), rng, 0, spread=6.0)
    A[3, 2] = np.nan
    A[4] = -A[5]
    A = numsim.quantize(A, dp.a_format, axis=-1)
    C = numsim.quantize(rng.standard_normal((9, 11)) * 100, dp.c_format)
    for c in (None, C):
        check(A, B, dp, spy, C=c, what=f"{name}, {acc}, C={c is not None}", exact=True)


# ---- awkward inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mxfp8", "mxfp8_e5m2"])
def test_nan_and_inf_elements(name, spy):
    """NaN elements (E4M3, E5M2), Inf elements (E5M2; E4M3 turns them into NaN), Inf - Inf in one
    block, Inf in two blocks of opposite signs, Inf times a zero element."""
    dp = Datapath(name)
    rng = np.random.default_rng(3)
    A = block_values(dp.a_format, (6, 96), rng, -1, spread=1.0)
    B = block_values(dp.b_format, (96, 5), rng, 0, spread=1.0)
    A[0, 5] = np.nan
    A[1, 7], A[1, 9] = np.inf, -np.inf
    A[2, 3], A[2, 40] = np.inf, -np.inf
    A[3, 70] = np.inf
    A[4, 33] = -np.inf
    B[70, 2] = 0.0
    B[:, 4] = np.abs(B[:, 4])
    A, B = numsim.quantize(A, dp.a_format, axis=-1), numsim.quantize(B, dp.b_format, axis=0)
    ours = check(A, B, dp, spy, what=name, exact=True)
    assert np.isnan(ours[0]).all() and np.isfinite(ours[5]).all()
    if name == "mxfp8_e5m2":  # all of: Inf - Inf, Inf * 0 (NaN) and a lone Inf
        assert np.isnan(ours[1:5]).any() and np.isinf(ours[1:5]).any() and np.isnan(ours[3, 2])


@pytest.mark.parametrize("name", ["mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "nvfp4"])
def test_nan_scales(name, spy):
    """Formats without NaN elements mark a block that held NaN with a NaN scale (E8M0 0xFF; E4M3
    NaN for NVFP4): every output that reads the block is NaN, even through zero elements."""
    dp = Datapath(name)
    rng = np.random.default_rng(4)
    kb = dp.block_size
    A = block_values(dp.a_format, (3, 3 * kb), rng, -1, spread=1.0)
    B = block_values(dp.b_format, (3 * kb, 4), rng, 0, spread=1.0)
    A[1, kb + 2] = np.nan
    B[:, 3] = 0.0
    A = numsim.quantize(A, dp.a_format, axis=-1)
    ours = check(A, B, dp, spy, what=name, exact=True)
    assert np.isnan(ours[1]).all() and not np.isnan(ours[[0, 2]]).any()


@pytest.mark.parametrize("name", ["mxfp8", "mxfp8_e5m2", "mxfp4", "nvfp4"])
def test_zero_blocks_and_signed_zeros(name, spy):
    """All-zero blocks (the smallest scale), -0 elements, exact cancellation inside a block and a
    -0 start value: zero block sums are +0, so -0 + +0 gives +0."""
    dp = Datapath(name)
    kb = dp.block_size
    rng = np.random.default_rng(5)
    A = block_values(dp.a_format, (4, 2 * kb), rng, -1, spread=1.0)
    B = block_values(dp.b_format, (2 * kb, 3), rng, 0, spread=1.0)
    A[0] = 0.0
    A[1] = -0.0
    A[2, kb:] = 0.0
    A[3, :kb] = A[2, :kb]
    B[:, 1] = np.concatenate([B[:kb, 0], -B[:kb, 0]])  # block 2 cancels block 1 where A repeats
    B[:, 2] = -0.0
    A, B = numsim.quantize(A, dp.a_format, axis=-1), numsim.quantize(B, dp.b_format, axis=0)  # NVFP4: new tensor scales
    C = np.full((4, 3), -0.0)
    C[2, 0] = 1.0
    for c in (None, C):
        ours = check(A, B, dp, spy, C=c, what=f"{name}, C={c is not None}", exact=True)
        assert (ours[:2] == 0).all() and not np.signbit(ours[:2]).any()


@pytest.mark.parametrize("name", ["mxfp8", "mxfp8_e5m2", "mxfp4"])
def test_cancellation_across_blocks(name, spy):
    """Sequential fp32 accumulation over the blocks: a huge block sum, a small one and the huge
    one negated give 0 + small rounded once, not the small sum (order matters)."""
    dp = Datapath(name)
    rng = np.random.default_rng(6)
    top = dp.a_element.max
    huge = mx_values(np.full(32, top), 40, name)
    small = block_values(dp.a_format, (1, 32), rng, -1, spread=0.0)[0]
    A = np.concatenate([huge, small, huge]).reshape(1, 96)
    B = np.concatenate([huge, small, -huge]).reshape(96, 1)
    ours = check(A, B, dp, spy, what=name, exact=True)
    assert ours[0, 0] == 0.0


SHAPES = [(1, 1, 1), (1, 1, 3), (3, 2, 1), (7, 1, 127), (8, 2, 128), (9, 3, 129), (17, 1, 5), (16, 2, 130)]


@pytest.mark.parametrize("name", sorted(ROUTED))
def test_tile_boundaries_and_odd_shapes(name, spy):
    """M around the 8-row tiles, N around the 128-column tiles, 1 to 3 blocks, with and without C,
    values over six decades per row; exact on the smallest shapes."""
    dp = ROUTED[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    kb = dp.block_size
    for M, blocks, N in SHAPES:
        A = block_values(dp.a_format, (M, blocks * kb), rng, -1)
        B = block_values(dp.b_format, (blocks * kb, N), rng, 0)
        C = numsim.quantize(rng.standard_normal((M, N)) * 100, dp.c_format)
        for c in (None, C):
            check(A, B, dp, spy, C=c, what=f"{name} {M}x{blocks}x{N}", exact=M * N <= 3)


def test_padding_of_k(spy):
    """K = 40 with zero padding to two blocks of 32 (the padded products are +0)."""
    dp = Datapath("mxfp8", block_padding="zeros")
    rng = np.random.default_rng(8)
    A = block_values("mxfp8", (3, 40), rng, -1)
    B = block_values("mxfp8", (40, 2), rng, 0)
    B[:, 1] = -0.0
    ours = check(A, B, dp, spy, what="padding")
    assert_bits(ours, reference(np.pad(A, ((0, 0), (0, 24))), np.pad(B, ((0, 24), (0, 0))), dp), "padding vs reference")


def test_batches_broadcast(spy):
    rng = np.random.default_rng(9)
    dp = Datapath("mxfp8_e5m2")
    A = np.stack([block_values(dp.a_format, (5, 64), rng, -1) for _ in range(3)]).reshape(3, 1, 5, 64)
    B = np.stack([block_values(dp.b_format, (64, 7), rng, 0) for _ in range(2)])
    C = numsim.quantize(rng.standard_normal((5, 7)), "fp32")
    ours = check(A, B, dp, spy, C=C, what="batch")
    assert ours.shape == (3, 2, 5, 7)
    bg._FAST_ROUTE = True
    assert_bits(ours[2, 1], numsim.matmul(A[2, 0], B[1], dp, C), "one batch element")


def test_quantize_inputs(spy):
    rng = np.random.default_rng(10)
    A, B = rng.standard_normal((9, 64)), rng.standard_normal((64, 10))
    for name in ("mxfp8", "nvfp4"):
        check(A, B, Datapath(name), spy, what=name, quantize_inputs=True)


@pytest.mark.parametrize("name", ["mxfp8", "mxfp8_e5m2", "nvfp4"])
def test_one_and_two_threads_agree(name, spy):
    dp = Datapath(name)
    rng = np.random.default_rng(11)
    A = block_values(dp.a_format, (37, 4 * dp.block_size), rng, -1)
    B = block_values(dp.b_format, (4 * dp.block_size, 300), rng, 0)
    threads = numba.get_num_threads()
    results = []
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            results.append(check(A, B, dp, spy, what=f"{name}, {n} thread(s)"))
    finally:
        numba.set_num_threads(threads)
    for r in results[1:]:
        assert_bits(r, results[0], "1 vs 2 threads")


@pytest.mark.parametrize("out", ["fp32", "bf16"])
@pytest.mark.parametrize("magnitude", [1e-22, 1.0, 1e20])
def test_two_level_epilogue(magnitude, out, spy):
    """NVFP4's alpha = fp32(s_tA s_tB) and fp32(alpha S + c): in the kernel for an fp32 output
    (alpha from 0 to 1e33, products overflowing fp32, C = -fp32(alpha S) leaving the rounding
    error of alpha S, -0 and Inf in C), by the general fma after the kernel for other outputs."""
    dp = Datapath("nvfp4", out_format=out)
    rng = np.random.default_rng(12)
    A = numsim.quantize(rng.standard_normal((9, 48)) * magnitude, "nvfp4")
    B = numsim.quantize(rng.standard_normal((48, 5)) * magnitude, "nvfp4", axis=0)
    plain = numsim.matmul(A, B, Datapath("nvfp4"))
    C = numsim.quantize(rng.standard_normal((9, 5)), dp.c_format)
    C[0] = -plain[0] if out == "fp32" else C[0]
    C[1], C[2, 0], C[2, 1] = -0.0, np.inf, -np.inf
    for c in (None, C):
        ours = check(A, B, dp, spy, C=c, what=f"{magnitude:g}, {out}, C={c is not None}")
        if c is not None and out == "fp32" and magnitude == 1.0:  # the fp32 rounding error of alpha S, exactly
            assert (np.abs(ours[0]) < np.abs(plain[0]) * 2.0**-23).all() and (ours[0] != 0).any()
    check(A[:2, :32], B[:32, :2], dp, spy, C=C[:2, :2], what="corner", exact=True, quantize_inputs=True)
