"""Design points in words: the strings a sweep config uses for datapaths.

A design point is a dict of plain values (what a TOML file or a DataFrame row holds). This
module turns its datapath keys into one :class:`numsim.Datapath`, and checks every value before a
sweep starts. Workload strings are :func:`hwmodels.workloads.get_workload`'s.

Datapath keys (all optional except ``format``):

=================  =====================================================================
``format``         input format of A and B: any numsim name (``e4m3``, ``int8``, ``mxfp4``,
                   ``nvfp4``, ``e3m2``, ``fixed<8,6>``...) or ``bfp(m, block)`` (block floating
                   point with ``m`` mantissa bits, 8-bit shared exponent)
``b_format``       format of B when it differs from A
``multiplier``     ``exact``, ``lmul``, ``lmul(m)`` (L-Mul on ``m``-bit mantissas),
                   ``mitchell``, ``drum(k)``, ``truncated(vbl)``
``accumulator``    a float format name (``fp32``, ``fp16``, ``bf16``, ``e5m7``...),
                   ``fixed(int_bits)`` / ``fixed(int_bits, frac_bits)`` (wraps) or ``kulisch``
``order``          ``sequential``, ``pairwise``, ``tree(w)``, ``chunked(n)``
``product_format``  round every product into this format (default: exact products)
``out_format``     output format (default: the accumulator's)
``block_size``     block size of a block-scaled ``format`` (overrides the format's own)
=================  =====================================================================

>>> datapath_from({"format": "e4m3", "multiplier": "lmul(3)", "accumulator": "fp16"}).name
'e4m3*e4m3 lmul(mantissa_bits=3) -> acc fp16 (sequential) -> fp16'
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

import numsim
from numsim.blocks import BlockFormat

#: The point keys that describe the datapath.
DATAPATH_KEYS = ("format", "b_format", "multiplier", "accumulator", "order", "product_format", "out_format", "block_size")

_CALL = re.compile(r"^\s*([a-z_][a-z0-9_\-\.]*)\s*(?:\((.*)\))?\s*$", re.IGNORECASE)


def parse_call(text: str, what: str) -> tuple[str, list[int], dict[str, int]]:
    """Split ``"name(1, k=2)"`` into ``("name", [1], {"k": 2})`` (integer arguments only).

    >>> parse_call("drum(6)", "multiplier"), parse_call("kulisch", "accumulator")
    (('drum', [6], {}), ('kulisch', [], {}))
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a string, got {text!r}")
    m = _CALL.match(text)
    if not m:
        raise ValueError(f"{what} {text!r} is not of the form name or name(arguments)")
    args, kwargs = [], {}
    for part in filter(None, (p.strip() for p in (m.group(2) or "").split(","))):
        key, eq, value = part.rpartition("=")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{what} {text!r}: argument {part!r} is not an integer") from None
        if eq:
            kwargs[key.strip()] = number
        else:
            args.append(number)
    return m.group(1).lower(), args, kwargs


def _arity(text: str, what: str, name: str, args: list, kwargs: dict, allowed: tuple[str, ...]) -> dict[str, int]:
    """Map positional and keyword arguments onto ``allowed`` parameter names."""
    if len(args) > len(allowed) or set(kwargs) - set(allowed):
        raise ValueError(f"{what} {text!r}: {name} takes at most ({', '.join(allowed) or 'no arguments'})")
    return {**dict(zip(allowed, args)), **kwargs}


def multiplier_from(text: str) -> numsim.multipliers.Multiplier:
    """A multiplier from its config string.

    >>> multiplier_from("lmul(3)").mantissa_bits, multiplier_from("drum(k=4)").k
    (3, 4)
    """
    name, args, kwargs = parse_call(text, "multiplier")
    makers = {
        "exact": (numsim.Exact, ()),
        "lmul": (lambda m=None: numsim.LMul(mantissa_bits=m), ("m",)),
        "mitchell": (numsim.Mitchell, ()),
        "drum": (numsim.DRUM, ("k",)),
        "truncated": (numsim.Truncated, ("vbl",)),
    }
    if name not in makers:
        raise ValueError(f"multiplier {text!r} is not one of {', '.join(makers)} (e.g. 'lmul(3)', 'drum(6)')")
    make, params = makers[name]
    return make(**_arity(text, "multiplier", name, args, kwargs, params))


def accumulator_from(text: str) -> numsim.datapath.Accumulator:
    """An accumulator from its config string: a float format, ``fixed(i[, f])`` or ``kulisch``.

    >>> accumulator_from("fixed(32, 8)").frac_bits, accumulator_from("bf16").name
    (8, 'bf16')
    """
    name, args, kwargs = parse_call(text, "accumulator")
    if name == "kulisch":
        _arity(text, "accumulator", name, args, kwargs, ())
        return numsim.Kulisch()
    if name == "fixed":
        params = _arity(text, "accumulator", name, args, kwargs, ("int_bits", "frac_bits"))
        if "int_bits" not in params:
            raise ValueError(f"accumulator {text!r}: fixed needs its integer bits, e.g. 'fixed(32)'")
        return numsim.FixedAccumulator(**params)
    try:
        return numsim.FloatAccumulator(text.strip())
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"accumulator {text!r} is not a float format, 'fixed(int_bits[, frac_bits])' or 'kulisch' ({exc})") from None


def format_from(text: str, block_size: int | None = None):
    """An input format from its config string (a numsim name or ``bfp(m, block)``), with its
    block size replaced by ``block_size`` for block formats.

    >>> format_from("bfp(7, 16)").bits_per_element, format_from("mxfp4", block_size=16).block_shape
    (8.5, (16,))
    """
    name, args, kwargs = parse_call(text, "format") if text.strip().lower().startswith("bfp(") else (None, [], {})
    if name == "bfp":
        fmt = numsim.bfp(**_arity(text, "format", name, args, kwargs, ("mantissa_bits", "block_size")))
    else:
        fmt = numsim.get_format(text)
    if block_size is None:
        return fmt
    if not isinstance(fmt, BlockFormat):
        raise ValueError(f"block_size {block_size!r} needs a block format, but format {text!r} is scalar")
    return dataclasses.replace(fmt, block_size=int(block_size), block_shape=(int(block_size),))


@lru_cache(maxsize=4096)
def _datapath(items: tuple) -> numsim.Datapath:
    p = dict(items)
    if "format" not in p:
        raise ValueError(f"a design point needs a 'format' to build a datapath; it has {sorted(p)}")
    block = p.get("block_size")
    a = format_from(p["format"], block)
    b = format_from(p["b_format"], block) if p.get("b_format") else None
    kw = {"a_format": a, "b_format": b}
    if p.get("multiplier"):
        kw["multiplier"] = multiplier_from(p["multiplier"])
    if p.get("accumulator"):
        kw["accumulator"] = accumulator_from(p["accumulator"])
    for key in ("order", "product_format", "out_format"):
        if p.get(key):
            kw[key] = p[key]
    return numsim.Datapath(**kw)


def datapath_from(point: dict) -> numsim.Datapath:
    """The :class:`numsim.Datapath` of a design point (its :data:`DATAPATH_KEYS`; other keys
    ignored). Built once per distinct combination in a process."""
    return _datapath(tuple(sorted((k, point[k]) for k in DATAPATH_KEYS if k in point)))
