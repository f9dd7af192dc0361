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
>>> dp = numsim.Datapath("e4m3", accumulator="bf16")
>>> dp.name
'e4m3*e4m3 exact -> acc bf16 (sequential) -> bf16'
>>> numsim.get_datapath(dp.name) == dp
True

The grammar of :func:`get_datapath` is what ``Datapath.name`` prints (every part in the order the
hardware applies it; ``[...]`` optional)::

    A*B MULTIPLIER [-> PRODUCT[/ROUNDING]]
        [-> block acc ACCUMULATOR (ORDER) x scales -> SCALE[/ROUNDING]]
        -> acc ACCUMULATOR (ORDER) -> OUT[/ROUNDING] [[c=FORMAT, input=ROUNDING, padding=zeros]]

with the spellings of :func:`numsim.get_format`, :func:`numsim.get_multiplier`,
:func:`numsim.get_accumulator` and :func:`numsim.get_order`; the bracket at the end lists the
non-default format of C, rounding of ``matmul(..., quantize_inputs=True)`` and block padding.
When parsing, ``*B`` (B = A), the multiplier (exact), ``(ORDER)`` (sequential), ``-> OUT`` and
the whole ``-> acc ...`` part (fp32) may be left out: ``get_datapath("e4m3 -> acc bf16")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ._checks import check_choice
from ._syntax import GrammarError, split_top
from .accumulators import (
    Accumulator,
    FixedAccumulator,
    FloatAccumulator,
    FusedMultiTerm,
    Kulisch,
    get_accumulator,
    kulisch_width,
    ulp_exponent,
)
from .blocks import BlockFormat
from .formats import Format, FloatFormat, significand_bits
from .multipliers import Exact, Multiplier, get_multiplier
from .orders import ORDER_SPELLINGS, Chunked, Order, Pairwise, Sequential, Tree, chunked, get_order, pairwise, sequential, tree
from .registry import get_format, scalar_format, short_name
from .rounding import Rounding


#: The datapath's own names, and the accumulators and orders it is built from (their home is
#: :mod:`numsim.accumulators` and :mod:`numsim.orders`; re-exported here for existing imports).
__all__ = [
    "Accumulator", "Chunked", "Datapath", "FixedAccumulator", "FloatAccumulator", "FusedMultiTerm", "Kulisch", "Order",
    "Pairwise", "Sequential", "Tree", "chunked", "get_accumulator", "get_datapath", "get_order", "kulisch_width",
    "pairwise", "sequential", "tree",
]

