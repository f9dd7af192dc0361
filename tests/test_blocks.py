"""Block formats (MX, NVFP4, MSFP, BFP, tiles) against the independent block reference
(tests/block_reference.py: Fraction arithmetic on top of the scalar reference), the OCP worked
examples, the scalar codecs, and hypothesis properties."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import block_reference as block_ref
import numsim
from numsim import BlockFormat
from oracle import ref_block

PRESETS = sorted(numsim.registered_block_formats())


def edge_tensor(fmt: BlockFormat, rng: np.random.Generator, rows: int = 9, cols: int = 70) -> np.ndarray:
    """Rows of random magnitudes with the edge cases of block scaling, each in its own block:
    amax exactly a power of two, exactly the element max times a power of two, one huge outlier,
    subnormal-only values, zeros, NaN/Inf, and magnitudes beyond the E8M0 range both ways."""
    scale = np.exp2(rng.uniform(-30, 30, (rows, 1)))
    x = rng.standard_normal((rows, cols)) * scale
    k = fmt.block_shape[-1]
    emax = fmt.element.max
    x[0, :k] = rng.uniform(-1, 1, k) * 4.0
    x[0, 0] = 8.0  # amax exactly 2^3
    x[1, :k] = rng.uniform(-1, 1, k) * emax
    x[1, 1] = -emax * 2.0**5  # amax exactly element max * 2^5
    x[2, :k] *= 1e-3
    x[2, 2] = 1e6  # one huge outlier
    x[3, :k] = rng.standard_normal(k) * 1e-310  # float64 subnormals only
    x[4, :k] = 0.0
    x[4, k:2 * k] = -0.0
    x[5, 3] = np.nan
    x[5, k + 4] = np.inf
    x[5, 2 * k + 1] = -np.inf
    x[6, :k] = rng.standard_normal(k) * 2.0**140  # above the E8M0 range
    x[7, :k] = rng.standard_normal(k) * 2.0**-150  # below it
    return x


def assert_same_codes(ours, theirs, context):
    elements, scales = ours[0], ours[1]
    ref_elements, ref_scales, ref_tensor = theirs
    np.testing.assert_array_equal(scales.astype(np.int64), ref_scales, err_msg=f"{context}: scale codes")
    np.testing.assert_array_equal(elements.astype(np.int64), ref_elements, err_msg=f"{context}: element codes")
    if ref_tensor is not None:
        assert int(ours[2]) == ref_tensor, context


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("mode", ["nearest_even", "toward_zero", "nearest_away", "stochastic_b"])
def test_presets_match_the_reference(name, mode):
    fmt = numsim.get_format(name)
    rng = np.random.default_rng(sum(map(ord, name + mode)))
    x = edge_tensor(fmt, rng)
    rbits = rng.integers(0, 2**8, x.shape) if mode.startswith("stochastic") else None
    args = dict(nan_policy="zero")
    ours = numsim.encode(x, fmt, mode, random_bits=rbits, sr_bits=8, **args)
    theirs = block_ref.encode_block(ref_block(fmt), x, (1,), mode, rbits=rbits, nbits=8, **args)
    assert_same_codes(ours, theirs, f"{name} {mode}")
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    if mode == "nearest_even":  # binary32 inputs take the vectorised path
        theirs32 = block_ref.encode_block(ref_block(fmt), x32.astype(np.float64), (1,), mode, **args)
        assert_same_codes(numsim.encode(x32, fmt, mode, **args), theirs32, f"{name} float32")


@pytest.mark.parametrize("name", PRESETS)
def test_decode_and_quantize_match_the_reference(name):
    fmt = numsim.get_format(name)
    x = edge_tensor(fmt, np.random.default_rng(5))
    codes = numsim.encode(x, fmt, nan_policy="zero")
    expected = block_ref.quantize_block(ref_block(fmt), x, (1,), nan_policy="zero")
    for values in (numsim.decode(codes, fmt), numsim.quantize(x, fmt, nan_policy="zero")):
        np.testing.assert_array_equal(values, expected)
        assert (np.signbit(values) == np.signbit(expected))[~np.isnan(expected)].all()


RULES = ["floor", "ceil", "rceil", "even"]


@pytest.mark.parametrize(
    "element, scale, rule, tensor",
    [("e4m3", "e8m0", r, None) for r in RULES]
    + [("e2m1", "e8m0", r, None) for r in RULES]
    + [("e5m2", "binary8p1uf", "floor", None), ("fixed<8,6>", "e8m0", "even", None), ("int8_sm", "e8m0", "rceil", None),
       ("e3m2", "e4m3", "floor", None), ("e2m3", "bf16", "round", None), ("e2m1", "e4m3", "round", None),
       ("e4m3", "e5m2", "round", "fp32"), ("fixed<6,4>_sm", "ue4m3fn", "round", "bf16")],
)
@pytest.mark.parametrize("shape, axes, block", [((5, 37), (1,), (8,)), ((4, 6, 5), (0,), (3,)), ((7, 9), (0, 1), (2, 3)), ((3, 10, 12), (2, 1), (4, 5))])
def test_rules_geometries_and_scale_formats_match_the_reference(element, scale, rule, tensor, shape, axes, block):
    if len(block) != len(axes):
        return
    fmt = BlockFormat(element, scale=scale, block_shape=block, scale_rule=rule, tensor_scale=tensor)
    rng = np.random.default_rng(len(shape) * 31 + len(rule))
    x = rng.standard_normal(shape) * np.exp2(rng.integers(-12, 12, shape))
    axis = axes[0] if len(axes) == 1 else axes
    for mode in ("nearest_even", "toward_positive", "to_odd"):
        ours = numsim.encode(x, fmt, mode, axis=axis)
        assert_same_codes(ours, block_ref.encode_block(ref_block(fmt), x, axes, mode), f"{fmt.name} {mode} axis={axis}")
        np.testing.assert_array_equal(numsim.decode(ours, fmt, axis=axis), numsim.quantize(x, fmt, mode, axis=axis))


@pytest.mark.parametrize(
    "amax, rule, code, block_max",
    [(150, "floor", 126, 144), (150, "ceil", 127, 144), (150, "rceil", 126, 144), (150, "even", 126, 144),
     (500, "floor", 127, 448), (500, "ceil", 128, 512), (500, "rceil", 128, 512), (500, "even", 128, 512),
     (449, "floor", 127, 448), (449, "ceil", 128, 448), (449, "rceil", 128, 448), (449, "even", 127, 448),
     (1.0, "floor", 119, 1.0), (1.0, "ceil", 119, 1.0), (1.0, "rceil", 119, 1.0), (1.0, "even", 119, 1.0)],
)
def test_ocp_worked_examples_e4m3(amax, rule, code, block_max):
    """OCP MX v1.0 scale selection examples (E4M3 elements, max 448, element RNE)."""
    fmt = BlockFormat("e4m3", 32, "e8m0", scale_rule=rule)
    x = np.array([amax, 0.5 * amax, -0.25 * amax])
    codes = numsim.encode(x, fmt)
    assert codes.scales.tolist() == [code]
    assert numsim.decode(codes, fmt)[0] == block_max


@pytest.mark.parametrize("amax, rule, scale, block_max", [(7, "floor", 1, 6), (7, "ceil", 2, 8), (7, "rceil", 2, 8), (7, "even", 2, 8),
                                                         (5, "floor", 1, 4), (5, "ceil", 2, 4), (5, "rceil", 1, 4), (5, "even", 1, 4)])
def test_ocp_worked_examples_e2m1(amax, rule, scale, block_max):
    fmt = BlockFormat("e2m1", 32, "e8m0", scale_rule=rule)
    codes = numsim.encode(np.array([amax, 0.5 * amax]), fmt)
    assert numsim.decode(codes.scales, "e8m0").tolist() == [scale]
    assert numsim.decode(codes, fmt)[0] == block_max


@pytest.mark.parametrize("name, amax, clamped", [("mxfp8_e4m3", 511.9, 448.0), ("mxfp4", 7.99, 6.0)])
def test_floor_clamps_the_block_maximum(name, amax, clamped):
    q = numsim.quantize(np.array([amax, 1.0, -amax]), name)
    assert q.tolist()[0] == clamped and q.tolist()[2] == -clamped


def test_e8m0_scale_limits():
    x = np.array([[2.0**140, 1.0, -(2.0**139)], [2.0**-133, -(2.0**-135), 2.0**-141]])
    codes = numsim.encode(x, "mxfp8_e4m3")
    assert codes.scales.ravel().tolist() == [254, 0]  # e = 127 and e = -127 (clamped)
    q = numsim.decode(codes, "mxfp8_e4m3")
    assert q[0, 0] == 448 * 2.0**127 and q[0, 2] == -448 * 2.0**127  # element 2^13 and 2^12 saturate
    assert q[1].tolist() == [2.0**-133, -(2.0**-135), 0.0]  # min normal, subnormal, below 2^-127 * 2^-9
    assert numsim.encode(np.zeros(5), "mxfp4").scales.tolist() == [0]
    assert numsim.decode(numsim.encode(np.zeros(16), "nvfp4").scales, "e4m3").tolist() == [2.0**-6]


def test_nan_and_inf_in_blocks():
    x = np.array([1.0, np.nan, 3.0, -2.0])
    q8 = numsim.quantize(x, "mxfp8_e4m3")
    assert np.isnan(q8[1]) and q8[[0, 2, 3]].tolist() == [1.0, 3.0, -2.0]  # the NaN element stays alone
    c4 = numsim.encode(x, "mxfp4")
    assert c4.scales.tolist() == [0xFF] and np.isnan(numsim.decode(c4, "mxfp4")).all()  # fp4 has no NaN
    inf = np.array([np.inf, -np.inf, 3.0])
    assert np.array_equal(numsim.quantize(inf, "mxfp8_e5m2"), inf)
    assert np.isnan(numsim.quantize(inf, "mxfp8_e4m3")[:2]).all()
    assert numsim.quantize(inf, "mxfp4", overflow="saturate").tolist() == [3.0, -3.0, 3.0]


@pytest.mark.parametrize("name", ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8", "msfp16"])
def test_blocks_with_unit_scale_equal_scalar_quantization(name):
    """amax in [2^emax_elem, 2^(emax_elem + 1)) gives the FLOOR scale 2^0: the elements are then the
    scalar codes of the values (saturating)."""
    fmt = numsim.get_format(name)
    rng = np.random.default_rng(2)
    top = 2.0**fmt.emax_elem
    x = rng.uniform(-1, 1, (50, fmt.block_size)) * top * 1.9
    x[:, 0] = top * rng.uniform(1, 1.99, 50)
    codes = numsim.encode(x, fmt)
    assert (codes.scales == 127).all()
    np.testing.assert_array_equal(codes.elements, numsim.encode(x, fmt.element, overflow="saturate"))
    np.testing.assert_array_equal(numsim.quantize(x, fmt), numsim.quantize(x, fmt.element, overflow="saturate"))


def test_nvfp4_two_level_scales():
    x = np.random.default_rng(4).standard_normal((8, 64)) * 3
    codes = numsim.encode(x, "nvfp4")
    amax = np.abs(x).max()
    assert numsim.decode(codes.tensor_scale, "fp32") == np.float32(amax / (448 * 6))
    assert codes.scales.shape == (8, 4) and codes.elements.dtype == np.uint8
    blocks = x.reshape(8, 4, 16)
    block_scales = numsim.decode(codes.scales, "e4m3") * numsim.decode(codes.tensor_scale, "fp32")
    # every block scale is within one E4M3 step of amax_block / 6
    assert np.all(np.abs(block_scales / (np.abs(blocks).max(-1) / 6) - 1) <= 2.0**-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nvfp4_tensor_amax_is_over_finite_values(dtype):
    x = np.random.default_rng(5).standard_normal((6, 40)).astype(dtype)
    finite_amax = float(np.abs(x).max())
    x[1, 3], x[4, 17], x[5, 39] = np.inf, -np.inf, np.nan
    codes = numsim.encode(x, "nvfp4", nan_policy="zero")
    assert numsim.decode(codes.tensor_scale, "fp32") == np.float32(finite_amax / (448 * 6))


@pytest.mark.parametrize("name", ["nvfp4", "mxfp8_e4m3"])
@pytest.mark.parametrize("shape", [(0, 32), (4, 0), (0,)])
def test_empty_tensors(name, shape):
    x = np.zeros(shape, np.float32)
    codes = numsim.encode(x, name)
    assert codes.elements.shape == shape and numsim.quantize(x, name).shape == shape
    assert numsim.decode(codes, name).shape == shape
    if name == "nvfp4":  # an all-zero tensor has tensor scale 1
        assert int(codes.tensor_scale) == int(np.float32(1).view(np.uint32))


def test_ragged_blocks_read_nothing_beyond_the_array():
    fmt = numsim.get_format("mxfp4")
    x = np.random.default_rng(0).standard_normal(33)
    full = numsim.quantize(x, fmt)
    np.testing.assert_array_equal(full[32:], numsim.quantize(x[32:], fmt))  # the last block stands alone
    view = np.random.default_rng(1).standard_normal((6, 8))[:, ::3]  # non-contiguous
    np.testing.assert_array_equal(numsim.quantize(view, fmt), numsim.quantize(view.copy(), fmt))


def test_float32_output_is_exact_or_refused():
    x = np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32)
    np.testing.assert_array_equal(numsim.quantize(x, "mxfp8_e4m3", dtype=np.float32), numsim.quantize(x, "mxfp8_e4m3"))
    with pytest.raises(ValueError, match="cannot be held exactly in float32"):
        numsim.quantize(x * 1.3, "nvfp4", dtype=np.float32)  # element x E4M3 x fp32 products need > 24 bits


# ---- hypothesis properties ---------------------------------------------------------------------

BLOCKS = st.sampled_from([numsim.get_format(n) for n in PRESETS] + [BlockFormat("e4m3", 4, scale_rule=r) for r in RULES]
                         + [BlockFormat("e2m1", block_shape=(2, 3), scale_rule="rceil"), BlockFormat("e3m2", 5, "e4m3", scale_rule="round")])
finite = st.floats(-1e30, 1e30, allow_nan=False, allow_subnormal=False)


@st.composite
def tensors(draw):
    fmt = draw(BLOCKS)
    shape = draw(hnp.array_shapes(min_dims=len(fmt.block_shape), max_dims=3, max_side=9))
    return fmt, draw(hnp.arrays(np.float64, shape, elements=finite))


@given(tensors(), st.sampled_from(["nearest_even", "toward_zero", "to_odd"]))
def test_decode_of_encode_is_quantize(case, mode):
    fmt, x = case
    np.testing.assert_array_equal(numsim.decode(numsim.encode(x, fmt, mode), fmt), numsim.quantize(x, fmt, mode))


def _asymmetric_integer(fmt) -> bool:
    """Two's complement elements whose most negative code has no positive twin (MXINT8's -2)."""
    return isinstance(fmt, (numsim.IntFormat, numsim.FixedFormat)) and fmt.signed and not fmt.symmetric and not fmt.sign_magnitude


@given(tensors())
def test_quantize_is_idempotent(case):
    """Quantizing a quantized tensor changes nothing, for every element format whose rounded
    block maximum stays in its binade; asymmetric integer elements are the exception pinned by
    the next test."""
    fmt, x = case
    assume(not _asymmetric_integer(fmt.element))
    q = numsim.quantize(x, fmt)
    np.testing.assert_array_equal(numsim.quantize(q, fmt), q)


def test_mxint8_minus_two_code_breaks_idempotence():
    """amax 0.99609375 gives the FLOOR scale 2^-1; -0.99609375 / 2^-1 = -127.5/64 ties to the even
    code -128/64 = -2, so the quantized block's maximum is 1.0, a binade higher: quantizing again
    picks the scale 2^0, where 0.8984375 = 57.5/64 ties to 58/64 = 0.90625."""
    x = np.array([-0.99609375, 0.8984375])
    q = numsim.quantize(x, "mxint8")
    assert q.tolist() == [-1.0, 0.8984375]
    assert numsim.quantize(q, "mxint8").tolist() == [-1.0, 0.90625]


@given(tensors(), st.integers(-20, 20))
def test_power_of_two_scaling_shifts_the_scales(case, k):
    """x * 2^k has the same element codes and scale codes shifted by k (E8M0 range not reached)."""
    fmt, x = case
    if not fmt.scale_rule.power_of_two or fmt.scale.name != "float8_e8m0fnu":
        return
    a, b = numsim.encode(x, fmt), numsim.encode(x * 2.0**k, fmt)
    unclamped = lambda scales: ((scales > 0) & (scales < 254)).all()  # noqa: E731 (0: also all-zero blocks)
    if unclamped(a.scales) and unclamped(b.scales):
        np.testing.assert_array_equal(b.scales.astype(int), a.scales.astype(int) + k)
        np.testing.assert_array_equal(b.elements, a.elements)
        np.testing.assert_array_equal(numsim.quantize(x * 2.0**k, fmt), numsim.quantize(x, fmt) * 2.0**k)


@given(st.integers(1, 8), st.data())
def test_pack_unpack_round_trip(bits, data):
    codes = data.draw(hnp.arrays(np.uint8, hnp.array_shapes(max_dims=3, max_side=11), elements=st.integers(0, 2**bits - 1)))
    axis = data.draw(st.integers(-codes.ndim, codes.ndim - 1))
    packed = numsim.pack(codes, bits, axis=axis)
    assert packed.shape[axis % codes.ndim] == math.ceil(codes.shape[axis] * bits / 8)
    np.testing.assert_array_equal(numsim.unpack(packed, bits, codes.shape[axis], axis=axis), codes)


def test_fp4_and_fp6_packing_layout():
    assert numsim.pack(np.array([0x1, 0xF], np.uint8), 4).tolist() == [0xF1]  # element 0 in the low nibble
    packed = numsim.pack(np.array([0b000001, 0b000010, 0b000100, 0b100000], np.uint8), 6)
    assert packed.tolist() == [0b10000001, 0b01000000, 0b10000000]  # four fp6 in three bytes, LSB first


# ---- channel reordering ------------------------------------------------------------------------


def sqnr_db(x, q):
    return 10 * np.log10(np.sum(x**2) / np.sum((x - q) ** 2))


@pytest.mark.parametrize("name", ["mxfp4", "mxfp6_e2m3", "mxint8"])
def test_channel_reordering_helps_with_channel_outliers(name):
    """Activations (tokens x channels) where 16 of 512 channels are 50x larger: sorting channels by
    magnitude before blocking along channels puts the outliers into their own blocks."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, 512))
    outliers = rng.choice(512, 16, replace=False)
    x[:, outliers] *= 50
    plain = numsim.quantize(x, name)
    y, perm = numsim.reorder_channels(x)
    reordered = numsim.restore_channels(numsim.quantize(y, name), perm)
    normal = np.setdiff1d(np.arange(512), outliers)
    gain = sqnr_db(x[:, normal], reordered[:, normal]) - sqnr_db(x[:, normal], plain[:, normal])
    assert gain > 6, gain  # the ordinary channels no longer share scales with the outliers
    assert np.mean((x - reordered) ** 2) < np.mean((x - plain) ** 2)
    np.testing.assert_array_equal(numsim.restore_channels(y, perm), x)


