"""Dot-product datapath kernel (semantics in :mod:`numsim.datapath`).

Values travel as float64. That is exact because the Python layer admits only datapaths whose
products fit: two significands of p_a + p_b <= 53 bits, exponents inside float64's range. Sums
are made exact-enough by round-to-odd: ``s = fl(x + y)`` plus its TwoSum error, with the last
bit of ``s`` forced odd when the error is nonzero. Rounding that value once more into a format of
at most 51 significant bits gives the correctly rounded sum in every rounding mode (Boldo and
Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to
odd", IEEE TC 57(4), 2008), so each accumulator addition is one correct rounding.

The kernel runs rows ``(batch, i)`` in parallel and, within a row, vectors over the N output
columns, so the k-loop (the sequential dependency of a MAC) runs over contiguous rows of B.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from .._config import JIT_CACHE
from .codec import KIND_FINITE, decode_fixed_element, decode_float_element, encode_fixed_element, encode_float_element, split_input
from .multipliers import EXACT, LOGADD, LOOKUP, half_unit, int_product, logadd
from .rounding import (
    NEAREST_AWAY,
    NEAREST_EVEN,
    NON_SATURATING,
    STOCHASTIC_A,
    TO_ODD,
    TOWARD_NEGATIVE,
    TOWARD_POSITIVE,
    TOWARD_ZERO,
    msb,
    random_bits,
)

# accumulator kinds
FLOAT, FIXED, KULISCH, FUSED = 0, 1, 2, 3
# orders
SEQUENTIAL, TREE, PAIRWISE, CHUNKED = 0, 1, 2, 3
# float accumulation paths
GENERIC, NATIVE32, RNE64 = 0, 1, 2

# layout of the int64 configuration array
CFG_FIELDS = (
    "mult_kind",
    "prod_round",  # 0 none, 1 float format, 2 fixed format
    "prod_mode",
    "prod_overflow",
    "acc_kind",
    "acc_mode",
    "acc_overflow",
    "float_path",
    "order",
    "width",  # tree width / chunk length
    "inner",  # chunked: inner order (SEQUENTIAL, TREE, PAIRWISE)
    "inner_width",
    "outer_mode",
    "outer_overflow",
    "out_kind",  # 0 float, 1 fixed
    "out_mode",
    "out_overflow",
    "fx_width",
    "fx_frac",
    "fx_saturate",
    "fx_mode",
    "k_ebase",
    "k_limbs",
    "f_n",
    "f_window",
    "f_anchor_min",
    "f_after",
    "f_normalized",
    "f_nearest",
    "f_exact_anchor",
    "f_prod_emin",
    "f_emin",
    "f_emax",
    "f_has_inf",
    "nbits",
    "mult_p0",
    "mult_p1",
    "out_scaled",  # 1: each output element is multiplied by SM[r, j] * 2^SX[r, j] before its rounding
)
(
    MULT_KIND,
    PROD_ROUND,
    PROD_MODE,
    PROD_OVERFLOW,
    ACC_KIND,
    ACC_MODE,
    ACC_OVERFLOW,
    FLOAT_PATH,
    ORDER,
    WIDTH,
    INNER,
    INNER_WIDTH,
    OUTER_MODE,
    OUTER_OVERFLOW,
    OUT_KIND,
    OUT_MODE,
    OUT_OVERFLOW,
    FX_WIDTH,
    FX_FRAC,
    FX_SATURATE,
    FX_MODE,
    K_EBASE,
    K_LIMBS,
    F_N,
    F_WINDOW,
    F_ANCHOR_MIN,
    F_AFTER,
    F_NORMALIZED,
    F_NEAREST,
    F_EXACT_ANCHOR,
    F_PROD_EMIN,
    F_EMIN,
    F_EMAX,
    F_HAS_INF,
    NBITS,
    MULT_P0,
    MULT_P1,
    OUT_SCALED,
) = range(len(CFG_FIELDS))

_NO_ANCHOR = np.int64(-(1 << 40))
_M32 = np.int64(0xFFFFFFFF)
_EMPTY_U64 = np.empty(0, np.uint64)
# Typed constants for arguments: Numba compiles a callee once more for every literal argument
# (0 and np.int64(0) are different signatures), so constant arguments are passed typed.
_I0, _I1 = np.int64(0), np.int64(1)
_FALSE = np.bool_(False)
_NEAREST_EVEN = np.int64(NEAREST_EVEN)
_NON_SATURATING = np.int64(NON_SATURATING)
_KIND_FINITE = np.int64(KIND_FINITE)


# ---- scalar helpers ----------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def sum_to_odd(x, y):
    """``x + y`` rounded to odd at float64 precision (exact TwoSum error folded into the last bit)."""
    s = x + y
    if not math.isfinite(s):
        return s
    bb = s - x
    err = (x - (s - bb)) + (y - bb)
    if err != 0.0:
        bits = np.float64(s).view(np.int64)
        if (bits & 1) == 0:
            bits += np.int64(1) if (err > 0.0) == (s > 0.0) else np.int64(-1)
            s = np.int64(bits).view(np.float64)
    return s


@njit(cache=JIT_CACHE)
def round_float(x, spec, mode, overflow, rbits, nbits):
    """``(value, ok)``: float64 ``x`` (exact or rounded to odd) rounded into the float format ``spec``;
    ``ok`` is False when the result needs a NaN the format lacks."""
    kind, negative, mag, e2, payload = split_input(np.float64(x).view(np.uint64))
    code = encode_float_element(kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits, _FALSE)
    if code < 0:
        return np.nan, False
    value, nan_bits = decode_float_element(code, spec)
    return (np.nan if nan_bits != -1 else value), True


@njit(cache=JIT_CACHE)
def round_fixed(x, spec, mode, overflow, rbits, nbits):
    """``(value, ok)``: float64 ``x`` rounded into the integer/fixed format ``spec``."""
    kind, negative, mag, e2, _ = split_input(np.float64(x).view(np.uint64))
    code = encode_fixed_element(kind, negative, mag, e2, spec, mode, overflow, rbits, nbits)
    if code < 0:
        return np.nan, False
    return decode_fixed_element(code, spec), True


@njit(cache=JIT_CACHE)
def float_add(x, y, spec, mode, overflow, rbits, nbits):
    """One accumulator addition: ``x + y`` rounded once into ``spec``. An exact zero sum is +0
    (-0 under toward_negative) unless both addends are zeros of one sign, which it keeps."""
    s = sum_to_odd(x, y)
    if s == 0.0 and mode == TOWARD_NEGATIVE and not (x == 0.0 and y == 0.0 and math.copysign(1.0, x) > 0 and math.copysign(1.0, y) > 0):
        s = -0.0
    return round_float(s, spec, mode, overflow, rbits, nbits)


@njit(cache=JIT_CACHE)
def exponent(x):
    """``floor(log2 |x|)`` of a finite nonzero float64."""
    e = (np.float64(x).view(np.int64) >> 52) & 0x7FF
    if e == 0:
        return np.int64(math.frexp(x)[1] - 1)
    return e - 1023


@njit(cache=JIT_CACHE)
def pow2(e):
    """``2.0 ** e`` for -1022 <= e <= 1023."""
    return np.int64((e + 1023) << 52).view(np.float64)


# ---- products ----------------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def row_products(cfg, a_val, a_word, b_val, b_word, mparams, mtable, dec_table, in_spec, scale, p):
    """``p[j]`` = the multiplier's product of ``a`` and ``b[j]`` (exact float64)."""
    kind = cfg[MULT_KIND]
    n = p.size
    if kind == EXACT:
        for j in range(n):
            p[j] = a_val * b_val[j]
    elif kind == LOGADD:
        for j in range(n):
            code, half = logadd(a_word, b_word[j], mparams)
            if code < 0:
                p[j] = np.nan
            elif dec_table.size > 0:
                p[j] = dec_table[code]
            else:
                value, nan_bits = decode_float_element(code, in_spec)
                p[j] = np.nan if nan_bits != -1 else value
            if half:
                p[j] += half_unit(code, mparams)
    elif kind == LOOKUP:
        for j in range(n):
            p[j] = mtable[a_word, b_word[j]] * scale
    else:
        for j in range(n):
            p[j] = int_product(kind, a_word, b_word[j], cfg[MULT_P0], cfg[MULT_P1]) * scale


