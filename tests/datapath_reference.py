"""Exact, slow reference executor of :class:`numsim.Datapath`, used by the tests as an oracle.

It executes one output element ``d = c + sum_k a_k b_k`` of a datapath literally, step by step,
as the module docstring of ``numsim/datapath.py`` specifies it (and, for the tensor-core block
FMA, as the pseudocode of section 2 of ``shared/reference/tensorcores.md`` writes it). It reads
only the *parameters* of the numsim spec objects (formats, accumulator, order); every value is
computed with ``fractions.Fraction`` and integers through :mod:`reference` (formats, encode,
decode) and :mod:`arith_reference` (exact sums and products with the IEEE zero-sign rules).
No float arithmetic decides anything; floats are only read exactly (inputs) and written at the
very end (:func:`matmul`).

Public API
    :func:`dot` (one output element, a :class:`reference.RefValue` of ``dp.out_format``),
    :func:`dot_code` (the same as a code of ``dp.out_format``), :func:`matmul` (2-D arrays,
    float64 result), :func:`correctly_rounded_dot` (the exact dot product rounded once),
    :func:`bfma` (one block of a :class:`numsim.FusedMultiTerm`).

Representation
    Every intermediate value is a :class:`reference.RefValue` ("num" with a sign and an exact
    magnitude, so -0 is ``RefValue("num", True, 0)``; "inf"; "nan" with a sign). A fixed-point
    register is a Python int ``q`` with value ``q * 2^-frac_bits``.

Conventions where the specification leaves a choice (see also the docstrings below)
    * The multiplier: ``multiply`` if given, else the exact product with the IEEE rules of
      :func:`arith_reference.mul` (NaN keeps the sign of the first NaN operand, Inf*0 is the
      positive default NaN, zeros get the xor sign). A datapath whose ``multiplier`` is not
      :class:`numsim.Exact` needs ``multiply``.
    * A product "of the exact multiplier" (BFMA anchor ``E_a + E_b``) means
      ``isinstance(dp.multiplier, Exact) and dp.product_format is None``; ``multiply`` does not
      change that.
    * NaN results: FloatAccumulator additions keep the sign of the first NaN operand (running
      sum first, then the product; in a tree the left operand first); Kulisch returns the first
      NaN among ``c, p_0, p_1, ...``; the BFMA returns the positive default NaN.
    * Inputs are checked to be representable in their formats (ValueError otherwise); a -0 input
      to a format without -0 is read as +0.
    * Stochastic rounding is supported only for the FloatAccumulator's additions (as the brief
      says); a stochastic product or output rounding, or a stochastic accumulator with a ``c`` not
      representable in the accumulator format, raises ValueError (the random bits of those
      roundings are not specified).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Iterator, Sequence

import numpy as np

import arith_reference as ar
import reference as ref
from numsim.datapath import (
    Chunked,
    Datapath,
    FixedAccumulator,
    FloatAccumulator,
    FusedMultiTerm,
    Kulisch,
    Pairwise,
    Sequential,
    Tree,
)
from numsim.multipliers import Exact
from numsim.registry import get_format
from oracle import ref_format
from reference import RefValue

__all__ = ["bfma", "block_dot", "block_matmul", "correctly_rounded_dot", "dot", "dot_code", "matmul"]

ZERO = RefValue("num", False, Fraction(0))
NEG_ZERO = RefValue("num", True, Fraction(0))
DEFAULT_NAN = ar.DEFAULT_NAN
NBITS = 32

Multiply = Callable[[RefValue, RefValue], RefValue]


# --------------------------------------------------------------------------- small helpers


def _is_zero(v: RefValue) -> bool:
    return v.kind == "num" and v.mag == 0


def _signed(v: RefValue) -> Fraction:
    return -v.mag if v.negative else v.mag


def _number(x: Fraction) -> RefValue:
    """An exact value as a RefValue (zero as +0)."""
    return RefValue("num", x < 0, abs(x))


def _mode(rounding) -> str:
    """The reference's name of a numsim Rounding (a str enum) or of a string."""
    return getattr(rounding, "value", rounding)


