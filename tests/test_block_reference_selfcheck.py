"""Self-checks of the block-scaled reference model in tests/block_reference.py.

Expected values are typed from published facts (OCP Microscaling Formats v1.0, NVIDIA
NVFP4 and cuBLAS block scaling, MSFP) and from direct hand computation; the partition is
checked against per-block and per-tile computations with the scalar reference, and the
OCP floor rule against ml_dtypes' independent casts.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import numpy as np
import pytest

import block_reference as br
from block_reference import (
    BINARY32,
    E4M3FN,
    E5M2,
    E8M0,
    FP4_E2M1,
    FP6_E2M3,
    FP6_E3M2,
    MSFP12,
    MSFP16,
    MXFP4,
    MXFP6_E2M3,
    MXFP6_E3M2,
    MXFP8_E4M3,
    MXFP8_E5M2,
    MXINT8,
    NVFP4,
    RefBlock,
    block_scale,
    decode_block,
    encode_block,
    iter_blocks,
    quantize_block,
    scale_exponent,
    scale_shape,
)
from reference import RefFloat, RefInt, decode, encode, max_finite, pow2, to_float

RULES4 = ("floor", "ceil", "rceil", "even")


def mx(element, rule: str, k: int = 32) -> RefBlock:
    return RefBlock(element, (k,), E8M0, rule)


def same(a, b) -> bool:
    """Array equality with NaN == NaN and the sign of zero compared."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    both_nan = np.isnan(a) & np.isnan(b)
    equal = (a == b) & (np.signbit(a) == np.signbit(b))
    return bool(np.all(both_nan | equal))


# ------------------------------------------------------------------------ presets


@pytest.mark.parametrize(
    "fmt, element_max, k, emax",
    [
        (MXFP8_E4M3, 448, 32, 8),
        (MXFP8_E5M2, 57344, 32, 15),
        (MXFP6_E3M2, 28, 32, 4),
        (MXFP6_E2M3, F(15, 2), 32, 2),
        (MXFP4, 6, 32, 2),
        (MXINT8, F(127, 64), 32, 0),
        (NVFP4, 6, 16, 2),
        (MSFP12, F(7, 4), 16, 0),
        (MSFP16, F(127, 64), 16, 0),
    ],
)
def test_preset_constants(fmt, element_max, k, emax):
    assert max_finite(fmt.element) == element_max
    assert fmt.block_shape == (k,)
    assert br.element_emax(fmt) == emax
    if fmt is NVFP4:
        assert (fmt.scale, fmt.rule, fmt.scale_rounding) == (E4M3FN, "round", "nearest_even")
        assert fmt.tensor_scale == BINARY32
    else:
        assert (fmt.scale, fmt.rule, fmt.tensor_scale) == (E8M0, "floor", None)
        assert br.scale_exponent_range(fmt) == (-127, 127)


def test_preset_elements():
    assert MXFP6_E3M2.element == FP6_E3M2 and MXFP6_E2M3.element == FP6_E2M3
    assert MXFP4.element == FP4_E2M1 and MXFP8_E5M2.element == E5M2
    assert MXINT8.element == RefInt(8, 6)
    assert MSFP12.element == RefInt(4, 2, sign_magnitude=True)
    assert MSFP16.element == RefInt(8, 6, sign_magnitude=True)
    assert br.element_precision(MXFP8_E4M3) == 3
    assert br.element_precision(MXINT8) == 6
    assert br.element_precision(MSFP12) == 2


# ------------------------------------------------------- OCP worked examples (E4M3)


@pytest.mark.parametrize(
    "amax, codes, block_max",
    [
        (150.0, {"floor": 126, "ceil": 127, "rceil": 126, "even": 126}, {r: 144.0 for r in RULES4}),
        (500.0, {"floor": 127, "ceil": 128, "rceil": 128, "even": 128},
         {"floor": 448.0, "ceil": 512.0, "rceil": 512.0, "even": 512.0}),
        (449.0, {"floor": 127, "ceil": 128, "rceil": 128, "even": 127}, {r: 448.0 for r in RULES4}),
        (1.0, {r: 119 for r in RULES4}, {r: 1.0 for r in RULES4}),
    ],
)
@pytest.mark.parametrize("rule", RULES4)
def test_ocp_e4m3_examples(amax, codes, block_max, rule):
    fmt = mx(E4M3FN, rule)
    x = np.array([amax, -amax / 3, amax / 7, 0.0] + [amax / 1000] * 28)
    elements, scales, tensor = encode_block(fmt, x, (0,))
    assert tensor is None
    assert scales.tolist() == [codes[rule]]
    assert scale_exponent(fmt, F(amax)) == codes[rule] - 127
    values = quantize_block(fmt, x, (0,))
    assert values[0] == block_max[rule]
    # every element is the scalar E4M3 rounding of x / 2^e, times 2^e
    scale = pow2(codes[rule] - 127)
    for xi, code in zip(x.tolist(), elements.tolist()):
        assert code == encode(E4M3FN, F(xi) / scale, "nearest_even", "saturate_keep_inf")


