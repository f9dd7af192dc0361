"""Every invalid argument raises ValueError/TypeError naming the argument, the value and what is allowed."""

import numpy as np
import pytest

import numsim
from numsim import FixedFormat, FloatFormat, IntFormat


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(exp_bits=0, man_bits=3), ValueError, r"exp_bits must be >= 1, got 0"),
        (dict(exp_bits=4, man_bits=-1), ValueError, r"man_bits must be >= 0, got -1"),
        (dict(exp_bits=3.0, man_bits=3), TypeError, r"exp_bits must be an integer, got 3.0"),
        (dict(exp_bits=True, man_bits=3), TypeError, r"exp_bits must be an integer, got True"),
        (dict(exp_bits=8, man_bits=24), ValueError, r"must be <= 32 bits, got 33"),
        (dict(exp_bits=4, man_bits=3, bias=2000), ValueError, r"bias=2000 .* outside float64"),
        (dict(exp_bits=1, man_bits=2), ValueError, r"leaves no finite normal numbers"),
        (dict(exp_bits=1, man_bits=0, specials="fn"), ValueError, r"at least 2 bits|no finite normal"),
        (dict(exp_bits=4, man_bits=3, specials="nanless"), ValueError, r"specials must be one of ieee, fn, fnuz, none, extended, fnu, got 'nanless'"),
        (dict(exp_bits=4, man_bits=3, specials="fnuz", signed=False), ValueError, r"fnuz.*needs signed=True"),
        (dict(exp_bits=8, man_bits=0, specials="fnu", signed=True), ValueError, r"fnu.*signed must be False"),
        (dict(exp_bits=8, man_bits=0, specials="fnu", subnormals=True), ValueError, r"fnu.*subnormals=False"),
        (dict(exp_bits=4, man_bits=3, subnormals="yes"), TypeError, r"subnormals must be True or False, got 'yes'"),
    ],
)
def test_float_format_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        FloatFormat(**kwargs)


@pytest.mark.parametrize(
    "factory, error, match",
    [
        (lambda: IntFormat(0), ValueError, r"bits must be >= 1 and <= 32, got 0"),
        (lambda: IntFormat(33), ValueError, r"bits must be >= 1 and <= 32, got 33"),
        (lambda: IntFormat("8"), TypeError, r"bits must be an integer, got '8'"),
        (lambda: IntFormat(8, signed=False, symmetric=True), ValueError, r"symmetric=True .* needs signed=True"),
        (lambda: FixedFormat(8, 100), ValueError, r"frac_bits must be >= -64 and <= 64, got 100"),
        (lambda: FixedFormat(8, 4, signed=1), TypeError, r"signed must be True or False, got 1"),
    ],
)
def test_integer_format_validation(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


def test_format_argument_types():
    with pytest.raises(TypeError, match="format must be a numsim format or a name, got 3"):
        numsim.get_format(3)
    with pytest.raises(ValueError, match="unknown format 'e4m3x'"):
        numsim.quantize(1.0, "e4m3x")
    with pytest.raises(ValueError, match=r"total width .* got 40"):
        numsim.get_format("e12m27")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(rounding="nearest"), ValueError, r"unknown rounding 'nearest': allowed are nearest_even, .*did you mean"),
        (dict(rounding=3), TypeError, r"rounding must be a Rounding or a string, got 3"),
        (dict(overflow="clamp"), ValueError, r"unknown overflow 'clamp': allowed are saturate, saturate_keep_inf, non_saturating, wrap"),
        (dict(overflow="wrap"), ValueError, r"overflow='wrap' applies to integer and fixed-point formats"),
        (dict(nan_policy="ignore"), ValueError, r"nan_policy must be one of raise, zero, got 'ignore'"),
        (dict(ftz="yes"), TypeError, r"ftz must be True or False, got 'yes'"),
        (dict(rounding="stochastic", sr_bits=0), ValueError, r"sr_bits must be an integer in 1..32, got 0"),
        (dict(rounding="stochastic", sr_bits=33), ValueError, r"sr_bits must be an integer in 1..32, got 33"),
        (dict(rounding="stochastic", seed=float("nan")), ValueError, r"seed must be a finite"),
        (dict(rounding="stochastic", seed=float("inf")), ValueError, r"seed must be a finite"),
        (dict(rounding="stochastic", seed=1.5), TypeError, r"seed must be a non-negative integer.*got 1.5"),
        (dict(rounding="stochastic", seed=-1), ValueError, r"seed must be non-negative, got -1"),
        (dict(rounding="stochastic", random_bits=[1, 2]), ValueError, r"random_bits must have one entry per element of x \(3\), got 2"),
        (dict(rounding="stochastic", random_bits=[0, 1, 2**32]), ValueError, r"random_bits must lie in \[0, 2\^sr_bits\)"),
        (dict(rounding="stochastic", random_bits=[0.5, 1, 2]), TypeError, r"random_bits must be an integer array"),
        (dict(dtype=np.float16), ValueError, r"dtype must be float64 or float32, got float16"),
        (dict(random_bits=[0, 1, 2]), ValueError, r"random_bits is used only by the stochastic rounding modes, not by rounding='nearest_even'"),
    ],
)
def test_codec_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        numsim.quantize(np.array([1.0, 2.0, 3.0]), "e4m3", **kwargs)


