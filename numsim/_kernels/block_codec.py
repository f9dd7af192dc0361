"""Numba kernels of the block formats (MX, NVFP4, BFP).

Inputs are laid out as a C-contiguous ``(B, H, W)`` array of binary32 or binary64 bit patterns
and cut into tiles of ``(rows, cols)`` over the last two axes (1-D blocks are ``(1, k)`` tiles),
the last tile of each axis possibly smaller. Each tile is one block: its largest finite magnitude
picks the scale, then every element is rounded once.

The kernel works by tile rows: tile maxima, then the scales of the whole row of tiles, then
(under nearest-even) a vectorised pass over each row (:mod:`numsim._kernels.block_rows`), then
the exact rule for the elements that pass leaves undecided and for every element under other
rounding modes. The exact rule is the scalar element rule on the element format with its
exponent range moved by ``e`` for a power-of-two scale 2^e (dividing by 2^e is exact), or on the
exact quotient (:func:`divide`) for other scales.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._config import JIT_CACHE
from .codec import (
    KIND_FINITE,
    FixedSpec,
    FloatSpec,
    decode_fixed_element,
    decode_float_element,
    encode_fixed_element,
    encode_float_element,
    split_input,
)
from .block_rows import F64_LIKE, QUOTIENT_SLACK, as_stored, element_pending, fast_redo, holds_values, row_pass, spread_tile
from .exact import divide
from .nearest_fast import _code, _value, float_from_bits
from .rounding import NEAREST_EVEN, SATURATE, STOCHASTIC_A, random_bits

FLOOR, CEIL, RCEIL, EVEN, ROUND = 0, 1, 2, 3, 4


class BlockSpec(NamedTuple):
    """Scale selection parameters of a BlockFormat (see :mod:`numsim.blocks`)."""

    rule: int
    emax_elem: int
    elem_man: int  # the element's precision - 1 (the ``even`` rule)
    inv_max_f32: float  # float32(1 / element max), for ``rceil``
    e_lo: int  # exponents of the smallest and largest powers of two of the scale format
    e_hi: int
    scale_mode: int  # rounding of the ``round`` rule
    scale_min: float  # ``round`` clamps amax / divisor to [scale_min, scale_max]
    scale_max: float
    divisor: float  # element max * tensor scale (exact)
    inv_divisor: float  # its float64 reciprocal
    tensor_scale: float
    inv_tensor_scale: float  # its float64 reciprocal
    scale_precision: int
    elem_precision: int


# ---- exact arithmetic ------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def float_parts(v):
    """``(mag, e2)`` with ``v = mag * 2^e2`` for a positive finite float64."""
    m, ex = math.frexp(v)
    return np.int64(m * 9007199254740992.0), np.int64(ex - 53)


# ---- element formats: float and fixed point through one interface ----------------------------


def element_code(kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits):
    """Code of an exact value in a FloatSpec or FixedSpec element format (-1: needs a NaN)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(element_code, jit_options={"cache": JIT_CACHE})
def _element_code_impl(kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits):
    if getattr(spec, "instance_class", None) is FloatSpec:
        return lambda kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits: encode_float_element(
            kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits, np.bool_(False)
        )
    if getattr(spec, "instance_class", None) is FixedSpec:
        return lambda kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits: encode_fixed_element(
            kind, negative, mag, e2, spec, mode, overflow, rbits, nbits
        )
    return None


def element_value(code, spec):
    """Value of an element code (float64; NaN codes give NaN)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(element_value, jit_options={"cache": JIT_CACHE})
def _element_value_impl(code, spec):
    if getattr(spec, "instance_class", None) is FloatSpec:

        def impl(code, spec):
            value, nan_bits = decode_float_element(code, spec)
            return value if nan_bits == -1 else np.nan

        return impl
    if getattr(spec, "instance_class", None) is FixedSpec:
        return lambda code, spec: decode_fixed_element(code, spec)
    return None


def scaled_spec(spec, e):
    """The element format with every value multiplied by 2^e."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(scaled_spec, jit_options={"cache": JIT_CACHE})
def _scaled_spec_impl(spec, e):
    if getattr(spec, "instance_class", None) is FloatSpec:
        return lambda spec, e: FloatSpec(
            spec.man_bits, spec.bias - e, spec.emin + e, spec.subnormals, spec.no_zero, spec.sign_bit, spec.mag_mask,
            spec.max_mag, spec.min_normal_code, spec.neg_zero, spec.ieee_nan, spec.exp_all, spec.nan_pos, spec.nan_neg,
            spec.inf_pos, spec.inf_neg,
        )
    if getattr(spec, "instance_class", None) is FixedSpec:
        return lambda spec, e: FixedSpec(spec.bits, spec.frac_bits - e, spec.lo, spec.hi, spec.signed, spec.sign_magnitude)
    return None


