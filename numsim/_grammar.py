"""The format grammar as the format classes reach it.

:mod:`numsim.registry` builds its tables out of format objects, so the format classes
(:mod:`numsim.formats`, :mod:`numsim.blocks`) sit below it in the import graph; yet ``fmt.name``
and ``BlockFormat("e2m1", 32)`` need the registry's naming and parsing. The registry installs
both functions here when it is imported (``import numsim`` imports it with the other
descriptions), so the classes call them without importing the registry.
"""

from __future__ import annotations

from typing import Callable

_grammar: dict[str, Callable] = {}


def install(*, format_name: Callable, get_format: Callable) -> None:
    """Called once, by :mod:`numsim.registry`, with its ``format_name`` and ``get_format``."""
    _grammar.update(format_name=format_name, get_format=get_format)


def format_name(fmt) -> str:
    """:func:`numsim.registry.format_name`: the canonical name of any format."""
    return _grammar["format_name"](fmt)


def get_format(fmt):
    """:func:`numsim.get_format`: a format object from an object or a name."""
    return _grammar["get_format"](fmt)
