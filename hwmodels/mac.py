"""``mac_cost``: area, energy and delay of one multiply-accumulate of a :class:`numsim.Datapath`.

The MAC is composed exactly as the datapath says (unit models of :mod:`hwmodels.units`):

1. **multiplier** of the two input formats: an integer multiplier (int / fixed-point operands),
   the exact float product (sign, exponent adder, significand array; an integer operand of a
   mixed pair has E = 0), L-Mul / Mitchell (one adder on the bit patterns), Mitchell / DRUM /
   broken-array integer multipliers, or a product table;
2. **product rounding** when ``product_format`` is set (one-place normalisation and rounding to
   the product format; the product then enters the accumulator in that format);
3. **accumulator**: a float accumulator is an FP adder of its format whose alignment datapath is
   widened to the product's significand when that is wider (an FMA's adder) plus the register;
   a fixed-point or Kulisch register is an aligner (float products: shifted over the
   product's exponent range and negated) plus a W-bit adder and register, W from
   :func:`numsim.datapath.kulisch_width` for ``n_terms`` terms; a fused multi-term adder
   (tensor core) is charged per block of n products and divided by n;
4. **order**: sequential, tree and pairwise orders all perform one two-input addition per
   product (a tree of k leaves has k - 1 adders plus the addition into the running value), so
   they cost the same per MAC (pipeline registers inside trees are not charged); ``chunked(n)``
   adds the outer accumulator's adder and register once per n products;
5. **block-scaled inputs** (MX, NVFP4, BFP): per element the element multiplier; with the
   default exact block accumulator an aligner into the intra-block lane (float elements: the
   product significand plus the exponent span ``(2^Ea - 2) + (2^Eb - 2)``) and the k-lane adder
   tree divided by k; once per block (divided by k) the scale product (an exponent adder for
   power-of-two scales, a float product otherwise), the normalisation of the block sum into
   ``scale_format`` and the accumulator of the scaled block sums; a two-level (NVFP4) tensor
   scale costs an fp32 multiply and add once per output (divided by ``n_terms``);
6. the conversion of the accumulator into ``out_format`` happens once per dot product
   (divided by ``n_terms``); ``operand_registers=True`` adds the A and B registers of a
   systolic processing element.

The delay is the per-product critical path (multiplier, rounding, aligner, accumulator); parts
run once per block or per dot product do not add to it.

>>> import numsim
>>> c = mac_cost(numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32, 0)))
>>> [name for name, _ in c.breakdown]
['multiplier', 'accumulator']
>>> round(c.energy_pj, 3)  # Horowitz: 8-bit multiply 0.2 pJ + 32-bit add 0.1 pJ, plus the register
0.387
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numsim.blocks import BlockFormat
from numsim.datapath import Chunked, Datapath, FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch, get_datapath, kulisch_width
from numsim.formats import FloatFormat, Format
from numsim.multipliers import DRUM, Exact, LMul, Lookup, Mitchell, Truncated

from . import _gates as g
from . import units as u
from ._checks import boolean, instance, integer
from .cost import Cost
from .data import DEFAULT_N_TERMS
from .tech import Tech, get_tech


class _Product:
    """What reaches the accumulator: exponent bits, significand bits (hidden bit and sign
    magnitude), and the exponent span a fixed-point register must cover."""

    __slots__ = ("exp", "sig", "span")

    def __init__(self, exp: int, sig: int, span: int) -> None:
        self.exp, self.sig, self.span = exp, sig, span


def _fields(fmt: Format) -> tuple[int, int]:
    """(exponent bits, stored mantissa bits) of a format; integers are E = 0, M = bits - 1."""
    if isinstance(fmt, FloatFormat):
        return fmt.exp_bits, fmt.man_bits
    return 0, fmt.bits - 1


def _span(fmt: Format) -> int:
    """Exponent range a product factor of ``fmt`` can shift by: ``2^E - 2`` for floats."""
    return (1 << fmt.exp_bits) - 2 if isinstance(fmt, FloatFormat) and fmt.exp_bits > 1 else 0


def as_datapath(value, name: str = "datapath") -> Datapath:
    """``value`` if it is a :class:`numsim.Datapath`, else the datapath its spelling names
    (:func:`numsim.get_datapath`; a format name alone, ``"fp16"``, is exact fp16 products into an
    fp32 accumulator).

    >>> str(as_datapath("fp16"))
    'fp16*fp16 exact -> acc fp32 (sequential) -> fp32'
    >>> as_datapath("e4m3 lmul -> acc bf16").accumulator.name
    'bf16'
    """
    if isinstance(value, (Datapath, str)):
        return get_datapath(value)
    raise TypeError(f"{name} must be a numsim.Datapath or its spelling such as 'fp16' or 'e4m3 -> acc fp32', got {value!r}")


def storage_bits(fmt: Format) -> float:
    """Bits one element occupies in memory: its width, plus its share of the block scale for a
    block format (MXFP8: 8 + 8/32 = 8.25).

    >>> import numsim
    >>> storage_bits(numsim.get_format("mxfp8")), storage_bits(numsim.get_format("fp16"))
    (8.25, 16.0)
    """
    return float(fmt.bits_per_element if isinstance(fmt, BlockFormat) else fmt.bits)


def word_bits(datapath: Datapath, n_terms: int = DEFAULT_N_TERMS) -> dict:
    """Bits one word of each of a datapath's values occupies in memory: ``"a"`` and ``"b"`` (the
    input formats, block formats with their scale share), ``"out"`` (the output format) and
    ``"psum"`` (a partial sum: the accumulator's register, for a fixed-point or Kulisch register the
    width that sums ``n_terms`` products, for block-scaled inputs their scaled block sums).

    >>> import numsim
    >>> word_bits(numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(16), out_format="int8"))
    {'a': 8.0, 'b': 8.0, 'out': 8.0, 'psum': 16.0}
    """
    acc = datapath.accumulator
    if isinstance(acc, (FixedAccumulator, Kulisch)):
        psum = _register_width(acc, *_summands(datapath, n_terms))
    else:
        psum = acc.value_format.bits
    return {"a": storage_bits(datapath.a_format), "b": storage_bits(datapath.b_format),
            "out": storage_bits(datapath.out_format), "psum": float(psum)}


def mac_cost(datapath: Datapath, tech=None, *, n_terms: int = DEFAULT_N_TERMS, operand_registers: bool = False) -> Cost:
    """Area (um^2), energy (pJ), delay (ns) and leakage (uW) of one MAC of ``datapath``.

    Parameters
    ----------
    datapath : numsim.Datapath
        The arithmetic, as :func:`numsim.matmul` executes it.
    tech : Tech, str, number or path, optional
        Technology (default the built-in 45 nm table; ``"7nm"``, ``16``, a Tech or a user table).
    n_terms : int
        Dot-product length: sets the width of an exact (Kulisch) accumulator and amortises the
        once-per-dot-product output conversion (default :data:`hwmodels.data.DEFAULT_N_TERMS`).
    operand_registers : bool
        Include the A and B operand registers (a systolic processing element).

    >>> import numsim
    >>> fp8 = mac_cost(numsim.Datapath("e4m3", accumulator=numsim.FloatAccumulator("fp32")))
    >>> int8 = mac_cost(numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32, 0)))
    >>> fp8.energy_pj > int8.energy_pj
    True
    """
    instance("datapath", datapath, Datapath, "numsim.Datapath")
    n_terms = integer("n_terms", n_terms, what="a positive integer (the dot-product length)")
    boolean("operand_registers", operand_registers)
    t = tech if isinstance(tech, Tech) else get_tech(tech)
    return _mac_cost(datapath, t, n_terms, operand_registers)


@lru_cache(maxsize=1 << 16)
def _mac_cost(dp: Datapath, t: Tech, n: int, operand_registers: bool) -> Cost:
    if dp.block_scaled:
        parts = _block_parts(dp, t, n)
    else:
        mult, prod = _multiplier(dp.a_format, dp.b_format, dp.multiplier, t)
        parts = [("multiplier", mult)]
        prod, rounding = _product_rounding(dp, prod, t)
        if rounding is not None:
            parts.append(("product rounding", rounding))
        parts += _accumulate(dp.accumulator, dp.order, prod, dp.a_format, dp.b_format, t, n)
    parts += _output(dp, t, n)
    if operand_registers:
        parts += _operand_registers(dp, t)
    named = [c.named(name) for name, c in parts]
    return sum(named[1:], named[0])


def _operand_registers(dp: Datapath, t: Tech) -> list[tuple[str, Cost]]:
    """The A and B element registers of a processing element; block-scaled inputs also hold each
    block's scale once per block."""
    if not dp.block_scaled:
        return [("operand registers", u._register(dp.a_format.bits + dp.b_format.bits, t))]
    parts = [("operand registers", u._register(dp.a_element.bits + dp.b_element.bits, t))]
    scale_bits = sum(f.scale.bits for f in (dp.a_format, dp.b_format) if isinstance(f, BlockFormat))
    parts.append(("scale registers", _once_per(u._register(scale_bits, t), dp.block_size, "scale registers")))
    return parts


