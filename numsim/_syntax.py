"""Pieces of numsim's one grammar: splitting at the top level, calls with arguments, errors.

Formats, multipliers, accumulators, orders and datapaths print as strings that their parsers read
back (``get_X(x.name) == x``). This module holds what those parsers share: splitting a string at
separators outside brackets (``()``, ``<>``, ``[]``; the arrow ``->`` is not a bracket), reading
``name(arg, key=value, ...)`` calls, and one error type that names the part that failed, its
position in the string and the allowed spellings, with a close match when there is one.

>>> split_top("fixed<8,4>, tree(2), c=fp16", ",")
[('fixed<8,4>', 0), ('tree(2)', 12), ('c=fp16', 21)]
>>> read_call("chunked(128, outer=fp32)", "order")
Call(name='chunked', args=(('128', 8),), kwargs=(('outer', 'fp32', 19),), offset=0)
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

_OPEN, _CLOSE = "(<[", ")>]"


class GrammarError(ValueError):
    """A string of the numsim grammar that does not parse: ``part`` (what was being read) at
    ``position`` of ``text`` (0-based), the problem, and the allowed spellings of that part."""

    def __init__(self, part: str, text: str, position: int, problem: str, allowed: str = "", word: str = "", choices=()):
        close = difflib.get_close_matches(word.lower(), list(choices), n=3, cutoff=0.6) if word else []
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        spellings = f"; allowed: {allowed}" if allowed else ""
        super().__init__(f"{part} at position {position} of {text!r}: {problem}{spellings}{hint}")
        self.part, self.text, self.position = part, text, position


def split_top(text: str, sep: str, offset: int = 0) -> list[tuple[str, int]]:
    """Split ``text`` at ``sep`` outside brackets; each piece stripped, with its position
    (plus ``offset``) in the original string."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text.startswith("->", i) and sep != "->":
            i += 2
            continue
        if depth == 0 and text.startswith(sep, i):
            pieces.append((text[start:i], start))
            i += len(sep)
            start = i
            continue
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and not (ch == ">" and text[i - 1 : i] == "-"):
            depth = max(depth - 1, 0)
        i += 1
    pieces.append((text[start:], start))
    return [_stripped(piece, pos + offset) for piece, pos in pieces]


def _stripped(piece: str, pos: int) -> tuple[str, int]:
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), pos + lead


class Call(NamedTuple):
    """``name(arg, ..., key=value, ...)`` with each argument's text and position."""

    name: str
    args: tuple[tuple[str, int], ...]
    kwargs: tuple[tuple[str, str, int], ...]
    offset: int

    def bind(self, params: tuple[str, ...], part: str, text: str, allowed: str) -> dict[str, tuple[str, int]]:
        """Arguments by parameter name: positional ones in the order of ``params``; unknown or
        repeated names and surplus arguments raise :class:`GrammarError`."""
        if len(self.args) > len(params):
            value, pos = self.args[len(params)]
            raise GrammarError(part, text, pos, f"{self.name} takes at most {len(params)} positional argument(s), got {value!r} too", allowed)
        bound = {p: a for p, a in zip(params, self.args)}
        for key, value, pos in self.kwargs:
            if key not in params:
                raise GrammarError(part, text, pos, f"{self.name} has no argument {key!r} (it takes {', '.join(params) or 'none'})", allowed, key, params)
            if key in bound:
                raise GrammarError(part, text, pos, f"{self.name} got {key!r} twice", allowed)
            bound[key] = (value, pos)
        return bound


def read_call(text: str, part: str, offset: int = 0, allowed: str = "", source: str | None = None) -> Call:
    """Read ``name`` or ``name(arguments)``; argument values stay text (the caller parses them).

    ``source`` is the whole string being parsed (for error messages; default ``text``) and
    ``offset`` the position of ``text`` in it.
    """
    source = text if source is None else source
    stripped, offset = _stripped(text, offset)
    head, paren, rest = stripped.partition("(")
    name = head.strip().lower()
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise GrammarError(part, source, offset, f"expected a name or name(arguments), got {stripped!r}", allowed)
    if not paren:
        return Call(name, (), (), offset)
    if not rest.endswith(")"):
        raise GrammarError(part, source, offset + len(stripped), f"missing ')' in {stripped!r}", allowed)
    inner_at = offset + len(head) + 1
    args, kwargs = [], []
    inner = rest[:-1]
    if inner.strip():
        for piece, pos in split_top(inner, ",", inner_at):
            key, eq, value = piece.partition("=")
            if eq and key.strip().isidentifier():
                kwargs.append((key.strip().lower(), value.strip(), pos + len(key) + 1 + (len(value) - len(value.lstrip()))))
            elif kwargs:
                raise GrammarError(part, source, pos, f"positional argument {piece!r} after keyword arguments", allowed)
            else:
                args.append((piece, pos))
        if any(not v for v, _ in args) or any(not v for _, v, _ in kwargs):
            raise GrammarError(part, source, inner_at, f"empty argument in {stripped!r}", allowed)
    return Call(name, tuple(args), tuple(kwargs), offset)


def read_int(value: str, pos: int, name: str, part: str, text: str) -> int:
    """An integer argument (decimal, or hex with ``0x``)."""
    try:
        return int(value, 0)
    except ValueError:
        raise GrammarError(part, text, pos, f"{name} must be an integer, got {value!r}") from None

