"""Error metrics on hand-worked examples (expected values from the definitions) and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numsim
from numsim import metrics

EXACT = [1.0, 2.0, 4.0]
APPROX = [1.0, 2.5, 3.0]  # errors 0, +0.5, -1


def test_worked_example():
    assert metrics.error_distance(EXACT, APPROX).tolist() == [0.0, 0.5, 1.0]
    assert metrics.med(EXACT, APPROX) == 0.5
    assert metrics.wce(EXACT, APPROX) == 1.0
    assert metrics.error_rate(EXACT, APPROX) == pytest.approx(2 / 3)
    assert metrics.mse(EXACT, APPROX) == pytest.approx(1.25 / 3)
    assert metrics.bias(EXACT, APPROX) == pytest.approx(-0.5 / 3)
    assert metrics.mred(EXACT, APPROX) == pytest.approx((0 + 0.25 + 0.25) / 3)
    assert metrics.wcre(EXACT, APPROX) == 0.25
    assert metrics.ned(EXACT, APPROX) == pytest.approx(0.5)
    assert metrics.nmed(EXACT, APPROX, max_output=4.0) == 0.125
    assert metrics.sqnr_db(EXACT, APPROX) == pytest.approx(10 * math.log10(21 / 1.25))
    assert metrics.summary(EXACT, APPROX, max_output=4.0) == pytest.approx(
        {"sqnr_db": 10 * math.log10(16.8), "mse": 1.25 / 3, "bias": -0.5 / 3, "error_rate": 2 / 3, "med": 0.5, "wce": 1.0,
         "ned": 0.5, "mred": 1 / 6, "wcre": 0.25, "nmed": 0.125})


def test_relative_metrics_skip_zero_exact_values():
    assert metrics.mred([0.0, 2.0], [1.0, 3.0]) == 0.5
    assert metrics.error_rate([0.0, 2.0], [1.0, 3.0]) == 1.0
    assert "mred" not in metrics.summary([0.0, 0.0], [1.0, 0.0])


def test_no_error():
    x = [1.0, -3.0, 0.0]
    assert metrics.sqnr_db(x, x) == math.inf
    assert metrics.error_rate(x, x) == 0.0 and metrics.med(x, x) == 0.0 and metrics.ned(x, x) == 0.0


def test_ulp_error():
    # units of the binade of the exact value: 0.9375 is half of 1.0's ulp away
    assert metrics.ulp_error([1.0, 3.0, -1.0], [1.125, 3.0, -0.9375], "e4m3").tolist() == [1.0, 0.0, 0.5]
    tiny = 2.0**-9  # e4m3's subnormal spacing
    assert metrics.ulp_error([tiny, 0.0], [2 * tiny, tiny], "e4m3").tolist() == [1.0, 1.0]
    assert metrics.ulp_error([3.0], [3.5], "fixed<8,2>").tolist() == [2.0]


@given(st.floats(-440, 440), st.sampled_from(["e4m3", "e5m2", "bf16", "fp16", "e2m3"]))
def test_nearest_rounding_is_within_half_an_ulp(x, name):
    fmt = numsim.get_format(name)
    if abs(x) > fmt.max:
        return
    q = numsim.quantize(x, fmt)
    assert metrics.ulp_error([x], [q], fmt)[0] <= 0.5


# magnitudes whose squares and power-of-two multiples stay normal, so that scaling is exact
moderate = st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))


@given(st.lists(moderate, min_size=1, max_size=20), st.floats(0.001, 0.1), st.integers(-10, 10))
def test_sqnr_and_relative_errors_are_scale_invariant(xs, noise, k):
    exact = np.array(xs)
    approx = exact * (1 + noise)
    scaled = 2.0**k
    if np.any(exact != 0):
        assert metrics.sqnr_db(exact, approx) == pytest.approx(metrics.sqnr_db(exact * scaled, approx * scaled))
        assert metrics.mred(exact, approx) == pytest.approx(metrics.mred(exact * scaled, approx * scaled))


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        metrics.mse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        metrics.med([], [])
    with pytest.raises(ValueError, match="nonzero exact value"):
        metrics.mred([0.0], [1.0])
    with pytest.raises(ValueError, match="max_output must be positive"):
        metrics.nmed([1.0], [1.0], max_output=0)
    with pytest.raises(TypeError, match="scalar format"):
        metrics.ulp_error([1.0], [1.0], "mxfp4")
