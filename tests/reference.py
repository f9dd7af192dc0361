"""Exact reference model of number-format encoding, used by the tests as an oracle.

This module is deliberately independent of ``numsim``: it is pure Python and computes
with ``fractions.Fraction`` and integers only.  Floats are accepted as inputs (the
conversion ``Fraction(x)`` is exact) and produced by :func:`to_float`, but no float
arithmetic ever decides a result.

Every conversion is "exact, then round once": the exact input value is rounded to the
target grid in one step, then range and special-value rules are applied.

Formats
    :class:`RefFloat` (binary floating point in six special-value styles) and
    :class:`RefInt` (two's complement / sign-magnitude / unsigned integers and fixed
    point).

Main entry points
    :func:`decode`, :func:`encode`, :func:`quantize`, :func:`sorted_finite_values` and
    :func:`encode_by_enumeration`, a second and independent way to choose the rounding
    neighbour, used to cross-check :func:`encode`.

Conventions where the specification leaves a choice
    * A decoded NaN's ``negative`` is the code's sign bit (so the single NaN 0x80 of the
      fnuz and extended styles reads as negative); Inf and NaN carry ``mag == 0``.
    * A NaN due to overflow keeps the sign of x in styles with signed NaNs (ieee, fn).
    * ``ftz`` acts on the rounded result, before the range checks (so a negative tiny
      input to an unsigned format that rounds to a subnormal flushes to +0).
    * A symmetric integer format decodes its unused code -2**(bits-1) literally.
    * A sign-magnitude integer format decodes its negative-zero code as +0.
"""

from __future__ import annotations

import math
import numbers
import operator
from bisect import bisect_right
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import Callable, NamedTuple, Union

SPECIAL_STYLES = ("ieee", "fn", "fnuz", "none", "extended", "fnu")
DETERMINISTIC_MODES = (
    "nearest_even",
    "nearest_away",
    "toward_zero",
    "toward_positive",
    "toward_negative",
    "to_odd",
)
STOCHASTIC_MODES = ("stochastic_a", "stochastic_b", "stochastic_c")
ROUNDING_MODES = DETERMINISTIC_MODES + STOCHASTIC_MODES
OVERFLOW_POLICIES = ("saturate", "saturate_keep_inf", "non_saturating", "wrap")
NAN_POLICIES = ("raise", "zero")

#: Largest format (in bits) that :func:`sorted_finite_values` enumerates.
MAX_LISTED_BITS = 16
#: Largest format (in bits) that :func:`encode_by_enumeration` accepts.
MAX_ENUMERATED_BITS = 12


# --------------------------------------------------------------------------- values


class RefValue(NamedTuple):
    """An exact value: ``kind`` is "num", "inf" or "nan".

    For "num", the value is ``(-1)**negative * mag``; zero keeps its sign, so -0 is
    ``RefValue("num", True, Fraction(0))``.  For "inf" and "nan", ``mag`` is 0 and
    ``negative`` is the sign (for a decoded NaN: the code's sign bit).
    """

    kind: str
    negative: bool
    mag: Fraction


Number = Union[RefValue, float, Fraction, int]


@lru_cache(maxsize=None)
def pow2(e: int) -> Fraction:
    """2**e as an exact Fraction (e may be negative); cached, Fractions are immutable."""
    return Fraction(2) ** e


def floor_log2(q: Fraction) -> int:
    """floor(log2(q)) for q > 0, computed exactly."""
    if q <= 0:
        raise ValueError(f"floor_log2 needs a positive value, got {q}")
    guess = q.numerator.bit_length() - q.denominator.bit_length()
    # numerator in [2^(a-1), 2^a) and denominator in [2^(c-1), 2^c) give
    # 2^(guess-1) < q < 2^(guess+1), so the answer is guess or guess - 1.
    return guess if q >= pow2(guess) else guess - 1


def _as_int(q: Fraction) -> int:
    """The integer q; q must be integral (guards the exactness of grid arithmetic)."""
    assert q.denominator == 1, f"{q} is not an integer"
    return q.numerator


