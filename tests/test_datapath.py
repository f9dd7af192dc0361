"""numsim.matmul / numsim.dot against the exact step-by-step reference (datapath_reference.py),
fast paths against the general path, and properties of datapaths."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datapath_reference as dref
import multiplier_reference as mref
import reference as ref
import numsim
from numsim import (
    DRUM,
    Chunked,
    Datapath,
    FixedAccumulator,
    FloatAccumulator,
    FusedMultiTerm,
    Kulisch,
    LMul,
    Mitchell,
    Pairwise,
    Sequential,
    Tree,
    Truncated,
)
from numsim._lower import datapath as lowered


def random_values(fmt, shape, rng, zero_fraction=0.1, finite=True):
    """Random values of ``fmt`` drawn uniformly over its finite codes (plus some zeros)."""
    f = numsim.get_format(fmt)
    if f.bits > 16:  # wide formats: log-uniform magnitudes rounded into the format
        x = numsim.quantize(rng.standard_normal(shape) * 2.0 ** rng.integers(-12, 12, shape), f)
    else:
        table = np.asarray(f.values(), np.float64)
        table = table[np.isfinite(table)] if finite else table
        x = rng.choice(table, size=shape)
    x[rng.random(shape) < zero_fraction] = 0.0
    return x


def assert_same(ours, expected, context=""):
    ours = np.asarray(ours, np.float64)
    expected = np.asarray(expected, np.float64)
    same = (ours == expected) & (np.signbit(ours) == np.signbit(expected))
    same |= np.isnan(ours) & np.isnan(expected)
    if not same.all():
        i = np.argwhere(~same)[0]
        raise AssertionError(f"{context}: {int((~same).sum())} mismatches; first at {tuple(i)}: ours {ours[tuple(i)]!r}, reference {expected[tuple(i)]!r}")


FLOAT_ACCS = [
    FloatAccumulator("float32"),
    FloatAccumulator("bfloat16"),
    FloatAccumulator("float16", "toward_zero"),
    FloatAccumulator("e5m2", "toward_negative"),
    FloatAccumulator("e4m3", "nearest_away"),
    FloatAccumulator("bfloat16", "toward_positive"),
    FloatAccumulator("float16", "to_odd"),
]
ORDERS = [Sequential(), Tree(2), Tree(3), Pairwise(), Chunked(4), Chunked(5, FloatAccumulator("bfloat16"), Tree(2))]


def _cases():
    cases = []
    for acc, order in itertools.product(FLOAT_ACCS, ORDERS):
        cases.append(Datapath("e4m3", accumulator=acc, order=order))
    cases += [
        Datapath("e5m2", "e4m3", accumulator=FloatAccumulator("float16"), product_format="e5m2"),
        Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16")),
        Datapath("float16", accumulator=FloatAccumulator("float32"), out_format="float16"),
        Datapath("e2m1", accumulator=FloatAccumulator("e4m3"), order=Tree(4), out_format="e2m1"),
        Datapath("int8", accumulator=FixedAccumulator(12, 0)),
        Datapath("int8", accumulator=FixedAccumulator(14, 0, "saturate"), order=Tree(2)),
        Datapath("int4", accumulator=FixedAccumulator(8, 0, "saturate")),
        Datapath("e4m3", accumulator=FixedAccumulator(10, 4, "wrap", "nearest_even")),
        Datapath("e4m3", accumulator=FixedAccumulator(12, 6, "saturate", "toward_zero"), order=Pairwise(), out_format="bfloat16"),
        Datapath("e4m3", accumulator=FixedAccumulator(12, 3), order=Chunked(8)),
        Datapath("e4m3", accumulator=Kulisch()),
        Datapath("e5m2", accumulator=Kulisch(), out_format="bfloat16", out_rounding="toward_zero"),
        Datapath("bfloat16", accumulator=Kulisch(), out_format="float32"),
        Datapath("int8", accumulator=Kulisch(), out_format="int16"),
        Datapath("e2m3", "e3m2", accumulator=Kulisch(), out_format="e4m3"),
        Datapath("float16", accumulator=FusedMultiTerm(4, 0), c_format="float32"),
        Datapath("bfloat16", accumulator=FusedMultiTerm(16, 2, anchor_min=-133), c_format="float32"),
        Datapath("e4m3", accumulator=FusedMultiTerm(32, -10, anchor_min=-133)),
        Datapath("e4m3", "e5m2", accumulator=FusedMultiTerm(8, -10), order=Chunked(16)),
        Datapath("e5m2", accumulator=FusedMultiTerm(32, 2, anchor_min=-133, c_placement="after")),
        Datapath("float16", accumulator=FusedMultiTerm(8, 1, rounding="nearest_even", alignment="nearest_even", anchor="normalized")),
        Datapath("float16", accumulator=FusedMultiTerm(4, 13, "float16", "nearest_even", anchor_min=-19)),
        Datapath("e4m3", product_format="e4m3", accumulator=FusedMultiTerm(4, 1)),
        Datapath("e4m3", product_format="bfloat16", product_rounding="toward_zero", accumulator=FloatAccumulator("float16")),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("dp", CASES, ids=[d.name for d in CASES])
def test_matmul_matches_step_by_step_reference(dp):
    rng = np.random.default_rng(zlib.crc32(dp.name.encode()))
    for K in (1, 7, 19):
        A = random_values(dp.a_format, (2, K), rng)
        B = random_values(dp.b_format, (K, 3), rng)
        C = random_values(dp.c_format, (2, 3), rng, zero_fraction=0.5)
        if isinstance(dp.accumulator, FixedAccumulator):
            C = np.zeros((2, 3))
        ours = numsim.matmul(A, B, dp, C)
        expected = dref.matmul(A, B, dp, C)
        assert_same(ours, expected, f"{dp.name} K={K}")


MULT_CASES = [
    Datapath("e4m3", multiplier=LMul()),
    Datapath("e5m2", multiplier=LMul(semantics="literal"), accumulator=FloatAccumulator("bfloat16"), order=Tree(2)),
    Datapath("bfloat16", multiplier=LMul(semantics="literal"), out_format="bfloat16"),
    Datapath("float16", multiplier=Mitchell(), accumulator=FloatAccumulator("float16", "toward_zero")),
    Datapath("e4m3", multiplier=LMul(mantissa_bits=2), product_format="e5m2", accumulator=FusedMultiTerm(4, 1)),
    Datapath("e4m3", multiplier=Mitchell(overflow="saturate"), accumulator=FixedAccumulator(12, 9, "saturate")),
    Datapath("int8", multiplier=DRUM(3), accumulator=FixedAccumulator(16, 0), out_format="int32"),
    Datapath("uint8", multiplier=Truncated(vbl=5, hbl=1), accumulator=Kulisch(), out_format="int32"),
    Datapath("int16", multiplier=Mitchell(), accumulator=Kulisch(), out_format="float32"),
    Datapath("int4", multiplier=numsim.Lookup(np.outer(np.arange(16), np.arange(16)) // 3), accumulator=FloatAccumulator("e5m2"), out_format="float32"),
]


@pytest.mark.parametrize("dp", MULT_CASES, ids=[d.name for d in MULT_CASES])
def test_approximate_multiplier_datapaths_match_the_references(dp):
    """Approximate products from the exact multiplier reference, accumulated by the step-by-step
    datapath reference: float paths (L-Mul, literal half units, Mitchell), the product table of
    8-bit operands and the integer kernels of wider ones."""

    def multiply(x, y):
        return mref.multiply_values(dp.multiplier, dp.a_format, dp.b_format, ref.to_float(x), ref.to_float(y))

    rng = np.random.default_rng(zlib.crc32(dp.name.encode()))
    for K in (1, 9):
        A = random_values(dp.a_format, (2, K), rng)
        B = random_values(dp.b_format, (K, 3), rng)
        assert_same(numsim.matmul(A, B, dp), dref.matmul(A, B, dp, multiply=multiply), f"{dp.name} K={K}")


def _multiplier_grid():
    """Every multiplier x accumulator x order combination the Datapath admits."""
    orders = [Sequential(), Tree(3), Pairwise(), Chunked(4)]
    groups = [
        ("e4m3", [LMul(), LMul(semantics="literal"), Mitchell(overflow="saturate")],
         [FloatAccumulator("bfloat16"), FixedAccumulator(14, 9, "saturate"), Kulisch(), FusedMultiTerm(4, 1)]),
        ("int8", [DRUM(3), Truncated(vbl=4), Mitchell()], [FloatAccumulator("float16"), FixedAccumulator(16, 0), Kulisch()]),
    ]
    cases = []
    for fmt, mults, accs in groups:
        for mult, acc, order in itertools.product(mults, accs, orders):
            try:
                cases.append(Datapath(fmt, multiplier=mult, accumulator=acc, order=order, out_format="float32"))
            except ValueError:
                continue  # e.g. a Kulisch register in chunks, a fused unit in a tree
    return cases


GRID = _multiplier_grid()


@pytest.mark.parametrize("dp", GRID, ids=[d.name for d in GRID])
def test_multiplier_accumulator_order_grid_matches_the_references(dp):
    def multiply(x, y):
        return mref.multiply_values(dp.multiplier, dp.a_format, dp.b_format, ref.to_float(x), ref.to_float(y))

    rng = np.random.default_rng(zlib.crc32(dp.name.encode()))
    A = random_values(dp.a_format, (2, 9), rng)
    B = random_values(dp.b_format, (9, 2), rng)
    assert_same(numsim.matmul(A, B, dp), dref.matmul(A, B, dp, multiply=multiply), dp.name)


def test_batched_matmul_and_dot_broadcast():
    rng = np.random.default_rng(7)
    dp = Datapath("e4m3", accumulator=FloatAccumulator("bfloat16"))
    A = random_values("e4m3", (3, 2, 5), rng)
    B = random_values("e4m3", (5, 4), rng)
    ours = numsim.matmul(A, B, dp)
    assert ours.shape == (3, 2, 4)
    for i in range(3):
        assert_same(ours[i], dref.matmul(A[i], B, dp), f"batch {i}")
    d = numsim.dot(A[:, 0, :], B[:, 1], dp)
    assert d.shape == (3,)
    assert_same(d, ours[:, 0, 1], "dot")


def test_fp32_sequential_equals_a_float32_loop():
    """The NATIVE32 fast path: e4m3 products accumulated in float32, in k order."""
    rng = np.random.default_rng(3)
    A = random_values("e4m3", (16, 64), rng)
    B = random_values("e4m3", (64, 16), rng)
    acc = np.zeros((16, 16), np.float32)
    for k in range(64):
        acc = acc + (A[:, k : k + 1].astype(np.float32) * B[k : k + 1, :].astype(np.float32))
    assert_same(numsim.matmul(A, B, Datapath("e4m3")), acc.astype(np.float64), "fp32 loop")


@pytest.mark.parametrize(
    "dp",
    [
        Datapath("e4m3"),
        Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16")),
        Datapath("e5m2", accumulator=FloatAccumulator("float16"), order=Tree(8)),
        Datapath("float16", accumulator=FloatAccumulator("e4m3")),
    ],
    ids=lambda d: d.name,
)
def test_fast_paths_equal_the_general_path(dp, monkeypatch):
    """NATIVE32 (float32 arithmetic) and RNE64 (bit rounding of round-to-odd sums) give the same
    bits as the general encoder, including overflow, subnormal and zero sums."""
    rng = np.random.default_rng(11)
    A = random_values(dp.a_format, (8, 300), rng)
    B = random_values(dp.b_format, (300, 8), rng)
    A[0, :] = np.abs(A[0, :])  # long same-sign runs reach overflow in narrow accumulators
    fast = numsim.matmul(A, B, dp)
    monkeypatch.setattr(lowered, "_float_path", lambda dp, table: lowered._k.GENERIC)
    assert_same(fast, numsim.matmul(A, B, dp), dp.name)


@pytest.mark.parametrize(
    "dp",
    [
        Datapath("e4m3"),
        Datapath("e4m3", multiplier=LMul()),
        Datapath("e5m2", multiplier=LMul(), out_format="bfloat16"),
        Datapath("e2m1", multiplier=LMul(), out_format="e4m3"),
    ],
    ids=lambda d: d.name,
)
def test_float32_tiles_equal_the_general_path(dp, monkeypatch):
    """The tiled float32 kernel (8-row x 256-column tiles) on shapes that cut tiles and batches
    unevenly, products from values or from the product table, against the general encoder."""
    rng = np.random.default_rng(12)
    A = random_values(dp.a_format, (2, 13, 40), rng)
    B = random_values(dp.b_format, (2, 40, 300), rng)
    C = numsim.quantize(rng.standard_normal((13, 300)), "float32")
    fast = numsim.matmul(A, B, dp, C)
    assert lowered._float_path(dp, lowered.product_table(dp.multiplier, dp.a_format, dp.b_format) if lowered._table_route(dp) else None) == lowered._k.NATIVE32
    monkeypatch.setattr(lowered, "_float_path", lambda dp, table: lowered._k.GENERIC)
    assert_same(fast, numsim.matmul(A, B, dp, C), dp.name)


@pytest.mark.parametrize(
    "dp",
    [
        Datapath("e4m3", multiplier=LMul(), accumulator=FloatAccumulator("bfloat16"), order=Tree(4)),
        Datapath("e4m3", multiplier=Mitchell(overflow="saturate"), accumulator=FixedAccumulator(12, 20), out_format="float32"),
        Datapath("e3m2", multiplier=LMul(semantics="literal"), product_format="e4m3", accumulator=Kulisch()),
        Datapath("int8", multiplier=DRUM(3), accumulator=FixedAccumulator(24, 0, "saturate"), out_format="int32"),
        Datapath("uint8", multiplier=Truncated(vbl=4), accumulator=Kulisch(), out_format="int32"),
        Datapath("e4m3", multiplier=LMul(overflow="saturate"), accumulator=FusedMultiTerm(4, 3)),
    ],
    ids=lambda d: d.name,
)
def test_product_table_equals_the_multiplier_kernels(dp, monkeypatch):
    """Operands of at most 8 bits multiply by one lookup in ``product_table``; the result equals
    the multiplier's own kernel product by product, for every accumulator kind."""
    rng = np.random.default_rng(13)
    A = random_values(dp.a_format, (5, 33), rng)
    B = random_values(dp.b_format, (33, 7), rng)
    assert lowered._table_route(dp)
    via_table = numsim.matmul(A, B, dp)
    monkeypatch.setattr(lowered, "_table_route", lambda dp: False)
    assert_same(via_table, numsim.matmul(A, B, dp), dp.name)


