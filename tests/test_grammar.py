"""numsim's one grammar: every format, multiplier, accumulator, order and datapath prints as a
string that its parser reads back to an equal object computing bit-identical results; old sweep
config spellings keep their meaning or fail naming the new spelling; bad strings get errors that
name the part, its position and the allowed spellings."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numsim
from experiments.design import datapath_from
from numsim import testing as nt


def _values(fmt, shape, seed):
    """Random values of ``fmt`` (finite, non-NaN) from its own codes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.choice([0.25, 1.0, 8.0], shape)
    return np.asarray(numsim.quantize(x * min(1.0, float(fmt.max) / 16), fmt, overflow="saturate", nan_policy="zero"), np.float64)


@given(nt.formats(max_bits=32) | nt.block_formats())
def test_formats_round_trip(fmt):
    assert numsim.get_format(fmt.name) == fmt
    assert numsim.get_format(str(fmt.name).upper()) == fmt  # names are case-insensitive


@given(nt.multipliers())
def test_multipliers_round_trip(mult):
    parsed = numsim.get_multiplier(mult.name)
    assert parsed == mult and parsed.name == mult.name


@given(nt.accumulators())
def test_accumulators_round_trip(acc):
    parsed = numsim.get_accumulator(acc.name)
    assert parsed == acc and parsed.name == acc.name


@given(nt.orders())
def test_orders_round_trip(order):
    parsed = numsim.get_order(order.name)
    assert parsed == order and parsed.name == order.name


@settings(max_examples=60)
@given(nt.datapaths(), st.integers(0, 2**16))
def test_datapaths_round_trip_and_compute_identically(dp, seed):
    parsed = numsim.get_datapath(dp.name)
    assert parsed == dp and parsed.name == dp.name
    K = dp.block_size or 8
    A, B = _values(dp.a_element, (3, 2 * K), seed), _values(dp.b_element, (2 * K, 2), seed + 1)
    try:
        ours = numsim.matmul(A, B, dp, quantize_inputs=True, seed=seed)
    except ValueError as exc:  # inputs this datapath refuses (NaN results, Inf into a fixed register): the parsed one alike
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            numsim.matmul(A, B, parsed, quantize_inputs=True, seed=seed)
        return
    theirs = numsim.matmul(A, B, parsed, quantize_inputs=True, seed=seed)
    assert ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes()


@given(nt.multipliers(), st.integers(0, 2**16))
def test_parsed_multipliers_multiply_identically(mult, seed):
    fmt = numsim.get_format("int8" if isinstance(mult, (numsim.DRUM, numsim.Truncated)) else "bf16")
    try:
        mult.check(fmt, fmt)
    except ValueError:
        return
    a, b = _values(fmt, 64, seed), _values(fmt, 64, seed + 1)
    out = "fp32" if fmt.name == "bfloat16" else "int32"
    ours = numsim.mul(a, b, out, a_format=fmt, b_format=fmt, multiplier=mult)
    theirs = numsim.mul(a, b, out, a_format=fmt, b_format=fmt, multiplier=numsim.get_multiplier(mult.name))
    np.testing.assert_array_equal(ours.view(np.uint64), theirs.view(np.uint64))


def test_every_preset_and_built_in_datapath_round_trips():
    presets = [numsim.tensor_core_datapath(g, f) for g, f in [("v100", "fp16"), ("a100", "bf16"), ("h100", "e4m3"), ("b200", "e5m2"), ("ada", "tf32")]]
    presets.append(numsim.tensor_core_datapath("h100", "e4m3", fast_accum=False))
    for dp in presets:
        assert numsim.get_datapath(dp.name) == dp, dp.name


def test_spellings_with_parts_left_out():
    full = numsim.get_datapath("e4m3*e4m3 exact -> acc fp32 (sequential) -> fp32")
    assert numsim.get_datapath("e4m3") == full == numsim.Datapath("e4m3", accumulator="fp32")
    assert numsim.get_datapath("e4m3 -> acc fp32") == full
    assert numsim.get_datapath("  E4M3 * e4m3   exact ->  acc  fp32 ") == full
    dp = numsim.get_datapath("int8 -> acc fixed<40,8>/saturate (tree(4))")
    assert (dp.accumulator.int_bits, dp.accumulator.frac_bits, dp.accumulator.overflow, dp.order) == (32, 8, "saturate", numsim.Tree(4))


def test_constructors_take_spellings():
    assert numsim.Datapath("e4m3", multiplier="lmul(3)", accumulator="bf16/toward_zero", order="chunked(64, outer=fp32)") == numsim.Datapath(
        "e4m3", multiplier=numsim.LMul(mantissa_bits=3), accumulator=numsim.FloatAccumulator("bf16", "toward_zero"),
        order=numsim.Chunked(64, numsim.FloatAccumulator("fp32")))
    assert numsim.Chunked(8, outer="fp16").outer == numsim.FloatAccumulator("float16")
    assert numsim.Datapath("mxfp8", block_accumulator="fp32").block_accumulator == numsim.FloatAccumulator()


def test_fields_without_effect_are_reset_so_equal_datapaths_compare_equal():
    assert numsim.Datapath("e4m3", block_padding="zeros", scale_format="bf16") == numsim.Datapath("e4m3")
    assert numsim.Datapath("e4m3", product_rounding="toward_zero") == numsim.Datapath("e4m3")
    assert numsim.LMul(input_rounding="nearest_even") == numsim.LMul()


# ---- old config spellings ------------------------------------------------------------------------