def from_float(x: float) -> RefValue:
    """The exact value of a Python float, including -0.0, infinities and NaN (sign kept)."""
    negative = math.copysign(1.0, x) < 0
    if math.isnan(x):
        return RefValue("nan", negative, Fraction(0))
    if math.isinf(x):
        return RefValue("inf", negative, Fraction(0))
    return RefValue("num", negative, abs(Fraction(x)))


def as_ref_value(x: Number) -> RefValue:
    """Any accepted input as a RefValue.

    RefValue is taken as is; ints and Fractions exactly (their zero is +0); anything else
    (float, numpy or ml_dtypes float scalars) through ``float(x)``, which is exact for
    floats of at most 64 bits.
    """
    if isinstance(x, RefValue):
        return x
    if isinstance(x, numbers.Rational):
        return RefValue("num", x < 0, abs(Fraction(x)))
    return from_float(float(x))


def to_float(v: RefValue) -> float:
    """The value as a Python float: exact when representable in float64, else rounded
    to nearest (OverflowError beyond the float64 range)."""
    if v.kind == "nan":
        magnitude = math.nan
    elif v.kind == "inf":
        magnitude = math.inf
    else:
        magnitude = float(v.mag)
    return -magnitude if v.negative else magnitude


# -------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class RefFloat:
    """A binary floating-point format.

    Codes are ``s << (E+M) | e << M | f`` (no sign bit when ``signed`` is False);
    ``specials`` names the special-value style (see :data:`SPECIAL_STYLES`).
    """

    exp_bits: int
    man_bits: int
    bias: int
    subnormals: bool = True
    specials: str = "ieee"
    signed: bool = True

    def __post_init__(self) -> None:
        if self.specials not in SPECIAL_STYLES:
            raise ValueError(f"unknown specials style {self.specials!r}")
        if self.exp_bits < 1 or self.man_bits < 0:
            raise ValueError(f"need exp_bits >= 1 and man_bits >= 0: {self}")
        if self.specials == "fnuz" and not self.signed:
            raise ValueError("style 'fnuz' is defined for signed formats only")
        if self.specials == "fnu" and (self.signed or self.subnormals):
            raise ValueError("style 'fnu' is unsigned and has no subnormals")
        largest = _max_magnitude_code(self)
        if largest < 0 or _magnitude_value(self, largest) <= 0:
            raise ValueError(f"format has no positive finite value: {self}")


@dataclass(frozen=True)
class RefInt:
    """An integer or fixed-point format: the code holds n (two's complement when
    signed), the value is ``n * 2**-frac_bits``.  ``symmetric`` drops -2**(bits-1).

    ``sign_magnitude`` (signed formats of >= 2 bits only) stores n as a sign bit (the top
    bit) and |n| in the low bits - 1 bits: code ``sign << (bits-1) | |n|``.  Its range is
    always the symmetric +-(2**(bits-1) - 1), whatever ``symmetric`` says; zero encodes
    as +0 (code 0) and the negative-zero code ``1 << (bits-1)`` decodes to 0."""

    bits: int
    frac_bits: int = 0
    signed: bool = True
    symmetric: bool = False
    sign_magnitude: bool = False

    def __post_init__(self) -> None:
        if self.bits < 1:
            raise ValueError(f"need bits >= 1: {self}")
        if self.symmetric and (not self.signed or self.bits < 2):
            raise ValueError(f"symmetric needs a signed format of >= 2 bits: {self}")
        if self.sign_magnitude and (not self.signed or self.bits < 2):
            raise ValueError(f"sign_magnitude needs a signed format of >= 2 bits: {self}")


Format = Union[RefFloat, RefInt]


def default_bias(exp_bits: int, specials: str, signed: bool) -> int:
    """Conventional bias: 2**(E-1) for fnuz and extended styles, else 2**(E-1) - 1."""
    if specials not in SPECIAL_STYLES:
        raise ValueError(f"unknown specials style {specials!r}")
    if (specials == "fnuz" and not signed) or (specials == "fnu" and signed):
        raise ValueError(f"style {specials!r} with signed={signed} does not exist")
    half = 1 << (exp_bits - 1)
    return half if specials in ("fnuz", "extended") else half - 1