def test_product_table_refuses_wide_formats():
    with pytest.raises(ValueError, match="at most 8 bits"):
        numsim.multipliers.product_table(LMul(), numsim.get_format("bfloat16"), numsim.get_format("bfloat16"))


def test_kulisch_equals_correctly_rounded_dot():
    rng = np.random.default_rng(5)
    for fmt, out, mode in [("e4m3", "float32", "nearest_even"), ("e5m2", "bfloat16", "toward_negative"), ("e2m1", "e4m3", "nearest_away")]:
        a = random_values(fmt, 40, rng)
        b = random_values(fmt, 40, rng)
        dp = Datapath(fmt, accumulator=Kulisch(), out_format=out, out_rounding=mode)
        code = dref.correctly_rounded_dot(list(a), list(b), 0.0, out, mode)
        expected = numsim.decode(code, out)
        assert_same(numsim.dot(a, b, dp), expected, f"{fmt} -> {out}")


# ---- properties ----------------------------------------------------------------------------------

E4M3 = numsim.get_format("e4m3")
_E4M3_VALUES = np.asarray(E4M3.values(), np.float64)
_E4M3_VALUES = _E4M3_VALUES[np.isfinite(_E4M3_VALUES)]
e4m3_values = st.sampled_from(sorted(set(_E4M3_VALUES.tolist())))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(e4m3_values, e4m3_values), min_size=1, max_size=40), st.randoms())
def test_exact_accumulators_are_order_independent(pairs, rnd):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    perm = np.array(rnd.sample(range(len(pairs)), len(pairs)))
    for dp in (Datapath("e4m3", accumulator=Kulisch()), Datapath("e4m3", accumulator=FixedAccumulator(40, 18))):
        assert_same(numsim.dot(a, b, dp), numsim.dot(a[perm], b[perm], dp), dp.name)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 20), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_swapping_a_and_b_transposed_for_commutative_multipliers(m, k, n, seed):
    rng = np.random.default_rng(seed)
    A = random_values("e4m3", (m, k), rng)
    B = random_values("e4m3", (k, n), rng)
    for dp in (
        Datapath("e4m3", accumulator=FloatAccumulator("bfloat16"), order=Tree(4)),
        Datapath("e4m3", multiplier=numsim.LMul()),
        Datapath("e4m3", accumulator=FusedMultiTerm(8, -10)),
    ):
        assert_same(numsim.matmul(A, B, dp), numsim.matmul(B.T, A.T, dp).T, dp.name)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 300), st.integers(1, 9))
