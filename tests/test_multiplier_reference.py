"""Self-checks of the approximate-multiplier oracle in tests/multiplier_reference.py.

The oracle will check numsim's multiplier kernels, so it is checked here on its own,
never against numsim's kernels: against the worked bit patterns, error tables and
properties of the L-Mul reference (``lmul.md`` sections 2-4, 8-10 and 16) and against
expected values derived by hand from the docstrings of :mod:`numsim.multipliers`.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as F
from functools import lru_cache

import numpy as np
import pytest

import multiplier_reference as mr
import reference as ref
from numsim import DRUM, Exact, FixedFormat, FloatFormat, IntFormat, LMul, Lookup, Mitchell, Truncated, get_format
from oracle import ref_format

FP32, BF16, FP16 = get_format("fp32"), get_format("bf16"), get_format("fp16")
E4M3, E5M2 = get_format("e4m3"), get_format("e5m2")  # OCP e4m3fn (no Inf) and IEEE-style e5m2
E5M4 = FloatFormat(5, 4)  # any format with m = 4 serves for the m = 4 rows of section 8.1

RAW_ADDER = LMul(zero="raw", subnormal="raw", underflow="wrap", overflow="wrap", specials="raw")


def value(fmt, code: int) -> mr.Value:
    """The exact value of a code in the oracle's Value convention."""
    return mr._value_of(ref.decode(ref_format(fmt), code))


def f32(x) -> np.float32:
    """x rounded to float32 (how the reference document prints fp32 values)."""
    return np.float32(mr.to_float(x) if isinstance(x, (F, str)) else x)


# ----------------------------------------------------------- section 3: the constants


@pytest.mark.parametrize(
    "fmt, lmul_offset, mitchell_offset",
    [(FP32, 0x3F780000, 0x3F800000), (BF16, 0x3F78, 0x3F80), (FP16, 0x3BC0, 0x3C00), (E4M3, 0x37, 0x38), (E5M2, 0x3B, 0x3C)],
)
def test_offset_table(fmt, lmul_offset, mitchell_offset):
    assert LMul().offset_for(fmt) == lmul_offset
    assert Mitchell().offset_for(fmt) == mitchell_offset


# ----------------------------------------------------------- section 9: worked bit patterns

FP32_EXAMPLES = [  # (#, a, b, L-Mul result, printed value)
    (1, 0x3F800000, 0x3F800000, 0x3F880000, 1.0625),
    (2, 0x3FC00000, 0x3FC00000, 0x40080000, 2.125),
    (3, 0x40400000, 0x40A00000, 0x41680000, 14.5),
    (4, 0xC0000000, 0x40400000, 0xC0C80000, -6.25),
    (5, 0x3FFFFFFF, 0x3FFFFFFF, 0x4087FFFE, 4.2499990),
    (6, 0x3DCCCCCD, 0x3E4CCCCD, 0x3CA1999A, 0.019726563),
    (7, 0x40666666, 0x40066666, 0x40F4CCCC, 7.6499996),
    (8, 0x3F800000, 0x40400000, 0x40480000, 3.125),
]


@pytest.mark.parametrize("n, a, b, expected, printed", FP32_EXAMPLES, ids=[f"fp32-{e[0]}" for e in FP32_EXAMPLES])
def test_fp32_examples(n, a, b, expected, printed):
    code = mr.multiply_codes(LMul(), FP32, a, b)
    assert code == expected, hex(code)
    assert f32(value(FP32, code)) == np.float32(printed)


@pytest.mark.parametrize(
    "a, b, semantics, printed",
    [
        (0x3F800000, 0x3F800000, "mitchell", 1.0),
        (0x3FC00000, 0x3FC00000, "literal", 2.0625),
        (0x3FC00000, 0x3FC00000, "mitchell", 2.0),
        (0x3FFFFFFF, 0x3FFFFFFF, "literal", 3.0624998),
        (0x3FFFFFFF, 0x3FFFFFFF, "mitchell", 3.9999995),
    ],
)
def test_fp32_literal_and_mitchell_notes(a, b, semantics, printed):
    mult = Mitchell() if semantics == "mitchell" else LMul(semantics="literal")
    assert f32(mr.multiply_values(mult, FP32, FP32, mr.to_float(value(FP32, a)), mr.to_float(value(FP32, b)))) == np.float32(printed)