@dataclass(frozen=True)
class Datapath:
    """How one dot product is computed: see the module docstring for the exact semantics.

    Parameters
    ----------
    a_format, b_format : Format or str
        Formats of A and B (``b_format`` defaults to ``a_format``).
    multiplier : Multiplier or str
        :class:`~numsim.multipliers.Exact` (default), :class:`~numsim.LMul`, ... or a spelling
        (``"lmul(mantissa_bits=3)"``).
    product_format : Format or str, optional
        Round every product into this format (``None``: products stay exact).
    product_rounding : Rounding or str
        Rounding of the products.
    accumulator : Accumulator or str
        Default ``FloatAccumulator("float32")``; or a spelling (``"bf16"``, ``"fixed<32,0>"``,
        ``"kulisch"``, ``"fused(n=16, e=2)"``).
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
        is not a multiple of the block size. Without block-scaled inputs they have no effect and
        are reset to their defaults, as is ``product_rounding`` without ``product_format``.

    >>> Datapath("int8", accumulator="fixed<32,0>").name
    'int8*int8 exact -> acc fixed<32,0>/wrap (sequential) -> fixed<32,0>'
    """

    a_format: Format | str = "float32"
    b_format: Format | str | None = None
    multiplier: Multiplier | str = field(default_factory=Exact)
    product_format: Format | str | None = None
    product_rounding: Rounding | str = Rounding.NEAREST_EVEN
    accumulator: Accumulator | str = field(default_factory=FloatAccumulator)
    order: Order | str = field(default_factory=Sequential)
    c_format: Format | str | None = None
    out_format: Format | str | None = None
    out_rounding: Rounding | str = Rounding.NEAREST_EVEN
    input_rounding: Rounding | str = Rounding.NEAREST_EVEN
    block_accumulator: Accumulator | str = field(default_factory=Kulisch)
    block_order: Order | str = field(default_factory=Sequential)
    scale_format: Format | str = "float32"
    scale_rounding: Rounding | str = Rounding.NEAREST_EVEN
    block_padding: str = "error"

    def __post_init__(self) -> None:
        a_in = get_format(self.a_format)
        b_in = a_in if self.b_format is None else get_format(self.b_format)
        object.__setattr__(self, "a_format", a_in)
        object.__setattr__(self, "b_format", b_in)
        padding = check_choice("block_padding", self.block_padding, ("error", "zeros"))
        block_order = get_order(self.block_order, "block_order")
        scale_format = scalar_format(self.scale_format, "scale_format")
        scale_rounding = Rounding.parse(self.scale_rounding, "scale_rounding")
        block_acc = get_accumulator(self.block_accumulator, "block_accumulator")
        if not self.block_scaled:  # no effect without blocks: the defaults, so equal datapaths compare equal
            padding, block_order, scale_format, scale_rounding, block_acc = _NO_BLOCKS
        for k, v in (("block_padding", padding), ("block_order", block_order), ("scale_format", scale_format),
                     ("scale_rounding", scale_rounding), ("block_accumulator", block_acc)):
            object.__setattr__(self, k, v)
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
        acc = get_accumulator(self.accumulator)
        order = get_order(self.order)
        prod = None if self.product_format is None else scalar_format(self.product_format, "product_format")
        product_rounding = Rounding.parse(self.product_rounding, "product_rounding") if prod is not None else Rounding.NEAREST_EVEN
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
        value_fmt = _value_format(acc)
        c_fmt = value_fmt if self.c_format is None else scalar_format(self.c_format, "c_format")
        out = value_fmt if self.out_format is None else scalar_format(self.out_format, "out_format")
        for k, v in (
            ("multiplier", mult),
            ("accumulator", acc),
            ("product_format", prod),
            ("product_rounding", product_rounding),
            ("order", order),
            ("c_format", c_fmt),
            ("out_format", out),
            ("out_rounding", Rounding.parse(self.out_rounding, "out_rounding")),
            ("input_rounding", Rounding.parse(self.input_rounding, "input_rounding")),
        ):
            object.__setattr__(self, k, v)
        if self.block_scaled:
            self.outer_datapath()  # validates the accumulation of the block sums

    @property
    def name(self) -> str:
        """The datapath in the grammar of :func:`get_datapath` (module docstring); default parts of
        the optional bracket are left out."""
        parts = [f"{short_name(self.a_format)}*{short_name(self.b_format)} {self.multiplier.name}"]
        if self.product_format is not None:
            parts.append(_with_rounding(self.product_format, self.product_rounding))
        if self.block_scaled:
            parts.append(f"block acc {self.block_accumulator.name} ({self.block_order.name}) x scales")
            parts.append(_with_rounding(self.scale_format, self.scale_rounding))
        parts.append(f"acc {self.accumulator.name} ({self.order.name})")
        parts.append(_with_rounding(self.out_format, self.out_rounding))
        options = []
        if self.c_format != _value_format(self.accumulator):
            options.append(f"c={short_name(self.c_format)}")
        if self.input_rounding is not Rounding.NEAREST_EVEN:
            options.append(f"input={self.input_rounding.value}")
        if self.block_padding != "error":
            options.append(f"padding={self.block_padding}")
        return " -> ".join(parts) + (f" [{', '.join(options)}]" if options else "")

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
        value_fmt = _value_format(acc)
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


