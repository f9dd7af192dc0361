"""Hypothesis properties of the codecs on generated formats (numsim.testing strategies)."""

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import numsim
from numsim import FloatFormat
from numsim.testing import arrays, formats, representable

DETERMINISTIC = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "to_odd"]
finite = st.floats(allow_nan=False, allow_infinity=False)
any_format = formats(max_bits=32)
modes = st.sampled_from(DETERMINISTIC)


@given(any_format, finite, finite, modes)
def test_monotonic(fmt, x, y, mode):
    x, y = sorted((x, y))
    qx, qy = numsim.quantize(np.array([x, y]), fmt, mode, overflow="saturate")
    assert qx <= qy


@given(any_format, finite, st.sampled_from(DETERMINISTIC + ["stochastic_a", "stochastic_b", "stochastic_c"]))
def test_idempotent(fmt, x, mode):
    q = numsim.quantize(x, fmt, mode, overflow="saturate", seed=0)
    assert numsim.quantize(q, fmt, mode, overflow="saturate", seed=1) == q


@given(formats(max_bits=32, families=("float",)), finite, st.sampled_from(["nearest_even", "nearest_away", "toward_zero", "to_odd"]))
def test_sign_symmetric_for_symmetric_modes(fmt, x, mode):
    assume(fmt.is_signed)
    q = numsim.quantize(np.array([x, -x]), fmt, mode)
    if not np.isnan(q).any():
        assert q[1] == -q[0]


@given(formats(max_bits=32), finite, modes)
def test_toward_modes_bracket_the_value(fmt, x, mode):
    assume(fmt.min <= x <= fmt.max)
    down, up = numsim.quantize(np.array([x, x]), fmt, "toward_negative"), numsim.quantize(np.array([x, x]), fmt, "toward_positive")
    assert down[0] <= x <= up[0]


def quantum(fmt, x: float) -> float:
    """Spacing of fmt's values around x (the ulp at x)."""
    if isinstance(fmt, FloatFormat):
        exponent = max(math.frexp(abs(x))[1] - 1, fmt.emin) if x != 0 else fmt.emin
        if not fmt.has_subnormals and abs(x) < fmt.min_normal:
            return fmt.min_normal
        return math.ldexp(1.0, exponent - fmt.man_bits)
    return fmt.resolution


@given(formats(max_bits=32), finite, modes)
def test_error_is_at_most_one_ulp_and_half_for_nearest(fmt, x, mode):
    assume(fmt.min <= x <= fmt.max)
    q = float(numsim.quantize(x, fmt, mode))
    bound = quantum(fmt, x) / (2 if mode.startswith("nearest") else 1)
    if isinstance(fmt, FloatFormat) and not fmt.has_zero:
        assume(abs(x) >= fmt.min_normal)
    assert abs(q - x) <= bound


@given(st.data(), formats(max_bits=16))
def test_representable_values_survive_every_mode(data, fmt):
    x = data.draw(arrays(fmt, st.integers(1, 20)))
    for mode in DETERMINISTIC:
        np.testing.assert_array_equal(numsim.quantize(x, fmt, mode), x)


@given(any_format, st.lists(st.floats(allow_nan=True), min_size=1, max_size=20), modes)
def test_decode_of_encode_is_quantize(fmt, xs, mode):
    x = np.array(xs)
    q = numsim.quantize(x, fmt, mode, nan_policy="zero")
    np.testing.assert_array_equal(numsim.decode(numsim.encode(x, fmt, mode, nan_policy="zero"), fmt), q)


@given(st.data())
def test_testing_strategies_draw_representable_values(data):
    fmt = data.draw(formats(families=("float",), max_bits=32, specials=("ieee", "fn")))
    assert fmt.specials.value in ("ieee", "fn")
    value = data.draw(representable(fmt, allow_infinity=True))
    assert not math.isnan(value)
    assert numsim.quantize(value, fmt) == value
    registered = data.draw(formats(registered=True, families=("int",)))
    assert registered in numsim.registered_formats().values()