def test_fp32_literal_double_carry_pattern():
    # t' = 2 (2^23 - 1) + 2^19 >= 2^23: (128 << 23) + (2^23 + t') / 2 - 2^23, an integer here
    assert mr.multiply_patterns(LMul(semantics="literal"), FP32, 0x3FFFFFFF, 0x3FFFFFFF) == ((128 << 23) + (1 << 22) + (1 << 18) - 1, 0)


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (0x7FC00000, 0x40000000, 0x7FC00000),  # NaN * 2
        (0xFF800001, 0x40000000, 0x7FC00000),  # a negative signalling NaN: the canonical positive NaN
        (0x7F800000, 0x40000000, 0x7F800000),  # Inf * 2
        (0x7F800000, 0xC0000000, 0xFF800000),  # Inf * -2
        (0x7F800000, 0x00000000, 0x7FC00000),  # Inf * 0
        (0x80000000, 0x40000000, 0x80000000),  # -0 * 2
        (0x00000001, 0x40000000, 0x00000000),  # subnormal * 2: flushed
        (0x0D800000, 0x0D800000, 0x00000000),  # 2^-100 * 2^-100
        (0x71800000, 0x71800000, 0x7F800000),  # 2^100 * 2^100
    ],
)
def test_fp32_special_value_oracles(a, b, expected):
    assert mr.multiply_codes(LMul(), FP32, a, b) == expected


@pytest.mark.parametrize(
    "a, b, expected, approx",
    [
        (0x00000000, 0x40000000, 0x00880000, 1.25e-38),
        (0x00000000, 0x3F000000, 0x7F880000, None),  # a NaN pattern
        (0x71800000, 0x71800000, 0x23880000, 1.47e-17),
        (0x1C800000, 0x1C800000, 0x79880000, 8.8e34),  # 2^-70 * 2^-70
    ],
)
def test_fp32_raw_adder(a, b, expected, approx):
    code = mr.multiply_codes(RAW_ADDER, FP32, a, b)
    assert code == expected, hex(code)
    if approx is None:
        assert value(FP32, code) == "nan"
    else:
        assert abs(mr.to_float(value(FP32, code)) / approx - 1) < 0.01


@pytest.mark.parametrize(
    "a, b, expected, printed",
    [(0x3F80, 0x3F80, 0x3F88, 1.0625), (0x3FC0, 0x3FA0, 0x3FE8, 1.8125), (0xC040, 0x3F00, 0xBFC8, -1.5625), (0x3FFF, 0x3FFF, 0x4086, 4.1875)],
)
def test_bf16_examples(a, b, expected, printed):
    code = mr.multiply_codes(LMul(), BF16, a, b)
    assert code == expected, hex(code)
    assert value(BF16, code) == F(printed)


def test_bf16_axcore_comparisons():
    assert mr.multiply_codes(LMul(), BF16, 0x9C80, 0x1C80) == 0x8000  # (-2^-70) * 2^-70: -0
    assert mr.multiply_codes(LMul(zero="positive"), BF16, 0x0000, 0xC000) == 0x0000  # 0 * -2: sign lost
    assert mr.multiply_codes(LMul(), BF16, 0x0000, 0xC000) == 0x8000  # reference policy keeps the xor sign


def test_fp16_example():
    assert mr.multiply_codes(LMul(), FP16, 0x3C00, 0x3C00) == 0x3C40
    assert value(FP16, 0x3C40) == F(17, 16)


@pytest.mark.parametrize(
    "fmt, a, b, expected, printed",
    [
        (E4M3, 0x38, 0x38, 0x39, 1.125),
        (E4M3, 0x3C, 0x3C, 0x41, 2.25),
        (E4M3, 0x45, 0x42, 0x50, 8.0),
        (E4M3, 0xB0, 0x34, 0xAD, -0.40625),
        (E4M3, 0x7E, 0x40, 0x7E, 448.0),  # saturate: the default without Inf
        (E5M2, 0x3C, 0x3C, 0x3D, 1.25),
        (E5M2, 0x3E, 0x3E, 0x41, 2.5),
        (E5M2, 0x7B, 0x40, 0x7C, math.inf),  # +Inf
    ],
)
def test_fp8_examples(fmt, a, b, expected, printed):
    code = mr.multiply_codes(LMul(), fmt, a, b)
    assert code == expected, hex(code)
    assert mr.to_float(value(fmt, code)) == printed


@pytest.mark.parametrize("fmt, l_value", [(FP32, F(17, 16)), (BF16, F(17, 16)), (FP16, F(17, 16)), (E4M3, F(9, 8)), (E5M4, F(9, 8)), (E5M2, F(5, 4))])
def test_identity_is_not_exact(fmt, l_value):
    """Section 2: L(1, 1) = 1 + 2^-l(m); Mitchell is exact there."""
    assert mr.multiply_values(LMul(), fmt, fmt, 1.0, 1.0) == l_value
    assert mr.multiply_values(Mitchell(), fmt, fmt, 1.0, 1.0) == 1


def test_module_docstring_examples():
    assert mr.multiply_values(LMul(), "e4m3", "e4m3", 1.0, 1.0) == F(9, 8)
    assert mr.multiply_values(DRUM(4), "uint8", "uint8", 200, 100) == 21632


