"""Format properties against the published constants of the OCP FP8/MX, ml_dtypes, IEEE 754 and
IEEE P3109 specifications (values typed from the specifications, not from numsim)."""

import math

import numpy as np
import pytest

import numsim
from numsim import FixedFormat, FloatFormat, IntFormat

P = math.ldexp

# name: bits, bias, max, min normal, smallest positive value, eps
PUBLISHED = {
    "float8_e4m3fn": (8, 7, 448.0, P(1, -6), P(1, -9), P(1, -3)),
    "float8_e5m2": (8, 15, 57344.0, P(1, -14), P(1, -16), P(1, -2)),
    "float8_e4m3fnuz": (8, 8, 240.0, P(1, -7), P(1, -10), P(1, -3)),
    "float8_e5m2fnuz": (8, 16, 57344.0, P(1, -15), P(1, -17), P(1, -2)),
    "float8_e4m3b11fnuz": (8, 11, 30.0, P(1, -10), P(1, -13), P(1, -3)),
    "float8_e4m3": (8, 7, 240.0, P(1, -6), P(1, -9), P(1, -3)),
    "float8_e3m4": (8, 3, 15.5, 0.25, P(1, -6), P(1, -4)),
    "float6_e3m2fn": (6, 3, 28.0, 0.25, 0.0625, 0.25),
    "float6_e2m3fn": (6, 1, 7.5, 1.0, 0.125, 0.125),
    "float4_e2m1fn": (4, 1, 6.0, 1.0, 0.5, 0.5),
    "float8_e8m0fnu": (8, 127, P(1, 127), P(1, -127), P(1, -127), 1.0),
    "bfloat16": (16, 127, (2 - P(1, -7)) * P(1, 127), P(1, -126), P(1, -133), P(1, -7)),
    "float16": (16, 15, 65504.0, P(1, -14), P(1, -24), P(1, -10)),
    "float32": (32, 127, (2 - P(1, -23)) * P(1, 127), P(1, -126), P(1, -149), P(1, -23)),
    "tf32": (19, 127, (2 - P(1, -10)) * P(1, 127), P(1, -126), P(1, -136), P(1, -10)),
    # IEEE P3109 interim report v4.0, K = 8 and K = 4 tables
    "binary8p1se": (8, 64, P(1, 62), P(1, -63), P(1, -63), 1.0),
    "binary8p1sf": (8, 64, P(1, 63), P(1, -63), P(1, -63), 1.0),
    "binary8p2se": (8, 32, P(1, 31), P(1, -31), P(1, -32), 0.5),
    "binary8p2sf": (8, 32, 1.5 * P(1, 31), P(1, -31), P(1, -32), 0.5),
    "binary8p3se": (8, 16, 49152.0, P(1, -15), P(1, -17), 0.25),
    "binary8p3sf": (8, 16, 57344.0, P(1, -15), P(1, -17), 0.25),
    "binary8p4se": (8, 8, 224.0, P(1, -7), P(1, -10), 0.125),
    "binary8p4sf": (8, 8, 240.0, P(1, -7), P(1, -10), 0.125),
    "binary8p5se": (8, 4, 15.0, 0.125, P(1, -7), 0.0625),
    "binary8p5sf": (8, 4, 15.5, 0.125, P(1, -7), 0.0625),
    "binary8p6se": (8, 2, 3.875, 0.5, P(1, -6), P(1, -5)),
    "binary8p6sf": (8, 2, 3.9375, 0.5, P(1, -6), P(1, -5)),
    "binary8p7se": (8, 1, 1.96875, 1.0, P(1, -6), P(1, -6)),
    "binary8p7sf": (8, 1, 1.984375, 1.0, P(1, -6), P(1, -6)),
    "binary8p1ue": (8, 128, P(1, 125), P(1, -127), P(1, -127), 1.0),
    "binary8p1uf": (8, 128, P(1, 126), P(1, -127), P(1, -127), 1.0),
    "binary8p3uf": (8, 32, 1.5 * P(1, 31), P(1, -31), P(1, -33), 0.25),
    "binary8p4ue": (8, 16, 1.625 * P(1, 15), P(1, -15), P(1, -18), 0.125),
    "binary8p4uf": (8, 16, 1.75 * P(1, 15), P(1, -15), P(1, -18), 0.125),
    "binary4p1sf": (4, 4, 8.0, 0.125, 0.125, 1.0),
    "binary4p2se": (4, 2, 2.0, 0.5, 0.25, 0.5),
    "binary4p2sf": (4, 2, 3.0, 0.5, 0.25, 0.5),
    "binary4p3sf": (4, 1, 1.75, 1.0, 0.25, 0.25),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_constants(name):
    bits, bias, vmax, vmin_normal, vsmallest, eps = PUBLISHED[name]
    fmt = numsim.get_format(name)
    assert (fmt.bits, fmt.bias, fmt.max, fmt.min_normal, fmt.min_subnormal, fmt.eps) == (bits, bias, vmax, vmin_normal, vsmallest, eps)
    if fmt.bits <= 16:
        values = fmt.values()
        finite = values[np.isfinite(values)]
        assert finite.max() == vmax
        assert finite[finite > 0].min() == vsmallest
        assert fmt.min == (finite.min() if fmt.is_signed else fmt.min)


def _codes(name, predicate):
    values = numsim.get_format(name).values()
    return [c for c in range(values.size) if predicate(values[c], c)]


def test_ocp_e4m3fn_code_census():
    values = numsim.get_format("e4m3").values()
    assert _codes("e4m3", lambda v, c: np.isnan(v)) == [0x7F, 0xFF]
    assert np.count_nonzero(values == 0) == 2 and np.signbit(values[0x80])
    assert np.count_nonzero(np.isfinite(values) & (values != 0)) == 252
    assert values[0x7E] == 448 and values[0x08] == 2**-6 and values[0x07] == 0.875 * 2**-6 and values[0x01] == 2**-9


def test_ocp_e5m2_code_census():
    values = numsim.get_format("e5m2").values()
    assert _codes("e5m2", lambda v, c: np.isinf(v)) == [0x7C, 0xFC]
    assert _codes("e5m2", lambda v, c: np.isnan(v)) == [0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF]
    assert np.count_nonzero(np.isfinite(values) & (values != 0)) == 246
    assert values[0x7B] == 57344 and values[0x03] == 0.75 * 2**-14


@pytest.mark.parametrize("name", ["float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e4m3b11fnuz", "binary8p3sf", "binary8p1sf"])
def test_fnuz_single_nan_and_no_negative_zero(name):
    values = numsim.get_format(name).values()
    assert _codes(name, lambda v, c: np.isnan(v)) == [0x80]
    assert np.count_nonzero(values == 0) == 1 and not np.signbit(values[0])


def test_p3109_extended_specials():
    values = numsim.get_format("binary8p4se").values()
    assert values[0x7F] == np.inf and values[0xFF] == -np.inf and np.isnan(values[0x80]) and values[0x7E] == 224
    unsigned = numsim.get_format("binary8p4ue").values()
    assert unsigned[0xFE] == np.inf and np.isnan(unsigned[0xFF]) and unsigned[0xFD] == 1.625 * 2**15


def test_e8m0_and_binary8p1uf_scales():
    e8m0 = numsim.get_format("e8m0").values()
    assert e8m0[0] == 2**-127 and e8m0[0x7F] == 1.0 and e8m0[0xFE] == 2**127 and np.isnan(e8m0[0xFF])
    assert not numsim.get_format("e8m0").has_zero and not numsim.get_format("e8m0").is_signed
    p1uf = numsim.get_format("binary8p1uf").values()
    assert p1uf[0] == 0 and p1uf[1] == 2**-127 and p1uf[0xFE] == 2**126 and np.isnan(p1uf[0xFF])
    # Binary8p1uf code c equals E8M0 code c - 1 for c >= 1
    np.testing.assert_array_equal(p1uf[1:0xFF], e8m0[0:0xFE])


def test_small_value_sets():
    e2m1 = numsim.get_format("e2m1").values()
    assert e2m1[:8].tolist() == [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    e2m3 = numsim.get_format("e2m3").values()[:32].tolist()
    expected = [k / 8 for k in range(16)] + [2 + k / 4 for k in range(8)] + [4 + k / 2 for k in range(8)]
    assert e2m3 == expected
    e3m2 = numsim.get_format("e3m2").values()[:32].tolist()
    assert e3m2[:4] == [0, 0.0625, 0.125, 0.1875] and e3m2[4] == 0.25 and e3m2[-4:] == [16, 20, 24, 28]


def test_ints_and_fixed_point():
    assert (IntFormat(8).min, IntFormat(8).max) == (-128, 127)
    assert (IntFormat(8, symmetric=True).min, IntFormat(4, signed=False).max) == (-127, 15)
    mxint8 = FixedFormat(8, 6)
    assert (mxint8.min, mxint8.max, mxint8.resolution) == (-2.0, 127 / 64, 1 / 64)
    assert IntFormat(8).values()[[0, 1, 127, 128, 255]].tolist() == [0, 1, 127, -128, -1]
    assert FixedFormat(4, -2, signed=False).values().tolist() == [4.0 * k for k in range(16)]


def test_formats_are_hashable_values():
    a, b = FloatFormat(4, 3, specials="fn"), FloatFormat(4, 3, bias=7, subnormals=True, specials=numsim.Specials.FN, signed=True)
    assert a == b and hash(a) == hash(b) and len({a, b, numsim.get_format("e4m3")}) == 1
    with pytest.raises(AttributeError):
        a.bias = 8  # frozen
    assert FloatFormat(4, 0, subnormals=False) == FloatFormat(4, 0)  # no subnormal values with M = 0
    assert str(a) == "float8_e4m3fn" and "specials='fn'" in repr(a)


def test_finfo_style_aliases():
    fmt = numsim.get_format("bf16")
    assert (fmt.nexp, fmt.nmant, fmt.precision) == (8, 7, 8)
    assert fmt.smallest_normal == fmt.min_normal and fmt.smallest_subnormal == fmt.min_subnormal
    assert (fmt.emin, fmt.emax) == (-126, 127)
    assert numsim.get_format("e4m3").emax == 8 and numsim.get_format("e8m0").emax == 127


def test_no_subnormal_formats():
    fmt = FloatFormat(4, 3, specials="fn", subnormals=False)
    assert fmt.min_subnormal == fmt.min_normal == 2**-6 and not fmt.has_subnormals
    values = fmt.values()
    assert values[1] == 0 and values[0x80 | 5] == 0 and np.signbit(values[0x85])  # non-canonical zeros


@pytest.mark.parametrize("name", sorted(numsim.registered_formats()))
def test_default_overflow_documented_per_family(name):
    fmt = numsim.get_format(name)
    expected = "saturate" if isinstance(fmt, (IntFormat, FixedFormat)) or not (fmt.has_inf or fmt.has_nan) else "non_saturating"
    assert fmt.default_overflow.value == expected
