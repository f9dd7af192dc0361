"""Self-checks of the datapath oracle in tests/datapath_reference.py.

The oracle will check numsim's datapath kernels, so it is checked here on its own, never against
numsim's execution: against the derived results of the tensor-core reference
(shared/reference/tensorcores.md sections 3 and 10, with the parameters of section 4), against
IEEE binary32 arithmetic done by numpy in the same order, against math.fsum, and against values
worked out by hand (written in the comments).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import numpy as np
import pytest

import numsim
import reference as ref
from datapath_reference import correctly_rounded_dot, dot, dot_code, matmul
from numsim import Chunked, Datapath, FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch, Pairwise, Tree
from reference import RefValue

u = 2.0**-24  # the tensor-core reference's u
v = 1.0 - 2.0**-11  # the largest fp16 number below 1


def P(k: int) -> F:
    return F(2) ** k


# ---- tensor-core presets (tensorcores.md section 4) --------------------------------------------

#: fp16/bf16 -> fp32: (n, e, anchor_min)
FP32_OUT = {"V100": (4, 0, None), "A100": (8, 1, -132), "H100": (16, 2, -133)}
#: fp16 -> fp16: (n, e, anchor_min); W = 23 + e as in the reference, i.e. extra_bits = 13 + e
FP16_OUT = {"V100": (4, 0, -19), "A100": (8, 1, -20), "H100": (16, 2, -21)}
GPUS = tuple(FP32_OUT)


def tc32(gpu: str, fmt: str = "float16", **kw) -> Datapath:
    n, e, amin = FP32_OUT[gpu]
    acc = FusedMultiTerm(n, e, anchor_min=kw.pop("anchor_min", amin), **kw)
    return Datapath(fmt, accumulator=acc, c_format="float32", out_format="float32")


def tc16(gpu: str) -> Datapath:
    n, e, amin = FP16_OUT[gpu]
    acc = FusedMultiTerm(n, 13 + e, fmt="float16", rounding="nearest_even", anchor_min=amin)
    return Datapath("float16", accumulator=acc, c_format="float16", out_format="float16")


def fp8(gpu: str, fmt: str = "e4m3") -> Datapath:
    acc = {
        "H100": FusedMultiTerm(32, -10, anchor_min=-133),
        "Ada": FusedMultiTerm(16, -10, anchor_min=-132),
        "B200": FusedMultiTerm(32, 2, anchor_min=-133, c_placement="after"),
    }[gpu]
    return Datapath(fmt, accumulator=acc, c_format="float32", out_format="float32")


def same(got: RefValue, expected) -> bool:
    """Exact value and sign (expected 0 means +0)."""
    if isinstance(expected, RefValue):
        return got == expected
    e = F(expected)
    return got == RefValue("num", e < 0, abs(e))


@pytest.fixture(params=["reference", "numsim"], autouse=True)
def engine(request):
    """Every vector checked through :func:`check` runs on the exact reference and on numsim."""
    global _ENGINE
    _ENGINE = request.param
    yield request.param
    _ENGINE = "reference"


_ENGINE = "reference"


def check(dp, a, b, c, expected):
    if _ENGINE == "numsim":
        got = ref.from_float(float(numsim.dot(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64), dp, c)))
    else:
        got = dot(a, b, c, dp)
    assert same(got, expected), f"{_ENGINE} {dp.name}: a={a} b={b} c={c}: got {got}, expected {expected}"


def ones(n, x=1.0):
    return [x] * n


# ---- section 10.1 (Fasi, Higham, Mikaitis, Pranesh) --------------------------------------------

# (id, a, b, c, {gpu: expected}) for fp16 inputs and fp32 output
V = F(v)
SEC_10_1 = [
    ("A1", [u], [4.0], 0.0, 3 * [P(-22)]),
    ("A2", [], [], 2.0**-149, 3 * [P(-149)]),
    ("A3", [2.0**-14], [0.5], 0.0, 3 * [P(-15)]),
    ("A4", [2.0**-14], [1.0], -(2.0**-15), 3 * [P(-15)]),
    ("B1", [v], [v], 0.0, 3 * [1 - P(-10) + P(-22)]),
    ("B2", ones(4, v), ones(4, v), 0.0, 3 * [4 * (1 - P(-10) + P(-22))]),
    ("B4", ones(4), ones(4, u), 1.0, [1, 1 + P(-22), 1 + P(-22)]),
    ("B4'", ones(4, 0.5), ones(4, u), 1.0, [1, 1, 1 + P(-23)]),
    *[(f"B5 j={j}", ones(4), [1.0 if i == j else u for i in range(4)], u, [1, 1 + P(-22), 1 + P(-22)]) for j in range(4)],
    *[(f"B5' j={j}", [1.0 if i == j else 0.5 for i in range(4)], [1.0 if i == j else u for i in range(4)], u, [1, 1, 1 + P(-23)]) for j in range(4)],
    ("C1", ones(4), [2.0, 3 * u, 0.0, 0.0], 0.0, 3 * [2]),
    ("C2", ones(4), [-2.0, -3 * u, 0.0, 0.0], 0.0, 3 * [-2]),
    ("D1", [1.0], [1.0], -(1 - u), [P(-23), P(-24), P(-24)]),
    ("D2", ones(4), ones(4, u), 1 - u, 3 * [1 + P(-23)]),
    ("D3", [1.0, 1.0], [1.0, -u], -1 + u, [P(-23), 0, 0]),
    *[(f"D4 i={i}", ones(4), [2.0**-23 if k == i else 1.0 for k in range(4)], 1 + 2.0**-22 + 2.0**-23, 3 * [4 + P(-21)]) for i in range(4)],
    ("D5", ones(4), [1.0, 1.5, 1.75, 1.875], 1.875, 3 * [8]),
    ("D6", ones(4), ones(4), 1 + 2.0**-22 + 2.0**-23, 3 * [5]),
    ("D6'", ones(4), ones(4, -1.0), -(1 + 2.0**-22 + 2.0**-23), 3 * [-5]),
    ("D7 c=1-u", ones(4), ones(4, u), 1 - u, 3 * [1 + P(-23)]),
    ("D7 c=1", ones(4), ones(4, u), 1.0, [1, 1 + P(-22), 1 + P(-22)]),
    ("D7' c=1-u", ones(4, 0.5), [u, u, u, 3 * u], 1 - u, [1, 1 + P(-23), 1 + P(-23)]),
    ("D7' c=1", ones(4, 0.5), [u, u, u, 3 * u], 1.0, [1, 1, 1 + P(-23)]),
]


@pytest.mark.parametrize("vid, a, b, c, expected", SEC_10_1, ids=[t[0] for t in SEC_10_1])
def test_fasi_vectors_fp32_out(vid, a, b, c, expected):
    for gpu, want in zip(GPUS, expected):
        check(tc32(gpu), a, b, c, want)


# fp16-output rows: A1 and A3 (fp16 and fp32 out), B3 and C3 (fp16 out); the same on every GPU
SEC_10_1_FP16 = [
    ("A1", [u], [4.0], 0.0, P(-22)),
    ("A3", [2.0**-14], [0.5], 0.0, P(-15)),
    ("B3", [v, v], [v, 2.0**-11], 0.0, 1 - P(-11)),
    ("C3", [u, u], [0.5, 0.25], 0.0, P(-24)),
]


@pytest.mark.parametrize("gpu", GPUS)
@pytest.mark.parametrize("vid, a, b, c, expected", SEC_10_1_FP16, ids=[t[0] for t in SEC_10_1_FP16])
def test_fasi_vectors_fp16_out(gpu, vid, a, b, c, expected):
    check(tc16(gpu), a, b, c, expected)


# ---- section 10.2 (Khattak and Mikaitis, HPEC 2025 feature tests) ------------------------------

SEC_10_2 = [
    ("1 extra bit", [u, u], [1.0, 1.0], 1.0, [1, 1 + P(-23), 1 + P(-23)]),
    ("2 extra bits", [u, u, u], [1.0, 0.5, 0.5], 1.0, [1, 1, 1 + P(-23)]),
    ("late normalisation", [2.0**-21 + 2.0**-24] * 2, [1.0, 1.0], 1 - 2.0**-21, 3 * [1 + P(-21) + P(-23)]),
    ("final rounding RZ", ones(3), ones(3), 1 + 2.0**-23 + 2.0**-22, 3 * [4]),
    ("final rounding RZ, negated", ones(3), ones(3, -1.0), -(1 + 2.0**-23 + 2.0**-22), 3 * [-4]),
]


@pytest.mark.parametrize("vid, a, b, c, expected", SEC_10_2, ids=[t[0] for t in SEC_10_2])
def test_hpec_vectors(vid, a, b, c, expected):
    for gpu, want in zip(GPUS, expected):
        check(tc32(gpu), a, b, c, want)


@pytest.mark.parametrize("gpu", GPUS)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_hpec_final_rounding_fp16_out(gpu, sign):
    check(tc16(gpu), ones(3), ones(3, sign), sign * (1 + 2.0**-10 + 2.0**-9), sign * (4 + P(-8)))


@pytest.mark.parametrize("gpu", GPUS)
def test_hpec_block_size(gpu):
    # 1*1 at position 0, 2^-23*1 at position p, c = 1 + 2^-23: 2 + 2^-22 while p < n, 2 once p >= n
    # (a K spanning two blocks: the chain)
    n = FP32_OUT[gpu][0]
    for p in range(1, 2 * n):
        a = [1.0] + [0.0] * (p - 1) + [2.0**-23]
        b = ones(p + 1)
        check(tc32(gpu), a, b, 1 + 2.0**-23, 2 + P(-22) if p < n else 2)


@pytest.mark.parametrize("gpu", GPUS)
def test_hpec_alignment_rounding(gpu):
    e = FP32_OUT[gpu][1]
    bj = 2.0**-e + 2.0 ** -(e + 1)
    check(tc32(gpu), [u, u], [bj, bj], 1.0, 1)


@pytest.mark.parametrize("gpu", GPUS)
def test_hpec_rounding_between_blocks(gpu):
    # one product u*1.5 at position n (first of the second block), c = 1 + 2^-23: RZ keeps 1 + 2^-23
    n = FP32_OUT[gpu][0]
    check(tc32(gpu), [0.0] * n + [u], [0.0] * n + [1.5], 1 + 2.0**-23, 1 + P(-23))


# ---- section 10.3 (Hopper, Ada, Blackwell) -----------------------------------------------------

ANCHOR = ([1.5, -1.5, 2.0**-13], [1.5, 1.5, 2.0**-12], 0.0)


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_unnormalised_anchor(fmt):
    check(tc32("H100", fmt), *ANCHOR, P(-25))  # also B200: fp16/bf16 use the H100 parameters
    check(tc32("A100", fmt), *ANCHOR, 0)
    check(tc32("H100", fmt, anchor="normalized"), *ANCHOR, 0)
    if fmt == "float16":
        check(tc32("V100", fmt), *ANCHOR, 0)


def test_anchor_of_rounded_and_approximate_products():
    # a product that is not an exact-multiplier product anchors at its own exponent: 2.25 -> 1,
    # so the window ends at 2^-24 and the 2^-25 product is truncated away (like a normalised anchor)
    n, e, amin = FP32_OUT["H100"]
    rounded = Datapath("float16", product_format="float32", accumulator=FusedMultiTerm(n, e, anchor_min=amin), c_format="float32", out_format="float32")
    check(rounded, *ANCHOR, 0)
    approx = Datapath("float16", multiplier=numsim.LMul(), accumulator=FusedMultiTerm(n, e, anchor_min=amin), c_format="float32", out_format="float32")
    exact_mul = lambda x, y: RefValue("num", x.negative != y.negative, x.mag * y.mag)  # noqa: E731
    assert same(dot(*ANCHOR, approx, multiply=exact_mul), 0)
    with pytest.raises(ValueError):
        dot(*ANCHOR, approx)  # an approximate multiplier needs multiply=


@pytest.mark.parametrize("dp", [*(tc32(g, f) for g in GPUS for f in ("float16", "bfloat16")), *(tc16(g) for g in GPUS)], ids=lambda d: d.name)
def test_cancellation_gives_plus_zero(dp):
    # section 3, first row and section 10.3: +0 on every NVIDIA preset (exact value 2^-30)
    got = dot([1.0, -1.0, 2.0**-15], [1.0, 1.0, 2.0**-15], 0.0, dp)
    assert got == RefValue("num", False, F(0))


def test_sixteen_term_block():
    for p, want in ((15, 2 + P(-22)), (16, 2)):
        check(tc32("H100"), [1.0] + [0.0] * (p - 1) + [2.0**-23], ones(p + 1), 1 + 2.0**-23, want)
    check(tc32("A100"), [1.0] + [0.0] * 7 + [2.0**-23], ones(9), 1 + 2.0**-23, 2)


def test_fp8_window():
    # section 3 and 10.3: [1, 2^-6]; [1, 2^-7] keeps 1 + 2^-13; [1, 2^-7]; [1, 2^-7] gives 1
    for gpu in ("H100", "Ada"):
        check(fp8(gpu), [1.0, 2.0**-6], [1.0, 2.0**-7], 0.0, 1 + P(-13))
        check(fp8(gpu), [1.0, 2.0**-7], [1.0, 2.0**-7], 0.0, 1)
    check(fp8("B200"), [1.0, 2.0**-7], [1.0, 2.0**-7], 0.0, 1 + P(-14))


def test_fp8_output_width():
    a, b = [1.0, 1.0, 1.0, 2.0**-6], [1.0, 1.0, 1.0, 2.0**-7]
    check(fp8("H100"), a, b, 0.0, 3)
    check(fp8("B200"), a, b, 0.0, 3 + P(-13))


@pytest.mark.parametrize("gpu, block", [("H100", 32), ("Ada", 16), ("B200", None)])
def test_fp8_block_size(gpu, block):
    # products 1, 1, 2^-13 at positions 0..2 (2^-13 = 2^-6 * 2^-7) and another 2^-13 at position p
    for p in range(3, 41):
        a = [1.0, 1.0, 2.0**-6] + [0.0] * (p - 3) + [2.0**-6]
        b = [1.0, 1.0, 2.0**-7] + [0.0] * (p - 3) + [2.0**-7]
        if block is not None and p >= 2 * block:
            continue
        want = 2 if block is not None and p >= block else 2 + P(-12)
        check(fp8(gpu), a, b, 0.0, want)


def test_fp8_mixed_formats():
    # e4m3 x e5m2: products are exact, so mixing changes nothing (section 4)
    dp = Datapath("e4m3", "e5m2", accumulator=FusedMultiTerm(32, -10, anchor_min=-133), c_format="float32", out_format="float32")
    check(dp, [1.0, 2.0**-6], [1.0, 2.0**-7], 0.0, 1 + P(-13))
    check(dp, [1.0, 2.0**-7], [1.0, 2.0**-7], 0.0, 1)


def test_non_monotonic_in_c():
    # section 3 (H100): 16 x (u * 0.25); c = 1 - u gives 1 + 2^-23, c = 1 gives 1
    check(tc32("H100"), ones(16, u), ones(16, 0.25), 1 - u, 1 + P(-23))
    check(tc32("H100"), ones(16, u), ones(16, 0.25), 1.0, 1)
    # section 3 (V100): 4 x (1 * u)
    check(tc32("V100"), ones(4), ones(4, u), 1 - u, 1 + P(-23))
    check(tc32("V100"), ones(4), ones(4, u), 1.0, 1)


def test_bf16_anchor_clamp():
    a, b = [2.0**-80, 31 * 2.0**-75], [2.0**-79, 33 * 2.0**-84]
    check(tc32("H100", "bfloat16"), a, b, 0.0, 0)
    check(tc32("H100", "bfloat16", anchor_min=None), a, b, 0.0, P(-149))


def test_not_rz_of_exact_sum():
    # section 3: the negative term is truncated toward zero first: 1, not 1 - 2^-24
    check(tc32("H100"), [1.0, -u], [1.0, 2.0**-3], 0.0, 1)


def test_fp8_promotion_restarts_the_chain():
    # the 10.3 FP8 block-size vector with p = 32 (section 2.3 PROMOTED_DOT, P = 32 here):
    # fast accumulation (one chain): block 1 = 2 + 2^-13 -> RZ at 13 fraction bits -> 2, block 2
    # truncates 2^-13 against 2 -> 2. Promotion every 32: chunk 1 = 2, chunk 2 = 2^-13, fp32 RNE
    # sum 2 + 2^-13.
    a = [1.0, 1.0, 2.0**-6] + [0.0] * 29 + [2.0**-6]
    b = [1.0, 1.0, 2.0**-7] + [0.0] * 29 + [2.0**-7]
    acc = FusedMultiTerm(32, -10, anchor_min=-133)
    check(Datapath("e4m3", accumulator=acc), a, b, 0.0, 2)
    promoted = Datapath("e4m3", accumulator=acc, order=Chunked(32, FloatAccumulator("float32")), c_format="float32", out_format="float32")
    check(promoted, a, b, 0.0, 2 + P(-13))


def test_fused_specials_and_overflow():
    dp = tc32("H100")
    inf = math.inf
    assert same(dot([inf, 1.0], [1.0, 1.0], 0.0, dp), RefValue("inf", False, F(0)))
    assert dot([inf, -inf], [1.0, 1.0], 0.0, dp).kind == "nan"
    assert dot([inf], [0.0], 0.0, dp).kind == "nan"
    assert dot([-inf], [1.0], inf, dp).kind == "nan"
    assert dot([math.nan], [0.0], 0.0, dp).kind == "nan"
    # accumulation overflow gives Inf even under RZ (section 4, notes)
    big = tc32("H100", "bfloat16")
    assert same(dot([2.0**100], [-(2.0**100)], 0.0, big), RefValue("inf", True, F(0)))
    # no products: d = c; all-zero products: +0 (section 2.2: "if terms is empty: return +0")
    assert same(dot([], [], -0.0, dp), RefValue("num", True, F(0)))
    assert same(dot([0.0], [-1.0], -0.0, dp), 0)


# ---- float accumulators ------------------------------------------------------------------------

E4M3 = ref.RefFloat(4, 3, 7, True, "fn", True)
E4M3_VALUES = [float(x) for x in ref.sorted_finite_values(E4M3)]
FP16_REF = ref.RefFloat(5, 10, 15, True, "ieee", True)
F64 = ref.RefFloat(11, 52, 1023, True, "ieee", True)


def as_float(value: RefValue) -> float:
    return ref.to_float(value)


@pytest.mark.parametrize("seed", range(6))
def test_float_sequential_matches_numpy_float32(seed):
    rng = random.Random(seed)
    k = 48
    a = [rng.choice(E4M3_VALUES) for _ in range(k)]
    b = [rng.choice(E4M3_VALUES) for _ in range(k)]
    c = float(np.float32(rng.uniform(-4, 4)))
    dp = Datapath("e4m3", accumulator=FloatAccumulator("float32"))
    s = np.float32(c)
    for x, y in zip(a, b):
        s = s + np.float32(x * y)  # the e4m3 product is exact in float32; the sum rounds (RNE)
    got = dot(a, b, c, dp)
    assert as_float(got) == float(s) and math.copysign(1, as_float(got)) == math.copysign(1, float(s))


@pytest.mark.parametrize("seed", range(3))
def test_float_pairwise_matches_numpy_float32_recursive_halving(seed):
    # for K a power of two, the level-by-level neighbour tree equals recursive halving
    rng = random.Random(100 + seed)
    k = 64
    a = [rng.choice(E4M3_VALUES) for _ in range(k)]
    b = [rng.choice(E4M3_VALUES) for _ in range(k)]
    c = float(np.float32(rng.uniform(-4, 4)))

    def halve(xs):
        if len(xs) == 1:
            return xs[0]
        m = len(xs) // 2
        return np.float32(halve(xs[:m]) + halve(xs[m:]))

    want = np.float32(np.float32(c) + halve([np.float32(x * y) for x, y in zip(a, b)]))
    dp = Datapath("e4m3", accumulator=FloatAccumulator("float32"), order=Pairwise())
    assert as_float(dot(a, b, c, dp)) == float(want)


H = 2.0**-11  # half an ulp of 1 in fp16


def fp16_acc(order, mode="nearest_even"):
    return Datapath("float16", accumulator=FloatAccumulator("float16", mode), order=order)


def test_orders_hand_worked():
    # fp16 accumulator (RNE, ulp(1) = 2^-10, h = 2^-11), products [1, h, h, h, -1], c = 0:
    #   sequential: 0+1 = 1; 1+h = tie -> 1 (even); twice more 1; 1-1 = 0               -> 0
    #   tree(2): runs [1,h] -> 1 (tie); s = 1; [h,h] -> 2h = 2^-10; s = 1 + 2^-10;
    #            [-1] -> s = 2^-10                                                         -> 2^-10
    #   tree(3): run [1,h,h]: level 1 (1+h -> 1), h moves up; level 2 1+h -> 1; s = 1;
    #            run [h,-1]: -1+h = -(1-2^-11) exact (ulp 2^-11 below 1); s = 1-(1-h) = h -> 2^-11
    #   pairwise: level 1 (1+h -> 1), (h+h = 2^-10), -1 up; level 2 (1+2^-10), -1 up;
    #             level 3 2^-10; s = 0 + 2^-10                                              -> 2^-10
    a = [1.0, H, H, H, -1.0]
    b = ones(5)
    assert same(dot(a, b, 0.0, fp16_acc("sequential")), 0)
    assert same(dot(a, b, 0.0, fp16_acc(Tree(2))), P(-10))
    assert same(dot(a, b, 0.0, fp16_acc(Tree(3))), P(-11))
    assert same(dot(a, b, 0.0, fp16_acc(Pairwise())), P(-10))
    # c = 1, products [h, 0, h, 0]: c joins first (tree) or last (pairwise):
    #   tree(2): [h,0] -> h; s = 1+h -> 1 (tie); again -> 1                                -> 1
    #   pairwise: level 1 h, h; level 2 2h = 2^-10; s = 1 + 2^-10                           -> 1 + 2^-10
    a2, b2 = [H, 0.0, H, 0.0], ones(4)
    assert same(dot(a2, b2, 1.0, fp16_acc(Tree(2))), 1)
    assert same(dot(a2, b2, 1.0, fp16_acc("sequential")), 1)
    assert same(dot(a2, b2, 1.0, fp16_acc(Pairwise())), 1 + P(-10))


def test_chunked_float_hand_worked():
    # bf16 accumulator (ulp(1) = 2^-7), chunks of 2 promoted into fp32 RNE; products
    # [1, 2^-8, 2^-8, 2^-8], c = 0:
    #   chunk 1: 0 + 1 = 1; 1 + 2^-8 = tie -> 1 (even); s = 0 + 1 = 1 (fp32)
    #   chunk 2: 0 + 2^-8 + 2^-8 = 2^-7 exactly;        s = 1 + 2^-7 (fp32)
    #   output bf16: 1 + 2^-7 is representable                                              -> 1 + 2^-7
    # sequential bf16: 1, then three ties to even                                           -> 1
    a, b = [1.0, 2.0**-8, 2.0**-8, 2.0**-8], ones(4)
    acc = FloatAccumulator("bfloat16")
    assert same(dot(a, b, 0.0, Datapath("bfloat16", accumulator=acc, order=Chunked(2, FloatAccumulator("float32")))), 1 + P(-7))
    assert same(dot(a, b, 0.0, Datapath("bfloat16", accumulator=acc)), 1)


def test_float_zero_signs_and_specials():
    dp = Datapath("float16", accumulator=FloatAccumulator("float32"))
    neg0, pos0 = RefValue("num", True, F(0)), RefValue("num", False, F(0))
    assert same(dot([-0.0], [1.0], -0.0, dp), neg0)  # -0 + -0 = -0
    assert same(dot([1.0], [-1.0], 1.0, dp), pos0)  # exact cancellation: +0
    dn = Datapath("float16", accumulator=FloatAccumulator("float32", "toward_negative"))
    assert same(dot([1.0], [-1.0], 1.0, dn), neg0)  # ... -0 under toward_negative
    assert same(dot([0.0], [-1.0], 0.0, dp), pos0)  # +0 + -0 = +0
    assert dot([math.inf, -math.inf], [1.0, 1.0], 0.0, dp).kind == "nan"
    assert dot([math.inf], [0.0], 0.0, dp).kind == "nan"
    assert same(dot([math.inf, 1.0], [1.0, 1.0], 0.0, dp), RefValue("inf", False, F(0)))
    # fp16 accumulator, RNE: 65504 + 65504 overflows to Inf
    assert same(dot([65504.0, 65504.0], [1.0, 1.0], 0.0, fp16_acc("sequential")), RefValue("inf", False, F(0)))


def test_float_stochastic_random_bits():
    # bf16 stochastic_a: 1 + 2^-9 has residual nu = 1/4 of an ulp (2^-7); it rounds up iff
    # floor(nu 2^32) + R >= 2^32, i.e. R >= 3 * 2^30
    dp = Datapath("bfloat16", accumulator=FloatAccumulator("bfloat16", "stochastic_a"))
    assert same(dot([2.0**-9], [1.0], 1.0, dp, random_bits=[0]), 1)
    assert same(dot([2.0**-9], [1.0], 1.0, dp, random_bits=[3 * 2**30 - 1]), 1)
    assert same(dot([2.0**-9], [1.0], 1.0, dp, random_bits=[3 * 2**30]), 1 + P(-7))
    # the k-th addition takes random_bits[k]: [down, up] gives 1 then 1 + 2^-7; [up, down] gives
    # 1 + 2^-7 then (1 + 2^-7) + 2^-9 (nu = 1/4) rounded down
    assert same(dot([2.0**-9] * 2, [1.0] * 2, 1.0, dp, random_bits=[0, 3 * 2**30]), 1 + P(-7))
    assert same(dot([2.0**-9] * 2, [1.0] * 2, 1.0, dp, random_bits=[3 * 2**30, 0]), 1 + P(-7))
    assert same(dot([2.0**-9] * 2, [1.0] * 2, 1.0, dp, random_bits=[3 * 2**30] * 2), 1 + 2 * P(-7))
    with pytest.raises(ValueError):
        dot([2.0**-9] * 2, [1.0] * 2, 1.0, dp, random_bits=[0])


# ---- Kulisch -----------------------------------------------------------------------------------

FP16_VALUES = [float(x) for x in ref.sorted_finite_values(FP16_REF)]


@pytest.mark.parametrize("seed", range(5))
def test_kulisch_is_correctly_rounded(seed):
    rng = random.Random(200 + seed)
    k = 40
    a = [rng.choice(FP16_VALUES) for _ in range(k)]
    b = [rng.choice(FP16_VALUES) for _ in range(k)]
    c = float(np.float32(rng.uniform(-1000, 1000)))
    for out in ("float32", "float16", "bfloat16"):
        dp = Datapath("float16", accumulator=Kulisch(), out_format=out)
        assert dot_code(a, b, c, dp) == correctly_rounded_dot(a, b, c, numsim.get_format(out), "nearest_even")
    dz = Datapath("float16", accumulator=Kulisch(), out_format="float32", out_rounding="toward_zero")
    assert dot_code(a, b, c, dz) == correctly_rounded_dot(a, b, c, "float32", "toward_zero")
    # independent check of correctly_rounded_dot: fp16 products are exact in float64, and
    # math.fsum is the correctly rounded (RNE) float64 sum
    code = correctly_rounded_dot(a, b, c, F64, "nearest_even")
    assert ref.to_float(ref.decode(F64, code)) == math.fsum([c] + [x * y for x, y in zip(a, b)])


def test_kulisch_specials_and_zeros():
    dp = Datapath("float16", accumulator=Kulisch())
    assert same(dot([-0.0, 0.0], [1.0, -1.0], -0.0, dp), RefValue("num", True, F(0)))  # every addend -0
    assert same(dot([1.0, -1.0], [1.0, 1.0], -0.0, dp), 0)  # exact zero: +0
    assert same(dot([1.0, -1.0], [1.0, 1.0], 0.0, Datapath("float16", accumulator=Kulisch(), out_rounding="toward_negative")), 0)
    assert dot([math.inf, -math.inf], [1.0, 1.0], 0.0, dp).kind == "nan"
    assert same(dot([math.inf, 65504.0], [1.0, -65504.0], 0.0, dp), RefValue("inf", False, F(0)))
    # 2^-24 * 2^-24 = 2^-48 survives next to 1 - 1: the exact sum
    assert same(dot([1.0, -1.0, u], [1.0, 1.0, u], 0.0, dp), P(-48))


# ---- fixed-point accumulators ------------------------------------------------------------------


def int8_acc(overflow, order="sequential"):
    return Datapath("int8", accumulator=FixedAccumulator(8, 0, overflow), order=order)


def test_fixed_wrap_and_saturate_int8():
    # an 8-bit register [-128, 127]; products [100, 100, -100, -100], c = 0:
    #   wrap (any order): 100, 200 -> -56, -156 -> 100, 0                                  -> 0
    #   saturate, sequential: 100, 200 -> 127, 27, -73                                    -> -73
    #   saturate, pairwise: level 1 (200 -> 127), (-200 -> -128); level 2 -1; s = 0 + -1   -> -1
    a, b = [100.0, 100.0, -100.0, -100.0], ones(4)
    assert same(dot(a, b, 0.0, int8_acc("wrap")), 0)
    assert same(dot(a, b, 0.0, int8_acc("wrap", Pairwise())), 0)
    assert same(dot(a, b, 0.0, int8_acc("saturate")), -73)
    assert same(dot(a, b, 0.0, int8_acc("saturate", Pairwise())), -1)
    # products [100, 100, -100], c = 5: wrap 5, 105, 205 -> -51, -151 -> 105; saturate 5, 105,
    # 127, 27
    assert same(dot(a[:3], b[:3], 5.0, int8_acc("wrap")), 105)
    assert same(dot(a[:3], b[:3], 5.0, int8_acc("saturate")), 27)
    # a product out of range: 64 * 4 = 256 wraps to 0, saturates to 127; -128 * -1 = 128 wraps
    # to -128
    assert same(dot([64.0], [4.0], 0.0, int8_acc("wrap")), 0)
    assert same(dot([64.0], [4.0], 0.0, int8_acc("saturate")), 127)
    assert same(dot([-128.0], [-1.0], 0.0, int8_acc("wrap")), -128)


def test_fixed_product_rounding():
    # fixed<8,2>: quantum 1/4; default rounding toward_negative (dropping two's-complement bits):
    # 0.375 -> 0.25, -0.375 -> -0.5; nearest_even: 0.375 = 1.5 quanta -> 2 quanta = 0.5
    dp = Datapath("float16", accumulator=FixedAccumulator(6, 2))
    assert same(dot([0.375], [1.0], 0.0, dp), F(1, 4))
    assert same(dot([-0.375], [1.0], 0.0, dp), F(-1, 2))
    dn = Datapath("float16", accumulator=FixedAccumulator(6, 2, rounding="nearest_even"))
    assert same(dot([0.375], [1.0], 0.0, dn), F(1, 2))
    with pytest.raises(ValueError):
        dot([math.inf], [1.0], 0.0, dp)


# ---- matmul ------------------------------------------------------------------------------------


def test_matmul_loops_over_dot():
    A = np.array([[1.0, H, H, H, -1.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    B = np.ones((5, 2))
    C = np.array([[0.0, 1.0], [0.0, -15.0]])
    got = matmul(A, B, fp16_acc(Tree(3)), C)
    assert got.dtype == np.float64 and got.shape == (2, 2)
    assert got.tolist() == [[2.0**-11, 1.0], [15.0, 0.0]]
    # row 0, column 1: c = 1, run [1,h,h] -> 1 (as above); s = 1 + 1 = 2; run [h,-1] -> -(1-h);
    # s = 2 - 1 + h = 1 + h -> tie -> 1
    assert np.array_equal(matmul(A[:1], B[:, :1], fp16_acc(Tree(3))), [[2.0**-11]])