# ----------------------------------------------------------- the switches, derived by hand


def test_input_quantization_truncate_and_nearest_even():
    # fp32 0x3FFFFFFF with 3 kept bits: truncate -> 1.875, nearest_even -> 2.0; l(3) = 3
    assert LMul(mantissa_bits=3).offset_for(FP32) == 0x3F700000
    assert mr.multiply_codes(LMul(mantissa_bits=3), FP32, 0x3FFFFFFF, 0x3FFFFFFF) == 0x40700000  # 3.75
    rne = LMul(mantissa_bits=3, input_rounding="nearest_even")
    assert mr.multiply_codes(rne, FP32, 0x3FFFFFFF, 0x3FFFFFFF) == 0x40900000  # (1 + 1/8) * 4


@pytest.mark.parametrize("a, quantized", [(0x3FA00000, 0x3F800000), (0x3FE00000, 0x40000000), (0x3FA00001, 0x3FC00000)])
def test_input_rounding_ties_to_even(a, quantized):
    # one kept bit: 1.25 is a tie to the even 1.0, 1.75 a tie to the even 2.0; Mitchell x 1 shows the input
    mult = Mitchell(mantissa_bits=1, input_rounding="nearest_even")
    assert mr.multiply_codes(mult, FP32, a, 0x3F800000) == quantized


def test_input_rounding_past_the_largest_finite_truncates():
    mult = Mitchell(mantissa_bits=3, input_rounding="nearest_even")
    assert mr.multiply_codes(mult, FP32, 0x7F7FFFFF, 0x3F800000) == 0x7F700000  # not Inf
    mult = Mitchell(mantissa_bits=1, input_rounding="nearest_even")
    assert mr.multiply_codes(mult, E4M3, 0x7E, 0x38) == 0x7C  # 0x7E would tie up to 0x80


def test_truncation_can_make_a_zero_operand():
    # the smallest e4m3 subnormal 0x01 loses its only bit with 2 kept bits: a zero operand
    assert mr.multiply_codes(LMul(mantissa_bits=2, subnormal="raw"), E4M3, 0x81, 0x70) == 0x80
    assert mr.multiply_codes(LMul(subnormal="raw"), E4M3, 0x81, 0x70) == 0xBA  # 0x01 + 0x70 - 0x37


@pytest.mark.parametrize(
    "zero, a, b, expected",
    [
        ("signed", 0x80000000, 0x40000000, 0x80000000),
        ("positive", 0x80000000, 0x40000000, 0x00000000),
        ("raw", 0x00000000, 0x40000000, 0x00880000),  # 0 + 0x40000000 - 0x3F780000
        ("raw", 0x80000000, 0x40000000, 0x80880000),
        ("raw", 0x00000000, 0x3F000000, 0x00000000),  # negative sum: underflow flush
    ],
)
def test_zero_policy(zero, a, b, expected):
    assert mr.multiply_codes(LMul(zero=zero), FP32, a, b) == expected


def test_subnormal_policy():
    sub, big = 0x00400000, 0x7F000000  # 2^-127 and 2^127
    assert mr.multiply_codes(LMul(), FP32, sub, big) == 0
    assert mr.multiply_codes(LMul(subnormal="raw"), FP32, sub, big) == 0x3FC80000  # 0x00400000 + 0x7F000000 - 0x3F780000
    assert mr.multiply_codes(Mitchell(subnormal="raw"), FP32, sub, big) == 0x3FC00000  # 1.5, exact 1.0
    assert mr.multiply_codes(LMul(zero="positive"), FP32, sub | 0x80000000, big) == 0  # flushed: a zero operand
    # Inf x subnormal: NaN when the subnormal is flushed to a zero operand, Inf when it is not
    assert mr.multiply_codes(LMul(), FP32, 0x7F800000, sub) == 0x7FC00000
    assert mr.multiply_codes(LMul(subnormal="raw"), FP32, 0x7F800000, sub) == 0x7F800000


def test_formats_without_subnormals_read_field_zero_as_zero():
    nosub = FloatFormat(4, 3, subnormals=False, specials="fn")
    assert mr.multiply_codes(LMul(subnormal="raw"), nosub, 0x81, 0x70) == 0x80  # value zero: a zero operand
    assert mr.multiply_codes(LMul(subnormal="raw", zero="positive"), nosub, 0x81, 0x70) == 0x00
    assert mr.multiply_codes(LMul(subnormal="raw"), E4M3, 0x81, 0x70) == 0xBA  # with subnormals: 0x01 + 0x70 - 0x37