def _value_format(acc: Accumulator) -> Format:
    """The format of the accumulator's values: the default of C and of the output (float32 for
    a Kulisch accumulator)."""
    return get_format("float32") if isinstance(acc, Kulisch) else acc.value_format


_NO_BLOCKS = ("error", Sequential(), get_format("float32"), Rounding.NEAREST_EVEN, Kulisch())


def _with_rounding(fmt: Format, rounding: Rounding) -> str:
    return short_name(fmt) if rounding is Rounding.NEAREST_EVEN else f"{short_name(fmt)}/{rounding.value}"


# ---- grammar -----------------------------------------------------------------------------------

DATAPATH_SPELLING = (
    "A*B MULTIPLIER [-> PRODUCT[/ROUNDING]] [-> block acc ACCUMULATOR (ORDER) x scales -> SCALE[/ROUNDING]] "
    "-> acc ACCUMULATOR (ORDER) -> OUT[/ROUNDING] [[c=FORMAT, input=ROUNDING, padding=zeros]]"
)
_OPTIONS = {"c": "c_format", "input": "input_rounding", "padding": "block_padding"}


def get_datapath(spec) -> Datapath:
    """A datapath from a :class:`Datapath` or its spelling (module docstring); the inverse of
    ``Datapath.name``: ``get_datapath(dp.name) == dp``.

    Errors name the part that failed, its position in the string and the allowed spellings.

    >>> get_datapath("e4m3 lmul(mantissa_bits=3) -> acc fp16 (tree(8))").name
    'e4m3*e4m3 lmul(mantissa_bits=3) -> acc fp16 (tree(8)) -> fp16'
    >>> get_datapath("mxfp4 -> acc fp32").block_size
    32
    """
    if isinstance(spec, Datapath):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"datapath must be a Datapath or its spelling ({DATAPATH_SPELLING}), got {spec!r}")
    text, kwargs = spec, {}
    body, options = _split_options(text)
    segments = split_top(body, "->")
    kwargs.update(_head(text, *segments[0]))
    seen_acc = False
    i = 1
    while i < len(segments):
        seg, pos = segments[i]
        if seg.startswith("block acc ") or seg == "block acc":
            if seen_acc or "scale_format" in kwargs:
                raise GrammarError("block accumulation", text, pos, "comes once, before '-> acc'", DATAPATH_SPELLING)
            if not seg.endswith(" x scales") or i + 1 == len(segments):
                raise GrammarError("block accumulation", text, pos, "is written 'block acc ACCUMULATOR (ORDER) x scales -> SCALE_FORMAT'", DATAPATH_SPELLING)
            acc, order = _acc_and_order(seg[len("block acc "):-len(" x scales")], pos + len("block acc "), text, "block")
            kwargs.update(block_accumulator=acc, block_order=order)
            kwargs["scale_format"], kwargs["scale_rounding"] = _format_with_rounding(*segments[i + 1], text, "scale format")
            i += 2
            continue
        if seg.startswith("acc ") or seg == "acc":
            if seen_acc:
                raise GrammarError("accumulator", text, pos, "'-> acc' comes once", DATAPATH_SPELLING)
            kwargs["accumulator"], kwargs["order"] = _acc_and_order(seg[len("acc "):], pos + len("acc "), text, "")
            seen_acc = True
        elif seen_acc:
            if "out_format" in kwargs:
                raise GrammarError("output format", text, pos, f"unexpected {seg!r} after the output format", DATAPATH_SPELLING)
            kwargs["out_format"], kwargs["out_rounding"] = _format_with_rounding(seg, pos, text, "output format")
        else:
            if "product_format" in kwargs or "scale_format" in kwargs:
                raise GrammarError("product format", text, pos, f"unexpected {seg!r}: the output format follows '-> acc ACCUMULATOR'", DATAPATH_SPELLING)
            kwargs["product_format"], kwargs["product_rounding"] = _format_with_rounding(seg, pos, text, "product format")
        i += 1
    if "product_format" in kwargs and not seen_acc and "scale_format" not in kwargs:
        raise GrammarError("product format", text, segments[1][1], "a format after the multiplier rounds the products; "
                           "write the output format after '-> acc ACCUMULATOR'", DATAPATH_SPELLING)
    for key, (value, pos) in options:
        kwargs[_OPTIONS[key]] = value
    try:
        return Datapath(**kwargs)
    except GrammarError:
        raise
    except (TypeError, ValueError) as exc:
        raise GrammarError("datapath", text, 0, str(exc)) from None


