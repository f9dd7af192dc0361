"""Rounding modes and overflow policies.

Every conversion in numsim is *exact-then-round-once*: the exact value of the input is rounded a
single time into the target format. The rounding mode chooses between the two representable
neighbours of an inexact value; the overflow policy decides what happens to values beyond the
largest finite number.

Example
-------
>>> from numsim import Rounding, Overflow
>>> Rounding.parse("rne") is Rounding.NEAREST_EVEN
True
>>> Overflow.parse("sat_finite")
<Overflow.SATURATE: 'saturate'>
"""

from __future__ import annotations

import difflib
from enum import Enum


class Rounding(str, Enum):
    """How an inexact value is rounded to one of its two representable neighbours.

    ``NEAREST_EVEN``
        Nearest; ties go to the neighbour whose code is even (IEEE 754 default). For formats
        without mantissa bits (E8M0) the even code is the even exponent.
    ``NEAREST_AWAY``
        Nearest; ties go to the larger magnitude.
    ``TOWARD_ZERO``, ``TOWARD_POSITIVE``, ``TOWARD_NEGATIVE``
        Directed rounding (truncation, ceiling, floor).
    ``TO_ODD``
        Truncate and, if inexact, pick the neighbour with the odd code (Boldo-Melquiond).
    ``STOCHASTIC_A``, ``STOCHASTIC_B``, ``STOCHASTIC_C``
        IEEE P3109 stochastic rounding with N random bits R in [0, 2^N). With residual nu in
        [0, 1) (the fraction of a quantum above the truncated value), the value rounds away from
        zero iff ``floor(nu 2^N) + R >= 2^N`` (A), ``floor(nu 2^(N+1)) + 2R + 1 >= 2^(N+1)`` (B,
        unbiased), or ``RNE(nu 2^N) + R >= 2^N`` (C). ``"stochastic"`` means A.
    """

    NEAREST_EVEN = "nearest_even"
    NEAREST_AWAY = "nearest_away"
    TOWARD_ZERO = "toward_zero"
    TOWARD_POSITIVE = "toward_positive"
    TOWARD_NEGATIVE = "toward_negative"
    TO_ODD = "to_odd"
    STOCHASTIC_A = "stochastic_a"
    STOCHASTIC_B = "stochastic_b"
    STOCHASTIC_C = "stochastic_c"

    @property
    def code(self) -> int:
        """Integer passed to the kernels (position in the declaration order)."""
        return _ROUNDING_ORDER.index(self)

    @property
    def is_stochastic(self) -> bool:
        return self in (Rounding.STOCHASTIC_A, Rounding.STOCHASTIC_B, Rounding.STOCHASTIC_C)

    @property
    def is_sign_symmetric(self) -> bool:
        """True when rounding -x gives exactly -(rounding x) for deterministic inputs."""
        return self not in (Rounding.TOWARD_POSITIVE, Rounding.TOWARD_NEGATIVE) and not self.is_stochastic

    @classmethod
    def parse(cls, value: Rounding | str, argument: str = "rounding") -> Rounding:
        """Accept a member, its value or an alias (``rne``, ``rna``, ``rtz``, ``rtp``, ``rtn``,
        ``rto``, ``stochastic``); raise :class:`ValueError` naming the allowed spellings."""
        return _parse_enum(cls, value, _ROUNDING_ALIASES, argument)

    def __str__(self) -> str:
        return self.value


class Overflow(str, Enum):
    """What happens to values beyond the largest finite number of a format.

    ``SATURATE``
        Finite overflow and infinite inputs clamp to +-max (P3109 SatFinite; OCP "saturating").
    ``SATURATE_KEEP_INF``
        Finite overflow clamps to +-max; infinite inputs stay infinite, or become NaN in a format
        without infinities (P3109 SatPropagate).
    ``NON_SATURATING``
        Overflow gives +-Inf, or NaN in a format without infinities (OCP "non-saturating",
        ml_dtypes' behaviour, P3109 SatNone). As in IEEE 754, rounding modes that point back toward
        zero (toward_zero, to_odd, toward_negative for positive values, toward_positive for
        negative values) give +-max instead.
    ``WRAP``
        Integers and fixed point only: keep the low bits (two's complement modulo 2^bits).
    """

    SATURATE = "saturate"
    SATURATE_KEEP_INF = "saturate_keep_inf"
    NON_SATURATING = "non_saturating"
    WRAP = "wrap"

    @property
    def code(self) -> int:
        return _OVERFLOW_ORDER.index(self)

    @classmethod
    def parse(cls, value: Overflow | str, argument: str = "overflow") -> Overflow:
        """Accept a member, its value or a P3109 alias (``sat_finite``, ``sat_propagate``,
        ``sat_none``)."""
        return _parse_enum(cls, value, _OVERFLOW_ALIASES, argument)

    def __str__(self) -> str:
        return self.value


_ROUNDING_ORDER = tuple(Rounding)
_OVERFLOW_ORDER = tuple(Overflow)

_ROUNDING_ALIASES = {
    "rne": Rounding.NEAREST_EVEN,
    "even": Rounding.NEAREST_EVEN,
    "rna": Rounding.NEAREST_AWAY,
    "rtz": Rounding.TOWARD_ZERO,
    "rtp": Rounding.TOWARD_POSITIVE,
    "rtn": Rounding.TOWARD_NEGATIVE,
    "rto": Rounding.TO_ODD,
    "stochastic": Rounding.STOCHASTIC_A,
}
_OVERFLOW_ALIASES = {
    "sat_finite": Overflow.SATURATE,
    "sat_propagate": Overflow.SATURATE_KEEP_INF,
    "sat_none": Overflow.NON_SATURATING,
}


def _parse_enum(cls, value, aliases, argument):
    if isinstance(value, cls):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a {cls.__name__} or a string, got {value!r} of type {type(value).__name__}")
    key = value.strip().lower()
    for member in cls:
        if member.value == key:
            return member
    if key in aliases:
        return aliases[key]
    allowed = [m.value for m in cls] + sorted(aliases)
    close = difflib.get_close_matches(key, allowed, n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(f"unknown {argument} {value!r}: allowed are {', '.join(allowed)}{hint}")