@pytest.mark.parametrize("old, new", [
    ({"multiplier": "lmul(3)"}, numsim.LMul(mantissa_bits=3)),
    ({"multiplier": "lmul(m=4)"}, numsim.LMul(mantissa_bits=4)),
    ({"multiplier": "lmul"}, numsim.LMul()),
    ({"multiplier": "drum(6)"}, numsim.DRUM(6)),
    ({"multiplier": "drum(k=4)"}, numsim.DRUM(4)),
    ({"multiplier": "truncated(8)"}, numsim.Truncated(vbl=8)),
    ({"multiplier": "mitchell"}, numsim.Mitchell()),
])
def test_old_multiplier_spellings_keep_their_meaning(old, new):
    fmt = "int8" if isinstance(new, (numsim.DRUM, numsim.Truncated)) else "bf16"
    assert datapath_from({"format": fmt, **old}).multiplier == new


def test_old_bfp_and_accumulator_spellings_keep_their_meaning():
    assert datapath_from({"format": "bfp(7, 16)"}).a_format == numsim.bfp(7, 16)
    assert datapath_from({"format": "bfp(5, 16)"}).a_format == numsim.bfp(5, 16)
    assert datapath_from({"format": "e4m3", "accumulator": "kulisch"}).accumulator == numsim.Kulisch()
    assert datapath_from({"format": "e4m3", "accumulator": "e8m10"}).accumulator == numsim.FloatAccumulator(numsim.FloatFormat(8, 10))


@pytest.mark.parametrize("old, new", [("fixed(32)", "fixed<32,0>"), ("fixed(32, 8)", "fixed<40,8>"), ("fixed(int_bits=24, frac_bits=8)", "fixed<32,8>")])
def test_old_fixed_spelling_fails_naming_the_new_one(old, new):
    with pytest.raises(ValueError, match=f"write it '{new}'"):
        datapath_from({"format": "int8", "accumulator": old})
    with pytest.raises(ValueError, match=f"write it '{new}'"):
        numsim.get_accumulator(old)


def test_old_and_new_fixed_spellings_give_the_same_results():
    """'fixed(32)' in the pim_gemv_placement config meant a 32-bit register; 'fixed<32,0>' is it."""
    dp = datapath_from({"format": "int8", "accumulator": "fixed<32,0>"})
    assert dp.accumulator == numsim.FixedAccumulator(int_bits=32, frac_bits=0)
    A = np.random.default_rng(0).integers(-128, 128, (4, 300)).astype(np.float64)
    assert (numsim.matmul(A, A.T, dp) == numsim.matmul(A, A.T, numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32, 0)))).all()


def test_a_result_label_pastes_back_into_a_config():
    dp = datapath_from({"format": "mxfp4", "multiplier": "exact", "accumulator": "bf16", "order": "tree(8)"})
    assert datapath_from({"datapath": dp.name}) == dp == numsim.get_datapath(dp.name)


# ---- bad strings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, at, part, match", [
    ("e4m3 lmull(3) -> acc fp32", "lmull", "multiplier", r"unknown multiplier 'lmull'; allowed: exact, lmul.*did you mean 'lmul'"),
    ("e4m3 -> acc fp33", "fp33", "accumulator", r"unknown format 'fp33'.*did you mean 'fp32'"),
    ("e4m3 -> acc fp32 (tre(4))", "tre(", "order", r"unknown order 'tre'; allowed: sequential, pairwise.*did you mean 'tree'"),
    ("e4m4x -> acc fp32", "e4m4x", "format of A", r"unknown format 'e4m4x'"),
    ("e4m3*e5m3q -> acc fp32", "e5m3q", "format of B", r"unknown format 'e5m3q'"),
    ("e4m3 -> acc fp32 -> fp16 [c=fp16, foo=1]", "foo", "options", r"unknown option 'foo=1'; allowed: c=FORMAT"),
    ("e4m3 -> fp16", "fp16", "product format", r"write the output format after '-> acc ACCUMULATOR'"),
    ("e4m3 -> acc fp32/towards_zero", "towards", "accumulator", r"neither a rounding mode nor an overflow policy.*did you mean 'toward_zero'"),
    ("e4m3 -> acc fused(n=4, q=3)", "3)", "accumulator", r"fused has no argument 'q'"),
    ("e4m3 -> acc fp32 -> acc fp16", "acc fp16", "accumulator", r"'-> acc' comes once"),
    ("e4m3 -> acc fp32 (tree(x))", "x))", "order", r"width must be an integer, got 'x'"),
    ("int8 lmul -> acc fp32", "int8", "datapath", r"lmul multiplies float bit patterns"),
    ("e4m3 drum(3, 4) -> acc fp32", "4)", "multiplier", r"drum takes at most 1 positional argument"),
    ("e4m3 lookup(mine) -> acc fp32", "lookup", "multiplier", r"pass the Lookup\(table\) object"),
    ("e4m3 -> acc fixed(32, 8)", "fixed", "accumulator", r"write it 'fixed<40,8>'"),
    ("e4m3 -> acc fp32 -> fp33/toward_zero", "fp33", "output format", r"unknown format 'fp33'"),
])
def test_bad_datapath_strings_name_part_position_and_spellings(text, at, part, match):
    with pytest.raises(ValueError, match=match) as info:
        numsim.get_datapath(text)
    assert str(info.value).startswith(f"{part} at position {text.index(at)} of {text!r}: ")


def test_non_strings_are_type_errors():
    for parse in (numsim.get_datapath, numsim.get_accumulator, numsim.get_order, numsim.get_multiplier):
        with pytest.raises(TypeError, match="must be"):
            parse(3.5)