def test_narrower_accumulators_swamp_more(k, j):
    """Adversarial swamping input: 1 followed by k - 1 terms 2^-j. The error never decreases as
    the accumulator loses mantissa bits (fp32, e8m10, bf16, e8m4)."""
    a = np.concatenate([[1.0], np.full(k - 1, 2.0**-j)])
    b = np.ones(k)
    exact = 1.0 + (k - 1) * 2.0**-j
    errors = []
    for fmt in ("float32", numsim.FloatFormat(8, 10), "bfloat16", numsim.FloatFormat(8, 4)):
        dp = Datapath("e4m3", accumulator=FloatAccumulator(fmt), out_format="float32")
        errors.append(abs(float(numsim.dot(a, b, dp)) - exact))
    assert errors == sorted(errors), errors


# ---- bad input -----------------------------------------------------------------------------------


def test_shape_mismatches_are_named():
    dp = Datapath("e4m3")
    with pytest.raises(ValueError, match="inner dimensions"):
        numsim.matmul(np.zeros((2, 3)), np.zeros((4, 2)), dp)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        numsim.matmul(np.zeros(3), np.zeros((3, 2)), dp)
    with pytest.raises(ValueError, match="batch dimensions"):
        numsim.matmul(np.zeros((2, 2, 3)), np.zeros((3, 3, 2)), dp)
    with pytest.raises(ValueError, match="last dimensions"):
        numsim.dot(np.zeros(3), np.zeros(4), dp)
    with pytest.raises(ValueError, match="does not broadcast"):
        numsim.matmul(np.zeros((2, 3)), np.zeros((3, 2)), dp, C=np.zeros((3, 3)))
    with pytest.raises(TypeError, match="numsim.Datapath"):
        numsim.matmul(np.zeros((2, 3)), np.zeros((3, 2)), "e4m3")