def test_overflow_policies_the_format_cannot_honour():
    with pytest.raises(ValueError, match=r"overflow='non_saturating' needs Inf or NaN codes, which float4_e2m1fn lacks"):
        numsim.encode(1.0, "e2m1", overflow="non_saturating")
    with pytest.raises(ValueError, match=r"overflow='saturate_keep_inf' needs Inf or NaN codes, which int8 lacks; allowed: saturate, wrap"):
        numsim.encode(1.0, "int8", overflow="saturate_keep_inf")
    with pytest.raises(ValueError, match=r"overflow='wrap' cannot be used with the symmetric format int8_sym"):
        numsim.encode(1.0, "int8_sym", overflow="wrap")


def test_nan_without_a_nan_code():
    with pytest.raises(ValueError, match=r"1 input value\(s\) need a NaN, which float4_e2m1fn does not have.*nan_policy='zero'"):
        numsim.quantize([1.0, np.nan], "e2m1")
    assert numsim.encode([np.nan], "e2m1", nan_policy="zero").tolist() == [0]
    with pytest.raises(ValueError, match="int8 does not have"):
        numsim.encode([np.inf], "int8", overflow="wrap")
    assert numsim.encode([np.inf, -np.inf], "int8").tolist() == [127, 128]


@pytest.mark.parametrize(
    "x, error, match",
    [
        (np.array([1 + 2j]), TypeError, r"x must be real; got complex dtype complex128"),
        (np.array(["1.0"]), TypeError, r"x must be a real numeric array or scalar; got dtype"),
        (np.array([1.0], dtype=object), TypeError, r"got dtype dtype\('O'\)"),
        (np.array([1.0], dtype=np.longdouble), TypeError, r"extended precision inputs are not supported"),
        (np.array([2**63], dtype=np.uint64), ValueError, r"uint64 values >= 2\^63"),
        (2**70, TypeError, r"got dtype dtype\('O'\)"),
    ],
)
def test_input_dtypes(x, error, match):
    if isinstance(x, np.ndarray) and x.dtype == np.longdouble and np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(error, match=match):
        numsim.encode(x, "e4m3")


def test_decode_arguments():
    with pytest.raises(ValueError, match=r"codes of float8_e4m3fn lie in \[0, 255\], got values in \[0, 256\]"):
        numsim.decode([0, 256], "e4m3")
    with pytest.raises(ValueError, match=r"lie in \[0, 15\], got values in \[-1, 3\]"):
        numsim.decode([-1, 3], "e2m1")
    with pytest.raises(TypeError, match="codes must be an integer array, got dtype float64"):
        numsim.decode([1.0], "e4m3")
    with pytest.raises(ValueError, match=r"e9m4 has values that float32 cannot hold exactly; use dtype=float64"):
        numsim.decode([1], "e9m4", dtype=np.float32)


def test_values_only_for_narrow_formats():
    with pytest.raises(ValueError, match="values\\(\\) enumerates formats of at most 16 bits; float32 has 32"):
        numsim.get_format("fp32").values()


