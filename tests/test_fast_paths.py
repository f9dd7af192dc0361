"""The vectorised scalar codec kernel (:mod:`numsim._kernels.rounding_fast`) equals the general
element-by-element kernel (:mod:`numsim._kernels.codec`) bit for bit: codes, values (NaN bit
patterns included), invalid counts; for every rounding mode, overflow policy, flush-to-zero,
binary32 and binary64 inputs, awkward inputs, block boundaries and thread counts.

The reference is ``numsim._lower.codec.encode/quantize(..., fast=False)``, the general kernel that
rounding modes other than nearest-even ran before the vectorised one existed.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numsim
from numsim._exact_inputs import exact_array
from numsim._kernels.rounding_fast import BLOCK
from numsim._lower import codec as lowered
from numsim._random_bits import stochastic_args
from numsim.codecs import _check_overflow, fits_float32
from numsim.formats import TABLE_BITS
from numsim.rounding import Overflow, Rounding

FORMATS = [
    "float8_e4m3fn",
    "float8_e5m2",
    "float4_e2m1fn",
    "float6_e3m2fn",
    "float6_e2m3fn",
    "bfloat16",
    "float16",
    "float8_e8m0fnu",  # unsigned, no zero, no subnormals, M = 0
    "float8_e4m3fnuz",
    "binary8p3se",  # P3109 signed extended
    "binary8p1ue",  # P3109 unsigned, M = 0
    "binary4p2uf",
    "tf32",  # no decode table
    numsim.FloatFormat(4, 3, subnormals=False),  # rounds below the normals to 0 or the smallest normal
    numsim.FloatFormat(11, 3, bias=1023),  # emin = -1022: binary64 subnormal inputs lie just below its normals
    numsim.FloatFormat(5, 2, signed=False),  # unsigned ieee: negative inputs give its NaN
    numsim.FloatFormat(3, 0, signed=False),  # ieee without NaN (M = 0): negative and NaN inputs are counted
]
FORMAT_IDS = [str(numsim.get_format(f).name) for f in FORMATS]
MODES = list(Rounding)


def _policies(fmt):
    for ov in Overflow:
        try:
            yield _check_overflow(fmt, ov.value)
        except ValueError:
            pass


def _bits(x: np.ndarray) -> np.ndarray:
    return x.view(np.uint64 if x.dtype == np.float64 else np.uint32)


def _assert_fast_equals_general(x, fmt, mode, ov, ftz=False, sr_bits=32, random_bits=None, seed=7):
    """Codes, and values in every allowed output dtype, of both kernels are identical."""
    fmt = numsim.get_format(fmt)
    arr = exact_array(x)
    key, nbits, explicit = stochastic_args(mode, seed, sr_bits, random_bits, arr.size)
    assert lowered.fast_spec(fmt, mode, ov, ftz, nbits, False, True) is not None, "the vectorised kernel must take this case"
    args = (arr, fmt, mode, ov, key, nbits, explicit, ftz)
    codes, bad = lowered.encode(*args)
    ref_codes, ref_bad = lowered.encode(*args, fast=False)
    where = np.flatnonzero(codes != ref_codes)[:5]
    assert bad == ref_bad and codes.dtype == ref_codes.dtype
    assert where.size == 0, f"{fmt.name} {mode.value} {ov.value} ftz={ftz}: inputs {x.ravel()[where]} codes {codes[where]} != {ref_codes[where]}"
    for dtype in (np.float64, np.float32) if fits_float32(fmt) else (np.float64,):
        values, bad = lowered.quantize(arr, fmt, np.dtype(dtype), mode, ov, key, nbits, explicit, ftz)
        ref_values, ref_bad = lowered.quantize(arr, fmt, np.dtype(dtype), mode, ov, key, nbits, explicit, ftz, fast=False)
        where = np.flatnonzero(_bits(values) != _bits(ref_values))[:5]
        assert bad == ref_bad
        assert where.size == 0, (f"{fmt.name} {mode.value} {ov.value} ftz={ftz} {np.dtype(dtype)}: inputs {x.ravel()[where]} "
                                 f"values {_bits(values)[where]} != {_bits(ref_values)[where]}")


def _awkward(fmt, dtype, rng) -> np.ndarray:
    """Codes' values, midpoints and near-midpoints between neighbours, the overflow threshold,
    signed zeros, NaN (quiet and signalling, with payloads) and infinities, subnormal inputs of
    the input dtype, values far below the format's range, and random bit patterns."""
    fmt = numsim.get_format(fmt)
    finfo = np.finfo(dtype)
    if fmt.bits <= TABLE_BITS:
        values = np.unique(np.abs(numsim.decode(np.arange(fmt.num_codes), fmt)))
    else:
        values = np.unique(np.abs(numsim.quantize(rng.standard_normal(4000) * 2.0 ** rng.integers(-20, 20, 4000), fmt)))
    values = values[np.isfinite(values)]
    mids = values[1:] / 2 + values[:-1] / 2
    beyond = np.array([fmt.max * 2, fmt.max + (fmt.max - values[-2]) / 2, fmt.max * (1 + 2.0**-30)])
    core = np.concatenate([values, mids, beyond, fmt.min_subnormal * np.array([0.5, 0.25, 0.75, 1.5]) if fmt.min_subnormal else []])
    core = core[core <= finfo.max]
    with np.errstate(over="ignore"):
        x = core.astype(dtype)
    ulp = np.array(finfo.smallest_subnormal, dtype)
    near = np.concatenate([np.nextafter(x, np.inf), np.nextafter(x, -np.inf)])
    ints = np.uint64 if dtype == np.float64 else np.uint32
    man = 52 if dtype == np.float64 else 23
    exp_all = ints(((1 << (64 if dtype == np.float64 else 32) - 1 - man) - 1) << man)
    nans = (exp_all | ints(1) << ints(man - 1) | ints(5)), (exp_all | ints(1)), (exp_all | (ints(1) << ints(man - 1)) - ints(1))
    specials = np.array([0.0, np.inf, finfo.max, finfo.smallest_normal, float(ulp), float(ulp) * 3], dtype)
    specials = np.concatenate([specials, np.array(nans, ints).view(dtype)])
    tiny = np.array([1e-300, 3e-310, 2.0**-1074, 2.0**-1022, 2.0**-126, 2.0**-149, 2.0**-140]).astype(dtype)
    rand = rng.integers(0, np.iinfo(ints).max, 3000, dtype=ints, endpoint=True).view(dtype)
    out = np.concatenate([x, near, specials, tiny, rand])
    return np.concatenate([out, -out])


