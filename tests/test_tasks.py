"""Accuracy tasks (experiments.tasks): checked against references written out here, the
quantization-noise formula and orderings that must hold."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import numsim
from experiments import tasks

FP32 = numsim.FloatAccumulator("fp32")
INT32 = numsim.FixedAccumulator(32, 0)


def dp(fmt, acc=FP32):
    return numsim.Datapath(fmt, accumulator=acc)


def sqnr(x, q):
    return 10 * np.log10(np.sum(x**2) / np.sum((x - q) ** 2))


def test_doctests():
    result = doctest.testmod(tasks, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 10


SEEDED = ["tensor_sqnr", "gemm_error", "attention_error"]     # digits_mlp draws nothing at random


def _seeded(name: str) -> dict:
    return {"seed": 0} if name in SEEDED else {}


def test_only_tasks_with_random_inputs_take_a_seed():
    import inspect
    assert [n for n, f in sorted(tasks.TASKS.items()) if "seed" in inspect.signature(f).parameters] == sorted(SEEDED)


@pytest.mark.parametrize("name, keys", [
    ("tensor_sqnr", {"sqnr_db"}),
    ("gemm_error", {"gemm_sqnr_db", "gemm_max_rel_err"}),
    ("attention_error", {"attention_sqnr_db"}),
    ("digits_mlp", {"digits_accuracy_pct", "digits_accuracy_drop_pct"}),
])
def test_tasks_return_floats_under_their_keys(name, keys):
    result = tasks.TASKS[name](dp("e4m3"), **_seeded(name))
    assert set(result) == keys and all(type(v) is float for v in result.values())


# ---- the harness adds no error -----------------------------------------------------------------


def test_float32_datapath_is_near_exact():
    # numsim formats stop at 32 bits: fp32 inputs, exact (Kulisch) sums rounded once to fp32;
    # wide floats are used unscaled whatever the scaling argument says
    exact = dp("float32", numsim.Kulisch())
    for scaling in ("tensor", "channel", "none"):
        assert tasks.tensor_sqnr(exact, seed=0, scaling=scaling)["sqnr_db"] > 140
        gemm = tasks.gemm_error(exact, seed=0, scaling=scaling)
        assert gemm["gemm_sqnr_db"] > 120 and gemm["gemm_max_rel_err"] < 1e-6
        assert tasks.attention_error(exact, seed=0, scaling=scaling)["attention_sqnr_db"] > 120
    bf16 = dp("bf16")
    assert tasks.gemm_error(bf16, seed=1) == tasks.gemm_error(bf16, seed=1, scaling="none")
    assert tasks.gemm_error(dp("e4m3"), seed=1) != tasks.gemm_error(dp("e4m3"), seed=1, scaling="none")


# ---- tensor_sqnr against a reference written out here -----------------------------------------


@pytest.mark.parametrize("fmt", ["int8", "e4m3", "e2m1"])
@pytest.mark.parametrize("distribution", ["laplace", "channel_outliers"])
def test_tensor_sqnr_matches_scaled_quantize(fmt, distribution):
    x = tasks.tensor_samples(distribution, 4096, 3)
    fmax = numsim.get_format(fmt).max
    for scaling, amax in (("tensor", np.abs(x).max()), ("channel", np.abs(x).max(axis=-1, keepdims=True)), ("none", fmax)):
        s = fmax / amax
        expected = sqnr(x, numsim.quantize(x * s, fmt) / s)
        got = tasks.tensor_sqnr(dp(fmt), seed=3, distribution=distribution, n=4096, scaling=scaling)["sqnr_db"]
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), scaling


def test_block_format_is_blocked_across_channels():
    # tokens x channels; blocks of 32 along each token's channels: an outlier channel crushes the
    # normal channels of its blocks, which blocks along a channel would not
    x = tasks.tensor_samples("channel_outliers", 8192, 0)
    along_rows = sqnr(x, numsim.quantize(x, "mxint8", axis=-1))
    along_channels = sqnr(x, numsim.quantize(x, "mxint8", axis=0))
    for scaling in ("tensor", "none"):  # block formats carry their own scales
        got = tasks.tensor_sqnr(dp("mxint8"), seed=0, distribution="channel_outliers", n=8192, scaling=scaling)["sqnr_db"]
        assert got == pytest.approx(along_rows, rel=1e-12)
    assert along_rows < along_channels - 3


def test_block_gemm_multiplies_operands_blocked_along_k():
    # A blocked along its rows, B down its columns (both along K), no extra scaling: the result
    # is the float64 product of the quantized operands up to fp32 rounding of the block sums
    A, B, C_ref = tasks.gemm_reference("channel_outliers", 16, 16, 256, 0)
    expected = sqnr(C_ref, numsim.quantize(A, "mxint8", axis=1) @ numsim.quantize(B, "mxint8", axis=0))
    blocked_along_n = sqnr(C_ref, numsim.quantize(A, "mxint8", axis=1) @ numsim.quantize(B, "mxint8", axis=1))
    got = tasks.gemm_error(dp("mxint8"), seed=0, M=16, N=16, distribution="channel_outliers")["gemm_sqnr_db"]
    assert got == pytest.approx(expected, abs=0.01)
    assert abs(blocked_along_n - expected) > 1


@pytest.mark.parametrize("scaling, delta", [("tensor", None), ("none", 1.0)])
def test_int8_noise_matches_uniform_noise_model(scaling, delta):
    # SQNR = 10 log10(E[x^2] / (D^2 / 12)); per-tensor scaling to 127 gives D = amax / 127, raw
    # values D = 1 (no clipping: |x| < 127)
    x = tasks.tensor_samples("gaussian", 65536, 0)
    delta = np.abs(x).max() / 127 if delta is None else delta
    expected = 10 * math.log10(np.mean(x**2) / (delta**2 / 12))
    got = tasks.tensor_sqnr(dp("int8", INT32), seed=0, scaling=scaling)["sqnr_db"]
    assert got == pytest.approx(expected, abs=0.5)


# ---- orderings -----------------------------------------------------------------------------------


def test_more_bits_more_sqnr():
    for task, key in ((tasks.tensor_sqnr, "sqnr_db"), (tasks.gemm_error, "gemm_sqnr_db"), (tasks.attention_error, "attention_sqnr_db")):
        assert task(dp("int8", INT32), seed=0)[key] > task(dp("int4", INT32), seed=0)[key] + 15
        assert task(dp("e4m3"), seed=0)[key] > task(dp("e2m1"), seed=0)[key] + 8


def test_outlier_channels_hurt_per_tensor_int8():
    gaussian = tasks.tensor_sqnr(dp("int8", INT32), seed=0)["sqnr_db"]
    outliers = tasks.tensor_sqnr(dp("int8", INT32), seed=0, distribution="channel_outliers")["sqnr_db"]
    assert outliers < gaussian - 10
    gemm_gaussian = tasks.gemm_error(dp("int8", INT32), seed=0)["gemm_sqnr_db"]
    gemm_outliers = tasks.gemm_error(dp("int8", INT32), seed=0, distribution="channel_outliers")["gemm_sqnr_db"]
    assert gemm_outliers < gemm_gaussian - 20


def test_narrow_accumulator_loses_sqnr_over_long_sums():
    sqnr_of = {
        acc: tasks.gemm_error(dp("bf16", numsim.FloatAccumulator(acc)), seed=0, M=16, N=16, K=4096, scaling="none")["gemm_sqnr_db"]
        for acc in ("fp32", "fp16", "bf16")
    }
    assert sqnr_of["fp32"] > sqnr_of["fp16"] + 6 > sqnr_of["bf16"] + 12


def test_channel_scaling_helps_digits_int4():
    tensor = tasks.digits_mlp(dp("int4", INT32))["digits_accuracy_pct"]
    channel = tasks.digits_mlp(dp("int4", INT32), scaling="channel")["digits_accuracy_pct"]
    assert channel > tensor + 20


# ---- non-finite outputs are not masked -------------------------------------------------------------


def test_overflowing_accumulator_gives_nonfinite_metrics():
    # e4m3 scaled to 448: products reach 448^2 > fp16.max
    e4m3_fp16 = dp("e4m3", numsim.FloatAccumulator("fp16"))
    gemm = tasks.gemm_error(e4m3_fp16, seed=0)
    assert gemm["gemm_sqnr_db"] == -np.inf and gemm["gemm_max_rel_err"] == np.inf
    assert np.isnan(tasks.attention_error(e4m3_fp16, seed=0)["attention_sqnr_db"])
    assert tasks.digits_mlp(e4m3_fp16)["digits_accuracy_pct"] == 0.0


@pytest.mark.parametrize("fmt", ["int8", "e2m1", "e4m3", "mxint8"])
def test_nonfinite_operand_gives_nan_not_a_number(fmt):
    A = np.ones((3, 32))
    A[1, 5] = np.nan
    A[2, 7] = np.inf
    C = tasks._dequantized_matmul(A, np.ones((32, 2)), dp(fmt), "tensor")
    assert np.isnan(C[1:]).all() and np.allclose(C[0], 32.0, rtol=0.1)


# ---- determinism and caching -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tensor_sqnr", "gemm_error", "attention_error"])
def test_deterministic_in_seed(name):
    task = tasks.TASKS[name]
    mx = dp("mxint8")
    first = task(mx, seed=5, distribution="student_t")
    assert task(mx, seed=5, distribution="student_t") == first
    other = task(mx, seed=6, distribution="student_t")
    assert all(other[k] != first[k] for k in first)


@pytest.mark.parametrize("threads", [1, 2])
def test_digits_weights_ignore_blas_threads(threads):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        retrained = tasks._digits_model.__wrapped__(32)
    cached = tasks._digits_model(32)
    assert np.array_equal(retrained.W1, cached.W1) and np.array_equal(retrained.W2, cached.W2)


def test_cached_inputs_are_read_only():
    x = tasks.tensor_samples("gaussian", 1024, 0)
    assert tasks.tensor_samples("gaussian", 1024, 0) is x
    arrays = (x, *tasks.gemm_reference("laplace", 4, 5, 6, 0), *tasks.attention_reference("student_t", 8, 4, 0))
    for a in arrays:
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a[...] = 0.0


def test_gemm_reference_is_float64_product():
    A, B, C = tasks.gemm_reference("gaussian", 3, 4, 5, 1)
    assert A.shape == (3, 5) and B.shape == (5, 4)
    np.testing.assert_allclose(C, np.einsum("mk,kn->mn", A, B), rtol=1e-13)


# ---- digits ----------------------------------------------------------------------------------------


def test_digits_model_and_drops():
    e4m3 = tasks.digits_mlp(dp("e4m3"))
    assert e4m3["digits_accuracy_pct"] + e4m3["digits_accuracy_drop_pct"] >= 95.0  # the float32 model's accuracy
    fp32 = tasks.digits_mlp(dp("fp32"), scaling="none")  # the float32 self, up to summation order
    assert abs(fp32["digits_accuracy_drop_pct"]) <= 0.2  # at most one of the 500 images
    bf16 = tasks.digits_mlp(dp("bf16"))  # wide floats are used unscaled
    assert abs(bf16["digits_accuracy_drop_pct"]) < 2
    int2 = tasks.digits_mlp(dp("int2", INT32))
    assert int2["digits_accuracy_drop_pct"] > 30
    for r in (e4m3, bf16, int2, tasks.digits_mlp(dp("mxint8"))):
        assert 0 <= r["digits_accuracy_pct"] <= 100


# ---- bad inputs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_datapath_must_be_a_datapath(name):
    with pytest.raises(TypeError, match="datapath"):
        tasks.TASKS[name]("e4m3", **_seeded(name))


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_unknown_scaling(name):
    with pytest.raises(ValueError, match="scaling must be one of tensor, channel, none"):
        tasks.TASKS[name](dp("e4m3"), scaling="row", **_seeded(name))


@pytest.mark.parametrize("call, argument", [
    (lambda d: tasks.tensor_sqnr(d, seed=0, n=0), "n"),
    (lambda d: tasks.tensor_sqnr(d, seed=0, n=2.0), "n"),
    (lambda d: tasks.gemm_error(d, seed=0, M=-1), "M"),
    (lambda d: tasks.gemm_error(d, seed=0, N=True), "N"),
    (lambda d: tasks.gemm_error(d, seed=0, K=1.5), "K"),
    (lambda d: tasks.attention_error(d, seed=0, seq_len=0), "seq_len"),
    (lambda d: tasks.attention_error(d, seed=0, head_dim="64"), "head_dim"),
    (lambda d: tasks.digits_mlp(d, hidden=0), "hidden"),
])
def test_sizes_must_be_positive_ints(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must be a positive int"):
        call(dp("e4m3"))


@pytest.mark.parametrize("name", SEEDED)
@pytest.mark.parametrize("seed", [None, -1, 1.0])
def test_seed_must_be_a_non_negative_int(name, seed):
    with pytest.raises(ValueError, match="^seed must be a non-negative int"):
        tasks.TASKS[name](dp("e4m3"), seed=seed)


@pytest.mark.parametrize("name", ["tensor_sqnr", "gemm_error", "attention_error"])
def test_unknown_distribution(name):
    with pytest.raises(ValueError, match="distribution must be one of gaussian, laplace, student_t, channel_outliers, got 'uniform'"):
        tasks.TASKS[name](dp("e4m3"), seed=0, distribution="uniform")


def test_outlier_samples_need_whole_tokens():
    with pytest.raises(ValueError, match="n must be a multiple of 256"):
        tasks.tensor_sqnr(dp("e4m3"), seed=0, distribution="channel_outliers", n=1000)
