"""Elementwise arithmetic against the exact reference (tests/arith_reference.py), against IEEE
hardware arithmetic (numpy float32/float16, ml_dtypes bfloat16: correctly rounded to nearest-even
for + - * / and sqrt, float16 and bfloat16 because float32 has at least 2p + 2 bits), and
properties."""

from __future__ import annotations

from functools import lru_cache

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arith_reference as aref
import reference as ref
from oracle import ref_format
import numsim

BINARY = {"add": numsim.add, "sub": numsim.sub, "mul": numsim.mul, "div": numsim.div}
SMALL_FLOATS = ["e4m3", "e5m2", "e3m2", "e2m3", "e2m1"]
MODES = list(ref.DETERMINISTIC_MODES)


def same_values(ours, expected) -> np.ndarray:
    """Elementwise: both NaN, or equal with the same sign (so -0 differs from +0)."""
    ours, expected = np.asarray(ours, np.float64), np.asarray(expected, np.float64)
    both_nan = np.isnan(ours) & np.isnan(expected)
    return both_nan | ((ours == expected) & (np.signbit(ours) == np.signbit(expected)))


def assert_same(ours, expected, *inputs, context=""):
    ok = same_values(ours, expected)
    if not ok.all():
        i = np.flatnonzero(~ok.reshape(-1))[:5]
        shown = [np.asarray(x).reshape(-1)[i].tolist() for x in inputs]
        raise AssertionError(f"{context}: {int((~ok).sum())} mismatches; inputs {shown}, ours {np.asarray(ours).reshape(-1)[i].tolist()}, "
                             f"expected {np.asarray(expected).reshape(-1)[i].tolist()}")


@lru_cache(maxsize=None)
def ref_values(name: str) -> tuple:
    """Every code's value of a format, as floats and as reference RefValues."""
    values = numsim.decode_table(name)
    return values, [ref.as_ref_value(float(v)) for v in values]


def reference_results(op: str, name: str, arg_indices, mode: str, rbits=None, nbits=32, overflow=None, out=None) -> np.ndarray:
    """Reference values of ``op`` on operands given as code indices into ``name``'s values,
    rounded into ``out`` (default: the same format)."""
    _, refs = ref_values(name)
    rf = ref_format(numsim.get_format(out or name))
    results = np.empty(len(arg_indices[0]))
    encoded = {}
    for k, idx in enumerate(zip(*arg_indices)):
        exact = aref.OPERATIONS[op](*(refs[i] for i in idx), mode)
        r = 0 if rbits is None else int(rbits[k])
        key = (exact, r)
        if key not in encoded:
            code = ref.encode(rf, exact, mode, overflow, rbits=r, nbits=nbits, nan_policy="zero")
            encoded[key] = ref.to_float(ref.decode(rf, code))
        results[k] = encoded[key]
    return results


def all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return i.reshape(-1), j.reshape(-1)


# ---- exhaustive over small formats -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("name", SMALL_FLOATS)
def test_binary_ops_exhaustive(name, op, mode):
    values, _ = ref_values(name)
    i, j = all_pairs(len(values))
    ours = BINARY[op](values[i], values[j], name, mode, nan_policy="zero")
    assert_same(ours, reference_results(op, name, (i, j), mode), values[i], values[j], context=f"{op} {name} {mode}")


@pytest.mark.parametrize("mode", ["stochastic_a", "stochastic_b", "stochastic_c"])
@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("name", ["e4m3", "e5m2", "e2m3"])
def test_binary_ops_exhaustive_stochastic(name, op, mode):
    values, _ = ref_values(name)
    i, j = all_pairs(len(values))
    nbits = 5
    rbits = np.random.default_rng(len(name) + len(op)).integers(0, 2**nbits, i.size)
    ours = BINARY[op](values[i], values[j], name, mode, nan_policy="zero", sr_bits=nbits, random_bits=rbits)
    expected = reference_results(op, name, (i, j), mode, rbits=rbits, nbits=nbits)
    assert_same(ours, expected, values[i], values[j], context=f"{op} {name} {mode}")


@pytest.mark.parametrize("mode", MODES + ["stochastic_a"])
@pytest.mark.parametrize("name", SMALL_FLOATS + ["fp16", "bf16", "e3m4", "e8m0"])
def test_sqrt_exhaustive(name, mode):
    values, _ = ref_values(name)
    i = np.arange(len(values))
    if len(values) > 256:  # 16-bit formats: every code under the directed modes takes too long
        i = np.random.default_rng(3).choice(i, 3000, replace=False)
    rbits = np.random.default_rng(5).integers(0, 2**6, i.size) if mode.startswith("stochastic") else None
    extra = {"sr_bits": 6, "random_bits": rbits} if rbits is not None else {}
    ours = numsim.sqrt(values[i], name, mode, nan_policy="zero", **extra)
    assert_same(ours, reference_results("sqrt", name, (i,), mode, rbits=rbits, nbits=6), values[i], context=f"sqrt {name} {mode}")