def test_channel_reordering_keeps_matrix_products():
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((4, 6)), rng.standard_normal((6, 3))
    y, perm = numsim.reorder_channels(x)
    np.testing.assert_allclose(y @ w[perm], x @ w)


def test_nvfp4_quotients_at_and_next_to_element_midpoints():
    """NVFP4 divides by a non-power-of-two scale: elements whose quotient is an exact E2M1 midpoint,
    or one float64 step away from it, must round as the exact quotient says (the vectorised pass
    works with a rounded reciprocal and hands these to exact division)."""
    fmt = numsim.get_format("nvfp4")
    codes = numsim.encode(np.array([5.9, 1.0] + [0.0] * 14), fmt)
    s_t = numsim.decode(codes.tensor_scale, "fp32")
    scale = numsim.decode(codes.scales, "e4m3")[0] * s_t
    midpoints = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0])
    exact = midpoints * scale
    x = np.concatenate([[5.9], exact, np.nextafter(exact, 0), np.nextafter(exact, np.inf), -exact])
    x = np.concatenate([x, np.zeros(-len(x) % 16)]).reshape(-1, 16)
    x[:, 0] = 5.9  # every block has the same amax, hence the same scales
    ours = numsim.encode(x, fmt)
    assert_same_codes(ours, block_ref.encode_block(ref_block(fmt), x, (1,)), "nvfp4 midpoints")
    q = numsim.quantize(x, fmt)
    np.testing.assert_array_equal(q, numsim.decode(ours, fmt))