def test_unrepresentable_inputs_raise_unless_quantized():
    dp = Datapath("e4m3")
    with pytest.raises(ValueError, match="cannot represent"):
        numsim.matmul([[0.1]], [[1.0]], dp)
    assert numsim.matmul([[0.1]], [[1.0]], dp, quantize_inputs=True).tolist() == [[0.1015625]]


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: Datapath("int8", multiplier=numsim.LMul()), ValueError, "not a float format"),
        (lambda: Datapath("e4m3", "e5m2", multiplier=numsim.LMul()), ValueError, "one float format"),
        (lambda: Datapath("e4m3", multiplier=numsim.DRUM(4)), ValueError, "integers"),
        (lambda: Datapath(numsim.FloatFormat(4, 27)), ValueError, "53"),
        (lambda: FixedAccumulator(1, 0), ValueError, "width"),
        (lambda: FixedAccumulator(32, 0, "clamp"), ValueError, "wrap"),
        (lambda: FloatAccumulator("int8"), TypeError, "float format"),
        (lambda: FusedMultiTerm(0), ValueError, "n must be"),
        (lambda: FusedMultiTerm(16, 40), ValueError, "window"),
        (lambda: FusedMultiTerm(16, 2, anchor="middle"), ValueError, "anchor"),
        (lambda: Datapath("e4m3", accumulator=FusedMultiTerm(32, -10), order=Tree(4)), ValueError, "chains its blocks"),
        (lambda: Datapath("e4m3", accumulator=FusedMultiTerm(32, -10), order=Chunked(100)), ValueError, "multiple"),
        (lambda: Datapath("e4m3", accumulator=Kulisch(), order=Chunked(8)), ValueError, "Kulisch"),
        (lambda: Datapath("e4m3", accumulator=32), TypeError, "accumulator"),
        (lambda: Datapath("e4m3", order="zigzag"), ValueError, "order"),
        (lambda: Tree(1), ValueError, "width"),
        (lambda: numsim.tensor_core_datapath("h300", "fp16"), ValueError, "gpu"),
        (lambda: numsim.tensor_core_datapath("v100", "bf16"), ValueError, "no modelled"),
        (lambda: numsim.tensor_core_datapath("a100", "fp16", fast_accum=False), ValueError, "FP8"),
        (lambda: numsim.tensor_core_datapath("h100", "fp16", "bf16"), ValueError, "inputs"),
    ],
)
def test_bad_datapaths_raise_clear_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_non_finite_products_into_fixed_accumulators_raise():
    dp = Datapath("e5m2", accumulator=FixedAccumulator(40, 16))
    with pytest.raises(ValueError, match="Inf or NaN"):
        numsim.matmul([[np.inf]], [[1.0]], dp)


