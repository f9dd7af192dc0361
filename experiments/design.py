"""Design points in words: the datapath strings of a sweep config.

A design point is a dict of plain values (what a TOML file or a DataFrame row holds). This
module turns its datapath keys into one :class:`numsim.Datapath`; workload strings are
:func:`hwmodels.workloads.get_workload`'s. Every datapath
value is spelled in numsim's one grammar (:func:`numsim.get_datapath` and the parsers of its
parts); a row's ``datapath`` column (a datapath's ``.name``) pastes back into a config.

A point spells its datapath either as one string or by its parts:

=================  =====================================================================
``datapath``       the whole datapath: ``"e4m3*e4m3 lmul(mantissa_bits=3) -> acc fp16"``
                   (:func:`numsim.get_datapath`; alone, without the keys below)
``format``         input format of A and B: any numsim format (``e4m3``, ``int8``, ``mxfp4``,
                   ``nvfp4``, ``e3m2``, ``fixed<8,6>``, ``bfp(7, 16)``...)
``b_format``       format of B when it differs from A
``multiplier``     :func:`numsim.get_multiplier`: ``exact``, ``lmul``, ``lmul(3)`` (L-Mul on
                   3-bit mantissas), ``mitchell``, ``drum(6)``, ``truncated(vbl=8)``
``accumulator``    :func:`numsim.get_accumulator`: ``fp32``, ``bf16/toward_zero``,
                   ``fixed<32,0>`` (W bits in total, F fraction bits; wraps), ``kulisch``...
``order``          :func:`numsim.get_order`: ``sequential``, ``pairwise``, ``tree(8)``, ``chunked(128)``
``product_format``  round every product into this format (default: exact products)
``out_format``     output format (default: the accumulator's)
``block_size``     block size of a block-scaled ``format`` (overrides the format's own)
=================  =====================================================================

The sweep configs' old accumulator spelling ``fixed(int_bits[, frac_bits])`` (a register of
``int_bits + frac_bits`` bits) is refused with its new spelling ``fixed<W,F>``; ``lmul(m)`` keeps
its meaning.

>>> datapath_from({"format": "e4m3", "multiplier": "lmul(3)", "accumulator": "fp16"}).name
'e4m3*e4m3 lmul(mantissa_bits=3) -> acc fp16 (sequential) -> fp16'
>>> datapath_from({"datapath": "e4m3 lmul(3) -> acc fp16"}) == datapath_from({"format": "e4m3", "multiplier": "lmul(3)", "accumulator": "fp16"})
True
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numsim
from numsim.blocks import BlockFormat

#: The point keys that describe the datapath.
DATAPATH_KEYS = ("datapath", "format", "b_format", "multiplier", "accumulator", "order", "product_format", "out_format", "block_size")
_PART_KEYS = DATAPATH_KEYS[1:]

def format_from(text: str, block_size: int | None = None):
    """An input format from its spelling (:func:`numsim.get_format`), with its block size
    replaced by ``block_size`` for block formats.

    >>> format_from("bfp(7, 16)").bits_per_element, format_from("mxfp4", block_size=16).block_shape
    (8.5, (16,))
    """
    fmt = numsim.get_format(text)
    if block_size is None:
        return fmt
    if not isinstance(fmt, BlockFormat):
        raise ValueError(f"block_size {block_size!r} needs a block format, but format {text!r} is scalar")
    return dataclasses.replace(fmt, block_size=int(block_size), block_shape=(int(block_size),))


@lru_cache(maxsize=4096)
def _datapath(items: tuple) -> numsim.Datapath:
    p = {k: v for k, v in items if v not in (None, "")}
    if "datapath" in p:
        parts = [k for k in _PART_KEYS if k in p]
        if parts:
            raise ValueError(f"a design point spells its datapath as one string ('datapath') or by its parts, not both; it has datapath and {', '.join(parts)}")
        return numsim.get_datapath(p["datapath"])
    if "format" not in p:
        raise ValueError(f"a design point needs a 'format' (or a whole 'datapath') to build a datapath; it has {sorted(p)}")
    block = p.get("block_size")
    kw = {"a_format": format_from(p["format"], block)}
    if "b_format" in p:
        kw["b_format"] = format_from(p["b_format"], block)
    for key in ("multiplier", "accumulator", "order", "product_format", "out_format"):
        if key in p:
            kw[key] = p[key]
    return numsim.Datapath(**kw)


def datapath_from(point: dict) -> numsim.Datapath:
    """The :class:`numsim.Datapath` of a design point (its :data:`DATAPATH_KEYS`; other keys
    ignored). Built once per distinct combination in a process."""
    return _datapath(tuple(sorted((k, point[k]) for k in DATAPATH_KEYS if k in point)))