@pytest.mark.parametrize("mode", MODES)
def test_fma_exhaustive_fp4(mode):
    values, _ = ref_values("e2m1")
    i, j, k = (g.reshape(-1) for g in np.meshgrid(*[np.arange(len(values))] * 3, indexing="ij"))
    ours = numsim.fma(values[i], values[j], values[k], "e2m1", mode)
    assert_same(ours, reference_results("fma", "e2m1", (i, j, k), mode), values[i], values[j], values[k], context=f"fma e2m1 {mode}")


@pytest.mark.parametrize("mode", MODES + ["stochastic_c"])
@pytest.mark.parametrize("name", ["e4m3", "e5m2", "e3m2", "fp16", "bf16"])
def test_fma_random(name, mode):
    values, _ = ref_values(name)
    rng = np.random.default_rng(11)
    idx = tuple(rng.integers(0, len(values), 4000) for _ in range(3))
    rbits = rng.integers(0, 2**8, 4000) if mode.startswith("stochastic") else None
    extra = {"sr_bits": 8, "random_bits": rbits} if rbits is not None else {}
    ours = numsim.fma(*(values[i] for i in idx), name, mode, nan_policy="zero", **extra)
    assert_same(ours, reference_results("fma", name, idx, mode, rbits=rbits, nbits=8), *(values[i] for i in idx), context=f"fma {name} {mode}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("name", ["fp16", "bf16"])
def test_16_bit_formats_against_the_reference(name, op, mode):
    values, _ = ref_values(name)
    rng = np.random.default_rng(7)
    i, j = rng.integers(0, len(values), 3000), rng.integers(0, len(values), 3000)
    j[:500] = i[:500] ^ rng.integers(0, 4, 500)  # near cancellations
    ours = BINARY[op](values[i], values[j], name, mode)
    assert_same(ours, reference_results(op, name, (i, j), mode), values[i], values[j], context=f"{op} {name} {mode}")


# ---- against IEEE hardware ---------------------------------------------------------------------


def random_bits_of(dtype, n: int, rng) -> np.ndarray:
    width = np.dtype(dtype).itemsize * 8
    raw = rng.integers(0, 2**width, n, dtype=np.uint64).astype(f"uint{width}")
    return raw.view(dtype)


def edge_pairs(a: np.ndarray, rng) -> np.ndarray:
    """b for a: a quarter neighbours of a (cancellation), a quarter their negation, the rest
    random bit patterns (subnormals, huge values, Inf and NaN included)."""
    width = a.dtype.itemsize * 8
    udt = np.dtype(f"uint{width}")
    b = random_bits_of(a.dtype, a.size, rng)
    q = a.size // 4
    near = (a[:q].view(udt).astype(np.int64) + rng.integers(-3, 4, q)).astype(udt)
    b[:q] = near.view(a.dtype)
    b[q : 2 * q] = -near.view(a.dtype)
    return b


HARDWARE = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


@pytest.mark.parametrize("op", list(BINARY))
def test_float32_against_hardware(op):
    rng = np.random.default_rng(1)
    for _ in range(5):  # 5 x 2 * 10^6 pairs
        a = random_bits_of(np.float32, 2_000_000, rng)
        b = edge_pairs(a, rng)
        with np.errstate(all="ignore"):
            expected = HARDWARE[op](a, b)
        assert_same(BINARY[op](a, b, "fp32", dtype=np.float32, nan_policy="zero"), expected, a, b, context=f"fp32 {op}")


@pytest.mark.parametrize("name, dtype", [("fp16", np.float16), ("bf16", ml_dtypes.bfloat16)])
@pytest.mark.parametrize("op", list(BINARY))
def test_16_bit_formats_against_hardware(name, dtype, op):
    rng = np.random.default_rng(2)
    a = random_bits_of(dtype, 1_000_000, rng)
    b = edge_pairs(a, rng)
    with np.errstate(all="ignore"):
        expected = HARDWARE[op](a, b).astype(np.float64)
    assert_same(BINARY[op](a, b, name), expected, a, b, context=f"{name} {op}")


@pytest.mark.parametrize("name, dtype", [("fp16", np.float16), ("bf16", ml_dtypes.bfloat16), ("fp32", np.float32)])
def test_sqrt_against_hardware(name, dtype):
    a = random_bits_of(dtype, 1_000_000, np.random.default_rng(4))
    with np.errstate(all="ignore"):
        expected = np.sqrt(a).astype(np.float64)
    assert_same(numsim.sqrt(a, name), expected, a, context=f"sqrt {name}")


def test_float32_fma_against_the_reference():
    rng = np.random.default_rng(9)
    a, b = random_bits_of(np.float32, 3000, rng), random_bits_of(np.float32, 3000, rng)
    with np.errstate(all="ignore"):
        c = -(a.astype(np.float64) * b.astype(np.float64)).astype(np.float32)  # near cancellations
    c[::3] = random_bits_of(np.float32, c[::3].size, rng)
    rf = ref_format(numsim.get_format("fp32"))
    expected = [ref.to_float(ref.decode(rf, aref.rounded("fma", rf, float(x), float(y), float(z)))) for x, y, z in zip(a, b, c)]
    assert_same(numsim.fma(a, b, c, "fp32"), expected, a, b, c, context="fp32 fma")


# ---- mixed formats, integers and fixed point ---------------------------------------------------


def test_mixed_input_formats():
    """e4m3 x e5m2 products (at most 4 x 3 significant bits) are exact in bf16; their sums are
    rounded once into fp16 as the reference says."""
    a, _ = ref_values("e4m3")
    b, _ = ref_values("e5m2")
    i, j = all_pairs(256)
    x, y = a[i], b[j]
    finite = np.isfinite(x) & np.isfinite(y)
    product = numsim.mul(x, y, "bf16", a_format="e4m3", b_format="e5m2", nan_policy="zero")
    with np.errstate(all="ignore"):
        assert_same(product[finite], (x * y)[finite], x[finite], y[finite], context="e4m3 * e5m2 -> bf16")
    total = numsim.add(x, y, "fp16", a_format="e4m3", b_format="e5m2")
    rf = ref_format(numsim.get_format("fp16"))
    expected = [ref.to_float(ref.decode(rf, aref.rounded("add", rf, float(u), float(v)))) for u, v in zip(x, y)]
    assert_same(total, expected, x, y, context="e4m3 + e5m2 -> fp16")


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("op", ["add", "sub", "mul"])
def test_int8_arithmetic_is_exact_then_saturated_or_wrapped(op, overflow):
    v = np.arange(-128, 128, dtype=np.float64)
    i, j = all_pairs(256)
    exact = HARDWARE[op](v[i].astype(np.int64), v[j].astype(np.int64))
    expected = np.clip(exact, -128, 127) if overflow == "saturate" else (exact + 128) % 256 - 128
    assert_same(BINARY[op](v[i], v[j], "int8", overflow=overflow), expected, v[i], v[j], context=f"int8 {op} {overflow}")


@pytest.mark.parametrize("mode", ["nearest_even", "toward_negative", "stochastic_a"])
@pytest.mark.parametrize("op", ["mul", "div"])
def test_fixed_point_against_the_reference(op, mode):
    name = "fixed<8,4>"
    values, _ = ref_values(name)
    i, j = all_pairs(len(values))
    rbits = np.random.default_rng(1).integers(0, 16, i.size) if mode == "stochastic_a" else None
    extra = {"sr_bits": 4, "random_bits": rbits} if rbits is not None else {}
    ours = BINARY[op](values[i], values[j], name, mode, nan_policy="zero", **extra)
    assert_same(ours, reference_results(op, name, (i, j), mode, rbits=rbits, nbits=4), values[i], values[j], context=f"{name} {op} {mode}")


def test_wrapping_far_beyond_the_range():
    """Wrapping keeps exact low bits when the sum is exact in the window, and refuses results
    whose bits near the quantum the window no longer holds."""
    assert numsim.add(2.0**40, 3.0, "int8", overflow="wrap", a_format="fp32", b_format="fp32") == 3.0
    with pytest.raises(ValueError, match="wrapping them needs bits below the 60"):
        numsim.add(2.0**100, 5.0, "int8", overflow="wrap", a_format="fp32", b_format="fp32")
    assert numsim.add(2.0**100, 5.0, "int8", overflow="saturate", a_format="fp32", b_format="fp32") == 127.0


# ---- special values and flags ------------------------------------------------------------------


def test_signed_zeros():
    assert np.signbit(numsim.add(1.0, -1.0, "e4m3")) == False  # noqa: E712
    assert np.signbit(numsim.add(1.0, -1.0, "e4m3", "toward_negative"))
    assert np.signbit(numsim.add(-0.0, -0.0, "e4m3"))
    assert not np.signbit(numsim.add(-0.0, 0.0, "e4m3"))
    assert np.signbit(numsim.sqrt(-0.0, "e4m3"))
    assert np.signbit(numsim.fma(2.0, 3.0, -6.0, "bf16", "toward_negative"))


def test_nan_propagation_keeps_the_first_nan():
    e5m2 = numsim.get_format("e5m2")
    nan_a, nan_b = numsim.decode(np.array([0x7D, 0xFE], np.uint8), e5m2)  # +sNaN payload 01, -qNaN payload 10
    codes = numsim.encode(numsim.add([nan_a, 1.0, nan_b], [nan_b, nan_b, nan_a], e5m2), e5m2)
    assert codes.tolist() == [0x7F, 0xFE, 0xFE]  # the signalling NaN comes out quiet, payload kept
    default = numsim.encode(numsim.sub(np.inf, np.inf, e5m2), e5m2)
    assert default == 0x7E  # positive quiet NaN


def test_formats_without_nan_follow_nan_policy():
    with pytest.raises(ValueError, match="need a NaN"):
        numsim.div(0.0, 0.0, "e2m1")
    assert numsim.div(0.0, 0.0, "e2m1", nan_policy="zero") == 0.0
    assert np.isnan(numsim.div(1.0, 0.0, "e4m3"))  # e4m3fn has no Inf: non-saturating by default, as quantize
    assert numsim.div(1.0, 0.0, "e4m3", overflow="saturate") == 448.0


def test_ftz_and_daz():
    tiny = 2.0**-9  # the smallest e4m3 subnormal
    assert numsim.mul(tiny, 1.0, "e4m3") == tiny
    assert numsim.mul(tiny, 1.0, "e4m3", ftz=True) == 0.0
    assert numsim.add(tiny, 1.0, "e4m3", "toward_positive") == 1.125
    assert numsim.add(tiny, 1.0, "e4m3", "toward_positive", daz=True) == 1.0


def test_inputs_must_be_representable_unless_quantized():
    with pytest.raises(ValueError, match="a holds 1 value"):
        numsim.add(1.1, 1.0, "e4m3")
    with pytest.raises(ValueError, match="b holds"):
        numsim.mul(1.0, 1e6, "bf16", b_format="e4m3")
    assert numsim.add(1.1, 1.0, "e4m3", quantize_inputs=True) == 2.0
    assert numsim.add(1.1, 1.0, "e4m3", "toward_positive", quantize_inputs=True) == 2.25  # 1.125 + 1, rounded up
    assert numsim.add(1.1, 1.0, "e4m3", "toward_positive", quantize_inputs=True, input_rounding="toward_zero") == 2.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="op must be one of"):
        numsim.arithmetic.elementwise("pow", (1.0, 2.0), "fp16")
    with pytest.raises(TypeError, match="block formats"):
        numsim.add(1.0, 1.0, "mxfp8_e4m3")
    with pytest.raises(TypeError, match="b_format must be a scalar format"):
        numsim.add(1.0, 1.0, "fp16", b_format="mxfp4")
    with pytest.raises(ValueError, match=r"must broadcast to one shape, got a \(3,\), b \(4,\)"):
        numsim.add(np.ones(3), np.ones(4), "fp16")
    with pytest.raises(ValueError, match="at most 31 significant bits"):
        numsim.fma(1.0, 1.0, 1.0, "fp32", a_format="uint32")
    with pytest.raises(ValueError, match="sr_bits"):
        numsim.add(1.0, 1.0, "fp32", "stochastic_a", sr_bits=40)
    with pytest.raises(ValueError, match="sr_bits <= 28"):
        numsim.add(1.0, 1.0, "int32", "stochastic_a", sr_bits=32)
    with pytest.raises(ValueError, match="sr_bits <= 28"):
        numsim.add(1.0, 1.0, "int32", "stochastic_a", sr_bits=np.int64(32))
    with pytest.raises(ValueError, match="random_bits must have the broadcast shape"):
        numsim.add(np.ones(3), 1.0, "fp16", "stochastic_a", random_bits=np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="overflow='wrap'"):
        numsim.add(1.0, 1.0, "fp16", overflow="wrap")