@pytest.mark.parametrize("mode", ["stochastic_a", "stochastic_b", "stochastic_c"])
def test_stochastic_accumulation_matches_the_reference_with_the_same_draws(mode):
    """Addition k into output element e uses draw e * K + k of the seeded SplitMix64 stream; the
    reference gets those draws explicitly."""
    from numsim._kernels.rounding import splitmix64
    from numsim._random_bits import random_key

    rng = np.random.default_rng(21)
    dp = Datapath("e4m3", accumulator=FloatAccumulator("bfloat16", mode))
    A = random_values("e4m3", (2, 9), rng)
    B = random_values("e4m3", (9, 3), rng)
    ours = numsim.matmul(A, B, dp, seed=1234)
    key = random_key(1234)
    for i in range(2):
        for j in range(3):
            e = i * 3 + j
            draws = [int(splitmix64(key, e * 9 + k)) >> 32 for k in range(9)]
            expected = dref.dot(list(A[i]), list(B[:, j]), 0.0, dp, random_bits=draws)
            assert_same(ours[i, j], dref.ref.to_float(expected), f"{mode} ({i}, {j})")


def test_kulisch_register_covers_lookup_tables_beyond_the_exact_product():
    table = np.outer(np.arange(16), np.arange(16)) * 1000  # up to 225000, far above 15 * 15
    dp = Datapath("uint4", multiplier=numsim.Lookup(table), accumulator=Kulisch(), out_format="float32")
    a = np.full(64, 15.0)
    assert float(numsim.dot(a, a, dp)) == 64 * 225000


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: Datapath("e4m3", accumulator=FloatAccumulator("bfloat16", "stochastic_a"), order=Tree(2)), "sequential order only"),
        (lambda: numsim.matmul([[1.0]], [[1.0]], Datapath("e4m3", accumulator=FloatAccumulator("float32", "stochastic_a")), sr_bits=32), "sr_bits"),
        (lambda: Datapath("e4m3", accumulator=FixedAccumulator(40, 20), order=Chunked(8)), "53 bits"),
        (lambda: Datapath(numsim.FloatFormat(10, 5, bias=1000)), "beyond float64"),
        (lambda: numsim.matmul([[1.0]], [[1.0]], Datapath("e4m3"), quantize_inputs="yes"), "quantize_inputs"),
        (lambda: numsim.matmul([["a"]], [[1.0]], Datapath("e4m3")), "real numbers"),
    ],
)
def test_bad_matmul_arguments_raise(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("dp", [Datapath("e4m3"), Datapath("e4m3", multiplier=LMul()), Datapath("e4m3", accumulator=Kulisch()), Datapath("mxfp8"), Datapath("nvfp4")], ids=lambda d: d.name)
def test_empty_shapes(dp):
    """No rows or columns: an empty result; K = 0: the initial value C rounded into the output."""
    assert numsim.matmul(np.zeros((0, 32)), np.zeros((32, 3)), dp).shape == (0, 3)
    assert numsim.matmul(np.zeros((2, 32)), np.zeros((32, 0)), dp).shape == (2, 0)
    C = np.array([[1.5, -2.0, 0.25]])
    assert_same(numsim.matmul(np.zeros((1, 0)), np.zeros((0, 3)), dp, C), C, "K = 0")
