"""Block formats: a block (or 2-D tile) of elements shares one scale.

A :class:`BlockFormat` combines an element format (any scalar format with a zero), the block
geometry, a scale format and the rule that picks each block's scale from its largest finite
magnitude ``amax``:

=========  =====================================================================================
rule       scale of a block
=========  =====================================================================================
floor      2^(floor(log2 amax) - emax_elem), OCP MX v1.0; the block maximum may exceed the element
           maximum and then saturates (511.9 -> 448 in E4M3)
ceil       2^(ceil(log2 amax) - emax_elem)
rceil      2^ceil(log2 d), d = fp32(fp32(amax) * fp32(1 / max_elem)): cuBLAS / PTX ``cvt.rp.ue8m0``
even       2^(floor(log2 R) - emax_elem), R = amax rounded to the element's precision, ties away
round      amax / max_elem (/ tensor scale) clamped to [min normal, max] of the scale format and
           rounded into it with ``scale_rounding``: non-power-of-two scales such as NVFP4's E4M3
=========  =====================================================================================

``emax_elem = floor(log2(element.max))``. Power-of-two scales are clamped to the powers of two the
scale format holds (E8M0: 2^-127 .. 2^127); an all-zero block gets the smallest one. Elements are
``x / scale`` rounded once (exactly, for any scale) with the element rounding mode and overflow
policy; the default overflow policy of elements is ``saturate_keep_inf``: finite overflow
saturates (as OCP MX requires of FLOOR-scaled block maxima) and infinities are kept.

Special values (the OCP spec leaves most of this to the implementation): ``amax`` ignores NaN and
Inf. A NaN or Inf element that the element format can hold stays NaN/Inf (an Inf becomes NaN in
E4M3); if the element format cannot hold it (fp6, fp4, integers), the whole block is NaN: its
scale code is the scale format's NaN (E8M0 0xFF) and every value of the block decodes to NaN.
With ``overflow="saturate"`` infinities saturate to the element maximum instead.

Two-level scaling (NVFP4): with ``tensor_scale`` (e.g. float32), the tensor gets
``s_t = amax_tensor / (scale.max * element.max)`` rounded into that format (1 for an all-zero
tensor) and the block rule ``round`` works on ``amax / s_t``; a block's value is element x block
scale x s_t.

>>> from numsim import get_format
>>> mx = get_format("mxfp4")
>>> mx.element.name, mx.block_shape, mx.scale.name, mx.scale_rule.value, mx.bits_per_element
('float4_e2m1fn', (32,), 'float8_e8m0fnu', 'floor', 4.25)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from . import _grammar
from ._checks import check_int
from .formats import FixedFormat, FloatFormat, Format, Specials, significand_bits
from .rounding import Rounding


class ScaleRule(str, Enum):
    """How a block's scale is chosen from its largest finite magnitude (see :mod:`numsim.blocks`)."""

    FLOOR = "floor"
    CEIL = "ceil"
    RCEIL = "rceil"
    EVEN = "even"
    ROUND = "round"

    @property
    def code(self) -> int:
        return list(ScaleRule).index(self)

    @property
    def power_of_two(self) -> bool:
        return self is not ScaleRule.ROUND

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, repr=False)
class BlockFormat:
    """Elements that share a scale per block of ``block_size`` along one axis or per 2-D tile.

    Parameters
    ----------
    element : Format or str
        Element format (must contain zero: not an ``fnu`` format).
    block_size : int, optional
        Elements per block along the blocked axis (1-D blocks).
    scale : FloatFormat or str
        Scale format, default E8M0.
    block_shape : tuple of int, optional
        Tile shape over two axes, e.g. ``(32, 32)``; alternatively ``(k,)``. If ``block_size`` is
        also given it must equal the number of elements of a tile.
    scale_rule : ScaleRule or str, optional
        ``floor``, ``ceil``, ``rceil``, ``even`` or ``round``; default ``floor`` for scale formats
        without mantissa bits (E8M0) and ``round`` otherwise.
    scale_rounding : Rounding or str
        Rounding of the ``round`` rule (deterministic modes), default nearest-even.
    tensor_scale : FloatFormat or str, optional
        Format of a second, per-tensor scale (two-level scaling; ``round`` rule only).

    >>> BlockFormat("e2m1", 16, "e4m3", tensor_scale="fp32").name
    'nvfp4'
    """

    element: Format | str
    block_size: int | None = None
    scale: FloatFormat | str = "float8_e8m0fnu"
    block_shape: tuple[int, ...] | None = None
    scale_rule: ScaleRule | str | None = None
    scale_rounding: Rounding | str = Rounding.NEAREST_EVEN
    tensor_scale: FloatFormat | str | None = None

    def __post_init__(self) -> None:
        element = _scalar_format("element", self.element)
        scale = _scalar_format("scale", self.scale)
        tensor = None if self.tensor_scale is None else _scalar_format("tensor_scale", self.tensor_scale)
        if isinstance(element, FloatFormat) and not element.has_zero:
            raise ValueError(f"element format {element.name} has no zero; block elements need one (use an fnu format as the scale instead)")
        for name, fmt in (("scale", scale), ("tensor_scale", tensor)):
            if fmt is not None and not isinstance(fmt, FloatFormat):
                raise ValueError(
                    f"{name} format {fmt.name} cannot represent the powers of two that scales are made of; "
                    "use a float format (e8m0, e4m3, fp32, ...)"
                )
        shape = _block_shape(self.block_size, self.block_shape)
        rule = _scale_rule(self.scale_rule)
        if rule is None:
            rule = ScaleRule.FLOOR if scale.man_bits == 0 else ScaleRule.ROUND
        scale_rounding = Rounding.parse(self.scale_rounding, "scale_rounding")
        if scale_rounding.is_stochastic:
            raise ValueError(f"scale_rounding must be a deterministic mode, got {scale_rounding.value!r}")
        if tensor is not None and rule is not ScaleRule.ROUND:
            raise ValueError(f"tensor_scale (two-level scaling) needs scale_rule='round', got {rule.value!r}")
        precision = significand_bits(element) + (1 if rule.power_of_two else scale.precision) + (tensor.precision if tensor else 0)
        if precision > 53:
            raise ValueError(
                f"element x scale products need {precision} significant bits, more than float64 holds (53); "
                "use narrower element or scale formats"
            )
        for name, value in (("element", element), ("scale", scale), ("tensor_scale", tensor), ("block_shape", shape),
                            ("block_size", math.prod(shape)), ("scale_rule", rule), ("scale_rounding", scale_rounding)):
            object.__setattr__(self, name, value)

    @property
    def block_elements(self) -> int:
        """Elements sharing one scale."""
        return math.prod(self.block_shape)

    @property
    def emax_elem(self) -> int:
        """floor(log2(element.max)): the exponent the power-of-two rules align amax to."""
        return math.frexp(self.element.max)[1] - 1

    @property
    def element_mantissa_bits(self) -> int:
        """Mantissa bits of the element (``bits - 2`` for integers): the ``even`` rule's precision - 1."""
        return significand_bits(self.element) - 1

    @property
    def bits_per_element(self) -> float:
        """Storage per element: element bits plus the block scale's bits shared by the block."""
        return self.element.bits + self.scale.bits / self.block_elements

    @property
    def name(self) -> str:
        return _grammar.format_name(self)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        extra = f", tensor_scale={self.tensor_scale.name!r}" if self.tensor_scale else ""
        return (
            f"BlockFormat(element={self.element.name!r}, block_shape={self.block_shape}, scale={self.scale.name!r}, "
            f"scale_rule={self.scale_rule.value!r}, scale_rounding={self.scale_rounding.value!r}{extra})"
        )