def _default_overflow(fmt) -> str:
    """The format's default overflow policy, as numsim declares it."""
    return _mode(fmt.default_overflow)


def _round(fmt, v: RefValue, mode: str, overflow: str | None = None, rbits: int = 0) -> RefValue:
    """v rounded once into the numsim format ``fmt`` (reference.encode), as a value."""
    rf = ref_format(fmt)
    ov = _default_overflow(fmt) if overflow is None else overflow
    return ref.decode(rf, ref.encode(rf, v, mode, ov, rbits=rbits, nbits=NBITS))


def _same_value(u: RefValue, v: RefValue, negative_zero: bool = True) -> bool:
    if u.kind != v.kind:
        return False
    if u.kind == "nan":
        return True
    if u.kind == "num" and u.mag == 0 and v.mag == 0 and not negative_zero:
        return True
    return u.negative == v.negative and u.mag == v.mag


def _representable(fmt, v: RefValue) -> bool:
    """Whether v is a value of ``fmt`` (the sign of zero ignored where fmt has no -0)."""
    try:
        back = _round(fmt, v, "nearest_even")
    except ValueError:  # NaN into a format without NaN
        return False
    return _same_value(back, v, negative_zero=bool(getattr(fmt, "has_negative_zero", False)))


def _input(fmt, x, what: str) -> RefValue:
    """x read exactly and checked to be a value of fmt; returned as fmt's value."""
    v = ref.as_ref_value(x)
    if not _representable(fmt, v):
        raise ValueError(f"{what} = {x!r} is not a value of {fmt.name}")
    if _is_zero(v) and not getattr(fmt, "has_negative_zero", False):
        return ZERO
    return v


def _emin(fmt) -> int:
    return ref.emin(ref_format(fmt))


def _floor_log2(mag: Fraction) -> int:
    return ref.floor_log2(mag)


def _round_to_quantum(mag: Fraction, q_exp: int, mode: str, negative: bool) -> Fraction:
    """|x| = mag rounded to a multiple k * 2^q_exp with a deterministic mode (ties to even k)."""
    quantum = ref.pow2(q_exp)
    scaled = mag / quantum
    k = math.floor(scaled)
    nu = scaled - k
    half = Fraction(1, 2)
    match mode:
        case "nearest_even":
            up = nu > half or (nu == half and k % 2 == 1)
        case "nearest_away":
            up = nu >= half
        case "toward_zero":
            up = False
        case "toward_positive":
            up = nu > 0 and not negative
        case "toward_negative":
            up = nu > 0 and negative
        case "to_odd":
            up = nu > 0 and k % 2 == 0
        case _:
            raise ValueError(f"deterministic rounding mode expected, got {mode!r}")
    return (k + int(up)) * quantum