# ---- scales ----------------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def round_quotient(num, den, spec, mode):
    """Code of ``num / den`` (positive finite float64s, ``den`` exact to 53 bits) rounded once into
    the float format ``spec``."""
    nm, ne = float_parts(num)
    dm, de = float_parts(den)
    mag, e2 = divide(nm, ne, dm, de, spec.man_bits + 4)  # precision + guard + round + sticky
    return encode_float_element(np.int64(KIND_FINITE), np.bool_(False), mag, e2, np.int64(0), spec, mode, np.int64(SATURATE), np.int64(0), np.int64(1),
                                np.bool_(False))  # typed constants: a literal would compile another specialization


@njit(cache=JIT_CACHE, inline="always")
def _log2_parts(v):
    """``(floor(log2 v), 53-bit significand with the leading bit at 2^52)`` of a positive finite
    float64, from its bits (no libm call; subnormals are normalised)."""
    u = np.float64(v).view(np.int64)
    field = u >> 52
    if field == 0:
        m, ex = math.frexp(v)
        return np.int64(ex - 1), np.int64(m * 9007199254740992.0)
    return field - 1023, (u & 0xFFFFFFFFFFFFF) | (np.int64(1) << 52)


@njit(cache=JIT_CACHE, inline="always")
def _pow2(e):
    """2.0^e (e >= -1074), from its bits when it is a normal float64."""
    return np.int64((e + 1023) << 52).view(np.float64) if e >= -1022 else math.ldexp(1.0, e)


@njit(cache=JIT_CACHE, inline="always")
def _power_of_two_exponent(amax, bs):
    """Exponent of the power-of-two scale of the floor, ceil, even and rceil rules, clamped to the
    scale format's powers of two."""
    if amax == 0.0:
        return np.int64(bs.e_lo)
    floor_log2, significand = _log2_parts(amax)
    if bs.rule == FLOOR:
        e = floor_log2 - bs.emax_elem
    elif bs.rule == CEIL:
        e = floor_log2 + (significand != np.int64(1) << 52) - bs.emax_elem
    elif bs.rule == EVEN:  # amax rounded to the element precision, ties away, may reach 2^(floor + 1)
        drop = 52 - bs.elem_man
        carried = drop > 0 and ((significand + (np.int64(1) << (drop - 1))) >> 53) != 0
        e = floor_log2 + carried - bs.emax_elem
    else:  # RCEIL in binary32 arithmetic
        d = np.float64(np.float32(np.float32(amax) * np.float32(bs.inv_max_f32)))
        if d == 0.0:
            return np.int64(bs.e_lo)
        if d == math.inf:
            return np.int64(bs.e_hi)
        floor_d, significand_d = _log2_parts(d)
        e = floor_d + (significand_d != np.int64(1) << 52)
    return min(max(e, np.int64(bs.e_lo)), np.int64(bs.e_hi))


@njit(cache=JIT_CACHE)
def _element_in_block(x, i, espec, e, value, mode, overflow, key, nbits, explicit, bs):
    """Code of input bits ``x`` (flat index ``i``) in a block with scale ``2^e`` (power-of-two
    rules; ``espec`` already scaled) or ``value`` (``round`` rule), by the exact general rule."""
    kind, negative, mag, e2, payload = split_input(x)
    r = random_bits(key, i, nbits, explicit) if mode >= STOCHASTIC_A else np.int64(0)
    if bs.rule == ROUND and kind == KIND_FINITE:
        sm, se = float_parts(value)
        mag, e2 = divide(mag, e2, sm, se, bs.elem_precision + nbits + 3)
    return element_code(kind, negative, mag, e2, payload, espec, mode, overflow, r, nbits)


@njit(cache=JIT_CACHE, inline="always")
def pow2_code(e, s):
    """Code of 2^e in the float format ``s`` (``e`` within its powers of two)."""
    if s.no_zero or e >= s.emin:
        return (e + s.bias) << s.man_bits
    return np.int64(1) << (e - s.emin + s.man_bits)  # a subnormal power of two


