"""Accumulators of a dot-product datapath, and their grammar.

An accumulator is the register that sums the products (see :mod:`numsim.datapath` for the exact
semantics of each). Each prints as the string :func:`get_accumulator` reads back:

=========================================  ===================================================
spelling                                   accumulator
=========================================  ===================================================
``FMT[/ROUNDING][/OVERFLOW]``              :class:`FloatAccumulator`: a float format (``fp32``,
                                           ``bf16``, ``e5m7``...), non-default rounding and
                                           overflow after slashes (``fp32/toward_zero``)
``fixed<W,F>[/wrap|/saturate][/ROUNDING]`` :class:`FixedAccumulator`: a W-bit register (sign
                                           included) with F fraction bits
``kulisch``                                :class:`Kulisch`: exact
``fused(n=N, e=E, ...)``                   :class:`FusedMultiTerm`: a tensor-core block FMA
=========================================  ===================================================

>>> get_accumulator("fixed<40,8>/saturate")
FixedAccumulator(int_bits=32, frac_bits=8, overflow='saturate', rounding=<Rounding.TOWARD_NEGATIVE: 'toward_negative'>)
>>> get_accumulator("fp16/toward_zero").name
'fp16/toward_zero'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ._checks import check_choice, check_int
from ._syntax import GrammarError, read_call, read_int, split_top
from .formats import FixedFormat, FloatFormat, Format, IntFormat
from .registry import float_format, get_format, short_name
from .rounding import Overflow, Rounding




class Accumulator:
    """Base class of the accumulator specs."""

    exact = False

    @property
    def name(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.name

    @property
    def value_format(self) -> Format:
        """The format every intermediate sum is a value of."""
        raise NotImplementedError


@dataclass(frozen=True)
class FloatAccumulator(Accumulator):
    """A floating-point accumulator: each addition is rounded once into ``fmt``.

    >>> FloatAccumulator("bf16").name
    'bf16'
    >>> FloatAccumulator("fp32", "toward_zero").name
    'fp32/toward_zero'
    """

    fmt: FloatFormat | str = "float32"
    rounding: Rounding | str = Rounding.NEAREST_EVEN
    overflow: Overflow | str | None = None

    def __post_init__(self) -> None:
        fmt = float_format(self.fmt, "accumulator format")
        object.__setattr__(self, "fmt", fmt)
        object.__setattr__(self, "rounding", Rounding.parse(self.rounding))
        ov = fmt.default_overflow if self.overflow is None else Overflow.parse(self.overflow)
        if ov is Overflow.WRAP:
            raise ValueError(f"overflow='wrap' applies to fixed-point accumulators, not to {fmt.name}")
        object.__setattr__(self, "overflow", ov)

    @property
    def name(self) -> str:
        base = short_name(self.fmt)
        if self.rounding is not Rounding.NEAREST_EVEN:
            base += f"/{self.rounding.value}"
        if self.overflow is not self.fmt.default_overflow:
            base += f"/{self.overflow.value}"
        return base

    @property
    def value_format(self) -> FloatFormat:
        return self.fmt


@dataclass(frozen=True)
class FixedAccumulator(Accumulator):
    """A two's-complement fixed-point register of ``int_bits + frac_bits`` bits (sign included).

    Products are rounded to the quantum ``2^-frac_bits`` with ``rounding`` (default
    ``toward_negative``: dropping the low bits of a two's-complement word); ``overflow`` is
    ``"wrap"`` (modulo 2^width, order-independent) or ``"saturate"`` (clamp at every addition).
    An int32 MAC register is ``FixedAccumulator(32, 0)``.

    >>> FixedAccumulator(32, 0).name
    'fixed<32,0>/wrap'
    """

    int_bits: int = 32
    frac_bits: int = 0
    overflow: str = "wrap"
    rounding: Rounding | str = Rounding.TOWARD_NEGATIVE

    def __post_init__(self) -> None:
        ib = check_int("int_bits", self.int_bits, 1 - 62, 62)
        fb = check_int("frac_bits", self.frac_bits, -62, 62)
        width = ib + fb
        if not 2 <= width <= 62:
            raise ValueError(f"a fixed accumulator needs a width int_bits + frac_bits in 2..62 bits, got {width} ({ib} + {fb})")
        ov = check_choice("overflow of a fixed accumulator", self.overflow, ("wrap", "saturate"))
        mode = Rounding.parse(self.rounding)
        if mode.is_stochastic:
            raise ValueError(f"rounding of a fixed accumulator must be deterministic, got {mode.value!r}")
        object.__setattr__(self, "int_bits", ib)
        object.__setattr__(self, "frac_bits", fb)
        object.__setattr__(self, "overflow", ov)
        object.__setattr__(self, "rounding", mode)

    @property
    def width(self) -> int:
        return self.int_bits + self.frac_bits

    @property
    def name(self) -> str:
        base = f"fixed<{self.width},{self.frac_bits}>/{self.overflow}"
        return base if self.rounding is Rounding.TOWARD_NEGATIVE else f"{base}/{self.rounding.value}"

    @property
    def value_format(self) -> Format:
        """The register as a fixed-point format (registers wider than numsim's 32-bit formats:
        float32, which then is the default format of C and of the output)."""
        return FixedFormat(self.width, self.frac_bits) if self.width <= 32 else get_format("float32")


@dataclass(frozen=True)
class Kulisch(Accumulator):
    """An exact accumulator (Kulisch): the sum of every product is kept exactly and rounded once
    into the output format. Its hardware width comes from :func:`kulisch_width`.

    >>> Kulisch().name
    'kulisch'
    """

    exact = True

    @property
    def name(self) -> str:
        return "kulisch"

    @property
    def value_format(self) -> Format:
        raise ValueError("a Kulisch accumulator holds exact sums, not values of one format")


def kulisch_width(a_format: Format, b_format: Format, n_terms: int) -> int:
    """Bits of a two's-complement register that sums ``n_terms`` exact products without rounding
    or overflow (Aggarwal et al., FPL 2024, as quoted by the hardware reference, section 5):
    ``a + b + ceil(log2 n) + 1`` for a-bit x b-bit integers and
    ``2^Ea + Ma + 2^Eb + Mb + ceil(log2 n) - 1`` for minifloats; for mixed or fixed-point operands
    the span of the product quanta plus a sign bit and the carries.

    >>> [kulisch_width(get_format(f), get_format(f), 4608) for f in ("e2m1", "e4m3", "e5m2", "int8")]
    [22, 50, 80, 30]
    """
    n = check_int("n_terms", n_terms, 1)
    carries = math.ceil(math.log2(n))
    if isinstance(a_format, FloatFormat) and isinstance(b_format, FloatFormat):
        return (1 << a_format.exp_bits) + a_format.man_bits + (1 << b_format.exp_bits) + b_format.man_bits + carries - 1
    if isinstance(a_format, IntFormat) and isinstance(b_format, IntFormat):
        return a_format.bits + b_format.bits + carries + 1
    lo = ulp_exponent(a_format) + ulp_exponent(b_format)
    hi = math.ceil(math.log2(a_format.max)) + math.ceil(math.log2(b_format.max))
    return hi - lo + carries + 1


def ulp_exponent(fmt: Format) -> int:
    """Exponent of the smallest nonzero magnitude (the quantum of the finest binade)."""
    return int(round(math.log2(fmt.min_subnormal)))


_ANCHORS = ("product", "normalized")
_PLACEMENTS = ("inside", "after")


@dataclass(frozen=True)
class FusedMultiTerm(Accumulator):
    """A tensor-core block fused multiply-add (Blanchard et al.'s BFMA; Khattak and Mikaitis'
    bit-accurate NVIDIA models).

    Parameters
    ----------
    n : int
        Products fused per block.
    extra_bits : int
        Alignment bits beyond the accumulator's fraction: window ``W = man_bits + extra_bits``
        (fp32: ``23 + e``; e = -10 gives the 13-bit FP8 window of Ada and Hopper).
    fmt : FloatFormat or str
        Accumulator (and block result) format, default float32.
    rounding : Rounding or str
        Rounding of the single normalisation; default ``toward_zero`` (NVIDIA fp32 output; use
        ``nearest_even`` for fp16 output).
    frac_bits : int, optional
        Fraction bits kept at normalisation; default ``min(man_bits, W)``.
    alignment : Rounding or str
        Rounding of each aligned term's magnitude to the window: ``toward_zero`` (truncation,
        every NVIDIA GPU) or ``nearest_even``.
    anchor : ``"product"`` or ``"normalized"``
        The exponent a product contributes to the maximum: ``E_a + E_b`` of the operands
        (NVIDIA) or the exponent of the normalised product.
    anchor_min : int, optional
        Lower clamp of the alignment exponent ``M``.
    c_placement : ``"inside"`` or ``"after"``
        The running value joins the alignment, or is added afterwards by an fp32
        round-to-nearest-even addition (B200 FP8).

    >>> FusedMultiTerm(16, 2, anchor_min=-133).name
    'fused(n=16, e=2, anchor_min=-133)'
    """

    n: int = 4
    extra_bits: int = 0
    fmt: FloatFormat | str = "float32"
    rounding: Rounding | str = Rounding.TOWARD_ZERO
    frac_bits: int | None = None
    alignment: Rounding | str = Rounding.TOWARD_ZERO
    anchor: str = "product"
    anchor_min: int | None = None
    c_placement: str = "inside"

    def __post_init__(self) -> None:
        n = check_int("n", self.n, 1, 1 << 16)
        fmt = float_format(self.fmt, "FusedMultiTerm fmt")
        e = check_int("extra_bits", self.extra_bits, -fmt.man_bits, 40)
        window = fmt.man_bits + e
        if window + 3 + math.ceil(math.log2(n + 1)) > 62 or window > 50:
            raise ValueError(f"window W = {window} bits with n = {n} terms does not fit numsim's 62-bit exact sum (W <= 50 and W + 3 + log2(n+1) <= 62)")
        frac = min(fmt.man_bits, window) if self.frac_bits is None else check_int("frac_bits", self.frac_bits, 0, fmt.man_bits)
        mode = Rounding.parse(self.rounding)
        if mode.is_stochastic:
            raise ValueError(f"rounding of a FusedMultiTerm must be deterministic, got {mode.value!r}")
        align = Rounding.parse(self.alignment)
        if align not in (Rounding.TOWARD_ZERO, Rounding.NEAREST_EVEN):
            raise ValueError(f"alignment must be 'toward_zero' or 'nearest_even', got {align.value!r}")
        anchor = check_choice("anchor", self.anchor, _ANCHORS)
        placement = check_choice("c_placement", self.c_placement, _PLACEMENTS)
        amin = None if self.anchor_min is None else check_int("anchor_min", self.anchor_min, -4000, 4000)
        for k, v in (("n", n), ("fmt", fmt), ("extra_bits", e), ("frac_bits", frac), ("rounding", mode), ("alignment", align), ("anchor", anchor), ("anchor_min", amin), ("c_placement", placement)):
            object.__setattr__(self, k, v)

    @property
    def window(self) -> int:
        """``W``: fraction bits of the alignment window below ``2^M``."""
        return self.fmt.man_bits + self.extra_bits

    @property
    def block_format(self) -> FloatFormat:
        """The format of a block result: the accumulator's range with ``frac_bits`` fraction bits."""
        f = self.fmt
        if self.frac_bits == f.man_bits:
            return f
        return FloatFormat(f.exp_bits, self.frac_bits, bias=f.bias, subnormals=f.subnormals, specials=f.specials)

    @property
    def name(self) -> str:
        args = [f"n={self.n}", f"e={self.extra_bits}"]
        if self.fmt.name != "float32":
            args.append(f"fmt={short_name(self.fmt)}")
        if self.rounding is not Rounding.TOWARD_ZERO:
            args.append(f"rounding={self.rounding.value}")
        if self.frac_bits != min(self.fmt.man_bits, self.window):
            args.append(f"frac_bits={self.frac_bits}")
        if self.alignment is not Rounding.TOWARD_ZERO:
            args.append(f"alignment={self.alignment.value}")
        if self.anchor != "product":
            args.append(f"anchor={self.anchor}")
        if self.anchor_min is not None:
            args.append(f"anchor_min={self.anchor_min}")
        if self.c_placement != "inside":
            args.append(f"c={self.c_placement}")
        return f"fused({', '.join(args)})"

    @property
    def value_format(self) -> FloatFormat:
        return self.fmt


