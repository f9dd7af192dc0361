"""Agreement with ml_dtypes and NumPy where they are correct, and recorded differences where they are not.

ml_dtypes rounds float32 inputs correctly to nearest-even in every format below except E8M0. Where it
departs from exact rounding depends on its version (tests/anchors.py records what each checked
version does): numsim is checked against hand-derived values and the exact reference, and ml_dtypes
is expected to give the correct value or, in the versions that have it, the recorded deviation.
"""

import math

import numpy as np
import pytest
from packaging.version import Version

import numsim
from anchors import DEVIATIONS, expected_anchor
from oracle import assert_codes_equal, ref_codes

ml_dtypes = pytest.importorskip("ml_dtypes")

SHARED = [
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e4m3b11fnuz", "float8_e3m4",
    "float8_e4m3", "float6_e2m3fn", "float6_e3m2fn", "float4_e2m1fn", "bfloat16",
]


def float32_probe(fmt: numsim.Format, seed: int = 0) -> np.ndarray:
    """float32 inputs that exercise every rounding decision of ``fmt``: every representable value,
    every midpoint between neighbours and the float32 values either side of both, every float16
    value, 2^20 random bit patterns, signed zeros and specials."""
    rng = np.random.default_rng(seed)
    values = numsim.decode_table(fmt)
    finite = np.unique(np.abs(values[np.isfinite(values)]))
    top = finite[-1] + (finite[-1] - finite[-2])  # beyond the largest value
    grid = np.concatenate([finite, [top, 2 * top]])
    mids = (grid[:-1] + grid[1:]) / 2
    with np.errstate(over="ignore"):
        anchors = np.concatenate([grid, mids]).astype(np.float32)
    near = np.concatenate([anchors, np.nextafter(anchors, np.float32(0)), np.nextafter(anchors, np.float32(np.inf))])
    random_bits = rng.integers(0, 2**32, 2**20, dtype=np.uint64).astype(np.uint32).view(np.float32)
    half = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan], np.float32)
    x = np.concatenate([near, -near, random_bits, half, specials])
    return x


def ml_codes(x: np.ndarray, name: str) -> np.ndarray:
    dtype = getattr(ml_dtypes, name)
    with np.errstate(all="ignore"):
        codes = x.astype(dtype).view(np.uint8 if dtype(0).itemsize == 1 else np.uint16)
    bits = numsim.get_format(name).bits
    return codes & ((1 << bits) - 1) if bits < 8 else codes


def assert_same_codes(ours, theirs, x, fmt):
    values = numsim.decode_table(fmt)
    both_nan = np.isnan(values[ours]) & np.isnan(values[theirs])
    same = (ours == theirs) | both_nan
    assert same.all(), f"{(~same).sum()} mismatches, e.g. x={x[~same][:5]} ours={ours[~same][:5]} ml_dtypes={theirs[~same][:5]}"


@pytest.mark.parametrize("name", SHARED)
def test_float32_inputs_nearest_even_match_ml_dtypes(name):
    fmt = numsim.get_format(name)
    x = float32_probe(fmt)
    if not fmt.has_nan:
        x = x[~np.isnan(x)]  # ml_dtypes writes -0 for NaN here: see test_nan_into_fp4_fp6
    assert_same_codes(numsim.encode(x, fmt), ml_codes(x, name), x, fmt)


def test_float32_and_float64_inputs_match_numpy_float16():
    fmt = numsim.get_format("float16")
    x32 = float32_probe(fmt)
    with np.errstate(all="ignore"):
        assert_same_codes(numsim.encode(x32, fmt), x32.astype(np.float16).view(np.uint16), x32, fmt)
        x64 = np.concatenate([x32.astype(np.float64), np.random.default_rng(1).standard_normal(2**18) * 1e4])
        mids = x64[np.isfinite(x64)]
        x64 = np.concatenate([x64, np.nextafter(mids, 0), np.nextafter(mids, np.inf)])
        assert_same_codes(numsim.encode(x64, fmt), x64.astype(np.float16).view(np.uint16), x64, fmt)


FLOAT64_DOUBLE_ROUNDING_CASES = [
    (0.12109374882416686, 0.1171875, 0.125),  # just below the 0.1171875/0.125 midpoint
    (np.nextafter(248.0, 0.0), 240.0, 256.0),
    (-431.99999999999994, -416.0, -448.0),
]


