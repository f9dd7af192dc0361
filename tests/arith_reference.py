"""Exact, slow reference model of elementwise floating-point arithmetic, used by the
tests as an oracle: add, sub, mul, div, fma and sqrt, each "exact, then round once".

Like :mod:`reference`, on which it builds, it is independent of ``numsim`` and computes
with ``fractions.Fraction`` and integers only; floats are accepted as inputs (read
exactly by :func:`reference.as_ref_value`) but no float arithmetic decides a result.

Each operation takes exact inputs (anything :func:`reference.as_ref_value` accepts:
RefValue, Python float, Fraction, int) and returns the exact result as a
:class:`reference.RefValue`, before any rounding.  The rounding mode is an argument
because it decides the sign of an exact zero sum.  :func:`rounded` rounds that result
once into a format with :func:`reference.encode`, which applies every range rule:
overflow, underflow, subnormals, ``ftz``, formats without Inf or NaN and ``nan_policy``
are not handled here.

Conventions (IEEE 754, generalised)
    1. NaN inputs: if any input is NaN, the result is NaN with the sign of the first NaN
       operand in argument order (a, then b, then c).  ``sub`` negates b only when b is
       not NaN, so a NaN b keeps its own sign.
    2. Invalid operations give the default NaN ``RefValue("nan", False, Fraction(0))``
       (positive): Inf - Inf (add of opposite-signed infinities, sub of same-signed
       ones), 0 * Inf, 0 / 0, Inf / Inf, sqrt of a negative nonzero number or of -Inf;
       for fma, a * b = 0 * Inf (checked after rule 1), or an infinite a * b and an
       infinite c of opposite signs.
    3. Infinities: Inf + finite = Inf (its sign); Inf * (nonzero finite or Inf) = Inf
       with the XOR of the signs; x / 0 for a finite nonzero x = Inf (sign XOR, division
       by zero); Inf / finite = Inf (sign XOR); finite / Inf = zero (sign XOR);
       sqrt(+Inf) = +Inf.  fma with an infinite product and a finite c gives that
       infinity; with a finite product and an infinite c, it gives c.
    4. Zeros and signs: mul and div give zeros the XOR of the signs (0 * finite, 0 /
       nonzero finite).  A sum is the exact sum; when it is zero, it is the common sign
       of two zero addends of the same sign, and in every other case (zeros of opposite
       signs, exact cancellation x + (-x) of nonzero values) +0, or -0 under mode
       "toward_negative".  For fma the addends are the exact product (sign: sign(a) XOR
       sign(b), also when it is zero) and c.  sqrt(+0) = +0, sqrt(-0) = -0.
    5. Finite nonzero results are exact Fractions, except the square root, which is
       generally irrational; see :func:`sqrt` for the value that stands in for it.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import reference as ref
from reference import Format, Number, RefValue

#: The positive NaN that invalid operations give.
DEFAULT_NAN = RefValue("nan", False, Fraction(0))
#: Default number of significant bits of the integer root q in :func:`sqrt`.
SQRT_BITS = 200


# --------------------------------------------------------------------------- helpers


def _check_mode(mode: str) -> None:
    """ValueError unless mode is one of reference's rounding modes."""
    if mode not in ref.ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}")


def _first_nan(*values: RefValue) -> RefValue | None:
    """The first NaN among the operands (it carries its own sign), else None."""
    return next((v for v in values if v.kind == "nan"), None)


def _signed(v: RefValue) -> Fraction:
    """The signed value of a finite RefValue (the sign of zero is lost)."""
    return -v.mag if v.negative else v.mag


def _number(value: Fraction) -> RefValue:
    """A nonzero exact value as a RefValue."""
    return RefValue("num", value < 0, abs(value))


def _negate(v: RefValue) -> RefValue:
    """-v; a NaN keeps its sign."""
    return v if v.kind == "nan" else v._replace(negative=not v.negative)


def _is_zero(v: RefValue) -> bool:
    """Whether v is +0 or -0."""
    return v.kind == "num" and v.mag == 0


def _sum(x: RefValue, y: RefValue, mode: str) -> RefValue:
    """x + y for operands that are not NaN (rules 2, 3 and 4)."""
    if x.kind == "inf" and y.kind == "inf":
        return x if x.negative == y.negative else DEFAULT_NAN
    if x.kind == "inf":
        return x
    if y.kind == "inf":
        return y
    total = _signed(x) + _signed(y)
    if total != 0:
        return _number(total)
    if _is_zero(x) and _is_zero(y) and x.negative == y.negative:
        return x
    return RefValue("num", mode == "toward_negative", Fraction(0))


def _product(x: RefValue, y: RefValue) -> RefValue:
    """x * y for operands that are not NaN (rules 2, 3 and 4)."""
    negative = x.negative != y.negative
    if x.kind == "inf" or y.kind == "inf":
        if _is_zero(x) or _is_zero(y):
            return DEFAULT_NAN
        return RefValue("inf", negative, Fraction(0))
    return RefValue("num", negative, x.mag * y.mag)


# ------------------------------------------------------------------------ operations


def add(a: Number, b: Number, mode: str) -> RefValue:
    """The exact a + b."""
    _check_mode(mode)
    a, b = ref.as_ref_value(a), ref.as_ref_value(b)
    nan = _first_nan(a, b)
    return _sum(a, b, mode) if nan is None else nan