def total_bits(fmt: Format) -> int:
    """Width of a code in bits."""
    if isinstance(fmt, RefInt):
        return fmt.bits
    return fmt.exp_bits + fmt.man_bits + int(fmt.signed)


def emin(fmt: RefFloat) -> int:
    """Exponent of the smallest normal binade: 1 - B, or -B for style fnu."""
    return -fmt.bias if fmt.specials == "fnu" else 1 - fmt.bias


def has_inf(fmt: Format) -> bool:
    """Whether the format has infinities."""
    return isinstance(fmt, RefFloat) and fmt.specials in ("ieee", "extended")


def has_nan(fmt: Format) -> bool:
    """Whether the format has a NaN (IEEE style with M = 0 has none)."""
    if isinstance(fmt, RefInt) or fmt.specials == "none":
        return False
    return fmt.specials != "ieee" or fmt.man_bits >= 1


def has_negative_zero(fmt: Format) -> bool:
    """Whether -0 is a distinct value: signed formats of style ieee, fn or none."""
    return isinstance(fmt, RefFloat) and fmt.signed and fmt.specials in ("ieee", "fn", "none")


def default_overflow(fmt: Format) -> str:
    """Overflow policy used when none is given."""
    if isinstance(fmt, RefInt) or fmt.specials == "none":
        return "saturate"
    return "non_saturating"


def _int_range(fmt: RefInt) -> tuple[int, int]:
    """Smallest and largest integer n of the format."""
    if not fmt.signed:
        return 0, (1 << fmt.bits) - 1
    top = (1 << (fmt.bits - 1)) - 1
    return (-top if fmt.symmetric or fmt.sign_magnitude else -top - 1), top


def _all_ones(fmt: RefFloat) -> int:
    """ALL: the all-ones magnitude code."""
    return (1 << (fmt.exp_bits + fmt.man_bits)) - 1


def _top_exponent_field(fmt: RefFloat) -> int:
    """Magnitude code with an all-ones exponent field and a zero trailing significand."""
    return ((1 << fmt.exp_bits) - 1) << fmt.man_bits


def _with_sign(fmt: RefFloat, negative: bool, magnitude_code: int) -> int:
    """Full code from a magnitude code (the sign is dropped for unsigned formats)."""
    sign = 1 << (fmt.exp_bits + fmt.man_bits) if negative and fmt.signed else 0
    return sign | magnitude_code


def _max_magnitude_code(fmt: RefFloat) -> int:
    """Largest magnitude code that holds a finite number."""
    top = _all_ones(fmt)
    match fmt.specials:
        case "ieee":  # just below the all-ones exponent field
            return _top_exponent_field(fmt) - 1
        case "fn" | "fnu":
            return top - 1
        case "extended":
            return top - 1 if fmt.signed else top - 2
        case _:  # "fnuz", "none"
            return top


def _magnitude_value(fmt: RefFloat, magnitude_code: int) -> Fraction:
    """Value of a magnitude code read as a number (special codes are not looked at)."""
    m = fmt.man_bits
    e, f = magnitude_code >> m, magnitude_code & ((1 << m) - 1)
    if e >= 1 or fmt.specials == "fnu":
        return ((1 << m) + f) * pow2(e - fmt.bias - m)
    if fmt.subnormals:
        return f * pow2(1 - fmt.bias - m)
    return Fraction(0)


@lru_cache(maxsize=None)
def max_finite(fmt: Format) -> Fraction:
    """Largest finite value."""
    if isinstance(fmt, RefInt):
        return _int_range(fmt)[1] * pow2(-fmt.frac_bits)
    return _magnitude_value(fmt, _max_magnitude_code(fmt))


def min_normal(fmt: Format) -> Fraction:
    """2**emin for floats; the step 2**-frac_bits for integer formats."""
    if isinstance(fmt, RefInt):
        return pow2(-fmt.frac_bits)
    return pow2(emin(fmt))


def min_positive(fmt: Format) -> Fraction:
    """Smallest positive value: the smallest subnormal when there are subnormals."""
    if isinstance(fmt, RefFloat) and fmt.subnormals and fmt.man_bits >= 1:
        return pow2(emin(fmt) - fmt.man_bits)
    return min_normal(fmt)


