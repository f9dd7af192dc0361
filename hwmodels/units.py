"""Arithmetic-unit cost models: each a function of bit widths returning a :class:`Cost`.

Every model is a gate-level structure (cell counts and a critical path, in
:mod:`hwmodels._gates`, following section 4 of the hardware reference) priced by a
:class:`~hwmodels.tech.Tech`. Which calibration a part gets follows the arithmetic it does:
integer multiplications (significand arrays of float multipliers included) the integer-multiplier
class, float multiplications the FP-multiplier class, fixed-point additions (ripple, prefix,
Kulisch registers, adder trees, the adder of L-Mul) the integer-adder class, float additions the
FP-adder class; shifters, counters, multiplexers and registers are bare cells. ``tech`` is
anything :func:`~hwmodels.tech.get_tech` accepts (default the built-in 45 nm table).

>>> round(int_multiplier(8, 8).energy_pj, 3), round(fp_adder(8, 23).area_um2)  # Horowitz anchors
(0.2, 4184)
>>> round(lmul_multiplier(4, 3).energy_pj / float_product(4, 3, 4, 3).energy_pj, 2)  # L-Mul vs the e4m3 product
0.44
"""

from __future__ import annotations

import numbers
from functools import lru_cache

from . import _gates as g
from ._checks import choice
from .cost import Cost
from .tech import Tech, get_tech

PREFIX_KINDS = ("kogge_stone", "brent_kung", "sklansky")