def sub(a: Number, b: Number, mode: str) -> RefValue:
    """The exact a - b, that is a + (-b) (a NaN b keeps its sign)."""
    return add(a, _negate(ref.as_ref_value(b)), mode)


def mul(a: Number, b: Number, mode: str) -> RefValue:
    """The exact a * b (the mode is only checked: no zero sign depends on it)."""
    _check_mode(mode)
    a, b = ref.as_ref_value(a), ref.as_ref_value(b)
    nan = _first_nan(a, b)
    return _product(a, b) if nan is None else nan


def div(a: Number, b: Number, mode: str) -> RefValue:
    """The exact a / b (the mode is only checked: no zero sign depends on it)."""
    _check_mode(mode)
    a, b = ref.as_ref_value(a), ref.as_ref_value(b)
    nan = _first_nan(a, b)
    if nan is not None:
        return nan
    negative = a.negative != b.negative
    if a.kind == "inf":
        return DEFAULT_NAN if b.kind == "inf" else RefValue("inf", negative, Fraction(0))
    if b.kind == "inf":
        return RefValue("num", negative, Fraction(0))
    if b.mag == 0:
        return DEFAULT_NAN if a.mag == 0 else RefValue("inf", negative, Fraction(0))
    return RefValue("num", negative, a.mag / b.mag)


def fma(a: Number, b: Number, c: Number, mode: str) -> RefValue:
    """The exact a * b + c (one rounding later, in :func:`rounded`)."""
    _check_mode(mode)
    a, b, c = ref.as_ref_value(a), ref.as_ref_value(b), ref.as_ref_value(c)
    nan = _first_nan(a, b, c)
    if nan is not None:
        return nan
    product = _product(a, b)
    return product if product.kind == "nan" else _sum(product, c, mode)


def sqrt(a: Number, mode: str, bits: int = SQRT_BITS) -> RefValue:
    """The square root of a: exact when it is a dyadic rational of at most ``bits``
    significant bits, else a stand-in value that rounds as the true root would.

    For a positive finite x, k is chosen so that q = floor(sqrt(x) * 2**k) (computed
    with ``math.isqrt`` on the exact integer floor(x * 4**k)) has at least ``bits``
    significant bits; k is negative for x >= 2**(2 * bits) or so.  If q**2 == x * 4**k,
    the root is q / 2**k exactly (always the case when the root is a dyadic rational of
    at most ``bits`` significant bits, as q >= 2**(bits - 1)).  Otherwise the root lies
    strictly inside (q / 2**k, (q + 1) / 2**k) and the midpoint (2q + 1) / 2**(k + 1)
    is returned.  The mode is only checked: no zero sign depends on it.

    Why the midpoint rounds like the root: a rounding decision compares the value with
    thresholds (grid points, midpoints between them, and for stochastic modes with n
    random bits the points at 1/2**(n + 1) steps of the gap between grid points).  When
    these thresholds near sqrt(x) are multiples of 2**-k, none lies strictly inside
    the interval, and the root and the midpoint (both strictly inside, neither equal to
    a threshold) are on the same side of every one.  For a float format of M trailing
    significand bits near sqrt(x), the gap is at least 2**(bits - 1 - k - M), so this
    holds whenever M + n + 2 <= bits (n = 0 for the deterministic modes): with the
    default bits = 200, for every format of up to 166 trailing bits in every mode.
    """
    _check_mode(mode)
    if bits < 1:
        raise ValueError(f"need bits >= 1, got {bits}")
    x = ref.as_ref_value(a)
    if x.kind == "nan" or _is_zero(x):
        return x
    if x.negative:
        return DEFAULT_NAN
    if x.kind == "inf":
        return x
    k = bits - 1 - ref.floor_log2(x.mag) // 2  # sqrt(x) >= 2**(floor_log2(x) // 2)
    scaled = x.mag * ref.pow2(2 * k)
    q = math.isqrt(math.floor(scaled))
    if q * q == scaled:
        return RefValue("num", False, q * ref.pow2(-k))
    return RefValue("num", False, (2 * q + 1) * ref.pow2(-k - 1))


OPERATIONS: dict[str, Callable[..., RefValue]] = {
    "add": add,
    "sub": sub,
    "mul": mul,
    "div": div,
    "fma": fma,
    "sqrt": sqrt,
}


def rounded(
    op: str,
    fmt: Format,
    *args: Number,
    mode: str = "nearest_even",
    overflow: str | None = None,
    rbits: int = 0,
    nbits: int = 32,
    ftz: bool = False,
    nan_policy: str = "zero",
) -> int:
    """The code of op(*args) computed exactly and rounded once into ``fmt``:
    ``reference.encode(fmt, exact, mode, overflow, rbits=..., nbits=..., ftz=...,
    nan_policy=...)``.  ``op`` is a key of :data:`OPERATIONS`."""
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}; expected one of {sorted(OPERATIONS)}")
    exact = OPERATIONS[op](*args, mode)
    return ref.encode(
        fmt, exact, mode, overflow, rbits=rbits, nbits=nbits, ftz=ftz, nan_policy=nan_policy
    )