@pytest.mark.parametrize(
    "underflow, negative, expected",
    [
        ("flush", False, 0x00000000),
        ("flush", True, 0x80000000),
        ("positive_zero", True, 0x00000000),
        ("pass", True, 0x80000000),  # a negative sum: signed zero
        ("wrap", False, 0x5B880000),  # 2 * 0x0D800000 - 0x3F780000 + 2^31
        ("wrap", True, 0xDB880000),
    ],
)
def test_underflow_policy(underflow, negative, expected):
    a = 0x8D800000 if negative else 0x0D800000  # +-2^-100
    assert mr.multiply_codes(LMul(underflow=underflow), FP32, a, 0x0D800000) == expected


def test_underflow_pass_keeps_a_subnormal_pattern():
    a, b = (63 << 23) | 0x400000, 64 << 23  # 1.5 * 2^-64 and 2^-63: Mitchell sum 0x00400000
    assert mr.multiply_codes(Mitchell(underflow="pass"), FP32, a, b) == 0x00400000
    assert mr.multiply_codes(Mitchell(underflow="pass"), FP32, a | 0x80000000, b) == 0x80400000
    assert mr.multiply_codes(Mitchell(), FP32, a, b) == 0
    assert mr.multiply_codes(Mitchell(underflow="pass"), FP32, 63 << 23, b) == 0  # sum exactly 0


@pytest.mark.parametrize(
    "overflow, expected, expected_negative",
    [("inf", 0x7F800000, 0xFF800000), ("saturate", 0x7F7FFFFF, 0xFF7FFFFF), ("nan", 0x7FC00000, 0x7FC00000), ("wrap", 0x23880000, 0xA3880000)],
)
def test_overflow_policy(overflow, expected, expected_negative):
    assert mr.multiply_codes(LMul(overflow=overflow), FP32, 0x71800000, 0x71800000) == expected
    assert mr.multiply_codes(LMul(overflow=overflow), FP32, 0xF1800000, 0x71800000) == expected_negative


def test_overflow_policy_on_e4m3fn():
    assert mr.multiply_codes(LMul(overflow="nan"), E4M3, 0x7E, 0x40) == 0x7F
    assert mr.multiply_codes(LMul(overflow="wrap"), E4M3, 0x7E, 0x40) == 0x07  # 0x87 mod 2^7
    assert mr.multiply_codes(LMul(overflow="wrap"), E4M3, 0x7E, 0xC0) == 0x87  # and the sign
    with pytest.raises(ValueError):
        mr.multiply_codes(LMul(overflow="inf"), E4M3, 0x7E, 0x40)


def test_specials():
    assert mr.multiply_codes(LMul(), E4M3, 0xFF, 0x38) == 0x7F  # -NaN: the canonical +NaN
    assert mr.multiply_codes(LMul(), E5M2, 0xFC, 0x7C) == 0xFC  # -Inf * Inf
    assert mr.multiply_codes(LMul(), E5M2, 0x7C, 0x80) == 0x7E  # Inf * -0: the e5m2 quiet NaN 0x7E
    # raw: Inf and NaN patterns enter the adder
    assert mr.multiply_codes(LMul(specials="raw", overflow="wrap"), FP32, 0x7F800000, 0x3F800000) == 0x7F880000
    assert mr.multiply_codes(LMul(specials="raw"), FP32, 0x7F800000, 0x3F000000) == 0x7F080000  # a finite 1.8e38
    assert mr.multiply_codes(LMul(specials="raw"), FP32, 0x7F800000, 0x00000000) == 0  # zero policy, no NaN
    assert mr.multiply_codes(LMul(specials="raw", overflow="saturate"), FP32, 0x7FC00000, 0x3F800000) == 0x7F7FFFFF


def test_explicit_offset_and_l():
    # the hand-tuned 0x3F76D000 of section 7: c = 0x93000 / 2^23 ~ 0.0718
    code = mr.multiply_codes(LMul(offset=0x3F76D000), FP32, 0x3F800000, 0x3F800000)
    assert code == 0x3F893000
    assert round(float(value(FP32, code) - 1), 4) == 0.0718
    assert mr.multiply_values(LMul(l=2), FP32, FP32, 1.0, 1.0) == F(5, 4)


def test_literal_keeps_the_renormalisation_bit():
    # e5m2 1.75 * 1.75 with l = 2: 1 + t = 2.75 = 1.375 * 2, one bit more than e5m2 holds:
    # the code 0x41 (2.5) plus half a unit (0.25)
    assert mr.multiply_patterns(LMul(semantics="literal"), E5M2, 0x3F, 0x3F) == (0x41, 1)
    assert mr.multiply_values(LMul(semantics="literal"), E5M2, E5M2, 1.75, 1.75) == F(11, 4)
    assert mr.multiply_codes(LMul(), E5M2, 0x3F, 0x3F) == 0x43  # integer adder: 7 ULPs = 0x3F + 0x3F - 0x3B
    assert mr.multiply_patterns(LMul(semantics="literal"), E5M2, 0x3C, 0x3D) == (0x3E, 0)  # t < 1: same as the adder
    with pytest.raises(ValueError, match="integer-adder"):
        mr.multiply_codes(LMul(semantics="literal"), E5M2, 0x3F, 0x3F)


