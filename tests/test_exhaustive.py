"""Exhaustive checks of every registered format of at most 16 bits.

* every code decodes to the reference value (tests/reference.py, exact Fractions);
* every canonical code re-encodes to itself in every rounding mode and overflow policy (NaN codes
  included: ieee payloads and fn signs are kept; an ieee signalling NaN comes back quiet, IEEE 754
  §6.2: the top mantissa bit set, sign and the other payload bits kept);
* values are strictly ordered by code;
* every midpoint between neighbouring values, and the float64 values on either side of it, rounds
  as the neighbour rules require in every deterministic mode and overflow policy (the expected code
  is derived from the sorted value table, not from the kernels), including the overflow boundary;
* stochastic modes at every midpoint of the 8-bit formats agree with the reference.
"""

import numpy as np
import pytest

import numsim
import reference as ref
from numsim import FloatFormat
from oracle import assert_codes_equal, ref_codes, ref_format

SMALL = sorted(name for name, fmt in numsim.registered_formats().items() if fmt.bits <= 16)
DETERMINISTIC = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "to_odd"]


def overflows(fmt):
    if isinstance(fmt, FloatFormat):
        return ["saturate", "saturate_keep_inf", "non_saturating"] if (fmt.has_inf or fmt.has_nan) else ["saturate"]
    return ["saturate"] if fmt.symmetric else ["saturate", "wrap"]


def signed_value(fmt, codes):
    """Value of codes as a float array (Inf/NaN included)."""
    return numsim.decode_table(fmt)[codes]


def canonical_mask(fmt) -> np.ndarray:
    """True for codes that encode() can produce: excludes the zeros spelled with a nonzero mantissa
    in formats without subnormals and the unused most negative code of symmetric integers."""
    codes = np.arange(fmt.num_codes)
    if isinstance(fmt, FloatFormat):
        mag = codes & ((1 << (fmt.exp_bits + fmt.man_bits)) - 1)
        if not fmt.has_subnormals and fmt.man_bits > 0 and fmt.has_zero:
            return ~((mag > 0) & (mag < (1 << fmt.man_bits)))
        return np.ones(codes.size, bool)
    return codes != (1 << (fmt.bits - 1)) if fmt.symmetric else np.ones(codes.size, bool)  # also sign-magnitude -0


@pytest.mark.parametrize("name", SMALL)
def test_every_code_decodes_to_the_reference_value(name):
    fmt = numsim.get_format(name)
    rf = ref_format(fmt)
    values = fmt.values()
    for code in range(fmt.num_codes):
        r = ref.decode(rf, code)
        v = values[code]
        if r.kind == "nan":
            assert np.isnan(v), (name, code)
        else:
            assert v == ref.to_float(r) and np.signbit(v) == r.negative, (name, hex(code), v, r)


@pytest.mark.parametrize("name", SMALL)
def test_every_canonical_code_reencodes_to_itself(name):
    fmt = numsim.get_format(name)
    codes = np.arange(fmt.num_codes)
    values = numsim.decode(codes, fmt)
    canonical = canonical_mask(fmt)
    expected = codes.copy()
    if isinstance(fmt, FloatFormat):
        sign = codes & (1 << (fmt.exp_bits + fmt.man_bits)) if fmt.signed else 0
        expected[~canonical] = (sign if fmt.has_negative_zero else 0 * codes)[~canonical]
        if fmt.specials == "ieee" and fmt.man_bits > 0:
            expected[np.isnan(values)] |= 1 << (fmt.man_bits - 1)  # quiet bit: the top mantissa bit
    else:
        # sign-magnitude -0 re-encodes as 0; the symmetric -2^(b-1) saturates to -(2^(b-1) - 1)
        expected[~canonical] = 0 if fmt.sign_magnitude else codes[~canonical] + 1
    infinite = np.isinf(values)
    for mode in DETERMINISTIC:
        for overflow in overflows(fmt):
            want = expected.copy()
            if overflow == "saturate" and infinite.any():  # SatFinite: infinities clamp to +-max
                want[infinite] = numsim.encode(np.where(values[infinite] > 0, fmt.max, -fmt.max), fmt)
            assert_codes_equal(numsim.encode(values, fmt, mode, overflow), want, values, f"{name} {mode} {overflow}")


