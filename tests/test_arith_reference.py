"""Self-checks of the exact arithmetic oracle in tests/arith_reference.py.

The oracle will check numsim's elementwise arithmetic, so it is checked here on its own:
against the hardware's correctly rounded IEEE binary32 (numpy float32) and binary64
(Python float, math.sqrt) arithmetic on random operands, and rule by rule against
expected values written by hand from the conventions in its module docstring.
"""

from __future__ import annotations

import math
import operator
import random
import struct
from fractions import Fraction as F

import numpy as np
import pytest

import reference as ref
from arith_reference import DEFAULT_NAN, add, div, fma, mul, rounded, sqrt, sub
from reference import RefFloat, RefValue

F32 = RefFloat(8, 23, 127, True, "ieee", True)
F64 = RefFloat(11, 52, 1023, True, "ieee", True)
E4M3 = RefFloat(4, 3, 7, True, "fn", True)
INF = math.inf
NAN = math.nan
NEG_NAN = RefValue("nan", True, F(0))
POS_NAN = RefValue("nan", False, F(0))

BINARY_OPS = ("add", "sub", "mul", "div")
NUMPY_OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}
PYTHON_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
}


def num(x) -> RefValue:
    """An exact finite value as a RefValue; a string "-0" gives negative zero."""
    if x == "-0":
        return RefValue("num", True, F(0))
    return ref.as_ref_value(F(x))


def inf(negative: bool) -> RefValue:
    """Signed infinity."""
    return RefValue("inf", negative, F(0))


# ------------------------------------------------------------ random IEEE operands


def random_code(rng: random.Random, fmt: RefFloat) -> int:
    """A code of an IEEE-style format from a mix of categories: random bit patterns
    (subnormals and NaNs among them), special values and zeros, values near overflow,
    tiny values (subnormals and the smallest normals), values near 1, and short
    significands (which make exact results and rounding ties frequent)."""
    e_bits, m_bits = fmt.exp_bits, fmt.man_bits
    top_exponent = (1 << e_bits) - 1
    sign = rng.getrandbits(1) << (e_bits + m_bits)
    category = rng.choices(
        ("bits", "special", "huge", "tiny", "unit", "short"), weights=(30, 10, 10, 15, 20, 15)
    )[0]
    mantissa = rng.getrandbits(m_bits)
    if category == "bits":
        return sign | rng.getrandbits(e_bits + m_bits)
    if category == "special":  # zero, infinity or NaN
        exponent, mantissa = rng.choice(((0, 0), (top_exponent, 0), (top_exponent, mantissa | 1)))
    elif category == "huge":
        exponent = rng.randint(top_exponent - 3, top_exponent - 1)
    elif category == "tiny":
        exponent = rng.randint(0, 2)
    elif category == "unit":
        exponent = rng.randint(fmt.bias - 3, fmt.bias + 3)
    else:  # "short": three leading significand bits, any exponent
        exponent = rng.randint(1, top_exponent - 1)
        mantissa = rng.getrandbits(3) << (m_bits - 3)
    return sign | exponent << m_bits | mantissa


def random_pairs(rng: random.Random, fmt: RefFloat, n: int) -> list[tuple[int, int]]:
    """n pairs of codes: independent operands, plus pairs made for cancellation and
    near-cancellation (b = -a, b = a, b = -a a few units in the last place away)."""
    sign_bit = 1 << (fmt.exp_bits + fmt.man_bits)
    largest = (1 << (fmt.exp_bits + fmt.man_bits + 1)) - 1
    pairs = []
    for _ in range(n):
        a = random_code(rng, fmt)
        kind = rng.choices(("independent", "negated", "equal", "near"), weights=(75, 10, 5, 10))[0]
        if kind == "independent":
            b = random_code(rng, fmt)
        elif kind == "negated":
            b = a ^ sign_bit
        elif kind == "equal":
            b = a
        else:
            b = min(max((a ^ sign_bit) + rng.randint(-3, 3), 0), largest)
        pairs.append((a, b))
    return pairs


def assert_same_codes(fmt: RefFloat, expected: list[int], got: list[int], what: list) -> None:
    """Codes must be equal, or both NaN (the NaN sign and payload are not compared)."""
    bad = [
        (w, hex(e), hex(g))
        for w, e, g in zip(what, expected, got)
        if e != g and not (ref.decode(fmt, e).kind == ref.decode(fmt, g).kind == "nan")
    ]
    assert not bad, f"{len(bad)} mismatches (inputs, hardware, oracle), first ones: {bad[:5]}"