@pytest.mark.parametrize(
    "amax, exps, block_max",
    [
        (7.0, {"floor": 0, "ceil": 1, "rceil": 1, "even": 1},
         {"floor": 6.0, "ceil": 8.0, "rceil": 8.0, "even": 8.0}),
        (5.0, {"floor": 0, "ceil": 1, "rceil": 0, "even": 0}, {r: 4.0 for r in RULES4}),
    ],
)
@pytest.mark.parametrize("rule", RULES4)
def test_e2m1_examples(amax, exps, block_max, rule):
    fmt = mx(FP4_E2M1, rule)
    x = np.array([amax, 0.5, -1.0])
    elements, scales, _ = encode_block(fmt, x, (0,))
    assert scales.tolist() == [127 + exps[rule]]
    assert quantize_block(fmt, x, (0,))[0] == block_max[rule]
    assert quantize_block(fmt, -x, (0,))[0] == -block_max[rule]


def test_floor_clamps_the_block_maximum():
    assert quantize_block(MXFP8_E4M3, [511.9, 1.0], (0,)).tolist() == [448.0, 1.0]
    assert quantize_block(MXFP4, [7.99, -1.0], (0,)).tolist() == [6.0, -1.0]
    assert quantize_block(MXFP4, [-7.99, 1.0], (0,)).tolist() == [-6.0, 1.0]
    assert quantize_block(MXFP6_E3M2, [31.9], (0,)).tolist() == [28.0]
    assert quantize_block(MXFP6_E2M3, [7.9], (0,)).tolist() == [7.5]


def test_rceil_is_binary32_arithmetic():
    fmt = mx(E4M3FN, "rceil")
    # 448 (1 + 2^-30) rounds to 448 in binary32: d = 1, e = 0, though log2(a / 448) > 0
    a = 448.0 * (1 + 2.0**-30)
    assert scale_exponent(fmt, F(a)) == 0
    assert scale_exponent(mx(E4M3FN, "ceil"), F(a)) == 1
    # 448 (1 + 2^-20) is a binary32 value: d > 1, e = 1
    assert scale_exponent(fmt, F(448.0 * (1 + 2.0**-20))) == 1
    assert scale_exponent(fmt, F(448)) == 0  # float32(1/448) * 448 rounds back to 1
    assert scale_exponent(fmt, F(224)) == -1
    # beyond the binary32 range and below it: clamped to the E8M0 limits
    assert scale_exponent(fmt, pow2(200)) == 127
    assert scale_exponent(fmt, pow2(-200)) == -127


def test_rceil_agrees_with_exact_ceil_away_from_powers_of_two():
    rng = random.Random(5)
    for element in (E4M3FN, E5M2, FP4_E2M1, FP6_E2M3, RefInt(8, 6)):
        fmt = mx(element, "rceil")
        for _ in range(300):
            a = F(rng.uniform(1, 2)) * pow2(rng.randint(-60, 60))
            q = a / max_finite(element)
            exact = math.ceil(math.log2(q))
            e_near = br.floor_log2(q)
            if abs(q / pow2(e_near) - 1) < F(1, 1 << 20) or abs(q / pow2(e_near + 1) - 1) < F(
                1, 1 << 20
            ):
                continue
            assert scale_exponent(fmt, a) == exact