# ---- the vectorised row passes -----------------------------------------------------------------

PASS_CASES = [  # (format, element overflow): each row pass of numsim._kernels.block_rows, with its edges
    (BlockFormat("e4m3", 32), None),
    (BlockFormat("e5m2", 32), "non_saturating"),  # elements of the top binade leave the pass
    (BlockFormat("e5m2", 32, scale_rule="ceil"), "saturate"),
    (BlockFormat("e3m2", 32, scale_rule="rceil"), None),
    (BlockFormat("e2m3", 32, scale_rule="even"), None),
    (BlockFormat("e2m1", 32), None),
    (BlockFormat("float8_e4m3fnuz", 16), None),  # no negative zero
    (BlockFormat("e3m0", 8, "e4m3", scale_rule="round"), None),  # M = 0, six magnitudes, ties to even codes
    (BlockFormat("e1m2fn", 8, "e5m2", scale_rule="round", tensor_scale="bf16"), None),
    (numsim.get_format("nvfp4"), None),
    (BlockFormat("e2m2", 8, "e5m2", scale_rule="round"), None),  # quotient formulas near midpoints
    (numsim.get_format("mxint8"), None),
]


def tie_tensor(fmt: BlockFormat, dtype, rng: np.random.Generator, blocks: int = 40) -> np.ndarray:
    """Blocks whose first element is element max * 2^e and whose others sit exactly on midpoints of
    adjacent element values times 2^e, one step of ``dtype`` either side of them, or anywhere in
    the element range, for e from far below to far above 1 (the tiles a pass cannot take too)."""
    k = fmt.block_shape[-1]
    element = fmt.element
    grid = np.unique(np.abs(numsim.quantize(np.linspace(0, element.max, 4097), element)))
    midpoints = (grid[:-1] + grid[1:]) / 2
    x = np.empty((blocks, k))
    top = (128 if dtype == np.float32 else 1024) - fmt.emax_elem - 1  # keeps element max * 2^e finite
    for row, e in zip(x, rng.integers(-135, top, blocks)):
        m = (rng.choice(midpoints, k) * 2.0**e).astype(dtype)
        step = rng.integers(-1, 2, k)
        m = np.where(step == 0, m, np.nextafter(m, np.where(step > 0, np.inf, -np.inf).astype(dtype))).astype(np.float64)
        m = np.where(rng.random(k) < 0.2, rng.uniform(0, element.max, k) * 2.0**e, m)
        row[:] = m * rng.choice([-1, 1], k)
        row[0] = element.max * 2.0**e
    return x.astype(dtype)


