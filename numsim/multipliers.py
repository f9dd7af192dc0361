"""Multipliers: the exact product and the approximate multipliers hardware papers propose.

A multiplier is a frozen spec object; :func:`numsim.mul` takes it as ``multiplier=`` and a
:class:`numsim.Datapath` uses it for every product of a dot product. Each one documents its
semantics bit for bit; the result of an approximate multiplier is an exact number (a code of the
input format for the float multipliers, an integer for the integer ones), which the caller then
rounds where the datapath says.

Float multipliers (operands of one :class:`~numsim.FloatFormat`):

- :class:`LMul` - Luo and Sun's L-Mul: one integer addition of the sign-less bit patterns,
  ``|r| = |a| + |b| - OFFSET`` with ``OFFSET = (bias << m) - (1 << (m - l(m)))``, sign
  ``sign(a) xor sign(b)``; mantissa overflow carries into the exponent (single and double carry).
  ``l(m) = m`` for ``m <= 3``, 3 for ``m = 4``, 4 for ``m > 4``.
- :class:`Mitchell` - the same adder without the correction (``OFFSET = bias << m``):
  Mitchell's logarithmic multiplier applied to floats. On integer formats it is Mitchell's 1962
  integer multiplier.

Integer multipliers (operands of :class:`~numsim.IntFormat` / :class:`~numsim.FixedFormat`; they
act on the raw integers ``value * 2^frac_bits``, signed operands in sign-magnitude: the
magnitudes are multiplied and the sign applied afterwards):

- :class:`Mitchell` - ``A = 2^k1 (1 + x1)``, ``B = 2^k2 (1 + x2)``:
  ``P = 2^(k1+k2) (1 + x1 + x2)`` if ``x1 + x2 < 1``, else ``2^(k1+k2+1) (x1 + x2)``.
- :class:`DRUM` - Hashemi, Bahar and Reda's DRUM-k: keep the k bits from the leading one, force
  the lowest of them to 1, multiply, shift back.
- :class:`Truncated` - broken-array multiplier (Mahdiani et al.): partial-product bits
  ``a_j b_i 2^(i+j)`` are dropped for rows ``i < hbl`` and columns ``i + j < vbl``.
- :class:`Lookup` - any product table indexed by the two operand codes (EvoApproxLib style).

>>> import numsim
>>> numsim.mul(1.0, 1.0, "e4m3", multiplier=numsim.LMul()).tolist()  # 0x38 + 0x38 - 0x37 = 0x39
1.125
>>> numsim.mul(200, 100, "int32", a_format="uint8", b_format="uint8", multiplier=numsim.DRUM(4)).tolist()
21632.0
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from . import _lazy
from ._checks import check_choice, check_int
from ._syntax import GrammarError, read_call, read_int
from .formats import FixedFormat, FloatFormat, Format, IntFormat
from .registry import get_format

_LMUL_SEMANTICS = ("integer", "literal")
_INPUT_ROUNDINGS = ("truncate", "nearest_even")
#: The keyword switches of the integer-adder multipliers (:class:`LMul`, :class:`Mitchell`).
_SWITCHES = ("semantics", "input_rounding", "zero", "subnormal", "underflow", "overflow", "specials")
_ZERO_POLICIES = ("signed", "positive", "raw")
_SUBNORMAL_POLICIES = ("flush", "raw")
_UNDERFLOW_POLICIES = ("flush", "positive_zero", "pass", "wrap")
_OVERFLOW_POLICIES = ("inf", "saturate", "nan", "wrap")
_SPECIALS_POLICIES = ("ieee", "raw")


class Multiplier:
    """Base class of the multiplier specs."""

    commutative = True

    @property
    def name(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.name

    def check(self, a_format: Format, b_format: Format) -> None:
        """Raise ``ValueError`` unless this multiplier can multiply values of these formats."""
        raise NotImplementedError


@dataclass(frozen=True)
class Exact(Multiplier):
    """The exact product (what a correct multiplier array computes before any rounding).

    >>> Exact().name
    'exact'
    """

    @property
    def name(self) -> str:
        return "exact"

    def check(self, a_format: Format, b_format: Format) -> None:
        return None


def lmul_l(m: int) -> int:
    """L-Mul's correction exponent l(m) for ``m`` mantissa bits: m for m <= 3, 3 for m = 4, 4 above.

    >>> [lmul_l(m) for m in (1, 2, 3, 4, 7, 23)]
    [1, 2, 3, 3, 4, 4]
    """
    m = check_int("m", m, 0)
    return m if m <= 3 else (3 if m == 4 else 4)


@dataclass(frozen=True)
class _LogAdder(Multiplier):
    """Switches shared by the float integer-adder multipliers (see :class:`LMul`)."""

    semantics: str = "integer"
    mantissa_bits: int | None = None
    input_rounding: str = "truncate"
    zero: str = "signed"
    subnormal: str = "flush"
    underflow: str = "flush"
    overflow: str | None = None
    specials: str = "ieee"

    def __post_init__(self) -> None:
        object.__setattr__(self, "semantics", check_choice("semantics", self.semantics, _LMUL_SEMANTICS))
        if self.mantissa_bits is not None:
            object.__setattr__(self, "mantissa_bits", check_int("mantissa_bits", self.mantissa_bits, 0, 31))
        object.__setattr__(self, "input_rounding", check_choice("input_rounding", self.input_rounding, _INPUT_ROUNDINGS))
        if self.mantissa_bits is None:  # no mantissa is cut: the rounding has no effect
            object.__setattr__(self, "input_rounding", _INPUT_ROUNDINGS[0])
        object.__setattr__(self, "zero", check_choice("zero", self.zero, _ZERO_POLICIES))
        object.__setattr__(self, "subnormal", check_choice("subnormal", self.subnormal, _SUBNORMAL_POLICIES))
        object.__setattr__(self, "underflow", check_choice("underflow", self.underflow, _UNDERFLOW_POLICIES))
        if self.overflow is not None:
            object.__setattr__(self, "overflow", check_choice("overflow", self.overflow, _OVERFLOW_POLICIES))
        object.__setattr__(self, "specials", check_choice("specials", self.specials, _SPECIALS_POLICIES))

    def _switches(self) -> list[str]:
        defaults = _LogAdder()
        out = [f"mantissa_bits={self.mantissa_bits}"] if self.mantissa_bits is not None else []
        for name in _SWITCHES:
            value = getattr(self, name)
            if value != getattr(defaults, name):
                out.append(f"{name}={value}")
        return out

    def kept_mantissa_bits(self, fmt: FloatFormat) -> int:
        """Mantissa bits the adder sees (``mantissa_bits``, or all of ``fmt``'s)."""
        return fmt.man_bits if self.mantissa_bits is None else self.mantissa_bits

    def offset_for(self, fmt: FloatFormat) -> int:
        """The constant subtracted from the sum of the two magnitudes on ``fmt``."""
        raise NotImplementedError

    def overflow_policy(self, fmt: FloatFormat) -> str:
        """The overflow switch, defaulting to ``inf`` where ``fmt`` has infinities, else ``saturate``."""
        return self.overflow if self.overflow is not None else ("inf" if fmt.has_inf else "saturate")

    def check(self, a_format: Format, b_format: Format) -> None:
        if not isinstance(a_format, FloatFormat) or not isinstance(b_format, FloatFormat):
            bad = a_format if not isinstance(a_format, FloatFormat) else b_format
            raise ValueError(f"{self.name} multiplies float bit patterns; {bad.name} is not a float format")
        if a_format != b_format:
            raise ValueError(f"{self.name} adds the bit patterns of one float format; got {a_format.name} and {b_format.name}")
        fmt = a_format
        if fmt.specials.value in ("fnu", "extended", "fnuz"):
            raise ValueError(f"{self.name} needs a float format with an IEEE-style sign and exponent field (ieee, fn or none), got {fmt.name}")
        if self.mantissa_bits is not None and self.mantissa_bits > fmt.man_bits:
            raise ValueError(f"mantissa_bits={self.mantissa_bits} exceeds the {fmt.man_bits} mantissa bits of {fmt.name}")
        ov = self.overflow_policy(fmt)
        if ov == "inf" and not fmt.has_inf:
            raise ValueError(f"overflow='inf' needs a format with infinities; {fmt.name} has none (use saturate, nan or wrap)")
        if ov == "nan" and not fmt.has_nan:
            raise ValueError(f"overflow='nan' needs a format with a NaN; {fmt.name} has none (use saturate or wrap)")
        self.offset_for(fmt)  # raises for an l beyond the mantissa


@dataclass(frozen=True)
class LMul(_LogAdder):
    """L-Mul (Luo and Sun, arXiv 2410.00907): a float product from one integer addition.

    With E exponent bits, m mantissa bits and bias B, the magnitudes (exponent and mantissa
    fields as one unsigned integer) are added: ``|r| = |a| + |b| - OFFSET``,
    ``OFFSET = (B << m) - (1 << (m - l))``, sign ``sign(a) xor sign(b)``. For normal inputs with
    mantissa fractions ``x, y`` and ``t = x + y + 2^-l`` the result is ``(1 + t) 2^(ea+eb)`` if
    ``t < 1``, ``t 2^(ea+eb+1)`` if ``1 <= t < 2`` and ``(t - 1) 2^(ea+eb+2)`` if ``t >= 2``
    (the carries of the adder). ``L(1, 1) = 1 + 2^-l``: L-Mul is not exact for powers of two.

    Parameters (the switches of the L-Mul reference; defaults are its reference policy)
    ----------
    l : int, optional
        Correction exponent; default ``l(k)`` of :func:`lmul_l` for the k mantissa bits used.
    offset : int, optional
        The whole constant OFFSET as an integer (overrides ``l``), e.g. a tuned ``0x3F76D000``.
    semantics : ``"integer"`` (default) or ``"literal"``
        ``literal`` returns the value of the printed formula ``(1 + x + y + 2^-l) 2^(ea+eb)``
        exactly: for ``1 + t >= 2`` that is ``((1 + t) / 2) 2^(ea+eb+1)``, which can end in
        half a unit of the format's last place (one bit more than a code holds; the caller
        rounds it where the datapath says). Overflow is judged on that value; an underflowing
        result takes the underflow policy on its truncated pattern.
    mantissa_bits : int, optional
        Quantize the input mantissas to this many bits first, by ``input_rounding``
        (``"truncate"`` or ``"nearest_even"``; a rounding past the largest finite magnitude
        truncates instead). ``l`` defaults to ``l(mantissa_bits)``.
    zero : ``"signed"`` | ``"positive"`` | ``"raw"``
        A zero operand gives a zero with the xor sign, +0, or enters the adder as magnitude 0.
    subnormal : ``"flush"`` | ``"raw"``
        A subnormal operand counts as a zero of its sign, or enters the adder as its pattern.
    underflow : ``"flush"`` | ``"positive_zero"`` | ``"pass"`` | ``"wrap"``
        When ``|r|`` is below the smallest normal pattern (exponent field <= 0): a zero with
        the xor sign, +0, the pattern itself when ``|r| >= 0`` (a subnormal; a signed zero when
        negative), or ``|r|`` modulo ``2^(E+m)``.
    overflow : ``"inf"`` | ``"saturate"`` | ``"nan"`` | ``"wrap"``, optional
        When ``|r|`` exceeds the largest finite pattern: signed infinity, the largest finite
        value, NaN, or ``|r|`` modulo ``2^(E+m)``. Default ``inf`` where the format has
        infinities, else ``saturate``.
    specials : ``"ieee"`` | ``"raw"``
        ``ieee``: NaN operands give NaN, ``Inf * x`` a signed infinity, ``Inf * 0`` NaN. ``raw``:
        NaN and infinity patterns enter the adder like any magnitude.

    >>> LMul().offset_for(FloatFormat(8, 23))  # fp32
    1064828928
    >>> hex(LMul().offset_for(FloatFormat(4, 3, specials="fn")))
    '0x37'
    >>> LMul(mantissa_bits=3).name
    'lmul(mantissa_bits=3)'
    """

    l: int | None = None
    offset: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.l is not None:
            object.__setattr__(self, "l", check_int("l", self.l, 0, 31))
        if self.offset is not None:
            object.__setattr__(self, "offset", check_int("offset", self.offset, 0, (1 << 32) - 1))

    @property
    def name(self) -> str:
        args = []
        if self.l is not None:
            args.append(f"l={self.l}")
        if self.offset is not None:
            args.append(f"offset={self.offset:#x}")
        args += self._switches()
        return "lmul" + (f"({', '.join(args)})" if args else "")

    def l_for(self, fmt: FloatFormat) -> int:
        """The correction exponent used on ``fmt``."""
        return self.l if self.l is not None else lmul_l(self.kept_mantissa_bits(fmt))

    def offset_for(self, fmt: FloatFormat) -> int:
        """``(B << m) - (1 << (m - l))``, or the explicit ``offset``."""
        if self.offset is not None:
            return self.offset
        m = fmt.man_bits
        l = self.l_for(fmt)
        if l > m:
            raise ValueError(f"l={l} exceeds the {m} mantissa bits of {fmt.name}: the correction 2^-l is below one unit of the mantissa")
        return (fmt.bias << m) - (1 << (m - l))


@dataclass(frozen=True)
class Mitchell(_LogAdder):
    """Mitchell's logarithmic multiplier (IRE Trans. EC-11(4), 1962).

    On float formats: the integer-adder multiplier of :class:`LMul` with ``OFFSET = bias << m``
    (no correction term), with the same switches; exact when either operand is a power of two,
    never above the exact product, at most 11.1 % below it. On integer and fixed-point formats:
    with ``|A| = 2^k1 (1 + x1)`` and ``|B| = 2^k2 (1 + x2)`` (``k`` the leading-one position),
    ``P = 2^(k1+k2) (1 + x1 + x2)`` if ``x1 + x2 < 1`` else ``2^(k1+k2+1) (x1 + x2)`` (an integer;
    zero operands give 0; the sign is applied afterwards).

    >>> Mitchell().offset_for(FloatFormat(8, 7))  # bfloat16: 0x3F80
    16256
    """

    @property
    def name(self) -> str:
        args = self._switches()
        return "mitchell" + (f"({', '.join(args)})" if args else "")

    def offset_for(self, fmt: FloatFormat) -> int:
        return fmt.bias << fmt.man_bits

    def check(self, a_format: Format, b_format: Format) -> None:
        if isinstance(a_format, FloatFormat) or isinstance(b_format, FloatFormat):
            super().check(a_format, b_format)
        else:
            _check_integer_operands(self, a_format, b_format)


def _check_integer_operands(mult: Multiplier, a_format: Format, b_format: Format, max_bits: int = 26) -> None:
    for fmt in (a_format, b_format):
        if not isinstance(fmt, (IntFormat, FixedFormat)):
            raise ValueError(f"{mult.name} multiplies integers; {fmt.name} is not an integer or fixed-point format")
        if fmt.bits > max_bits:
            raise ValueError(f"{mult.name} takes operands of at most {max_bits} bits (the product must be exact in float64); {fmt.name} has {fmt.bits}")


@dataclass(frozen=True)
class DRUM(Multiplier):
    """DRUM-k (Hashemi, Bahar, Reda, ICCAD 2015) on integer magnitudes.

    An operand with its leading one at position ``p >= k`` keeps the k bits from the leading one
    with the lowest of them forced to 1: ``a' = ((a >> s) | 1) << s``, ``s = p - k + 1``; smaller
    operands are used exactly. The product of the two is exact.

    >>> DRUM(4).name
    'drum(4)'
    """

    k: int = 6

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", check_int("k", self.k, 1, 32))

    @property
    def name(self) -> str:
        return f"drum({self.k})"

    def check(self, a_format: Format, b_format: Format) -> None:
        _check_integer_operands(self, a_format, b_format)


@dataclass(frozen=True)
class Truncated(Multiplier):
    """Broken-array (truncated) multiplier of Mahdiani et al. (IEEE TCAS-I 57(4), 2010).

    On magnitudes ``a = sum a_j 2^j`` and ``b = sum b_i 2^i`` it keeps only the partial-product
    bits of rows ``i >= hbl`` whose column ``i + j >= vbl``:
    ``P = sum_{i >= hbl} sum_{j: i+j >= vbl} a_j b_i 2^(i+j)``. ``vbl = n`` drops the n low
    columns of a fixed-width truncated multiplier. Never above the exact product.

    >>> Truncated(vbl=8).name
    'truncated(vbl=8)'
    """

    vbl: int = 0
    hbl: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "vbl", check_int("vbl", self.vbl, 0, 64))
        object.__setattr__(self, "hbl", check_int("hbl", self.hbl, 0, 32))

    @property
    def commutative(self) -> bool:  # type: ignore[override]
        """Rows are bits of b, so a horizontal break makes the product depend on operand order."""
        return self.hbl == 0

    @property
    def name(self) -> str:
        args = [f"{k}={getattr(self, k)}" for k in ("vbl", "hbl") if getattr(self, k)]
        return "truncated" + (f"({', '.join(args)})" if args else "")

    def check(self, a_format: Format, b_format: Format) -> None:
        _check_integer_operands(self, a_format, b_format)