# ---- grammar -----------------------------------------------------------------------------------

ACCUMULATOR_SPELLINGS = (
    "a float format with optional /rounding and /overflow (fp32, bf16, fp32/toward_zero), "
    "fixed<W,F>[/wrap|/saturate][/rounding] (W bits in total, F fraction bits), kulisch, "
    "fused(n=..., e=...[, fmt=..., rounding=..., frac_bits=..., alignment=..., anchor=..., anchor_min=..., c=inside|after])"
)
_FIXED = re.compile(r"fixed<\s*(-?\d+)\s*,\s*(-?\d+)\s*>")
_FUSED_PARAMS = ("n", "e", "fmt", "rounding", "frac_bits", "alignment", "anchor", "anchor_min", "c")
_FUSED_FIELDS = {"e": "extra_bits", "c": "c_placement"}
_FUSED_INTS = ("n", "e", "frac_bits", "anchor_min")


def get_accumulator(spec, argument: str = "accumulator", *, source: str | None = None, offset: int = 0) -> Accumulator:
    """An accumulator from a spec object or its spelling (the table in :mod:`numsim.accumulators`).

    ``get_accumulator(acc.name) == acc`` for every accumulator. ``argument`` names the value in
    errors; ``source`` and ``offset`` place the spelling inside a longer string (a datapath).

    >>> get_accumulator("kulisch").name, get_accumulator("fused(n=16, e=2, anchor_min=-133)").n
    ('kulisch', 16)
    """
    if isinstance(spec, Accumulator):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"{argument} must be an accumulator (FloatAccumulator, FixedAccumulator, Kulisch, FusedMultiTerm) or its spelling, got {spec!r}")
    source = spec if source is None else source
    text = spec.strip().lower()
    offset += len(spec) - len(spec.lstrip())
    try:
        if text.startswith("fused(") or text == "fused":
            return _fused(text, argument, source, offset)
        if text == "kulisch" or text.startswith("kulisch("):
            read_call(text, argument, offset, ACCUMULATOR_SPELLINGS, source).bind((), argument, source, ACCUMULATOR_SPELLINGS)
            return Kulisch()
        if text.startswith("fixed(") or text == "fixed":
            _old_fixed(text, argument, source, offset)
        m = _FIXED.match(text)
        if m:
            return _fixed(text, m, argument, source, offset)
        return _float_acc(text, argument, source, offset)
    except GrammarError:
        raise
    except (TypeError, ValueError) as exc:
        raise GrammarError(argument, source, offset, str(exc), ACCUMULATOR_SPELLINGS) from None