def test_even_rule_rounds_the_maximum_ties_away():
    # E2M1: Me + 1 = 2 significant bits; 5 -> 6 (tie away, e = 0), 7 -> 8 (e = 1)
    fmt = mx(FP4_E2M1, "even")
    assert scale_exponent(fmt, F(5)) == 0
    assert scale_exponent(fmt, F(3)) == -1  # 3 has two significant bits already
    assert scale_exponent(fmt, F(F(11, 4))) == -1  # 2.75 -> 3
    assert scale_exponent(fmt, F(7)) == 1
    assert scale_exponent(fmt, F(6)) == 0
    # E4M3: 4 significant bits; 480 = 1.111b * 2^8 stays (e = 0), 496 -> 512 (e = 1)
    fmt = mx(E4M3FN, "even")
    assert scale_exponent(fmt, F(480)) == 0
    assert scale_exponent(fmt, F(495)) == 0
    assert scale_exponent(fmt, F(496)) == 1


# --------------------------------------------------------------- scale limits, zero


def test_e8m0_limits():
    huge = [2.0**140, -(2.0**139), 2.0**136, 2.0**130]
    elements, scales, _ = encode_block(MXFP8_E4M3, huge, (0,))
    assert scales.tolist() == [254]
    assert elements.tolist() == [0x7E, 0xFE, 0x7E, 0x50]  # saturate to +-448, except 8
    top = 448 * 2.0**127
    assert quantize_block(MXFP8_E4M3, huge, (0,)).tolist() == [top, -top, top, 2.0**130]
    tiny = [2.0**-140, -(2.0**-141), 3 * 2.0**-142]
    elements, scales, _ = encode_block(MXFP8_E4M3, tiny, (0,))
    assert scales.tolist() == [0]
    assert elements.tolist() == [0x00, 0x80, 0x00]  # 2^-13 and less round to zero
    for rule in RULES4:
        assert encode_block(mx(E4M3FN, rule), [2.0**300], (0,))[1].tolist() == [254]
        assert encode_block(mx(E4M3FN, rule), [2.0**-300], (0,))[1].tolist() == [0]


@pytest.mark.parametrize("fmt", [MXFP8_E4M3, MXFP8_E5M2, MXFP6_E3M2, MXFP4, MXINT8, MSFP12])
@pytest.mark.parametrize("rule", RULES4)
def test_all_zero_block_gets_the_smallest_scale(fmt, rule):
    fmt = RefBlock(fmt.element, fmt.block_shape, E8M0, rule)
    x = np.array([0.0, -0.0, 0.0])
    elements, scales, _ = encode_block(fmt, x, (0,))
    assert scales.tolist() == [0]
    assert same(quantize_block(fmt, x, (0,)), [0.0, -0.0 if isinstance(fmt.element, RefFloat) else 0.0, 0.0])


def test_nvfp4_all_zero():
    elements, scales, tensor = encode_block(NVFP4, np.zeros(20), (0,))
    assert tensor == 0x3F800000  # s_t = 1
    assert scales.tolist() == [0x08, 0x08]  # 2^-6, min_normal(E4M3)
    assert elements.tolist() == [0] * 20
    # a zero block inside a nonzero tensor also gets 2^-6
    x = np.concatenate([np.zeros(16), [3.0, -1.5]])
    _, scales, _ = encode_block(NVFP4, x, (0,))
    assert scales[0] == 0x08


# ------------------------------------------------------------------------- NVFP4


def test_nvfp4_two_level_scaling():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 32)) * 10.0
    x[1, 5] = 123.456  # amax_t
    elements, scales, tensor = encode_block(NVFP4, x, (1,))
    assert scales.shape == (3, 2)
    s_t_exact = F(123.456) / (448 * 6)
    assert tensor == encode(BINARY32, s_t_exact)
    s_t = F(to_float(decode(BINARY32, tensor)))
    values = decode_block(NVFP4, elements, scales, tensor, (1,))
    for (row, blk), members in iter_blocks(NVFP4, x.shape, (1,)):
        a = max(abs(F(x[i])) for i in members)
        b = a / (6 * s_t)
        code = encode(E4M3FN, min(max(b, pow2(-6)), F(448)), "nearest_even", "saturate")
        assert scales[row, blk] == code
        v = F(to_float(decode(E4M3FN, code))) * s_t
        for i in members:
            expected = encode(FP4_E2M1, F(x[i]) / v, "nearest_even", "saturate")
            assert elements[i] == expected
            assert values[i] == float(F(to_float(decode(FP4_E2M1, expected))) * v)
    # the tensor's largest magnitude maps to the top of the ranges: ~448 * 6 * s_t
    assert scales[1, 0] == 0x7E and abs(values[1, 5]) == pytest.approx(123.456, rel=0.05)