@dataclass(frozen=True, eq=False)
class Lookup(Multiplier):
    """A product table (EvoApproxLib and TFApprox style): ``P = table[code(a), code(b)]``.

    ``table`` has shape ``(2^bits_a, 2^bits_b)`` for operand formats of at most 8 bits; it is
    indexed by the operand codes (two's-complement or sign-magnitude patterns as the formats
    store them) and holds integer products in units of ``2^-(frac_a + frac_b)``. ``name`` labels
    the table in reports. ``commutative`` is detected from the table.

    >>> exact = np.outer(np.arange(16), np.arange(16))
    >>> Lookup(exact, name="mul4u").name
    'lookup(mul4u)'
    """

    table: np.ndarray = field(default=None)  # type: ignore[assignment]
    name_: str | None = field(default=None, repr=False)

    def __init__(self, table, name: str | None = None) -> None:
        arr = np.asarray(table)
        if arr.ndim != 2 or arr.shape[0] not in _POW2_UP_TO_256 or arr.shape[1] not in _POW2_UP_TO_256:
            raise ValueError(f"table must be a 2-D array of shape (2^bits_a, 2^bits_b) with at most 256 x 256 entries, got shape {arr.shape}")
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
                raise TypeError(f"table must hold integers, got dtype {arr.dtype}")
        if np.any(np.abs(arr.astype(np.float64)) >= 2.0**53):
            raise ValueError("table entries must have magnitude below 2^53")
        arr = np.array(arr, dtype=np.int64)
        arr.flags.writeable = False
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        object.__setattr__(self, "table", arr)
        object.__setattr__(self, "name_", name)

    @property
    def commutative(self) -> bool:  # type: ignore[override]
        return self.table.shape[0] == self.table.shape[1] and bool(np.array_equal(self.table, self.table.T))

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.table.tobytes() + str(self.table.shape).encode()).hexdigest()[:8]

    @property
    def name(self) -> str:
        return f"lookup({self.name_ or self.digest})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Lookup) and self.table.shape == other.table.shape and bool(np.array_equal(self.table, other.table))

    def __hash__(self) -> int:
        return hash(("lookup", self.digest))

    def check(self, a_format: Format, b_format: Format) -> None:
        _check_integer_operands(self, a_format, b_format, max_bits=8)
        want = (1 << a_format.bits, 1 << b_format.bits)
        if self.table.shape != want:
            raise ValueError(f"{self.name} has shape {self.table.shape}; operands of {a_format.name} x {b_format.name} need {want}")