@njit(cache=JIT_CACHE)
def round_products(cfg, p, pf_spec, px_spec):
    """Round every product into the product format; returns the number of missing NaNs."""
    bad = 0
    for j in range(p.size):
        if cfg[PROD_ROUND] == 1:
            v, ok = round_float(p[j], pf_spec, cfg[PROD_MODE], cfg[PROD_OVERFLOW], _I0, _I0)
        else:
            v, ok = round_fixed(p[j], px_spec, cfg[PROD_MODE], cfg[PROD_OVERFLOW], _I0, _I0)
        p[j] = v
        bad += not ok
    return bad


# ---- float accumulation -------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def float_add_vec(cfg, acc, p, spec, mode, overflow, key, base, k_total, k, scratch):
    """``acc[j] = acc[j] + p[j]`` rounded into ``spec``; returns the number of missing NaNs.

    With nearest-even into a format of at most 51 significant bits the common case rounds the
    round-to-odd float64 sum by integer arithmetic on its bits (exact for normal results, the
    mantissa is simply cut to the format's width with ties to even); zeros, subnormal and
    overflowing results and specials take the general encoder.
    """
    n = acc.size
    bad = 0
    if cfg[FLOAT_PATH] == RNE64 and mode == NEAREST_EVEN:
        sh = 52 - spec.man_bits
        half = (np.int64(1) << (sh - 1)) - 1
        clear = ~((np.int64(1) << sh) - 1)
        lo = math.ldexp(1.0, spec.emin)
        hi = decode_float_element(spec.max_mag, spec)[0]
        flagged = 0
        for j in range(n):
            s = sum_to_odd(acc[j], p[j])
            bits = np.float64(s).view(np.int64)
            r = np.int64((bits + half + ((bits >> sh) & 1)) & clear).view(np.float64)
            good = abs(s) >= lo and abs(r) <= hi
            flagged += not good
            scratch[j] = r if good else np.nan
        if flagged == 0:
            for j in range(n):
                acc[j] = scratch[j]
            return 0
        for j in range(n):
            if math.isnan(scratch[j]):
                v, ok = float_add(acc[j], p[j], spec, mode, overflow, _I0, _I0)
                acc[j] = v
                bad += not ok
            else:
                acc[j] = scratch[j]
        return bad
    nbits = cfg[NBITS]
    for j in range(n):
        rb = random_bits(key, (base + j) * k_total + k, nbits, _EMPTY_U64) if mode >= STOCHASTIC_A else np.int64(0)
        v, ok = float_add(acc[j], p[j], spec, mode, overflow, rb, nbits)
        acc[j] = v
        bad += not ok
    return bad