def test_nvfp4_tensor_scale_edge_cases():
    # amax_t so small that amax_t / 2688 underflows binary32: s_t = min_normal(binary32)
    x = np.array([2.0**-160, -(2.0**-161)])
    _, scales, tensor = encode_block(NVFP4, x, (0,))
    assert tensor == encode(BINARY32, pow2(-126))
    # amax_t = 2688 gives s_t = 1 exactly and the block scale 448
    _, scales, tensor = encode_block(NVFP4, [2688.0, 1.0], (0,))
    assert tensor == 0x3F800000 and scales.tolist() == [0x7E]


def test_round_rule_scale_rounding_modes():
    base = dict(element=FP4_E2M1, block_shape=(4,), scale=E4M3FN, rule="round")
    x = [6.0 * 1.1, 1.0]  # b = 1.1: E4M3 neighbours 1.0 and 1.125
    assert encode_block(RefBlock(**base), x, (0,))[1].tolist() == [0x39]  # 1.125
    down = RefBlock(**base, scale_rounding="toward_zero")
    assert encode_block(down, x, (0,))[1].tolist() == [0x38]  # 1.0
    # a block scale clamps to the largest E4M3 value
    assert encode_block(RefBlock(**base), [1e6], (0,))[1].tolist() == [0x7E]
    # round rule with an E8M0 scale: b = 5 / 6 rounds to 1
    e8 = RefBlock(FP4_E2M1, (4,), E8M0, "round")
    assert encode_block(e8, [5.0], (0,))[1].tolist() == [127]


# ---------------------------------------------------------------------- specials


def test_nan_in_mxfp4_block_makes_the_block_nan():
    x = np.array([1.0, 2.0, np.nan, 3.0] + [0.5] * 32)  # blocks: [0, 32), [32, 36)
    elements, scales, _ = encode_block(MXFP4, x, (0,))
    assert scales[0] == 0xFF and scales[1] != 0xFF
    assert elements[:32].tolist() == [0] * 32
    values = quantize_block(MXFP4, x, (0,))
    assert np.isnan(values[:32]).all()
    assert values[32:].tolist() == [0.5] * 4


def test_nan_in_mxfp8_e4m3_block_stays_an_element():
    x = np.array([1.0, 300.0, np.nan, -3.0, -np.nan])
    elements, scales, _ = encode_block(MXFP8_E4M3, x, (0,))
    assert scales.tolist() == [127]  # amax 300 over the finite elements
    assert elements[2] == 0x7F and elements[4] == 0xFF
    values = quantize_block(MXFP8_E4M3, x, (0,))
    assert same(values, [1.0, 288.0, np.nan, -3.0, np.nan])


def test_infinities():
    x = np.array([np.inf, -np.inf, 3.0])
    # E5M2 keeps Inf; E4M3FN has none: Inf becomes the element NaN (saturate_keep_inf)
    assert same(quantize_block(MXFP8_E5M2, x, (0,)), [np.inf, -np.inf, 3.0])
    assert same(quantize_block(MXFP8_E4M3, x, (0,)), [np.nan, np.nan, 3.0])
    # E2M1 has neither: by default (saturate_keep_inf) the block needs a NaN it lacks: block NaN
    elements, scales, _ = encode_block(MXFP4, x, (0,))
    assert scales.tolist() == [0xFF] and elements.tolist() == [0, 0, 0]
    elements, scales, _ = encode_block(MXINT8, x, (0,))
    assert scales.tolist() == [0xFF]
    # with overflow="saturate" Inf saturates to +-6 * 2^e (amax 3 -> e = -1)
    assert same(quantize_block(MXFP4, x, (0,), overflow="saturate"), [3.0, -3.0, 3.0])
    # MXINT8 is two's complement: -Inf saturates to -2 (code 0x80), +Inf to 127/64
    assert same(quantize_block(MXINT8, x, (0,), overflow="saturate"), [127 / 64 * 2, -4.0, 3.0])
    # an all-special block: no finite element, smallest scale
    assert encode_block(MXFP8_E5M2, [np.inf, np.nan], (0,))[1].tolist() == [0]


