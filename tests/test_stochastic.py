"""Stochastic rounding: reproducible, statistically as the P3109 definitions say, and never beyond
the two neighbours of the exact value."""

import numba
import numpy as np
import pytest

import numsim

MODES = ["stochastic_a", "stochastic_b", "stochastic_c"]


def test_same_seed_same_result_and_seeds_differ():
    x = np.random.default_rng(0).standard_normal(100_000)
    a = numsim.quantize(x, "e4m3", "stochastic", seed=42)
    np.testing.assert_array_equal(a, numsim.quantize(x, "e4m3", "stochastic", seed=42))
    assert (a != numsim.quantize(x, "e4m3", "stochastic", seed=43)).mean() > 0.2


def test_generator_is_advanced_and_reproducible():
    x = np.random.default_rng(0).standard_normal(10_000)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    first, second = numsim.quantize(x, "bf16", "stochastic", seed=g1), numsim.quantize(x, "bf16", "stochastic", seed=g1)
    assert (first != second).any()
    np.testing.assert_array_equal(first, numsim.quantize(x, "bf16", "stochastic", seed=g2))
    seq = np.random.SeedSequence(9)
    np.testing.assert_array_equal(numsim.quantize(x, "e5m2", "stochastic_b", seed=seq), numsim.quantize(x, "e5m2", "stochastic_b", seed=np.random.SeedSequence(9)))


def test_results_do_not_depend_on_the_thread_count():
    x = np.random.default_rng(1).standard_normal(300_000)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = numsim.quantize(x, "e2m1", "stochastic_c", seed=3, sr_bits=7)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(one, numsim.quantize(x, "e2m1", "stochastic_c", seed=3, sr_bits=7))


@pytest.mark.parametrize("fmt", ["e4m3", "e2m1", "bf16", "int8", "fixed<8,3>", "e8m0"])
@pytest.mark.parametrize("mode", MODES)
def test_never_beyond_the_two_neighbours_and_exact_values_stay(fmt, mode):
    rng = np.random.default_rng(11)
    f = numsim.get_format(fmt)
    x = rng.uniform(-1, 1, 50_000) * f.max * 0.9
    if not f.is_signed:
        x = np.abs(x) + f.min_normal
    down = numsim.quantize(x, f, "toward_negative")
    up = numsim.quantize(x, f, "toward_positive")
    q = numsim.quantize(x, f, mode, seed=1)
    assert ((q == down) | (q == up)).all()
    assert (q == up).any() and (q == down).any()
    exact = numsim.quantize(x, f)
    np.testing.assert_array_equal(numsim.quantize(exact, f, mode, seed=2, sr_bits=3), exact)


def round_up_probability(nu: float, nbits: int, mode: str) -> float:
    """P(round away) for residual nu with nbits uniform random bits, from the P3109 definitions."""
    full = 2**nbits
    if mode == "stochastic_a":
        threshold = full - int(np.floor(nu * full))  # R >= threshold
    elif mode == "stochastic_b":
        t = int(np.floor(nu * 2 * full))
        threshold = int(np.ceil((2 * full - t - 1) / 2))
    else:
        threshold = full - int(np.rint(nu * full))  # rint: ties to even
    return min(max(full - threshold, 0), full) / full


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nbits", [1, 2, 3, 8, 32])
@pytest.mark.parametrize("nu", [0.1, 0.3, 0.4, 0.5, 0.8125, 0.97])
def test_rounding_up_frequency_matches_the_definition(mode, nbits, nu):
    """1 + nu/8 lies between the e4m3 neighbours 1 and 1.125. Over n fixed-seed draws the observed
    frequency of rounding up must be within 5 standard deviations of the defined probability."""
    n = 200_000
    x = np.full(n, 1 + nu / 8)
    q = numsim.quantize(x, "e4m3", mode, seed=1234, sr_bits=nbits)
    p = round_up_probability(nu, nbits, mode)
    freq = (q == 1.125).mean()
    assert ((q == 1.0) | (q == 1.125)).all()
    sigma = np.sqrt(max(p * (1 - p), 1e-12) / n)
    assert abs(freq - p) <= 5 * sigma + 1e-9, (freq, p)


@pytest.mark.parametrize("fmt", ["e4m3", "e2m1", "bf16", "int4", "e5m2"])
@pytest.mark.parametrize("mode", ["stochastic_b", "stochastic_c"])
def test_mean_error_is_unbiased(fmt, mode):
    """With 32 random bits the expected rounding error is below 2^-32 ulp; the mean error of n fixed-
    seed draws must lie within 5 standard errors (derived from the Bernoulli variance) of zero."""
    f = numsim.get_format(fmt)
    rng = np.random.default_rng(21)
    values = rng.uniform(0.1, 0.9, 8) * min(f.max, 4.0)
    n = 100_000
    for v in values:
        x = np.full(n, v)
        lo, hi = numsim.quantize(v, f, "toward_negative"), numsim.quantize(v, f, "toward_positive")
        q = numsim.quantize(x, f, mode, seed=int(v * 1e6))
        p = (v - lo) / (hi - lo) if hi > lo else 0.0
        std_error = (hi - lo) * np.sqrt(p * (1 - p) / n)
        assert abs(q.mean() - v) <= 5 * std_error + 2.0**-32 * (hi - lo), (fmt, v, q.mean())


def test_stochastic_a_with_few_bits_is_biased_toward_zero_as_defined():
    # nu = 0.4 with N = 1: floor(0.8) = 0, so StochasticA never rounds up; B and C round up half the time
    x = np.full(10_000, 1 + 0.4 / 8)
    assert (numsim.quantize(x, "e4m3", "stochastic_a", seed=0, sr_bits=1) == 1.0).all()
    assert 0.45 < (numsim.quantize(x, "e4m3", "stochastic_b", seed=0, sr_bits=1) == 1.125).mean() < 0.55