def test_unsigned_float_format():
    ue5m2 = FloatFormat(5, 2, signed=False)
    assert mr.multiply_codes(LMul(), ue5m2, 0x3C, 0x3C) == 0x3D
    assert mr.multiply_codes(LMul(), ue5m2, 0x7B, 0x40) == 0x7C


def test_float_multiplier_rejections():
    with pytest.raises(ValueError):
        mr.multiply_codes(LMul(), get_format("e4m3fnuz"), 0x38, 0x38)
    with pytest.raises(ValueError):
        mr.multiply_codes(LMul(mantissa_bits=4), E4M3, 0x38, 0x38)
    with pytest.raises(ValueError):
        mr.multiply_codes(LMul(), E4M3, 0x100, 0x38)
    with pytest.raises(TypeError):
        mr.multiply_codes(DRUM(4), E4M3, 0x38, 0x38)


# ----------------------------------------------------------- section 8.1: error tables


@lru_cache(maxsize=None)
def binade_errors(fmt, scheme: str) -> tuple[F, ...]:
    """Relative errors over every mantissa pair of the binade [1, 2) (exponent field at the bias)."""
    rf = ref_format(fmt)
    codes = [(rf.bias << rf.man_bits) | f for f in range(1 << rf.man_bits)]
    c = F(1, 1 << LMul().l_for(fmt))
    out = []
    for ca in codes:
        for cb in codes:
            x, y = ref.decode(rf, ca).mag, ref.decode(rf, cb).mag
            if scheme == "formula":  # the printed formula (1 + x_m + y_m + 2^-l), written out
                approx = x + y - 1 + c
            elif scheme == "literal":
                approx = mr.multiply_values(LMul(semantics="literal"), fmt, fmt, x, y)
            elif scheme == "rne":
                approx = ref.decode(rf, ref.encode(rf, x * y)).mag
            else:
                mult = {"lmul": LMul(), "mitchell": Mitchell()}[scheme]
                approx = ref.decode(rf, mr.multiply_codes(mult, fmt, ca, cb)).mag
            out.append(approx / (x * y) - 1)
    return tuple(out)


def error_row(errors) -> tuple[float, float, float, float]:
    """(mean |e|, max e, min e, mean e) in percent."""
    n = len(errors)
    return (100 * float(sum(abs(e) for e in errors) / n), 100 * float(max(errors)), 100 * float(min(errors)), 100 * float(sum(errors) / n))


TABLE_8_1 = [  # (m, scheme, mean |e|, max e, min e, mean e) as printed, in percent
    (2, "lmul", 14.674, 25.000, 6.667, 14.674),
    (2, "literal", 11.105, 25.000, -10.204, 8.639),
    (2, "mitchell", 3.572, 0, -11.111, -3.572),
    (2, "rne", 3.572, 6.667, -11.111, -1.905),
    (3, "lmul", 5.241, 12.500, -3.030, 4.930),
    (3, "literal", 6.886, 12.500, -18.222, -0.965),
    (3, "mitchell", 3.779, 0, -11.111, -3.779),
    (3, "rne", 1.901, 4.142, -5.185, -0.541),
    (4, "lmul", 5.141, 12.500, -3.214, 4.873),
    (4, "rne", 1.068, 2.857, -3.030, -0.131),
    (7, "lmul", 2.655, 6.250, -7.288, 0.408),
    (7, "literal", 7.506, 6.250, -23.230, -6.276),
    (7, "mitchell", 3.849, 0, -11.111, -3.849),
    (7, "rne", 0.140, 0.386, -0.386, -0.004),
]
M_FORMATS = {2: E5M2, 3: E4M3, 4: E5M4, 7: BF16}


@pytest.mark.parametrize("m, scheme, row", [(r[0], r[1], r[2:]) for r in TABLE_8_1], ids=[f"m{r[0]}-{r[1]}" for r in TABLE_8_1])
def test_error_table_8_1(m, scheme, row):
    computed = error_row(binade_errors(M_FORMATS[m], scheme))
    for got, printed in zip(computed, row):
        assert abs(got - printed) <= 0.0005 + 1e-12, (computed, row)


