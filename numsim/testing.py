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

from .accumulators import Accumulator, FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch
from .blocks import BlockFormat, ScaleRule
from .codecs import decode, decode_table
from .datapath import Datapath
from .formats import TABLE_BITS, FixedFormat, FloatFormat, Format, IntFormat, Specials
from .multipliers import DRUM, Exact, LMul, Mitchell, Multiplier, Truncated
from .orders import Chunked, Order, Pairwise, Sequential, Tree
from .registry import get_format, registered_block_formats, registered_formats
from .rounding import Overflow, Rounding

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


# ---- datapath parts ------------------------------------------------------------------------------

_DETERMINISTIC = tuple(r for r in Rounding if not r.is_stochastic)
_FLOAT_OVERFLOWS = tuple(o for o in Overflow if o is not Overflow.WRAP)


def block_formats(*, max_element_bits: int = 8) -> st.SearchStrategy[BlockFormat]:
    """Block formats: the registered ones (MX, NVFP4, MSFP) and generated ones with any element
    format of at most ``max_element_bits`` bits, 1-D blocks or 2-D tiles, an E8M0 or E4M3 scale and
    every scale rule (``round`` with its scale rounding; two-level scaling now and then)."""
    return st.one_of(st.sampled_from(list(registered_block_formats().values())), _generated_blocks(max_element_bits))


@st.composite
def _generated_blocks(draw, max_element_bits):
    element = draw(formats(max_bits=max_element_bits, specials=("ieee", "fn", "fnuz", "none")))
    shape = draw(st.sampled_from([(2,), (8,), (16,), (32,), (4, 4)]))
    rule = draw(st.sampled_from(list(ScaleRule)))
    scale = draw(st.sampled_from(["e8m0", "e4m3"] if rule is ScaleRule.ROUND else ["e8m0"]))
    rounding = draw(st.sampled_from(_DETERMINISTIC)) if rule is ScaleRule.ROUND else Rounding.NEAREST_EVEN
    tensor = "fp32" if rule is ScaleRule.ROUND and draw(st.booleans()) else None
    try:
        return BlockFormat(element, block_shape=shape, scale=scale, scale_rule=rule, scale_rounding=rounding, tensor_scale=tensor)
    except (TypeError, ValueError):
        reject()


def multipliers() -> st.SearchStrategy[Multiplier]:
    """Multiplier specs with their switches: exact, L-Mul, Mitchell, DRUM, broken-array (no
    :class:`~numsim.Lookup`: its table is data, not a spelling)."""
    switches = {
        "semantics": st.sampled_from(["integer", "literal"]),
        "mantissa_bits": st.none() | st.integers(0, 10),
        "input_rounding": st.sampled_from(["truncate", "nearest_even"]),
        "zero": st.sampled_from(["signed", "positive", "raw"]),
        "subnormal": st.sampled_from(["flush", "raw"]),
        "underflow": st.sampled_from(["flush", "positive_zero", "pass", "wrap"]),
        "overflow": st.none() | st.sampled_from(["inf", "saturate", "nan", "wrap"]),
        "specials": st.sampled_from(["ieee", "raw"]),
    }
    return st.one_of(
        st.just(Exact()),
        st.builds(LMul, l=st.none() | st.integers(0, 8), offset=st.none() | st.integers(0, 2**32 - 1), **switches),
        st.builds(Mitchell, **switches),
        st.builds(DRUM, st.integers(1, 32)),
        st.builds(Truncated, vbl=st.integers(0, 64), hbl=st.integers(0, 32)),
    )


def float_accumulators(*, stochastic: bool = True) -> st.SearchStrategy[FloatAccumulator]:
    """Float accumulators: any IEEE/fn float format of 4..32 bits, every rounding mode (stochastic
    ones if ``stochastic``) and overflow policy."""
    modes = tuple(Rounding) if stochastic else _DETERMINISTIC
    fmts = formats(families=("float",), min_bits=4, max_bits=32, specials=("ieee", "fn", "none"))
    return st.builds(FloatAccumulator, fmts, st.sampled_from(modes), st.none() | st.sampled_from(_FLOAT_OVERFLOWS))