def _distributions(fmt, dtype, n, rng) -> dict[str, np.ndarray]:
    """The benchmark's input distributions: N(0,1), N(0,40^2), 10% NaN/Inf, values within 4
    binades of the smallest subnormal, all zeros."""
    fmt = numsim.get_format(fmt)
    specials = rng.standard_normal(n)
    pick = rng.random(n)
    specials[pick < 0.05] = np.nan
    specials[(pick >= 0.05) & (pick < 0.1)] = np.inf * np.sign(rng.standard_normal(((pick >= 0.05) & (pick < 0.1)).sum()))
    smallest = fmt.min_subnormal or fmt.min_normal
    with np.errstate(over="ignore", under="ignore"):
        return {
            "normal": rng.standard_normal(n).astype(dtype),
            "normal40": (40 * rng.standard_normal(n)).astype(dtype),
            "nan_inf": specials.astype(dtype),
            "subnormal": (smallest * 2.0 ** rng.uniform(-2, 4, n) * rng.choice([-1, 1], n)).astype(dtype),
            "zeros": np.zeros(n, dtype),
        }


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["binary32", "binary64"])
@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_awkward_inputs_every_mode_policy_and_ftz(fmt, dtype):
    rng = np.random.default_rng(3)
    x = _awkward(fmt, dtype, rng)
    fmt = numsim.get_format(fmt)
    for mode in MODES:
        for ov in _policies(fmt):
            for ftz in (False, True):
                _assert_fast_equals_general(x, fmt, mode, ov, ftz, sr_bits=32 if mode is Rounding.STOCHASTIC_A else 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["binary32", "binary64"])
@pytest.mark.parametrize("fmt", ["float8_e4m3fn", "float8_e5m2", "float6_e3m2fn", "float6_e2m3fn", "float4_e2m1fn", "bfloat16",
                                 "float8_e8m0fnu", "binary8p3se"])
def test_benchmark_distributions(fmt, dtype):
    rng = np.random.default_rng(4)
    fmt = numsim.get_format(fmt)
    for name, x in _distributions(fmt, dtype, 5000, rng).items():
        for mode in MODES:
            for ov in _policies(fmt):
                _assert_fast_equals_general(x, fmt, mode, ov)


