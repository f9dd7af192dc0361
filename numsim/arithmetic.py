"""Correctly rounded elementwise arithmetic in any numsim format.

``add``, ``sub``, ``mul``, ``div``, ``fma`` and ``sqrt`` compute the exact result of values that
are representable in their input formats and round it once into the result format, with every
rounding mode, overflow policy and flag of :func:`numsim.quantize`. IEEE 754 semantics carry over
to every format: signed zeros (``x + (-x)`` is +0, or -0 when rounding toward negative), NaN
propagation (the first NaN operand, its sign and payload), infinities, and invalid operations
(``Inf - Inf``, ``0 * Inf``, ``0 / 0``, ``Inf / Inf``, the square root of a negative number) that
give the default NaN where the result format has one, and follow ``nan_policy`` where it has none.
Integer and fixed-point results are exact, saturated or wrapped as ``overflow`` says.

>>> import numsim
>>> numsim.add(1.0, 0.0625, "e4m3").tolist()  # a tie between 1 and 1.125: to the even one
1.0
>>> numsim.mul([1.5, -0.0], [1.5, 3.0], "e4m3").tolist()
[2.25, -0.0]
>>> numsim.sqrt(2.0, "bf16").tolist()
1.4140625
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import check_bool
from ._lower import elementwise as _lowered
from ._lower.elementwise import WINDOW_BITS
from ._lower.multipliers import product_values
from ._operands import operand_bits
from ._random_bits import stochastic_args
from .codecs import (
    _check_flags,
    _check_overflow,
    _output_dtype,
    _scalar_result,
    quantize,
)
from .multipliers import Exact, get_multiplier
from .formats import Format, significand_bits
from .registry import get_format
from .rounding import Rounding

_OPERAND_NAMES = ("a", "b", "c")


def add(a, b, fmt, rounding="nearest_even", overflow=None, *, a_format=None, b_format=None, **options) -> np.ndarray:
    """``a + b`` rounded once into ``fmt``; inputs must be representable in ``a_format`` and
    ``b_format`` (default: ``fmt``). Options as for :func:`elementwise`.

    >>> add([1.0, 1.0], [2.0**-4, -1.0], "e4m3", "toward_negative").tolist()
    [1.0, -0.0]
    """
    return elementwise("add", (a, b), fmt, rounding, overflow, (a_format, b_format), **options)


def sub(a, b, fmt, rounding="nearest_even", overflow=None, *, a_format=None, b_format=None, **options) -> np.ndarray:
    """``a - b`` rounded once into ``fmt``.

    >>> sub(1.0, 2.0**-12, "fp16", "toward_zero").tolist()  # 1 - 2^-12 lies between fp16 neighbours
    0.99951171875
    """
    return elementwise("sub", (a, b), fmt, rounding, overflow, (a_format, b_format), **options)


def mul(a, b, fmt, rounding="nearest_even", overflow=None, *, a_format=None, b_format=None, multiplier=None, **options) -> np.ndarray:
    """``a * b`` rounded once into ``fmt``. ``multiplier`` (a :mod:`numsim.multipliers` spec,
    default exact) computes the product; an approximate product is exact as the multiplier
    defines it (an L-Mul code of the input format, an integer) and is then rounded into ``fmt``.

    >>> mul(3.0, 4.0, "e2m1").tolist()  # 12 saturates to the largest E2M1 value
    6.0
    >>> from numsim import LMul, Mitchell
    >>> mul([1.5, 3.0], [1.5, 5.0], "fp32", multiplier=LMul()).tolist()  # 1.5 x 1.5: one carry
    [2.125, 14.5]
    >>> mul(3.0, 5.0, "fp32", multiplier=Mitchell()).tolist()
    14.0
    """
    mult = get_multiplier(multiplier)
    if isinstance(mult, Exact):
        return elementwise("mul", (a, b), fmt, rounding, overflow, (a_format, b_format), **options)
    return _approximate_mul(mult, a, b, fmt, rounding, overflow, (a_format, b_format), **options)


def div(a, b, fmt, rounding="nearest_even", overflow=None, *, a_format=None, b_format=None, **options) -> np.ndarray:
    """``a / b`` rounded once into ``fmt``; ``x / 0`` is a signed infinity where ``fmt`` has one.

    >>> div([1.0, 1.0], [3.0, -0.0], "fp16").tolist()
    [0.333251953125, -inf]
    """
    return elementwise("div", (a, b), fmt, rounding, overflow, (a_format, b_format), **options)


def fma(a, b, c, fmt, rounding="nearest_even", overflow=None, *, a_format=None, b_format=None, c_format=None, **options) -> np.ndarray:
    """``a * b + c`` with one rounding (the product is exact).

    >>> fma(1.0 + 2.0**-7, 1.0 - 2.0**-7, -1.0, "bf16").tolist()  # exactly -2^-14
    -6.103515625e-05
    """
    return elementwise("fma", (a, b, c), fmt, rounding, overflow, (a_format, b_format, c_format), **options)


def sqrt(a, fmt, rounding="nearest_even", overflow=None, *, a_format=None, **options) -> np.ndarray:
    """Square root of ``a`` rounded once into ``fmt`` (``sqrt(-0) = -0``).

    >>> sqrt([2.0, 2.25], "e4m3").tolist()
    [1.375, 1.5]
    """
    return elementwise("sqrt", (a,), fmt, rounding, overflow, (a_format,), **options)


def elementwise(
    op: str,
    operands: tuple,
    fmt: Format | str,
    rounding: Rounding | str = "nearest_even",
    overflow=None,
    formats: tuple = (None, None, None),
    *,
    quantize_inputs: bool = False,
    input_rounding: Rounding | str = "nearest_even",
    dtype=np.float64,
    seed=None,
    sr_bits: int = 32,
    random_bits=None,
    ftz: bool = False,
    daz: bool = False,
    nan_policy: str = "raise",
) -> np.ndarray:
    """Round ``op`` (``"add"``, ``"sub"``, ``"mul"``, ``"div"``, ``"fma"`` or ``"sqrt"``) of the
    broadcast ``operands`` once into ``fmt``.

    ``formats`` are the operands' formats (``None``: ``fmt``); operand values must be
    representable in them unless ``quantize_inputs`` is set, which rounds them there first with
    ``input_rounding``. ``daz`` treats operands that are subnormal in their format as zeros of
    the same sign; ``ftz`` flushes subnormal results to zero. ``rounding``, ``overflow``,
    ``seed``, ``sr_bits``, ``random_bits`` (one per result element), ``nan_policy`` and ``dtype``
    mean what they mean for :func:`numsim.quantize`. Returns the values, shaped like the
    broadcast operands.
    """
    if op not in _lowered.OPS:
        raise ValueError(f"op must be one of {', '.join(_lowered.OPS)}, got {op!r}")
    out_fmt = get_format(fmt)
    if not isinstance(out_fmt, Format):
        raise TypeError(f"fmt must be a scalar format (elementwise arithmetic does not take block formats), got {out_fmt.name}")
    mode = Rounding.parse(rounding)
    ov = _check_overflow(out_fmt, overflow)
    _check_flags(ftz, daz, nan_policy)
    check_bool("quantize_inputs", quantize_inputs)
    in_fmts = [out_fmt if f is None else _scalar_format(f, name) for f, name in zip(formats, _OPERAND_NAMES)]
    _check_widths(op, in_fmts, out_fmt, mode, sr_bits)
    given = [np.asarray(x) for x in operands]
    try:
        arrays = np.broadcast_arrays(*given)
    except ValueError:
        shapes = ", ".join(f"{name} {x.shape}" for name, x in zip(_OPERAND_NAMES, given))
        raise ValueError(f"the operands of {op} must broadcast to one shape, got {shapes}") from None
    shape = arrays[0].shape
    bits = [
        operand_bits(x, f, name, bool(quantize_inputs), input_rounding, bool(daz))
        for x, f, name in zip(arrays, in_fmts, _OPERAND_NAMES)
    ]
    size = int(np.prod(shape))
    key, nbits, explicit = stochastic_args(mode, seed, sr_bits, None if random_bits is None else _shaped(random_bits, shape), size)
    out_dtype = _output_dtype(dtype, out_fmt)
    out, invalid, undecided = _lowered.elementwise(op, bits, out_fmt, out_dtype, mode, ov, key, nbits, explicit, bool(ftz))
    if undecided:
        raise ValueError(
            f"{undecided} result(s) of {op} are so far beyond the range of {out_fmt.name} that wrapping them needs "
            f"bits below the {WINDOW_BITS} that numsim keeps; use overflow='saturate' or a wider result format"
        )
    if invalid and nan_policy == "raise":
        raise ValueError(
            f"{invalid} result(s) of {op} need a NaN (NaN operands or invalid operations such as Inf - Inf, 0 * Inf, "
            f"0 / 0, sqrt of a negative number), which {out_fmt.name} does not have; pass nan_policy='zero' to get 0"
        )
    return _scalar_result(out.reshape(shape))


def _approximate_mul(
    mult,
    a,
    b,
    fmt,
    rounding,
    overflow,
    formats,
    *,
    quantize_inputs: bool = False,
    input_rounding="nearest_even",
    daz: bool = False,
    **options,
) -> np.ndarray:
    """``mult``'s product of ``a`` and ``b``, rounded into ``fmt`` by :func:`numsim.quantize`."""
    out_fmt = get_format(fmt)
    if not isinstance(out_fmt, Format):
        raise TypeError(f"fmt must be a scalar format, got {out_fmt.name}")
    check_bool("quantize_inputs", quantize_inputs)
    in_fmts = [out_fmt if f is None else _scalar_format(f, name) for f, name in zip(formats, _OPERAND_NAMES)]
    mult.check(*in_fmts)
    given = [np.asarray(x) for x in (a, b)]
    try:
        arrays = np.broadcast_arrays(*given)
    except ValueError:
        raise ValueError(f"the operands of mul must broadcast to one shape, got a {given[0].shape}, b {given[1].shape}") from None
    shape = arrays[0].shape
    values = [
        operand_bits(x, f, name, bool(quantize_inputs), input_rounding, bool(daz)).view(np.float64).reshape(shape)
        for x, f, name in zip(arrays, in_fmts, _OPERAND_NAMES)
    ]
    products = product_values(mult, values[0], values[1], in_fmts[0], in_fmts[1])
    return quantize(products, out_fmt, rounding, overflow, **options)