def f64_code(x: float) -> int:
    """The binary64 code of a Python float."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f64_value(code: int) -> float:
    """The Python float of a binary64 code."""
    return struct.unpack("<d", struct.pack("<Q", code))[0]


# -------------------------------------------------------------- binary32 (numpy)


@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary32_ops_match_numpy(op):
    pairs = random_pairs(random.Random(f"binary32-{op}"), F32, 20000)
    a = np.array([p[0] for p in pairs], dtype=np.uint32).view(np.float32)
    b = np.array([p[1] for p in pairs], dtype=np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        hardware = NUMPY_OPS[op](a, b).view(np.uint32).tolist()
    oracle = [rounded(op, F32, ref.decode(F32, x), ref.decode(F32, y)) for x, y in pairs]
    assert_same_codes(F32, hardware, oracle, pairs)


def test_binary32_sqrt_matches_numpy():
    rng = random.Random("binary32-sqrt")
    codes = [random_code(rng, F32) for _ in range(20000)]
    with np.errstate(all="ignore"):
        hardware = np.sqrt(np.array(codes, dtype=np.uint32).view(np.float32))
    oracle = [rounded("sqrt", F32, ref.decode(F32, c)) for c in codes]
    assert_same_codes(F32, hardware.view(np.uint32).tolist(), oracle, codes)


@pytest.mark.parametrize("op", ("mul", "add"))
def test_binary32_fma_identities_match_numpy(op):
    """fma(a, b, -0) == a * b (-0 is the additive identity, also for a zero product of
    either sign) and fma(a, 1, b) == a + b: IEEE identities that let numpy's mul and add
    check fma on all kinds of operands."""
    pairs = random_pairs(random.Random(f"binary32-fma-{op}"), F32, 5000)
    a = np.array([p[0] for p in pairs], dtype=np.uint32).view(np.float32)
    b = np.array([p[1] for p in pairs], dtype=np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        hardware = NUMPY_OPS[op](a, b).view(np.uint32).tolist()
    decoded = [(ref.decode(F32, x), ref.decode(F32, y)) for x, y in pairs]
    if op == "mul":
        oracle = [rounded("fma", F32, x, y, num("-0")) for x, y in decoded]
    else:
        oracle = [rounded("fma", F32, x, 1, y) for x, y in decoded]
    assert_same_codes(F32, hardware, oracle, pairs)


# -------------------------------------------------------- binary64 (Python float)


def python_op(op: str, x: float, y: float) -> float:
    """x op y in Python floats; division by zero (a Python exception) through numpy."""
    if op == "div" and y == 0:
        with np.errstate(all="ignore"):
            return float(np.float64(x) / np.float64(y))
    return PYTHON_OPS[op](x, y)


@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary64_ops_match_python_floats(op):
    pairs = random_pairs(random.Random(f"binary64-{op}"), F64, 5000)
    hardware = [f64_code(python_op(op, f64_value(x), f64_value(y))) for x, y in pairs]
    oracle = [rounded(op, F64, ref.decode(F64, x), ref.decode(F64, y)) for x, y in pairs]
    assert_same_codes(F64, hardware, oracle, pairs)


def test_binary64_sqrt_matches_math_sqrt():
    rng = random.Random("binary64-sqrt")
    codes = [random_code(rng, F64) for _ in range(5000)]
    # math.sqrt raises ValueError for x < 0 (including -Inf), where IEEE gives NaN.
    hardware = [f64_code(NAN if f64_value(c) < 0 else math.sqrt(f64_value(c))) for c in codes]
    oracle = [rounded("sqrt", F64, ref.decode(F64, c)) for c in codes]
    assert_same_codes(F64, hardware, oracle, codes)


# ----------------------------------------------------------- rule 1: NaN operands


def test_nan_operand_sign_propagates_in_argument_order():
    assert add(NEG_NAN, POS_NAN, "nearest_even") == NEG_NAN
    assert add(POS_NAN, NEG_NAN, "nearest_even") == POS_NAN
    assert add(1, NEG_NAN, "nearest_even") == NEG_NAN
    assert add(INF, NEG_NAN, "nearest_even") == NEG_NAN  # not Inf, not the default NaN
    assert mul(NEG_NAN, 0, "nearest_even") == NEG_NAN
    assert mul(0, NEG_NAN, "nearest_even") == NEG_NAN
    assert div(NEG_NAN, POS_NAN, "nearest_even") == NEG_NAN
    assert div(0, NEG_NAN, "nearest_even") == NEG_NAN
    assert sqrt(NEG_NAN, "nearest_even") == NEG_NAN
    assert sqrt(POS_NAN, "nearest_even") == POS_NAN


def test_sub_keeps_the_sign_of_a_nan_subtrahend():
    assert sub(1, NEG_NAN, "nearest_even") == NEG_NAN
    assert sub(1, POS_NAN, "nearest_even") == POS_NAN
    assert sub(POS_NAN, NEG_NAN, "nearest_even") == POS_NAN
    assert sub(-INF, NEG_NAN, "nearest_even") == NEG_NAN


def test_fma_nan_order_and_nan_before_invalid():
    assert fma(1, NEG_NAN, POS_NAN, "nearest_even") == NEG_NAN
    assert fma(POS_NAN, NEG_NAN, NEG_NAN, "nearest_even") == POS_NAN
    assert fma(1, 2, NEG_NAN, "nearest_even") == NEG_NAN
    # 0 * Inf would be invalid, but a NaN operand decides first (rule 1 before rule 2).
    assert fma(0, INF, NEG_NAN, "nearest_even") == NEG_NAN
    assert fma(INF, 1, NEG_NAN, "nearest_even") == NEG_NAN


def test_nan_from_python_float_keeps_its_sign():
    assert add(-NAN, 1.0, "nearest_even") == NEG_NAN
    assert add(NAN, 1.0, "nearest_even") == POS_NAN


# ------------------------------------------------------ rule 2: invalid operations


@pytest.mark.parametrize(
    "op, args",
    [
        ("add", (INF, -INF)),
        ("add", (-INF, INF)),
        ("sub", (INF, INF)),
        ("sub", (-INF, -INF)),
        ("mul", (0, INF)),
        ("mul", (-INF, num("-0"))),
        ("div", (0, 0)),
        ("div", (num("-0"), num("-0"))),
        ("div", (INF, -INF)),
        ("div", (-INF, -INF)),
        ("sqrt", (-1,)),
        ("sqrt", (F(-1, 3),)),
        ("sqrt", (-INF,)),
        ("fma", (0, INF, 1)),
        ("fma", (-INF, num("-0"), -INF)),  # 0 * Inf, whatever c is
        ("fma", (INF, 1, -INF)),
        ("fma", (-INF, -2, -INF)),  # +Inf + -Inf
        ("fma", (2, -INF, INF)),
    ],
)
def test_invalid_operations_give_the_positive_default_nan(op, args):
    ops = {"add": add, "sub": sub, "mul": mul, "div": div, "fma": fma, "sqrt": sqrt}
    for mode in ("nearest_even", "toward_negative"):
        assert ops[op](*args, mode) == RefValue("nan", False, F(0)) == DEFAULT_NAN


# ----------------------------------------------------------------- rule 3: infinities


def test_infinities():
    mode = "nearest_even"
    assert add(INF, -5, mode) == inf(False)
    assert add(-INF, F(10) ** 400, mode) == inf(True)
    assert add(3, -INF, mode) == inf(True)
    assert add(INF, INF, mode) == inf(False)
    assert sub(1, INF, mode) == inf(True)
    assert sub(-INF, INF, mode) == inf(True)
    assert mul(-INF, 2, mode) == inf(True)
    assert mul(-INF, -INF, mode) == inf(False)
    assert mul(F(-1, 10**9), INF, mode) == inf(True)
    assert div(1, num("-0"), mode) == inf(True)  # division by zero
    assert div(-3, 0, mode) == inf(True)
    assert div(-3, num("-0"), mode) == inf(False)
    assert div(INF, -2, mode) == inf(True)
    assert div(-INF, 0, mode) == inf(True)
    assert div(2, -INF, mode) == num("-0")
    assert div(-2, -INF, mode) == num(0)
    assert div(num("-0"), INF, mode) == num("-0")
    assert sqrt(INF, mode) == inf(False)


def test_fma_infinities():
    mode = "nearest_even"
    assert fma(INF, 2, F(-10) ** 300, mode) == inf(False)  # infinite product, finite c
    assert fma(-INF, 2, 5, mode) == inf(True)
    assert fma(INF, -INF, -INF, mode) == inf(True)
    assert fma(2, 3, -INF, mode) == inf(True)  # finite product, infinite c
    assert fma(0, 5, INF, mode) == inf(False)
    assert fma(F(10) ** 400, F(10) ** 400, -INF, mode) == inf(True)


# -------------------------------------------------------------- rule 4: signed zeros


def test_products_and_quotients_of_zeros_take_the_xor_of_the_signs():
    mode = "nearest_even"
    assert mul(num("-0"), 5, mode) == num("-0")
    assert mul(num("-0"), -5, mode) == num(0)
    assert mul(0, num("-0"), mode) == num("-0")
    assert mul(num("-0"), num("-0"), mode) == num(0)
    assert div(num("-0"), -7, mode) == num(0)
    assert div(0, -7, mode) == num("-0")
    assert div(num("-0"), 7, mode) == num("-0")


def test_zero_sums():
    for mode in ref.ROUNDING_MODES:
        negative_zero_wins = mode == "toward_negative"
        assert add(num("-0"), num("-0"), mode) == num("-0")
        assert add(0, 0, mode) == num(0)
        assert add(0, num("-0"), mode) == num("-0" if negative_zero_wins else 0)
        assert add(num("-0"), 0, mode) == num("-0" if negative_zero_wins else 0)
        assert add(3, -3, mode) == num("-0" if negative_zero_wins else 0)
        assert add(F(-1, 3), F(1, 3), mode) == num("-0" if negative_zero_wins else 0)
        assert sub(F(5, 7), F(5, 7), mode) == num("-0" if negative_zero_wins else 0)
        assert sub(num("-0"), 0, mode) == num("-0")  # -0 + -0
        assert sub(0, num("-0"), mode) == num(0)  # +0 + +0
        assert sub(0, 0, mode) == num("-0" if negative_zero_wins else 0)
        assert add(num("-0"), 5, mode) == num(5)
        assert add(-5, 0, mode) == num(-5)


def test_fma_zero_sums():
    assert fma(2, 3, -6, "nearest_even") == num(0)
    assert fma(2, 3, -6, "toward_negative") == num("-0")
    assert fma(2, 3, -6, "toward_zero") == num(0)
    assert fma(num("-0"), 5, num("-0"), "nearest_even") == num("-0")  # -0 + -0
    assert fma(num("-0"), -1, num("-0"), "nearest_even") == num(0)  # +0 + -0
    assert fma(0, -5, 0, "nearest_even") == num(0)  # -0 + +0
    assert fma(0, -5, 0, "toward_negative") == num("-0")
    assert fma(-2, 0, num("-0"), "toward_positive") == num("-0")  # -0 + -0
    assert fma(0, 0, F(3, 2), "nearest_even") == num(F(3, 2))
    assert fma(num("-0"), 7, -1, "nearest_even") == num(-1)


def test_sqrt_of_zeros_keeps_the_sign():
    for mode in ("nearest_even", "toward_negative"):
        assert sqrt(0, mode) == num(0)
        assert sqrt(num("-0"), mode) == num("-0")
        assert sqrt(-0.0, mode) == num("-0")


def test_toward_negative_cancellation_in_binary32():
    rng = random.Random("toward_negative")
    for _ in range(200):
        x = ref.decode(F32, rng.randrange(1, 0x7F800000) | rng.getrandbits(1) << 31)
        minus_x = sub(0, x, "nearest_even")
        assert rounded("add", F32, x, minus_x, mode="toward_negative") == 0x80000000
        assert rounded("sub", F32, x, x, mode="toward_negative") == 0x80000000
        assert rounded("add", F32, x, minus_x) == 0x00000000
    assert rounded("add", F32, 0.0, -0.0, mode="toward_negative") == 0x80000000
    assert rounded("add", F32, 0.0, -0.0) == 0x00000000


# ------------------------------------------------------ rule 5: exact finite results


def test_finite_results_are_exact():
    mode = "nearest_even"
    assert add(F(1, 3), F(1, 6), mode) == num(F(1, 2))
    assert sub(0.5, F(3, 4), mode) == num(F(-1, 4))
    assert mul(F(2, 3), F(-3, 4), mode) == num(F(-1, 2))
    assert div(1, 3, mode) == num(F(1, 3))
    assert div(-0.75, F(1, 7), mode) == num(F(-21, 4))
    assert fma(F(1, 3), 3, -1, mode) == num(0)
    # Fraction(0.1) = 3602879701896397 / 2**55 and 10 * 3602879701896397 = 2**55 + 2.
    assert fma(0.1, 10, -1, mode) == num(F(1, 2**54))
    assert add(F(10) ** 400, -1, mode) == num(F(10) ** 400 - 1)


def test_fma_rounds_once():
    # The float product 0.1 * 10 rounds to exactly 1.0; the fused sum keeps 2**-54.
    assert rounded("fma", F64, 0.1, 10, -1) == f64_code(2.0**-54)
    # (1 + 2**-12)**2 = 1 + 2**-11 + 2**-24 is a binary32 tie that rounds (to even) to
    # 1 + 2**-11, so a separate multiply and subtract give 0; the fused result is 2**-24.
    a = 1 + F(1, 2**12)
    assert rounded("fma", F32, a, a, -(1 + F(1, 2**11))) == 0x33800000  # 2**-24


def test_sqrt_of_two_in_e4m3():
    # sqrt(2) = 1.41421... lies between 1.375 (code 0x3B) and 1.5 (0x3C); midpoint 1.4375.
    assert rounded("sqrt", E4M3, 2) == 0x3B
    assert rounded("sqrt", E4M3, 2, mode="toward_zero") == 0x3B
    assert rounded("sqrt", E4M3, 2, mode="toward_negative") == 0x3B
    assert rounded("sqrt", E4M3, 2, mode="toward_positive") == 0x3C
    assert rounded("sqrt", E4M3, 2, mode="nearest_away") == 0x3B
    assert rounded("sqrt", E4M3, 2, mode="to_odd") == 0x3B
    # Residual (sqrt(2) - 1.375) / 0.125 = 0.31370...: times 2**4 it is 5.019 and times
    # 2**8 it is 80.309, so stochastic_a rounds up for R >= 16 - 5 and R >= 256 - 80.
    assert rounded("sqrt", E4M3, 2, mode="stochastic_a", nbits=4, rbits=10) == 0x3B
    assert rounded("sqrt", E4M3, 2, mode="stochastic_a", nbits=4, rbits=11) == 0x3C
    assert rounded("sqrt", E4M3, 2, mode="stochastic_a", nbits=8, rbits=175) == 0x3B
    assert rounded("sqrt", E4M3, 2, mode="stochastic_a", nbits=8, rbits=176) == 0x3C


def test_sqrt_of_dyadic_squares_is_exact():
    mode = "nearest_even"
    assert sqrt(2.25, mode) == num(F(3, 2))
    assert sqrt(F(9, 16), mode) == num(F(3, 4))
    assert sqrt(F(1, 4), mode) == num(F(1, 2))
    assert sqrt(1, mode) == num(1)
    assert sqrt(2.0**-1074, mode) == num(F(1, 2**537))
    assert sqrt(F(2) ** 1000, mode) == num(F(2) ** 500)  # k < 0
    # 3**300 has 476 significant bits: exact with bits=476, not with the default 200,
    # where the stand-in value still rounds to the same binary64 code.
    assert sqrt(F(3) ** 600, mode, bits=476) == num(F(3) ** 300)
    assert sqrt(F(3) ** 600, mode) != num(F(3) ** 300)
    assert rounded("sqrt", F64, F(3) ** 600) == ref.encode(F64, F(3) ** 300)
    rng = random.Random("dyadic squares")
    for _ in range(2000):
        y = (rng.getrandbits(rng.randint(1, 120)) | 1) * F(2) ** rng.randint(-300, 300)
        assert sqrt(y * y, mode) == num(y)


def test_sqrt_midpoint_by_hand():
    # bits=4: floor_log2(2) = 1, k = 4 - 1 - 0 = 3; isqrt(2 * 4**3 = 128) = 11, and
    # 121 < 128 < 144, so the value is (2 * 11 + 1) / 2**4.
    assert sqrt(2, "nearest_even", bits=4) == num(F(23, 16))
    # The default 200 bits: q = floor(sqrt(2) * 2**199).
    q = math.isqrt(2 * 4**199)
    assert sqrt(2, "nearest_even") == num(F(2 * q + 1, 2**200))
    # sqrt(1/9) = 1/3 is rational but not dyadic: a midpoint, not 1/3.
    assert sqrt(F(1, 9), "nearest_even") != num(F(1, 3))


@pytest.mark.parametrize("bits", (8, 200))
def test_sqrt_brackets_the_root(bits):
    """v * v == x exactly, or v = (2q + 1) / 2**(k + 1) with q of >= bits bits and
    q**2 < x * 4**k < (q + 1)**2; q and k are read back from v (odd numerator)."""
    rng = random.Random(f"sqrt bracket {bits}")
    for _ in range(10000 if bits == 200 else 2000):
        x = F(rng.getrandbits(rng.randint(1, 200)) + 1, rng.getrandbits(rng.randint(1, 200)) + 1)
        x *= F(2) ** rng.randint(-600, 600)
        v = sqrt(x, "nearest_even", bits=bits)
        assert v.kind == "num" and not v.negative
        if v.mag * v.mag == x:
            continue
        n, d = v.mag.numerator, v.mag.denominator
        assert d & (d - 1) == 0  # a dyadic rational
        shift = (n & -n).bit_length() - 1  # trailing zero bits of n (0 when d > 1)
        odd, t = n >> shift, d.bit_length() - 1 - shift  # v = odd / 2**t
        q, k = (odd - 1) // 2, t - 1
        assert q.bit_length() >= bits
        assert q * q < x * F(4) ** k < (q + 1) ** 2


# ----------------------------------------------------- rule 6: encode's range rules


def test_rounded_passes_range_rules_to_encode():
    assert rounded("mul", F32, 2.0**100, 2.0**100) == 0x7F800000  # overflow to +Inf
    assert rounded("mul", F32, 2.0**100, -(2.0**100), overflow="saturate") == 0xFF7FFFFF
    assert rounded("mul", F32, 2.0**100, 2.0**100, mode="toward_zero") == 0x7F7FFFFF
    assert rounded("mul", F32, 2.0**-70, 2.0**-70) == 0x00000200  # 2**-140 = 2**9 * 2**-149
    assert rounded("mul", F32, 2.0**-70, 2.0**-70, ftz=True) == 0x00000000
    assert rounded("mul", F32, 2.0**-100, -(2.0**-100)) == 0x80000000  # underflow to -0
    assert rounded("add", E4M3, INF, 1) == 0x7F  # fn style: no Inf, positive NaN
    assert rounded("add", E4M3, 448, 32) == 0x7F  # 480 > 448 = max finite: overflow, NaN
    no_specials = RefFloat(4, 3, 7, True, "none", True)
    assert rounded("div", no_specials, 0, 0) == 0  # nan_policy "zero" by default
    with pytest.raises(ValueError, match="has no NaN"):
        rounded("div", no_specials, 0, 0, nan_policy="raise")
    # 1 + 1/32 in E4M3: residual 1/4 of the gap 1/8; with 2 random bits, floor(1/4 * 4)
    # = 1 and stochastic_a rounds up (to 1.125, 0x39) only for R = 3.
    assert rounded("add", E4M3, 1, F(1, 32), mode="stochastic_a", nbits=2, rbits=2) == 0x38
    assert rounded("add", E4M3, 1, F(1, 32), mode="stochastic_a", nbits=2, rbits=3) == 0x39


def test_inputs_of_all_accepted_types():
    mode = "nearest_even"
    expected = num(F(7, 4))
    assert add(1, F(3, 4), mode) == expected
    assert add(1.0, 0.75, mode) == expected
    assert add(num(1), num(F(3, 4)), mode) == expected
    assert add(np.float32(1), np.float16(0.75), mode) == expected
    assert mul(-0.0, 1, mode) == num("-0")


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown operation"):
        rounded("pow", F32, 2, 3)
    with pytest.raises(ValueError, match="unknown rounding mode"):
        add(1, 2, "nearest")
    with pytest.raises(ValueError, match="unknown rounding mode"):
        rounded("sqrt", F32, 2, mode="up")
    with pytest.raises(ValueError, match="bits"):
        sqrt(2, "nearest_even", bits=0)
    with pytest.raises(TypeError):
        rounded("fma", F32, 1, 2)