@pytest.mark.parametrize("n", [1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7])
@pytest.mark.parametrize("mode", [Rounding.NEAREST_EVEN, Rounding.TO_ODD, Rounding.STOCHASTIC_A, Rounding.STOCHASTIC_C])
def test_block_boundaries(n, mode):
    """Each block draws its random bits from its first element's index on."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 2.0 ** rng.integers(-12, 12, n)
    x[rng.random(n) < 0.01] = np.nan
    for fmt in ("float8_e4m3fn", "float4_e2m1fn"):
        fmt = numsim.get_format(fmt)
        _assert_fast_equals_general(x.astype(np.float32), fmt, mode, fmt.default_overflow)
        _assert_fast_equals_general(x, fmt, mode, fmt.default_overflow, sr_bits=9)


@pytest.mark.parametrize("value", [0.0, -0.0, 1.5, -1e30, -np.inf, 2.0**-140, 0x7FA00001, 0xFFC00000])
def test_blocks_of_equal_inputs(value):
    """Under the deterministic modes a block of equal inputs rounds one and copies its result (and
    counts it once per element); a block with one different element anywhere is rounded whole."""
    n = 2 * BLOCK + 3
    x = np.full(n, value, np.float32) if isinstance(value, float) else np.full(n, value, np.uint32).view(np.float32)
    odd = x.copy()
    odd[[7, BLOCK + BLOCK // 2, 2 * BLOCK - 1]] = 3.0  # inside, at the middle, at the end of a block
    for fmt in ("float8_e4m3fn", "float4_e2m1fn", "float8_e8m0fnu", "bfloat16"):
        fmt = numsim.get_format(fmt)
        for mode in (Rounding.NEAREST_EVEN, Rounding.TOWARD_NEGATIVE, Rounding.STOCHASTIC_A):
            for ov in _policies(fmt):
                _assert_fast_equals_general(x, fmt, mode, ov)
                _assert_fast_equals_general(odd, fmt, mode, ov)


def test_explicit_random_bits():
    rng = np.random.default_rng(5)
    n = 2 * BLOCK + 3
    x = rng.standard_normal(n).astype(np.float32)
    for mode, sr_bits in ((Rounding.STOCHASTIC_A, 1), (Rounding.STOCHASTIC_B, 12), (Rounding.STOCHASTIC_C, 32)):
        bits = rng.integers(0, 2**sr_bits, n, dtype=np.uint64)
        _assert_fast_equals_general(x, "float8_e5m2", mode, Overflow.NON_SATURATING, sr_bits=sr_bits, random_bits=bits)


@pytest.mark.parametrize("mode", ["nearest_even", "toward_negative", "stochastic_b"])
def test_one_and_two_threads_agree(mode):
    x = np.random.default_rng(6).standard_normal(3 * BLOCK + 7).astype(np.float32) * 30
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = numsim.quantize(x, "e4m3", mode, seed=1), numsim.encode(x, "e2m1", mode, seed=1)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = numsim.quantize(x, "e4m3", mode, seed=1), numsim.encode(x, "e2m1", mode, seed=1)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(_bits(one[0]), _bits(two[0]))
    np.testing.assert_array_equal(one[1], two[1])


def test_public_functions_take_the_vectorised_kernel():
    x = np.array([np.nan, -np.inf, 1e9, -3.3, 2.0**-20, 0.0], np.float32)
    fmt = numsim.get_format("float8_e5m2")
    key, nbits, explicit = stochastic_args(Rounding.TOWARD_ZERO, None, 32, None, x.size)
    codes, _ = lowered.encode(exact_array(x), fmt, Rounding.TOWARD_ZERO, fmt.default_overflow, key, nbits, explicit, False)
    np.testing.assert_array_equal(numsim.encode(x, fmt, "toward_zero"), codes)


def test_nan_inputs_without_a_nan_code_are_counted():
    x = np.array([1.0, np.nan, -np.nan, 2.0], np.float32)
    with pytest.raises(ValueError, match="2 input value"):
        numsim.quantize(x, "e2m1", "toward_positive")
    np.testing.assert_array_equal(numsim.encode(x, "e2m1", "toward_positive", nan_policy="zero"), [2, 0, 0, 4])


def test_signalling_nan_payloads_become_quiet():
    """A binary32 input widens to binary64 (which quietens a signalling NaN) and keeps its payload's
    top bits: the codes and values are the general rule's for both input widths."""
    f32 = np.array([0x7F800001, 0xFF800001, 0x7FA00000, 0x7FC00001, 0x7FFFFFFF], np.uint32).view(np.float32)
    f64 = np.array([0x7FF0000000000001, 0xFFF4000000000000, 0x7FF8000000000001], np.uint64).view(np.float64)
    for x in (f32, f64):
        for fmt in ("float8_e5m2", "bfloat16", "float16", "tf32", "float8_e4m3fn", "float8_e4m3fnuz"):
            _assert_fast_equals_general(x, fmt, Rounding.NEAREST_EVEN, numsim.get_format(fmt).default_overflow)
    assert numsim.encode(f32[:1], "e5m2")[0] == 0x7E  # quiet bit set, payload's top bits (none) kept