# ---- properties ----------------------------------------------------------------------------------

small_format = st.sampled_from(SMALL_FLOATS + ["fp16", "bf16"])


@st.composite
def value_pairs(draw):
    name = draw(small_format)
    values, _ = ref_values(name)
    finite = values[np.isfinite(values)]
    pick = st.integers(0, finite.size - 1)
    return name, finite[draw(pick)], finite[draw(pick)]


@given(value_pairs(), st.sampled_from(["add", "mul"]), st.sampled_from(MODES))
def test_add_and_mul_commute(case, op, mode):
    name, a, b = case
    assert same_values(BINARY[op](a, b, name, mode), BINARY[op](b, a, name, mode))


@given(value_pairs(), st.sampled_from(list(BINARY)), st.sampled_from(["nearest_even", "nearest_away", "toward_zero"]))
def test_sign_symmetry_of_symmetric_modes(case, op, mode):
    name, a, b = case
    flipped = BINARY[op](-a, b, name, mode, nan_policy="zero")
    if op in ("add", "sub"):
        flipped = BINARY[op](-a, -b, name, mode, nan_policy="zero")
    plain = BINARY[op](a, b, name, mode, nan_policy="zero")
    assert (np.isnan(plain) and np.isnan(flipped)) or -plain == flipped


@given(value_pairs(), st.sampled_from(MODES))
def test_addition_is_monotone(case, mode):
    name, a, b = case
    values, _ = ref_values(name)
    finite = np.sort(values[np.isfinite(values)])
    bigger = finite[np.searchsorted(finite, a, side="right")] if a < finite[-1] else a
    # saturating, so that overflow gives comparable values rather than NaN
    assert numsim.add(a, b, name, mode, "saturate") <= numsim.add(bigger, b, name, mode, "saturate")