def _scale_rule(value) -> ScaleRule | None:
    if value is None or isinstance(value, ScaleRule):
        return value
    if not isinstance(value, str):
        raise TypeError(f"scale_rule must be a ScaleRule or a string, got {value!r} of type {type(value).__name__}")
    try:
        return ScaleRule(value.strip().lower())
    except ValueError:
        raise ValueError(f"scale_rule must be one of {', '.join(r.value for r in ScaleRule)}, got {value!r}") from None


def _scalar_format(name: str, value) -> Format:
    if isinstance(value, Format):
        return value  # the registry's own block formats are built from format objects, before it installs its parser
    if isinstance(value, BlockFormat):
        raise ValueError(f"{name} must be a scalar format, got the block format {value.name}")
    try:
        fmt = _grammar.get_format(value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: {err}") from None
    if isinstance(fmt, BlockFormat):
        raise ValueError(f"{name} must be a scalar format, got the block format {fmt.name}")
    return fmt


def _block_shape(block_size, block_shape) -> tuple[int, ...]:
    if block_shape is None:
        if block_size is None:
            raise ValueError("give block_size (1-D blocks) or block_shape (tiles)")
        return (check_int("block_size", block_size, 1),)
    try:
        shape = tuple(block_shape)
    except TypeError:
        raise TypeError(f"block_shape must be a tuple of 1 or 2 positive ints, got {block_shape!r}") from None
    if not 1 <= len(shape) <= 2:
        raise ValueError(f"block_shape must have 1 or 2 entries (blocks or 2-D tiles), got {shape}")
    shape = tuple(check_int("block_shape entry", n, 1) for n in shape)
    if block_size is not None and check_int("block_size", block_size, 1) != math.prod(shape):
        raise ValueError(f"block_size={block_size} does not match block_shape={shape} ({math.prod(shape)} elements per tile)")
    return shape


def bfp(mantissa_bits: int, block_size: int = 16, exponent_bits: int = 8, *, sign_magnitude: bool = True) -> BlockFormat:
    """Generic block floating point: ``mantissa_bits`` magnitude bits and a sign per element, one
    shared ``exponent_bits`` exponent per ``block_size`` elements (FLOOR rule).

    Elements are fixed point with ``mantissa_bits - 1`` fraction bits (the block maximum keeps
    ``mantissa_bits`` significant bits), in sign-magnitude or two's complement; the shared exponent
    is an unsigned exponent-only format (like E8M0 for ``exponent_bits=8``; its all-ones code is
    NaN).

    >>> bfp(3).name, bfp(7).name
    ('msfp12', 'msfp16')
    """
    check_int("mantissa_bits", mantissa_bits, 1, 31)
    check_int("exponent_bits", exponent_bits, 2, 11)
    element = FixedFormat(mantissa_bits + 1, mantissa_bits - 1, sign_magnitude=sign_magnitude)
    scale = FloatFormat(exponent_bits, 0, specials=Specials.FNU, signed=False, subnormals=False)
    return BlockFormat(element, block_size, scale, scale_rule=ScaleRule.FLOOR)