def test_testing_strategy_arguments():
    from numsim.testing import formats

    with pytest.raises(ValueError, match="families must be a non-empty subset"):
        formats(families=("complex",))
    with pytest.raises(ValueError, match="need 2 <= min_bits <= max_bits <= 32"):
        formats(min_bits=8, max_bits=4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(element="e4m3", block_size=0), ValueError, r"block_size must be >= 1, got 0"),
        (dict(element="e4m3"), ValueError, r"give block_size \(1-D blocks\) or block_shape \(tiles\)"),
        (dict(element="e4m3", block_size=32, block_shape=(8, 8)), ValueError, r"block_size=32 does not match block_shape=\(8, 8\) \(64 elements per tile\)"),
        (dict(element="e4m3", block_shape=(2, 2, 2)), ValueError, r"block_shape must have 1 or 2 entries"),
        (dict(element="e4m3", block_shape=(4, 0)), ValueError, r"block_shape entry must be >= 1, got 0"),
        (dict(element="e4m3", block_size=32, scale="int8"), ValueError, r"scale format int8 cannot represent the powers of two"),
        (dict(element="e8m0", block_size=32), ValueError, r"element format float8_e8m0fnu has no zero"),
        (dict(element="mxfp4", block_size=32), ValueError, r"element must be a scalar format, got the block format mxfp4"),
        (dict(element="e4m3x", block_size=32), ValueError, r"element: unknown format 'e4m3x'"),
        (dict(element="e2m1", block_size=16, scale="e4m3", scale_rule="floor", tensor_scale="fp32"), ValueError, r"tensor_scale .* needs scale_rule='round', got 'floor'"),
        (dict(element="e2m1", block_size=16, scale_rule="nearest"), ValueError, r"scale_rule must be one of floor, ceil, rceil, even, round, got 'nearest'"),
        (dict(element="e2m1", block_size=16, scale_rule=3), TypeError, r"scale_rule must be a ScaleRule or a string, got 3"),
        (dict(element="e2m1", block_size=16, scale="e4m3", scale_rounding="stochastic"), ValueError, r"scale_rounding must be a deterministic mode, got 'stochastic_a'"),
        (dict(element="fixed<32,20>", block_size=16, scale="e8m23", scale_rule="round"), ValueError, r"need 55 significant bits, more than float64 holds \(53\)"),
    ],
)
def test_block_format_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        numsim.BlockFormat(**kwargs)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: numsim.quantize(np.ones((4, 8)), "mxfp4", axis=2), ValueError, r"axis 2 is out of range for an array of 2 dimension\(s\) \(allowed: -2..1\)"),
        (lambda: numsim.quantize(np.ones((4, 8)), "mxfp4", axis=(0, 1)), ValueError, r"axis must be an int for mxfp4"),
        (lambda: numsim.quantize(np.ones(8), "float8_e4m3fn/4x4/e8m0/floor"), ValueError, r"blocks 2 axis/axes, but x has 1 dimension"),
        (lambda: numsim.quantize(np.ones((4, 8)), "float8_e4m3fn/4x4/e8m0/floor", axis=(1, 1)), ValueError, r"axis must name distinct axes"),
        (lambda: numsim.quantize(1.0, "e4m3", axis=0), ValueError, r"axis applies to block formats; float8_e4m3fn is a scalar format"),
        (lambda: numsim.quantize(np.ones(8), "mxfp4", ftz=True), ValueError, r"ftz=True is not supported for block formats"),
        (lambda: numsim.quantize(np.ones(8), "mxfp4", overflow="wrap"), ValueError, r"overflow='wrap' applies to integer and fixed-point elements"),
        (lambda: numsim.quantize(np.ones(8), "mxint8", overflow="non_saturating"), ValueError, r"overflow='non_saturating' needs Inf or NaN codes, which the fixed<8,6> elements lack"),
        (lambda: numsim.quantize(np.ones(8), "mxint8", random_bits=np.zeros(3, int), rounding="stochastic"), ValueError, r"random_bits must have the shape of x \(8,\), got \(3,\)"),
        (lambda: numsim.quantize(np.array([2**60], np.int64), "mxfp4"), ValueError, r"integer inputs up to 2\^53"),
        (lambda: numsim.decode(np.zeros(8, np.uint8), "mxfp4"), TypeError, r"codes of mxfp4 must be the \(elements, scales\[, tensor_scale\]\) tuple"),
        (lambda: numsim.decode((np.zeros(8, np.uint8), np.zeros(2, np.uint8)), "mxfp4"), ValueError, r"scales must have the shape of x \(1,\), got \(2,\)"),
        (lambda: numsim.decode((np.zeros(8, np.uint8), np.zeros(1, np.uint8)), "nvfp4"), ValueError, r"codes of nvfp4 must be \(elements, scales, tensor_scale\)"),
        (lambda: numsim.decode((np.full(8, 16, np.uint8), np.zeros(1, np.uint8)), "mxfp4"), ValueError, r"elements codes of float4_e2m1fn lie in \[0, 15\]"),
        (lambda: numsim.get_format("e4m3/32/e8m0"), ValueError, r"block format names have the form element/block/scale/rule"),
        (lambda: numsim.get_format("e4m3/3y2/e8m0/floor"), ValueError, r"must be an int or a tile like 32x32, got '3y2'"),
    ],
)
def test_block_codec_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: numsim.pack(np.array([16], np.uint8), 4), ValueError, r"codes of 4 bits lie in \[0, 15\], got values in \[16, 16\]"),
        (lambda: numsim.pack(np.array([1.0]), 4), TypeError, r"codes must be an integer array"),
        (lambda: numsim.pack(np.array([1], np.uint8), 9), ValueError, r"bits must be >= 1 and <= 8, got 9"),
        (lambda: numsim.unpack(np.array([1], np.uint8), 4, 3), ValueError, r"count must be >= 0 and <= 2, got 3"),
        (lambda: numsim.unpack(np.array([1], np.int8), 4, 1), TypeError, r"packed must be a uint8 array"),
        (lambda: numsim.reorder_channels(np.ones((2, 3)), axis=2), ValueError, r"axis must be >= -2 and <= 1, got 2"),
        (lambda: numsim.restore_channels(np.ones((2, 3)), [0, 0, 1]), ValueError, r"perm must be a permutation of range\(3\)"),
        (lambda: numsim.bfp(0), ValueError, r"mantissa_bits must be >= 1 and <= 31, got 0"),
    ],
)
def test_packing_and_reordering_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