def _once_per(cost: Cost, k: float, name: str) -> Cost:
    """``cost`` shared by ``k`` MACs: area, energy and leakage divided by k, no delay."""
    return Cost(cost.area_um2 / k, cost.energy_pj / k, 0.0, cost.leakage_uw / k, name)


# ---- multiplier --------------------------------------------------------------------------------


def _multiplier(a: Format, b: Format, mult, t: Tech) -> tuple[Cost, _Product]:
    ea, ma = _fields(a)
    eb, mb = _fields(b)
    floats = isinstance(a, FloatFormat) or isinstance(b, FloatFormat)
    if isinstance(mult, Exact):
        if floats:
            cost = u._float_product(ea, ma, eb, mb, "array", t)
        else:
            cost = u._int_mult(a.bits, b.bits, "array", t)
        return cost, _Product(max(ea, eb) + 1 if floats else 0, ma + mb + 2, _span(a) + _span(b))
    if isinstance(mult, (LMul, Mitchell)) and isinstance(a, FloatFormat):
        m = mult.kept_mantissa_bits(a)
        return u._lmul(a.exp_bits, m, t), _Product(a.exp_bits, m + 1, 2 * _span(a))
    if isinstance(mult, Mitchell):
        return u.mitchell_multiplier(a.bits, b.bits, t), _Product(0, a.bits + b.bits, 0)
    if isinstance(mult, DRUM):
        return u.drum_multiplier(a.bits, b.bits, mult.k, t), _Product(0, a.bits + b.bits, 0)
    if isinstance(mult, Truncated):
        return u.truncated_multiplier(a.bits, b.bits, mult.vbl, mult.hbl, t), _Product(0, a.bits + b.bits, 0)
    if isinstance(mult, Lookup):
        out = _table_bits(mult)
        return u.lut_multiplier(a.bits, b.bits, out, t), _Product(0, out, 0)
    raise ValueError(f"no cost model for the multiplier {mult.name} on {a.name} x {b.name}")