def test_non_saturating_elements():
    x = np.array([500.0, 1.0])  # floor: e = 0, 500 overflows E4M3
    elements, _, _ = encode_block(MXFP8_E4M3, x, (0,), overflow="non_saturating")
    assert elements[0] == 0x7F  # NaN
    _, scales, _ = encode_block(MXFP4, [7.9, 1.0], (0,), overflow="non_saturating")
    assert scales.tolist() == [0xFF]  # E2M1 would need Inf/NaN
    _, scales, _ = encode_block(MXFP4, [7.9], (0,), "toward_zero", overflow="non_saturating")
    assert scales.tolist() == [127]  # rounding toward zero saturates


def test_nan_with_a_scale_without_nan():
    no_nan_scale = RefFloat(5, 0, 15, True, "ieee", False)  # powers of two, Inf, no NaN
    fmt = RefBlock(FP4_E2M1, (4,), no_nan_scale, "floor")
    x = np.array([1.0, np.nan, 3.0, 2.0, 4.0])
    with pytest.raises(ValueError):
        encode_block(fmt, x, (0,))
    elements, scales, _ = encode_block(fmt, x, (0,), nan_policy="zero")
    # block 0: amax 3, e = -1: 2, NaN, 6, 4 -> E2M1 codes 4, 0, 7, 6; block 1: e = 0
    assert elements.tolist() == [4, 0, 7, 6, 6]
    assert scales.tolist() == [encode(no_nan_scale, 0.5), encode(no_nan_scale, 1.0)]
    assert same(quantize_block(fmt, x, (0,), nan_policy="zero"), [1.0, 0.0, 3.0, 2.0, 4.0])


def test_decode_specials():
    # a NaN scale makes its block NaN; element Inf times a positive scale stays Inf
    fmt = mx(E5M2, "floor", 2)
    values = decode_block(fmt, [0x3C, 0x7C, 0xFC, 0x80], [0xFF, 120], None, (0,))
    assert same(values, [np.nan, np.nan, -np.inf, -0.0])


# ------------------------------------------------------------------- partitioning


def direct_block(fmt: RefBlock, xs: list[float]) -> tuple[int, list[int]]:
    """Scale code and element codes of one block, computed from the scalar reference."""
    a = max((abs(F(v)) for v in xs if math.isfinite(v)), default=F(0))
    code, s_b = block_scale(fmt, a)
    # finite inputs: keeping infinities and saturating agree, and the scalar encode accepts the
    # latter for every element format
    return code, [encode(fmt.element, F(v) / s_b, "nearest_even", "saturate") for v in xs]


def test_ragged_last_block():
    rng = np.random.default_rng(1)
    x = rng.normal(size=37) * 100
    elements, scales, _ = encode_block(MXFP8_E4M3, x, (0,))
    assert scales.shape == (2,)
    assert scale_shape(MXFP8_E4M3, (37,), (0,)) == (2,)
    for b, (lo, hi) in enumerate([(0, 32), (32, 37)]):
        code, codes = direct_block(MXFP8_E4M3, x[lo:hi].tolist())
        assert scales[b] == code and elements[lo:hi].tolist() == codes
    # the last block alone is its own block
    alone = encode_block(MXFP8_E4M3, x[32:], (0,))
    assert alone[1].tolist() == [scales[1]] and alone[0].tolist() == elements[32:].tolist()


@pytest.mark.parametrize("rule", RULES4)
def test_two_dimensional_tiles(rule):
    fmt = RefBlock(E4M3FN, (2, 3), E8M0, rule)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 7)) * np.exp2(rng.integers(-10, 10, size=(5, 7)))
    elements, scales, _ = encode_block(fmt, x, (0, 1))
    assert scales.shape == (3, 3) == scale_shape(fmt, (5, 7), (0, 1))
    for r in range(3):
        for c in range(3):
            tile = x[2 * r : 2 * r + 2, 3 * c : 3 * c + 3]
            code, codes = direct_block(fmt, tile.ravel().tolist())
            assert scales[r, c] == code
            assert elements[2 * r : 2 * r + 2, 3 * c : 3 * c + 3].ravel().tolist() == codes
    # the same tiles named with the axes the other way round
    swapped = RefBlock(E4M3FN, (3, 2), E8M0, rule)
    e2, s2, _ = encode_block(swapped, x, (1, 0))
    assert (e2 == elements).all() and (s2 == scales).all()
    e3, s3, _ = encode_block(swapped, x.T, (0, -1))
    assert (e3 == elements.T).all() and (s3 == scales.T).all()
    assert same(quantize_block(fmt, x, (0, 1)), decode_block(fmt, elements, scales, None, (0, 1)))


