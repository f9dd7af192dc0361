"""Input dtypes, shapes, flags and the agreement of the kernels' fast and general paths."""

from fractions import Fraction

import numpy as np
import pytest

import numsim
from numsim import FloatFormat


def test_scalars_shapes_and_layouts():
    assert isinstance(numsim.quantize(1.3, "e4m3"), np.float64)
    assert numsim.encode(2, "int8") == 2 and numsim.encode(2, "int8").dtype == np.uint8
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7
    q = numsim.quantize(x, "e5m2")
    assert q.shape == x.shape
    strided = x[:, ::2, ::-1]
    np.testing.assert_array_equal(numsim.quantize(strided, "e5m2"), q[:, ::2, ::-1])
    assert numsim.quantize(np.empty((0, 3)), "e5m2").shape == (0, 3)
    assert numsim.encode(np.empty(0), "fp32").dtype == np.uint32
    assert numsim.encode([1.0], "tf32").dtype == np.uint32 and numsim.encode([1.0], "bf16").dtype == np.uint16


def test_narrow_float_inputs_are_exact():
    x16 = np.arange(2**16, dtype=np.uint16).view(np.float16)
    for fmt in ("e4m3", "e5m2", "e2m1", "e8m0", "bf16"):
        args = dict(nan_policy="zero")
        np.testing.assert_array_equal(numsim.encode(x16, fmt, **args), numsim.encode(x16.astype(np.float64), fmt, **args))


@pytest.mark.parametrize("value", [-(2**63), 2**63 - 1, 2**62 + 1, 2**62 + 3, -(2**62) - 1, 2**53 + 1, 12345678901, -7])
@pytest.mark.parametrize("fmt", ["fp32", "bf16", "e5m2", "int32", "int16", "fixed<16,-40>"])
@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_int64_inputs_are_rounded_exactly(value, fmt, overflow):
    fmt = numsim.get_format(fmt)
    is_float = isinstance(fmt, FloatFormat)
    if is_float and overflow == "wrap":
        return
    got = numsim.quantize(np.array([value], np.int64), fmt, overflow=overflow)[0]
    if is_float:
        expected = _nearest_even_float(value, fmt)  # overflow here is 'saturate'
    else:
        scale = 2 ** fmt.frac_bits if hasattr(fmt, "frac_bits") else 1
        n = _round_half_even(Fraction(value) * Fraction(scale))
        if overflow == "saturate":
            n = min(max(n, fmt.min_int), fmt.max_int)
        else:
            n = (n - fmt.min_int) % (1 << fmt.bits) + fmt.min_int
        expected = float(Fraction(n) / Fraction(scale))
    assert got == expected


def _round_half_even(q: Fraction) -> int:
    floor = q.numerator // q.denominator
    rest = q - floor
    return floor + (rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1))


def _nearest_even_float(value: int, fmt: FloatFormat) -> float:
    """Python-int rounding of a large integer to precision p (no subnormals involved)."""
    if value == 0:
        return 0.0
    mag = abs(value)
    quantum = 2 ** max(mag.bit_length() - 1 - fmt.man_bits, 0)
    rounded = _round_half_even(Fraction(mag, quantum)) * quantum
    result = float(min(rounded, Fraction(fmt.max)))  # saturating
    return -result if value < 0 else result


def test_unsigned_bool_and_small_int_inputs():
    assert numsim.quantize(np.array([2**63 - 1], np.uint64), "fp32")[0] == 2.0**63
    assert numsim.quantize(np.array([True, False]), "e2m1").tolist() == [1.0, 0.0]
    assert numsim.quantize(np.array([300, -300], np.int16), "int8").tolist() == [127.0, -128.0]
    assert numsim.quantize(np.array([300, 44], np.uint32), "int8", overflow="wrap").tolist() == [44.0, 44.0]


def test_float32_output_equals_float64_output():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(50_000).astype(np.float32) * 30, [np.nan, np.inf, -0.0]]).astype(np.float32)
    for fmt in ("e4m3", "e5m2", "bf16", "fp16", "tf32", "fp32", "e2m1", "int8", "fixed<12,4>"):
        q64 = numsim.quantize(x, fmt, nan_policy="zero")
        q32 = numsim.quantize(x, fmt, dtype=np.float32, nan_policy="zero")
        assert q32.dtype == np.float32
        np.testing.assert_array_equal(q32.astype(np.float64), q64)
        assert (np.signbit(q32) == np.signbit(q64)).all()


FAST_PATH_FORMATS = [
    "e4m3", "e5m2", "e2m1", "e3m2", "e2m3", "e8m0", "bf16", "fp16", "tf32", "fp32", "binary8p4se", "binary8p1uf",
    "binary8p5ue", "e4m3fn_nosub", "e5m2_nosub", "ue4m3fn", "e3m0", "e3m0b2", "binary8p1se", "binary4p1se",
    "e6m2b40fnuz", "e8m5b120", "e2m5b-3fin",
]