# ---- fixed-point accumulation -------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def _round_integer(x, mode):
    """``x`` (float64) rounded to an integer-valued float64 with a deterministic mode."""
    t = math.trunc(x)
    if t == x:
        return x
    if mode == TOWARD_ZERO:
        return t
    if mode == TOWARD_NEGATIVE:
        return math.floor(x)
    if mode == TOWARD_POSITIVE:
        return math.ceil(x)
    if mode == TO_ODD:
        return t if (t % 2.0) != 0.0 else t + (1.0 if x > 0 else -1.0)
    f = math.floor(x)
    diff = x - f  # exact: x and f share the binade or f = 0
    if diff > 0.5:
        return f + 1.0
    if diff < 0.5:
        return f
    if mode == NEAREST_AWAY:
        return f + 1.0 if x > 0 else f
    return f if (f % 2.0) == 0.0 else f + 1.0


@njit(cache=JIT_CACHE)
def fixed_fit(q, width, saturate):
    """A register value brought into the signed ``width``-bit range (wrap or clamp)."""
    top = np.int64(1) << (width - 1)
    if saturate:
        return min(max(q, -top), top - 1)
    mask = (np.int64(1) << width) - 1
    return ((q + top) & mask) - top


@njit(cache=JIT_CACHE)
def fixed_from_value(x, width, frac, saturate, mode):
    """``(register, ok)``: the value ``x`` rounded to the quantum and brought into range."""
    if not math.isfinite(x):
        return np.int64(0), False
    v = _round_integer(math.ldexp(x, frac), mode)
    top = math.ldexp(1.0, width - 1)
    if saturate:
        if v >= top:
            return (np.int64(1) << (width - 1)) - 1, True
        if v < -top:
            return -(np.int64(1) << (width - 1)), True
        return np.int64(v), True
    if abs(v) >= top:
        v = np.fmod(v, 2.0 * top)  # exact
    return fixed_fit(np.int64(v), width, _FALSE), True


@njit(cache=JIT_CACHE)
def fixed_add_products(cfg, q, p):
    """``q[j] = fit(q[j] + fit(round(p[j])))``; returns the number of non-finite products."""
    w = cfg[FX_WIDTH]
    f = cfg[FX_FRAC]
    sat = cfg[FX_SATURATE] == 1
    bad = 0
    for j in range(q.size):
        v, ok = fixed_from_value(p[j], w, f, sat, cfg[FX_MODE])
        bad += not ok
        q[j] = fixed_fit(q[j] + v, w, sat)
    return bad


@njit(cache=JIT_CACHE)
def fixed_add_vec(cfg, q, y):
    w = cfg[FX_WIDTH]
    sat = cfg[FX_SATURATE] == 1
    for j in range(q.size):
        q[j] = fixed_fit(q[j] + y[j], w, sat)


# ---- Kulisch accumulation -----------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def kulisch_add(limbs, x, ebase):
    """Add the float64 ``x`` (a multiple of 2^ebase) exactly into 32-bit digit limbs."""
    if x == 0.0:
        return
    bits = np.float64(x).view(np.int64)
    ef = (bits >> 52) & 0x7FF
    mant = bits & ((np.int64(1) << 52) - 1)
    if ef == 0:
        e = np.int64(-1074)
    else:
        mant |= np.int64(1) << 52
        e = ef - 1075
    tz = np.int64(trailing_zeros(np.uint64(mant)))
    mant >>= tz
    off = e + tz - ebase
    t = off >> 5
    sh = off & 31
    lo = (mant & _M32) << sh
    hi = (mant >> 32) << sh
    sign = np.int64(-1) if x < 0 else np.int64(1)
    limbs[t] += sign * (lo & _M32)
    limbs[t + 1] += sign * ((lo >> 32) + (hi & _M32))
    limbs[t + 2] += sign * (hi >> 32)


