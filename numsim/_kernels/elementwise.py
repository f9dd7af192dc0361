"""Elementwise arithmetic kernel: IEEE 754 special-value rules, then one exact operation
(:mod:`numsim._kernels.exact`), then one rounding into the result format.

An operand is the tuple ``(kind, negative, mag, e2, payload)`` of :func:`split_input` on float64
bits, with trailing zero bits of ``mag`` removed (inputs come from formats of at most 32 bits, so
``mag < 2^32``). Conventions where IEEE 754 leaves a choice: a NaN result of NaN inputs is the
first NaN operand (sign and payload; the result format's encoding sets its quiet bit); an invalid operation gives the positive
default NaN; an exact zero sum of nonzero or opposite-signed zero addends is +0, or -0 when
rounding toward negative.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import overload

from .._config import JIT_CACHE
from .codec import (
    KIND_FINITE,
    KIND_INF,
    KIND_NAN,
    KIND_ZERO,
    FixedSpec,
    FloatSpec,
    decode_fixed_element,
    encode_fixed_element,
    encode_float_element,
    split_input,
    store_float_value,
)
from .exact import WINDOW_BITS, exact_product, exact_quotient, exact_sqrt, exact_sum
from .rounding import STOCHASTIC_A, TOWARD_NEGATIVE, WRAP, msb, random_bits

ADD, SUB, MUL, DIV, FMA, SQRT = 0, 1, 2, 3, 4, 5


@njit(cache=JIT_CACHE)
def operand(x):
    """The operand tuple of float64 bits ``x``, significand without trailing zeros."""
    kind, negative, mag, e2, payload = split_input(x)
    if kind == KIND_FINITE:
        tz = np.int64(trailing_zeros(np.uint64(mag)))
        mag >>= tz
        e2 += tz
    return kind, negative, mag, e2, payload


@njit(cache=JIT_CACHE)
def _special(kind, negative):
    return kind, negative, np.int64(0), np.int64(0), np.int64(0)


@njit(cache=JIT_CACHE)
def _default_nan():
    return _special(np.int64(KIND_NAN), np.bool_(False))


@njit(cache=JIT_CACHE)
def negated(x):
    """``-x`` (a NaN keeps its sign)."""
    kind, negative, mag, e2, payload = x
    return kind, (negative if kind == KIND_NAN else not negative), mag, e2, payload


@njit(cache=JIT_CACHE)
def exact_add(x, y, mode):
    """``x + y`` exactly (as a window when the sum needs more than 62 bits)."""
    kx, nx, mx, ex, _ = x
    ky, ny, my, ey, _ = y
    if kx == KIND_NAN or ky == KIND_NAN:
        return x if kx == KIND_NAN else y
    if kx == KIND_INF:
        return _default_nan() if ky == KIND_INF and nx != ny else x
    if ky == KIND_INF:
        return y
    if kx == KIND_ZERO and ky == KIND_ZERO:
        return _special(np.int64(KIND_ZERO), (nx and ny) or (nx != ny and mode == TOWARD_NEGATIVE))
    if kx == KIND_ZERO:
        return y
    if ky == KIND_ZERO:
        return x
    negative, mag, e2 = exact_sum(nx, mx, ex, ny, my, ey)
    if mag == 0:
        return _special(np.int64(KIND_ZERO), mode == TOWARD_NEGATIVE)
    return KIND_FINITE, negative, mag, e2, np.int64(0)


@njit(cache=JIT_CACHE)
def exact_mul(x, y):
    """``x * y`` exactly (significands below 2^31 each keep the product below 2^62)."""
    kx, nx, mx, ex, _ = x
    ky, ny, my, ey, _ = y
    if kx == KIND_NAN or ky == KIND_NAN:
        return x if kx == KIND_NAN else y
    negative = nx != ny
    if (kx == KIND_INF and ky == KIND_ZERO) or (kx == KIND_ZERO and ky == KIND_INF):
        return _default_nan()
    if kx == KIND_INF or ky == KIND_INF:
        return _special(np.int64(KIND_INF), negative)
    if kx == KIND_ZERO or ky == KIND_ZERO:
        return _special(np.int64(KIND_ZERO), negative)
    mag, e2 = exact_product(mx, ex, my, ey)
    return KIND_FINITE, negative, mag, e2, np.int64(0)


@njit(cache=JIT_CACHE)
def exact_div(x, y):
    """``x / y`` as a window."""
    kx, nx, mx, ex, _ = x
    ky, ny, my, ey, _ = y
    if kx == KIND_NAN or ky == KIND_NAN:
        return x if kx == KIND_NAN else y
    negative = nx != ny
    if kx == KIND_INF:
        return _default_nan() if ky == KIND_INF else _special(np.int64(KIND_INF), negative)
    if ky == KIND_INF:
        return _special(np.int64(KIND_ZERO), negative)
    if ky == KIND_ZERO:
        return _default_nan() if kx == KIND_ZERO else _special(np.int64(KIND_INF), negative)
    if kx == KIND_ZERO:
        return _special(np.int64(KIND_ZERO), negative)
    mag, e2 = exact_quotient(mx, ex, my, ey)
    return KIND_FINITE, negative, mag, e2, np.int64(0)


@njit(cache=JIT_CACHE)
def exact_fma(x, y, z, mode):
    """``x * y + z`` with the exact product; a NaN ``z`` wins over an invalid product."""
    if z[0] == KIND_NAN and x[0] != KIND_NAN and y[0] != KIND_NAN:
        return z
    return exact_add(exact_mul(x, y), z, mode)


@njit(cache=JIT_CACHE)
def exact_root(x):
    """``sqrt(x)`` as a window (-0 stays -0; negative numbers give the default NaN)."""
    kind, negative, mag, e2, _ = x
    if kind == KIND_NAN or kind == KIND_ZERO:
        return x
    if negative:
        return _default_nan()
    if kind == KIND_INF:
        return x
    root, re2 = exact_sqrt(mag, e2)
    return KIND_FINITE, False, root, re2, np.int64(0)


def result_code(r, spec, mode, overflow, rbits, nbits, ftz):
    """Code of the exact result ``r`` in the result format (-1: it needs a NaN the format lacks;
    -2: a wrapped fixed-point result whose low bits the window does not hold)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(result_code, jit_options={"cache": JIT_CACHE})