# --------------------------------------------------------------------------- decode


def _check_code(fmt: Format, code: int) -> None:
    """ValueError unless 0 <= code < 2**total_bits(fmt)."""
    if not 0 <= code < 1 << total_bits(fmt):
        raise ValueError(f"code {code} out of range for {fmt}")


def decode(fmt: Format, code: int) -> RefValue:
    """The exact value of a code (any integer type, e.g. numpy's, is accepted)."""
    code = operator.index(code)
    _check_code(fmt, code)
    if isinstance(fmt, RefInt):
        return _decode_int(fmt, code)
    return _decode_float(fmt, code)


def _decode_int(fmt: RefInt, code: int) -> RefValue:
    """Two's complement (when signed) or sign-magnitude integer n, value n * 2**-F
    (the sign-magnitude code of -0 reads as +0: integers have no -0)."""
    if fmt.sign_magnitude:
        magnitude = code & ((1 << (fmt.bits - 1)) - 1)
        n = -magnitude if code >> (fmt.bits - 1) else magnitude
    else:
        n = code - (1 << fmt.bits) if fmt.signed and code >> (fmt.bits - 1) else code
    return RefValue("num", n < 0, abs(n) * pow2(-fmt.frac_bits))


def _decode_float(fmt: RefFloat, code: int) -> RefValue:
    """Special codes first, then the number; zero is -0 only where the style has -0."""
    negative = fmt.signed and code >> (fmt.exp_bits + fmt.man_bits) == 1
    magnitude_code = code & _all_ones(fmt)
    special = _special_kind(fmt, negative, magnitude_code)
    if special is not None:
        return RefValue(special, negative, Fraction(0))
    value = _magnitude_value(fmt, magnitude_code)
    return RefValue("num", negative and (value != 0 or has_negative_zero(fmt)), value)


def _special_kind(fmt: RefFloat, negative: bool, magnitude_code: int) -> str | None:
    """The kind ("inf" or "nan") of a special code of the format's style, else None."""
    top = _all_ones(fmt)
    match fmt.specials:
        case "ieee":
            if magnitude_code >> fmt.man_bits == (1 << fmt.exp_bits) - 1:
                return "inf" if magnitude_code & ((1 << fmt.man_bits) - 1) == 0 else "nan"
        case "fn" | "fnu":
            if magnitude_code == top:
                return "nan"
        case "fnuz":
            if negative and magnitude_code == 0:
                return "nan"
        case "extended" if fmt.signed:
            if negative and magnitude_code == 0:
                return "nan"
            if magnitude_code == top:
                return "inf"
        case "extended":
            if magnitude_code == top:
                return "nan"
            if magnitude_code == top - 1:
                return "inf"
    return None


# --------------------------------------------------------------------------- rounding


@dataclass(frozen=True)
class _Options:
    """Validated per-call options of :func:`encode`."""

    mode: str
    overflow: str
    rbits: int
    nbits: int
    ftz: bool
    nan_policy: str


def _options(
    fmt: Format,
    mode: str,
    overflow: str | None,
    rbits: int,
    nbits: int,
    ftz: bool,
    nan_policy: str,
) -> _Options:
    """Check the call options against each other and the format."""
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}")
    overflow = default_overflow(fmt) if overflow is None else overflow
    if overflow not in OVERFLOW_POLICIES:
        raise ValueError(f"unknown overflow policy {overflow!r}")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"unknown nan_policy {nan_policy!r}")
    if isinstance(fmt, RefInt):
        if overflow in ("non_saturating", "saturate_keep_inf"):
            raise ValueError(f"overflow {overflow!r} is not defined for integer formats")
        if overflow == "wrap" and (fmt.symmetric or fmt.sign_magnitude):
            raise ValueError("overflow 'wrap' is not defined for symmetric formats")
    else:
        if overflow == "wrap":
            raise ValueError("overflow 'wrap' is for integer formats only")
        if overflow != "saturate" and not (has_inf(fmt) or has_nan(fmt)):
            raise ValueError(f"overflow {overflow!r} needs a format with Inf or NaN")
    rbits, nbits = operator.index(rbits), operator.index(nbits)
    if mode in STOCHASTIC_MODES and not (1 <= nbits <= 32 and 0 <= rbits < 1 << nbits):
        raise ValueError("stochastic rounding needs 1 <= nbits <= 32 and 0 <= rbits < 2**nbits")
    return _Options(mode, overflow, rbits, nbits, ftz, nan_policy)