@njit(cache=JIT_CACHE)
def _propagate(limbs):
    for t in range(limbs.size - 1):
        c = limbs[t] >> 32
        limbs[t] -= c << 32
        limbs[t + 1] += c


@njit(cache=JIT_CACHE)
def kulisch_result(limbs, ebase):
    """``(negative, mag, e2)`` with ``mag < 2^62`` whose lowest bit is sticky: the exact sum."""
    _propagate(limbs)
    negative = limbs[limbs.size - 1] < 0
    if negative:
        for t in range(limbs.size):
            limbs[t] = -limbs[t]
        _propagate(limbs)
    h = limbs.size - 1
    while h >= 0 and limbs[h] == 0:
        h -= 1
    if h < 0:
        return negative, np.int64(0), ebase
    top = 32 * h + msb(limbs[h])
    shift = top - 61
    if shift <= 0:
        mag = np.int64(0)
        for t in range(h + 1):
            mag |= limbs[t] << (32 * t)
        return negative, mag, ebase
    mag = np.int64(0)
    sticky = False
    for t in range(h + 1):
        pos = 32 * t - shift
        if pos >= 0:
            mag |= limbs[t] << pos
        elif pos > -32:
            mag |= limbs[t] >> (-pos)
            sticky |= (limbs[t] & ((np.int64(1) << (-pos)) - 1)) != 0
        else:
            sticky |= limbs[t] != 0
    return negative, mag | np.int64(sticky), ebase + shift


# ---- fused multi-term (tensor core) -------------------------------------------------------------


@njit(cache=JIT_CACHE)
def _special_sum(values, count, d, with_d):
    """IEEE result of a block holding a NaN or an infinity (NaN, or the one infinity)."""
    pos = False
    neg = False
    nan = False
    for t in range(count + 1):
        if t == count and not with_d:
            break
        x = d if t == count else values[t]
        if math.isnan(x):
            nan = True
        elif math.isinf(x):
            if x > 0:
                pos = True
            else:
                neg = True
    if nan or (pos and neg):
        return np.nan
    return math.inf if pos else -math.inf


@njit(cache=JIT_CACHE)
def fused_normalise(acc, m, cfg, blk_spec, mode):
    """The block sum ``acc * 2^(m - W)`` rounded once into the block format (overflow: Inf)."""
    if acc == 0:
        return 0.0
    negative = acc < 0
    mag = -acc if negative else acc
    e2 = m - cfg[F_WINDOW]
    if msb(mag) + e2 > cfg[F_EMAX] and cfg[F_HAS_INF] == 1:
        return -math.inf if negative else math.inf
    code = encode_float_element(_KIND_FINITE, negative, mag, e2, _I0, blk_spec, mode, _NON_SATURATING, _I0, _I0, _FALSE)
    return decode_float_element(code, blk_spec)[0]


@njit(cache=JIT_CACHE)
def fused_block(cfg, d, P, ANC, count, acc_spec, blk_spec, acc_mode, acc_overflow, m_vec, s_vec):
    """``d[j] = BFMA(P[0:count, j], d[j])`` for every column."""
    n = d.size
    W = cfg[F_WINDOW]
    after = cfg[F_AFTER] == 1
    amin = cfg[F_ANCHOR_MIN]
    for j in range(n):
        m = _NO_ANCHOR
        for t in range(count):
            m = max(m, ANC[t, j])
        s_vec[j] = 0
        if not after and d[j] != 0.0 and math.isfinite(d[j]):
            m = max(m, max(exponent(d[j]), cfg[F_EMIN]))
        m_vec[j] = m
    for t in range(count):
        for j in range(n):
            x = abs(P[t, j])
            if x != 0.0 and math.isfinite(x):
                y = x * pow2(W - max(m_vec[j], amin))
                q = np.int64(np.rint(y) if cfg[F_NEAREST] == 1 else math.floor(y))
                s_vec[j] += -q if P[t, j] < 0 else q
    for j in range(n):
        special = not math.isfinite(d[j])
        for t in range(count):
            special |= not math.isfinite(P[t, j])
        if special:
            d[j] = _special_sum(P[:, j], count, d[j], np.bool_(True))
            continue
        m = m_vec[j]
        if m == _NO_ANCHOR and (after or d[j] == 0.0):
            d[j] = d[j] if (after and d[j] != 0.0) else 0.0
            continue
        m = max(m, amin)
        acc = s_vec[j]
        if not after and d[j] != 0.0:
            y = abs(d[j]) * pow2(W - m)
            q = np.int64(np.rint(y) if cfg[F_NEAREST] == 1 else math.floor(y))
            acc += -q if d[j] < 0 else q
        r = fused_normalise(acc, m, cfg, blk_spec, acc_mode)
        if after and d[j] != 0.0:
            r, _ = float_add(r, d[j], acc_spec, _NEAREST_EVEN, acc_overflow, _I0, _I0)
        d[j] = r