def _table_bits(mult: Lookup) -> int:
    """Bits of a product-table entry: magnitude of the largest entry plus a sign bit."""
    top = int(np.max(np.abs(np.asarray(mult.table, dtype=np.int64)))) if np.size(mult.table) else 0
    return max(top.bit_length(), 1) + int(bool(np.any(np.asarray(mult.table) < 0)))


def _product_rounding(dp: Datapath, prod: _Product, t: Tech) -> tuple[_Product, Cost | None]:
    pf = dp.product_format
    if pf is None:
        return prod, None
    e, m = _fields(pf)
    if isinstance(pf, FloatFormat):
        return _Product(e, m + 1, 2 * _span(pf)), u._rounder(m + 1, e, prod.sig, t)
    return _Product(0, pf.bits, 0), u._rounder(pf.bits, 0, prod.sig, t)


# ---- accumulation ------------------------------------------------------------------------------


def _float_acc(acc: FloatAccumulator, prod: _Product, t: Tech) -> Cost:
    e, m = acc.fmt.exp_bits, acc.fmt.man_bits
    wide = prod.sig if prod.sig > m + 1 else 0
    adder = u._fp_add(e, m, wide, t)
    if prod.exp == 0:  # an integer product enters a float adder through a normaliser
        adder = u._normaliser(prod.sig, min(prod.sig, m + 1), e, t) + adder
    return (adder + u._register(acc.fmt.bits, t)).named("float accumulator")


def _fixed_acc(width: int, prod: _Product, t: Tech) -> Cost:
    reg = u._fixed_acc(width, t)
    if prod.exp == 0:
        return reg
    return u._aligner(prod.sig, min(prod.span, width), t) + reg


def _accumulate(acc, order, prod: _Product, a: Format, b: Format, t: Tech, n: int) -> list[tuple[str, Cost]]:
    parts: list[tuple[str, Cost]] = []
    if isinstance(acc, FloatAccumulator):
        parts.append(("accumulator", _float_acc(acc, prod, t)))
    elif isinstance(acc, (FixedAccumulator, Kulisch)):
        parts.append(("accumulator", _fixed_acc(_register_width(acc, a, b, n), prod, t)))
    elif isinstance(acc, FusedMultiTerm):
        e, m = acc.fmt.exp_bits, acc.fmt.man_bits
        block = u._fused(acc.n, acc.window, e, m, prod.exp, prod.sig, t)
        parts.append(("accumulator", Cost(block.area_um2 / acc.n, block.energy_pj / acc.n, block.delay_ns, block.leakage_uw / acc.n, "fused")))
        if acc.c_placement == "after":
            parts.append(("running-value adder", _once_per(u._fp_add(e, m, 0, t), acc.n, "adder")))
    else:
        raise ValueError(f"no cost model for the accumulator {acc.name}")
    if isinstance(order, Chunked):
        outer = order.outer.fmt
        inner_sig = acc.fmt.man_bits + 1 if isinstance(acc, (FloatAccumulator, FusedMultiTerm)) else getattr(acc, "width", 0)
        inner = _Product(1, inner_sig, 0)
        parts.append(("promotion", _once_per(_float_acc(FloatAccumulator(outer), inner, t), order.n, "outer accumulator")))
    return parts


