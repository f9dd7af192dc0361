"""numsim's multiplier kernels against the exact multiplier reference (multiplier_reference.py):
exhaustive over every fp8 (and fp6/fp4) code pair for L-Mul and Mitchell under each switch, and
over all 8-bit integer pairs for the integer multipliers."""

from __future__ import annotations

import numpy as np
import pytest

import multiplier_reference as mref
import numsim
from numsim.multipliers import DRUM, LMul, Lookup, Mitchell, Truncated, multiply_codes, product_values

SWITCHES = [
    LMul(),
    LMul(semantics="literal"),
    LMul(semantics="literal", mantissa_bits=2, underflow="pass", overflow="wrap"),
    LMul(mantissa_bits=2, input_rounding="nearest_even"),
    LMul(mantissa_bits=1),
    LMul(zero="positive", subnormal="raw", underflow="pass"),
    LMul(zero="raw", subnormal="raw", underflow="wrap", overflow="wrap", specials="raw"),
    LMul(underflow="positive_zero", overflow="saturate"),
    LMul(offset=0x36),
    Mitchell(),
    Mitchell(overflow="nan"),
]


def assert_exhaustive(mult, f):
    """numsim against the reference on every code pair of ``f``: result codes for the
    integer adder, exact values (with their half-unit bit and signed zeros) for the literal
    formula."""
    codes = np.arange(f.num_codes)
    ca, cb = np.meshgrid(codes, codes, indexing="ij")
    if mult.semantics == "integer":
        ours = multiply_codes(mult, ca, cb, f)
        expected = np.array([[mref.multiply_codes(mult, f, int(x), int(y)) for y in codes] for x in codes])
        bad = ours != expected
    else:
        values = np.asarray(numsim.decode(codes, f), np.float64)
        a, b = np.meshgrid(values, values, indexing="ij")
        ours = product_values(mult, a, b, f, f)
        expected = np.array([[mref.to_float(mref.multiply_values(mult, f, f, x, y)) for y in values] for x in values])
        same = (ours == expected) & (np.signbit(ours) == np.signbit(expected))
        bad = ~(same | (np.isnan(ours) & np.isnan(expected)))
    assert not bad.any(), f"{int(bad.sum())} mismatches, first {np.argwhere(bad)[0]}"


@pytest.mark.parametrize("fmt", ["e4m3", "e5m2"])
@pytest.mark.parametrize("mult", SWITCHES, ids=lambda m: m.name)
def test_float_multipliers_exhaustive_fp8(fmt, mult):
    f = numsim.get_format(fmt)
    if mult.overflow == "nan" and not f.has_nan:
        pytest.skip("format without NaN")
    assert_exhaustive(mult, f)


@pytest.mark.parametrize("fmt", ["e2m3", "e3m2", "e2m1"])
@pytest.mark.parametrize("mult", [LMul(), Mitchell(), LMul(semantics="literal"), LMul(semantics="literal", overflow="saturate")], ids=lambda m: m.name)
def test_lmul_small_formats_exhaustive(fmt, mult):
    assert_exhaustive(mult, numsim.get_format(fmt))


def test_literal_keeps_half_a_unit_and_multiply_codes_refuses_it():
    # e5m2 1.75 x 1.75, l = 2: 1 + 0.75 + 0.75 + 0.25 = 2.75, between the codes 2.5 and 3
    assert numsim.mul(1.75, 1.75, "float32", a_format="e5m2", b_format="e5m2", multiplier=LMul(semantics="literal")).tolist() == 2.75
    assert numsim.mul(1.75, 1.75, "e5m2", multiplier=LMul(semantics="literal")).tolist() == 3.0  # then rounded (tie to even)
    with pytest.raises(ValueError, match="literal"):
        multiply_codes(LMul(semantics="literal"), 0x3F, 0x3F, "e5m2")


@pytest.mark.parametrize("mult", [Mitchell(), DRUM(3), DRUM(6), Truncated(vbl=6), Truncated(vbl=4, hbl=2)], ids=lambda m: m.name)
@pytest.mark.parametrize("fmt", ["int8", "uint8"])
def test_integer_multipliers_exhaustive(mult, fmt):
    f = numsim.get_format(fmt)
    v = np.arange(f.min, f.max + 1, dtype=np.float64)
    a, b = np.meshgrid(v, v, indexing="ij")
    ours = product_values(mult, a, b, f, f)
    expected = np.array([[mref.multiply_ints(mult, int(x), int(y)) for y in v] for x in v], dtype=np.float64)
    np.testing.assert_array_equal(ours, expected)


def test_lookup_table_multiplier():
    table = np.outer(np.arange(16), np.arange(16)) - (np.arange(16)[:, None] & 1)
    mult = Lookup(table, name="approx4")
    v = np.arange(16, dtype=np.float64)
    a, b = np.meshgrid(v, v, indexing="ij")
    np.testing.assert_array_equal(product_values(mult, a, b, numsim.get_format("uint4"), numsim.get_format("uint4")), table)
    assert not mult.commutative and Truncated(vbl=3).commutative and not Truncated(hbl=1).commutative


def test_mul_with_multiplier_rounds_the_approximate_product():
    # L-Mul of e4m3 3.25 x 2.5 is the code 0x50 = 8.0 (reference, section 9.4); into e2m1: 6 (saturated)
    assert numsim.mul(3.25, 2.5, "e4m3", multiplier=LMul()).tolist() == 8.0
    assert numsim.mul(3.25, 2.5, "e2m1", a_format="e4m3", b_format="e4m3", multiplier=LMul()).tolist() == 6.0
    with pytest.raises(ValueError, match="one float format"):
        numsim.mul(1.0, 1.0, "fp32", a_format="e4m3", b_format="e5m2", multiplier=LMul())
    with pytest.raises(ValueError, match="unknown multiplier 'booth'"):
        numsim.mul(1.0, 1.0, "fp32", multiplier="booth")
    with pytest.raises(TypeError, match="multiplier must be"):
        numsim.mul(1.0, 1.0, "fp32", multiplier=3)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: LMul(zero="keep"), "zero must be"),
        (lambda: LMul(mantissa_bits=-1), "mantissa_bits"),
        (lambda: LMul(l=40), "l must be"),
        (lambda: DRUM(0), "k must be"),
        (lambda: Truncated(vbl=-1), "vbl"),
        (lambda: Lookup(np.zeros((3, 3))), "shape"),
        (lambda: LMul(overflow="inf").check(numsim.get_format("e4m3"), numsim.get_format("e4m3")), "infinities"),
        (lambda: LMul(mantissa_bits=5).check(numsim.get_format("e4m3"), numsim.get_format("e4m3")), "exceeds"),
    ],
)
def test_bad_multipliers_raise(build, match):
    with pytest.raises(ValueError, match=match):
        build()