_POW2_UP_TO_256 = {1 << i for i in range(1, 9)}

MULTIPLIERS = {"exact": Exact, "lmul": LMul, "mitchell": Mitchell, "drum": DRUM, "truncated": Truncated}

MULTIPLIER_SPELLINGS = (
    "exact, lmul[(mantissa_bits=M, l=L, offset=0x..., SWITCH=...)], mitchell[(mantissa_bits=M, SWITCH=...)], "
    "drum(K), truncated(vbl=V[, hbl=H]); switches: " + ", ".join(_SWITCHES)
)
_INT_PARAMS = ("mantissa_bits", "l", "offset", "k", "vbl", "hbl")
_PARAMS = {
    "exact": (),
    "lmul": ("mantissa_bits", "l", "offset") + _SWITCHES,
    "mitchell": ("mantissa_bits",) + _SWITCHES,
    "drum": ("k",),
    "truncated": ("vbl", "hbl"),
}


def get_multiplier(spec, argument: str = "multiplier", *, source: str | None = None, offset: int = 0) -> Multiplier:
    """A multiplier from a spec object or its spelling; ``get_multiplier(m.name) == m`` for every
    multiplier except :class:`Lookup` (its table is not spelled out: pass the object).

    Positional arguments fill the first parameters (``lmul(3)`` is ``lmul(mantissa_bits=3)``,
    ``drum(6)`` is ``drum(k=6)``); ``m`` is short for ``mantissa_bits``. ``argument`` names the
    value in errors; ``source`` and ``offset`` place the spelling inside a longer string.

    >>> get_multiplier("lmul(mantissa_bits=3)") == LMul(mantissa_bits=3)
    True
    >>> get_multiplier("truncated(vbl=8)").name
    'truncated(vbl=8)'
    """
    if spec is None:
        return Exact()
    if isinstance(spec, Multiplier):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"{argument} must be a multiplier spec (Exact(), LMul(...), Mitchell(...), DRUM(k), Truncated(...), Lookup(table)) or its spelling, got {spec!r}")
    source = spec if source is None else source
    call = read_call(spec, argument, offset, MULTIPLIER_SPELLINGS, source)
    call = call._replace(kwargs=tuple(("mantissa_bits" if k == "m" else k, v, p) for k, v, p in call.kwargs))
    if call.name == "lookup":
        raise GrammarError(argument, source, call.offset, "a product table is not spelled out in a string: pass the Lookup(table) object", MULTIPLIER_SPELLINGS)
    if call.name not in _PARAMS:
        raise GrammarError(argument, source, call.offset, f"unknown multiplier {call.name!r}", MULTIPLIER_SPELLINGS, call.name, _PARAMS)
    bound = call.bind(_PARAMS[call.name], argument, source, MULTIPLIER_SPELLINGS)
    kwargs = {key: read_int(value, pos, key, argument, source) if key in _INT_PARAMS else value.lower() for key, (value, pos) in bound.items()}
    try:
        return MULTIPLIERS[call.name](**kwargs)
    except (TypeError, ValueError) as exc:
        raise GrammarError(argument, source, call.offset, str(exc), MULTIPLIER_SPELLINGS) from None