@pytest.mark.parametrize("m", [2, 3, 7])
def test_literal_is_the_printed_formula(m):
    """Inside the binade the literal variant is exactly ``1 + x + y + 2^-l`` (its 8.1 rows are
    those of the written-out formula), and it differs from the integer adder exactly where
    section 4 says: wherever t = x + y + 2^-l exceeds 1 (at t = 1 both give 2)."""
    fmt = M_FORMATS[m]
    assert binade_errors(fmt, "literal") == binade_errors(fmt, "formula")
    rf = ref_format(fmt)
    c = F(1, 1 << LMul().l_for(fmt))
    codes = [(rf.bias << rf.man_bits) | f for f in range(1 << rf.man_bits)]
    for ca in codes:
        for cb in codes:
            x, y = ref.decode(rf, ca).mag, ref.decode(rf, cb).mag
            literal = mr.multiply_values(LMul(semantics="literal"), fmt, fmt, x, y)
            integer = mr.multiply_values(LMul(), fmt, fmt, x, y)
            assert (literal == integer) == (x + y - 2 + c <= 1), (x, y)


# ----------------------------------------------------------- section 10: properties (e4m3, e5m2)


@lru_cache(maxsize=None)
def product_table(mult, fmt) -> tuple[tuple[int, ...], ...]:
    """multiply_codes over every code pair of an 8-bit format."""
    return tuple(tuple(mr.multiply_codes(mult, fmt, a, b) for b in range(256)) for a in range(256))


def positive_normal_codes(fmt) -> list[int]:
    """Codes of positive finite normal numbers, ascending."""
    rf = ref_format(fmt)
    return [c for c in range(1 << 7) if c >> rf.man_bits and ref.decode(rf, c).kind == "num"]


PROPERTY_CASES = [(LMul(), E4M3), (LMul(), E5M2), (Mitchell(), E4M3), (Mitchell(), E5M2)]
PROPERTY_IDS = ["lmul-e4m3", "lmul-e5m2", "mitchell-e4m3", "mitchell-e5m2"]


@pytest.mark.parametrize("mult, fmt", PROPERTY_CASES, ids=PROPERTY_IDS)
def test_commutative_bit_for_bit(mult, fmt):
    table = product_table(mult, fmt)
    assert all(table[a][b] == table[b][a] for a in range(256) for b in range(a))


@pytest.mark.parametrize("mult, fmt", PROPERTY_CASES, ids=PROPERTY_IDS)
def test_sign_symmetric(mult, fmt):
    rf = ref_format(fmt)
    table = product_table(mult, fmt)
    checked = 0
    for a in range(128):
        for b in range(256):
            if "nan" in (ref.decode(rf, a).kind, ref.decode(rf, b).kind) or ref.decode(rf, table[a][b]).kind == "nan":
                continue
            assert table[a | 0x80][b] == table[a][b] ^ 0x80
            assert table[a | 0x80][b ^ 0x80] == table[a][b]
            checked += 1
    assert checked > 30000


@pytest.mark.parametrize("mult, fmt", PROPERTY_CASES, ids=PROPERTY_IDS)
def test_power_of_two_scaling(mult, fmt):
    """L(2^k x, y) = 2^k L(x, y) when the exact products lie in [2 min_normal, max / 2]
    (the approximation stays within -11.2 % .. +25 %, so nothing over- or underflows)."""
    rf = ref_format(fmt)
    table, m = product_table(mult, fmt), rf.man_bits
    low, high = 2 * ref.min_normal(rf), ref.max_finite(rf) / 2
    normals = set(positive_normal_codes(fmt))
    checked = 0
    for k in (-3, -1, 1, 2):
        for x in normals:
            xs = x + (k << m)
            if xs not in normals:
                continue
            for y in normals:
                vx, vxs, vy = (ref.decode(rf, c).mag for c in (x, xs, y))
                if not (low <= vx * vy <= high and low <= vxs * vy <= high):
                    continue
                assert ref.decode(rf, table[xs][y]).mag == ref.pow2(k) * ref.decode(rf, table[x][y]).mag
                checked += 1
    assert checked > 5000


@pytest.mark.parametrize("mult, fmt", PROPERTY_CASES, ids=PROPERTY_IDS)
def test_monotone_for_positive_normals(mult, fmt):
    rf = ref_format(fmt)
    table = product_table(mult, fmt)
    normals = positive_normal_codes(fmt)

    def key(code):
        v = ref.decode(rf, code)
        assert v.kind != "nan" and not v.negative
        return (v.kind == "inf", v.mag)

    for y in normals:
        keys = [key(table[x][y]) for x in normals]
        assert keys == sorted(keys)


def piecewise_value(x: F, y: F, c: F, literal: bool = False) -> F:
    """Section 4 for normal x, y (exponent range unbounded): the integer-adder carries, or
    the literal formula (1 + t) 2^(ex+ey)."""
    ex, ey = ref.floor_log2(x), ref.floor_log2(y)
    t = x / ref.pow2(ex) - 1 + y / ref.pow2(ey) - 1 + c
    scale = ref.pow2(ex + ey)
    if t < 1:
        return (1 + t) * scale
    if literal:
        return (1 + t) * scale
    if t < 2:
        return t * 2 * scale
    return (t - 1) * 4 * scale