def _float_acc(text: str, argument: str, source: str, offset: int) -> FloatAccumulator:
    (fmt_text, _), *rest = split_top(text, "/", offset)
    try:
        fmt = float_format(fmt_text, argument)
    except (TypeError, ValueError) as exc:
        words = ["kulisch", "fused(", "fixed<", "fp32", "fp16", "bf16"]
        raise GrammarError(argument, source, offset, str(exc), ACCUMULATOR_SPELLINGS, fmt_text, words) from None
    rounding, overflow = Rounding.NEAREST_EVEN, None
    for piece, pos in rest:
        try:
            rounding = Rounding.parse(piece)
            continue
        except ValueError:
            pass
        try:
            overflow = Overflow.parse(piece)
        except ValueError:
            choices = [r.value for r in Rounding] + [o.value for o in Overflow]
            raise GrammarError(argument, source, pos, f"{piece!r} after '/' is neither a rounding mode nor an overflow policy",
                               "/" + ", /".join(choices), piece, choices) from None
    return FloatAccumulator(fmt, rounding, overflow)


def _fixed(text: str, m: re.Match, argument: str, source: str, offset: int) -> FixedAccumulator:
    width, frac = int(m.group(1)), int(m.group(2))
    rest = split_top(text[m.end():], "/", offset + m.end())
    if rest[0][0]:
        raise GrammarError(argument, source, rest[0][1], f"unexpected {rest[0][0]!r} after fixed<{width},{frac}>", ACCUMULATOR_SPELLINGS)
    overflow, rounding = "wrap", Rounding.TOWARD_NEGATIVE
    for piece, pos in rest[1:]:
        if piece in ("wrap", "saturate"):
            overflow = piece
            continue
        try:
            rounding = Rounding.parse(piece)
        except ValueError:
            choices = ["wrap", "saturate"] + [r.value for r in Rounding]
            raise GrammarError(argument, source, pos, f"{piece!r} after '/' is neither wrap/saturate nor a rounding mode",
                               ", ".join(choices), piece, choices) from None
    return FixedAccumulator(width - frac, frac, overflow, rounding)