# ---- products ----------------------------------------------------------------------------------

TABLE_MAX_CODES = 256  # operand formats of at most 8 bits get a product table


def _lowered(user: str):
    return _lazy.load("_lower.multipliers", f"numsim.multipliers.{user}")


def product_values(mult: Multiplier, a: np.ndarray, b: np.ndarray, a_format: Format, b_format: Format) -> np.ndarray:
    """Exact values of ``mult``'s products of the representable float64 arrays ``a`` and ``b``
    (same shape); NaN where a float multiplier returns a NaN code."""
    mult.check(a_format, b_format)
    return _lowered("product_values").product_values(mult, a, b, a_format, b_format)


def product_table(mult: Multiplier, a_format: Format, b_format: Format) -> np.ndarray:
    """Every product of ``mult``: entry ``[i, j]`` is the exact value of the product of the
    ``a_format`` value with code ``i`` and the ``b_format`` value with code ``j`` (NaN where the
    multiplier returns a NaN). Operand formats of at most 8 bits; the table is read-only and
    cached, so a datapath of small formats multiplies by one lookup.

    >>> import numsim
    >>> e2m1 = numsim.get_format("e2m1")
    >>> t = product_table(LMul(), e2m1, e2m1)
    >>> float(t[numsim.encode(1.5, e2m1), numsim.encode(1.5, e2m1)])  # t = .5 + .5 + 2^-1: t * 2
    3.0
    """
    mult.check(a_format, b_format)
    for name, fmt in (("a_format", a_format), ("b_format", b_format)):
        if fmt.num_codes > TABLE_MAX_CODES:
            raise ValueError(f"product tables take formats of at most 8 bits, got {name}={fmt.name} ({fmt.bits} bits)")
    return _lowered("product_table").product_table(mult, a_format, b_format)


def multiply_codes(mult: Multiplier, a_codes, b_codes, fmt) -> np.ndarray:
    """Result codes of a float integer-adder multiplier (:class:`LMul`, :class:`Mitchell`) on codes
    of ``fmt``, bit for bit (the worked bit patterns of the L-Mul reference are of this form).
    The literal L-Mul formula is refused: its value is not always a code (use :func:`product_values`).

    >>> hex(int(multiply_codes(LMul(), 0x3F800000, 0x3F800000, "float32")))
    '0x3f880000'
    """
    f = get_format(fmt)
    if not isinstance(mult, _LogAdder):
        raise TypeError(f"multiply_codes takes LMul or Mitchell, got {mult!r}")
    if mult.semantics == "literal":
        raise ValueError("multiply_codes takes integer-adder semantics; the literal formula's value can fall between two codes (use product_values)")
    mult.check(f, f)
    a, b = np.broadcast_arrays(np.asarray(a_codes, np.int64), np.asarray(b_codes, np.int64))
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= f.num_codes):
        raise ValueError(f"codes of {f.name} lie in [0, {f.num_codes}), got values outside")
    return _lowered("multiply_codes").multiply_codes(mult, a, b, f)