@pytest.mark.parametrize("x, ours, through_float32", FLOAT64_DOUBLE_ROUNDING_CASES)
def test_float64_inputs_are_rounded_once(x, ours, through_float32):
    """Each x lies just inside a midpoint of E4M3FN, so rounding it to float32 first lands on the
    midpoint and the tie goes the other way: ml_dtypes up to 0.6 does that, 0.7 rounds once."""
    assert numsim.quantize(np.array([x]), "e4m3")[0] == ours
    assert np.float32(x) * 1.0 == (ours + through_float32) / 2  # float32 rounding lands on the tie
    theirs = float(np.array([x]).astype(ml_dtypes.float8_e4m3fn)[0])
    assert theirs in expected_anchor("float64_through_float32", ours, through_float32)


def float64_probe(fmt: numsim.Format, seed: int = 2) -> np.ndarray:
    """float64 inputs whose rounding differs from rounding their float32 neighbour: every midpoint
    of ``fmt`` and the float64 values either side of it, plus random float64 values over its range."""
    values = numsim.decode_table(fmt)
    finite = np.unique(values[np.isfinite(values)])
    mids = (finite[:-1] + finite[1:]) / 2
    rng = np.random.default_rng(seed)
    spread = rng.standard_normal(2**16) * np.exp2(rng.integers(-12, 12, 2**16)) * finite[-1] / 8
    return np.concatenate([mids, np.nextafter(mids, -np.inf), np.nextafter(mids, np.inf), spread])


