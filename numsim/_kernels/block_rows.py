"""Vectorised row passes of the block kernel (:mod:`numsim._kernels.block_codec`).

Once the scales of a tile row are known, every element under nearest-even is rounded by one flat,
branch-free loop over each row, with per-element copies of its tile's scale parameters (spread
along the row by :func:`spread_tile`) so that LLVM vectorises it. Elements a pass cannot decide
are counted and later take the exact rule; :func:`element_pending` tells which. Three passes,
chosen by the type of the ``fast`` parameters:

* :class:`Pow2Bits` (binary32 inputs, power-of-two scales 2^e, float elements with subnormals):
  rounding ``x / 2^e`` and multiplying back by ``2^e`` is rounding ``x`` into the element format
  with its exponent range moved by ``e``; the pass works on the input's bits with every exponent
  bound moved by ``e`` and writes binary32 results, which are always exact.
* :class:`Thresholds` (elements with at most 8 magnitudes, such as FP4, under any scale that keeps
  the products exact): the element's magnitude index is the number of rounding midpoints times
  the scale that ``|x|`` exceeds, compared exactly in float64; ties go to the even code. This
  pass goes tile by tile instead, with the tile's thresholds in registers (no spread row), and
  fixed-length loops for tiles 16 and 32 wide.
* the quotient formulas (any other element): the float64 ``x * (1 / scale)`` rounded by the
  formulas of :mod:`numsim._kernels.nearest_fast` (or of fixed point), exact for power-of-two
  scales and within 2 ulps otherwise, in which case quotients near a rounding midpoint are
  left to the exact rule.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._config import JIT_CACHE
from .codec import FixedSpec, FloatSpec
from .nearest_fast import NearestSpec, _code, _outside, _rne_shift, _value

F64_LIKE = np.empty(0, np.float64)  # selects float64 bit patterns in float_from_bits
QUOTIENT_SLACK = 8
"""Quotients of non-power-of-two scales are x times a reciprocal rounded at most twice: within 4
ulps of x / scale. Elements within twice that of a rounding midpoint take the exact division."""
INELIGIBLE = -(1 << 20)
"""Exponent shift that marks a tile :class:`Pow2Bits` cannot take: every element is pending."""


# ---- output arrays ---------------------------------------------------------------------------


def holds_values(out):
    """True when ``out`` receives values (a float array), False for codes: a compile-time constant."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(holds_values, jit_options={"cache": JIT_CACHE})
def _holds_values_impl(out):
    values = isinstance(out.dtype, types.Float)
    return lambda out: values


def as_stored(out, v):
    """``v`` as a float ``out`` array stores it, back in float64 (``v`` itself for codes)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(as_stored, jit_options={"cache": JIT_CACHE})
def _as_stored_impl(out, v):
    if out.dtype == types.float32:
        return lambda out, v: np.float64(np.float32(v))
    return lambda out, v: v


# ---- quotient formulas -----------------------------------------------------------------------


@njit(cache=JIT_CACHE, inline="always")
def _fixed_magnitude(u, spec):
    """Nearest-even |value| * 2^frac_bits of the float64 bits ``u``, saturated, and the number of
    bits rounded away (``shift < 1``: too large for the formula)."""
    a = u & 0x7FFFFFFFFFFFFFFF
    shift = 1075 - (a >> 52) - spec.frac_bits  # |value| * 2^frac = significand * 2^-shift
    drop = min(max(shift, np.int64(1)), np.int64(62))
    significand = (a & 0xFFFFFFFFFFFFF) | (np.int64(1) << 52)
    n = (significand + ((np.int64(1) << drop) >> 1) - 1 + ((significand >> drop) & 1)) >> drop
    return min(n, -spec.lo if u < 0 else np.int64(spec.hi)), shift


def fast_code(u, fast, spec):
    """Nearest-even element code of the float64 with bits ``u`` by the branch-free formulas (valid
    unless :func:`fast_redo`); ``fast`` is the element's NearestSpec for float64 inputs, or its
    FixedSpec."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(fast_code, jit_options={"cache": JIT_CACHE})
def _fast_code_impl(u, fast, spec):
    if getattr(spec, "instance_class", None) is FloatSpec:
        return lambda u, fast, spec: _code(u, fast)
    if getattr(spec, "instance_class", None) is FixedSpec:

        def fixed_code(u, fast, spec):
            n, _ = _fixed_magnitude(u, spec)
            if spec.sign_magnitude:
                return (np.int64(1) << (spec.bits - 1)) | n if (u < 0) & (n != 0) else n
            return (-n if u < 0 else n) & ((np.int64(1) << spec.bits) - 1)

        return fixed_code
    return None