def test_blocks_along_any_axis_of_a_3d_array():
    fmt = mx(FP4_E2M1, "floor", 4)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 10, 3))
    for axis in (0, 1, 2, -1, -2):
        elements, scales, _ = encode_block(fmt, x, (axis,))
        a = axis % 3
        expected_shape = list(x.shape)
        expected_shape[a] = -(-x.shape[a] // 4)
        assert scales.shape == tuple(expected_shape)
        moved_x = np.moveaxis(x, a, -1)
        moved_e = np.moveaxis(elements, a, -1)
        moved_s = np.moveaxis(scales, a, -1)
        for idx in np.ndindex(*moved_x.shape[:-1]):
            line = moved_x[idx].tolist()
            for b in range(moved_s.shape[-1]):
                code, codes = direct_block(fmt, line[4 * b : 4 * b + 4])
                assert moved_s[idx + (b,)] == code
                assert moved_e[idx][4 * b : 4 * b + 4].tolist() == codes


def test_empty_and_single_element_tensors():
    elements, scales, _ = encode_block(MXFP4, np.zeros((3, 0)), (1,))
    assert elements.shape == (3, 0) and scales.shape == (3, 0)
    elements, scales, _ = encode_block(MXFP4, np.zeros((0, 5)), (1,))
    assert scales.shape == (0, 1)
    assert quantize_block(MXFP4, [0.3], (0,)).tolist() == [0.25]  # e = -4, 4.8 -> 4
    assert quantize_block(MXFP4, [3.0], (0,)).tolist() == [3.0]


# ------------------------------------------------------------ scalar consistency


@pytest.mark.parametrize(
    "mode", ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "to_odd"]
)
def test_unit_scale_matches_the_scalar_reference(mode):
    """amax in [256, 512) gives e = 0 under floor: elements are plain E4M3 encodes."""
    rng = random.Random(4)
    xs = [300.0, -256.0] + [rng.uniform(-511, 511) * 2.0 ** -rng.randint(0, 20) for _ in range(30)]
    elements, scales, _ = encode_block(MXFP8_E4M3, xs, (0,), mode)
    assert scales.tolist() == [127]
    assert elements.tolist() == [encode(E4M3FN, v, mode, "saturate_keep_inf") for v in xs]
    # MXINT8: amax in [1, 2) gives e = 0 and plain 1.6 fixed point
    ys = [1.5] + [rng.uniform(-1.5, 1.5) for _ in range(31)]
    elements, scales, _ = encode_block(MXINT8, ys, (0,), mode)
    assert scales.tolist() == [127]
    assert elements.tolist() == [encode(RefInt(8, 6), v, mode, "saturate") for v in ys]


def test_stochastic_rounding_uses_each_elements_rbits():
    x = np.array([300.0, 1 + 1 / 16, 1 + 1 / 16, 1 + 3 / 64])  # e = 0
    rbits = np.array([0, 0, 1, 1])
    elements, _, _ = encode_block(MXFP8_E4M3, x, (0,), "stochastic_a", rbits=rbits, nbits=1)
    assert elements[1:].tolist() == [0x38, 0x39, 0x38]
    elements, _, _ = encode_block(MXFP8_E4M3, x, (0,), "stochastic_a", rbits=3, nbits=2)
    assert elements[1:].tolist() == [0x39, 0x39, 0x39]


def test_mxint8_and_msfp_elements():
    elements, scales, _ = encode_block(MXINT8, [1.5, -1.0, -2.0 ** -7], (0,))
    assert scales.tolist() == [127]
    assert elements.tolist() == [96, 0xC0, 0]  # -2^-7 is a tie between 0 and -1/64
    # MSFP12: sign + 3-bit magnitude, 1.2 fixed point; amax 3 gives scale 2^1
    elements, scales, _ = encode_block(MSFP12, [1.0, 2.0, -3.0, 0.1, -0.1], (0,))
    assert scales.tolist() == [128]
    assert elements.tolist() == [0x2, 0x4, 0xE, 0x0, 0x0]
    assert same(quantize_block(MSFP12, [1.0, 2.0, -3.0, 0.1, -0.1], (0,)), [1, 2, -3, 0, 0])
    # MSFP16: amax 100 -> e = 6; 100 / 64 = 1.5625 = 100/64 exactly in 1.6 fixed point
    values = quantize_block(MSFP16, [100.0, -1.0, 0.3], (0,))
    assert values.tolist() == [100.0, -1.0, 0.0]  # 0.3 / 64 < 1/128 rounds to 0
    elements, _, _ = encode_block(MSFP16, [100.0, -100.0], (0,))
    assert elements.tolist() == [100, 0x80 | 100]