@pytest.mark.parametrize("name", SMALL)
def test_values_are_strictly_ordered(name):
    fmt = numsim.get_format(name)
    values = fmt.values()
    finite = np.isfinite(values) & canonical_mask(fmt)
    codes = np.arange(fmt.num_codes)
    if isinstance(fmt, FloatFormat):
        sign_bit = 1 << (fmt.exp_bits + fmt.man_bits)
        positive = finite & (codes < sign_bit)
        assert (np.diff(values[positive]) > 0).all()
        if fmt.signed:
            mirrored = positive & finite[np.minimum(codes | sign_bit, fmt.num_codes - 1)]
            np.testing.assert_array_equal(values[codes[mirrored] | sign_bit], -values[mirrored])
    else:
        order = np.argsort(np.where(codes >= (1 << (fmt.bits - 1)), codes - (1 << fmt.bits), codes) if fmt.signed else codes)
        ordered = values[order][finite[order]]
        assert (np.diff(ordered) > 0).all()


def neighbour_cases(fmt):
    """Sorted distinct finite values and their canonical codes (one zero, code 0)."""
    values = fmt.values()
    ok = np.isfinite(values) & canonical_mask(fmt) & ~((values == 0) & np.signbit(values))
    codes = np.flatnonzero(ok)
    order = np.argsort(values[codes], kind="stable")
    return values[codes][order], codes[order]


def expected_codes(fmt, x, a, b, code_a, code_b, mode, overflow, rbits=None, nbits=32):
    """Expected code of each x in [a, b] from the neighbour rules (a < b adjacent values; b may be
    a virtual value beyond the range, marked by code_b == -1; likewise a with code_a == -1).

    Stochastic modes assume x is the midpoint or one of its float64 neighbours, so the residual
    nu is 1/2 or 1/2 -+ a sliver far below 2^-(N+1): P3109 then rounds away iff R >= 2^(N-1),
    except StochasticA just below the midpoint (floor(nu 2^N) = 2^(N-1) - 1): iff R > 2^(N-1)."""
    towards_zero_is_a = np.abs(a) <= np.abs(b)
    tz_code = np.where(towards_zero_is_a, code_a, code_b)
    away_code = np.where(towards_zero_is_a, code_b, code_a)
    tz_value, away_value = np.where(towards_zero_is_a, a, b), np.where(towards_zero_is_a, b, a)
    mid = (a + b) / 2
    tz_parity = np.where(tz_code >= 0, tz_code & 1, 1 - (away_code & 1))
    nearer_away = np.abs(x - away_value) < np.abs(x - tz_value)
    tie = x == mid
    exact_a, exact_b = x == a, x == b
    if mode == "nearest_even":
        take_away = nearer_away | (tie & (tz_parity == 1))
    elif mode == "nearest_away":
        take_away = nearer_away | tie
    elif mode == "toward_zero":
        take_away = np.zeros(x.size, bool)
    elif mode == "toward_positive":
        take_away = away_value > tz_value
    elif mode == "toward_negative":
        take_away = away_value < tz_value
    elif mode == "to_odd":
        take_away = tz_parity == 0
    else:
        below_mid = np.abs(x - tz_value) < np.abs(mid - tz_value)
        threshold = 2 ** (nbits - 1) + ((mode == "stochastic_a") & below_mid)
        take_away = rbits >= threshold
    take_away = np.where(exact_a | exact_b, np.where(exact_a, ~towards_zero_is_a, towards_zero_is_a), take_away)
    code = np.where(take_away, away_code, tz_code)
    value = np.where(take_away, away_value, tz_value)
    # a zero result takes the sign of x where the format has -0
    if isinstance(fmt, FloatFormat) and fmt.has_negative_zero:
        code = np.where((value == 0) & (x < 0), 1 << (fmt.exp_bits + fmt.man_bits), code)
    # overflow: the chosen neighbour lies beyond the range
    beyond = code < 0
    if beyond.any():
        negative = x < 0
        max_code = numsim.encode(np.where(negative, fmt.min, fmt.max), fmt)  # codes of +-max (exact values)
        if overflow in ("saturate", "saturate_keep_inf"):
            result = max_code
        elif overflow == "wrap":
            step = 2.0 ** -fmt.frac_bits
            n = np.rint(value / step).astype(np.int64)
            result = n & ((1 << fmt.bits) - 1)
        else:
            toward_zero = {"toward_zero": np.ones_like(negative), "to_odd": np.ones_like(negative),
                           "toward_negative": ~negative, "toward_positive": negative}.get(mode, np.zeros_like(negative))
            special = numsim.encode(np.where(negative, -np.inf, np.inf), fmt, overflow="non_saturating")
            result = np.where(toward_zero, max_code, special)
        code = np.where(beyond, result, code)
    return code