def _tree(items: list, add: Callable) -> object:
    """Balanced adder tree: level by level, neighbours (0,1), (2,3), ...; an odd last item
    moves up unchanged."""
    level = list(items)
    while len(level) > 1:
        nxt = [add(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _run_order(start, leaves: list, add: Callable, order) -> object:
    """Combine ``start`` and ``leaves`` with ``add`` in the given (non-chunked) order."""
    s = start
    if isinstance(order, Sequential):
        for p in leaves:
            s = add(s, p)
    elif isinstance(order, Tree):
        for j in range(0, len(leaves), order.width):
            s = add(s, _tree(leaves[j : j + order.width], add))
    elif isinstance(order, Pairwise):
        if leaves:
            s = add(s, _tree(leaves, add))
    else:
        raise TypeError(f"unexpected order {order!r}")
    return s


# --------------------------------------------------------------------------- float accumulator


def _float_adder(acc: FloatAccumulator, rbits: Iterator[int] | None) -> Callable[[RefValue, RefValue], RefValue]:
    """x + y exact (IEEE zero signs of arith_reference), rounded once into acc.fmt; a stochastic
    mode takes the next random integer for each addition."""
    mode = _mode(acc.rounding)
    overflow = _mode(acc.overflow)

    def add(x: RefValue, y: RefValue) -> RefValue:
        r = 0
        if acc.rounding.is_stochastic:
            try:
                r = next(rbits)
            except StopIteration:
                raise ValueError("random_bits has fewer entries than there are additions") from None
        return _round(acc.fmt, ar.add(x, y, mode), mode, overflow, rbits=r)

    return add


def _float_start(acc: FloatAccumulator, c: RefValue) -> RefValue:
    """c rounded into the accumulator format with its rounding."""
    if acc.rounding.is_stochastic:
        if not _representable(acc.fmt, c):
            raise ValueError("c is not a value of a stochastic accumulator's format: the random bits of its rounding are not specified")
        return _round(acc.fmt, c, "nearest_even", _mode(acc.overflow))
    return _round(acc.fmt, c, _mode(acc.rounding), _mode(acc.overflow))


# --------------------------------------------------------------------------- fixed accumulator


def _fixed_register(acc: FixedAccumulator):
    """(quantize, add, value) of the two's-complement register of acc."""
    w, f = acc.width, acc.frac_bits
    rf = ref.RefInt(w, f, True)
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    mode = _mode(acc.rounding)

    def into_range(q: int) -> int:
        if acc.overflow == "wrap":
            return (q - lo) % (1 << w) + lo
        return min(max(q, lo), hi)

    def quantize(v: RefValue, what: str) -> int:
        if v.kind != "num":
            raise ValueError(f"a fixed-point accumulator cannot take the non-finite {what} {v}")
        # round(v * 2^f) with the accumulator's rounding, then wrap or saturate (reference.encode
        # into the register's format does exactly this); the code read back as a signed integer.
        code = ref.encode(rf, v, mode, acc.overflow)
        q = code - (1 << w) if code >> (w - 1) else code
        assert q == into_range(q)
        return q

    def add(x: int, y: int) -> int:
        return into_range(x + y)

    def value(q: int) -> RefValue:
        return _number(q * ref.pow2(-f))

    return quantize, add, value


# --------------------------------------------------------------------------- Kulisch


def _kulisch_sum(addends: list[RefValue]) -> RefValue:
    """Exact sum: the first NaN wins; +Inf with -Inf is NaN; else an Inf wins; an exact zero is
    +0 unless every addend is -0."""
    for v in addends:
        if v.kind == "nan":
            return v
    inf_signs = {v.negative for v in addends if v.kind == "inf"}
    if len(inf_signs) == 2:
        return DEFAULT_NAN
    if inf_signs:
        return RefValue("inf", inf_signs.pop(), Fraction(0))
    total = sum((_signed(v) for v in addends), Fraction(0))
    if total != 0:
        return _number(total)
    if addends and all(_is_zero(v) and v.negative for v in addends):
        return NEG_ZERO
    return ZERO


# --------------------------------------------------------------------------- fused multi-term


def bfma(acc: FusedMultiTerm, products: Sequence[tuple[RefValue, int | None]], d: RefValue) -> RefValue:
    """One block of the tensor-core block FMA (tensorcores.md section 2.2) with the parameters of
    ``acc``: ``products`` are ``(p, anchor)`` pairs (the anchor of a zero or non-finite product
    is ignored), ``d`` is the running value (a value of ``acc.fmt``). Returns a value of
    ``acc.fmt`` (of its block format, except after a late ``c`` addition)."""
    fmt = acc.fmt
    after = acc.c_placement == "after"
    emin = _emin(fmt)

    # 1. specials, decided before any finite arithmetic (c counts whatever its placement)
    specials = [p for p, _ in products] + [d]
    if any(v.kind == "nan" for v in specials):
        return DEFAULT_NAN
    inf_signs = {v.negative for v in specials if v.kind == "inf"}
    if len(inf_signs) == 2:
        return DEFAULT_NAN
    if inf_signs:
        return _inf_of(fmt, inf_signs.pop())

    # 2. terms: nonzero products (not renormalised: their anchors are given) and c if inside
    terms = [(_signed(p), anchor) for p, anchor in products if p.mag != 0]
    if not after and d.mag != 0:
        terms.append((_signed(d), max(_floor_log2(d.mag), emin)))
    if not terms:
        return d if (after and d.mag != 0) else ZERO

    # 3. alignment exponent
    m = max(anchor for _, anchor in terms)
    if acc.anchor_min is not None:
        m = max(m, acc.anchor_min)

    # 4. per-term alignment of the magnitude to W fraction bits below 2^M, exact integer sum
    w = acc.window
    scale = ref.pow2(w - m)
    total = 0
    for value, _ in terms:
        scaled = abs(value) * scale
        q = math.floor(scaled) if acc.alignment.value == "toward_zero" else round(scaled)  # round(): ties to even
        total += -q if value < 0 else q

    # 5. a single normalisation (exact cancellation gives +0)
    if total == 0:
        result = ZERO
    else:
        negative = total < 0
        x = abs(total) * ref.pow2(m - w)
        t = _floor_log2(x)
        r = _round_to_quantum(x, max(t, emin) - acc.frac_bits, _mode(acc.rounding), negative)
        if r > ref.max_finite(ref_format(acc.block_format)):
            result = _inf_of(fmt, negative)  # overflow gives Inf, even under toward_zero
        else:
            result = _round(fmt, RefValue("num", negative, r), "nearest_even")  # exact: r is on fmt's grid

    # 6. late c: an fp32-style round-to-nearest-even addition into fmt
    if after and d.mag != 0:
        result = _round(fmt, ar.add(result, d, "nearest_even"), "nearest_even")
    return result


def _inf_of(fmt, negative: bool) -> RefValue:
    """Signed infinity of fmt; a format without Inf gets what its default overflow policy gives
    an infinite input (NaN for styles with a NaN, the largest finite value for style none)."""
    return _round(fmt, RefValue("inf", negative, Fraction(0)), "nearest_even")


def _fused_chain(acc: FusedMultiTerm, items: list[tuple[RefValue, int | None]], d: RefValue) -> RefValue:
    """DOT of tensorcores.md section 2.3: d = BFMA(block, d) for each block of n products."""
    for j in range(0, len(items), acc.n):
        d = bfma(acc, items[j : j + acc.n], d)
    return d


def _anchor(dp: Datapath, a: RefValue, b: RefValue, p: RefValue) -> int | None:
    """The exponent a nonzero finite product contributes to the BFMA maximum."""
    if p.kind != "num" or p.mag == 0:
        return None
    if dp.accumulator.anchor == "normalized":
        return _floor_log2(p.mag)
    if isinstance(dp.multiplier, Exact) and dp.product_format is None:
        ea = max(_floor_log2(a.mag), _emin(dp.a_format))
        eb = max(_floor_log2(b.mag), _emin(dp.b_format))
        return ea + eb
    own = dp.product_format if dp.product_format is not None else dp.a_format
    return max(_floor_log2(p.mag), _emin(own))


# --------------------------------------------------------------------------- the datapath


def _exact_product(a: RefValue, b: RefValue) -> RefValue:
    return ar.mul(a, b, "nearest_even")


def _accumulate(dp: Datapath, c: RefValue, leaves: list, rbits: Iterator[int] | None) -> RefValue:
    """The accumulator and order of dp applied to c and the products (``leaves``: RefValues, or
    (p, anchor) pairs for a FusedMultiTerm)."""
    acc, order = dp.accumulator, dp.order

    if isinstance(order, Chunked):
        outer = order.outer
        outer_add = _float_adder(outer, None)
        s = _round(outer.fmt, c, _mode(outer.rounding), _mode(outer.overflow))
        for j in range(0, len(leaves), order.n):
            run = leaves[j : j + order.n]
            if isinstance(acc, FusedMultiTerm):
                t = _fused_chain(acc, run, ZERO)
            elif isinstance(acc, FloatAccumulator):
                t = _run_order(ZERO, run, _float_adder(acc, None), order.inner)
            elif isinstance(acc, FixedAccumulator):
                quantize, add, value = _fixed_register(acc)
                t = value(_run_order(0, [quantize(p, "product") for p in run], add, order.inner))
            else:
                raise ValueError(f"chunked order with {acc.name}")
            s = outer_add(s, t)
        return s

    if isinstance(acc, FloatAccumulator):
        return _run_order(_float_start(acc, c), leaves, _float_adder(acc, rbits), order)
    if isinstance(acc, FixedAccumulator):
        quantize, add, value = _fixed_register(acc)
        return value(_run_order(quantize(c, "c"), [quantize(p, "product") for p in leaves], add, order))
    if isinstance(acc, Kulisch):
        return _kulisch_sum([c] + leaves)
    if isinstance(acc, FusedMultiTerm):
        if not isinstance(order, Sequential):
            raise ValueError(f"FusedMultiTerm with order {order.name}")
        return _fused_chain(acc, leaves, _round(acc.fmt, c, _mode(acc.rounding)))
    raise TypeError(f"unknown accumulator {acc!r}")


def _dot_value(a, b, c, dp: Datapath, multiply: Multiply | None, random_bits) -> RefValue:
    if not isinstance(dp, Datapath):
        raise TypeError(f"dp must be a numsim.Datapath, got {dp!r}")
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"a and b differ in length: {len(a)} and {len(b)}")
    av = [_input(dp.a_format, x, f"a[{i}]") for i, x in enumerate(a)]
    bv = [_input(dp.b_format, x, f"b[{i}]") for i, x in enumerate(b)]
    cv = _input(dp.c_format, c, "c")
    if multiply is None:
        if not isinstance(dp.multiplier, Exact):
            raise ValueError(f"the multiplier {dp.multiplier.name} is not modelled here: pass multiply=")
        multiply = _exact_product
    for name in ("product_rounding", "out_rounding"):
        if getattr(dp, name).is_stochastic:
            raise ValueError(f"stochastic {name} is not supported by the reference (its random bits are not specified)")

    products = [ref.as_ref_value(multiply(x, y)) for x, y in zip(av, bv)]
    if dp.product_format is not None:
        products = [_round(dp.product_format, p, _mode(dp.product_rounding)) for p in products]

    rbits = None
    acc = dp.accumulator
    if isinstance(acc, FloatAccumulator) and acc.rounding.is_stochastic:
        if random_bits is None or len(random_bits) != len(products):
            raise ValueError(f"stochastic accumulation needs random_bits with one entry per addition ({len(products)})")
        rbits = iter(int(r) for r in random_bits)
    elif random_bits is not None:
        raise ValueError("random_bits is for a stochastic FloatAccumulator only")

    if isinstance(acc, FusedMultiTerm):
        leaves = [(p, _anchor(dp, x, y, p)) for x, y, p in zip(av, bv, products)]
    else:
        leaves = products
    return _accumulate(dp, cv, leaves, rbits)


def dot_code(a: Sequence[float], b: Sequence[float], c: float, dp: Datapath, *, multiply: Multiply | None = None, random_bits: Sequence[int] | None = None) -> int:
    """The code (in ``dp.out_format``) of one output element: see :func:`dot`."""
    value = _dot_value(a, b, c, dp, multiply, random_bits)
    rf = ref_format(dp.out_format)
    return ref.encode(rf, value, _mode(dp.out_rounding), _default_overflow(dp.out_format))


def dot(a: Sequence[float], b: Sequence[float], c: float, dp: Datapath, *, multiply: Multiply | None = None, random_bits: Sequence[int] | None = None) -> RefValue:
    """One output element of ``dp``, executed literally, as a value of ``dp.out_format``.

    ``a``, ``b``: equal-length sequences of values of ``dp.a_format`` / ``dp.b_format`` (floats,
    ints, Fractions or RefValues); ``c``: a value of ``dp.c_format``. ``multiply(a_i, b_i)`` gets
    RefValues and returns the product (RefValue or exact number); default the exact product with
    IEEE specials. ``random_bits``: one int in [0, 2^32) per addition (K of them) for a stochastic
    FloatAccumulator under the sequential order.

    Steps: products (``multiply``), rounded into ``dp.product_format`` with
    ``dp.product_rounding`` if set; the accumulator and order (module docstring of
    numsim/datapath.py); the final value rounded into ``dp.out_format`` with ``dp.out_rounding``
    and the format's default overflow policy.
    """
    return ref.decode(ref_format(dp.out_format), dot_code(a, b, c, dp, multiply=multiply, random_bits=random_bits))


def matmul(A, B, dp: Datapath, C=None, *, multiply: Multiply | None = None) -> np.ndarray:
    """``D[i, j] = dot(A[i, :], B[:, j], C[i, j], dp)`` for 2-D arrays, as float64 values."""
    A = np.asarray(A)
    B = np.asarray(B)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"matmul needs (M, K) and (K, N) arrays, got {A.shape} and {B.shape}")
    m, n = A.shape[0], B.shape[1]
    C = np.zeros((m, n)) if C is None else np.broadcast_to(np.asarray(C), (m, n))
    out = np.empty((m, n), dtype=np.float64)
    for i in range(m):
        for j in range(n):
            value = dot([float(x) for x in A[i, :]], [float(x) for x in B[:, j]], float(C[i, j]), dp, multiply=multiply)
            out[i, j] = ref.to_float(value)
    return out


