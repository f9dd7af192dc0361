"""Gate-level structure of the arithmetic units: how many of each primitive cell a unit uses and
which cells lie on its critical path. Technology-free; :class:`hwmodels.tech.Tech` prices it.

Counts follow the textbook structures of the hardware reference (section 4); each function says
what it counts. Widths are checked by the public wrappers in :mod:`hwmodels.units`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

from .data import CELL_GATE_DELAYS

CELLS = ("fa", "ha", "and2", "or2", "xor2", "mux2", "inv", "ff")
#: Nominal delay of each cell in gate delays, used only to pick the longer of parallel paths.
_WEIGHT = tuple(CELL_GATE_DELAYS[c] for c in CELLS)
_ZERO = (0,) * len(CELLS)


class Gates(NamedTuple):
    """Cell counts (in :data:`CELLS` order) and the cells along the critical path."""

    counts: tuple = _ZERO
    path: tuple = _ZERO

    def __add__(self, other: Gates) -> Gates:  # type: ignore[override]
        """Series: counts and paths add."""
        return Gates(_plus(self.counts, other.counts), _plus(self.path, other.path))

    def beside(self, other: Gates) -> Gates:
        """Parallel: counts add; the path is the longer one."""
        return Gates(_plus(self.counts, other.counts), max(self.path, other.path, key=_length))

    def times(self, k: float) -> Gates:
        """``k`` copies side by side (the path is unchanged)."""
        return Gates(tuple(k * c for c in self.counts), self.path)

    def off_path(self) -> Gates:
        """The same cells, none on the critical path (side logic)."""
        return Gates(self.counts, _ZERO)


def _plus(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def _length(path: tuple) -> float:
    return sum(w * c for w, c in zip(_WEIGHT, path))


def cells(path_too: bool = True, **counts: float) -> Gates:
    """Gates from named counts, e.g. ``cells(fa=8)``; ``path_too`` puts them all on the path."""
    vec = tuple(float(counts.get(name, 0)) for name in CELLS)
    return Gates(vec, vec if path_too else _ZERO)


def clog2(x: float) -> int:
    """``ceil(log2 x)`` for ``x >= 1`` (0 for ``x <= 1``)."""
    return math.ceil(math.log2(x)) if x > 1 else 0


NOTHING = Gates()


# ---- adders ------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def ripple_adder(n: int) -> Gates:
    """n full adders; the carry ripples through all of them."""
    return cells(fa=n)


@lru_cache(maxsize=None)
def prefix_adder(n: int, kind: str = "kogge_stone") -> Gates:
    """Parallel-prefix adder: n generate/propagate cells (AND + XOR), the prefix network (each
    node an AND-OR plus an AND: 2 AND + 1 OR) and n sum XORs. Prefix nodes: Kogge-Stone
    ``n log2 n - n + 1``, Brent-Kung ``2n - 2 - log2 n``, Sklansky ``(n / 2) log2 n``; depth
    ``log2 n``, ``2 log2 n - 1`` and ``log2 n`` nodes."""
    lg = clog2(n)
    nodes, depth = {
        "kogge_stone": (n * lg - n + 1, lg),
        "brent_kung": (2 * n - 2 - lg, max(2 * lg - 1, 0)),
        "sklansky": ((n // 2) * lg, lg),
    }[kind]
    nodes = max(nodes, 0)
    return Gates((0, 0, n + 2 * nodes, nodes, 2 * n, 0, 0, 0), (0, 0, 1 + 2 * depth, depth, 2, 0, 0, 0))


@lru_cache(maxsize=None)
def incrementer(n: int) -> Gates:
    """n half adders (a carry chain adding one)."""
    return cells(ha=n)


@lru_cache(maxsize=None)
def register(n: int) -> Gates:
    """n flip-flops (one on the path: clock-to-output plus set-up)."""
    return Gates(cells(ff=n).counts, cells(ff=1).counts if n else _ZERO)


@lru_cache(maxsize=None)
def negator(n: int) -> Gates:
    """Conditional two's-complement negation: n XORs inverting the bits; the +1 enters as the
    carry-in of the adder that follows."""
    return cells(xor2=n, path_too=False).beside(cells(xor2=1))


# ---- multipliers -------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def array_multiplier(n: int, m: int) -> Gates:
    """n x m carry-save array: n m AND, n (m - 2) FA and n HA (m <= n; EvoApproxLib's exact 8 x 8
    multiplier has exactly 64 AND, 48 FA, 8 HA); critical path about n + m FAs."""
    n, m = max(n, m), min(n, m)
    if m == 1:
        return cells(and2=n, path_too=False).beside(cells(and2=1))
    return Gates((n * (m - 2), n, n * m, 0, 0, 0, 0, 0), (n + m - 2, 1, 1, 0, 0, 0, 0, 0))


@lru_cache(maxsize=None)
def booth_multiplier(n: int, m: int) -> Gates:
    """Radix-4 Booth: ``r = ceil((m + 1) / 2)`` recoded rows of n + 1 selector bits (XOR + AND +
    OR per bit), r encoders (2 XOR + AND), a carry-save reduction of r rows ((r - 2)(n + 2) FA)
    and an (n + m)-bit carry-propagate adder."""
    r = math.ceil((m + 1) / 2)
    sel = r * (n + 1)
    red = max(r - 2, 0) * (n + 2)
    levels = _dadda_levels(r)
    counts = (red + n + m, r, sel + r, sel, sel + 2 * r, 0, 0, 0)
    path = (levels + n + m, 0, 1, 1, 2, 0, 0, 0)
    return Gates(counts, path)


def _dadda_levels(rows: int) -> int:
    """Carry-save stages that reduce ``rows`` operands to two (d = 2, 3, 4, 6, 9, 13, ...)."""
    d, seq = 2, [2]
    while d < rows:
        d = math.floor(1.5 * d)
        seq.append(d)
    return len(seq) - 1


@lru_cache(maxsize=None)
def dadda_multiplier(n: int, m: int) -> Gates:
    """Dadda tree over n m partial-product bits: n m AND, ``n m - 2(n + m) + 3`` FA (each FA
    removes one bit until two rows of n + m - 1 bits less one remain; ``n^2 - 4n + 3`` for
    n = m, as in the reference) and ``m - 1`` HA, then an (n + m)-bit ripple carry-propagate
    adder; depth: the Dadda stages for ``min(n, m)`` rows."""
    n, m = max(n, m), min(n, m)
    fa = max(n * m - 2 * n - 2 * m + 3, 0)
    counts = (fa + n + m, m - 1, n * m, 0, 0, 0, 0, 0)
    path = (_dadda_levels(m) + n + m, 0, 1, 0, 0, 0, 0, 0)
    return Gates(counts, path)


MULTIPLIER_ARCHS = {"array": array_multiplier, "booth": booth_multiplier, "dadda": dadda_multiplier}


@lru_cache(maxsize=None)
def truncated_multiplier(n: int, m: int, vbl: int, hbl: int) -> Gates:
    """Broken-array multiplier: the array's cells for the kept partial-product bits
    (rows ``i >= hbl``, columns ``i + j >= vbl``); FAs and HAs shrink in proportion."""
    n, m = max(n, m), min(n, m)
    kept = sum(1 for i in range(m) for j in range(n) if i >= hbl and i + j >= vbl)
    full = array_multiplier(n, m)
    if kept == 0:
        return NOTHING
    share = kept / (n * m)
    counts = tuple(c * share for c in full.counts)
    return Gates(counts, full.path)


@lru_cache(maxsize=None)
def rom(words: int, bits: int) -> Gates:
    """A read-only table: per output bit a tree of ``words - 1`` 2:1 multiplexers selected by the
    address (log2 words levels on the path)."""
    return Gates((0, 0, 0, 0, 0, bits * (words - 1), 0, 0), (0, 0, 0, 0, 0, clog2(words), 0, 0))


# ---- shifters and counters ---------------------------------------------------------------------


@lru_cache(maxsize=None)
def barrel_shifter(width: int, shift_range: int) -> Gates:
    """``width`` bits through ``ceil(log2(shift_range + 1))`` stages of 2:1 multiplexers."""
    stages = clog2(shift_range + 1)
    return Gates((0, 0, 0, 0, 0, width * stages, 0, 0), (0, 0, 0, 0, 0, stages, 0, 0))


@lru_cache(maxsize=None)
def leading_zero_counter(width: int) -> Gates:
    """Tree LZC: ``width`` OR cells of all-zero flags and, at level l, ``width / 2^l`` nodes
    that pass l count bits through 2:1 multiplexers; ``log2 width`` levels."""
    levels = clog2(width)
    mux = sum((width >> lv) * lv for lv in range(1, levels + 1))
    return Gates((0, 0, 0, width, 0, mux, 0, 0), (0, 0, 0, 1, 0, levels, 0, 0))


@lru_cache(maxsize=None)
def or_tree(width: int) -> Gates:
    """``width - 1`` OR gates (a sticky bit, a zero detector), log2 width deep."""
    return Gates((0, 0, 0, max(width - 1, 0), 0, 0, 0, 0), (0, 0, 0, clog2(width), 0, 0, 0, 0))


# ---- floating point ----------------------------------------------------------------------------


def specials(e: int, m: int) -> Gates:
    """Zero / Inf / NaN detection of two operands (all-ones and all-zeros trees on E and M bits)
    and an (E + M)-bit output multiplexer selecting the special results."""
    return (or_tree(e).times(4) + or_tree(m).times(2)).off_path() + cells(mux2=e + m, path_too=False).beside(cells(mux2=1))


@lru_cache(maxsize=None)
def float_product(ea: int, sa: int, eb: int, sb: int, arch: str = "array") -> Gates:
    """The exact product of two floats with significands of ``sa`` and ``sb`` bits (hidden bit
    included; an integer operand has E = 0): sign XOR, an exponent adder of max(Ea, Eb) + 1 bits,
    the sa x sb significand multiplier; no normalisation or rounding."""
    sig = MULTIPLIER_ARCHS[arch](sa, sb)
    e = max(ea, eb)
    exp = ripple_adder(e + 1) if e else NOTHING
    return sig.beside(exp).beside(cells(xor2=1)) + specials(e, max(sa, sb) - 1).off_path()


@lru_cache(maxsize=None)
def round_stage(sig: int, exp: int, width: int) -> Gates:
    """Normalise a ``width``-bit significand product by at most one place and round it to
    ``sig`` bits (nearest-even): 1-bit shift multiplexers, a sticky OR over the dropped bits, an
    incrementer of ``sig`` bits and an exponent incrementer."""
    dropped = max(width - sig, 0)
    return cells(mux2=sig, path_too=False).beside(cells(mux2=1)) + or_tree(dropped).off_path() + incrementer(sig) + incrementer(exp + 1).off_path()


@lru_cache(maxsize=None)
def fp_multiplier(e: int, m: int, arch: str = "array") -> Gates:
    """ExMy x ExMy -> ExMy: the exact product (section 4.3) plus bias subtraction, one-place
    normalisation and round-to-nearest-even, with special-case logic."""
    s = m + 1
    return float_product(e, s, e, s, arch) + ripple_adder(e + 1) + round_stage(s, e, 2 * s)


@lru_cache(maxsize=None)
def fp_adder(e: int, m: int, other_sig: int = 0) -> Gates:
    """ExMy adder (section 4.4): exponent subtract, swap multiplexers, alignment shifter over
    ``W = max(M + 1, other_sig) + 3`` bits (guard, round, sticky) with a sticky OR, conditional
    negation and a W-bit add, a leading-zero counter, the normalisation shifter, rounding and
    the exponent adjust. ``other_sig`` widens the datapath for a wider addend (an exact product
    of narrower formats added into this format: a fused multiply-add's adder)."""
    w = max(m + 1, other_sig) + 3
    return (
        ripple_adder(e + 1)
        + cells(mux2=2 * (e + w), path_too=False).beside(cells(mux2=1))
        + barrel_shifter(w, w)
        + or_tree(w).off_path()
        + negator(w)
        + ripple_adder(w)
        + leading_zero_counter(w)
        + barrel_shifter(w, w)
        + incrementer(m + 1)
        + ripple_adder(e + 1).off_path()
        + specials(e, m)
    )


# ---- accumulators and block units --------------------------------------------------------------


@lru_cache(maxsize=None)
def aligner(sig: int, shift_range: int) -> Gates:
    """Shift a ``sig``-bit significand product into a fixed-point lane ``sig + shift_range`` bits
    wide (``log2(shift_range + 1)`` stages) and negate it conditionally."""
    width = sig + shift_range
    return barrel_shifter(width, shift_range) + negator(width)


@lru_cache(maxsize=None)
def normaliser(width: int, sig: int, exp: int) -> Gates:
    """Convert a ``width``-bit two's-complement sum to a float with ``sig``-bit significand:
    magnitude (negation), leading-zero count, normalisation shift, rounding incrementer and the
    exponent computation."""
    return negator(width) + leading_zero_counter(width) + barrel_shifter(width, width) + or_tree(max(width - sig, 1)).off_path() + incrementer(sig) + ripple_adder(exp + 1).off_path()