def general_path_codes(x: np.ndarray, fmt, overflow: str, ftz: bool) -> np.ndarray:
    """Codes from the element-by-element kernel that every rounding mode uses (white box: the public
    functions route nearest-even binary32/64 inputs to the vectorised kernel instead)."""
    from numsim._kernels import codec
    from numsim._lower.specs import float_spec

    out = np.empty(x.size, dtype=fmt.code_dtype)
    src = np.ascontiguousarray(x).view(np.uint64 if x.dtype == np.float64 else np.uint32)
    ov = numsim.Overflow.parse(overflow).code
    codec.encode_float(src, out, float_spec(fmt), 0, ov, np.uint64(0), 1, np.empty(0, np.uint64), ftz)
    return out


@pytest.mark.parametrize("name", FAST_PATH_FORMATS)
@pytest.mark.parametrize("overflow", ["saturate", "saturate_keep_inf", "non_saturating"])
@pytest.mark.parametrize("ftz", [False, True])
def test_vectorised_nearest_even_equals_general_path(name, overflow, ftz):
    """binary32 and binary64 inputs under nearest-even take the vectorised kernel; it must agree
    code for code (and value for value) with the general element-by-element rule."""
    fmt = numsim.get_format(name)
    if overflow != "saturate" and not (fmt.has_inf or fmt.has_nan):
        return
    rng = np.random.default_rng(len(name))
    bits = rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32)
    scale = np.float32(min(fmt.max, 1e38))
    with np.errstate(over="ignore", under="ignore"):
        x = np.concatenate([bits.view(np.float32), rng.standard_normal(200_000).astype(np.float32) * scale / 8,
                            (rng.standard_normal(50_000) * fmt.min_normal).astype(np.float32)])
    args = dict(overflow=overflow, ftz=ftz, nan_policy="zero")
    with np.errstate(invalid="ignore"):  # signalling NaNs become quiet in the cast
        x64 = np.concatenate([x.astype(np.float64), rng.standard_normal(100_000) * min(fmt.max, 1e300) / 8,
                              np.nextafter(numsim.decode_table(fmt) if fmt.bits <= 16 else np.zeros(1), np.inf)])
    for values in (x, x64):
        general = general_path_codes(values, fmt, overflow, ftz)
        np.testing.assert_array_equal(numsim.encode(values, fmt, **args), general)
        q_fast = numsim.quantize(values, fmt, **args)
        np.testing.assert_array_equal(q_fast, numsim.decode(general, fmt))
        assert (np.signbit(q_fast) == np.signbit(numsim.decode(general, fmt))).all()


def test_daz_uses_the_inputs_own_subnormal_range():
    tiny32 = np.array([1e-40, -1e-40], np.float32)  # float32 subnormals
    assert numsim.quantize(tiny32, "bf16").tolist() != [0.0, -0.0]
    q = numsim.quantize(tiny32, "bf16", daz=True)
    assert q.tolist() == [0.0, 0.0] and np.signbit(q).tolist() == [False, True]
    tiny16 = np.array([2.0**-20], np.float16)  # subnormal in float16, normal in float32
    assert numsim.quantize(tiny16, "fp32")[0] == 2.0**-20
    assert numsim.quantize(tiny16, "fp32", daz=True)[0] == 0.0
    assert numsim.quantize(np.array([2.0**-1030]), "fp32", daz=True)[0] == 0.0


def test_ftz_flushes_subnormal_results_with_the_formats_zero():
    x = np.array([2.0**-8, -(2.0**-8), 2.0**-6])  # e4m3: subnormal, subnormal, min normal
    assert numsim.quantize(x, "e4m3").tolist() == [2.0**-8, -(2.0**-8), 2.0**-6]
    flushed = numsim.quantize(x, "e4m3", ftz=True)
    assert flushed.tolist() == [0.0, 0.0, 2.0**-6] and np.signbit(flushed).tolist() == [False, True, False]
    fnuz = numsim.quantize(-(2.0**-9), "e4m3fnuz", ftz=True)
    assert fnuz == 0.0 and not np.signbit(fnuz)


@pytest.mark.parametrize("name", ["bf16", "fp16", "e5m2", "e4m3", "fp32", "tf32", "e3m4"])
def test_ieee_nan_payloads_and_signs_survive_a_round_trip_quieted(name):
    fmt = numsim.get_format(name)
    M, E = fmt.man_bits, fmt.exp_bits
    top = ((1 << E) - 1) << M
    payloads = [1, (1 << (M - 1)), (1 << M) - 1] if fmt.specials.value == "ieee" else []
    codes = np.array([top | p | s for p in payloads for s in (0, 1 << (E + M))], dtype=fmt.code_dtype)
    if codes.size:
        values = numsim.decode(codes, fmt)
        assert np.isnan(values).all()
        quiet = codes | (1 << (M - 1))  # a signalling NaN (top mantissa bit clear) comes back quiet
        np.testing.assert_array_equal(numsim.encode(values, fmt), quiet.astype(fmt.code_dtype))


def test_nan_sign_rules():
    nan = np.array([np.nan, -np.nan])
    assert numsim.encode(nan, "e4m3").tolist() == [0x7F, 0xFF]
    assert numsim.encode(nan, "e4m3fnuz").tolist() == [0x80, 0x80]
    assert numsim.encode(nan, "binary8p4se").tolist() == [0x80, 0x80]
    assert numsim.encode(nan, "e5m2").tolist() == [0x7E, 0xFE]  # quiet NaN, sign kept
    assert numsim.encode(nan, "e8m0").tolist() == [0xFF, 0xFF]