def correctly_rounded_dot(a: Sequence[float], b: Sequence[float], c: float, fmt, mode: str = "nearest_even") -> int:
    """The code of ``c + sum a_k b_k`` computed exactly and rounded once into ``fmt`` (a numsim
    format, a registered name, or a reference.RefFloat/RefInt) with ``mode`` and the format's
    default overflow. Products are exact with IEEE specials; the sum follows the Kulisch rules
    (first NaN; +Inf with -Inf is NaN; an exact zero is +0 unless every addend is -0)."""
    if isinstance(fmt, (ref.RefFloat, ref.RefInt)):
        rf = fmt
        overflow = ref.default_overflow(rf)
    else:
        if isinstance(fmt, str):
            import numsim

            fmt = numsim.get_format(fmt)
        rf = ref_format(fmt)
        overflow = _default_overflow(fmt)
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"a and b differ in length: {len(a)} and {len(b)}")
    products = [_exact_product(ref.as_ref_value(x), ref.as_ref_value(y)) for x, y in zip(a, b)]
    return ref.encode(rf, _kulisch_sum([ref.as_ref_value(c)] + products), _mode(mode), overflow)


# --------------------------------------------------------------------------- block-scaled inputs


def block_dot(
    ea: Sequence[float], xa: Sequence[float], eb: Sequence[float], xb: Sequence[float], c: float, dp: Datapath,
    *, ta: float | None = None, tb: float | None = None, multiply: Multiply | None = None,
) -> RefValue:
    """One output element of a datapath with block-scaled inputs, literally (steps a-e of the
    docstring of numsim/datapath.py), as a value of ``dp.out_format``.

    ``ea``, ``eb``: the K element values (K a multiple of ``dp.block_size``; padding already
    applied); ``xa``, ``xb``: one scale value per block (1 for an operand that is not
    block-scaled); ``ta``, ``tb``: the tensor scales of two-level formats (``None``: none).

    b. each block: the element products (``multiply``, then product rounding) summed from +0 by
       ``dp.block_accumulator`` in ``dp.block_order``, exactly as :func:`dot` does (the value
       before any output rounding);
    c. that sum times ``xa_j * xb_j`` (Fractions) rounded into ``dp.scale_format`` with
       ``dp.scale_rounding`` (NaN for a NaN scale);
    d. ``c`` (or +0 for two-level formats) and the ``t_j`` combined by ``dp.accumulator`` in
       ``dp.order``; a FusedMultiTerm anchors ``t_j`` at its own exponent (``emin`` of
       ``scale_format`` below it; ``normalized``: its exponent);
    e. two-level: ``alpha`` = ``ta * tb`` rounded to float32 nearest-even, then
       ``alpha * S + c`` rounded once into ``dp.out_format``.
    """
    kb = dp.block_size
    if len(ea) != len(eb) or len(ea) % kb or len(xa) != len(ea) // kb or len(xb) != len(xa):
        raise ValueError("block_dot needs K = len(ea) = len(eb), a multiple of the block size, and one scale per block")
    per_block = Datapath(
        dp.a_element, dp.b_element, dp.multiplier, dp.product_format, dp.product_rounding,
        accumulator=dp.block_accumulator, order=dp.block_order,
    )
    leaves = []
    for j in range(len(xa)):
        s = _dot_value(ea[j * kb : (j + 1) * kb], eb[j * kb : (j + 1) * kb], 0.0, per_block, multiply, None)
        x = [ref.as_ref_value(v) for v in (xa[j], xb[j])]
        if any(v.kind == "nan" for v in x):
            t = DEFAULT_NAN
        else:
            t = _round(dp.scale_format, ar.mul(s, _number(_signed(x[0]) * _signed(x[1])), "nearest_even"), _mode(dp.scale_rounding))
        leaves.append(t)
    acc = dp.accumulator
    if isinstance(acc, FusedMultiTerm):
        def anchor(t: RefValue) -> int | None:
            if t.kind != "num" or t.mag == 0:
                return None
            return _floor_log2(t.mag) if acc.anchor == "normalized" else max(_floor_log2(t.mag), _emin(dp.scale_format))
        leaves = [(t, anchor(t)) for t in leaves]
    two_level = ta is not None or tb is not None
    cv = _input(dp.c_format, c, "c")
    S = _accumulate(dp, ZERO if two_level else cv, leaves, None)
    out = ref_format(dp.out_format)
    if two_level:
        alpha = _round(get_format("float32"), ar.mul(ta if ta is not None else 1, tb if tb is not None else 1, "nearest_even"), "nearest_even")
        mode = _mode(dp.out_rounding)
        return ref.decode(out, ref.encode(out, ar.fma(alpha, S, cv, mode), mode, _default_overflow(dp.out_format)))
    return ref.decode(out, ref.encode(out, S, _mode(dp.out_rounding), _default_overflow(dp.out_format)))


def block_matmul(EA, XA, EB, XB, dp: Datapath, C=None, *, ta=None, tb=None, multiply: Multiply | None = None) -> np.ndarray:
    """:func:`block_dot` for every output element: ``EA`` (M, K) and ``EB`` (K, N) element values,
    ``XA`` (M, K / kb) and ``XB`` (K / kb, N) scale values; float64 results."""
    EA, XA, EB, XB = (np.asarray(v) for v in (EA, XA, EB, XB))
    m, n = EA.shape[0], EB.shape[1]
    C = np.zeros((m, n)) if C is None else np.broadcast_to(np.asarray(C), (m, n))
    out = np.empty((m, n))
    for i in range(m):
        for j in range(n):
            v = block_dot(list(EA[i]), list(XA[i]), list(EB[:, j]), list(XB[:, j]), float(C[i, j]), dp, ta=ta, tb=tb, multiply=multiply)
            out[i, j] = ref.to_float(v)
    return out