def element_unit(spec):
    """Value of integer code 1 (2^-frac_bits) of an integer element format; 1.0 for floats."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(element_unit, jit_options={"cache": JIT_CACHE})
def _element_unit_impl(spec):
    if getattr(spec, "instance_class", None) is FixedSpec:
        return lambda spec: math.ldexp(1.0, -spec.frac_bits)
    return lambda spec: 1.0


def fast_value(u, fast, spec, unit):
    """Element value of the float64 with bits ``u`` rounded by the formulas (``unit``: 2^-frac_bits
    of integer elements)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(fast_value, jit_options={"cache": JIT_CACHE})
def _fast_value_impl(u, fast, spec, unit):
    if getattr(spec, "instance_class", None) is FloatSpec:
        return lambda u, fast, spec, unit: _value(u, fast, F64_LIKE)
    if getattr(spec, "instance_class", None) is FixedSpec:

        def fixed_value(u, fast, spec, unit):
            n, _ = _fixed_magnitude(u, spec)
            return float(-n if u < 0 else n) * unit

        return fixed_value
    return None


def fast_redo(u, fast, spec, slack):
    """Whether the formulas cannot decide the float64 with bits ``u``: outside their range, a
    float64 subnormal (the quotient may have been rounded there), or within ``slack`` float64 ulps
    of a rounding midpoint (``slack >= 0`` for quotients computed with a rounded reciprocal, whose
    error is below 2 ulps; -1 for exact quotients)."""
    raise NotImplementedError("only callable from Numba kernels")


@njit(cache=JIT_CACHE, inline="always")
def _near_tie(significand, drop, slack):
    """Whether the bits dropped from ``significand`` are within ``slack`` units of half (a
    rounding midpoint); ``slack < 0`` never."""
    return abs((significand & ((np.int64(1) << drop) - 1)) - ((np.int64(1) << drop) >> 1)) <= slack


@overload(fast_redo, jit_options={"cache": JIT_CACHE})
def _fast_redo_impl(u, fast, spec, slack):
    if getattr(spec, "instance_class", None) is FloatSpec:

        def float_redo(u, fast, spec, slack):
            a = u & 0x7FFFFFFFFFFFFFFF
            e = a >> 52
            subnormal_input = (e == 0) & (a != 0)
            normal = e >= fast.emin_field
            drop = fast.shift if normal else min(max(fast.shift + fast.emin_field - e, np.int64(1)), np.int64(62))
            significand = a if normal else (a & 0xFFFFFFFFFFFFF) | (np.int64(e > 0) << 52)
            tie = (slack >= 0) & (drop > 0) & (a != 0) & _near_tie(significand, drop, slack)
            return _outside(u, fast) | subnormal_input | tie

        return float_redo
    if getattr(spec, "instance_class", None) is FixedSpec:

        def fixed_redo(u, fast, spec, slack):
            a = u & 0x7FFFFFFFFFFFFFFF
            e = a >> 52
            _, shift = _fixed_magnitude(u, spec)
            significand = (a & 0xFFFFFFFFFFFFF) | (np.int64(1) << 52)
            tie = (slack >= 0) & _near_tie(significand, min(max(shift, np.int64(1)), np.int64(62)), slack)
            return (e == 0) | (e == 2047) | (shift < 1) | tie

        return fixed_redo
    return None


@njit(cache=JIT_CACHE, inline="always")
def _quotient_bits(x, inverse):
    """Bits of the float64 ``x * inverse`` with ``inverse`` the float64 reciprocal of the scale:
    exact for a power-of-two scale (unless it lands among the float64 subnormals, which
    :func:`fast_redo` flags), within 2 ulps of ``x / scale`` otherwise (multiplying vectorises;
    dividing does not)."""
    return np.float64(np.float64(x) * inverse).view(np.int64)