def _rounds_up(nu: Fraction, down_is_odd: bool, negative: bool, opts: _Options) -> bool:
    """Whether to take the larger-magnitude candidate, given the residual nu in [0, 1)
    (the distance past the smaller candidate, in units of the gap between them)."""
    n, r = opts.nbits, opts.rbits
    match opts.mode:
        case "nearest_even":
            return nu > Fraction(1, 2) or (nu == Fraction(1, 2) and down_is_odd)
        case "nearest_away":
            return nu >= Fraction(1, 2)
        case "toward_zero":
            return False
        case "toward_positive":
            return nu > 0 and not negative
        case "toward_negative":
            return nu > 0 and negative
        case "to_odd":
            return nu > 0 and not down_is_odd
        case "stochastic_a":
            return math.floor(nu * 2**n) + r >= 2**n
        case "stochastic_b":
            return math.floor(nu * 2 ** (n + 1)) + 2 * r + 1 >= 2 ** (n + 1)
        case "stochastic_c":
            return round(nu * 2**n) + r >= 2**n  # round() on a Fraction: ties to even
    raise AssertionError(opts.mode)


def _rounds_toward_zero(mode: str, negative: bool) -> bool:
    """Whether the mode never increases the magnitude for this sign (such modes
    saturate instead of overflowing to Inf/NaN)."""
    if mode in ("toward_zero", "to_odd"):
        return True
    return mode == ("toward_positive" if negative else "toward_negative")


def _grid_magnitude_code(fmt: RefFloat, r: Fraction) -> int:
    """Magnitude code ``e << M | f`` of a grid value r >= 0, the exponent field not
    bounded above (so it also names candidates beyond the largest finite value)."""
    m = fmt.man_bits
    if r < min_normal(fmt):  # zero or subnormal: e = 0
        return _as_int(r / pow2(emin(fmt) - m))
    exponent = floor_log2(r)
    significand = _as_int(r / pow2(exponent - m))  # in [2**M, 2**(M+1))
    return ((exponent + fmt.bias) << m) | (significand - (1 << m))


def _code_is_odd(fmt: Format, down: Fraction) -> bool:
    """Parity of the truncated candidate: the LSB of its magnitude code for floats,
    of the integer |n| for integer formats."""
    if isinstance(fmt, RefInt):
        return _as_int(down * pow2(fmt.frac_bits)) % 2 == 1
    return _grid_magnitude_code(fmt, down) % 2 == 1


def _quantum_exponent(fmt: Format, mag: Fraction) -> int:
    """Q: the candidates for rounding mag > 0 are the multiples of 2**Q."""
    if isinstance(fmt, RefInt):
        return -fmt.frac_bits
    exponent = floor_log2(mag)
    if exponent >= emin(fmt):
        return exponent - fmt.man_bits
    return emin(fmt) - fmt.man_bits if fmt.subnormals else emin(fmt)


def _round_by_formula(fmt: Format, mag: Fraction, negative: bool, opts: _Options) -> Fraction:
    """Rounded magnitude of |x| = mag > 0, exponent range unbounded above:
    S = mag / 2**Q, T = floor(S), candidates T * 2**Q and (T + 1) * 2**Q."""
    quantum = pow2(_quantum_exponent(fmt, mag))
    scaled = mag / quantum
    truncated = math.floor(scaled)
    down = truncated * quantum
    if _rounds_up(scaled - truncated, _code_is_odd(fmt, down), negative, opts):
        return down + quantum
    return down


Rounder = Callable[[Format, Fraction, bool, _Options], Fraction]


# --------------------------------------------------------------------------- encode