# ---------------------------------------------------- ml_dtypes cross-check (floor)


@pytest.mark.parametrize(
    "fmt, name",
    [
        (MXFP8_E4M3, "float8_e4m3fn"),
        (MXFP8_E5M2, "float8_e5m2"),
        (MXFP6_E3M2, "float6_e3m2fn"),
        (MXFP6_E2M3, "float6_e2m3fn"),
        (MXFP4, "float4_e2m1fn"),
    ],
)
def test_floor_rule_matches_ml_dtypes(fmt, name):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(11)
    x = (rng.normal(size=(4, 40)) * np.exp2(rng.integers(-20, 20, size=(4, 1)))).astype(np.float32)
    x = x.astype(np.float64)
    ours = quantize_block(fmt, x, (1,))
    top = float(max_finite(fmt.element))
    emax = math.floor(math.log2(top))
    theirs = np.empty_like(x)
    for row in range(4):
        for lo in range(0, 40, 32):
            block = x[row, lo : lo + 32]
            e = math.floor(math.log2(np.abs(block).max())) - emax
            scaled = np.clip(block / 2.0**e, -top, top).astype(np.float32)
            theirs[row, lo : lo + 32] = scaled.astype(getattr(ml_dtypes, name)).astype(np.float64) * 2.0**e
    assert same(ours, theirs)


# ------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "make",
    [
        lambda: RefBlock(E8M0, (32,), E8M0, "floor"),
        lambda: RefBlock(E4M3FN, (), E8M0, "floor"),
        lambda: RefBlock(E4M3FN, (2, 2, 2), E8M0, "floor"),
        lambda: RefBlock(E4M3FN, (0,), E8M0, "floor"),
        lambda: RefBlock(E4M3FN, (32,), E8M0, "nearest"),
        lambda: RefBlock(E4M3FN, (32,), E8M0, "floor", tensor_scale=BINARY32),
        lambda: RefBlock(E4M3FN, (32,), E8M0, "round", "stochastic_a"),
        lambda: RefBlock(E4M3FN, (32,), RefInt(8), "floor"),
        lambda: encode_block(MXFP4, np.zeros((2, 3)), (0, 1)),
        lambda: encode_block(RefBlock(E4M3FN, (2, 2), E8M0, "floor"), np.zeros((2, 3)), (1, -1)),
        lambda: encode_block(MXFP4, np.zeros(3), (1,)),
        lambda: encode_block(MXFP4, np.zeros(3), (0,), nan_policy="ignore"),
        lambda: encode_block(MXFP4, np.zeros(3), (0,), "nearest"),
        lambda: encode_block(MXINT8, np.zeros(3), (0,), overflow="non_saturating"),
        lambda: decode_block(MXFP4, np.zeros(40, int), np.zeros(1, int), None, (0,)),
        lambda: decode_block(NVFP4, np.zeros(4, int), np.zeros(1, int), None, (0,)),
        lambda: decode_block(MXFP4, np.zeros(4, int), np.zeros(1, int), 0, (0,)),
    ],
)
def test_invalid_requests_raise(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("fmt", [MXFP8_E4M3, MXFP8_E5M2, MXFP6_E3M2, MXFP6_E2M3, MXFP4, MXINT8, MSFP16])
def test_floor_rule_is_idempotent(fmt):
    """Under floor and nearest-even the block maximum stays in its binade, so the scale
    and every value survive a second quantization."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3, 40)) * np.exp2(rng.integers(-30, 30, size=(3, 1)))
    once = quantize_block(fmt, x, (1,))
    assert same(quantize_block(fmt, once, (1,)), once)
    assert (encode_block(fmt, once, (1,))[1] == encode_block(fmt, x, (1,))[1]).all()