def test_pass_cases_cover_every_row_pass():
    from numsim._lower.block_codec import row_pass
    from numsim.block_codecs import element_overflow

    passes = {type(row_pass(fmt, element_overflow(fmt, ov), np.dtype(dt), 1.0)[0]).__name__
              for fmt, ov in PASS_CASES for dt in (np.float32, np.float64)}
    assert passes == {"Pow2Bits", "Thresholds", "NearestSpec", "FixedSpec"}


@pytest.mark.parametrize("fmt, overflow", PASS_CASES, ids=[f"{f.name}-{o}" for f, o in PASS_CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_passes_match_the_reference(fmt, overflow, dtype):
    """Codes and values (float64 and, where exact, float32) of edge tensors and of tensors full of
    midpoints, in both input widths, against the exact reference."""
    rng = np.random.default_rng(len(fmt.name) + dtype(0).itemsize)
    with np.errstate(over="ignore"):
        edges = edge_tensor(fmt, rng, cols=3 * fmt.block_shape[-1] + 5).astype(dtype)
    for x in (edges, tie_tensor(fmt, dtype, rng)):
        args = dict(overflow=overflow, nan_policy="zero")
        ours = numsim.encode(x, fmt, **args)
        assert_same_codes(ours, block_ref.encode_block(ref_block(fmt), x.astype(np.float64), (1,), **args), f"{fmt.name} {dtype.__name__}")
        expected = block_ref.quantize_block(ref_block(fmt), x.astype(np.float64), (1,), **args)
        values = numsim.quantize(x, fmt, **args)
        np.testing.assert_array_equal(values, expected)
        assert (np.signbit(values) == np.signbit(expected))[~np.isnan(expected)].all()
        with np.errstate(over="ignore"):
            exact32 = np.array_equal(expected.astype(np.float32), expected, equal_nan=True)
        if exact32:
            values32 = numsim.quantize(x, fmt, dtype=np.float32, **args)
            np.testing.assert_array_equal(values32, expected.astype(np.float32))
            assert (np.signbit(values32) == np.signbit(expected))[~np.isnan(expected)].all()