def encode(
    fmt: Format,
    x: Number,
    mode: str = "nearest_even",
    overflow: str | None = None,
    *,
    rbits: int = 0,
    nbits: int = 32,
    ftz: bool = False,
    nan_policy: str = "raise",
) -> int:
    """The code of x rounded once to ``fmt``.

    ``overflow`` defaults to :func:`default_overflow`; ``rbits`` is the random integer R
    in [0, 2**nbits) of the stochastic modes; ``ftz`` flushes a nonzero rounded result
    below 2**emin to zero (no effect on integer formats); ``nan_policy`` ("raise" or
    "zero") says what a format without NaN does when a NaN is due: raise ValueError or
    give code 0.  Invalid option combinations raise ValueError.

    Order of the rules: a NaN input gives the format's NaN; style fnu (no zero, no
    negatives) and negative inputs to unsigned formats have their own rules; an infinite
    input saturates or stays infinite (NaN without Inf); a finite input is rounded in an
    exponent range unbounded above, then compared with the largest finite value.  A NaN
    result (overflow without Inf, an unsigned negative) keeps the sign of x where the
    format's NaNs are signed (styles ieee and fn).
    """
    opts = _options(fmt, mode, overflow, rbits, nbits, ftz, nan_policy)
    return _encode(fmt, as_ref_value(x), opts, _round_by_formula)


def quantize(
    fmt: Format,
    x: Number,
    mode: str = "nearest_even",
    overflow: str | None = None,
    *,
    rbits: int = 0,
    nbits: int = 32,
    ftz: bool = False,
    nan_policy: str = "raise",
) -> RefValue:
    """decode(fmt, encode(fmt, x, ...)): the value that x becomes in the format."""
    code = encode(
        fmt, x, mode, overflow, rbits=rbits, nbits=nbits, ftz=ftz, nan_policy=nan_policy
    )
    return decode(fmt, code)


def _encode(fmt: Format, v: RefValue, opts: _Options, rounder: Rounder) -> int:
    """Encode with the given way of rounding a magnitude (formula or search)."""
    if isinstance(fmt, RefInt):
        return _encode_int(fmt, v, opts, rounder)
    return _encode_float(fmt, v, opts, rounder)


def _missing_nan(fmt: Format, opts: _Options) -> int:
    """Result due to be NaN in a format without NaN: ValueError, or code 0."""
    if opts.nan_policy == "raise":
        raise ValueError(f"{fmt} has no NaN")
    return 0


def _encode_int(fmt: RefInt, v: RefValue, opts: _Options, rounder: Rounder) -> int:
    """Round x * 2**F to an integer n, clamp or wrap it, return its two's complement
    (or its sign-magnitude code, zero as +0)."""
    if v.kind == "nan" or (v.kind == "inf" and opts.overflow == "wrap"):
        return _missing_nan(fmt, opts)
    low, high = _int_range(fmt)
    if v.kind == "inf":
        n = low if v.negative else high
    else:
        magnitude = rounder(fmt, v.mag, v.negative, opts) if v.mag else Fraction(0)
        n = _as_int(magnitude * pow2(fmt.frac_bits)) * (-1 if v.negative else 1)
        if opts.overflow == "wrap":
            n = (n - low) % (1 << fmt.bits) + low
        else:
            n = min(max(n, low), high)
    if fmt.sign_magnitude:
        return (int(n < 0) << (fmt.bits - 1)) | abs(n)
    return n % (1 << fmt.bits)


def _encode_float(fmt: RefFloat, v: RefValue, opts: _Options, rounder: Rounder) -> int:
    """Special inputs and special styles first, then round a finite x."""
    if v.kind == "nan":
        return _nan_code(fmt, v.negative, opts)
    if fmt.specials == "fnu":
        return _encode_fnu(fmt, v, opts, rounder)
    if v.negative and not fmt.signed and not (v.kind == "num" and v.mag == 0):
        return _encode_negative_unsigned(fmt, v, opts, rounder)
    if v.kind == "inf":
        return _infinite_input_code(fmt, v.negative, opts)
    return _finite_code(fmt, v.negative, _rounded_magnitude(fmt, v, opts, rounder), opts)