@given(value_pairs(), st.sampled_from(list(BINARY)))
def test_nearest_error_is_at_most_half_an_ulp(case, op):
    name, a, b = case
    fmt = numsim.get_format(name)
    with np.errstate(all="ignore"):
        exact = HARDWARE[op](np.float64(a), np.float64(b))  # exact in float64 for + - * of these formats
    if op == "div" or not np.isfinite(exact) or abs(exact) > fmt.max or exact == 0:
        return
    result = BINARY[op](a, b, name)
    ulp = 2.0 ** (max(np.floor(np.log2(abs(exact))), fmt.emin) - fmt.man_bits)
    assert abs(result - exact) <= ulp / 2


@pytest.mark.parametrize(
    "name, dtype, snan, qnan",
    [("fp16", np.uint16, 0x7C1B, 0x7E1B), ("bf16", np.uint16, 0xFF81, 0xFFC1), ("fp32", np.uint32, 0x7F800001, 0x7FC00001)],
)
def test_signalling_nans_come_out_quiet(name, dtype, snan, qnan):
    """IEEE 754 §6.2: an operation on a signalling NaN delivers the quiet NaN with its payload (the
    quiet bit is the top mantissa bit; the expected codes are written out by hand)."""
    fmt = numsim.get_format(name)
    x = numsim.decode(np.array([snan], dtype), fmt)
    one = np.array([1.0])
    results = [
        numsim.add(x, one, fmt), numsim.sub(one, x, fmt), numsim.mul(x, one, fmt), numsim.div(one, x, fmt),
        numsim.fma(one, one, x, fmt), numsim.sqrt(x, fmt), numsim.quantize(x, fmt),
    ]
    for r in results:
        assert numsim.encode(r, fmt).tolist() == [qnan]
    assert numsim.encode(x, fmt).tolist() == [qnan]


def test_signalling_nans_from_binary64_and_binary32_come_out_quiet():
    """Conversions keep the sign and the top payload bits and set the quiet bit; the float64 values
    that quantize returns carry the quiet NaN's bits."""
    snan64 = np.array([0x7FF4000000000001, 0xFFF0000000000001], np.uint64).view(np.float64)
    assert numsim.encode(snan64, "fp16").tolist() == [0x7F00, 0xFE00]  # payload bit 50 -> mantissa bit 8
    assert numsim.encode(snan64, "bf16").tolist() == [0x7FE0, 0xFFC0]
    assert numsim.encode(snan64, "fp32").tolist() == [0x7FE00000, 0xFFC00000]
    assert numsim.quantize(snan64, "fp16").view(np.uint64).tolist() == [0x7FFC000000000000, 0xFFF8000000000000]
    snan32 = np.array([0x7FA00001], np.uint32).view(np.float32)
    assert numsim.encode(snan32, "fp32").tolist() == [0x7FE00001]
    assert numsim.encode(snan32, "fp16").tolist() == [0x7F00]
    assert numsim.quantize(snan64, "e2m1", nan_policy="zero").tolist() == [0.0, 0.0]  # no NaN: as documented
