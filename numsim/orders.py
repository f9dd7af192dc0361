"""Summation orders of a dot-product datapath, and their grammar.

The order decides which additions the accumulator performs (exact semantics in
:mod:`numsim.datapath`). Each prints as the string :func:`get_order` reads back: ``sequential``,
``pairwise``, ``tree(W)``, ``chunked(N, outer=ACC[, inner=ORDER])`` (``outer`` a float
accumulator spelling, default ``fp32``).

>>> get_order("chunked(128, outer=fp32/toward_zero, inner=tree(4))").name
'chunked(128, outer=fp32/toward_zero, inner=tree(4))'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._checks import check_int
from ._syntax import GrammarError, read_call, read_int
from .accumulators import FloatAccumulator, get_accumulator




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
        object.__setattr__(self, "width", check_int("width", self.width, 2))

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
    outer: FloatAccumulator | str = field(default_factory=FloatAccumulator)
    inner: Order | str = field(default_factory=Sequential)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", check_int("n", self.n, 1))
        outer = get_accumulator(self.outer, "outer")
        if not isinstance(outer, FloatAccumulator):
            raise TypeError(f"outer must be a float accumulator (FloatAccumulator or a spelling such as 'fp32'), got {outer.name!r}")
        object.__setattr__(self, "outer", outer)
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


def chunked(n: int, outer: FloatAccumulator | str | None = None, inner: Order | str | None = None) -> Chunked:
    """Promotion every ``n`` products into ``outer`` (default fp32, nearest-even)."""
    return Chunked(n, FloatAccumulator() if outer is None else outer, Sequential() if inner is None else inner)


ORDER_SPELLINGS = "sequential, pairwise, tree(W), chunked(N[, outer=ACCUMULATOR][, inner=ORDER])"
_ORDER_NAMES = ("sequential", "pairwise", "tree", "chunked")


def get_order(spec, argument: str = "order", *, source: str | None = None, offset: int = 0) -> Order:
    """An order from a spec object or its spelling; ``get_order(order.name) == order``.

    ``argument`` names the value in errors; ``source`` and ``offset`` place the spelling inside
    a longer string (a datapath).

    >>> get_order("tree(4)")
    Tree(width=4)
    """
    if isinstance(spec, Order):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"{argument} must be an Order (Sequential, Pairwise, Tree, Chunked) or its spelling ({ORDER_SPELLINGS}), got {spec!r}")
    source = spec if source is None else source
    call = read_call(spec, argument, offset, ORDER_SPELLINGS, source)
    if call.name not in _ORDER_NAMES:
        raise GrammarError(argument, source, call.offset, f"unknown order {call.name!r}", ORDER_SPELLINGS, call.name, _ORDER_NAMES)
    try:
        if call.name == "tree":
            bound = call.bind(("width",), argument, source, ORDER_SPELLINGS)
            if "width" not in bound:
                raise GrammarError(argument, source, call.offset, "tree needs its width, e.g. tree(8)", ORDER_SPELLINGS)
            return Tree(read_int(*bound["width"], "width", argument, source))
        if call.name == "chunked":
            bound = call.bind(("n", "outer", "inner"), argument, source, ORDER_SPELLINGS)
            if "n" not in bound:
                raise GrammarError(argument, source, call.offset, "chunked needs its interval, e.g. chunked(128)", ORDER_SPELLINGS)
            outer = FloatAccumulator() if "outer" not in bound else get_accumulator(bound["outer"][0], "outer", source=source, offset=bound["outer"][1])
            inner = Sequential() if "inner" not in bound else get_order(bound["inner"][0], "inner", source=source, offset=bound["inner"][1])
            return Chunked(read_int(*bound["n"], "n", argument, source), outer, inner)
        call.bind((), argument, source, ORDER_SPELLINGS)
        return Sequential() if call.name == "sequential" else Pairwise()
    except GrammarError:
        raise
    except (TypeError, ValueError) as exc:
        raise GrammarError(argument, source, call.offset, str(exc), ORDER_SPELLINGS) from None