def midpoint_cases(fmt):
    """Inputs ``x`` (every midpoint between neighbouring values, including the virtual neighbours
    beyond each end of the range, then their float64 neighbours below and above, then the two
    neighbours themselves) with their bracketing values ``a < b`` and codes (-1: beyond range)."""
    vals, codes = neighbour_cases(fmt)
    if isinstance(fmt, FloatFormat):
        step_top = 2.0 ** (fmt.emax - fmt.man_bits)
    else:
        step_top = 2.0 ** -fmt.frac_bits
    lows = np.concatenate([vals[:-1], [vals[-1]]])
    highs = np.concatenate([vals[1:], [vals[-1] + step_top]])
    code_lo = np.concatenate([codes[:-1], [codes[-1]]])
    code_hi = np.concatenate([codes[1:], [-1]])
    if fmt.is_signed:
        lows = np.concatenate([[vals[0] - step_top], lows])
        highs = np.concatenate([[vals[0]], highs])
        code_lo = np.concatenate([[-1], code_lo])
        code_hi = np.concatenate([[codes[0]], code_hi])
    mids = (lows + highs) / 2
    cases = [mids, np.nextafter(mids, -np.inf), np.nextafter(mids, np.inf), lows, highs]
    x = np.concatenate(cases)
    a, b = np.tile(lows, len(cases)), np.tile(highs, len(cases))
    ca, cb = np.tile(code_lo, len(cases)), np.tile(code_hi, len(cases))
    return x, a, b, ca, cb


@pytest.mark.parametrize("name", SMALL)
def test_midpoints_and_their_neighbours_round_correctly(name):
    fmt = numsim.get_format(name)
    x, a, b, ca, cb = midpoint_cases(fmt)
    for mode in DETERMINISTIC:
        for overflow in overflows(fmt):
            expected = expected_codes(fmt, x, a, b, ca, cb, mode, overflow)
            ours = numsim.encode(x, fmt, mode, overflow)
            assert_codes_equal(ours, expected, x, f"{name} {mode} {overflow}")
            if fmt.bits <= 8:
                with np.errstate(over="ignore"):
                    x32 = x.astype(np.float32)
                ours32 = numsim.encode(x32, fmt, mode, overflow)
                exact32 = x32.astype(np.float64) == x
                assert_codes_equal(ours32[exact32], expected[exact32], x[exact32], f"{name} {mode} {overflow} float32")


@pytest.mark.parametrize("name", SMALL)
def test_stochastic_rounding_of_every_midpoint(name):
    """Every midpoint and its float64 neighbours, with random bits on either side of the decision
    threshold 2^(N-1), in all three P3109 stochastic modes and every overflow policy."""
    fmt = numsim.get_format(name)
    x, a, b, ca, cb = midpoint_cases(fmt)
    x, a, b, ca, cb = (v[: 3 * (v.size // 5)] for v in (x, a, b, ca, cb))  # midpoints and neighbours
    rng = np.random.default_rng(len(name))
    for mode in ["stochastic_a", "stochastic_b", "stochastic_c"]:
        for nbits in (1, 2, 9, 32):
            rbits = np.clip(2 ** (nbits - 1) + rng.integers(-1, 2, x.size), 0, 2**nbits - 1)
            for overflow in overflows(fmt):
                expected = expected_codes(fmt, x, a, b, ca, cb, mode, overflow, rbits, nbits)
                ours = numsim.encode(x, fmt, mode, overflow, random_bits=rbits, sr_bits=nbits)
                assert_codes_equal(ours, expected, x, f"{name} {mode} N={nbits} {overflow}")


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("mode", ["stochastic_a", "stochastic_b", "stochastic_c"])
def test_stochastic_rounding_of_midpoints_matches_the_reference(name, mode):
    """Every midpoint of formats up to 8 bits, 1500 random ones of wider formats (the reference is
    pure Python)."""
    fmt = numsim.get_format(name)
    vals, _ = neighbour_cases(fmt)
    rng = np.random.default_rng(sum(map(ord, name + mode)))
    pick = np.arange(vals.size - 1) if fmt.bits <= 8 else rng.choice(vals.size - 1, 1500, replace=False)
    lo, hi = vals[pick], vals[pick + 1]
    mids = (lo + hi) / 2
    x = np.concatenate([mids, np.nextafter(mids, -np.inf), lo + (hi - lo) / 4])
    for nbits in (1, 2, 5, 32):
        rbits = rng.integers(0, 2**nbits, x.size)
        ours = numsim.encode(x, fmt, mode, random_bits=rbits, sr_bits=nbits)
        assert_codes_equal(ours, ref_codes(fmt, x, mode, rbits=rbits, nbits=nbits), x, f"{name} {mode} N={nbits}")