@njit(cache=JIT_CACHE)
def _round_rule_scale_exact(amax, bs, sspec, sfast):
    """Code of ``amax / divisor`` clamped to the scale format's [min normal, max] and rounded into
    it with the scale rounding mode, by exact division."""
    if amax <= bs.scale_min * bs.divisor:
        return _code(np.float64(bs.scale_min).view(np.int64), sfast)
    if amax >= bs.scale_max * bs.divisor:
        return _code(np.float64(bs.scale_max).view(np.int64), sfast)
    return round_quotient(amax, bs.divisor, sspec, bs.scale_mode)


@njit(cache=JIT_CACHE, inline="always")
def tile_row_scales(maxima, like, bs, sspec, sfast, reciprocals, codes, exponents, values, inverses):
    """Scales of a row of tiles with largest finite magnitude bits ``maxima`` (``like``: an array
    of the input's width): ``codes``, and per tile the exponent ``e`` of a power-of-two scale
    (``values == 2^e`` and ``inverses == 2^-e`` exactly) or, for the ``round`` rule, 0, the value
    including the tensor scale, and a reciprocal within 2 ulps of 1 / value (from the table
    ``reciprocals`` of the scale codes when it is non-empty).

    The ``round`` rule runs nearest-even formulas on the float64 ``amax * (1 / divisor)`` clamped
    to [min normal, max] over the whole row (a quotient near the clamp bounds, which are scale
    values, rounds to them either way); quotients within a few ulps of a midpoint, and every tile
    under other scale rounding modes, are redone by exact division."""
    n = maxima.size
    if bs.rule != ROUND:
        for tw in range(n):
            e = _power_of_two_exponent(float_from_bits(maxima[tw], like), bs)
            codes[tw] = pow2_code(e, sspec)
            exponents[tw] = e
            values[tw] = _pow2(e)
            inverses[tw] = _pow2(-e)
        return
    doubtful = bs.scale_mode != NEAREST_EVEN
    for tw in range(n):
        q = min(max(float_from_bits(maxima[tw], like) * bs.inv_divisor, bs.scale_min), bs.scale_max)
        u = np.float64(q).view(np.int64)
        codes[tw] = _code(u, sfast)
        values[tw] = _value(u, sfast, F64_LIKE)
        doubtful |= fast_redo(u, sfast, sspec, np.int64(QUOTIENT_SLACK))
    for tw in range(n):
        if doubtful:
            amax = float_from_bits(maxima[tw], like)
            q = min(max(amax * bs.inv_divisor, bs.scale_min), bs.scale_max)
            if bs.scale_mode != NEAREST_EVEN or fast_redo(np.float64(q).view(np.int64), sfast, sspec, np.int64(QUOTIENT_SLACK)):
                code = _round_rule_scale_exact(amax, bs, sspec, sfast)
                codes[tw] = code
                values[tw] = decode_float_element(code, sspec)[0]
        exponents[tw] = 0
        inverses[tw] = (reciprocals[np.int64(codes[tw])] if reciprocals.size > 0 else 1.0 / values[tw]) * bs.inv_tensor_scale
        values[tw] *= bs.tensor_scale


@njit(nogil=True, cache=JIT_CACHE)
def all_tile_maxima(t0, t1, src, rows, cols, maxima):
    """Largest finite magnitude bits of every tile of the tile rows ``t0 <= t < t1`` (counted over
    the batch) of ``src`` (``(B, H, W)`` binary32/binary64 bit patterns) into ``maxima`` (``(B, tile
    rows, tile columns)`` int64). Returns the largest finite magnitude among them, 0 if none: the
    amax of a per-tensor scale, found in the same pass."""
    H, W = src.shape[1], src.shape[2]
    n_th = maxima.shape[1]
    work = np.empty(W, np.int64)
    m = np.int64(0)
    for t in range(t0, t1):
        b, th = t // n_th, t % n_th
        _tile_maxima(src, b, th * rows, min(th * rows + rows, H), cols, work, maxima[b, th])
        m = max(m, maxima[b, th].max())
    return float_from_bits(m, src)