def _register_width(acc, a: Format, b: Format, n: int) -> int:
    """Bits of a fixed-point or Kulisch register summing ``n`` products of ``a`` x ``b``."""
    return acc.width if isinstance(acc, FixedAccumulator) else kulisch_width(a, b, n)


def _summands(dp: Datapath, n: int) -> tuple[Format, Format, int]:
    """The operand formats and count of what the datapath's accumulator sums: the element
    products, or for block-scaled inputs the scaled block sums (in ``scale_format``)."""
    if dp.block_scaled:
        return dp.scale_format, dp.scale_format, max(n // dp.block_size, 1)
    return dp.a_format, dp.b_format, n


def _output(dp: Datapath, t: Tech, n: int) -> list[tuple[str, Cost]]:
    """The conversion of the accumulator into ``out_format``, once per dot product."""
    acc, out = dp.accumulator, dp.out_format
    oe, om = _fields(out)
    if isinstance(acc, (FixedAccumulator, Kulisch)):
        width = _register_width(acc, *_summands(dp, n))
        if isinstance(out, FloatFormat):
            return [("output conversion", _once_per(u._normaliser(width, om + 1, oe, t), n, "normaliser"))]
        return []
    value = acc.fmt
    if out == value:
        return []
    return [("output conversion", _once_per(u._rounder(om + 1, oe, value.man_bits + 1, t), n, "rounder"))]


# ---- block-scaled inputs -----------------------------------------------------------------------


def _block_parts(dp: Datapath, t: Tech, n: int) -> list[tuple[str, Cost]]:
    k = dp.block_size
    a, b = dp.a_element, dp.b_element
    mult, prod = _multiplier(a, b, dp.multiplier, t)
    parts = [("multiplier", mult)]
    prod, rounding = _product_rounding(dp, prod, t)
    if rounding is not None:
        parts.append(("product rounding", rounding))
    bacc = dp.block_accumulator
    if isinstance(bacc, Kulisch):
        lane = prod.sig + prod.span
        if prod.exp:
            parts.append(("lane aligner", u._aligner(prod.sig, prod.span, t)))
        tree = u._adder_tree(k, lane, t)
        parts.append(("block adder tree", Cost(tree.area_um2 / k, tree.energy_pj / k, tree.delay_ns, tree.leakage_uw / k, "tree")))
        sum_bits = lane + g.clog2(k)
    else:
        parts += [(f"block {name}", c) for name, c in _accumulate(bacc, dp.block_order, prod, a, b, t, k)]
        sum_bits = bacc.width if isinstance(bacc, FixedAccumulator) else bacc.fmt.man_bits + 2
    scales = [f.scale for f in (dp.a_format, dp.b_format) if isinstance(f, BlockFormat)]
    powers_of_two = all(s.man_bits == 0 for s in scales)
    if powers_of_two:  # E8M0 scales multiply by adding exponents
        scale_mult = u._ripple(max(s.exp_bits for s in scales) + 1, t)
    else:  # A's scale times B's; with one block-scaled operand its scale enters twice (an upper bound)
        (ea, ma), (eb, mb) = _fields(scales[0]), _fields(scales[-1])
        scale_mult = u._float_product(ea, ma, eb, mb, "array", t)
    sf = dp.scale_format
    se_out, sm_out = _fields(sf)
    per_block = scale_mult + u._normaliser(sum_bits, sm_out + 1, se_out, t)
    if isinstance(sf, FloatFormat) and not powers_of_two:
        per_block = per_block + u._rounder(sm_out + 1, se_out, 2 * (sm_out + 1), t)
    parts.append(("block scaling", _once_per(per_block, k, "scale")))
    fa, fb, blocks = _summands(dp, n)
    outer = _accumulate(dp.accumulator, dp.order, _Product(se_out, sm_out + 1, 2 * _span(sf)), fa, fb, t, blocks)
    parts += [(f"block-sum {name}", _once_per(c, k, name)) for name, c in outer]
    if any(isinstance(f, BlockFormat) and f.tensor_scale is not None for f in (dp.a_format, dp.b_format)):
        epilogue = u._fp_mult(8, 23, "array", t) + u._fp_add(8, 23, 0, t)
        parts.append(("tensor scale", _once_per(epilogue, n, "alpha")))
    return parts


__all__ = ["mac_cost"]
