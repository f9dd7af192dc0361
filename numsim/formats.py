"""Scalar number formats: floating point, integer and fixed point.

Formats are frozen, hashable value objects. They describe an encoding and answer questions about
it (largest value, smallest normal, machine epsilon, the set of values); the free functions in
:mod:`numsim.codecs` convert numbers to and from them.

Float encoding (:class:`FloatFormat`): a code is ``sign | exponent field e | mantissa field f``
(no sign bit for unsigned formats). Normal numbers (e >= 1) are ``2^(e - bias) (1 + f / 2^M)``,
subnormals (e = 0) ``2^(1 - bias) f / 2^M``. The *specials style* says which codes are NaN or
infinite and whether -0 exists:

============  ==================================================================  ==============
style         special codes                                                       examples
============  ==================================================================  ==============
``ieee``      top exponent field reserved: f = 0 is +-Inf, f != 0 NaN; -0 exists  fp16, bf16, e5m2
``fn``        one NaN per sign at the all-ones code; no Inf; -0 exists           OCP e4m3fn
``fnuz``      one NaN at the would-be -0 code; no Inf; no -0                      e4m3fnuz, P3109 ...sf
``none``      every code is a number; -0 exists                                   fp6, fp4 (e2m1)
``extended``  P3109 Extended: +-Inf at the top codes, one NaN; no -0             P3109 ...se / ...ue
``fnu``       unsigned exponent scale: NaN at all-ones, no zero, the e = 0 field   OCP E8M0 scale
              is an ordinary binade
============  ==================================================================  ==============

Example
-------
>>> from numsim import FloatFormat
>>> e4m3 = FloatFormat(4, 3, specials="fn")
>>> e4m3.max, e4m3.min_normal, e4m3.min_subnormal, e4m3.name
(448.0, 0.015625, 0.001953125, 'float8_e4m3fn')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from . import _grammar, _lazy
from ._checks import check_bool, check_int
from .rounding import Overflow

if TYPE_CHECKING:
    import numpy as np

MAX_BITS = 32
"""Widest format (total bits, sign included) numsim emulates."""

TABLE_BITS = 16
"""Formats of at most this many bits decode through a table and support :meth:`Format.values`."""


class Specials(str, Enum):
    """Special-value style of a :class:`FloatFormat` (see the module docstring)."""

    IEEE = "ieee"
    FN = "fn"
    FNUZ = "fnuz"
    NONE = "none"
    EXTENDED = "extended"
    FNU = "fnu"

    def __str__(self) -> str:
        return self.value


class Format:
    """Common interface of every scalar format (not instantiated directly)."""

    __slots__ = ()

    bits: int

    @property
    def name(self) -> str:
        """Canonical name; ``numsim.get_format(fmt.name) == fmt``."""
        return _grammar.format_name(self)

    @property
    def num_codes(self) -> int:
        """Number of bit patterns, 2^bits (non-canonical and NaN codes included)."""
        return 1 << self.bits

    @property
    def code_dtype(self) -> np.dtype:
        """Smallest unsigned NumPy dtype holding a code."""
        import numpy as np

        return np.dtype(np.uint8 if self.bits <= 8 else np.uint16 if self.bits <= 16 else np.uint32)

    def values(self) -> np.ndarray:
        """Decoded value of every code, indexed by code (float64; NaN codes give NaN).

        Only for formats of at most 16 bits.
        """
        if self.bits > TABLE_BITS:
            raise ValueError(f"values() enumerates formats of at most {TABLE_BITS} bits; {self.name} has {self.bits}")
        return _lazy.load("codecs", "Format.values()").decode_table(self).copy()

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, repr=False)
class FloatFormat(Format):
    """A binary floating-point format.

    Parameters
    ----------
    exp_bits : int
        Exponent field width E (>= 1).
    man_bits : int
        Stored (trailing) mantissa width M (>= 0); precision is M + 1.
    bias : int, optional
        Exponent bias; default 2^(E-1) for ``fnuz`` and ``extended`` (P3109, AMD FNUZ), else
        2^(E-1) - 1.
    subnormals : bool, optional
        Whether e = 0 codes are subnormal numbers (default) or zeros. ``fnu`` formats have no
        subnormals; formats with M = 0 have no subnormal values and keep ``True``.
    specials : str or Specials
        Special-value style, one of ``ieee`` (default), ``fn``, ``fnuz``, ``none``, ``extended``,
        ``fnu``.
    signed : bool, optional
        Whether there is a sign bit (default True; ``fnu`` formats are unsigned).

    Total width ``signed + E + M`` is at most 32 bits and every value must be exactly
    representable in float64.
    """

    exp_bits: int
    man_bits: int
    bias: int | None = None
    subnormals: bool | None = None
    specials: Specials | str = Specials.IEEE
    signed: bool | None = field(default=None)

    def __post_init__(self) -> None:
        E = check_int("exp_bits", self.exp_bits, 1)
        M = check_int("man_bits", self.man_bits, 0)
        try:
            style = Specials(self.specials.strip().lower() if isinstance(self.specials, str) else self.specials)
        except ValueError:
            allowed = ", ".join(s.value for s in Specials)
            raise ValueError(f"specials must be one of {allowed}, got {self.specials!r}") from None
        signed = style is not Specials.FNU if self.signed is None else check_bool("signed", self.signed)
        if style is Specials.FNU and signed:
            raise ValueError("specials='fnu' describes unsigned exponent scales (like E8M0): signed must be False")
        if style is Specials.FNUZ and not signed:
            raise ValueError("specials='fnuz' puts NaN at the negative-zero code and needs signed=True")
        if self.subnormals is None:
            subnormals = style is not Specials.FNU
        else:
            subnormals = check_bool("subnormals", self.subnormals)
            if style is Specials.FNU and subnormals:
                raise ValueError("specials='fnu' has no subnormals (its e = 0 field is a normal binade): use subnormals=False")
        if M == 0 and style is not Specials.FNU:
            subnormals = True  # no subnormal values exist: one canonical spelling
        bits = int(signed) + E + M
        if bits > MAX_BITS:
            raise ValueError(f"total width sign + exp_bits + man_bits must be <= {MAX_BITS} bits, got {bits} (E={E}, M={M}, signed={signed})")
        if bits < 2:
            raise ValueError(f"a float format needs at least 2 bits in total, got {bits}")
        default_bias = (1 << (E - 1)) if style in (Specials.FNUZ, Specials.EXTENDED) else (1 << (E - 1)) - 1
        bias = default_bias if self.bias is None else self.bias
        bias = check_int("bias", bias, -(1 << 20), 1 << 20)
        for name, value in (("exp_bits", E), ("man_bits", M), ("bias", bias), ("subnormals", subnormals), ("specials", style), ("signed", signed)):
            object.__setattr__(self, name, value)
        if self._max_mag_code < self._min_normal_code:
            raise ValueError(
                f"exp_bits={E}, man_bits={M} with specials={style.value!r} leaves no finite normal numbers; "
                "use more exponent bits or another specials style"
            )
        emax = self._field_exponent(self._max_mag_code >> M)
        if emax > 1023 or self.emin - M < -1074:
            raise ValueError(
                f"bias={bias} puts the exponent range [{self.emin - M}, {emax}] of e{E}m{M} outside float64 "
                "(values must be exactly representable in float64: smallest quantum >= 2^-1074, emax <= 1023)"
            )

    # ---- encoding geometry -------------------------------------------------------------------
    @property
    def bits(self) -> int:  # type: ignore[override]
        """Total width in bits (sign included)."""
        return int(self.signed) + self.exp_bits + self.man_bits

    @property
    def is_signed(self) -> bool:
        return bool(self.signed)

    @property
    def _all_ones(self) -> int:
        return (1 << (self.exp_bits + self.man_bits)) - 1

    @property
    def _max_mag_code(self) -> int:
        ones = self._all_ones
        style = self.specials
        if style is Specials.IEEE:
            return ((1 << self.exp_bits) - 1 << self.man_bits) - 1
        if style in (Specials.FN, Specials.FNU):
            return ones - 1
        if style is Specials.EXTENDED:
            return ones - 1 if self.signed else ones - 2
        return ones  # fnuz, none

    @property
    def _min_normal_code(self) -> int:
        return 0 if self.specials is Specials.FNU else 1 << self.man_bits

    def _field_exponent(self, e_field: int) -> int:
        """Unbiased exponent of a normal exponent field."""
        return e_field - self.bias if self.specials is Specials.FNU or e_field > 0 else 1 - self.bias

    # ---- numpy.finfo-like properties ---------------------------------------------------------
    @property
    def precision(self) -> int:
        """Significand precision p = man_bits + 1 (bits)."""
        return self.man_bits + 1

    @property
    def nexp(self) -> int:
        return self.exp_bits

    @property
    def nmant(self) -> int:
        return self.man_bits

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal number."""
        return -self.bias if self.specials is Specials.FNU else 1 - self.bias

    @property
    def emax(self) -> int:
        """Exponent of the largest finite number."""
        return self._field_exponent(self._max_mag_code >> self.man_bits)

    @property
    def max(self) -> float:
        """Largest finite value."""
        M = self.man_bits
        f = self._max_mag_code & ((1 << M) - 1)
        return math.ldexp((1 << M) + f, self.emax - M)

    @property
    def min(self) -> float:
        """Most negative finite value (the smallest value for unsigned formats)."""
        if self.signed:
            return -self.max
        return self.min_normal if self.specials is Specials.FNU else 0.0

    @property
    def min_normal(self) -> float:
        """Smallest positive normal value 2^emin."""
        return math.ldexp(1.0, self.emin)

    smallest_normal = min_normal

    @property
    def min_subnormal(self) -> float:
        """Smallest positive value: 2^(emin - M) with subnormals, else the smallest normal."""
        if self.has_subnormals:
            return math.ldexp(1.0, self.emin - self.man_bits)
        return self.min_normal

    smallest_subnormal = min_subnormal

    @property
    def eps(self) -> float:
        """Machine epsilon 2^-M: the spacing of values in [1, 2)."""
        return math.ldexp(1.0, -self.man_bits)

    @property
    def has_subnormals(self) -> bool:
        return bool(self.subnormals) and self.man_bits > 0 and self.specials is not Specials.FNU

    @property
    def has_inf(self) -> bool:
        return self.specials in (Specials.IEEE, Specials.EXTENDED)

    @property
    def has_nan(self) -> bool:
        if self.specials is Specials.IEEE:
            return self.man_bits > 0
        return self.specials is not Specials.NONE

    @property
    def has_zero(self) -> bool:
        return self.specials is not Specials.FNU

    @property
    def has_negative_zero(self) -> bool:
        return bool(self.signed) and self.specials in (Specials.IEEE, Specials.FN, Specials.NONE)

    @property
    def default_overflow(self) -> Overflow:
        """Non-saturating where the format has Inf or NaN (like ml_dtypes and OCP FP8's default
        conversion), else saturating."""
        return Overflow.NON_SATURATING if (self.has_inf or self.has_nan) else Overflow.SATURATE

    @property
    def specials_summary(self) -> str:
        """Short human-readable description of the special values."""
        parts = []
        if self.has_inf:
            parts.append("+-Inf" if self.signed else "+Inf")
        if self.has_nan:
            count = {Specials.IEEE: "NaNs", Specials.FN: "NaN" + (" x2" if self.signed else "")}.get(self.specials, "NaN")
            parts.append(count)
        if self.has_negative_zero:
            parts.append("-0")
        if not self.has_zero:
            parts.append("no zero")
        if not self.has_subnormals and self.man_bits > 0 and self.has_zero:
            parts.append("no subnormals")
        return ", ".join(parts) if parts else "finite"

    def __repr__(self) -> str:
        return (
            f"FloatFormat(exp_bits={self.exp_bits}, man_bits={self.man_bits}, bias={self.bias}, "
            f"subnormals={self.subnormals}, specials={self.specials.value!r}, signed={self.signed})"
        )