@njit(cache=JIT_CACHE)
def product_anchors(cfg, P_row, anc_row, ea, eb_row):
    """Anchor exponents of one row of products (``_NO_ANCHOR`` for zeros and specials)."""
    for j in range(P_row.size):
        x = P_row[j]
        if x == 0.0 or not math.isfinite(x):
            anc_row[j] = _NO_ANCHOR
        elif cfg[F_EXACT_ANCHOR] == 1:
            anc_row[j] = ea + eb_row[j]
        elif cfg[F_NORMALIZED] == 1:
            anc_row[j] = exponent(x)
        else:
            anc_row[j] = max(exponent(x), cfg[F_PROD_EMIN])


# ---- one output row -----------------------------------------------------------------------------


@njit(cache=JIT_CACHE)
def _products(k, r, b, cfg, A, WA, B, WB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, p):
    row_products(cfg, A[r, k], WA[r, k], B[b, k], WB[b, k], mparams, mtable, dec_table, in_spec, scale, p)
    if cfg[PROD_ROUND] != 0:
        return round_products(cfg, p, pf_spec, px_spec)
    return 0


@njit(cache=JIT_CACHE)
def _tree_float(cfg, P, count, acc_spec, scratch):
    """Reduce rows ``P[0:count]`` by a balanced tree of accumulator additions into ``P[0]``."""
    bad = 0
    m = count
    while m > 1:
        for i in range(m // 2):
            if i != 2 * i:
                P[i, :] = P[2 * i, :]
            bad += float_add_vec(cfg, P[i], P[2 * i + 1], acc_spec, cfg[ACC_MODE], cfg[ACC_OVERFLOW], np.uint64(0), _I0, _I1, _I0, scratch)
        if m % 2 == 1:
            P[m // 2, :] = P[m - 1, :]
        m = (m + 1) // 2
    return bad


@njit(cache=JIT_CACHE)
def _tree_fixed(cfg, Q, count):
    m = count
    while m > 1:
        for i in range(m // 2):
            if i != 2 * i:
                Q[i, :] = Q[2 * i, :]
            fixed_add_vec(cfg, Q[i], Q[2 * i + 1])
        if m % 2 == 1:
            Q[m // 2, :] = Q[m - 1, :]
        m = (m + 1) // 2


@njit(cache=JIT_CACHE)
def _accumulate(cfg, acc, q, k0, k1, order, width, r, b, A, WA, EA, B, WB, EB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, acc_spec, blk_spec, key, P, Q, ANC, p, scratch, m_vec, s_vec):
    """Accumulate products ``k0 <= k < k1`` into ``acc`` (float, fused) or ``q`` (fixed) in ``order``.
    Returns ``(missing NaNs, non-finite products into a fixed register)``."""
    kind = cfg[ACC_KIND]
    K = A.shape[1]
    N = p.size
    bad = 0
    nonfinite = 0
    if kind == FUSED:
        n = cfg[F_N]
        for t0 in range(k0, k1, n):
            t1 = min(t0 + n, k1)
            for t in range(t1 - t0):
                bad += _products(t0 + t, r, b, cfg, A, WA, B, WB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, P[t])
                product_anchors(cfg, P[t], ANC[t], EA[r, t0 + t], EB[b, t0 + t])
            fused_block(cfg, acc, P, ANC, t1 - t0, acc_spec, blk_spec, cfg[ACC_MODE], cfg[ACC_OVERFLOW], m_vec, s_vec)
        return bad, nonfinite
    if order == SEQUENTIAL:
        for k in range(k0, k1):
            bad += _products(k, r, b, cfg, A, WA, B, WB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, p)
            if kind == FLOAT:
                bad += float_add_vec(cfg, acc, p, acc_spec, cfg[ACC_MODE], cfg[ACC_OVERFLOW], key, r * N, K, k, scratch)
            else:
                nonfinite += fixed_add_products(cfg, q, p)
        return bad, nonfinite
    w = (k1 - k0) if order == PAIRWISE else width
    for t0 in range(k0, k1, w):
        t1 = min(t0 + w, k1)
        for t in range(t1 - t0):
            bad += _products(t0 + t, r, b, cfg, A, WA, B, WB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, P[t])
        if kind == FLOAT:
            bad += _tree_float(cfg, P, t1 - t0, acc_spec, scratch)
            bad += float_add_vec(cfg, acc, P[0], acc_spec, cfg[ACC_MODE], cfg[ACC_OVERFLOW], np.uint64(0), _I0, _I1, _I0, scratch)
        else:
            for t in range(t1 - t0):
                for j in range(N):
                    v, ok = fixed_from_value(P[t, j], cfg[FX_WIDTH], cfg[FX_FRAC], cfg[FX_SATURATE] == 1, cfg[FX_MODE])
                    Q[t, j] = v
                    nonfinite += not ok
            _tree_fixed(cfg, Q, t1 - t0)
            fixed_add_vec(cfg, q, Q[0])
    return bad, nonfinite


@njit(cache=JIT_CACHE)
def _store(cfg, out_row, j, negative, mag, e2, kind_, outf_spec, outx_spec, sm, sx):
    """``out_row[j]`` = the exact value ``(kind_, negative, mag, e2)`` times ``sm * 2^sx`` (an odd
    ``sm < 2^31``) rounded into the output format; returns False when it needs a NaN the format
    lacks (or is not finite for an integer format)."""
    if kind_ == KIND_FINITE and mag != 0:
        if sm != 1:
            mag, e2 = scale_exact(mag, e2, sm)
        e2 += sx
    if cfg[OUT_KIND] == 0:
        code = encode_float_element(kind_, negative, mag, e2, _I0, outf_spec, cfg[OUT_MODE], cfg[OUT_OVERFLOW], _I0, _I0, _FALSE)
        if code < 0:
            out_row[j] = np.nan
            return False
        value, nan_bits = decode_float_element(code, outf_spec)
        out_row[j] = np.nan if nan_bits != -1 else value
        return True
    code = encode_fixed_element(kind_, negative, mag, e2, outx_spec, cfg[OUT_MODE], cfg[OUT_OVERFLOW], _I0, _I0)
    if code < 0:
        out_row[j] = np.nan
        return False
    out_row[j] = decode_fixed_element(code, outx_spec)
    return True


@njit(cache=JIT_CACHE)
def _out_scale(cfg, SM, SX, r, j):
    """``(sm, sx)``: the factor ``sm * 2^sx`` of output element ``(r, j)`` (1, 0 when unscaled)."""
    if cfg[OUT_SCALED] == 1:
        return SM[r, j], SX[r, j]
    return np.int64(1), np.int64(0)


@njit(cache=JIT_CACHE)
def _store_value(cfg, out_row, j, x, outf_spec, outx_spec, sm, sx):
    kind_, negative, mag, e2, _ = split_input(np.float64(x).view(np.uint64))
    return _store(cfg, out_row, j, negative, mag, e2, kind_, outf_spec, outx_spec, sm, sx)


@njit(cache=JIT_CACHE)
def scale_exact(mag, e2, m):
    """``(mag', e2')`` with ``mag' < 2^62`` (lowest bit sticky) for the exact ``mag * m * 2^e2``
    (``mag < 2^63``, ``m < 2^31``): a round-to-odd cut that a later rounding to at most 60 bits
    turns into the correctly rounded product."""
    low31 = (np.int64(1) << 31) - 1
    hi = (mag >> 31) * m  # < 2^63 - 2^32
    lo = (mag & low31) * m  # < 2^62
    hi += lo >> 31  # value = hi * 2^31 + (lo & low31)
    lo &= low31
    if hi == 0:
        return lo, e2
    s = msb(hi) - 30  # the value has msb(hi) + 32 bits; keep 62
    if s <= 0:
        return (hi << 31) | lo, e2
    if s <= 31:
        sticky = (lo & ((np.int64(1) << s) - 1)) != 0
        return ((hi << (31 - s)) | (lo >> s)) | np.int64(sticky), e2 + s
    sticky = (hi & ((np.int64(1) << (s - 31)) - 1)) != 0 or lo != 0
    return (hi >> (s - 31)) | np.int64(sticky), e2 + s


@njit(cache=JIT_CACHE)
def _row(r, cfg, A, WA, EA, B, WB, EB, C, out, M, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, acc_spec, blk_spec, outer_spec, outf_spec, outx_spec, key, SM, SX):
    """Compute output row ``r``; returns ``(missing NaNs, non-finite products into a fixed register)``."""
    K = A.shape[1]
    N = out.shape[1]
    b = r // M
    kind = cfg[ACC_KIND]
    order = cfg[ORDER]
    bad = 0
    nonfinite = 0
    out_row = out[r]
    width = cfg[WIDTH]
    rows = 1
    if kind == FUSED:
        rows = cfg[F_N]
    elif order == TREE:
        rows = width
    elif order == PAIRWISE:
        rows = K
    elif order == CHUNKED:
        rows = cfg[INNER_WIDTH] if cfg[INNER] == TREE else (cfg[WIDTH] if cfg[INNER] == PAIRWISE else 1)
    P = np.empty((max(rows, 1), N))
    Q = np.empty((max(rows, 1) if kind == FIXED else 1, N), np.int64)
    ANC = np.empty((rows if kind == FUSED else 1, N), np.int64)
    p = np.empty(N)
    scratch = np.empty(N)
    m_vec = np.empty(N, np.int64)
    s_vec = np.empty(N, np.int64)
    if kind == KULISCH:
        L = cfg[K_LIMBS]
        ebase = cfg[K_EBASE]
        limbs = np.zeros((N, L), np.int64)
        nan = np.zeros(N, np.bool_)
        pinf = np.zeros(N, np.bool_)
        ninf = np.zeros(N, np.bool_)
        allneg = np.ones(N, np.bool_)
        for j in range(N):
            x = C[r, j]
            kulisch_add(limbs[j], x, ebase)
            allneg[j] = x == 0.0 and math.copysign(1.0, x) < 0
        for k in range(K):
            bad += _products(k, r, b, cfg, A, WA, B, WB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, p)
            for j in range(N):
                x = p[j]
                if math.isfinite(x):
                    kulisch_add(limbs[j], x, ebase)
                    allneg[j] &= x == 0.0 and math.copysign(1.0, x) < 0
                else:
                    nan[j] |= math.isnan(x)
                    pinf[j] |= x > 0
                    ninf[j] |= x < 0
                    allneg[j] = False
        for j in range(N):
            sm, sx = _out_scale(cfg, SM, SX, r, j)
            if nan[j] or (pinf[j] and ninf[j]):
                bad += not _store_value(cfg, out_row, j, np.nan, outf_spec, outx_spec, _I1, _I0)
            elif pinf[j] or ninf[j]:
                bad += not _store_value(cfg, out_row, j, math.inf if pinf[j] else -math.inf, outf_spec, outx_spec, _I1, _I0)
            else:
                if sm != 1:  # the exact sum times sm, digit by digit (sm < 2^31: one limb of headroom)
                    _propagate(limbs[j])
                    for t in range(L):
                        limbs[j, t] *= sm
                negative, mag, e2 = kulisch_result(limbs[j], ebase)
                if mag == 0:
                    bad += not _store_value(cfg, out_row, j, -0.0 if allneg[j] else 0.0, outf_spec, outx_spec, _I1, _I0)
                else:
                    bad += not _store(cfg, out_row, j, negative, mag, e2, _KIND_FINITE, outf_spec, outx_spec, _I1, sx)
        return bad, nonfinite
    acc = np.empty(N)
    q = np.zeros(N, np.int64)
    for j in range(N):
        acc[j] = C[r, j]
    if kind == FIXED:
        for j in range(N):
            q[j] = fixed_from_value(C[r, j], cfg[FX_WIDTH], cfg[FX_FRAC], cfg[FX_SATURATE] == 1, cfg[FX_MODE])[0]
    if order == CHUNKED:
        inner = np.empty(N)
        qi = np.zeros(N, np.int64)
        for k0 in range(0, K, width):
            k1 = min(k0 + width, K)
            inner[:] = 0.0
            qi[:] = 0
            b1, n1 = _accumulate(cfg, inner, qi, k0, k1, cfg[INNER], cfg[INNER_WIDTH], r, b, A, WA, EA, B, WB, EB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, acc_spec, blk_spec, key, P, Q, ANC, p, scratch, m_vec, s_vec)
            bad += b1
            nonfinite += n1
            for j in range(N):
                y = math.ldexp(float(qi[j]), -cfg[FX_FRAC]) if kind == FIXED else inner[j]
                v, ok = float_add(acc[j], y, outer_spec, cfg[OUTER_MODE], cfg[OUTER_OVERFLOW], _I0, _I0)
                acc[j] = v
                bad += not ok
        for j in range(N):
            sm, sx = _out_scale(cfg, SM, SX, r, j)
            bad += not _store_value(cfg, out_row, j, acc[j], outf_spec, outx_spec, sm, sx)
        return bad, nonfinite
    b1, n1 = _accumulate(cfg, acc, q, _I0, K, order, width, r, b, A, WA, EA, B, WB, EB, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, acc_spec, blk_spec, key, P, Q, ANC, p, scratch, m_vec, s_vec)
    bad += b1
    nonfinite += n1
    for j in range(N):
        sm, sx = _out_scale(cfg, SM, SX, r, j)
        if kind == FIXED:
            negative = q[j] < 0
            bad += not _store(cfg, out_row, j, negative, -q[j] if negative else q[j], -cfg[FX_FRAC], _KIND_FINITE if q[j] != 0 else _I1, outf_spec, outx_spec, sm, sx)
        else:
            bad += not _store_value(cfg, out_row, j, acc[j], outf_spec, outx_spec, sm, sx)
    return bad, nonfinite


@njit(nogil=True, cache=JIT_CACHE)
def matmul_rows(start, stop, cfg, A, WA, EA, B, WB, EB, C, out, M, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, acc_spec, blk_spec, outer_spec, outf_spec, outx_spec, key, SM, SX):
    """Output rows ``start <= r < stop`` of a (batched) matmul through the datapath ``cfg``: rows
    ``r`` of ``A`` (shape R x K, R = batch * M) against ``B[r // M]`` (K x N). Returns ``(missing
    NaNs, non-finite products into a fixed register)``. Runs in :func:`numsim._threads.parallel_chunks`."""
    bad = 0
    nonfinite = 0
    for r in range(start, stop):
        b1, n1 = _row(np.int64(r), cfg, A, WA, EA, B, WB, EB, C, out, M, mparams, mtable, dec_table, in_spec, scale, pf_spec, px_spec, acc_spec, blk_spec, outer_spec, outf_spec, outx_spec, key, SM, SX)
        bad += b1
        nonfinite += n1
    return bad, nonfinite


# ---- float32 fast path ---------------------------------------------------------------------------

_ROW_BLOCK = 8  # output rows sharing each streamed row of B
_COL_BLOCK = 256  # columns per tile: 8 x 256 float32 accumulators stay in L1


@njit(nogil=True, cache=JIT_CACHE, fastmath={"contract"})
def native32_matmul(start, stop, A32, B32, T32, WA, WB, C, M, acc):
    """Tiles ``start <= t < stop`` (8 rows each, counted over the batch; :func:`native32_tiles`) of
    ``acc`` (R x N float32) = C + A @ B accumulated in float32 in k order, products either
    ``A32[r, k] * B32[b, k, j]`` or, when ``T32`` is non-empty, ``T32[WA[r, k], WB[b, k, j]]``.

    Bit-exact for an fp32 round-to-nearest-even sequential accumulator when every product is exact
    in float32 (the Python layer checks: p_a + p_b <= 24 significant bits and the exponent range,
    or a product table whose entries are all float32 values): float32 ``*`` is then exact and
    float32 ``+`` is the correctly rounded addition the datapath declares. Contracting ``a*b + s``
    into an FMA is harmless for the same reason (the product needs no rounding). Tiles of 8 rows
    x 256 columns reuse each row segment of B eight times from cache.
    """
    N = acc.shape[1]
    K = WA.shape[1] if T32.size > 0 else A32.shape[1]
    blocks_per_batch = (M + _ROW_BLOCK - 1) // _ROW_BLOCK
    for t in range(start, stop):
        b = t // blocks_per_batch
        r0 = b * M + (t % blocks_per_batch) * _ROW_BLOCK
        r1 = min(r0 + _ROW_BLOCK, b * M + M)
        tile = np.empty((_ROW_BLOCK, _COL_BLOCK), np.float32)  # private: no aliasing with B
        for j0 in range(0, N, _COL_BLOCK):
            w = min(_COL_BLOCK, N - j0)
            for i in range(r1 - r0):
                for j in range(w):
                    tile[i, j] = np.float32(C[r0 + i, j0 + j])
            for k in range(K):
                if T32.size > 0:
                    wb = WB[b, k, j0 : j0 + w]
                    for i in range(r1 - r0):
                        trow = T32[WA[r0 + i, k]]
                        acc_row = tile[i]
                        for j in range(w):
                            acc_row[j] += trow[wb[j]]
                else:
                    brow = B32[b, k, j0 : j0 + w]
                    for i in range(r1 - r0):
                        a = A32[r0 + i, k]
                        acc_row = tile[i]
                        for j in range(w):
                            acc_row[j] += a * brow[j]
            for i in range(r1 - r0):
                for j in range(w):
                    acc[r0 + i, j0 + j] = tile[i, j]


def native32_tiles(R, M):
    """Number of row tiles of :func:`native32_matmul` over ``R = batch * M`` rows."""
    return (R // M) * ((M + _ROW_BLOCK - 1) // _ROW_BLOCK) if M > 0 else 0


@njit(nogil=True, cache=JIT_CACHE)
def store_rows(start, stop, cfg, values, out, outf_spec, outx_spec):
    """Rows ``start <= r < stop`` of ``out`` = ``values`` rounded into the output format; returns
    the number of missing NaNs."""
    bad = 0
    for r in range(start, stop):
        for j in range(values.shape[1]):
            bad += not _store_value(cfg, out[r], j, np.float64(values[r, j]), outf_spec, outx_spec, _I1, _I0)
    return bad
