"""Dot-product datapaths: one frozen description of how hardware computes ``c + sum_k a_k b_k``.

A :class:`Datapath` names the input formats of A and B, the multiplier, how each product is
rounded, the accumulator, the summation order, the format of the initial value C and the output
format. :func:`numsim.matmul` and :func:`numsim.dot` execute it bit for bit; ``hwmodels`` prices
the same object.

Semantics of one output element ``d = dot(a[0..K), b[0..K), c)``:

1. ``p_k = multiplier(a_k, b_k)`` - an exact number (see :mod:`numsim.multipliers`).
2. If ``product_format`` is set, ``p_k`` is rounded into it with ``product_rounding``
   (the format's default overflow policy).
3. The accumulator and the order combine ``c`` and the ``p_k``; ``c`` is first rounded into the
   accumulator's value format with the accumulator's rounding (nearest-even for a stochastic
   accumulator; a no-op when ``c`` is representable):

   - :class:`FloatAccumulator` ``(fmt, rounding)``: every addition ``x + y`` is exact and then
     rounded once into ``fmt`` (IEEE 754 rules for zeros, infinities and NaN; an exact zero sum of
     nonzero addends is +0, -0 under ``toward_negative``). The order decides which additions:
     ``sequential``: ``s = c; s = s + p_0; s = s + p_1; ...``. ``tree(w)``: ``s = c``; each run of
     ``w`` consecutive products is summed by a balanced adder tree (level by level, neighbours
     ``(0,1), (2,3), ...``; an odd last term moves up unchanged), then ``s = s + tree``.
     ``pairwise``: one tree over all K products, then ``s = c + tree``. ``chunked(n, outer)``:
     each run of ``n`` products is accumulated from +0 by the accumulator (with ``inner`` order),
     and the run's result is added to ``s`` (which starts at ``c``) by the ``outer`` accumulator.
   - :class:`FixedAccumulator` ``(int_bits, frac_bits, overflow, rounding)``: a two's-complement
     register of ``int_bits + frac_bits`` bits with quantum ``2^-frac_bits``. Each product is
     rounded to the quantum with ``rounding``, brought into range by ``overflow`` (``wrap``: modulo
     2^width; ``saturate``: clamped), and added; every addition wraps or saturates. ``c`` must be
     representable. Orders as for floats.
   - :class:`Kulisch`: the exact sum of ``c`` and every product (order-independent); an exact
     zero is +0 unless every addend is -0.
   - :class:`FusedMultiTerm` ``(n, ...)``: the tensor-core block FMA. K is split into blocks of
     ``n`` consecutive products; each block ``d = BFMA(products, d)`` aligns the nonzero products
     (anchor ``E_a + E_b``) and ``d`` (if ``c_placement="inside"``) to the largest exponent
     ``M = max(anchors, anchor_min)``, keeps each term's magnitude to ``W`` fraction bits below
     ``2^M`` with ``alignment`` rounding (truncation), sums the integers exactly and rounds the
     sum once into the accumulator format keeping ``frac_bits`` fraction bits with ``rounding``
     (overflow gives infinity). Products of an exact multiplier anchor at ``E_a + E_b`` (each
     operand's exponent, ``emin`` for subnormals); other products at their own exponent (``emin``
     of their format for subnormals); ``d`` at its exponent (``emin`` of the accumulator format
     for subnormals). ``chunked(P, outer)`` restarts the chain from +0 every ``P``
     products and adds each chain's result to the outer accumulator (cuBLAS FP8 promotion).

4. ``d`` is rounded into ``out_format`` with ``out_rounding`` (nothing happens when it is
   already representable, e.g. when ``out_format`` is the accumulator format).

Block-scaled inputs (a :class:`~numsim.BlockFormat` with 1-D blocks along K for A or B, e.g. MX
or NVFP4) follow the MX dot product ``Dot = X_A X_B sum_i P_A,i P_B,i`` per block pair; the spec
leaves the internal precision to the implementation, so it is declared here:

a. K is cut into blocks of ``kb`` (the block size; both block formats must agree). A K that is
   not a multiple of ``kb`` raises unless ``block_padding="zeros"`` (zero elements appended; the
   multiplier still sees them).
b. Each block's element products (multiplier, product rounding as in steps 1-2) are summed from
   +0 by ``block_accumulator`` in ``block_order`` (default :class:`Kulisch`: exact).
c. The block sum ``s_j`` times the scales ``X_A,j X_B,j`` (exactly) is rounded once into
   ``scale_format`` with ``scale_rounding`` (default float32, nearest-even): ``t_j``. A NaN scale
   (a block that held NaN) makes ``t_j`` NaN.
d. ``c`` and the ``t_j`` are accumulated by ``accumulator`` in ``order`` exactly as steps 3-4 do
   with products ``t_j``.
e. Two-level formats (NVFP4's per-tensor scale ``s_t``) apply their tensor scales in the
   epilogue, as cuBLAS's ``alpha``: ``alpha = fp32(s_tA s_tB)`` (nearest-even),
   ``d = alpha * S + c`` rounded once into ``out_format``, where ``S`` is step d's sum started
   from +0 (in the accumulator's value format).

Element values and scales are those that :func:`numsim.encode` assigns (the format's scale rule),
so an input must be a value array that round-trips through the block format.

>>> import numsim
>>> dp = numsim.Datapath("e4m3", accumulator=numsim.FloatAccumulator("bf16"))
>>> dp.name
'e4m3*e4m3 exact -> acc bf16 (sequential) -> bf16'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .blocks import BlockFormat
from ._checks import check_bool
from ._checks import check_choice as _check_choice
from ._checks import check_int as _check_int
from .formats import FixedFormat, FloatFormat, Format, IntFormat, significand_bits
from .multipliers import Exact, Multiplier, get_multiplier
from .registry import get_format
from .rounding import Overflow, Rounding


def _scalar(name: str, fmt) -> Format:
    f = get_format(fmt)
    if not isinstance(f, Format):
        raise TypeError(f"{name} must be a scalar format, got the block format {f.name}")
    return f


def _float(name: str, fmt) -> FloatFormat:
    f = _scalar(name, fmt)
    if not isinstance(f, FloatFormat):
        raise TypeError(f"{name} must be a float format, got {f.name}")
    return f


# ---- accumulators ------------------------------------------------------------------------------


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
        fmt = _float("accumulator format", self.fmt)
        object.__setattr__(self, "fmt", fmt)
        object.__setattr__(self, "rounding", Rounding.parse(self.rounding))
        ov = fmt.default_overflow if self.overflow is None else Overflow.parse(self.overflow)
        if ov is Overflow.WRAP:
            raise ValueError(f"overflow='wrap' applies to fixed-point accumulators, not to {fmt.name}")
        object.__setattr__(self, "overflow", ov)

    @property
    def name(self) -> str:
        base = _short(self.fmt)
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
        ib = _check_int("int_bits", self.int_bits, 1 - 62, 62)
        fb = _check_int("frac_bits", self.frac_bits, -62, 62)
        width = ib + fb
        if not 2 <= width <= 62:
            raise ValueError(f"a fixed accumulator needs a width int_bits + frac_bits in 2..62 bits, got {width} ({ib} + {fb})")
        ov = _check_choice("overflow of a fixed accumulator", self.overflow, ("wrap", "saturate"))
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
    n = _check_int("n_terms", n_terms, 1)
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
        n = _check_int("n", self.n, 1, 1 << 16)
        fmt = _float("FusedMultiTerm fmt", self.fmt)
        e = _check_int("extra_bits", self.extra_bits, -fmt.man_bits, 40)
        window = fmt.man_bits + e
        if window + 3 + math.ceil(math.log2(n + 1)) > 62 or window > 50:
            raise ValueError(f"window W = {window} bits with n = {n} terms does not fit numsim's 62-bit exact sum (W <= 50 and W + 3 + log2(n+1) <= 62)")
        frac = min(fmt.man_bits, window) if self.frac_bits is None else _check_int("frac_bits", self.frac_bits, 0, fmt.man_bits)
        mode = Rounding.parse(self.rounding)
        if mode.is_stochastic:
            raise ValueError(f"rounding of a FusedMultiTerm must be deterministic, got {mode.value!r}")
        align = Rounding.parse(self.alignment)
        if align not in (Rounding.TOWARD_ZERO, Rounding.NEAREST_EVEN):
            raise ValueError(f"alignment must be 'toward_zero' or 'nearest_even', got {align.value!r}")
        anchor = _check_choice("anchor", self.anchor, _ANCHORS)
        placement = _check_choice("c_placement", self.c_placement, _PLACEMENTS)
        amin = None if self.anchor_min is None else _check_int("anchor_min", self.anchor_min, -4000, 4000)
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
            args.append(f"fmt={_short(self.fmt)}")
        if self.rounding is not Rounding.TOWARD_ZERO:
            args.append(self.rounding.value)
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


# ---- summation orders --------------------------------------------------------------------------


class Order:
    """Base class of the summation orders."""

    @property
    def name(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Sequential(Order):
    """``s = c; s += p_0; s += p_1; ...`` (a MAC unit; for FusedMultiTerm: one chain of blocks)."""

    @property
    def name(self) -> str:
        return "sequential"


@dataclass(frozen=True)
class Tree(Order):
    """Runs of ``width`` products summed by a balanced adder tree, each added to the running sum.

    >>> Tree(8).name
    'tree(8)'
    """

    width: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", _check_int("width", self.width, 2))

    @property
    def name(self) -> str:
        return f"tree({self.width})"


@dataclass(frozen=True)
class Pairwise(Order):
    """One balanced adder tree over all K products; ``c`` is added last."""

    @property
    def name(self) -> str:
        return "pairwise"


@dataclass(frozen=True)
class Chunked(Order):
    """Promotion: every ``n`` products are accumulated from zero (``inner`` order) and the run's
    result is added to ``outer`` (default an fp32 round-to-nearest-even accumulator), which
    starts at ``c``.

    >>> Chunked(128).name
    'chunked(128, outer=fp32)'
    """

    n: int = 128
    outer: FloatAccumulator = field(default_factory=FloatAccumulator)
    inner: Order = field(default_factory=Sequential)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _check_int("n", self.n, 1))
        if not isinstance(self.outer, FloatAccumulator):
            raise TypeError(f"outer must be a FloatAccumulator, got {self.outer!r}")
        inner = get_order(self.inner)
        if isinstance(inner, Chunked):
            raise ValueError("chunked orders do not nest: inner must be sequential, pairwise or tree(w)")
        object.__setattr__(self, "inner", inner)

    @property
    def name(self) -> str:
        inner = "" if isinstance(self.inner, Sequential) else f", inner={self.inner.name}"
        return f"chunked({self.n}, outer={self.outer.name}{inner})"


def sequential() -> Sequential:
    """The sequential order."""
    return Sequential()


def pairwise() -> Pairwise:
    """The pairwise (single balanced tree) order."""
    return Pairwise()


def tree(width: int) -> Tree:
    """Adder trees of ``width`` products feeding the running sum."""
    return Tree(width)


def chunked(n: int, outer: FloatAccumulator | None = None, inner: Order | str | None = None) -> Chunked:
    """Promotion every ``n`` products into ``outer`` (default fp32, nearest-even)."""
    return Chunked(n, FloatAccumulator() if outer is None else outer, Sequential() if inner is None else inner)


_ORDER_RE = re.compile(r"^\s*(sequential|pairwise|tree\s*\(\s*(\d+)\s*\)|chunked\s*\(\s*(\d+)\s*\))\s*$")


def get_order(spec) -> Order:
    """An order from a spec object or a string: ``"sequential"``, ``"pairwise"``, ``"tree(8)"``,
    ``"chunked(128)"``.

    >>> get_order("tree(4)")
    Tree(width=4)
    """
    if isinstance(spec, Order):
        return spec
    if isinstance(spec, str):
        m = _ORDER_RE.match(spec.lower())
        if m:
            if m.group(2):
                return Tree(int(m.group(2)))
            if m.group(3):
                return Chunked(int(m.group(3)))
            return Sequential() if m.group(1) == "sequential" else Pairwise()
    raise ValueError(f"order must be an Order or one of 'sequential', 'pairwise', 'tree(w)', 'chunked(n)'; got {spec!r}")


# ---- the datapath ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Datapath:
    """How one dot product is computed: see the module docstring for the exact semantics.

    Parameters
    ----------
    a_format, b_format : Format or str
        Formats of A and B (``b_format`` defaults to ``a_format``).
    multiplier : Multiplier
        :class:`~numsim.multipliers.Exact` (default), :class:`~numsim.LMul`, ...
    product_format : Format or str, optional
        Round every product into this format (``None``: products stay exact).
    product_rounding : Rounding or str
        Rounding of the products.
    accumulator : Accumulator
        Default ``FloatAccumulator("float32")``.
    order : Order or str
        Default sequential.
    c_format : Format or str, optional
        Format of the initial value C (default: the accumulator's value format; float32 for a
        Kulisch accumulator).
    out_format : Format or str, optional
        Output format (default: the accumulator's value format; float32 for Kulisch).
    out_rounding : Rounding or str
        Rounding into ``out_format``.
    input_rounding : Rounding or str
        Rounding used by ``matmul(..., quantize_inputs=True)``.
    block_accumulator, block_order, scale_format, scale_rounding, block_padding
        Block-scaled inputs only (steps a-e of the module docstring): the accumulator and order
        of each block's sum (default exact), the format and rounding of the scaled block sums
        (default float32, nearest-even), and ``"error"`` (default) or ``"zeros"`` for a K that
        is not a multiple of the block size.

    >>> Datapath("int8", accumulator=FixedAccumulator(32, 0)).name
    'int8*int8 exact -> acc fixed<32,0>/wrap (sequential) -> fixed<32,0>'
    """

    a_format: Format | str = "float32"
    b_format: Format | str | None = None
    multiplier: Multiplier = field(default_factory=Exact)
    product_format: Format | str | None = None
    product_rounding: Rounding | str = Rounding.NEAREST_EVEN
    accumulator: Accumulator = field(default_factory=FloatAccumulator)
    order: Order | str = field(default_factory=Sequential)
    c_format: Format | str | None = None
    out_format: Format | str | None = None
    out_rounding: Rounding | str = Rounding.NEAREST_EVEN
    input_rounding: Rounding | str = Rounding.NEAREST_EVEN
    block_accumulator: Accumulator = field(default_factory=lambda: Kulisch())
    block_order: Order | str = field(default_factory=Sequential)
    scale_format: Format | str = "float32"
    scale_rounding: Rounding | str = Rounding.NEAREST_EVEN
    block_padding: str = "error"

    def __post_init__(self) -> None:
        a_in = get_format(self.a_format)
        b_in = a_in if self.b_format is None else get_format(self.b_format)
        object.__setattr__(self, "a_format", a_in)
        object.__setattr__(self, "b_format", b_in)
        object.__setattr__(self, "block_padding", _check_choice("block_padding", self.block_padding, ("error", "zeros")))
        object.__setattr__(self, "block_order", get_order(self.block_order))
        object.__setattr__(self, "scale_format", _scalar("scale_format", self.scale_format))
        object.__setattr__(self, "scale_rounding", Rounding.parse(self.scale_rounding))
        if not isinstance(self.block_accumulator, Accumulator):
            raise TypeError(f"block_accumulator must be an accumulator such as Kulisch() or FloatAccumulator(...), got {self.block_accumulator!r}")
        if self.block_scaled:
            _check_blocks(a_in, b_in)
            if _stochastic(self.block_accumulator):
                raise ValueError("stochastic rounding inside blocks is not supported; use it in the accumulator of the block sums")
            self.inner_datapath()  # validates the per-block pieces
        a, b = self.a_element, self.b_element
        mult = get_multiplier(self.multiplier)
        mult.check(a, b)
        if isinstance(mult, Exact):
            _check_exact_product(a, b)
        acc = self.accumulator
        if not isinstance(acc, Accumulator):
            raise TypeError(f"accumulator must be FloatAccumulator(...), FixedAccumulator(...), Kulisch() or FusedMultiTerm(...), got {acc!r}")
        order = get_order(self.order)
        prod = None if self.product_format is None else _scalar("product_format", self.product_format)
        if isinstance(acc, FusedMultiTerm):
            if not isinstance(order, (Sequential, Chunked)) or (isinstance(order, Chunked) and not isinstance(order.inner, Sequential)):
                raise ValueError(f"a FusedMultiTerm accumulator chains its blocks: order must be sequential or chunked(n), got {order.name}")
            if isinstance(order, Chunked) and order.n % acc.n:
                raise ValueError(f"the promotion interval {order.n} must be a multiple of the block size n={acc.n}")
            for name, f in (("a_format", a), ("b_format", b)) if not self.block_scaled else ():
                if not isinstance(f, FloatFormat):
                    raise ValueError(f"FusedMultiTerm aligns float products; {name}={f.name} is not a float format")
        if isinstance(acc, FixedAccumulator) and isinstance(order, Chunked) and acc.width > 53:
            raise ValueError(f"chunked promotion hands the {acc.width}-bit register to a float accumulator exactly only up to 53 bits")
        if isinstance(acc, Kulisch) and isinstance(order, Chunked):
            raise ValueError("a Kulisch accumulator is exact in any order; chunked promotion would round its partial sums: use sequential")
        if _stochastic(acc) and not isinstance(order, Sequential):
            raise ValueError(f"stochastic accumulation is defined for the sequential order only, got {order.name}")
        value_fmt = get_format("float32") if isinstance(acc, Kulisch) else acc.value_format
        c_fmt = value_fmt if self.c_format is None else _scalar("c_format", self.c_format)
        out = value_fmt if self.out_format is None else _scalar("out_format", self.out_format)
        for k, v in (
            ("multiplier", mult),
            ("product_format", prod),
            ("product_rounding", Rounding.parse(self.product_rounding)),
            ("order", order),
            ("c_format", c_fmt),
            ("out_format", out),
            ("out_rounding", Rounding.parse(self.out_rounding)),
            ("input_rounding", Rounding.parse(self.input_rounding)),
        ):
            object.__setattr__(self, k, v)
        if self.block_scaled:
            self.outer_datapath()  # validates the accumulation of the block sums

    @property
    def name(self) -> str:
        prod = "" if self.product_format is None else f" -> {_short(self.product_format)}"
        blocks = ""
        if self.block_scaled:
            blocks = f" -> block acc {self.block_accumulator.name} ({self.block_order.name}) x scales -> {_short(self.scale_format)}"
            if self.scale_rounding is not Rounding.NEAREST_EVEN:
                blocks += f"/{self.scale_rounding.value}"
        return (
            f"{_short(self.a_format)}*{_short(self.b_format)} {self.multiplier.name}{prod}{blocks} -> acc {self.accumulator.name} "
            f"({self.order.name}) -> {_short(self.out_format)}"
        )

    @property
    def block_scaled(self) -> bool:
        """Whether A or B is a block-scaled format."""
        return isinstance(self.a_format, BlockFormat) or isinstance(self.b_format, BlockFormat)

    @property
    def a_element(self) -> Format:
        """The format of A's elements (``a_format`` itself when it is not block-scaled)."""
        return self.a_format.element if isinstance(self.a_format, BlockFormat) else self.a_format

    @property
    def b_element(self) -> Format:
        """The format of B's elements."""
        return self.b_format.element if isinstance(self.b_format, BlockFormat) else self.b_format

    @property
    def block_size(self) -> int | None:
        """Elements per block along K (``None`` without block-scaled inputs)."""
        for f in (self.a_format, self.b_format):
            if isinstance(f, BlockFormat):
                return f.block_shape[0]
        return None

    def inner_datapath(self) -> Datapath:
        """Steps a-c as a datapath of its own: element products summed per block, the sum rounded
        into ``scale_format`` (after the scales, which :func:`numsim.matmul` applies exactly)."""
        return Datapath(
            self.a_element, self.b_element, self.multiplier, self.product_format, self.product_rounding,
            accumulator=self.block_accumulator, order=self.block_order, out_format=self.scale_format,
            out_rounding=self.scale_rounding,
        )

    def outer_datapath(self) -> Datapath:
        """Step d as a datapath of its own: the scaled block sums ``t_j`` (times 1) accumulated."""
        two_level = any(isinstance(f, BlockFormat) and f.tensor_scale is not None for f in (self.a_format, self.b_format))
        acc = self.accumulator
        value_fmt = get_format("float32") if isinstance(acc, Kulisch) else acc.value_format
        return Datapath(
            self.scale_format, _ONE_HOLDER, accumulator=acc, order=self.order,
            c_format=self.c_format, out_format=value_fmt if two_level else self.out_format, out_rounding=self.out_rounding,
        )

    def __str__(self) -> str:
        return self.name


_ONE_HOLDER = "e2m1"  # B of the outer datapath: ones, so its products are the block sums


def _check_blocks(a, b) -> None:
    sizes = set()
    scale_bits = 0
    for name, f in (("a_format", a), ("b_format", b)):
        if not isinstance(f, BlockFormat):
            continue
        if len(f.block_shape) != 1:
            raise ValueError(f"{name}={f.name} has 2-D tiles {f.block_shape}; datapaths take 1-D blocks along K")
        sizes.add(f.block_shape[0])
        scale_bits += significand_bits(f.scale)
    if len(sizes) > 1:
        raise ValueError(f"the block sizes of a_format={a.name} and b_format={b.name} differ ({sorted(sizes)}); blocks must pair up along K")
    if scale_bits > 31:
        raise ValueError(f"the scales of {a.name} and {b.name} multiply to {scale_bits} significant bits; at most 31 are supported")


def _stochastic(acc: Accumulator) -> bool:
    return isinstance(acc, FloatAccumulator) and acc.rounding.is_stochastic


def _check_exact_product(a: Format, b: Format) -> None:
    bits = significand_bits(a) + significand_bits(b)
    if bits > 53:
        raise ValueError(
            f"exact products of {a.name} x {b.name} need {bits} significant bits; numsim's datapaths keep products exact in "
            "float64 (at most 53 bits): use narrower input formats"
        )
    lo = ulp_exponent(a) + ulp_exponent(b)
    hi = math.log2(a.max) + math.log2(b.max)
    if lo < -1074 or hi >= 1024:
        raise ValueError(
            f"products of {a.name} x {b.name} span 2^{lo} .. 2^{hi:.0f}, beyond float64's range, in which numsim's datapaths "
            "keep products exact"
        )


_SHORT = {v: k for k, v in {"e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2", "e2m1": "float4_e2m1fn", "e3m2": "float6_e3m2fn", "e2m3": "float6_e2m3fn", "fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}.items()}


def _short(fmt: Format) -> str:
    return _SHORT.get(fmt.name, fmt.name)


__all__ = [
    "Accumulator",
    "Chunked",
    "Datapath",
    "FixedAccumulator",
    "FloatAccumulator",
    "FusedMultiTerm",
    "Kulisch",
    "Order",
    "Pairwise",
    "Sequential",
    "Tree",
    "chunked",
    "get_order",
    "kulisch_width",
    "pairwise",
    "sequential",
    "tree",
]


# ---- tensor-core presets -----------------------------------------------------------------------

# (gpu, input kind, output) -> (n, e, anchor_min, c_placement); from the tensor-core reference,
# section 4 (Khattak and Mikaitis' bit-accurate models, checked against their measurement sets).
_TENSOR_CORES = {
    ("v100", "fp16", "float32"): (4, 0, None, "inside"),
    ("v100", "fp16", "float16"): (4, 0, -19, "inside"),
    ("a100", "fp16", "float32"): (8, 1, -132, "inside"),
    ("a100", "bf16", "float32"): (8, 1, -132, "inside"),
    ("a100", "fp16", "float16"): (8, 1, -20, "inside"),
    ("a100", "tf32", "float32"): (4, 1, -132, "inside"),
    ("ada", "fp16", "float32"): (8, 1, -132, "inside"),
    ("ada", "bf16", "float32"): (8, 1, -132, "inside"),
    ("ada", "fp16", "float16"): (8, 1, -20, "inside"),
    ("ada", "tf32", "float32"): (4, 1, -132, "inside"),
    ("ada", "fp8", "float32"): (16, -10, -132, "inside"),
    ("h100", "fp16", "float32"): (16, 2, -133, "inside"),
    ("h100", "bf16", "float32"): (16, 2, -133, "inside"),
    ("h100", "fp16", "float16"): (16, 2, -21, "inside"),
    ("h100", "tf32", "float32"): (8, 2, -133, "inside"),
    ("h100", "fp8", "float32"): (32, -10, -133, "inside"),
    ("b200", "fp16", "float32"): (16, 2, -133, "inside"),
    ("b200", "bf16", "float32"): (16, 2, -133, "inside"),
    ("b200", "fp16", "float16"): (16, 2, -21, "inside"),
    ("b200", "tf32", "float32"): (8, 2, -133, "inside"),
    ("b200", "fp8", "float32"): (32, 2, -133, "after"),
}
_GPU_ALIASES = {"h200": "h100", "l40s": "ada", "a30": "a100", "rtx_pro_6000": "b200"}
_INPUT_KINDS = {"float16": "fp16", "bfloat16": "bf16", "tf32": "tf32", "float8_e4m3fn": "fp8", "float8_e5m2": "fp8"}
PROMOTION_INTERVAL = 128  # cuBLAS / CUTLASS FP8 promotion (tensor-core reference, section 7)


def tensor_core_datapath(gpu: str, a_format, b_format=None, out_format="float32", fast_accum: bool = True) -> Datapath:
    """The :class:`Datapath` of a whole GEMM on an NVIDIA tensor core (no split-K).

    ``gpu`` is ``v100``, ``a100``, ``ada``, ``h100`` (``h200``) or ``b200``; inputs ``fp16``,
    ``bf16``, ``tf32`` or FP8 (``e4m3``/``e5m2``, any pair); ``out_format`` ``float32`` or
    ``float16`` (fp16 inputs). One chain of ``n``-term block FMAs over K; FP8 on ``h100`` and
    ``ada`` with ``fast_accum=False`` restarts the chain every 128 products and adds each chunk to
    an fp32 round-to-nearest-even accumulator (cuBLAS without fast accumulation). The B200 FP8
    preset (products-only blocks, then an fp32 RNE addition of ``c``) is provisional: no
    independent measurement.

    >>> tensor_core_datapath("h100", "bf16").accumulator.name
    'fused(n=16, e=2, anchor_min=-133)'
    >>> tensor_core_datapath("h100", "e4m3", fast_accum=False).order.name
    'chunked(128, outer=fp32)'
    """
    if not isinstance(gpu, str):
        raise TypeError(f"gpu must be a string, got {gpu!r}")
    g = _GPU_ALIASES.get(gpu.strip().lower(), gpu.strip().lower())
    gpus = sorted({key[0] for key in _TENSOR_CORES})
    if g not in gpus:
        raise ValueError(f"gpu must be one of {', '.join(gpus)} (or h200, l40s, a30), got {gpu!r}")
    a = _scalar("a_format", a_format)
    b = a if b_format is None else _scalar("b_format", b_format)
    out = _float("out_format", out_format)
    kind_a, kind_b = _INPUT_KINDS.get(a.name), _INPUT_KINDS.get(b.name)
    if kind_a is None or kind_b is None or kind_a != kind_b or (kind_a != "fp8" and a != b):
        raise ValueError(f"tensor-core inputs must be fp16, bf16, tf32 or an FP8 pair (e4m3/e5m2); got {a.name} x {b.name}")
    key = (g, kind_a, out.name)
    if key not in _TENSOR_CORES:
        have = ", ".join(f"{k[1]}->{k[2]}" for k in _TENSOR_CORES if k[0] == g)
        raise ValueError(f"{g} has no modelled {kind_a} -> {out.name} tensor-core path; modelled: {have}")
    n, e, amin, placement = _TENSOR_CORES[key]
    window = 23 + e
    rounding = Rounding.TOWARD_ZERO if out.name == "float32" else Rounding.NEAREST_EVEN
    acc = FusedMultiTerm(n, window - out.man_bits, out, rounding, None, Rounding.TOWARD_ZERO, "product", amin, placement)
    check_bool("fast_accum", fast_accum)
    order: Order = Sequential()
    if not fast_accum:
        if kind_a != "fp8" or g not in ("h100", "ada"):
            raise ValueError("fast_accum=False (promotion every 128 products) applies to FP8 on h100 and ada")
        order = Chunked(PROMOTION_INTERVAL, FloatAccumulator("float32"))
    return Datapath(a, b, accumulator=acc, order=order, c_format=out, out_format=out)
