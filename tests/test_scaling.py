"""numsim.scaling: amax scales (against exact Fraction arithmetic), their shapes, scaled
quantization and the scaled matmul (against dequantize-then-float64 matmul)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import numsim
import reference as ref
from oracle import ref_format


def _ref_round(value: Fraction, fmt, mode: str) -> float:
    """``value`` rounded once into ``fmt`` by the exact reference (saturating)."""
    return ref.to_float(ref.quantize(ref_format(numsim.get_format(fmt)), value, mode, "saturate"))


def _samples(rng: np.random.Generator, n: int, fmax: float) -> np.ndarray:
    """float32 magnitudes over many binades, with the hard cases: quotients by ``fmax`` that are
    exact, ties of e4m3 (1 + 2^-4), e8m0 (1.5) and bf16 (1 + 2^-8), and their float32 neighbours."""
    spread = (rng.random(n) * 2.0 ** rng.integers(-30, 30, n)).astype(np.float32)
    ties = np.float32(fmax) * np.array([1.0, 1.0625, 1.5, 1 + 2.0**-8], np.float32) * np.float32(2.0**-5)
    return np.concatenate([spread, ties, np.nextafter(ties, np.float32(0)), np.nextafter(ties, np.float32(np.inf))])


# ---- scales against the exact reference ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["int8", "e4m3", "e2m1", "int4"])
@pytest.mark.parametrize("scale_format", ["fp32", "bf16", "e4m3", "e8m0"])
@pytest.mark.parametrize("mode", ["toward_positive", "nearest_even", "toward_zero"])
def test_scale_is_amax_over_max_rounded_once(fmt, scale_format, mode):
    amax = _samples(np.random.default_rng(1), 40, numsim.get_format(fmt).max)
    ours = numsim.scale_from_amax(amax, fmt, scale_format=scale_format, rounding=mode)
    sf = numsim.get_format(scale_format)
    smallest = sf.min_subnormal if sf.has_subnormals else sf.min_normal
    fmax = Fraction(numsim.get_format(fmt).max)
    expected = [max(_ref_round(Fraction(float(a)) / fmax, scale_format, mode), smallest) for a in amax]
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("scale_format", ["fp32", "e4m3"])
@pytest.mark.parametrize("mode", ["toward_positive", "nearest_even"])
def test_power_of_two_scales_round_like_e8m0_within_the_scale_format(scale_format, mode):
    amax = _samples(np.random.default_rng(2), 40, 448.0)
    ours = numsim.scale_from_amax(amax, "e4m3", scale_format=scale_format, rounding=mode, power_of_two=True)
    sf = numsim.get_format(scale_format)
    low, high = (sf.min_subnormal, 2.0**126) if scale_format == "fp32" else (2.0**-9, 256.0)
    expected = [min(max(_ref_round(Fraction(float(a)) / 448, "e8m0", mode), low), high) for a in amax]
    np.testing.assert_array_equal(ours, expected)
    assert np.all(np.log2(ours) == np.round(np.log2(ours)))


def test_hand_computed_scales():
    # 3 / 127 = 0.0236220472440944...: float32 neighbours 0.023622047156095505 (below) and 0.023622049018740654
    assert numsim.scale_from_amax(3.0, "int8").tolist() == 0.023622049018740654
    assert numsim.scale_from_amax(3.0, "int8", rounding="nearest_even").tolist() == 0.023622047156095505
    assert Fraction(0.023622047156095505) < Fraction(3, 127) < Fraction(0.023622049018740654)
    # 896 / 448 = 2 exactly, in every scale format and mode
    for sf in ("fp32", "e4m3", "e8m0", "bf16"):
        assert numsim.scale_from_amax(896.0, "e4m3", scale_format=sf, rounding="toward_zero").tolist() == 2.0
    # the float64 amax 1 + 2^-30 is rounded up to float32 (1 + 2^-23) before dividing by 1 (e2m1's 6 / 6)
    assert numsim.scale_from_amax(6 * (1 + 2.0**-30), "e2m1").tolist() == 1 + 2.0**-23
    # zeros get 1; e4m3 scales saturate at 448 and never reach zero; e8m0 clamps at 2^-127
    assert numsim.scale_from_amax([0.0, 1e9, 1e-20], "int8", scale_format="e4m3", rounding="nearest_even").tolist() == [1.0, 448.0, 2.0**-9]
    assert numsim.scale_from_amax(1e-38, "int8", scale_format="e8m0").tolist() == 2.0**-127
    assert numsim.scale_from_amax(1e9, "int8", scale_format="e4m3", power_of_two=True).tolist() == 256.0


# ---- granularity and shapes -----------------------------------------------------------------------


def test_scale_shapes_per_tensor_token_channel_and_block():
    x = np.random.default_rng(3).standard_normal((2, 5, 7)).astype(np.float32)
    assert numsim.tensor_scale(x, "int8").shape == (1, 1, 1)
    assert numsim.token_scales(x, "int8").shape == (2, 5, 1)
    assert numsim.channel_scales(x, "int8").shape == (2, 1, 7)
    assert numsim.block_scales(x, "int8", 3).shape == (2, 5, 3)          # 7 = 3 + 3 + 1 along the last axis
    assert numsim.block_scales(x, "int8", 2, axis=1).shape == (2, 3, 7)  # 5 = 2 + 2 + 1 along axis 1
    np.testing.assert_array_equal(numsim.token_scales(x, "int8")[..., 0], numsim.scale_from_amax(np.abs(x).max(axis=-1), "int8"))
    np.testing.assert_array_equal(numsim.channel_scales(x, "int8")[:, 0], numsim.scale_from_amax(np.abs(x).max(axis=1), "int8"))
    np.testing.assert_array_equal(numsim.tensor_scale(x, "e4m3").ravel(), numsim.scale_from_amax([np.abs(x).max()], "e4m3"))
    blocks = numsim.block_scales(x, "int8", 3)
    for j, (lo, hi) in enumerate([(0, 3), (3, 6), (6, 7)]):
        np.testing.assert_array_equal(blocks[..., j], numsim.scale_from_amax(np.abs(x[..., lo:hi]).max(axis=-1), "int8"))


def test_amax_ignores_nan_and_infinity():
    x = np.array([[1.0, np.nan, -np.inf, 3.0], [np.nan, np.nan, np.nan, np.nan]], np.float32)
    assert numsim.token_scales(x, "e2m1", power_of_two=True).ravel().tolist() == [0.5, 1.0]


# ---- scaled quantization ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["e4m3", "int8", "e2m1"])
def test_scaled_quantize_rounds_the_exact_quotient_once(fmt):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(300) * 2.0 ** rng.integers(-4, 4, 300)).astype(np.float32)
    scale = numsim.tensor_scale(x, fmt, rounding="nearest_even")  # not a power of two
    q = numsim.scaled_quantize(x, fmt, scale)
    s = Fraction(float(scale.ravel()[0]))
    np.testing.assert_array_equal(q, [_ref_round(Fraction(float(v)) / s, fmt, "nearest_even") for v in x])


def test_scaled_quantize_and_dequantize_per_block():
    w = np.array([[1.0, -2.0, 4.0, 100.0, 0.5]], np.float32)
    s = numsim.block_scales(w, "int4", 2, power_of_two=True)   # blocks (1, -2), (4, 100), (0.5): amax / 7 up to 2^k
    assert s.tolist() == [[0.5, 16.0, 0.125]]
    q = numsim.scaled_quantize(w, "int4", s, block_size=2)
    assert q.tolist() == [[2.0, -4.0, 0.0, 6.0, 4.0]]          # 4 / 16 = 0.25 -> 0, 100 / 16 = 6.25 -> 6
    assert numsim.scaled_dequantize(q, s, block_size=2).tolist() == [[1.0, -2.0, 0.0, 96.0, 0.5]]


def test_scaled_quantize_saturates_by_default():
    assert numsim.scaled_quantize([500.0, -1000.0], "e4m3", 1.0).tolist() == [448.0, -448.0]
    assert np.isnan(numsim.scaled_quantize([1000.0], "e4m3", 1.0, overflow="non_saturating")).all()


# ---- the scaled matmul -----------------------------------------------------------------------------


def _operands(seed: int, M=5, K=32, N=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((M, K)).astype(np.float32), rng.standard_normal((K, N)).astype(np.float32)


def test_scaled_matmul_with_an_exact_datapath_equals_dequantize_then_float64_matmul():
    """int8 operands with power-of-two scales, summed exactly (int32 register, |sum| < 2^24):
    every step is exact, so the float32 result equals the float64 product of the dequantized
    operands."""
    A, B = _operands(5)
    sa, sb = numsim.token_scales(A, "int8", power_of_two=True), numsim.channel_scales(B, "int8", power_of_two=True)
    dp = numsim.get_datapath("int8 -> acc fixed<32,0>")
    out = numsim.scaled_matmul(A, B, dp, sa, sb)
    assert out.dtype == np.float32
    deq_a = numsim.scaled_dequantize(numsim.scaled_quantize(A, "int8", sa), sa)
    deq_b = numsim.scaled_dequantize(numsim.scaled_quantize(B, "int8", sb), sb)
    np.testing.assert_array_equal(out, (deq_a @ deq_b).astype(np.float32))
    assert (deq_a @ deq_b == out).all()


@pytest.mark.parametrize("recipe", [dict(), dict(scale_format="e8m0"), dict(rounding="nearest_even")])
def test_scaled_matmul_rounds_only_in_the_float32_epilogue(recipe):
    """Non-power-of-two fp32 scales: an exact Kulisch sum D, then fp32(D), fp32(sa sb) and their
    float32 product: at most three float32 roundings from the exact dequantized product."""
    A, B = _operands(6)
    sa, sb = numsim.tensor_scale(A, "e4m3", **recipe), numsim.channel_scales(B, "e4m3", **recipe)
    dp = numsim.get_datapath("e4m3 -> acc kulisch")
    out = numsim.scaled_matmul(A, B, dp, sa, sb)
    qa, qb = numsim.scaled_quantize(A, "e4m3", sa), numsim.scaled_quantize(B, "e4m3", sb)
    exact = (qa @ qb) * sa * sb   # qa @ qb is exact in float64 here (e4m3 products, K = 32)
    D = (qa @ qb).astype(np.float32)
    np.testing.assert_array_equal(out, D * (sa * sb).astype(np.float32))
    np.testing.assert_allclose(out, exact, rtol=3 * 2.0**-24, atol=0)


def test_scaled_matmul_with_block_formats_lets_the_datapath_scale():
    A, B = _operands(7, K=64)
    dp = numsim.get_datapath("mxfp4 -> acc fp32")
    out = numsim.scaled_matmul(A, B, dp)
    np.testing.assert_array_equal(out, numsim.matmul(A, B, dp, quantize_inputs=True).astype(np.float32))
    with pytest.raises(ValueError, match="mxfp4 is a block format and carries its own scales"):
        numsim.scaled_matmul(A, B, dp, numsim.tensor_scale(A, "e2m1"))


def test_scaled_matmul_marks_rows_and_columns_with_non_finite_inputs():
    A, B = _operands(8, M=3, K=8, N=4)
    A[1, 2], B[5, 3] = np.nan, np.inf
    out = numsim.scaled_matmul(A, B, numsim.get_datapath("int8 -> acc fixed<32,0>"), numsim.tensor_scale(A, "int8"),
                               numsim.tensor_scale(B, "int8"))
    assert np.isnan(out[1]).all() and np.isnan(out[:, 3]).all()
    assert np.isfinite(np.delete(np.delete(out, 1, axis=0), 3, axis=1)).all()


def test_apply_scales_is_one_float32_rounding_each():
    D = np.array([[3.0, 1 + 2.0**-30]])
    sa, sb = np.array([[0.1]]), np.array([[0.3, 1.0]])
    alpha = np.float32(np.float64(0.1) * np.float64(0.3))
    assert numsim.apply_scales(D, sa, sb).tolist() == [[float(np.float32(alpha * np.float32(3.0))), float(np.float32(0.1))]]
    assert numsim.apply_scales(D).dtype == np.float32


# ---- bad arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda: numsim.tensor_scale([1.0], "mxfp4"), r"fmt=mxfp4 is a block format"),
    (lambda: numsim.tensor_scale([1.0], "int32"), r"fmt=int32 has a largest value 2147483647.0 of more than 24 significant bits"),
    (lambda: numsim.tensor_scale([1.0], "int8", rounding="stochastic_a"), r"rounding must be a deterministic mode"),
    (lambda: numsim.tensor_scale([1.0], "int8", scale_format="int8"), r"scale_format must be a float format, got int8"),
    (lambda: numsim.scale_from_amax([-1.0], "int8"), r"amax must hold finite values >= 0"),
    (lambda: numsim.token_scales(np.float32(1.0), "int8"), r"x must have at least 1 dimension"),
    (lambda: numsim.block_scales([[1.0]], "int8", 0), r"block_size must be >= 1, got 0"),
    (lambda: numsim.scaled_quantize([[1.0, 2.0]], "int8", [[1.0, 1.0, 1.0]]), r"scale of shape \(1, 3\) does not broadcast"),
    (lambda: numsim.scaled_quantize([[1.0, 2.0, 3.0]], "int8", [[1.0]], block_size=2), r"one scale per block of 2 along axis 1"),
    (lambda: numsim.scaled_quantize([1.0], "int8", block_size=2), r"block_size needs the per-block scale"),
    (lambda: numsim.scaled_matmul([[1.0]], [[1.0]], "int8"), r"datapath must be a numsim.Datapath, got str"),
])
def test_bad_arguments_name_what_is_wrong(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