def _rounded_magnitude(fmt: RefFloat, v: RefValue, opts: _Options, rounder: Rounder) -> Fraction:
    """Rounded |x| of a finite x, after the optional flush of subnormal results."""
    if v.mag == 0:
        return Fraction(0)
    r = rounder(fmt, v.mag, v.negative, opts)
    return Fraction(0) if opts.ftz and r < min_normal(fmt) else r


def _finite_code(fmt: RefFloat, negative: bool, r: Fraction, opts: _Options) -> int:
    """Code of a rounded magnitude r with the sign of x: overflow, zero or a number."""
    if r > max_finite(fmt):
        return _overflow_code(fmt, negative, opts)
    if r == 0:
        return _with_sign(fmt, negative and has_negative_zero(fmt), 0)
    return _with_sign(fmt, negative, _grid_magnitude_code(fmt, r))


def _encode_negative_unsigned(
    fmt: RefFloat, v: RefValue, opts: _Options, rounder: Rounder
) -> int:
    """x < 0 (or -Inf) into an unsigned format: only a zero result is in range."""
    if v.kind == "num" and _rounded_magnitude(fmt, v, opts, rounder) == 0:
        return 0
    if opts.overflow == "saturate":
        return 0
    return _nan_code(fmt, False, opts)


def _encode_fnu(fmt: RefFloat, v: RefValue, opts: _Options, rounder: Rounder) -> int:
    """Style fnu has no zero and no negative values; code 0 is the minimum 2**emin."""
    if v.negative or (v.kind == "num" and v.mag == 0):
        return 0 if opts.overflow == "saturate" else _nan_code(fmt, False, opts)
    if v.kind == "inf":
        return _infinite_input_code(fmt, False, opts)
    if v.mag < min_normal(fmt):
        return 0
    return _finite_code(fmt, False, rounder(fmt, v.mag, False, opts), opts)


def _infinite_input_code(fmt: RefFloat, negative: bool, opts: _Options) -> int:
    """+-Inf input: +-max when saturating, else +-Inf (NaN in formats without Inf)."""
    if opts.overflow == "saturate":
        return _with_sign(fmt, negative, _max_magnitude_code(fmt))
    return _inf_or_nan_code(fmt, negative, opts)


def _overflow_code(fmt: RefFloat, negative: bool, opts: _Options) -> int:
    """Finite x whose rounded magnitude exceeds the largest finite value."""
    if opts.overflow != "non_saturating" or _rounds_toward_zero(opts.mode, negative):
        return _with_sign(fmt, negative, _max_magnitude_code(fmt))
    return _inf_or_nan_code(fmt, negative, opts)


def _inf_or_nan_code(fmt: RefFloat, negative: bool, opts: _Options) -> int:
    """Signed infinity of the format, or its NaN if it has no infinities."""
    if not has_inf(fmt):
        return _nan_code(fmt, negative, opts)
    if fmt.specials == "ieee":
        return _with_sign(fmt, negative, _top_exponent_field(fmt))
    top = _all_ones(fmt)
    return _with_sign(fmt, negative, top if fmt.signed else top - 1)  # extended


def _nan_code(fmt: RefFloat, negative: bool, opts: _Options) -> int:
    """The format's canonical NaN (with the given sign where NaNs are signed)."""
    if not has_nan(fmt):
        return _missing_nan(fmt, opts)
    top = _all_ones(fmt)
    match fmt.specials:
        case "ieee":  # quiet NaN: top bit of the trailing significand set
            return _with_sign(fmt, negative, _top_exponent_field(fmt) | 1 << (fmt.man_bits - 1))
        case "fn":
            return _with_sign(fmt, negative, top)
        case "fnuz":
            return _with_sign(fmt, True, 0)
        case "extended" if fmt.signed:
            return _with_sign(fmt, True, 0)
        case _:  # unsigned "extended", "fnu"
            return top


# ---------------------------------------------------------------- enumeration check