class _FixedPoint(Format):
    """Shared behaviour of two's-complement / unsigned integer and fixed-point formats."""

    __slots__ = ()

    bits: int
    signed: bool
    symmetric: bool
    sign_magnitude: bool

    @property
    def _frac(self) -> int:
        raise NotImplementedError

    def _validate(self) -> None:
        check_int("bits", self.bits, 1, MAX_BITS)
        check_bool("signed", self.signed)
        check_bool("symmetric", self.symmetric)
        if check_bool("sign_magnitude", self.sign_magnitude):
            if not self.signed:
                raise ValueError("sign_magnitude=True needs signed=True")
            object.__setattr__(self, "symmetric", True)  # the range of a sign-magnitude integer is symmetric
        if self.symmetric and not self.signed:
            raise ValueError("symmetric=True drops the most negative two's-complement code and needs signed=True")
        if self.symmetric and self.bits < 2:
            raise ValueError("a symmetric or sign-magnitude integer format needs at least 2 bits")

    @property
    def is_signed(self) -> bool:
        return self.signed

    @property
    def min_int(self) -> int:
        """Smallest integer code value (before the 2^-frac_bits scale)."""
        if not self.signed:
            return 0
        return -(1 << (self.bits - 1)) + int(self.symmetric)

    @property
    def max_int(self) -> int:
        """Largest integer code value (before the 2^-frac_bits scale)."""
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def resolution(self) -> float:
        """Spacing of adjacent values, 2^-frac_bits."""
        return math.ldexp(1.0, -self._frac)

    @property
    def max(self) -> float:
        return math.ldexp(self.max_int, -self._frac)

    @property
    def min(self) -> float:
        return math.ldexp(self.min_int, -self._frac)

    @property
    def bias(self) -> int:
        """Integers have no exponent bias (0)."""
        return 0

    @property
    def min_normal(self) -> float:
        """Smallest positive value (the resolution); integers have no subnormals."""
        return self.resolution

    @property
    def min_subnormal(self) -> float:
        return self.resolution

    @property
    def eps(self) -> float:
        """Spacing of values (the resolution 2^-frac_bits)."""
        return self.resolution

    has_inf = False
    has_nan = False
    has_zero = True
    has_negative_zero = False
    has_subnormals = False

    @property
    def default_overflow(self) -> Overflow:
        return Overflow.SATURATE

    @property
    def specials_summary(self) -> str:
        return "sign-magnitude" if self.sign_magnitude else "symmetric" if self.symmetric else "finite"