@pytest.mark.parametrize("mult, fmt", PROPERTY_CASES + [(LMul(semantics="literal"), E4M3), (LMul(semantics="literal"), E5M2)], ids=PROPERTY_IDS + ["literal-e4m3", "literal-e5m2"])
def test_bits_equal_the_real_number_model(mult, fmt):
    """Section 10: wherever the result is normal, its value is the section 4 formula; below
    the normal range the default policy flushes to +0, above it gives Inf or saturates."""
    rf = ref_format(fmt)
    literal = mult.semantics == "literal"
    table = None if literal else product_table(mult, fmt)
    c = F(0) if isinstance(mult, Mitchell) else F(1, 1 << mult.l_for(fmt))
    for x in positive_normal_codes(fmt):
        for y in positive_normal_codes(fmt):
            model = piecewise_value(ref.decode(rf, x).mag, ref.decode(rf, y).mag, c, literal)
            if literal:
                v = mr.multiply_values(mult, fmt, fmt, ref.decode(rf, x).mag, ref.decode(rf, y).mag)
                got = ref.RefValue("inf", False, F(0)) if v == "+inf" else ref.RefValue("num", False, F(0) if v == "+0" else v)
            else:
                got = ref.decode(rf, table[x][y])
            if model < ref.min_normal(rf):
                assert got == ref.RefValue("num", False, F(0))
            elif model > ref.max_finite(rf) and ref.has_inf(rf):
                assert got.kind == "inf"
            elif model > ref.max_finite(rf):
                assert got == ref.RefValue("num", False, ref.max_finite(rf))
            else:
                assert got == ref.RefValue("num", False, model)


def test_bits_equal_the_real_number_model_bf16_sample():
    rng = random.Random(2410)
    rf = ref_format(BF16)
    c = F(1, 16)
    for _ in range(3000):
        x, y = (rng.randrange(0x2080, 0x5F00) for _ in range(2))  # exponent fields 65..189: products in range
        got = ref.decode(rf, mr.multiply_codes(LMul(), BF16, x, y)).mag
        assert got == piecewise_value(ref.decode(rf, x).mag, ref.decode(rf, y).mag, c)


@pytest.mark.parametrize("fmt", [E4M3, E5M2])
def test_mitchell_exact_for_powers_of_two(fmt):
    rf = ref_format(fmt)
    low, high = ref.min_normal(rf), ref.max_finite(rf)
    for x in positive_normal_codes(fmt):
        if x % (1 << rf.man_bits):
            continue
        for y in positive_normal_codes(fmt):
            exact = ref.decode(rf, x).mag * ref.decode(rf, y).mag
            if low <= exact <= high:
                assert ref.decode(rf, mr.multiply_codes(Mitchell(), fmt, x, y)).mag == exact


# ----------------------------------------------------------- section 16: integer multipliers


def relative_errors(product) -> list[float]:
    """(P - AB) / AB over all non-zero 8-bit unsigned operand pairs (int / int: correctly rounded)."""
    return [(product(a, b) - a * b) / (a * b) for a in range(1, 256) for b in range(1, 256)]


def test_drum_worked_example():
    assert mr.drum_operand(200, 4) == 208
    assert mr.drum_operand(100, 4) == 104
    assert mr.multiply_ints(DRUM(4), 200, 100) == 21632
    assert mr.multiply_ints(DRUM(4), -200, 100) == -21632
    assert mr.multiply_ints(DRUM(4), -200, -100) == 21632
    assert mr.multiply_ints(DRUM(4), 0, -100) == 0
    assert mr.multiply_ints(DRUM(4), 15, 13) == 195  # below 2^k: exact


@pytest.mark.parametrize("k, mred, bias, max_e, min_e", [(3, 12.10, 3.43, 56.25, -29.83), (4, 5.89, 1.60, 26.56, -17.98), (5, 2.84, 0.94, 12.89, -9.55), (6, 1.30, 0.57, 6.35, -4.40)])
def test_drum_table(k, mred, bias, max_e, min_e):
    errors = relative_errors(lambda a, b: mr.multiply_ints(DRUM(k), a, b))
    n = len(errors)
    assert round(100 * math.fsum(map(abs, errors)) / n, 2) == mred
    assert round(100 * math.fsum(errors) / n, 2) == bias
    assert round(100 * max(errors), 2) == max_e
    assert round(100 * min(errors), 2) == min_e