@lru_cache(maxsize=None)
def _listed_values(fmt: Format) -> tuple[Fraction, ...]:
    """Cached body of :func:`sorted_finite_values`."""
    if total_bits(fmt) > MAX_LISTED_BITS:
        raise ValueError(f"{fmt} is too wide to list ({total_bits(fmt)} > {MAX_LISTED_BITS} bits)")
    if isinstance(fmt, RefInt):
        low, high = _int_range(fmt)
        return tuple(n * pow2(-fmt.frac_bits) for n in range(low, high + 1))
    values = set()
    for code in range(1 << total_bits(fmt)):
        v = decode(fmt, code)
        if v.kind == "num":
            values.add(-v.mag if v.negative else v.mag)
    return tuple(sorted(values))


def sorted_finite_values(fmt: Format) -> list[Fraction]:
    """All finite values, signed, ascending, each once (formats of <= 16 bits)."""
    return list(_listed_values(fmt))


@lru_cache(maxsize=None)
def _enumerated_magnitudes(fmt: Format) -> tuple[Fraction, ...]:
    """Ascending magnitudes of the listed values, plus the next grid value beyond the
    largest one (the first candidate that overflows)."""
    magnitudes = sorted({abs(v) for v in sorted_finite_values(fmt)})
    largest = magnitudes[-1]
    if isinstance(fmt, RefInt):
        beyond = largest + (largest - magnitudes[-2])  # the grid is uniform
    else:
        # The same format with one more exponent bit and no special codes continues
        # the grid past the largest finite value.
        wider = replace(
            fmt,
            exp_bits=fmt.exp_bits + 1,
            specials="fnu" if fmt.specials == "fnu" else "none",
            signed=False,
        )
        beyond = min(v for v in sorted_finite_values(wider) if v > largest)
    return tuple(magnitudes) + (beyond,)


@lru_cache(maxsize=None)
def _enumerated_parities(fmt: Format) -> dict[Fraction, bool]:
    """Whether the code of each listed magnitude is odd: found by decoding every
    magnitude code (first code of a value wins, so zero is code 0); for integer formats
    the code of magnitude |n| is |n|, its index in the magnitude list."""
    if isinstance(fmt, RefInt):
        return {m: i % 2 == 1 for i, m in enumerate(_enumerated_magnitudes(fmt))}
    parities: dict[Fraction, bool] = {}
    for code in range(_all_ones(fmt) + 1):
        v = decode(fmt, code)
        if v.kind == "num":
            parities.setdefault(v.mag, code % 2 == 1)
    return parities


def _round_by_search(fmt: Format, mag: Fraction, negative: bool, opts: _Options) -> Fraction:
    """Rounded magnitude with the two candidates found by bisection in the enumerated
    magnitude list.  At or beyond the first overflowing candidate, that candidate is
    returned: every rounding overflows there, which is all the caller needs (except
    integer wrapping, which needs the exact integer and is refused)."""
    grid = _enumerated_magnitudes(fmt)
    if mag >= grid[-1]:
        if mag > grid[-1] and opts.overflow == "wrap":
            raise ValueError("wrap beyond one step outside the range is not enumerable")
        return grid[-1]
    i = bisect_right(grid, mag) - 1
    down, up = grid[i], grid[i + 1]
    nu = (mag - down) / (up - down)
    return up if _rounds_up(nu, _enumerated_parities(fmt)[down], negative, opts) else down


def encode_by_enumeration(
    fmt: Format,
    x: Number,
    mode: str = "nearest_even",
    overflow: str | None = None,
    *,
    rbits: int = 0,
    nbits: int = 32,
    ftz: bool = False,
    nan_policy: str = "raise",
) -> int:
    """Same contract as :func:`encode` (formats of <= 12 bits), but the rounding
    neighbours of |x| and the parity of their codes come from the enumerated value list
    instead of the quantum formula.  Special values, range and overflow rules are shared
    with :func:`encode`.  For integer formats with ``overflow="wrap"``, x must lie within
    one step of the range."""
    if total_bits(fmt) > MAX_ENUMERATED_BITS:
        raise ValueError(f"{fmt} is too wide to enumerate")
    opts = _options(fmt, mode, overflow, rbits, nbits, ftz, nan_policy)
    return _encode(fmt, as_ref_value(x), opts, _round_by_search)
