"""Scalar formats as the kernels see them: the integer specs of :mod:`numsim._kernels.codec`."""

from __future__ import annotations

from functools import lru_cache

from .._kernels import codec as _k
from ..formats import FixedFormat, FloatFormat, Format, IntFormat, Specials


@lru_cache(maxsize=None)
def float_spec(fmt: FloatFormat) -> _k.FloatSpec:
    """Integer description of ``fmt`` for the kernels."""
    E, M = fmt.exp_bits, fmt.man_bits
    ones = (1 << (E + M)) - 1
    sign_bit = (1 << (E + M)) if fmt.signed else 0
    style = fmt.specials
    nan_pos = nan_neg = inf_pos = inf_neg = -1
    if style is Specials.FN:
        nan_pos, nan_neg = ones, sign_bit | ones
    elif style is Specials.FNUZ:
        nan_pos = nan_neg = sign_bit
    elif style is Specials.EXTENDED and fmt.signed:
        nan_pos = nan_neg = sign_bit
        inf_pos, inf_neg = ones, sign_bit | ones
    elif style is Specials.EXTENDED:
        nan_pos = nan_neg = ones
        inf_pos = ones - 1
    elif style is Specials.FNU:
        nan_pos = nan_neg = ones
    ieee = style is Specials.IEEE
    exp_all = ((1 << E) - 1) << M if ieee else 0
    if ieee:
        inf_pos, inf_neg = exp_all, sign_bit | exp_all
        if M > 0:  # canonical quiet NaN (NaN inputs keep their own payload instead)
            nan_pos = exp_all | (1 << (M - 1))
            nan_neg = sign_bit | nan_pos
    return _k.FloatSpec(
        man_bits=M,
        bias=fmt.bias,
        emin=fmt.emin,
        subnormals=int(fmt.has_subnormals or (M == 0 and style is not Specials.FNU)),
        no_zero=int(style is Specials.FNU),
        sign_bit=sign_bit,
        mag_mask=ones,
        max_mag=fmt._max_mag_code,
        min_normal_code=fmt._min_normal_code,
        neg_zero=int(fmt.has_negative_zero),
        ieee_nan=int(ieee and M > 0),
        exp_all=exp_all,
        nan_pos=nan_pos,
        nan_neg=nan_neg,
        inf_pos=inf_pos,
        inf_neg=inf_neg,
    )


@lru_cache(maxsize=None)
def fixed_spec(fmt: IntFormat | FixedFormat) -> _k.FixedSpec:
    """Integer description of an integer or fixed-point format for the kernels."""
    return _k.FixedSpec(
        bits=fmt.bits, frac_bits=fmt._frac, lo=fmt.min_int, hi=fmt.max_int, signed=int(fmt.signed), sign_magnitude=int(fmt.sign_magnitude)
    )


def format_spec(fmt: Format) -> _k.FloatSpec | _k.FixedSpec:
    """:func:`float_spec` of a float format, else :func:`fixed_spec`."""
    return float_spec(fmt) if isinstance(fmt, FloatFormat) else fixed_spec(fmt)
