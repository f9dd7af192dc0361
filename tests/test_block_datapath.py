"""Datapaths with block-scaled inputs (MX, NVFP4, BFP) against the step-by-step reference
(datapath_reference.block_dot), which reads the element values and scales from numsim's block
codec (proven separately against its own reference)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datapath_reference as dref
import multiplier_reference as mref
import numsim
import reference as ref
from numsim import Datapath, FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch, LMul, Tree


def block_values(fmt, shape, rng, axis, spread=3.0):
    """Values of a block format along ``axis``: Gaussian with per-row magnitudes over ``spread`` decades."""
    x = rng.standard_normal(shape) * 10.0 ** rng.uniform(-spread, spread, size=(shape[0], 1) if axis == -1 else (1, shape[1]))
    x[rng.random(shape) < 0.05] = 0.0
    return numsim.quantize(x, fmt, axis=axis) if isinstance(numsim.get_format(fmt), numsim.BlockFormat) else numsim.quantize(x, fmt)


def split(values, fmt, axis):
    """``(elements, scales, tensor scale)`` of values of ``fmt`` blocked along ``axis``."""
    f = numsim.get_format(fmt)
    if not isinstance(f, numsim.BlockFormat):
        shape = list(values.shape)
        shape[axis] = 1
        return values, np.ones(shape), None
    codes = numsim.encode(values, f, axis=axis)
    tensor = float(numsim.decode(codes[2], f.tensor_scale)) if f.tensor_scale is not None else None
    return np.asarray(numsim.decode(codes[0], f.element), np.float64), np.asarray(numsim.decode(codes[1], f.scale), np.float64), tensor


def reference(A, B, dp, C=None, multiply=None):
    EA, XA, ta = split(A, dp.a_format, -1)
    EB, XB, tb = split(B, dp.b_format, 0)
    nblk = A.shape[1] // dp.block_size
    XA = XA if XA.shape[1] == nblk else np.ones((A.shape[0], nblk))  # an operand without scales
    XB = XB if XB.shape[0] == nblk else np.ones((nblk, B.shape[1]))
    return dref.block_matmul(EA, XA, EB, XB, dp, C, ta=ta, tb=tb, multiply=multiply)


def assert_same(x, y, what):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    same = (x == y) & (np.signbit(x) == np.signbit(y)) | (np.isnan(x) & np.isnan(y))
    assert same.all(), f"{what}: {int((~same).sum())} differ, first at {np.argwhere(~same)[0]}: {x[~same][0]!r} vs {y[~same][0]!r}"


CASES = [
    Datapath("mxfp8"),
    Datapath("mxfp8_e5m2", accumulator=FloatAccumulator("bf16")),
    Datapath("mxfp8", "mxfp8_e5m2", block_accumulator=FloatAccumulator("bf16"), block_order=Tree(4)),
    Datapath("mxfp6_e3m2", block_accumulator=FloatAccumulator("fp16", "toward_zero"), scale_format="bf16", scale_rounding="toward_negative"),
    Datapath("mxfp6_e2m3", accumulator=Kulisch(), out_format="bf16"),
    Datapath("mxfp4", accumulator=FusedMultiTerm(4, 1), scale_format="e5m2"),
    Datapath("mxfp4", accumulator=FusedMultiTerm(8, -2, anchor="normalized")),
    Datapath("mxint8", block_accumulator=FixedAccumulator(20, 12), accumulator=FloatAccumulator("fp32"), order=Tree(2)),
    Datapath("mxint8", "int8", block_accumulator=FixedAccumulator(14, 12, "saturate"), accumulator=FixedAccumulator(24, 8), out_format="float32"),
    Datapath("nvfp4"),
    Datapath("nvfp4", accumulator=FloatAccumulator("fp16"), out_format="bf16", out_rounding="toward_zero"),
    Datapath("mxfp8", "e4m3", scale_format="e4m3"),
    Datapath(numsim.bfp(5, 8), accumulator=FloatAccumulator("bf16", "toward_positive")),
    Datapath("mxfp8", product_format="e5m2", block_order="pairwise"),
]


@pytest.mark.parametrize("dp", CASES, ids=[d.name for d in CASES])
def test_block_scaled_matmul_matches_the_reference(dp):
    rng = np.random.default_rng(zlib.crc32(dp.name.encode()))
    kb = dp.block_size
    for blocks in (1, 3):
        A = block_values(dp.a_format, (3, blocks * kb), rng, -1)
        B = block_values(dp.b_format, (blocks * kb, 2), rng, 0, spread=1.0)
        C = numsim.quantize(rng.standard_normal((3, 2)), dp.c_format)
        assert_same(numsim.matmul(A, B, dp, C), reference(A, B, dp, C), f"{dp.name}, {blocks} block(s)")


MULT_CASES = [
    Datapath("mxfp8", multiplier=LMul()),
    Datapath("mxfp4", multiplier=LMul(semantics="literal"), block_accumulator=FloatAccumulator("e5m2")),
    Datapath("mxint8", multiplier=numsim.DRUM(3), block_accumulator=FixedAccumulator(24, 12)),
]


@pytest.mark.parametrize("dp", MULT_CASES, ids=[d.name for d in MULT_CASES])
def test_block_scaled_approximate_multipliers(dp):
    """The multiplier acts on the elements, never on the scaled values."""

    def multiply(x, y):
        return mref.multiply_values(dp.multiplier, dp.a_element, dp.b_element, ref.to_float(x), ref.to_float(y))

    rng = np.random.default_rng(zlib.crc32(dp.name.encode()))
    A = block_values(dp.a_format, (2, 2 * dp.block_size), rng, -1)
    B = block_values(dp.b_format, (2 * dp.block_size, 3), rng, 0)
    assert_same(numsim.matmul(A, B, dp), reference(A, B, dp, multiply=multiply), dp.name)


def test_scales_are_applied_exactly():
    """Exact block sums, scale products that fit float32 (mxfp4: sums of e2m1 products) and a
    Kulisch accumulator over the blocks: the result is the correctly rounded dot product of the
    values, over scales spanning 2^-40 .. 2^40."""
    rng = np.random.default_rng(7)
    dp = Datapath("mxfp4", accumulator=Kulisch(), out_format="bf16", out_rounding="toward_zero")
    for _ in range(20):
        a = numsim.quantize(rng.standard_normal(96) * 2.0 ** rng.integers(-40, 40, 96).repeat(1), "mxfp4")
        b = numsim.quantize(rng.standard_normal(96), "mxfp4")
        expected = numsim.decode(dref.correctly_rounded_dot(list(a), list(b), 0.0, "bf16", "toward_zero"), "bf16")
        assert_same(numsim.dot(a, b, dp), expected, "mxfp4 dot")


def test_padding_policy():
    rng = np.random.default_rng(8)
    A = block_values("mxfp8", (2, 40), rng, -1)
    B = block_values("mxfp8", (40, 2), rng, 0)
    with pytest.raises(ValueError, match="K=40 is not a multiple of the block size 32"):
        numsim.matmul(A, B, Datapath("mxfp8"))
    dp = Datapath("mxfp8", block_padding="zeros")
    padded_A = np.concatenate([A, np.zeros((2, 24))], axis=1)
    padded_B = np.concatenate([B, np.zeros((24, 2))], axis=0)
    assert_same(numsim.matmul(A, B, dp), reference(padded_A, padded_B, dp), "zero padding")


def test_batched_block_matmul():
    rng = np.random.default_rng(9)
    dp = Datapath("mxfp6_e2m3", accumulator=FloatAccumulator("bf16"))
    A = np.stack([block_values("mxfp6_e2m3", (2, 64), rng, -1) for _ in range(3)])
    B = block_values("mxfp6_e2m3", (64, 4), rng, 0)
    ours = numsim.matmul(A, B, dp)
    for i in range(3):
        assert_same(ours[i], reference(A[i], B, dp), f"batch {i}")


def test_nan_block_propagates():
    rng = np.random.default_rng(10)
    A = block_values("mxfp4", (1, 64), rng, -1)
    A[0, 3] = np.nan
    A = numsim.quantize(A, "mxfp4")  # fp4 holds no NaN: the whole first block is NaN (scale 0xFF)
    assert np.isnan(A[0, :32]).all() and not np.isnan(A[0, 32:]).any()
    B = block_values("mxfp4", (64, 1), rng, 0)
    assert np.isnan(numsim.matmul(A, B, Datapath("mxfp4"))[0, 0])
    with pytest.raises(ValueError, match="cannot hold"):
        numsim.matmul(A, B, Datapath("mxfp4", scale_format="int32", accumulator=FixedAccumulator(32, 0)))


def test_unrepresentable_block_inputs_raise_unless_quantized():
    x = np.linspace(-1, 1, 32).reshape(1, 32)
    with pytest.raises(ValueError, match="does not reproduce"):
        numsim.matmul(x, x.T, Datapath("mxfp4"))
    q = numsim.quantize(x, "mxfp4")
    assert_same(numsim.matmul(x, x.T, Datapath("mxfp4"), quantize_inputs=True), numsim.matmul(q, q.T, Datapath("mxfp4")), "quantized")


def test_quantized_mxint8_inputs_are_taken_at_the_scale_they_were_quantized_with():
    """MXINT8's code -2 lifts a quantized block's maximum a binade (see test_blocks): the rule then
    picks twice the scale the block was quantized with, and the block is held exactly only by
    the smaller one. With K = 32 (one block, integer block sums < 2^24) the result is exact."""
    a = np.zeros((2, 32))
    a[0, :2] = [-0.99609375, 0.8984375]  # quantizes to -1.0 = -2 x 2^-1 and 0.8984375 = 115/64 x 2^-1
    a[1] = np.random.default_rng(11).standard_normal(32)
    b = np.random.default_rng(12).standard_normal((32, 3))
    A, B = numsim.quantize(a, "mxint8"), numsim.quantize(b, "mxint8", axis=0)
    assert A[0, :2].tolist() == [-1.0, 0.8984375]
    assert not np.array_equal(numsim.quantize(A, "mxint8"), A)  # the rule's scale alone would not do
    assert_same(numsim.matmul(A, B, Datapath("mxint8")), A @ B, "quantized mxint8")
    with pytest.raises(ValueError, match="does not reproduce"):
        numsim.matmul(A + 2.0**-9, B, Datapath("mxint8"))


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: Datapath(numsim.BlockFormat("e4m3", block_shape=(8, 8), scale="e8m0")), ValueError, "1-D blocks along K"),
        (lambda: Datapath("mxfp8", "nvfp4"), ValueError, "block sizes"),
        (lambda: Datapath("mxfp8", block_padding="wrap"), ValueError, "block_padding"),
        (lambda: Datapath("mxfp8", block_accumulator=1), TypeError, "block_accumulator"),
        (lambda: Datapath("mxfp8", block_accumulator=FloatAccumulator("fp32", "stochastic")), ValueError, "stochastic"),
        (lambda: Datapath("mxfp8", scale_format="mxfp4"), TypeError, "scale_format"),
        (lambda: Datapath("mxint8", multiplier=LMul()), ValueError, "float format"),
        (lambda: Datapath("mxfp8", block_accumulator=Kulisch(), block_order="chunked(8)"), ValueError, "Kulisch"),
    ],
)
def test_bad_block_datapaths(build, error, match):
    with pytest.raises(error, match=match):
        build()


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**63 - 1), st.integers(0, 2**30 - 1), st.integers(-100, 100))
def test_scale_exact_is_a_round_to_odd_cut(mag, half_m, e2):
    """The kernel's exact product of a result and an odd scale significand, against Python
    integers: the top 62 bits, the lowest one sticky (set when anything below was cut)."""
    from numsim._kernels.datapath import scale_exact

    m = 2 * half_m + 1
    got_mag, got_e2 = scale_exact(np.int64(mag), np.int64(e2), np.int64(m))
    v = mag * m
    shift = max(v.bit_length() - 62, 0)
    want = (v >> shift) | int(v & ((1 << shift) - 1) != 0)
    assert (int(got_mag), int(got_e2)) == (want, e2 + shift)
