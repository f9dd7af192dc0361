"""numsim's codecs against the independent exact reference (tests/reference.py, Fraction arithmetic)
on randomly generated formats: exp_bits 1..8, man_bits 0..23, every specials style, signed and
unsigned, subnormals on and off, shifted biases; every rounding mode and overflow policy; edge-heavy
inputs (ties, their float64 neighbours, overflow boundaries, subnormals, zeros, Inf, NaN)."""

from fractions import Fraction

import numpy as np
import pytest

import numsim
import reference as ref
from numsim import FixedFormat, FloatFormat, IntFormat
from oracle import assert_codes_equal, ref_codes, ref_format

STYLES = ["ieee", "fn", "fnuz", "none", "extended", "fnu"]
DETERMINISTIC = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "to_odd"]
STOCHASTIC = ["stochastic_a", "stochastic_b", "stochastic_c"]


def random_float_format(rng: np.random.Generator) -> FloatFormat:
    while True:
        style = str(rng.choice(STYLES))
        signed = style != "fnu" and (style == "fnuz" or rng.random() < 0.8)
        exp_bits, man_bits = int(rng.integers(1, 9)), int(rng.integers(0, 24))
        if int(signed) + exp_bits + man_bits > 32:
            continue
        subnormals = None if style == "fnu" else bool(rng.random() < 0.75)
        try:
            default = FloatFormat(exp_bits, man_bits, specials=style, signed=signed, subnormals=subnormals)
            bias = default.bias + int(rng.choice([0, 0, 0, -1, 1, -3, 4]))
            return FloatFormat(exp_bits, man_bits, bias=bias, specials=style, signed=signed, subnormals=subnormals)
        except ValueError:
            continue


def valid_overflows(fmt) -> list[str]:
    if isinstance(fmt, FloatFormat):
        return ["saturate", "saturate_keep_inf", "non_saturating"] if (fmt.has_inf or fmt.has_nan) else ["saturate"]
    return ["saturate"] if fmt.symmetric else ["saturate", "wrap"]


def _around(values: list[Fraction]) -> list[float]:
    """Each value, and its float64 neighbours, as floats (values exact in float64)."""
    out = []
    for v in values:
        f = float(v)
        out += [f, float(np.nextafter(f, -np.inf)), float(np.nextafter(f, np.inf))]
    return out


def float_probe(fmt: FloatFormat, rng: np.random.Generator) -> np.ndarray:
    rf = ref_format(fmt)
    vmax, vmin_normal, vmin_pos = ref.max_finite(rf), ref.min_normal(rf), ref.min_positive(rf)
    top_ulp = ref.pow2(ref.floor_log2(vmax) - fmt.man_bits)
    beyond = vmax + top_ulp
    anchors = [vmax, beyond, (vmax + beyond) / 2, 2 * beyond, vmin_normal, vmin_normal / 2, vmin_pos, vmin_pos / 2, 3 * vmin_pos / 2, vmin_pos / 4]
    codes = rng.integers(0, 1 << fmt.bits, 24)
    for c in codes:
        here, there = ref.decode(rf, int(c)), ref.decode(rf, int(c) ^ 1)
        if here.kind == there.kind == "num":
            anchors += [here.mag, (here.mag + there.mag) / 2]
    log_uniform = np.exp2(rng.uniform(np.log2(float(vmin_pos)) - 3, np.log2(float(vmax)) + 2, 16))
    x = np.array(_around(anchors) + log_uniform.tolist() + [0.0, 1e-300, 5e-324, np.inf, np.nan])
    return np.concatenate([x, -x])


@pytest.mark.parametrize("seed", range(40))
def test_random_float_formats_deterministic_modes(seed):
    rng = np.random.default_rng(seed)
    for _ in range(4):
        fmt = random_float_format(rng)
        x = float_probe(fmt, rng)
        with np.errstate(over="ignore"):
            x32 = x[x.astype(np.float32).astype(np.float64) == x].astype(np.float32)
        for mode in DETERMINISTIC:
            for overflow in valid_overflows(fmt):
                ftz = bool(rng.random() < 0.25)
                args = dict(overflow=overflow, ftz=ftz, nan_policy="zero")
                context = f"{fmt!r} {mode} {overflow} ftz={ftz}"
                assert_codes_equal(numsim.encode(x, fmt, mode, **args), ref_codes(fmt, x, mode, **args), x, context)
                assert_codes_equal(numsim.encode(x32, fmt, mode, **args), ref_codes(fmt, x32.astype(np.float64), mode, **args), x32, context + " float32")