def _result_code_impl(r, spec, mode, overflow, rbits, nbits, ftz):
    cls = getattr(spec, "instance_class", None)
    if cls is FloatSpec:

        def float_result(r, spec, mode, overflow, rbits, nbits, ftz):
            kind, negative, mag, e2, payload = r
            return encode_float_element(kind, negative, mag, e2, payload, spec, mode, overflow, rbits, nbits, ftz)

        return float_result
    if cls is FixedSpec:

        def fixed_result(r, spec, mode, overflow, rbits, nbits, ftz):
            kind, negative, mag, e2, _ = r
            residual = nbits if mode >= STOCHASTIC_A else 0  # random bits compared below the quantum
            if kind == KIND_FINITE and overflow == WRAP and msb(mag) >= WINDOW_BITS and e2 + residual + 2 > -spec.frac_bits:
                return np.int64(-2)
            return encode_fixed_element(kind, negative, mag, e2, spec, mode, overflow, rbits, nbits)

        return fixed_result
    return None


def store_value(out, out_bits, table, i, code, spec):
    """``out[i] =`` the value of ``code`` in the result format."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(store_value, jit_options={"cache": JIT_CACHE})
def _store_value_impl(out, out_bits, table, i, code, spec):
    cls = getattr(spec, "instance_class", None)
    if cls is FloatSpec:
        return lambda out, out_bits, table, i, code, spec: store_float_value(out, out_bits, table, i, code, spec)
    if cls is FixedSpec:

        def store_fixed(out, out_bits, table, i, code, spec):
            out[i] = decode_fixed_element(code, spec)

        return store_fixed
    return None


@njit(nogil=True, cache=JIT_CACHE)
def elementwise(start, stop, op, a, b, c, out, out_bits, table, spec, mode, overflow, key, nbits, explicit, ftz):
    """``out[i] = round(op(a[i], b[i], c[i]))`` for ``start <= i < stop`` and float64 bit arrays
    ``a``, ``b``, ``c`` (those the operation does not use may be empty). Returns ``(results needing a NaN the format lacks,
    wrapped results the window cannot decide)``."""
    invalid = 0
    undecided = 0
    for i in range(start, stop):
        x = operand(a[i])
        if op == SQRT:
            r = exact_root(x)
        else:
            y = operand(b[i])
            if op == ADD:
                r = exact_add(x, y, mode)
            elif op == SUB:
                r = exact_add(x, negated(y), mode)
            elif op == MUL:
                r = exact_mul(x, y)
            elif op == DIV:
                r = exact_div(x, y)
            else:
                r = exact_fma(x, y, operand(c[i]), mode)
        rb = random_bits(key, np.int64(i), nbits, explicit) if mode >= STOCHASTIC_A else np.int64(0)
        code = result_code(r, spec, mode, overflow, rb, nbits, ftz)
        invalid += code == -1
        undecided += code == -2
        store_value(out, out_bits, table, np.int64(i), max(code, np.int64(0)), spec)
    return invalid, undecided
