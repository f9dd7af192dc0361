"""Format names: the registry of built-in formats, aliases and the name grammar.

Canonical names follow ml_dtypes (``float8_e4m3fn``, ``float6_e2m3fn``, ``bfloat16`` ...) and
IEEE P3109 (``binary8p4se``); short aliases (``e4m3``, ``fp16``, ``int8``) resolve to them.
Any other format is spelled by the grammar below, and ``get_format(fmt.name) == fmt`` holds for
every format.

====================================  ==============================================================
name                                  format
====================================  ==============================================================
``eXmY``                              IEEE-style float, default bias 2^(X-1) - 1
``eXmYfn`` / ``fnuz`` / ``fnu``       OCP-E4M3-style NaN / FNUZ NaN at -0 / unsigned exponent scale
``eXmYfin``                           every code finite (the fp4/fp6 style)
``eXmYext``                           P3109 Extended style: Inf at the top codes, one NaN
``eXmYieee``                          explicit IEEE style (where ``eXmY`` is an alias)
``...bN`` before the style            a non-default bias, e.g. ``e4m3b11fnuz``
``u`` prefix, ``_nosub`` suffix       unsigned, no subnormals; e.g. ``ue4m3fn``, ``e5m2_nosub``
``binaryKpP{s,u}{e,f}``               IEEE P3109 format of K bits and precision P
``intN``, ``uintN``, ``intN_sym``     integers; ``_sym`` drops the most negative code, ``_sm``
                                      is sign-magnitude
``fixed<N,F>``, ``ufixed<N,F>``       fixed point of N bits with F fraction bits
``bfp(m[,block[,e]])``                block floating point (:func:`numsim.bfp`), printed by its
                                      preset name or as ``element/block/scale/rule``
====================================  ==============================================================

>>> from numsim import get_format
>>> get_format("e4m3").name, get_format("binary8p4sf").name, get_format("e4m3b11fnuz").name
('float8_e4m3fn', 'float8_e4m3fnuz', 'float8_e4m3b11fnuz')
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from . import _grammar
from .blocks import BlockFormat, ScaleRule, bfp
from .formats import FixedFormat, FloatFormat, Format, IntFormat, Specials

_ML_DTYPES = {
    "float8_e4m3fn": FloatFormat(4, 3, specials="fn"),
    "float8_e5m2": FloatFormat(5, 2),
    "float8_e4m3fnuz": FloatFormat(4, 3, specials="fnuz"),
    "float8_e5m2fnuz": FloatFormat(5, 2, specials="fnuz"),
    "float8_e4m3b11fnuz": FloatFormat(4, 3, bias=11, specials="fnuz"),
    "float8_e3m4": FloatFormat(3, 4),
    "float8_e4m3": FloatFormat(4, 3),
    "float6_e2m3fn": FloatFormat(2, 3, specials="none"),
    "float6_e3m2fn": FloatFormat(3, 2, specials="none"),
    "float4_e2m1fn": FloatFormat(2, 1, specials="none"),
    "float8_e8m0fnu": FloatFormat(8, 0, specials="fnu"),
    "bfloat16": FloatFormat(8, 7),
    "float16": FloatFormat(5, 10),
    "float32": FloatFormat(8, 23),
}

_OTHER = {
    "tf32": FloatFormat(8, 10),
    **{f"int{n}": IntFormat(n) for n in (2, 4, 8, 16, 32)},
    **{f"uint{n}": IntFormat(n, signed=False) for n in (2, 4, 8, 16, 32)},
}

_ALIASES = {
    "e4m3": "float8_e4m3fn",
    "fp8_e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2",
    "fp8_e5m2": "float8_e5m2",
    "e2m1": "float4_e2m1fn",
    "fp4": "float4_e2m1fn",
    "fp4_e2m1": "float4_e2m1fn",
    "e3m2": "float6_e3m2fn",
    "fp6_e3m2": "float6_e3m2fn",
    "e2m3": "float6_e2m3fn",
    "fp6_e2m3": "float6_e2m3fn",
    "e8m0": "float8_e8m0fnu",
    "ue8m0": "float8_e8m0fnu",
    "fp16": "float16",
    "half": "float16",
    "binary16": "float16",
    "bf16": "bfloat16",
    "fp32": "float32",
    "single": "float32",
    "binary32": "float32",
}

_STYLE_SUFFIX = {
    Specials.IEEE: "",
    Specials.FN: "fn",
    Specials.FNUZ: "fnuz",
    Specials.FNU: "fnu",
    Specials.NONE: "fin",
    Specials.EXTENDED: "ext",
}
_SUFFIX_STYLE = {**{v: k for k, v in _STYLE_SUFFIX.items() if v}, "ieee": Specials.IEEE}

_FLOAT_RE = re.compile(r"(u?)e(\d+)m(\d+)(?:b(-?\d+))?(fnuz|fnu|fn|fin|ext|ieee)?(_nosub)?")
_P3109_RE = re.compile(r"binary(\d+)p(\d+)([su])([ef])")
_INT_RE = re.compile(r"(u?)int(\d+)(_sym|_sm)?")
_FIXED_RE = re.compile(r"(u?)fixed<(-?\d+),(-?\d+)>(_sym|_sm)?")
_BFP_RE = re.compile(r"bfp\((\d+)(?:,(\d+))?(?:,(\d+))?\)")


def p3109_format(bits: int, precision: int, signed: bool = True, extended: bool = True) -> FloatFormat:
    """The IEEE P3109 format ``Binary{bits}p{precision}{s|u}{e|f}``.

    Signed formats have ``bits - precision`` exponent bits and bias 2^(bits-precision-1); unsigned
    ones one more exponent bit and bias 2^(bits-precision). There is no -0; the single NaN sits at
    the -0 code (signed) or the all-ones code (unsigned); Extended formats put +-Inf next to it.
    """
    if bits < 3:
        raise ValueError(f"P3109 formats have at least 3 bits, got {bits}")
    top = bits - 1 if signed else bits
    if not 1 <= precision <= top:
        raise ValueError(f"P3109 precision must be in 1..{top} for a {'signed' if signed else 'unsigned'} {bits}-bit format, got {precision}")
    exp_bits = bits - precision + (0 if signed else 1)
    style = Specials.EXTENDED if extended else (Specials.FNUZ if signed else Specials.FN)
    return FloatFormat(exp_bits, precision - 1, bias=1 << (exp_bits - 1), specials=style, signed=signed)


def _p3109_registered() -> dict[str, FloatFormat]:
    out = {}
    for bits in (8, 4):
        for signed, letter in ((True, "s"), (False, "u")):
            for precision in range(1, bits + (0 if signed else 1)):
                for extended, dom in ((True, "e"), (False, "f")):
                    try:
                        out[f"binary{bits}p{precision}{letter}{dom}"] = p3109_format(bits, precision, signed, extended)
                    except ValueError:
                        continue  # e.g. a domain with no finite normal numbers
    return out


_P3109 = _p3109_registered()

_REGISTRY: dict[str, Format] = {**_ML_DTYPES, **_OTHER}
for _name, _fmt in _P3109.items():
    if _fmt in _REGISTRY.values():
        _ALIASES[_name] = next(k for k, v in _REGISTRY.items() if v == _fmt)
    else:
        _REGISTRY[_name] = _fmt
_CANONICAL = {fmt: name for name, fmt in _REGISTRY.items()}


def registered_formats() -> dict[str, Format]:
    """Canonical name -> format of every built-in scalar format (aliases excluded)."""
    return dict(_REGISTRY)


def registered_block_formats() -> dict[str, BlockFormat]:
    """Canonical name -> format of every built-in block format (MX, NVFP4, MSFP)."""
    return dict(_BLOCKS)


def aliases() -> dict[str, str]:
    """Alias -> canonical name."""
    return dict(_ALIASES)


def get_format(fmt: Format | BlockFormat | str) -> Format | BlockFormat:
    """Resolve a format object or name (canonical, alias or grammar; case-insensitive).

    Block formats are named by their preset (``mxfp4``, ``nvfp4``, ...) or spelled
    ``element/block/scale/rule[:scale_rounding][/tensor_scale]`` with ``block`` a size (``32``) or a
    tile (``32x32``), e.g. ``float8_e4m3fn/32x32/e8m0/rceil``.

    Raises :class:`ValueError` for unknown names, with the closest valid names.
    """
    if isinstance(fmt, (Format, BlockFormat)):
        return fmt
    if not isinstance(fmt, str):
        raise TypeError(f"format must be a numsim format or a name, got {fmt!r} of type {type(fmt).__name__}")
    return _lookup(fmt.strip().lower().replace(" ", ""))


@lru_cache(maxsize=1024)
def _lookup(key: str) -> Format | BlockFormat:
    if key in _REGISTRY:
        return _REGISTRY[key]
    if key in _ALIASES:
        return _REGISTRY[_ALIASES[key]]
    if key in _BLOCKS:
        return _BLOCKS[key]
    if key in _BLOCK_ALIASES:
        return _BLOCKS[_BLOCK_ALIASES[key]]
    parsed = _parse_block(key) if "/" in key else _parse(key)
    if parsed is not None:
        return parsed
    if m := _BFP_RE.fullmatch(key):
        return bfp(*(int(g) for g in m.groups() if g is not None))
    known = list(_REGISTRY) + list(_ALIASES) + list(_BLOCKS) + list(_BLOCK_ALIASES)
    close = difflib.get_close_matches(key, known, n=4, cutoff=0.6)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise ValueError(
        f"unknown format {key!r}{hint}. Use a registered name (numsim.registered_formats()), an alias, or the "
        "grammar eXmY[bN][fn|fnuz|fnu|fin|ext|ieee][_nosub], binaryKpP{s|u}{e|f}, intN, uintN, fixed<N,F>, "
        "bfp(mantissa_bits[,block_size[,exponent_bits]]) or element/block/scale/rule"
    )


def _parse(key: str) -> Format | None:
    if m := _FLOAT_RE.fullmatch(key):
        unsigned, e, mbits, bias, suffix, nosub = m.groups()
        style = _SUFFIX_STYLE[suffix] if suffix else Specials.IEEE
        signed = None if style is Specials.FNU else not unsigned
        subnormals = False if nosub else None
        return FloatFormat(int(e), int(mbits), bias=None if bias is None else int(bias), subnormals=subnormals, specials=style, signed=signed)
    if m := _P3109_RE.fullmatch(key):
        bits, precision, sign, domain = m.groups()
        return p3109_format(int(bits), int(precision), sign == "s", domain == "e")
    if m := _INT_RE.fullmatch(key):
        unsigned, bits, kind = m.groups()
        return IntFormat(int(bits), signed=not unsigned, symmetric=kind == "_sym", sign_magnitude=kind == "_sm")
    if m := _FIXED_RE.fullmatch(key):
        unsigned, bits, frac, kind = m.groups()
        return FixedFormat(int(bits), int(frac), signed=not unsigned, symmetric=kind == "_sym", sign_magnitude=kind == "_sm")
    return None


def _parse_block(key: str) -> BlockFormat:
    parts = key.split("/")
    if not 4 <= len(parts) <= 5:
        raise ValueError(f"block format names have the form element/block/scale/rule[:rounding][/tensor_scale], got {key!r}")
    element, block, scale, rule = parts[:4]
    rule, _, rounding = rule.partition(":")
    try:
        shape = tuple(int(n) for n in block.split("x"))
    except ValueError:
        raise ValueError(f"block size in {key!r} must be an int or a tile like 32x32, got {block!r}") from None
    return BlockFormat(
        element, block_shape=shape, scale=scale, scale_rule=rule, scale_rounding=rounding or "nearest_even",
        tensor_scale=parts[4] if len(parts) == 5 else None,
    )


def format_name(fmt: Format | BlockFormat) -> str:
    """Canonical name of any format (registered name, P3109 name or grammar spelling)."""
    if isinstance(fmt, BlockFormat):
        return _block_name(fmt)
    if fmt in _CANONICAL:
        return _CANONICAL[fmt]
    if isinstance(fmt, (IntFormat, FixedFormat)):
        kind = "_sm" if fmt.sign_magnitude else "_sym" if fmt.symmetric else ""
        stem = f"int{fmt.bits}" if isinstance(fmt, IntFormat) else f"fixed<{fmt.bits},{fmt.frac_bits}>"
        return f"{'' if fmt.signed else 'u'}{stem}{kind}"
    assert isinstance(fmt, FloatFormat)
    p3109 = _p3109_name(fmt)
    if p3109 is not None:
        return p3109
    default_bias = FloatFormat(fmt.exp_bits, fmt.man_bits, specials=fmt.specials, signed=fmt.signed).bias
    prefix = "u" if not fmt.signed and fmt.specials is not Specials.FNU else ""
    bias = f"b{fmt.bias}" if fmt.bias != default_bias else ""
    nosub = "_nosub" if fmt.man_bits > 0 and not fmt.subnormals and fmt.specials is not Specials.FNU else ""
    stem = f"{prefix}e{fmt.exp_bits}m{fmt.man_bits}{bias}"
    name = f"{stem}{_STYLE_SUFFIX[fmt.specials]}{nosub}"
    if fmt.specials is Specials.IEEE and _lookup(name) != fmt:
        name = f"{stem}ieee{nosub}"  # the short spelling is an alias of another format
    return name


def _p3109_name(fmt: FloatFormat) -> str | None:
    if not fmt.subnormals or fmt.bias != 1 << (fmt.exp_bits - 1) or fmt.bits < 3:
        return None
    if fmt.signed and fmt.specials in (Specials.FNUZ, Specials.EXTENDED):
        sign = "s"
    elif not fmt.signed and fmt.specials in (Specials.FN, Specials.EXTENDED):
        sign = "u"
    else:
        return None
    domain = "e" if fmt.specials is Specials.EXTENDED else "f"
    return f"binary{fmt.bits}p{fmt.precision}{sign}{domain}"


def _block_name(fmt: BlockFormat) -> str:
    if fmt in _BLOCK_CANONICAL:
        return _BLOCK_CANONICAL[fmt]
    rule = fmt.scale_rule.value
    if fmt.scale_rule is ScaleRule.ROUND and fmt.scale_rounding.value != "nearest_even":
        rule += f":{fmt.scale_rounding.value}"
    parts = [fmt.element.name, "x".join(map(str, fmt.block_shape)), fmt.scale.name, rule]
    if fmt.tensor_scale is not None:
        parts.append(fmt.tensor_scale.name)
    return "/".join(parts)


_E8M0 = _ML_DTYPES["float8_e8m0fnu"]
_BLOCKS: dict[str, BlockFormat] = {
    **{
        f"mx{name}": BlockFormat(_ML_DTYPES[element], 32, _E8M0)
        for name, element in (("fp8_e4m3", "float8_e4m3fn"), ("fp8_e5m2", "float8_e5m2"), ("fp6_e3m2", "float6_e3m2fn"),
                              ("fp6_e2m3", "float6_e2m3fn"), ("fp4", "float4_e2m1fn"))
    },
    "mxint8": BlockFormat(FixedFormat(8, 6), 32, _E8M0),
    "nvfp4": BlockFormat(_ML_DTYPES["float4_e2m1fn"], 16, _ML_DTYPES["float8_e4m3fn"], scale_rule="round", tensor_scale=_ML_DTYPES["float32"]),
    "msfp12": bfp(3, 16),
    "msfp16": bfp(7, 16),
}
_BLOCK_ALIASES = {"mxfp4_e2m1": "mxfp4", "mxfp8": "mxfp8_e4m3", "mxfp6": "mxfp6_e3m2"}
_BLOCK_CANONICAL = {fmt: name for name, fmt in _BLOCKS.items()}


#: The short spelling a datapath prints for a format, where it has one (each is an alias above).
_SHORT_NAMES = ("e4m3", "e5m2", "e2m1", "e3m2", "e2m3", "fp16", "bf16", "fp32")
_SHORT = {_ALIASES[short]: short for short in _SHORT_NAMES}


def short_name(fmt: Format | BlockFormat) -> str:
    """The shortest spelling of a format that :func:`get_format` reads back (``e4m3`` for
    ``float8_e4m3fn``, ``fp32`` for ``float32``; otherwise the canonical name).

    >>> short_name(get_format("float8_e4m3fn")), short_name(get_format("mxfp4"))
    ('e4m3', 'mxfp4')
    """
    name = fmt.name
    return _SHORT.get(name, name)


def scalar_format(fmt, argument: str) -> Format:
    """``get_format(fmt)``, which must be a scalar format (``argument`` names it in errors)."""
    f = get_format(fmt)
    if not isinstance(f, Format):
        raise TypeError(f"{argument} must be a scalar format, got the block format {f.name}")
    return f


def float_format(fmt, argument: str) -> FloatFormat:
    """``get_format(fmt)``, which must be a float format (``argument`` names it in errors)."""
    f = scalar_format(fmt, argument)
    if not isinstance(f, FloatFormat):
        raise TypeError(f"{argument} must be a float format, got {f.name}")
    return f


_grammar.install(format_name=format_name, get_format=get_format)
