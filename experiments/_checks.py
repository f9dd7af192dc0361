"""Argument checks shared by the experiments modules.

Sweep parameters come from configs, so a value of the wrong type is a config error like a value out
of range: both raise ValueError naming the parameter, the value and what is allowed (with the
closest allowed name when one is close). A datapath of the wrong type is a programming error
(TypeError).

>>> count("M", 8), count("seed", 0, minimum=0)
(8, 0)
>>> choice("scaling", "tensr", ("tensor", "channel", "none"))
Traceback (most recent call last):
ValueError: scaling must be one of tensor, channel, none, got 'tensr'; did you mean 'tensor'?
"""

from __future__ import annotations

import difflib
import numbers

import numsim


def count(name: str, value, minimum: int = 1, *, or_none: bool = False) -> int | None:
    """``value`` as an int >= ``minimum`` (1: "a positive integer", 0: "a non-negative integer");
    ``or_none``: None passes too."""
    if or_none and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {what}{' or None' if or_none else ''}, got {value!r}")
    return int(value)


def choice(name: str, value, allowed) -> str:
    """``value`` if it is one of ``allowed``, else ValueError listing them and the closest one."""
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    close = difflib.get_close_matches(value, allowed, n=1) if isinstance(value, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}{hint}")


def datapath(value) -> numsim.Datapath:
    """``value`` if it is a :class:`numsim.Datapath` (TypeError otherwise)."""
    if not isinstance(value, numsim.Datapath):
        raise TypeError(f"datapath must be a numsim.Datapath, got {type(value).__name__}")
    return value