@pytest.mark.parametrize("name", SHARED)
def test_float64_inputs_match_ml_dtypes_where_it_rounds_once(name):
    """numsim against the exact reference on float64 inputs; ml_dtypes against numsim on the same
    inputs where it rounds float64 once, and on the float32-exact ones where it does not."""
    fmt = numsim.get_format(name)
    x = float64_probe(fmt)
    ours = numsim.encode(x, fmt)
    exact_sample = x[:: max(1, x.size // 4000)]
    assert_codes_equal(numsim.encode(exact_sample, fmt), ref_codes(fmt, exact_sample), exact_sample, name)
    if DEVIATIONS["float64_through_float32"].installed() is not False:
        with np.errstate(over="ignore"):  # beyond float32's range: not float32-exact
            keep = x.astype(np.float32).astype(np.float64) == x
        x, ours = x[keep], ours[keep]
    assert_same_codes(ours, ml_codes(x, name), x, fmt)


@pytest.mark.parametrize("x, ours, up", [(3.0, 2.0, 4.0), (12.0, 8.0, 16.0), (0.75, 0.5, 1.0), (6.0, 8.0, 8.0)])
def test_e8m0_ties_go_to_the_even_code(x, ours, up):
    """1.5 * 2^k is a tie between 2^k and 2^(k+1); the even code has the even exponent field (6 -> 8,
    whose neighbour 4 has an odd field). ml_dtypes 0.6 and 0.7 round these ties up."""
    assert numsim.quantize(np.float32(x), "e8m0") == ours
    theirs = float(np.array([x], np.float32).astype(ml_dtypes.float8_e8m0fnu)[0])
    assert theirs in expected_anchor("e8m0_ties_up", ours, up)


def test_e8m0_agrees_with_ml_dtypes_except_recorded_deviations():
    fmt = numsim.get_format("e8m0")
    x = float32_probe(fmt)
    ours, theirs = numsim.encode(x, fmt), ml_codes(x, "float8_e8m0fnu")
    differ = ~((ours == theirs) | (np.isnan(fmt.values()[ours]) & np.isnan(fmt.values()[theirs])))
    mant, exp = np.frexp(np.abs(x[differ].astype(np.float64)))
    is_tie = mant == 0.75  # 1.5 * 2^k
    is_f32_subnormal = np.abs(x[differ]) < np.finfo(np.float32).smallest_normal
    ties, subnormals = DEVIATIONS["e8m0_ties_up"].installed(), DEVIATIONS["e8m0_float32_subnormals"].installed()
    allowed = (is_tie & (ties is not False)) | (is_f32_subnormal & (subnormals is not False))
    assert allowed.all(), x[differ][~allowed][:5]
    if ties:
        assert is_tie.sum() >= 100  # every tie with an even lower neighbour is rounded up
    if subnormals:
        assert is_f32_subnormal.sum() >= 100
    # exact rounding of a float32 subnormal: 1.36 * 2^-127 is nearer 2^-127 than 2^-126
    assert numsim.quantize(np.float32(1.36 * 2.0**-127), fmt) == 2.0**-127


def test_e8m0_special_inputs_match_ml_dtypes():
    x = np.array([0.0, -0.0, -1.0, np.inf, np.nan, 2.0**127 * 1.75], np.float32)
    assert np.isnan(numsim.quantize(x, "e8m0")).all()
    assert np.isnan(x.astype(ml_dtypes.float8_e8m0fnu).astype(np.float32)).all()


def test_nan_into_fp4_fp6_is_not_silently_minus_zero():
    nan = np.array([np.nan], np.float32)
    if DEVIATIONS["nan_to_minus_zero"].installed():  # ml_dtypes 0.5 to 0.7: -0
        assert nan.astype(ml_dtypes.float4_e2m1fn).view(np.uint8)[0] & 0xF == 0x8
        assert nan.astype(ml_dtypes.float6_e3m2fn).view(np.uint8)[0] & 0x3F == 0x20
    for name in ("float4_e2m1fn", "float6_e3m2fn", "float6_e2m3fn"):
        with pytest.raises(ValueError, match="does not have"):
            numsim.encode(nan, name)
        assert numsim.encode(nan, name, nan_policy="zero")[0] == 0


@pytest.mark.parametrize("name", SHARED + ["float8_e8m0fnu"])
def test_decode_matches_ml_dtypes_for_every_code(name):
    fmt = numsim.get_format(name)
    codes = np.arange(fmt.num_codes, dtype=np.uint16 if fmt.bits > 8 else np.uint8)
    with np.errstate(invalid="ignore"):
        theirs = codes.view(getattr(ml_dtypes, name)).astype(np.float64)
    ours = numsim.decode(codes, fmt)
    np.testing.assert_array_equal(ours, theirs)  # NaN positions compared by class
    assert (np.signbit(ours) == np.signbit(theirs))[~np.isnan(ours)].all()


def test_ml_dtypes_arrays_are_accepted_as_inputs():
    x = np.array([0.1, -3.5, 448.0, 1e-3], ml_dtypes.float8_e4m3fn)
    np.testing.assert_array_equal(numsim.quantize(x, "e4m3"), x.astype(np.float64))
    b = np.array([1.00390625, 3.0e38], ml_dtypes.bfloat16)
    assert numsim.quantize(b, "bf16").tolist() == b.astype(np.float64).tolist()
    i4 = np.array([-8, 7, 3], ml_dtypes.int4)
    assert numsim.quantize(i4, "int4").tolist() == [-8.0, 7.0, 3.0]
    assert math.isclose(numsim.quantize(b, "e4m3", overflow="saturate")[1], 448.0)


def test_float64_to_float32_matches_the_hardware_conversion():
    """numsim's 32-bit fp32 format against the CPU's own float64 -> float32 conversion (nearest-even,
    subnormals included), and float32 inputs pass through unchanged (signalling NaNs come out quiet)."""
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2**64, 2**20, dtype=np.uint64)
    x = np.concatenate([bits.view(np.float64), rng.standard_normal(2**18) * 1e-40, rng.standard_normal(2**18) * 3e38])
    f32 = np.finfo(np.float32)
    mids = (np.arange(1, 2**16, dtype=np.float64) + 0.5) * float(f32.smallest_subnormal)  # subnormal ties
    x = np.concatenate([x, mids, np.nextafter(mids, 0), -mids])
    x = x[~np.isnan(x)]
    with np.errstate(over="ignore"):
        hardware = x.astype(np.float32)
    np.testing.assert_array_equal(numsim.encode(x, "fp32"), hardware.view(np.uint32))
    same = np.random.default_rng(6).integers(0, 2**32, 2**20, dtype=np.uint64).astype(np.uint32)
    quiet = np.where(np.isnan(same.view(np.float32)), same | np.uint32(1 << 22), same)  # IEEE 754 §6.2
    np.testing.assert_array_equal(numsim.encode(same.view(np.float32), "fp32"), quiet)  # NaN payloads kept


def test_deviation_records_settle_only_the_versions_they_cover():
    """Between two checked versions that agree the record holds; between two that disagree, before
    the first and after the last one checked, either answer is accepted (None)."""
    double = DEVIATIONS["float64_through_float32"]  # 0.5.0 yes, 0.6.0 yes, 0.7.0 no
    assert [double.present(Version(v)) for v in ("0.5.0", "0.5.4", "0.6.0", "0.6.5", "0.7.0", "0.8.0", "0.4.1")] == [
        True, True, True, None, False, None, None]