def magnitude_bits(x):
    """``(|x| bits, bits of +Inf)`` of a binary32/binary64 bit pattern, as int64: integer maxima of
    magnitude bits order like the magnitudes and, unlike float maxima, vectorise."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(magnitude_bits, jit_options={"cache": JIT_CACHE})
def _magnitude_bits_impl(x):
    if x == types.uint32:
        return lambda x: (np.int64(x) & 0x7FFFFFFF, np.int64(0x7F800000))
    if x == types.uint64:
        return lambda x: (np.int64(x) & 0x7FFFFFFFFFFFFFFF, np.int64(0x7FF0000000000000))
    return None


@njit(cache=JIT_CACHE, inline="always")
def _amax_bits(src, b, h, w0, w1):
    """Largest finite magnitude bits of ``src[b, h, w0:w1]``; four independent running maxima keep
    the short loop from waiting on one dependency chain."""
    m0 = m1 = m2 = m3 = np.int64(0)
    w = w0
    while w + 4 <= w1:
        m0 = max(m0, _finite_magnitude(src[b, h, w]))
        m1 = max(m1, _finite_magnitude(src[b, h, w + 1]))
        m2 = max(m2, _finite_magnitude(src[b, h, w + 2]))
        m3 = max(m3, _finite_magnitude(src[b, h, w + 3]))
        w += 4
    for v in range(w, w1):
        m0 = max(m0, _finite_magnitude(src[b, h, v]))
    return max(max(m0, m1), max(m2, m3))


@njit(cache=JIT_CACHE, inline="always")
def _finite_magnitude(x):
    a, inf = magnitude_bits(x)
    return a if a < inf else np.int64(0)


@njit(cache=JIT_CACHE)
def _tile_maxima(src, b, h0, h1, cols, work, maxima):
    """Largest finite magnitude bits of each tile of a tile row, into ``maxima``. Widths that are
    powers of two reduce each row by a pairwise tree of flat, vectorised passes over ``work`` (the
    first pass halves the row, each further one halves the previous); other widths and the ragged
    last tile reduce tile by tile."""
    W = src.shape[2]
    n_tw = (W + cols - 1) // cols
    n_full = W // cols
    maxima[:] = 0
    tree = cols >= 2 and cols & (cols - 1) == 0
    for h in range(h0, h1):
        if tree:
            n = n_full * cols // 2
            for i in range(n):
                work[i] = max(_finite_magnitude(src[b, h, 2 * i]), _finite_magnitude(src[b, h, 2 * i + 1]))
            width = 2
            while width < cols:
                n //= 2
                for i in range(n):
                    work[i] = max(work[2 * i], work[2 * i + 1])
                width *= 2
            for tw in range(n_full):
                maxima[tw] = max(maxima[tw], work[tw])
        else:
            for tw in range(n_full):
                maxima[tw] = max(maxima[tw], _amax_bits(src, b, h, tw * cols, tw * cols + cols))
        if n_full < n_tw:
            maxima[n_full] = max(maxima[n_full], _amax_bits(src, b, h, n_full * cols, W))


@njit(cache=JIT_CACHE)
def _tile_exact(xs, src, out, b, h0, h1, w0, w1, e, value, inverse, espec, fast, bs, mode, overflow, key, nbits, explicit, redo_only):
    """Exact rule for every element of a tile (``redo_only``: those the fast pass cannot decide);
    codes, or values when ``out`` is a float array. Returns ``(elements needing a NaN the element
    format lacks, float32 values that are inexact)``."""
    B, H, W = src.shape
    block_spec = scaled_spec(espec, e)
    values = holds_values(out)
    needs_nan = 0
    inexact = 0
    for h in range(h0, h1):
        for w in range(w0, w1):
            if redo_only and not element_pending(xs, src, b, h, w, e, inverse, espec, fast, bs.rule != ROUND):
                continue
            c = _element_in_block(src[b, h, w], (b * H + h) * W + w, block_spec, e, value, mode, overflow, key, nbits, explicit, bs)
            needs_nan += c < 0
            c = max(c, 0)
            if values:
                v = element_value(c, block_spec) * (value if bs.rule == ROUND else 1.0)
                out[b, h, w] = v
                inexact += (as_stored(out, v) != v) & (v == v)
            else:
                out[b, h, w] = c
    return needs_nan, inexact


@njit(nogil=True, cache=JIT_CACHE)
def block_kernel(t0, t1, xs, src, out, scales, maxima, espec, fast, sspec, sfast, reciprocals, bs, rows, cols, mode, overflow, key, nbits, explicit, use_fast):
    """Block-quantize the tile rows ``t0 <= t < t1`` (counted over the batch) of ``xs``
    (float32/float64 ``(B, H, W)``; ``src`` its bit view): element codes, or values when ``out``
    is a float array, into ``out``; scale codes into ``scales`` (one per tile). ``maxima`` holds
    the tiles' largest finite magnitude bits when :func:`all_tile_maxima` has found them (empty
    otherwise).

    Per tile row: the largest finite magnitude of each tile (unless given) and the scales of all of them
    (:func:`tile_row_scales`); then, for nearest-even, the vectorised pass of ``fast`` over each
    row (:mod:`numsim._kernels.block_rows`: a Pow2Bits, Thresholds, NearestSpec or FixedSpec);
    then the exact rule for the tiles holding elements that pass leaves undecided (every tile,
    under other rounding modes). A tile that needs a NaN its elements cannot hold gets the scale's
    NaN (codes 0, values NaN). Returns ``(elements needing a NaN where the scale has none, inexact
    float32 values)``."""
    values = holds_values(out)
    B, H, W = src.shape
    n_th, n_tw = (H + rows - 1) // rows, (W + cols - 1) // cols
    fast_pass = use_fast and mode == NEAREST_EVEN
    exact_quotients = bs.rule != ROUND
    invalid = 0
    inexact = 0
    scratch, int_scratch = np.empty((4, W)), np.empty((3, W), np.int64)  # row buffers, reused by every tile row
    for t in range(t0, t1):
        b, th = t // n_th, t % n_th
        h0, h1 = th * rows, min(th * rows + rows, H)
        row_buffers, shifts = scratch[:2], int_scratch[0]
        scale_values, inverses = scratch[2, :n_tw], scratch[3, :n_tw]
        tile_maxima, exponents = int_scratch[1, :n_tw], int_scratch[2, :n_tw]
        if maxima.size > 0:
            tile_maxima = maxima[b, th]
        else:
            _tile_maxima(src, b, h0, h1, cols, shifts, tile_maxima)  # shifts serves as work space first
        tile_row_scales(tile_maxima, src, bs, sspec, sfast, reciprocals, scales[b, th], exponents, scale_values, inverses)
        pending = not fast_pass
        not_exact = 0
        if fast_pass:
            for tw in range(n_tw):
                spread_tile(row_buffers, shifts, tw * cols, min(tw * cols + cols, W), exponents[tw], scale_values[tw], inverses[tw], fast)
            for h in range(h0, h1):
                row_pending, row_inexact = row_pass(xs, src, out, b, h, row_buffers, shifts, scale_values, cols, espec, fast, exact_quotients)
                pending |= row_pending > 0
                not_exact += row_inexact
        bad = 0
        if pending:
            for tw in range(n_tw):
                w0, w1 = tw * cols, min(tw * cols + cols, W)
                needs_nan, inexact_tile = _tile_exact(xs, src, out, b, h0, h1, w0, w1, exponents[tw], scale_values[tw], inverses[tw],
                                                      espec, fast, bs, mode, overflow, key, nbits, explicit, fast_pass)
                not_exact += inexact_tile
                if needs_nan:
                    if sspec.nan_pos >= 0:
                        scales[b, th, tw] = sspec.nan_pos
                        for h in range(h0, h1):  # element loops, not a slice fill: no shape checks to compile
                            for w in range(w0, w1):
                                out[b, h, w] = np.nan if values else 0
                    else:
                        bad += needs_nan
        invalid += bad
        inexact += not_exact
    return invalid, inexact


@njit(nogil=True, cache=JIT_CACHE)
def decode_blocks(t0, t1, codes, scales, out, espec, sspec, table, tensor_scale, rows, cols):
    """Values of the element ``codes`` of the tile rows ``t0 <= t < t1`` (counted over the batch)
    times their tile's scale (a NaN scale makes its tile NaN);
    element values come from ``table`` when it is non-empty. Works by tile rows with the scales
    spread along the row, so the inner loop is flat. Returns the number of values a float32 ``out``
    could not hold exactly."""
    B, H, W = codes.shape
    n_th, n_tw = (H + rows - 1) // rows, (W + cols - 1) // cols
    inexact = 0
    scales_row = np.empty(W, np.float64)
    for t in range(t0, t1):
        b, th = t // n_th, t % n_th
        for tw in range(n_tw):
            scale, nan_bits = decode_float_element(np.int64(scales[b, th, tw]), sspec)
            scales_row[tw * cols:min(tw * cols + cols, W)] = scale * tensor_scale if nan_bits == -1 else np.nan
        not_exact = 0
        for h in range(th * rows, min(th * rows + rows, H)):
            for w in range(W):
                c = np.int64(codes[b, h, w])
                v = (table[c] if table.size > 0 else element_value(c, espec)) * scales_row[w]
                out[b, h, w] = v
                not_exact += (as_stored(out, v) != v) & (v == v)
        inexact += not_exact
    return inexact