def _split_options(text: str) -> tuple[str, list[tuple[str, tuple[str, int]]]]:
    stripped = text.rstrip()
    if not stripped.endswith("]"):
        return text, []
    pieces = split_top(stripped, " [")
    if len(pieces) < 2:
        raise GrammarError("options", text, len(stripped) - 1, "']' without its '['", DATAPATH_SPELLING)
    inner, at = pieces[-1]
    body = stripped[: at - 2]
    options = []
    for piece, pos in split_top(inner[:-1], ",", at):
        key, eq, value = piece.partition("=")
        key = key.strip().lower()
        if not eq or key not in _OPTIONS:
            raise GrammarError("options", text, pos, f"unknown option {piece!r}", "c=FORMAT, input=ROUNDING, padding=error|zeros", key, _OPTIONS)
        options.append((key, (value.strip(), pos + len(piece) - len(value.lstrip()))))
    return body, options


def _head(text: str, seg: str, pos: int) -> dict:
    """``A[*B] [MULTIPLIER]``: the operand formats and the multiplier."""
    pieces = split_top(seg, "*", pos)
    if len(pieces) > 2 or not all(p for p, _ in pieces):
        raise GrammarError("operands", text, pos, f"expected A*B or A before the multiplier, got {seg!r}", DATAPATH_SPELLING)
    (last, at), out = pieces[-1], {}
    b, _, mult = last.partition(" ")
    operands = [(pieces[0][0], pieces[0][1]), (b, at)] if len(pieces) == 2 else [(b, at)]
    for key, (fmt, where) in zip(("a_format", "b_format"), operands):
        out[key] = _format(fmt, where, text, "format of A" if key == "a_format" else "format of B")
    if mult.strip():
        out["multiplier"] = get_multiplier(mult, "multiplier", source=text, offset=at + len(b) + 1)
    return out


def _format(spelling: str, pos: int, text: str, part: str):
    try:
        return get_format(spelling)
    except (TypeError, ValueError) as exc:
        raise GrammarError(part, text, pos, str(exc)) from None


def _format_with_rounding(spelling: str, pos: int, text: str, part: str):
    """``FORMAT[/ROUNDING]``: a rounding mode after the last slash, else the whole is the format."""
    fmt, slash, rounding = spelling.rpartition("/")
    try:
        mode = Rounding.parse(rounding) if slash else None
    except ValueError:  # a block format's own slashes
        mode = None
    if mode is None:
        return _format(spelling, pos, text, part), Rounding.NEAREST_EVEN
    return _format(fmt, pos, text, part), mode


def _acc_and_order(spelling: str, pos: int, text: str, prefix: str) -> tuple[Accumulator, Order]:
    pieces = split_top(spelling, " (", pos)
    order = Sequential()
    if len(pieces) > 1:
        inner, at = pieces[-1]
        if not inner.endswith(")"):
            raise GrammarError(f"{prefix} order".strip(), text, at, f"missing ')' after {inner!r}", ORDER_SPELLINGS)
        order = get_order(inner[:-1], f"{prefix} order".strip(), source=text, offset=at)
        spelling = spelling[: at - pos - 2]
    acc = get_accumulator(spelling, f"{prefix} accumulator".strip(), source=text, offset=pos)
    return acc, order
