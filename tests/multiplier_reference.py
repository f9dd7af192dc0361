"""Exact, slow reference model of numsim's approximate multipliers, used by the tests as
an oracle.

It follows the semantics documented in the docstrings of :mod:`numsim.multipliers`
(LMul, Mitchell, DRUM, Truncated, Lookup, Exact) and the worked examples of the L-Mul
reference (``lmul.md`` sections 2-10 and 16).  It is pure Python: integers and
``fractions.Fraction`` only; floats are accepted as inputs (read exactly) and no float
arithmetic decides a result.  From numsim it uses the spec classes only (their
parameters and :meth:`offset_for`); format geometry, NaN/Inf codes and value decoding
come from the independent encoding oracle :mod:`reference` (via :func:`oracle.ref_format`).

Public API
    :func:`multiply_codes` (LMul / Mitchell with integer-adder semantics on a float format:
    code x code -> code), :func:`multiply_patterns` (the same for any semantics: code x code
    -> (code, half), the literal formula's value being the code plus ``half`` half-units in
    its last place),
    :func:`multiply_ints` (Exact / Mitchell / DRUM / Truncated on raw signed integers),
    :func:`lookup` (Lookup: table entry of two codes), :func:`multiply_values`
    (any multiplier on values of numsim formats -> exact value) and :func:`to_float`.

Float multipliers, step by step (``m`` = stored mantissa bits of the format, ``B`` the
bias, ``W = E + m`` the magnitude width, ``|a|`` the code without its sign bit)
    1. ``specials="ieee"``: a NaN operand (read from the code as given) gives the format's
       canonical positive NaN.
    2. Input quantization (``mantissa_bits = k < m``): the magnitude pattern is rounded to
       a multiple of ``2^(m-k)`` - truncated, or to nearest with ties to an even kept
       part (a mantissa carry runs into the exponent field); when the rounded pattern is
       above the largest finite magnitude pattern, the truncated one is used.  Under
       ``specials="ieee"`` Inf operands are not quantized; under ``"raw"`` every pattern
       is.
    3. Classification of the quantized operand by its value (decoded by the reference):
       value zero -> a zero operand; a nonzero value with exponent field 0 -> a subnormal
       operand.  ``subnormal="flush"`` turns a subnormal operand into a zero operand of
       its sign.  In a format without subnormals (``subnormals=False``) the codes with
       exponent field 0 have value zero and are zero operands.
    4. ``specials="ieee"``: Inf x (nonzero or Inf) -> Inf with the xor sign; Inf x (a
       zero operand of step 3, so a flushed subnormal too) -> NaN.  This precedes the
       zero policy.
    5. Zero policy for a zero operand: ``signed`` -> zero with the xor sign,
       ``positive`` -> +0, ``raw`` -> the operand enters the adder as magnitude 0.
    6. Adder.  ``integer``: ``r = |a| + |b| - OFFSET`` with ``OFFSET = mult.offset_for``.
       ``literal``: ``c' = (B << m) - OFFSET``, ``t' = f_a + f_b + c'`` (mantissa fields),
       ``e = e_a + e_b - B`` (exponent fields); ``r = (e << m) + t'`` if ``t' < 2^m``,
       else ``r = ((e + 1) << m) + (2^m + t') / 2 - 2^m``: the printed formula's value as
       a pattern, which can be half-integral (one fraction bit more than a code).  ``r`` is
       an unbounded integer or half-integer (may be negative).
    7. Range.  ``r < 2^m`` (exponent field <= 0) is an underflow, decided on ``floor(r)``:
       ``flush`` -> zero with the xor sign, ``positive_zero`` -> +0, ``pass`` -> ``floor(r)``
       itself when ``floor(r) > 0`` else a zero with the xor sign, ``wrap`` -> ``floor(r) mod 2^W``.  ``r`` above the largest
       finite magnitude pattern is an overflow: ``inf`` -> Inf with the xor sign,
       ``saturate`` -> largest finite with the xor sign, ``nan`` -> the canonical
       positive NaN, ``wrap`` -> ``floor(r) mod 2^W`` (which may be an Inf or NaN pattern).
       Otherwise the result is the code ``floor(r)`` with ``half = 1`` when ``r`` is
       half-integral (the value of the code plus half a unit in its last place); every
       other outcome of this step and of steps 1-5 has ``half = 0``.
       Default overflow policy: ``inf`` where the format has infinities, else ``saturate``.
    8. Sign: xor of the two sign bits (none in unsigned formats); a negative zero in a
       format without -0 becomes +0.
    Formats: FloatFormat of specials style ieee, fn or none (signed or not).

Integer multipliers act on raw integers (``value * 2^frac_bits``) in sign-magnitude: the
magnitudes are multiplied and the sign of ``a * b`` applied; a zero operand gives 0.

Values returned by :func:`multiply_values` (type :data:`Value`)
    A nonzero finite result is a ``Fraction``; everything a Fraction cannot carry with its
    sign is a string: ``"nan"``, ``"+inf"``, ``"-inf"``, ``"+0"``, ``"-0"`` (integer
    results of zero are ``"+0"``).  So a returned Fraction is never zero.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Union

import reference as ref
from numsim.formats import FixedFormat, FloatFormat, Format, IntFormat
from numsim.multipliers import DRUM, Exact, LMul, Lookup, Mitchell, Multiplier, Truncated
from numsim.registry import get_format
from oracle import ref_format

Value = Union[Fraction, str]

ADDER_STYLES = ("ieee", "fn", "none")
NAN = "nan"


# ---------------------------------------------------------------- float geometry


@dataclass(frozen=True)
class _Geometry:
    """What the adder needs to know about a float format (all from :mod:`reference`)."""

    rf: ref.RefFloat
    m: int  # stored mantissa bits
    width: int  # E + m, the magnitude width
    bias: int
    sign_bit: int  # 1 << width, or 0 for unsigned formats
    max_mag: int  # largest finite magnitude pattern
    nan_code: int | None  # canonical positive NaN
    inf_mag: int | None  # magnitude pattern of Inf
    negative_zero: bool

    @property
    def mag_mask(self) -> int:
        return (1 << self.width) - 1


def _resolve(fmt: Format | str) -> Format:
    """A numsim format from a format object or a registered name."""
    return get_format(fmt) if isinstance(fmt, str) else fmt


@lru_cache(maxsize=None)
def _geometry(fmt: FloatFormat) -> _Geometry:
    """Geometry of a float format the adder accepts (ValueError for other styles)."""
    if not isinstance(fmt, FloatFormat):
        raise ValueError(f"the integer-adder multipliers need a float format, got {fmt!r}")
    rf = ref_format(fmt)
    if rf.specials not in ADDER_STYLES:
        raise ValueError(f"the integer-adder multipliers need specials ieee, fn or none, got {rf.specials}")
    width = rf.exp_bits + rf.man_bits
    max_mag = ref.encode(rf, ref.max_finite(rf))
    nan_code = ref.encode(rf, float("nan")) if ref.has_nan(rf) else None
    inf_mag = ref.encode(rf, float("inf"), "nearest_even", "non_saturating") if ref.has_inf(rf) else None
    sign_bit = 1 << width if rf.signed else 0
    return _Geometry(rf, rf.man_bits, width, rf.bias, sign_bit, max_mag, nan_code, inf_mag, ref.has_negative_zero(rf))


def _with_sign(g: _Geometry, negative: bool, mag: int) -> int:
    """Code of a magnitude pattern and a sign (the sign of a zero is dropped where the
    format has no -0, every sign where it has no sign bit)."""
    if mag == 0 and not g.negative_zero:
        negative = False
    return (g.sign_bit if negative else 0) | mag


def _nan(g: _Geometry) -> int:
    """The canonical positive NaN (ValueError in formats without NaN)."""
    if g.nan_code is None:
        raise ValueError(f"{g.rf} has no NaN")
    return g.nan_code


# ---------------------------------------------------------------- switches


def _kept_bits(mult: LMul | Mitchell, g: _Geometry) -> int:
    """Mantissa bits the adder sees."""
    k = g.m if mult.mantissa_bits is None else mult.mantissa_bits
    if k > g.m:
        raise ValueError(f"mantissa_bits={k} exceeds the {g.m} mantissa bits of the format")
    return k


def _overflow_policy(mult: LMul | Mitchell, g: _Geometry) -> str:
    """The overflow switch with its default (inf where the format has Inf, else saturate)."""
    policy = mult.overflow if mult.overflow is not None else ("inf" if g.inf_mag is not None else "saturate")
    if policy == "inf" and g.inf_mag is None:
        raise ValueError("overflow='inf' needs a format with infinities")
    if policy == "nan" and g.nan_code is None:
        raise ValueError("overflow='nan' needs a format with a NaN")
    return policy


def quantize_pattern(pattern: int, drop: int, rounding: str, max_mag: int) -> int:
    """A magnitude pattern with its ``drop`` low bits removed by ``rounding``
    (``truncate`` or ``nearest_even``, ties to an even kept part); a rounding above
    ``max_mag`` truncates instead."""
    if drop == 0:
        return pattern
    kept, rest = pattern >> drop, pattern & ((1 << drop) - 1)
    truncated = kept << drop
    if rounding == "truncate":
        return truncated
    if rounding != "nearest_even":
        raise ValueError(f"unknown input_rounding {rounding!r}")
    half = 1 << (drop - 1)
    up = rest > half or (rest == half and kept % 2 == 1)
    rounded = (kept + up) << drop
    return truncated if rounded > max_mag else rounded


# ---------------------------------------------------------------- adders


def integer_adder(pa: int, pb: int, offset: int) -> int:
    """``|a| + |b| - OFFSET`` (unbounded)."""
    return pa + pb - offset


def literal_adder(pa: int, pb: int, offset: int, m: int, bias: int) -> Fraction:
    """The printed formula's value as a pattern, possibly half-integral (unbounded; see the
    module docstring, step 6)."""
    mant_mask = (1 << m) - 1
    correction = (bias << m) - offset
    t = (pa & mant_mask) + (pb & mant_mask) + correction
    e = (pa >> m) + (pb >> m) - bias
    if t < 1 << m:
        return Fraction((e << m) + t)
    return ((e + 1) << m) + Fraction((1 << m) + t, 2) - (1 << m)


def _range_rule(mult: LMul | Mitchell, g: _Geometry, r: Fraction, negative: bool) -> tuple[int, int]:
    """``(code, half)`` of an adder output ``r`` (underflow and overflow switches)."""
    whole = r.numerator // r.denominator
    if r < 1 << g.m:
        match mult.underflow:
            case "flush":
                return _with_sign(g, negative, 0), 0
            case "positive_zero":
                return 0, 0
            case "pass":
                return _with_sign(g, negative, whole if whole >= 0 else 0), 0
            case "wrap":
                return _with_sign(g, negative, whole % (1 << g.width)), 0
        raise ValueError(f"unknown underflow policy {mult.underflow!r}")
    if r > g.max_mag:
        match _overflow_policy(mult, g):
            case "inf":
                return _with_sign(g, negative, g.inf_mag), 0
            case "saturate":
                return _with_sign(g, negative, g.max_mag), 0
            case "nan":
                return _nan(g), 0
            case "wrap":
                return _with_sign(g, negative, whole % (1 << g.width)), 0
    return _with_sign(g, negative, whole), int(r != whole)


# ---------------------------------------------------------------- float multipliers


def _check_code(g: _Geometry, code: int) -> int:
    """The code as an int (ValueError outside the format's code range)."""
    code = operator.index(code)
    if not 0 <= code < 1 << ref.total_bits(g.rf):
        raise ValueError(f"code {code} out of range for {g.rf}")
    return code


@lru_cache(maxsize=1 << 18)
def _decode(rf: ref.RefFloat, code: int) -> ref.RefValue:
    """The reference's decoding of a code (cached: the oracle runs over whole code tables)."""
    return ref.decode(rf, code)


def _kind(g: _Geometry, code: int) -> str:
    """'nan', 'inf' or 'num'."""
    return _decode(g.rf, code).kind


def _is_zero_operand(mult: LMul | Mitchell, g: _Geometry, mag: int) -> bool:
    """Whether a quantized finite magnitude pattern is a zero operand (value zero, or a
    subnormal under ``subnormal='flush'``)."""
    value = _decode(g.rf, mag)
    if value.kind != "num":
        return False  # an Inf/NaN pattern under specials='raw'
    if value.mag == 0:
        return True
    is_subnormal = mag >> g.m == 0
    if is_subnormal and mult.subnormal not in ("flush", "raw"):
        raise ValueError(f"unknown subnormal policy {mult.subnormal!r}")
    return is_subnormal and mult.subnormal == "flush"


def multiply_codes(mult: LMul | Mitchell, fmt: FloatFormat | str, ca: int, cb: int) -> int:
    """The result code of LMul or Mitchell with integer-adder semantics on two codes of one
    float format (steps 1-8 of the module docstring)."""
    if getattr(mult, "semantics", "integer") != "integer":
        raise ValueError("multiply_codes takes integer-adder semantics; use multiply_patterns")
    code, half = multiply_patterns(mult, fmt, ca, cb)
    assert half == 0
    return code


def multiply_patterns(mult: LMul | Mitchell, fmt: FloatFormat | str, ca: int, cb: int) -> tuple[int, int]:
    """``(code, half)`` of LMul or Mitchell on two codes of one float format (steps 1-8 of
    the module docstring): the result is the code's value plus ``half`` half-units in its
    last place."""
    if not isinstance(mult, (LMul, Mitchell)):
        raise TypeError(f"multiply_codes takes LMul or Mitchell, got {mult!r}")
    g = _geometry(_resolve(fmt))
    ca, cb = _check_code(g, ca), _check_code(g, cb)
    negative = bool((ca ^ cb) & g.sign_bit)
    ieee = mult.specials == "ieee"
    kinds = (_kind(g, ca), _kind(g, cb))
    if ieee and NAN in kinds:
        return _nan(g), 0
    drop = g.m - _kept_bits(mult, g)
    mags = [
        c & g.mag_mask if ieee and kind == "inf" else quantize_pattern(c & g.mag_mask, drop, mult.input_rounding, g.max_mag)
        for c, kind in zip((ca, cb), kinds)
    ]
    zeros = [not (ieee and kind == "inf") and _is_zero_operand(mult, g, mag) for mag, kind in zip(mags, kinds)]
    if ieee and "inf" in kinds:
        return (_nan(g) if any(zeros) else _with_sign(g, negative, g.inf_mag)), 0
    if any(zeros):
        if mult.zero == "signed":
            return _with_sign(g, negative, 0), 0
        if mult.zero == "positive":
            return 0, 0
        if mult.zero != "raw":
            raise ValueError(f"unknown zero policy {mult.zero!r}")
        mags = [0 if z else mag for mag, z in zip(mags, zeros)]
    offset = mult.offset_for(_resolve(fmt))
    if mult.semantics == "integer":
        r = Fraction(integer_adder(mags[0], mags[1], offset))
    elif mult.semantics == "literal":
        r = literal_adder(mags[0], mags[1], offset, g.m, g.bias)
    else:
        raise ValueError(f"unknown semantics {mult.semantics!r}")
    return _range_rule(mult, g, r, negative)


# ---------------------------------------------------------------- integer multipliers


def leading_one(n: int) -> int:
    """Position of the leading one of n > 0."""
    return n.bit_length() - 1


def mitchell_magnitude(a: int, b: int) -> int:
    """Mitchell's 1962 product of magnitudes a, b >= 0 (exact integer)."""
    if a == 0 or b == 0:
        return 0
    k1, k2 = leading_one(a), leading_one(b)
    x1, x2 = Fraction(a, 1 << k1) - 1, Fraction(b, 1 << k2) - 1
    if x1 + x2 < 1:
        p = (1 << (k1 + k2)) * (1 + x1 + x2)
    else:
        p = (1 << (k1 + k2 + 1)) * (x1 + x2)
    assert p.denominator == 1, p
    return p.numerator


def drum_operand(a: int, k: int) -> int:
    """DRUM-k's reduced operand: k bits from the leading one, the lowest forced to 1
    (operands below 2^k unchanged)."""
    if a < 1 << k:
        return a
    s = leading_one(a) - k + 1
    return ((a >> s) | 1) << s


def drum_magnitude(a: int, b: int, k: int) -> int:
    """DRUM-k product of magnitudes a, b >= 0."""
    return drum_operand(a, k) * drum_operand(b, k)


def broken_array_magnitude(a: int, b: int, vbl: int, hbl: int) -> int:
    """Broken-array product: sum of a_j b_i 2^(i+j) over rows i >= hbl (bits of b) and
    columns i + j >= vbl (a's bit j)."""
    total = 0
    for i in range(b.bit_length()):
        if i < hbl or not (b >> i) & 1:
            continue
        for j in range(a.bit_length()):
            if (a >> j) & 1 and i + j >= vbl:
                total += 1 << (i + j)
    return total


def multiply_ints(mult: Multiplier, a: int, b: int) -> int:
    """The product of raw signed integers a, b by Exact, Mitchell, DRUM or Truncated:
    magnitudes multiplied, the sign of a * b applied (a zero operand gives 0)."""
    a, b = operator.index(a), operator.index(b)
    A, B = abs(a), abs(b)
    if isinstance(mult, Exact):
        p = A * B
    elif isinstance(mult, Mitchell):
        p = mitchell_magnitude(A, B)
    elif isinstance(mult, DRUM):
        p = drum_magnitude(A, B, mult.k)
    elif isinstance(mult, Truncated):
        p = broken_array_magnitude(A, B, mult.vbl, mult.hbl)
    else:
        raise TypeError(f"multiply_ints takes Exact, Mitchell, DRUM or Truncated, got {mult!r}")
    return -p if (a < 0) != (b < 0) else p


def lookup(mult: Lookup, ca: int, cb: int) -> int:
    """``table[ca, cb]`` of a Lookup multiplier (units of 2^-(frac_a + frac_b))."""
    if not isinstance(mult, Lookup):
        raise TypeError(f"lookup takes a Lookup multiplier, got {mult!r}")
    rows, cols = mult.table.shape
    ca, cb = operator.index(ca), operator.index(cb)
    if not (0 <= ca < rows and 0 <= cb < cols):
        raise ValueError(f"codes ({ca}, {cb}) outside the table of shape {mult.table.shape}")
    return int(mult.table[ca, cb])


# ---------------------------------------------------------------- values


def _value_of(v: ref.RefValue) -> Value:
    """A reference value in the :data:`Value` convention."""
    sign = "-" if v.negative else "+"
    if v.kind == "nan":
        return NAN
    if v.kind == "inf":
        return sign + "inf"
    if v.mag == 0:
        return sign + "0"
    return -v.mag if v.negative else v.mag


def _exact_product(x: ref.RefValue, y: ref.RefValue) -> ref.RefValue:
    """IEEE product of two exact values (NaN -> positive NaN, Inf x 0 -> NaN)."""
    negative = x.negative != y.negative
    if "nan" in (x.kind, y.kind):
        return ref.RefValue("nan", False, Fraction(0))
    if "inf" in (x.kind, y.kind):
        other = y if x.kind == "inf" else x
        if other.kind == "num" and other.mag == 0:
            return ref.RefValue("nan", False, Fraction(0))
        return ref.RefValue("inf", negative, Fraction(0))
    return ref.RefValue("num", negative, x.mag * y.mag)


def _scaled_int(p: int, frac_bits: int) -> Value:
    """An integer product in units of 2^-frac_bits as a Value."""
    return "+0" if p == 0 else Fraction(p) * ref.pow2(-frac_bits)


def _raw_int(rf: ref.RefInt, code: int) -> int:
    """The raw integer ``value * 2^frac_bits`` of an integer-format code."""
    v = ref.decode(rf, code)
    n = v.mag * ref.pow2(rf.frac_bits)
    assert n.denominator == 1
    return -n.numerator if v.negative else n.numerator


def _is_float_multiplier(mult: Multiplier, fmt: Format) -> bool:
    return isinstance(mult, LMul) or (isinstance(mult, Mitchell) and isinstance(fmt, FloatFormat))


def multiply_values(mult: Multiplier, a_fmt: Format | str, b_fmt: Format | str, a, b) -> Value:
    """The exact result of ``mult`` on a and b, first encoded (round to nearest even,
    default overflow, by :func:`reference.encode`) as codes of their formats.

    Float multipliers: the result of :func:`multiply_patterns`, decoded (plus half a unit
    in the code's last place where ``half`` is set).  Integer
    multipliers and Lookup: the integer product of the raw integers (or the table entry)
    times ``2^-(frac_a + frac_b)``.  Exact: the exact product of the decoded inputs with
    IEEE special-value rules.  See the module docstring for the :data:`Value` strings.
    """
    a_fmt, b_fmt = _resolve(a_fmt), _resolve(b_fmt)
    ra, rb = ref_format(a_fmt), ref_format(b_fmt)
    ca, cb = ref.encode(ra, a), ref.encode(rb, b)
    if isinstance(mult, Exact):
        return _value_of(_exact_product(ref.decode(ra, ca), ref.decode(rb, cb)))
    if _is_float_multiplier(mult, a_fmt) or _is_float_multiplier(mult, b_fmt):
        if a_fmt != b_fmt:
            raise ValueError(f"{mult.name} needs one float format for both operands")
        code, half = multiply_patterns(mult, a_fmt, ca, cb)
        value = _value_of(ref.decode(ra, code))
        if half:
            g = _geometry(a_fmt)
            field = max((code & g.mag_mask) >> g.m, 1)
            unit = Fraction(2) ** (field - g.bias - g.m)
            value = value - unit / 2 if value < 0 else value + unit / 2  # a Fraction: half only on normal results
        return value
    for fmt in (a_fmt, b_fmt):
        if not isinstance(fmt, (IntFormat, FixedFormat)):
            raise ValueError(f"{mult.name} multiplies integers; {fmt!r} is not an integer or fixed-point format")
    frac = ra.frac_bits + rb.frac_bits
    if isinstance(mult, Lookup):
        return _scaled_int(lookup(mult, ca, cb), frac)
    return _scaled_int(multiply_ints(mult, _raw_int(ra, ca), _raw_int(rb, cb)), frac)


def to_float(v: Value) -> float:
    """A :data:`Value` as a Python float (rounded to nearest when not representable)."""
    names = {"nan": float("nan"), "+inf": float("inf"), "-inf": float("-inf"), "+0": 0.0, "-0": -0.0}
    return names[v] if isinstance(v, str) else float(v)