def test_mitchell_integer():
    assert mr.multiply_ints(Mitchell(), 3, 3) == 8  # x1 + x2 = 1: 2^(1+1+1) * 1, the 11.1 % worst case
    assert mr.multiply_ints(Mitchell(), 5, 6) == 28  # 4 (1 + 1/4) x 4 (1 + 1/2): 16 (1 + 3/4)
    assert mr.multiply_ints(Mitchell(), -5, 6) == -28
    assert mr.multiply_ints(Mitchell(), 0, 6) == 0
    errors = relative_errors(lambda a, b: mr.multiply_ints(Mitchell(), a, b))
    assert round(100 * math.fsum(map(abs, errors)) / len(errors), 2) == 3.79
    assert max(errors) <= 0 and min(errors) >= -1 / 9 - 1e-15
    assert all(mr.multiply_ints(Mitchell(), 1 << k, b) == b << k for k in range(8) for b in range(256))


def test_broken_array_examples():
    assert mr.multiply_ints(Truncated(vbl=1), 3, 3) == 8  # column 0 dropped
    assert mr.multiply_ints(Truncated(hbl=1), 3, 3) == 6  # row 0 (bit 0 of b) dropped
    assert mr.multiply_ints(Truncated(hbl=1), 1, 2) == 2
    assert mr.multiply_ints(Truncated(hbl=1), 2, 1) == 0  # hbl > 0 is not commutative
    assert mr.multiply_ints(Truncated(vbl=8), 255, 255) == 65025 - (7 * 256 + 1)  # sum_{c<8} (c + 1) 2^c
    assert mr.multiply_ints(Truncated(vbl=8), -255, 255) == -(65025 - 1793)


@pytest.mark.parametrize("vbl, hbl", [(0, 0), (3, 0), (6, 0), (0, 2), (4, 1), (7, 3), (12, 0)])
def test_broken_array_never_above_exact(vbl, hbl):
    mult = Truncated(vbl=vbl, hbl=hbl)
    for a in range(256):
        for b in range(0, 256, 3 if (vbl, hbl) != (0, 0) else 1):
            p = mr.multiply_ints(mult, a, b)
            assert 0 <= p <= a * b
            if (vbl, hbl) == (0, 0):
                assert p == a * b


# ----------------------------------------------------------- Lookup, Exact and the Value convention


def test_lookup():
    table = np.arange(256).reshape(16, 16) - 100
    mult = Lookup(table, name="t")
    assert mr.lookup(mult, 3, 5) == 3 * 16 + 5 - 100
    assert mr.multiply_values(mult, IntFormat(4), IntFormat(4), -1, 2) == 15 * 16 + 2 - 100  # codes 15 and 2
    assert mr.multiply_values(mult, FixedFormat(4, 1), FixedFormat(4, 1), 0.5, 1.0) == F(1 * 16 + 2 - 100, 4)
    assert mr.multiply_values(mult, IntFormat(4), IntFormat(4), 6, 4) == "+0"  # entry 100 - 100
    with pytest.raises(ValueError):
        mr.lookup(mult, 16, 0)


def test_multiply_values_conventions():
    assert mr.multiply_values(Exact(), E4M3, E4M3, 448.0, 2.0) == 896  # exact: no rounding of the product
    assert mr.multiply_values(Exact(), E4M3, E5M2, 1.1, 3.0) == F(9, 8) * 3  # inputs rounded into their formats
    assert mr.multiply_values(Exact(), E4M3, E4M3, -0.0, 2.0) == "-0"
    assert mr.multiply_values(Exact(), E5M2, E5M2, math.inf, 0.0) == "nan"
    assert mr.multiply_values(Exact(), E5M2, E5M2, math.inf, -2.0) == "-inf"
    assert mr.multiply_values(Exact(), E5M2, E5M2, math.nan, 1.0) == "nan"
    assert mr.multiply_values(Exact(), IntFormat(8), IntFormat(8), -3, 5) == -15
    assert mr.multiply_values(Exact(), IntFormat(8), IntFormat(8), 0, 5) == "+0"
    assert mr.multiply_values(LMul(), E4M3, E4M3, -0.5, 0.75) == F(-13, 32)
    assert mr.multiply_values(LMul(), E4M3, E4M3, 0.0, -0.75) == "-0"
    # fixed point: raw 24 (1.5, 4 fraction bits) x raw 3 (0.75, 2 fraction bits); DRUM-3: 24 -> 28
    assert mr.multiply_values(DRUM(3), FixedFormat(8, 4), FixedFormat(8, 2), 1.5, 0.75) == F(84, 64)
    assert mr.multiply_values(Mitchell(), "int8", "int8", -5, 6) == -28
    assert math.isnan(mr.to_float("nan"))
    assert [mr.to_float(v) for v in ("+inf", "-inf", F(3, 2))] == [math.inf, -math.inf, 1.5]
    assert math.copysign(1, mr.to_float("-0")) == -1 and math.copysign(1, mr.to_float("+0")) == 1
    with pytest.raises(ValueError):
        mr.multiply_values(LMul(), E4M3, E5M2, 1.0, 1.0)
    with pytest.raises(ValueError):
        mr.multiply_values(DRUM(4), E4M3, E4M3, 1.0, 1.0)