def _old_fixed(text: str, argument: str, source: str, offset: int) -> None:
    """``fixed(int_bits[, frac_bits])`` was the sweep configs' spelling (a register of
    ``int_bits + frac_bits`` bits); it is refused with its new spelling, never reinterpreted."""
    call = read_call(text, argument, offset, ACCUMULATOR_SPELLINGS, source)
    bound = call.bind(("int_bits", "frac_bits"), argument, source, ACCUMULATOR_SPELLINGS)
    if "int_bits" not in bound:
        raise GrammarError(argument, source, offset, "a fixed-point accumulator is written fixed<W,F> (W bits in total, F fraction bits)", ACCUMULATOR_SPELLINGS)
    ib = read_int(*bound["int_bits"], "int_bits", argument, source)
    fb = read_int(*bound["frac_bits"], "frac_bits", argument, source) if "frac_bits" in bound else 0
    raise GrammarError(
        argument, source, offset,
        f"{text!r} is the old spelling fixed(int_bits, frac_bits), a register of {ib} + {fb} bits; write it 'fixed<{ib + fb},{fb}>' "
        "(total width first)", ACCUMULATOR_SPELLINGS,
    )


def _fused(text: str, argument: str, source: str, offset: int) -> FusedMultiTerm:
    call = read_call(text, argument, offset, ACCUMULATOR_SPELLINGS, source)
    bound = call.bind(_FUSED_PARAMS, argument, source, ACCUMULATOR_SPELLINGS)
    kwargs = {}
    for key, (value, pos) in bound.items():
        kwargs[_FUSED_FIELDS.get(key, key)] = read_int(value, pos, key, argument, source) if key in _FUSED_INTS else value
    return FusedMultiTerm(**kwargs)