@dataclass(frozen=True, slots=True, repr=False)
class IntFormat(_FixedPoint):
    """A ``bits``-wide integer: two's complement when signed, optionally symmetric.

    ``symmetric=True`` drops the most negative code (range +-(2^(bits-1) - 1)), as used for
    weights. Codes are the two's-complement bit patterns, or sign and magnitude with
    ``sign_magnitude=True`` (symmetric range; the -0 code decodes to 0 and is never produced).

    >>> IntFormat(8).max, IntFormat(8).min, IntFormat(8, symmetric=True).min
    (127.0, -128.0, -127.0)
    """

    bits: int
    signed: bool = True
    symmetric: bool = False
    sign_magnitude: bool = False

    def __post_init__(self) -> None:
        self._validate()

    @property
    def frac_bits(self) -> int:
        return 0

    @property
    def _frac(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"IntFormat(bits={self.bits}, signed={self.signed}, symmetric={self.symmetric}, sign_magnitude={self.sign_magnitude})"


@dataclass(frozen=True, slots=True, repr=False)
class FixedFormat(_FixedPoint):
    """A ``bits``-wide fixed-point number with ``frac_bits`` fraction bits: value = n 2^-frac_bits.

    ``frac_bits`` may be negative or exceed ``bits`` (-64 .. 64).

    >>> FixedFormat(8, 6).max   # the MXINT8 element, 1.6 fixed point
    1.984375
    """

    bits: int
    frac_bits: int
    signed: bool = True
    symmetric: bool = False
    sign_magnitude: bool = False

    def __post_init__(self) -> None:
        self._validate()
        check_int("frac_bits", self.frac_bits, -64, 64)

    @property
    def _frac(self) -> int:
        return self.frac_bits

    def __repr__(self) -> str:
        return (
            f"FixedFormat(bits={self.bits}, frac_bits={self.frac_bits}, signed={self.signed}, "
            f"symmetric={self.symmetric}, sign_magnitude={self.sign_magnitude})"
        )


def significand_bits(fmt: Format) -> int:
    """Most significant bits any value of ``fmt`` needs: the precision of a float format, the
    magnitude bits of an integer or fixed-point one.

    >>> significand_bits(FloatFormat(4, 3)), significand_bits(IntFormat(8))
    (4, 7)
    """
    if isinstance(fmt, FloatFormat):
        return fmt.precision
    return fmt.bits - 1 if fmt.signed else fmt.bits