def test_the_range_boundary_of_the_kernel():
    """emin = -1022 is the lowest normal range the kernel takes (binary64 subnormal inputs lie below
    it); a format reaching one binade lower takes the general kernel."""
    inside, beyond = numsim.FloatFormat(11, 3, bias=1023), numsim.FloatFormat(11, 3, bias=1024)
    assert lowered.fast_spec(inside, Rounding.NEAREST_EVEN, Overflow.NON_SATURATING, False, 32, True, True) is not None
    assert lowered.fast_spec(beyond, Rounding.NEAREST_EVEN, Overflow.NON_SATURATING, False, 32, True, True) is None
    x = np.array([2.0**-1074, 3 * 2.0**-1075 * 2**50, 2.0**-1022 * 0.75, -(2.0**-1023), 2.0**-1023 * 1.0625])
    for fmt in (inside, beyond):
        got = numsim.quantize(x, fmt)
        arr = exact_array(x)
        ref, _ = lowered.quantize(arr, fmt, np.dtype(np.float64), Rounding.NEAREST_EVEN, fmt.default_overflow, *stochastic_args(Rounding.NEAREST_EVEN, None, 32, None, x.size), False, fast=False)
        np.testing.assert_array_equal(_bits(got), _bits(ref))


def test_dropped_bits_beyond_62_and_stochastic_residuals_beyond_63():
    """binary64 inputs far below a format's range drop more than 62 bits (the kernel clamps the
    shift: the truncated code is 0 and every dropped bit stays in the residual), and the
    stochastic residual floor(nu 2^k) then needs right shifts of 63 places and more."""
    x = np.array([2.0**-1074, 2.0**-1000, 1.5 * 2.0**-70, 2.0**-60 * 1.75, 2.0**-59, 2.0**-40 * 1.25])
    x = np.concatenate([x, -x])
    for mode in MODES:
        for sr_bits in (1, 13, 32):
            _assert_fast_equals_general(x, "float8_e4m3fn", mode, Overflow.SATURATE, sr_bits=sr_bits, random_bits=np.full(x.size, 2**sr_bits - 1) if mode.is_stochastic else None)
            _assert_fast_equals_general(x, "float8_e4m3fn", mode, Overflow.SATURATE, sr_bits=sr_bits, seed=sr_bits)


@given(st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1), st.sampled_from(FORMATS), st.sampled_from(MODES), st.booleans())
def test_random_bit_patterns(u64, u32, fmt, mode, ftz):
    x64 = np.array([u64, u64 ^ (1 << 63)], np.uint64).view(np.float64)
    x32 = np.array([u32, u32 ^ (1 << 31)], np.uint32).view(np.float32)
    fmt = numsim.get_format(fmt)
    for ov in _policies(fmt):
        _assert_fast_equals_general(x64, fmt, mode, ov, ftz, sr_bits=11, seed=u32)
        _assert_fast_equals_general(x32, fmt, mode, ov, ftz, sr_bits=11, seed=u32)


@pytest.mark.parametrize("fmt", ["float8_e4m3fn", "float8_e5m2", "float4_e2m1fn", "bfloat16"])
@pytest.mark.parametrize("outsider", [np.nan, -np.inf, 1e30, 1e-44, -0.0])
@pytest.mark.parametrize("ftz", [False, True])
def test_nearest_even_blocks_inside_and_outside_the_narrower_formulas(fmt, outsider, ftz):
    """Under nearest-even a block whose inputs all lie in the range of the nearest-even formulas
    (:func:`numsim._kernels.nearest_fast.all_inside`) takes those; a block holding one input outside
    (NaN, Inf, overflow, a binary32 subnormal, -0) takes the full kernel. Three blocks, the middle
    one spoilt at its last element: both routes equal the general kernel."""
    from numsim._kernels import nearest_fast

    f = numsim.get_format(fmt)
    x = (np.random.default_rng(8).standard_normal(3 * BLOCK) * 0.5).astype(np.float32)
    x[np.abs(x) < max(2.0**-4, f.min_normal)] = f.min_normal  # every clean input in the formulas' range, even under ftz
    spoilt = x.copy()
    spoilt[2 * BLOCK - 1] = outsider
    for ov in _policies(f):
        ns = lowered._nearest_spec(f, 23, not ftz, ov in (Overflow.SATURATE, Overflow.SATURATE_KEEP_INF))
        assert nearest_fast.all_inside(_bits(x[:BLOCK]), ns), "the clean block must take the narrower formulas"
        inside = nearest_fast.all_inside(_bits(spoilt[BLOCK : 2 * BLOCK]), ns)
        if not np.isfinite(outsider):
            assert not inside, "NaN and Inf lie outside the narrower formulas' range"
        _assert_fast_equals_general(spoilt, f, Rounding.NEAREST_EVEN, ov, ftz=ftz)
