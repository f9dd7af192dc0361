"""Exact, slow reference model of block-scaled number formats, used by the tests as an
oracle: OCP MX (MXFP8, MXFP6, MXFP4, MXINT8), NVIDIA NVFP4 (two-level scaling) and
block floating point (MSFP12, MSFP16).

Like :mod:`reference`, on which it builds, it is independent of ``numsim`` and computes
with ``fractions.Fraction``.  The single exception is the scale rule "rceil", which is
*defined* in IEEE binary32 arithmetic (cuBLAS / PTX ``cvt.rp.ue8m0``): its three float32
roundings are done with ``numpy.float32``.

A block format (:class:`RefBlock`) is an element format E, a block shape, a scale format
S and a rule that picks each block's scale from the block's largest magnitude; NVFP4
adds a per-tensor scale T.  A tensor x is cut into blocks along one axis (``block_shape
= (k,)``: k consecutive elements, the last block possibly shorter) or into tiles over
two axes (``block_shape = (r, c)``); every other axis index is its own block coordinate.

Encoding (all exact, "round into F with mode m" meaning ``reference.encode(F, value, m,
"saturate")``):

1. tensor scale s_t (only with T): amax_t = max |x| over the finite x; s_t = 1 when
   amax_t == 0, else amax_t / (max_finite(S) * max_finite(E)) rounded into T to nearest
   even (min_normal(T) when that rounds to 0);
2. per block, a = max |x_i| over its finite x_i (0 when there are none);
3. block scale s_b: a power of two 2**e for the rules floor, ceil, even and rceil (e
   clamped to the powers of two of S), or a / (max_finite(E) * s_t) clamped to
   [min_normal(S), max_finite(S)] and rounded into S for the rule "round";
4. V = s_b * s_t;
5. element codes encode(E, x_i / V, mode, overflow) (NaN and Inf pass through);
6. a result that needs a NaN E does not have makes the whole block NaN (NaN scale code,
   element codes 0), or, when S has no NaN either, raises (nan_policy "raise") or gives
   that element code 0 (nan_policy "zero").

Decoding multiplies each decoded element by its block's V exactly, then rounds once to
float64.

Conventions where the specification leaves a choice
    * Inputs are read with :func:`reference.from_float`, so -0.0 keeps its sign (it
      encodes like the scalar reference encodes -0.0, e.g. 0x80 in E4M3FN).
    * For the rule "rceil", a block maximum beyond the binary32 range (a32 = +Inf) gives
      the largest exponent e_hi.
    * ``rbits=None`` means R = 0 for every element (the scalar default); a scalar rbits
      is broadcast.
    * ``scale_rounding`` must be a deterministic rounding mode (there are no random
      integers for scales).
    * ``overflow`` "saturate_keep_inf" and "non_saturating" are also accepted for float
      element formats without Inf and NaN, and "saturate_keep_inf" for integer
      elements (reference.encode refuses them): the scalar rules are applied as they
      stand and wherever they call for an Inf or a NaN, E is missing a NaN (rule 6).
      So an infinite input under either policy, and under "non_saturating" a finite
      overflow in a mode that rounds away from zero (or a negative input to an unsigned
      E that does not round to 0), makes the block NaN.  Otherwise the overflow policy
      must be one that :func:`reference.encode` accepts for E.
    * With nan_policy "zero" and an S without NaN, only the element that needed the NaN
      gets code 0; the block's scale and other elements are unchanged.
    * Decoding multiplies as IEEE does: NaN if either factor is NaN, Inf * 0 is NaN, the
      signs multiply; a product beyond the float64 range decodes to +-Inf.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Union

import numpy as np

import reference as ref
from reference import (
    DETERMINISTIC_MODES,
    NAN_POLICIES,
    RefFloat,
    RefInt,
    RefValue,
    decode,
    encode,
    floor_log2,
    has_inf,
    has_nan,
    max_finite,
    min_normal,
    min_positive,
    pow2,
)

RULES = ("floor", "ceil", "rceil", "even", "round")
POWER_OF_TWO_RULES = ("floor", "ceil", "rceil", "even")

ElementFormat = Union[RefFloat, RefInt]


# -------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class RefBlock:
    """A block-scaled format.

    ``block_shape`` is ``(k,)`` (blocks of k consecutive elements along one axis) or
    ``(r, c)`` (r x c tiles over two axes); ``rule`` is one of :data:`RULES`;
    ``scale_rounding`` is the rounding mode of the rule "round"; ``tensor_scale`` (rule
    "round" only) is the format of the second-level per-tensor scale.
    """

    element: ElementFormat
    block_shape: tuple[int, ...]
    scale: RefFloat
    rule: str
    scale_rounding: str = "nearest_even"
    tensor_scale: RefFloat | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.element, (RefFloat, RefInt)):
            raise ValueError(f"element must be a RefFloat or RefInt: {self.element!r}")
        if isinstance(self.element, RefFloat) and self.element.specials == "fnu":
            raise ValueError("the element format must contain zero (style 'fnu' does not)")
        if not isinstance(self.scale, RefFloat):
            raise ValueError(f"scale must be a RefFloat: {self.scale!r}")
        shape = tuple(self.block_shape)
        if len(shape) not in (1, 2) or any(operator.index(k) < 1 for k in shape):
            raise ValueError(f"block_shape must be 1 or 2 positive sizes: {shape}")
        object.__setattr__(self, "block_shape", tuple(operator.index(k) for k in shape))
        if self.rule not in RULES:
            raise ValueError(f"unknown scale rule {self.rule!r}")
        if self.scale_rounding not in DETERMINISTIC_MODES:
            raise ValueError(f"scale_rounding must be deterministic: {self.scale_rounding!r}")
        if self.tensor_scale is not None:
            if self.rule != "round":
                raise ValueError("a tensor scale is only allowed with the rule 'round'")
            if not isinstance(self.tensor_scale, RefFloat):
                raise ValueError(f"tensor_scale must be a RefFloat: {self.tensor_scale!r}")


E8M0 = RefFloat(8, 0, 127, False, "fnu", False)
E4M3FN = RefFloat(4, 3, 7, True, "fn", True)
E5M2 = RefFloat(5, 2, 15, True, "ieee", True)
FP6_E3M2 = RefFloat(3, 2, 3, True, "none", True)
FP6_E2M3 = RefFloat(2, 3, 1, True, "none", True)
FP4_E2M1 = RefFloat(2, 1, 1, True, "none", True)
BINARY32 = RefFloat(8, 23, 127, True, "ieee", True)

MXFP8_E4M3 = RefBlock(E4M3FN, (32,), E8M0, "floor")
MXFP8_E5M2 = RefBlock(E5M2, (32,), E8M0, "floor")
MXFP6_E3M2 = RefBlock(FP6_E3M2, (32,), E8M0, "floor")
MXFP6_E2M3 = RefBlock(FP6_E2M3, (32,), E8M0, "floor")
MXFP4 = RefBlock(FP4_E2M1, (32,), E8M0, "floor")
MXINT8 = RefBlock(RefInt(8, frac_bits=6), (32,), E8M0, "floor")
NVFP4 = RefBlock(FP4_E2M1, (16,), E4M3FN, "round", "nearest_even", BINARY32)
MSFP12 = RefBlock(RefInt(4, frac_bits=2, sign_magnitude=True), (16,), E8M0, "floor")
MSFP16 = RefBlock(RefInt(8, frac_bits=6, sign_magnitude=True), (16,), E8M0, "floor")

PRESETS = {
    "mxfp8_e4m3": MXFP8_E4M3,
    "mxfp8_e5m2": MXFP8_E5M2,
    "mxfp6_e3m2": MXFP6_E3M2,
    "mxfp6_e2m3": MXFP6_E2M3,
    "mxfp4": MXFP4,
    "mxint8": MXINT8,
    "nvfp4": NVFP4,
    "msfp12": MSFP12,
    "msfp16": MSFP16,
}


# ------------------------------------------------------------------ format numbers


def element_emax(fmt: RefBlock) -> int:
    """emax_elem: floor(log2(max_finite(E)))."""
    return floor_log2(max_finite(fmt.element))


def element_precision(fmt: RefBlock) -> int:
    """Me: trailing significand bits of E (bits - 2 for integer and fixed-point E)."""
    e = fmt.element
    return e.man_bits if isinstance(e, RefFloat) else e.bits - 2


def scale_exponent_range(fmt: RefBlock) -> tuple[int, int]:
    """(e_lo, e_hi): exponents of the smallest and largest powers of two in S."""
    return floor_log2(min_positive(fmt.scale)), floor_log2(max_finite(fmt.scale))


def default_element_overflow(fmt: RefBlock) -> str:
    """"saturate_keep_inf" for every element format: finite overflow saturates, and an infinite
    input stays infinite, becomes the element NaN, or (elements without Inf/NaN) makes the block NaN."""
    return "saturate_keep_inf"


# -------------------------------------------------------------------------- scales


def _ceil_log2(q: Fraction) -> int:
    """The smallest e with 2**e >= q, for q > 0."""
    e = floor_log2(q)
    return e if q == pow2(e) else e + 1


def _round_significant_away(a: Fraction, bits: int) -> Fraction:
    """a > 0 rounded to ``bits`` significant bits, ties away from zero."""
    quantum = pow2(floor_log2(a) - (bits - 1))
    return math.floor(a / quantum + Fraction(1, 2)) * quantum


def _rceil_exponent(fmt: RefBlock, a: Fraction) -> int | None:
    """ceil(log2(float32(a) * float32(1 / max_finite(E)))) in binary32 arithmetic;
    None when the product is 0; +Inf products give e_hi (clamped by the caller)."""
    with np.errstate(over="ignore", under="ignore"):
        a32 = np.float32(float(a))
        inv = np.float32(float(1 / max_finite(fmt.element)))
        d = np.float32(a32 * inv)
    if d == 0:
        return None
    if math.isinf(float(d)):
        return scale_exponent_range(fmt)[1]
    return _ceil_log2(Fraction(float(d)))


def scale_exponent(fmt: RefBlock, a: Fraction) -> int:
    """Exponent e of the power-of-two block scale 2**e of a block with maximum a >= 0,
    clamped to :func:`scale_exponent_range`."""
    if fmt.rule not in POWER_OF_TWO_RULES:
        raise ValueError(f"rule {fmt.rule!r} does not give a power-of-two scale")
    a = Fraction(a)
    e_lo, e_hi = scale_exponent_range(fmt)
    emax = element_emax(fmt)
    if a == 0:
        e = e_lo
    elif fmt.rule == "floor":
        e = floor_log2(a) - emax
    elif fmt.rule == "ceil":
        e = _ceil_log2(a) - emax
    elif fmt.rule == "even":
        e = floor_log2(_round_significant_away(a, element_precision(fmt) + 1)) - emax
    else:  # rceil
        e = _rceil_exponent(fmt, a)
        e = e_lo if e is None else e
    return min(max(e, e_lo), e_hi)


def tensor_scale(fmt: RefBlock, amax_t: Fraction) -> tuple[int | None, Fraction]:
    """(tensor_scale_code, s_t) for a tensor whose largest finite magnitude is amax_t;
    (None, 1) without a tensor scale format."""
    t = fmt.tensor_scale
    if t is None:
        return None, Fraction(1)
    amax_t = Fraction(amax_t)
    if amax_t == 0:
        value = Fraction(1)
    else:
        target = amax_t / (max_finite(fmt.scale) * max_finite(fmt.element))
        value = _num(ref.quantize(t, target, "nearest_even", "saturate"))
        if value == 0:
            value = min_normal(t)
    return encode(t, value, "nearest_even", "saturate"), value


def block_scale(fmt: RefBlock, a: Fraction, s_t: Fraction = Fraction(1)) -> tuple[int, Fraction]:
    """(scale_code, s_b) of a block with maximum a >= 0 (s_t: the tensor scale)."""
    a = Fraction(a)
    s = fmt.scale
    if fmt.rule == "round":
        b = a / (max_finite(fmt.element) * Fraction(s_t))
        b = min(max(b, min_normal(s)), max_finite(s))
        code = encode(s, b, fmt.scale_rounding, "saturate")
    else:
        code = encode(s, pow2(scale_exponent(fmt, a)), "nearest_even", "saturate")
    return code, _num(decode(s, code))


def _num(v: RefValue) -> Fraction:
    """Signed value of a finite RefValue."""
    assert v.kind == "num", v
    return -v.mag if v.negative else v.mag


# ------------------------------------------------------------------------ partition


def normalize_axes(fmt: RefBlock, ndim: int, axes) -> tuple[int, ...]:
    """axes as non-negative ints, one per block dimension, distinct."""
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(operator.index(a) for a in axes)
    if len(axes) != len(fmt.block_shape):
        raise ValueError(f"need {len(fmt.block_shape)} axes for block shape {fmt.block_shape}")
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axes {axes} out of range for {ndim} dimensions")
    axes = tuple(a % ndim for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axes must be distinct: {axes}")
    return axes


def scale_shape(fmt: RefBlock, shape: tuple[int, ...], axes) -> tuple[int, ...]:
    """x's shape with each blocked axis of length L replaced by ceil(L / k)."""
    axes = normalize_axes(fmt, len(shape), axes)
    out = list(shape)
    for axis, k in zip(axes, fmt.block_shape):
        out[axis] = -(-shape[axis] // k)
    return tuple(out)


def iter_blocks(
    fmt: RefBlock, shape: tuple[int, ...], axes
) -> Iterator[tuple[tuple[int, ...], list[tuple[int, ...]]]]:
    """(scale index, element indices of the block), for every block, in C order."""
    axes = normalize_axes(fmt, len(shape), axes)
    size = dict(zip(axes, fmt.block_shape))
    for sidx in np.ndindex(*scale_shape(fmt, shape, axes)):
        ranges = []
        for axis, i in enumerate(sidx):
            if axis in size:
                k = size[axis]
                ranges.append(range(i * k, min((i + 1) * k, shape[axis])))
            else:
                ranges.append(range(i, i + 1))
        yield tuple(int(i) for i in sidx), [
            tuple(r[j] for r, j in zip(ranges, idx)) for idx in np.ndindex(*map(len, ranges))
        ]


# --------------------------------------------------------------------------- encode


class _MissingNaN(Exception):
    """A result that needs a NaN the element format does not have."""


def _element_code(
    fmt: RefBlock, v: RefValue, mode: str, overflow: str, rbits: int, nbits: int
) -> int:
    """Code of the scaled element v; _MissingNaN when E would need a NaN it lacks."""
    e = fmt.element
    if not (has_inf(e) or has_nan(e)) and overflow in ("saturate_keep_inf", "non_saturating"):
        return _element_code_without_specials(e, v, mode, overflow, rbits, nbits)
    try:
        return encode(e, v, mode, overflow, rbits=rbits, nbits=nbits, nan_policy="raise")
    except ValueError:
        # The options are the same with nan_policy "zero"; if that call succeeds, the
        # only difference, a NaN E lacks, was the cause.  Otherwise it re-raises.
        encode(e, v, mode, overflow, rbits=rbits, nbits=nbits, nan_policy="zero")
        raise _MissingNaN from None


def _element_code_without_specials(
    e: ElementFormat, v: RefValue, mode: str, overflow: str, rbits: int, nbits: int
) -> int:
    """Overflow policies that keep or produce Inf, for an E with neither Inf nor NaN
    (which reference.encode refuses): the scalar rules are applied as they stand, and
    wherever they call for an Inf or NaN, a NaN is missing.

    Float elements run the scalar reference's own rule code with the policy let through;
    integer elements accept "saturate_keep_inf" only (+-Inf inputs need a NaN, finite
    values saturate)."""
    ref._options(e, mode, "saturate", rbits, nbits, False, "raise")  # checks mode, rbits
    if isinstance(e, RefInt):
        if overflow != "saturate_keep_inf":
            raise ValueError(f"overflow {overflow!r} is not defined for integer elements")
        if v.kind != "num":
            raise _MissingNaN
        return encode(e, v, mode, "saturate", rbits=rbits, nbits=nbits)
    opts = ref._Options(mode, overflow, rbits, nbits, False, "raise")
    try:
        return ref._encode(e, v, opts, ref._round_by_formula)
    except ValueError:  # raised only by the missing NaN
        raise _MissingNaN from None


def _scaled(v: RefValue, scale: Fraction) -> RefValue:
    """v / scale (scale > 0), specials unchanged."""
    if v.kind != "num":
        return v
    return RefValue("num", v.negative, v.mag / scale)


def encode_block(
    fmt: RefBlock,
    x,
    axes,
    mode: str = "nearest_even",
    overflow: str | None = None,
    rbits=None,
    nbits: int = 32,
    nan_policy: str = "raise",
) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(element_codes, scale_codes, tensor_scale_code) of the float array x.

    ``overflow`` is the element overflow policy (default
    :func:`default_element_overflow`); ``rbits`` (x's shape, or a scalar) holds the
    random integer of each element for the stochastic modes; ``nan_policy`` says what
    happens when a block must become NaN and S has no NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError("x must have at least one axis")
    axes = normalize_axes(fmt, x.ndim, axes)
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"unknown nan_policy {nan_policy!r}")
    overflow = default_element_overflow(fmt) if overflow is None else overflow
    rbits = np.broadcast_to(np.asarray(0 if rbits is None else rbits), x.shape)
    values = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        values[idx] = ref.from_float(float(x[idx]))

    finite = [v.mag for v in values.flat if v.kind == "num"]
    tensor_code, s_t = tensor_scale(fmt, max(finite, default=Fraction(0)))

    elements = np.zeros(x.shape, dtype=np.int64)
    scales = np.zeros(scale_shape(fmt, x.shape, axes), dtype=np.int64)
    s = fmt.scale
    for sidx, members in iter_blocks(fmt, x.shape, axes):
        a = max((values[i].mag for i in members if values[i].kind == "num"), default=Fraction(0))
        scale_code, s_b = block_scale(fmt, a, s_t)
        v_block = s_b * s_t
        block_is_nan = False
        for i in members:
            try:
                elements[i] = _element_code(
                    fmt, _scaled(values[i], v_block), mode, overflow, int(rbits[i]), nbits
                )
            except _MissingNaN:
                if has_nan(s):
                    block_is_nan = True
                elif nan_policy == "raise":
                    raise ValueError(
                        f"block {sidx} needs a NaN, and neither {fmt.element} nor {s} has one"
                    ) from None
                else:
                    elements[i] = 0
        if block_is_nan:
            scale_code = encode(s, math.nan)
            for i in members:
                elements[i] = 0
        scales[sidx] = scale_code
    return elements, scales, tensor_code


# --------------------------------------------------------------------------- decode


def _product(a: RefValue, b: RefValue) -> RefValue:
    """Exact IEEE-style product of two values."""
    negative = a.negative != b.negative
    if a.kind == "nan" or b.kind == "nan":
        return RefValue("nan", negative, Fraction(0))
    if a.kind == "inf" or b.kind == "inf":
        if (a.kind == "num" and a.mag == 0) or (b.kind == "num" and b.mag == 0):
            return RefValue("nan", negative, Fraction(0))
        return RefValue("inf", negative, Fraction(0))
    return RefValue("num", negative, a.mag * b.mag)


def _to_float(v: RefValue) -> float:
    """reference.to_float, with products beyond the float64 range as +-Inf."""
    try:
        return ref.to_float(v)
    except OverflowError:
        return -math.inf if v.negative else math.inf


def decode_block(
    fmt: RefBlock, element_codes, scale_codes, tensor_scale_code, axes
) -> np.ndarray:
    """Values decode(E, code_i) * s_b * s_t, exact, then rounded once to float64."""
    element_codes = np.asarray(element_codes)
    scale_codes = np.asarray(scale_codes)
    if element_codes.ndim == 0:
        raise ValueError("element_codes must have at least one axis")
    axes = normalize_axes(fmt, element_codes.ndim, axes)
    expected = scale_shape(fmt, element_codes.shape, axes)
    if scale_codes.shape != expected:
        raise ValueError(f"scale_codes has shape {scale_codes.shape}, expected {expected}")
    if fmt.tensor_scale is None:
        if tensor_scale_code is not None:
            raise ValueError("this format has no tensor scale")
        s_t = RefValue("num", False, Fraction(1))
    else:
        if tensor_scale_code is None:
            raise ValueError("this format needs a tensor_scale_code")
        s_t = decode(fmt.tensor_scale, tensor_scale_code)
    out = np.empty(element_codes.shape, dtype=np.float64)
    for sidx, members in iter_blocks(fmt, element_codes.shape, axes):
        v_block = _product(decode(fmt.scale, int(scale_codes[sidx])), s_t)
        for i in members:
            out[i] = _to_float(_product(decode(fmt.element, int(element_codes[i])), v_block))
    return out


def quantize_block(
    fmt: RefBlock,
    x,
    axes,
    mode: str = "nearest_even",
    overflow: str | None = None,
    rbits=None,
    nbits: int = 32,
    nan_policy: str = "raise",
) -> np.ndarray:
    """decode_block(encode_block(...)): the values x becomes in the block format."""
    codes = encode_block(fmt, x, axes, mode, overflow, rbits, nbits, nan_policy)
    return decode_block(fmt, *codes, axes)