def _scalar_format(f, name: str) -> Format:
    fmt = get_format(f)
    if not isinstance(fmt, Format):
        raise TypeError(f"{name}_format must be a scalar format, got the block format {fmt.name}")
    return fmt


def _check_widths(op: str, in_fmts: list[Format], out_fmt: Format, mode: Rounding, sr_bits) -> None:
    """Refuse the few combinations whose exact intermediate would not fit the kernels' window."""
    widest = max(significand_bits(f) for f in in_fmts)
    if op == "fma" and widest > 31:
        raise ValueError(f"fma takes operand formats of at most 31 significant bits (its exact product must fit 62 bits); got {widest}")
    integral = isinstance(sr_bits, numbers.Integral) and not isinstance(sr_bits, bool)  # others: refused by stochastic_args
    if mode.is_stochastic and integral and significand_bits(out_fmt) + int(sr_bits) > WINDOW_BITS - 1:
        raise ValueError(
            f"stochastic rounding into {out_fmt.name} ({significand_bits(out_fmt)} significant bits) with sr_bits={sr_bits} needs "
            f"more than the {WINDOW_BITS - 1} exact bits numsim keeps; use sr_bits <= {WINDOW_BITS - 1 - significand_bits(out_fmt)}"
        )


def _shaped(random_bits, shape) -> np.ndarray:
    rb = np.asarray(random_bits)
    if rb.shape != shape:
        raise ValueError(f"random_bits must have the broadcast shape of the operands {shape}, got {rb.shape}")
    return rb