def accumulators() -> st.SearchStrategy[Accumulator]:
    """Accumulator specs: float, fixed point (any width 2..62, wrap or saturate), Kulisch and
    fused multi-term (tensor-core) units with every option."""
    return st.one_of(float_accumulators(), _fixed_accumulators(), st.just(Kulisch()), _fused())


@st.composite
def _fixed_accumulators(draw):
    width = draw(st.integers(2, 62))
    frac = draw(st.integers(max(-8, width - 62), width - 1))
    return FixedAccumulator(width - frac, frac, draw(st.sampled_from(["wrap", "saturate"])), draw(st.sampled_from(_DETERMINISTIC)))


@st.composite
def _fused(draw):
    fmt = draw(st.sampled_from(["float32", "float16", "bfloat16", "e8m10"]))
    man = get_format(fmt).man_bits
    try:
        return FusedMultiTerm(
            n=draw(st.sampled_from([1, 2, 4, 8, 16, 32])), extra_bits=draw(st.integers(-man, 10)), fmt=fmt,
            rounding=draw(st.sampled_from(_DETERMINISTIC)), frac_bits=draw(st.none() | st.integers(0, man)),
            alignment=draw(st.sampled_from([Rounding.TOWARD_ZERO, Rounding.NEAREST_EVEN])),
            anchor=draw(st.sampled_from(["product", "normalized"])), anchor_min=draw(st.none() | st.integers(-200, 10)),
            c_placement=draw(st.sampled_from(["inside", "after"])),
        )
    except ValueError:
        reject()


def orders() -> st.SearchStrategy[Order]:
    """Summation orders: sequential, pairwise, adder trees and chunked promotion (any outer float
    accumulator, any inner order)."""
    simple = st.one_of(st.just(Sequential()), st.just(Pairwise()), st.builds(Tree, st.integers(2, 64)))
    return st.one_of(simple, st.builds(Chunked, st.integers(1, 512), float_accumulators(stochastic=False), simple))


@st.composite
def datapaths(draw, *, block_scaled: bool | None = None) -> Datapath:
    """Valid datapaths of small formats: scalar or block-scaled inputs, a multiplier that fits them,
    product rounding, any accumulator and order, C and output formats and roundings (combinations
    that :class:`~numsim.Datapath` refuses are rejected). ``block_scaled`` forces either kind."""
    blocks = draw(st.booleans()) if block_scaled is None else block_scaled
    if blocks:
        a = draw(block_formats().filter(lambda f: len(f.block_shape) == 1))
        b = a if draw(st.booleans()) else draw(st.sampled_from([a, a.element]))
    else:
        a = draw(formats(max_bits=10, specials=("ieee", "fn", "none")))
        b = a if draw(st.booleans()) else draw(formats(max_bits=10, specials=("ieee", "fn", "none")))
    kw = {"multiplier": draw(multipliers()), "accumulator": draw(accumulators()), "order": draw(orders())}
    if draw(st.booleans()):
        kw["multiplier"] = Exact()
    if draw(st.booleans()):
        kw["product_format"] = draw(formats(families=("float",), min_bits=8, max_bits=16, specials=("ieee",)))
        kw["product_rounding"] = draw(st.sampled_from(_DETERMINISTIC))
    for key in ("out_format", "c_format"):
        if draw(st.booleans()):
            kw[key] = draw(st.sampled_from(["fp32", "fp16", "bf16", "e4m3", "int8"]))
    kw["out_rounding"] = draw(st.sampled_from(_DETERMINISTIC))
    kw["input_rounding"] = draw(st.sampled_from(_DETERMINISTIC))
    if blocks:
        kw["block_accumulator"] = draw(st.one_of(st.just(Kulisch()), float_accumulators(stochastic=False)))
        kw["block_order"] = draw(st.one_of(st.just(Sequential()), st.just(Pairwise()), st.builds(Tree, st.integers(2, 8))))
        kw["scale_format"] = draw(st.sampled_from(["fp32", "bf16", "fp16"]))
        kw["scale_rounding"] = draw(st.sampled_from(_DETERMINISTIC))
        kw["block_padding"] = draw(st.sampled_from(["error", "zeros"]))
    try:
        return Datapath(a, b, **kw)
    except (TypeError, ValueError):
        reject()