def _w(name: str, value, minimum: int = 1, maximum: int = 4096) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer number of bits, got {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{name} must be between {minimum} and {maximum}, got {value!r}")
    return int(value)


def _t(tech) -> Tech:
    return tech if isinstance(tech, Tech) else get_tech(tech)


def _arch(arch: str) -> str:
    return choice("arch", arch, sorted(g.MULTIPLIER_ARCHS))


# ---- integer building blocks -------------------------------------------------------------------


def ripple_adder(n: int, tech=None) -> Cost:
    """n-bit ripple-carry adder: n full adders (integer-adder class).

    >>> round(ripple_adder(8).area_um2, 1), round(ripple_adder(32).energy_pj, 3)  # Horowitz: 36 um^2, 0.1 pJ
    (36.0, 0.1)
    """
    return _ripple(_w("n", n), _t(tech))


@lru_cache(maxsize=4096)
def _ripple(n: int, t: Tech) -> Cost:
    return t.price(g.ripple_adder(n), "int_adder", f"adder{n}")


def prefix_adder(n: int, kind: str = "kogge_stone", tech=None) -> Cost:
    """n-bit parallel-prefix adder (Kogge-Stone, Brent-Kung or Sklansky): more cells than a ripple
    adder, log-depth carry (integer-adder class)."""
    kind = choice("kind", kind, PREFIX_KINDS)
    return _t(tech).price(g.prefix_adder(_w("n", n), kind), "int_adder", f"{kind} adder{n}")


def incrementer(n: int, tech=None) -> Cost:
    """n half adders."""
    return _t(tech).price(g.incrementer(_w("n", n)), None, f"incrementer{n}")


def register(n: int, tech=None) -> Cost:
    """n flip-flops: energy of one write of all bits."""
    return _register(_w("n", n), _t(tech))


@lru_cache(maxsize=4096)
def _register(n: int, t: Tech) -> Cost:
    return t.price(g.register(n), None, f"register{n}")


def barrel_shifter(width: int, shift_range: int, tech=None) -> Cost:
    """``width`` bits shifted by 0..``shift_range`` places: ``ceil(log2(range + 1))`` mux stages."""
    return _t(tech).price(g.barrel_shifter(_w("width", width), _w("shift_range", shift_range, 0)), None, "shifter")


def leading_zero_counter(width: int, tech=None) -> Cost:
    """Tree leading-zero counter over ``width`` bits."""
    return _t(tech).price(g.leading_zero_counter(_w("width", width)), None, "lzc")


def int_multiplier(n: int, m: int, arch: str = "array", tech=None) -> Cost:
    """n x m integer multiplier: ``"array"`` (carry-save array), ``"booth"`` (radix-4 Booth) or
    ``"dadda"`` (Dadda tree) (integer-multiplier class, calibrated with the array structure).

    >>> round(int_multiplier(32, 32).area_um2), round(int_multiplier(32, 32, "booth").area_um2)
    (3495, 3199)
    """
    return _int_mult(_w("n", n), _w("m", m), _arch(arch), _t(tech))


@lru_cache(maxsize=4096)
def _int_mult(n: int, m: int, arch: str, t: Tech) -> Cost:
    return t.price(g.MULTIPLIER_ARCHS[arch](n, m), "int_multiplier", f"{arch} multiplier {n}x{m}")


def array_multiplier(n: int, m: int, tech=None) -> Cost:
    """n x m carry-save array multiplier (n m AND, n (m - 2) FA, n HA)."""
    return int_multiplier(n, m, "array", tech)


def booth_multiplier(n: int, m: int, tech=None) -> Cost:
    """n x m radix-4 Booth multiplier."""
    return int_multiplier(n, m, "booth", tech)


def dadda_multiplier(n: int, m: int, tech=None) -> Cost:
    """n x m Dadda-tree multiplier."""
    return int_multiplier(n, m, "dadda", tech)


def adder_tree(k: int, width: int, tech=None) -> Cost:
    """k - 1 adders summing k lanes of ``width`` bits, growing one bit per level (integer-adder
    class per adder); the delay is one adder per level."""
    return _adder_tree(_w("k", k, 1, 1 << 16), _w("width", width), _t(tech))


@lru_cache(maxsize=4096)
def _adder_tree(k: int, width: int, t: Tech) -> Cost:
    total, lanes, level = Cost(name="adder tree"), k, 0
    delay = 0.0
    while lanes > 1:
        level += 1
        pairs = lanes // 2
        adder = _ripple(width + level, t)
        total = total + pairs * adder
        delay += adder.delay_ns
        lanes -= pairs
    return Cost(total.area_um2, total.energy_pj, delay, total.leakage_uw, f"adder tree {k}x{width}")


def kulisch_accumulator(width: int, tech=None) -> Cost:
    """A ``width``-bit exact accumulator: adder (integer-adder class) and register."""
    return fixed_accumulator(width, tech)


def fixed_accumulator(width: int, tech=None) -> Cost:
    """A ``width``-bit two's-complement accumulator: adder and register."""
    return _fixed_acc(_w("width", width), _t(tech))


@lru_cache(maxsize=4096)
def _fixed_acc(width: int, t: Tech) -> Cost:
    return (_ripple(width, t) + _register(width, t)).named(f"accumulator{width}")


# ---- floating point ----------------------------------------------------------------------------


def float_product(ea: int, ma: int, eb: int | None = None, mb: int | None = None, arch: str = "array", tech=None) -> Cost:
    """The exact product of ``E{ea}M{ma}`` and ``E{eb}M{mb}`` operands, unnormalised and unrounded
    (as a Kulisch MAC or a tensor core takes it): sign, exponent adder, (Ma + 1) x (Mb + 1)
    significand array (FP-multiplier class). An integer operand is ``E = 0`` with ``M = bits - 1``.
    """
    eb = ea if eb is None else eb
    mb = ma if mb is None else mb
    return _float_product(_w("ea", ea, 0, 15), _w("ma", ma, 0, 52), _w("eb", eb, 0, 15), _w("mb", mb, 0, 52), _arch(arch), _t(tech))


@lru_cache(maxsize=4096)
def _float_product(ea: int, ma: int, eb: int, mb: int, arch: str, t: Tech) -> Cost:
    return t.price(g.float_product(ea, ma + 1, eb, mb + 1, arch), "fp_multiplier", f"e{ea}m{ma}*e{eb}m{mb} product")


def fp_multiplier(e: int, m: int, arch: str = "array", tech=None) -> Cost:
    """ExMy x ExMy -> ExMy multiplier with round-to-nearest-even and specials (FP-multiplier class).

    >>> round(fp_multiplier(5, 10).energy_pj, 2), round(fp_multiplier(8, 23).area_um2)  # Horowitz fp16 / fp32
    (1.1, 7700)
    """
    return _fp_mult(_w("e", e, 1, 15), _w("m", m, 0, 52), _arch(arch), _t(tech))


@lru_cache(maxsize=4096)
def _fp_mult(e: int, m: int, arch: str, t: Tech) -> Cost:
    return t.price(g.fp_multiplier(e, m, arch), "fp_multiplier", f"e{e}m{m} multiplier")


def fp_adder(e: int, m: int, addend_sig: int = 0, tech=None) -> Cost:
    """ExMy adder (FP-adder class). ``addend_sig`` widens the alignment datapath to take a
    wider significand (an exact product added into this format).

    >>> round(fp_adder(5, 10).area_um2), round(fp_adder(8, 23).energy_pj, 2)  # Horowitz fp16 / fp32
    (1360, 0.9)
    """
    return _fp_add(_w("e", e, 1, 15), _w("m", m, 0, 52), _w("addend_sig", addend_sig, 0, 256), _t(tech))


@lru_cache(maxsize=4096)
def _fp_add(e: int, m: int, addend_sig: int, t: Tech) -> Cost:
    """The class calibration covers the adder of the format itself; the extra alignment, adder
    and normalisation bits a wider addend needs are priced at the bare cells."""
    own = t.price(g.fp_adder(e, m), "fp_adder")
    if addend_sig <= m + 1:
        return Cost(own.area_um2, own.energy_pj, own.delay_ns, own.leakage_uw, f"e{e}m{m} adder")
    wide, bare = t.price(g.fp_adder(e, m, addend_sig)), t.price(g.fp_adder(e, m))
    return Cost(
        own.area_um2 + wide.area_um2 - bare.area_um2, own.energy_pj + wide.energy_pj - bare.energy_pj, wide.delay_ns,
        own.leakage_uw + wide.leakage_uw - bare.leakage_uw, f"e{e}m{m} adder ({addend_sig}-bit addend)",
    )


def fma(e: int, m: int, arch: str = "array", tech=None) -> Cost:
    """ExMy fused multiply-add: the exact product plus an adder whose alignment datapath takes the
    2(M + 1)-bit product, rounded once."""
    t = _t(tech)
    e, m = _w("e", e, 1, 15), _w("m", m, 0, 52)
    return (_float_product(e, m, e, m, _arch(arch), t) + _fp_add(e, m, 2 * (m + 1), t)).named(f"e{e}m{m} fma")


# ---- approximate and table multipliers ---------------------------------------------------------


def lmul_multiplier(e: int, m: int, tech=None) -> Cost:
    """L-Mul (and Mitchell on floats) on ExMy: one (E + M)-bit adder of the magnitudes (integer-adder
    class), the correction constant as a half-adder row, sign XOR, carry-case multiplexers and
    zero detection; no significand array, normaliser or rounder."""
    return _lmul(_w("e", e, 1, 15), _w("m", m, 0, 52), _t(tech))


@lru_cache(maxsize=4096)
def _lmul(e: int, m: int, t: Tech) -> Cost:
    n = e + m
    rest = g.incrementer(n) + g.cells(xor2=1, mux2=2 * n, path_too=False).beside(g.cells(mux2=2)) + g.or_tree(n).times(2).off_path()
    return (_ripple(n, t) + t.price(rest, None, "carry cases")).named(f"lmul e{e}m{m}")


def mitchell_multiplier(n: int, m: int, tech=None) -> Cost:
    """Mitchell's n x m integer logarithmic multiplier: leading-one detectors and fraction
    shifters per operand, one adder (integer-adder class), an antilog shifter."""
    t = _t(tech)
    n, m = _w("n", n), _w("m", m)
    w = max(n, m)
    other = (g.leading_zero_counter(w) + g.barrel_shifter(w, w)).times(2) + g.barrel_shifter(n + m, n + m) + g.negator(n + m).off_path()
    return (_ripple(w + g.clog2(w) + 1, t) + t.price(other, None, "log/antilog")).named(f"mitchell {n}x{m}")


def drum_multiplier(n: int, m: int, k: int, tech=None) -> Cost:
    """DRUM-k on n x m integers: leading-one detectors and k-bit window selectors, a k x k array
    multiplier (integer-multiplier class) and the output shifter."""
    t = _t(tech)
    n, m, k = _w("n", n), _w("m", m), _w("k", k)
    w = max(n, m)
    k = min(k, w)
    other = (g.leading_zero_counter(w) + g.barrel_shifter(k, w)).times(2) + g.barrel_shifter(2 * k, n + m) + g.negator(n + m).off_path()
    return (_int_mult(k, k, "array", t) + t.price(other, None, "window select")).named(f"drum{k} {n}x{m}")


def truncated_multiplier(n: int, m: int, vbl: int = 0, hbl: int = 0, tech=None) -> Cost:
    """Broken-array n x m multiplier: the array cells of the kept partial-product bits
    (integer-multiplier class)."""
    n, m = _w("n", n), _w("m", m)
    gates = g.truncated_multiplier(n, m, _w("vbl", vbl, 0), _w("hbl", hbl, 0))
    return _t(tech).price(gates, "int_multiplier", f"truncated {n}x{m}")


def lut_multiplier(a_bits: int, b_bits: int, out_bits: int, tech=None) -> Cost:
    """A product table indexed by both operand codes: ``2^(a + b)`` words of ``out_bits``, read
    through a multiplexer tree per output bit (bare cells; exponential in the operand bits)."""
    a, b = _w("a_bits", a_bits, 1, 12), _w("b_bits", b_bits, 1, 12)
    if a + b > 20:
        raise ValueError(f"a lookup-table multiplier of {a} x {b} bits has 2^{a + b} entries; at most 2^20 are modelled")
    return _t(tech).price(g.rom(1 << (a + b), _w("out_bits", out_bits)), None, f"lut {a}x{b}")


# ---- shared pieces of dot-product units --------------------------------------------------------


def aligner(sig: int, shift_range: int, tech=None) -> Cost:
    """Shift a ``sig``-bit product into a fixed-point lane ``sig + shift_range`` bits wide and
    negate it conditionally (a Kulisch MAC's or an MX lane's aligner)."""
    return _aligner(_w("sig", sig), _w("shift_range", shift_range, 0), _t(tech))


@lru_cache(maxsize=4096)
def _aligner(sig: int, shift_range: int, t: Tech) -> Cost:
    return t.price(g.aligner(sig, shift_range), None, "aligner")


def normaliser(width: int, sig: int, exp: int, tech=None) -> Cost:
    """Two's-complement sum of ``width`` bits to a float with ``sig``-bit significand and ``exp``
    exponent bits: negation, LZC, normalisation shift, rounding."""
    return _normaliser(_w("width", width), _w("sig", sig), _w("exp", exp, 0), _t(tech))


@lru_cache(maxsize=4096)
def _normaliser(width: int, sig: int, exp: int, t: Tech) -> Cost:
    return t.price(g.normaliser(width, sig, exp), None, "normaliser")


def rounder(sig: int, exp: int, width: int, tech=None) -> Cost:
    """Round a ``width``-bit significand to ``sig`` bits (one-place normalisation, sticky,
    incrementer, exponent increment)."""
    return _rounder(_w("sig", sig), _w("exp", exp, 0), _w("width", width), _t(tech))


@lru_cache(maxsize=4096)
def _rounder(sig: int, exp: int, width: int, t: Tech) -> Cost:
    return t.price(g.round_stage(sig, exp, width), None, "rounder")


def fused_multi_term(n: int, window: int, e_acc: int, m_acc: int, product_exp: int, product_sig: int, tech=None) -> Cost:
    """A tensor-core n-term fused adder (per block of n products and the running value):
    exponent differences and a max-exponent tree of E-bit comparators, an aligner per product
    into a ``window + 2``-bit lane (truncating), an adder tree over n + 1 lanes, one
    normalisation and rounding into ExMy of the accumulator and its register."""
    t = _t(tech)
    return _fused(_w("n", n, 1, 1 << 16), _w("window", window), _w("e_acc", e_acc, 1, 15), _w("m_acc", m_acc, 0, 52), _w("product_exp", product_exp, 0, 16), _w("product_sig", product_sig), t)


@lru_cache(maxsize=4096)
def _fused(n: int, window: int, e_acc: int, m_acc: int, pe: int, ps: int, t: Tech) -> Cost:
    lane = window + 2
    exp_bits = max(pe, e_acc) + 1
    max_tree = n * _ripple(exp_bits, t) + t.price(g.cells(mux2=n * exp_bits, path_too=False), None)
    align = (n + 1) * t.price(g.barrel_shifter(lane, lane) + g.negator(lane), None)
    tree = _adder_tree(n + 1, lane, t)
    tail = _normaliser(lane + g.clog2(n + 1), m_acc + 1, e_acc, t) + _register(1 + e_acc + m_acc, t)
    return (max_tree.named("max exponent") + align.named("aligners") + tree + tail.named("normalise, round, register")).named(f"fused {n}-term adder")


__all__ = [
    "adder_tree", "aligner", "array_multiplier", "barrel_shifter", "booth_multiplier", "dadda_multiplier", "drum_multiplier",
    "fixed_accumulator", "float_product", "fma", "fp_adder", "fp_multiplier", "fused_multi_term", "incrementer", "int_multiplier",
    "kulisch_accumulator", "leading_zero_counter", "lmul_multiplier", "lut_multiplier", "mitchell_multiplier", "normaliser",
    "prefix_adder", "register", "ripple_adder", "rounder", "truncated_multiplier",
]