@pytest.mark.parametrize("seed", range(12))
def test_random_float_formats_stochastic_modes(seed):
    rng = np.random.default_rng(1000 + seed)
    for _ in range(4):
        fmt = random_float_format(rng)
        x = float_probe(fmt, rng)
        for mode in STOCHASTIC:
            nbits = int(rng.integers(1, 33))
            rbits = rng.integers(0, 2**nbits, x.size)
            # random bits near the decision boundary make ties and off-by-one errors visible
            rbits[::3] = (2**nbits) // 2 - rng.integers(0, 2, rbits[::3].size)
            overflow = str(rng.choice(valid_overflows(fmt)))
            args = dict(overflow=overflow, nan_policy="zero")
            ours = numsim.encode(x, fmt, mode, random_bits=rbits, sr_bits=nbits, **args)
            assert_codes_equal(ours, ref_codes(fmt, x, mode, rbits=rbits, nbits=nbits, **args), x, f"{fmt!r} {mode} N={nbits} {overflow}")


def random_integer_format(rng):
    bits = int(rng.integers(1, 33))
    signed = bool(rng.random() < 0.7)
    kind = str(rng.choice(["twos_complement", "symmetric", "sign_magnitude"])) if signed and bits >= 2 else "twos_complement"
    symmetric, sign_magnitude = kind == "symmetric", kind == "sign_magnitude"
    if rng.random() < 0.4:
        return IntFormat(bits, signed, symmetric, sign_magnitude)
    return FixedFormat(bits, int(rng.integers(-8, 41)), signed, symmetric, sign_magnitude)


@pytest.mark.parametrize("seed", range(12))
def test_random_integer_formats(seed):
    rng = np.random.default_rng(2000 + seed)
    for _ in range(6):
        fmt = random_integer_format(rng)
        step = Fraction(2) ** -fmt.frac_bits
        lo, hi = fmt.min_int * step, fmt.max_int * step
        anchors = [lo, hi, lo - step, hi + step, lo - step / 2, hi + step / 2, step / 2, 3 * step / 2, 5 * step / 2]
        anchors += [Fraction(int(k)) * step / 2 for k in rng.integers(-(1 << min(fmt.bits, 40)), 1 << min(fmt.bits, 40), 20)]
        x = np.array(_around(anchors) + [0.0, 1e30, 2.0**70, 1e-300, np.inf] + (rng.standard_normal(10) * float(hi)).tolist())
        x = np.concatenate([x, -x])
        ints = np.array([0, 1, -1, 2**62 + 1, 2**63 - 1, -(2**63), -(2**62) - 3, int(fmt.max_int) + 1, int(fmt.min_int) - 1, 12345], np.int64)
        for mode in DETERMINISTIC + ["stochastic_b"]:
            for overflow in valid_overflows(fmt):
                for values in (x, ints):
                    rbits = rng.integers(0, 2**8, values.size) if mode.startswith("stochastic") else None
                    args = dict(overflow=overflow, nan_policy="zero")
                    ours = numsim.encode(values, fmt, mode, random_bits=rbits, sr_bits=8, **args)
                    assert_codes_equal(ours, ref_codes(fmt, values, mode, rbits=rbits, nbits=8, **args), values, f"{fmt!r} {mode} {overflow}")


def test_quantize_is_decode_of_encode_on_random_formats():
    rng = np.random.default_rng(7)
    for _ in range(30):
        fmt = random_float_format(rng)
        x = float_probe(fmt, rng)
        for dtype in (np.float64, np.float32) if numsim.codecs.fits_float32(fmt) else (np.float64,):
            q = numsim.quantize(x, fmt, nan_policy="zero", dtype=dtype)
            expected = np.array([ref.to_float(ref.decode(ref_format(fmt), int(c))) for c in ref_codes(fmt, x)])
            np.testing.assert_array_equal(q.astype(np.float64), expected)
            assert (np.signbit(q) == np.signbit(expected))[~np.isnan(expected)].all()