@njit(cache=JIT_CACHE, inline="always")
def _quotient_row(xs, out, b, h, inverses, scales_row, espec, fast, slack):
    """Nearest-even formulas along one row; ``inverses`` and ``scales_row`` hold, per element, the
    reciprocal and the value of its tile's scale (flat, so the loop vectorises); ``slack`` as in
    :func:`fast_redo` (a constant at each call site, so the unused test folds away). Codes, or
    values when ``out`` is a float array. Returns ``(elements the formulas cannot decide, inexact
    float32 values among the others)``."""
    values = holds_values(out)
    unit = element_unit(espec)
    pending = 0
    inexact = 0
    for w in range(xs.shape[2]):
        u = _quotient_bits(xs[b, h, w], inverses[w])
        redo = fast_redo(u, fast, espec, slack)
        pending += redo
        if values:
            v = fast_value(u, fast, espec, unit) * scales_row[w]
            out[b, h, w] = v
            inexact += (as_stored(out, v) != v) & (v == v) & (not redo)
        else:
            out[b, h, w] = fast_code(u, fast, espec)
    return pending, inexact


# ---- power-of-two scales on binary32 bits ----------------------------------------------------


class Pow2Bits(NamedTuple):
    """A float element format seen from binary32 bit patterns at scale 2^0 (exponent fields are
    binary32 fields; a tile with scale 2^e adds e to each of them)."""

    shift: int  # 23 - M: input mantissa bits rounded away in the element's normal range
    man_bits: int  # M
    emin_field: int  # binary32 field of the element's smallest normal binade
    top_field: int  # of its largest binade
    hi: int  # largest input field the pass takes: top_field (saturating) or top_field - 1
    offset: int  # (127 - bias) << M: binary32 bits >> shift minus element code
    max_bits: int  # (top_field << 23) | largest mantissa << shift: the element max as binary32 bits
    max_mag: int  # its code
    sign_bit: int
    neg_zero: int


@njit(cache=JIT_CACHE, inline="always")
def pow2_shift(e, p):
    """Exponent shift of a tile with scale 2^e, or :data:`INELIGIBLE` when the scaled element
    format leaves binary32's normal range (its subnormals would need binary32 subnormal inputs
    rounded below their own grid, or its largest values would not be binary32 numbers)."""
    return e if (p.emin_field + e >= 1) & (p.top_field + e <= 254) else np.int64(INELIGIBLE)


