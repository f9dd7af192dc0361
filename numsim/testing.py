"""Hypothesis strategies for property-testing code that uses numsim formats.

Requires the ``hypothesis`` package (``pip install numsim[test]``).

Example: check that your own kernel never produces a value outside the format it claims::

    from hypothesis import given
    import numsim
    from numsim.testing import arrays, formats

    @given(data=st.data(), fmt=formats(families=("float",), max_bits=8))
    def test_my_kernel_stays_in_format(data, fmt):
        x = data.draw(arrays(fmt, shape=(4, 4)))
        y = my_kernel(x)                         # your code
        assert (numsim.quantize(y, fmt) == y).all()

>>> import numsim
>>> from hypothesis import given
>>> @given(representable("e4m3"))
... def check_idempotent(value):
...     assert numsim.quantize(value, "e4m3") == value
>>> check_idempotent()
"""

from __future__ import annotations

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .codecs import decode, decode_table
from .formats import TABLE_BITS, FixedFormat, FloatFormat, Format, IntFormat, Specials
from .registry import get_format, registered_formats

FAMILIES = ("float", "int", "fixed")


def formats(
    *,
    families: tuple[str, ...] = FAMILIES,
    min_bits: int = 2,
    max_bits: int = 16,
    specials: tuple[str, ...] | None = None,
    registered: bool = False,
) -> st.SearchStrategy[Format]:
    """Formats of ``min_bits..max_bits`` total bits.

    Parameters
    ----------
    families : tuple of {"float", "int", "fixed"}
        Which kinds of format to draw.
    specials : tuple of str, optional
        Restrict float formats to these special-value styles (``ieee``, ``fn``, ``fnuz``, ``none``,
        ``extended``, ``fnu``).
    registered : bool
        Draw only built-in registered formats (ml_dtypes, P3109, ints ...) instead of generated ones.
    """
    unknown = set(families) - set(FAMILIES)
    if unknown or not families:
        raise ValueError(f"families must be a non-empty subset of {FAMILIES}, got {families!r}")
    if not 2 <= min_bits <= max_bits <= 32:
        raise ValueError(f"need 2 <= min_bits <= max_bits <= 32, got min_bits={min_bits}, max_bits={max_bits}")
    styles = tuple(Specials(s) for s in specials) if specials is not None else tuple(Specials)

    def keep(fmt: Format) -> bool:
        family = "float" if isinstance(fmt, FloatFormat) else "fixed" if isinstance(fmt, FixedFormat) else "int"
        ok_style = not isinstance(fmt, FloatFormat) or fmt.specials in styles
        return family in families and min_bits <= fmt.bits <= max_bits and ok_style

    if registered:
        choices = [f for f in registered_formats().values() if keep(f)]
        if not choices:
            raise ValueError("no registered format matches the filters")
        return st.sampled_from(choices)
    parts = []
    if "float" in families:
        parts.append(_float_formats(min_bits, max_bits, styles))
    if "int" in families:
        parts.append(_int_formats(min_bits, max_bits))
    if "fixed" in families:
        parts.append(_fixed_formats(min_bits, max_bits))
    return st.one_of(*parts).filter(keep)


@st.composite
def _float_formats(draw, min_bits, max_bits, styles):
    style = draw(st.sampled_from(styles))
    signed = style is not Specials.FNU and (style is Specials.FNUZ or draw(st.booleans()))
    total = draw(st.integers(min_bits, max_bits))
    exp_bits = draw(st.integers(1, max(1, min(11, total - int(signed)))))
    man_bits = total - int(signed) - exp_bits
    if man_bits < 0:
        reject()
    subnormals = style is not Specials.FNU and draw(st.booleans())
    try:
        default = FloatFormat(exp_bits, man_bits, specials=style, signed=signed, subnormals=subnormals)
        bias = default.bias + draw(st.integers(-2, 2))
        return FloatFormat(exp_bits, man_bits, bias=bias, specials=style, signed=signed, subnormals=subnormals)
    except ValueError:  # e.g. no finite normal numbers for this style and width
        reject()


@st.composite
def _integer_kind(draw):
    """(signed, symmetric, sign_magnitude) of an integer or fixed-point format."""
    signed = draw(st.booleans())
    kind = draw(st.sampled_from(["twos_complement", "symmetric", "sign_magnitude"])) if signed else "unsigned"
    return signed, kind == "symmetric", kind == "sign_magnitude"


@st.composite
def _int_formats(draw, min_bits, max_bits):
    signed, symmetric, sign_magnitude = draw(_integer_kind())
    return IntFormat(draw(st.integers(min_bits, max_bits)), signed, symmetric, sign_magnitude)


@st.composite
def _fixed_formats(draw, min_bits, max_bits):
    signed, symmetric, sign_magnitude = draw(_integer_kind())
    bits = draw(st.integers(min_bits, max_bits))
    return FixedFormat(bits, draw(st.integers(-4, bits + 4)), signed, symmetric, sign_magnitude)


def _allowed_codes(fmt: Format, allow_nan: bool, allow_infinity: bool) -> np.ndarray:
    values = decode_table(fmt)
    with np.errstate(invalid="ignore"):
        ok = ~np.isfinite(values) | ((values >= fmt.min) & (values <= fmt.max))  # drops unused codes
    if not allow_nan:
        ok &= ~np.isnan(values)
    if not allow_infinity:
        ok &= ~np.isinf(values)
    return np.flatnonzero(ok)


def representable(fmt: Format | str, *, allow_nan: bool = False, allow_infinity: bool = False) -> st.SearchStrategy[float]:
    """Values exactly representable in ``fmt`` (Python floats; -0.0 included where it exists).

    Shrinks toward code 0 (zero, or the smallest value of formats without zero).
    """
    fmt = get_format(fmt)
    if fmt.bits <= TABLE_BITS:
        values = decode_table(fmt)
        codes = _allowed_codes(fmt, allow_nan, allow_infinity)
        return st.sampled_from(codes.tolist()).map(lambda c: float(values[c]))
    value = st.integers(0, fmt.num_codes - 1).map(lambda c: float(decode(np.uint32(c), fmt)))

    def allowed(v: float) -> bool:
        if v != v:
            return allow_nan
        if abs(v) == float("inf"):
            return allow_infinity
        return fmt.min <= v <= fmt.max  # drops unused codes (e.g. the symmetric integers' minimum)

    return value.filter(allowed)


def arrays(
    fmt: Format | str,
    shape,
    *,
    allow_nan: bool = False,
    allow_infinity: bool = False,
    dtype=np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` (an int, tuple or strategy) whose elements are representable in ``fmt``."""
    fmt = get_format(fmt)
    return hnp.arrays(dtype, shape, elements=representable(fmt, allow_nan=allow_nan, allow_infinity=allow_infinity))