def store_binary32(out, b, h, w, bits):
    """Store the binary32 number with bit pattern ``bits`` into a float array (bits unchanged into
    float32)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(store_binary32, jit_options={"cache": JIT_CACHE})
def _store_binary32_impl(out, b, h, w, bits):
    if out.dtype == types.float32:

        def store32(out, b, h, w, bits):
            out[b, h, w] = np.int32(bits).view(np.float32)

        return store32

    def store(out, b, h, w, bits):  # float64; also typed (never run) for code arrays
        out[b, h, w] = np.float64(np.int32(bits).view(np.float32))

    return store


@njit(cache=JIT_CACHE, inline="always")
def _pow2_row(src, out, b, h, shifts, p):
    """Nearest-even along one row of binary32 bits ``src``; ``shifts`` holds per element the
    exponent shift of its tile (:func:`pow2_shift`). Within the element's normal range the input's
    mantissa is rounded to M bits (carries move into the exponent); below it, to the subnormal
    grid of the shifted format; saturation clamps to the shifted element max. Codes, or values
    when ``out`` is a float array. Returns ``(elements left to the exact rule, 0)``: binary32
    results are exact."""
    values = holds_values(out)
    pending = 0
    for w in range(src.shape[2]):
        u = np.int64(src[b, h, w])
        d = shifts[w]
        a = u & 0x7FFFFFFF
        field = a >> 23
        field_1 = max(field, np.int64(1))  # subnormal inputs share the grid of field 1
        drop = min(max(p.shift, p.shift + p.emin_field + d - field_1), np.int64(25))  # >= 25: rounds to 0
        significand = (a & 0x7FFFFF) | (np.int64(field > 0) << 23)
        rounded = _rne_shift(significand, drop, 0)
        grid = rounded << drop
        mag = grid + ((field_1 - 1) << 23) if grid != 0 else np.int64(0)
        negative = (u >> 31) != 0
        if values:
            mag = min(mag, p.max_bits + (d << 23))
            store_binary32(out, b, h, w, mag | (np.int64(0x80000000) if negative & ((mag != 0) | (p.neg_zero != 0)) else np.int64(0)))
        else:
            code = rounded if drop > p.shift else (mag >> p.shift) - (p.offset + (d << p.man_bits))
            code = min(code, np.int64(p.max_mag))
            out[b, h, w] = code | (p.sign_bit if negative & ((code != 0) | (p.neg_zero != 0)) else np.int64(0))
        pending += field > p.hi + d
    return pending, 0


# ---- few-magnitude elements by exact comparisons ---------------------------------------------


class Thresholds(NamedTuple):
    """An element format with at most 8 magnitudes v_0 = 0 < v_1 < ... < v_n (codes 0..n): the
    midpoints m_i = (v_i + v_{i+1}) / 2 and steps d_i = v_{i+1} - v_i, padded to 7 with m_i = Inf,
    d_i = 0 (scalar fields: Numba's parallel kernels take no nested tuples)."""

    m0: float
    m1: float
    m2: float
    m3: float
    m4: float
    m5: float
    m6: float
    d0: float
    d1: float
    d2: float
    d3: float
    d4: float
    d5: float
    d6: float
    sign_bit: int
    neg_zero: int


@njit(cache=JIT_CACHE, inline="always")
def _midpoints_and_steps(t):
    return (t.m0, t.m1, t.m2, t.m3, t.m4, t.m5, t.m6), (t.d0, t.d1, t.d2, t.d3, t.d4, t.d5, t.d6)


@njit(cache=JIT_CACHE, inline="always")
def _beyond(ax, midpoint, i):
    """Whether |x| rounds above midpoint i (between codes i and i+1): ties go to the even code."""
    return ax > midpoint if i % 2 == 0 else ax >= midpoint


def is_negative(u):
    """Sign bit of a binary32/binary64 bit pattern."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(is_negative, jit_options={"cache": JIT_CACHE})
def _is_negative_impl(u):
    if u == types.uint32:
        return lambda u: (np.int64(u) >> 31) != 0
    if u == types.uint64:
        return lambda u: (u >> np.uint64(63)) != np.uint64(0)
    return None


@njit(cache=JIT_CACHE, inline="always")
def _thresholds_span(xs, src, out, b, h, w0, n, s, t):
    """Nearest-even of ``xs[b, h, w0:w0 + n]`` in a tile with scale ``s`` by counting the
    midpoints times ``s`` that |x| exceeds; every product and comparison is exact. Returns
    ``(NaN/Inf inputs left to the exact rule, inexact float32 values)``."""
    values = holds_values(out)
    midpoints, steps = _midpoints_and_steps(t)
    bounds = (midpoints[0] * s, midpoints[1] * s, midpoints[2] * s, midpoints[3] * s,
              midpoints[4] * s, midpoints[5] * s, midpoints[6] * s)
    pending = 0
    inexact = 0
    for w in range(w0, w0 + n):
        ax = abs(np.float64(xs[b, h, w]))
        negative = is_negative(src[b, h, w])
        finite = ax < math.inf
        pending += not finite
        if values:
            v = 0.0
            for i in range(7):
                v += steps[i] if _beyond(ax, bounds[i], i) else 0.0
            v *= s
            v = -v if negative & ((v != 0) | (t.neg_zero != 0)) else v
            out[b, h, w] = v
            inexact += (as_stored(out, v) != v) & finite
        else:
            c = np.int64(0)
            for i in range(7):
                c += _beyond(ax, bounds[i], i)
            out[b, h, w] = c | (t.sign_bit if negative & ((c != 0) | (t.neg_zero != 0)) else np.int64(0))
    return pending, inexact


@njit(cache=JIT_CACHE)
def _span_any(xs, src, out, b, h, w0, n, s, t):
    """:func:`_thresholds_span` compiled once for any length (ragged tiles, uncommon widths)."""
    return _thresholds_span(xs, src, out, b, h, w0, n, s, t)


@njit(cache=JIT_CACHE, inline="always")
def _thresholds_tiles(xs, src, out, b, h, tile_values, cols, t):
    """:func:`_thresholds_span` over the full tiles of a row, inlined with the literal ``cols``
    (a fixed trip count that LLVM unrolls and vectorises), and :func:`_span_any` over its ragged
    end."""
    W = xs.shape[2]
    n_full = W // cols
    pending = 0
    inexact = 0
    for tw in range(n_full):
        p, i = _thresholds_span(xs, src, out, b, h, tw * cols, cols, tile_values[tw], t)
        pending += p
        inexact += i
    if n_full * cols < W:
        p, i = _span_any(xs, src, out, b, h, n_full * cols, W - n_full * cols, tile_values[n_full], t)
        pending += p
        inexact += i
    return pending, inexact


@njit(cache=JIT_CACHE)
def _thresholds_row(xs, src, out, b, h, tile_values, cols, t):
    """Nearest-even along one row by thresholds, tile by tile, scales read from ``tile_values``:
    the common widths 16 and 32 get fixed-length tile loops, others :func:`_span_any`."""
    if cols == 16:
        return _thresholds_tiles(xs, src, out, b, h, tile_values, 16, t)
    if cols == 32:
        return _thresholds_tiles(xs, src, out, b, h, tile_values, 32, t)
    W = xs.shape[2]
    pending = 0
    inexact = 0
    for w0 in range(0, W, cols):
        p, i = _span_any(xs, src, out, b, h, w0, min(cols, W - w0), tile_values[w0 // cols], t)
        pending += p
        inexact += i
    return pending, inexact


# ---- dispatch on the pass --------------------------------------------------------------------


def spread_tile(rows, shifts, w0, w1, e, value, inverse, fast):
    """Copy a tile's scale parameters to its columns ``w0:w1`` of the row buffers the pass reads:
    ``rows[0]`` reciprocals and ``rows[1]`` values of the scale (float64), ``shifts`` exponent
    shifts (int64)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(spread_tile, jit_options={"cache": JIT_CACHE})
def _spread_tile_impl(rows, shifts, w0, w1, e, value, inverse, fast):
    cls = getattr(fast, "instance_class", None)
    if cls is Pow2Bits:

        def spread_shift(rows, shifts, w0, w1, e, value, inverse, fast):
            shifts[w0:w1] = pow2_shift(e, fast)

        return spread_shift
    if cls is Thresholds:  # reads the tile values themselves
        return lambda rows, shifts, w0, w1, e, value, inverse, fast: None
    if cls in (NearestSpec, FixedSpec):

        def spread_both(rows, shifts, w0, w1, e, value, inverse, fast):
            rows[0, w0:w1] = inverse
            rows[1, w0:w1] = value

        return spread_both
    return None


def row_pass(xs, src, out, b, h, rows, shifts, tile_values, cols, espec, fast, exact_quotients):
    """Round row ``h`` of batch ``b`` by the pass of ``fast`` (``exact_quotients``: the scales are
    powers of two); the row buffers hold the spread scale parameters, ``tile_values`` the scale of
    each tile of width ``cols``. Returns ``(elements left to the exact rule, inexact float32 values)``."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(row_pass, jit_options={"cache": JIT_CACHE})
def _row_pass_impl(xs, src, out, b, h, rows, shifts, tile_values, cols, espec, fast, exact_quotients):
    cls = getattr(fast, "instance_class", None)
    if cls is Pow2Bits:
        return lambda xs, src, out, b, h, rows, shifts, tile_values, cols, espec, fast, exact_quotients: _pow2_row(src, out, b, h, shifts, fast)
    if cls is Thresholds:
        return lambda xs, src, out, b, h, rows, shifts, tile_values, cols, espec, fast, exact_quotients: _thresholds_row(xs, src, out, b, h, tile_values, cols, fast)
    if cls in (NearestSpec, FixedSpec):

        def quotient_pass(xs, src, out, b, h, rows, shifts, tile_values, cols, espec, fast, exact_quotients):
            if exact_quotients:  # constant slack at each call site: the unused test folds away
                return _quotient_row(xs, out, b, h, rows[0], rows[1], espec, fast, -1)
            return _quotient_row(xs, out, b, h, rows[0], rows[1], espec, fast, QUOTIENT_SLACK)

        return quotient_pass
    return None


def element_pending(xs, src, b, h, w, e, inverse, espec, fast, exact_quotients):
    """Whether the pass of ``fast`` leaves element ``(b, h, w)`` (in a tile with scale exponent
    ``e`` and scale reciprocal ``inverse``) to the exact rule."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(element_pending, jit_options={"cache": JIT_CACHE})
def _element_pending_impl(xs, src, b, h, w, e, inverse, espec, fast, exact_quotients):
    cls = getattr(fast, "instance_class", None)
    if cls is Pow2Bits:

        def pow2_pending(xs, src, b, h, w, e, inverse, espec, fast, exact_quotients):
            return (np.int64(src[b, h, w]) & 0x7FFFFFFF) >> 23 > fast.hi + pow2_shift(e, fast)

        return pow2_pending
    if cls is Thresholds:
        return lambda xs, src, b, h, w, e, inverse, espec, fast, exact_quotients: not abs(np.float64(xs[b, h, w])) < math.inf
    if cls in (NearestSpec, FixedSpec):

        def quotient_pending(xs, src, b, h, w, e, inverse, espec, fast, exact_quotients):
            u = _quotient_bits(xs[b, h, w], inverse)
            return fast_redo(u, fast, espec, np.int64(-1) if exact_quotients else np.int64(QUOTIENT_SLACK))

        return quotient_pending
    return None
