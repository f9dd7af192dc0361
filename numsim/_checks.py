"""Argument checks shared by numsim's constructors and functions.

Each check returns the normalised value or raises ``TypeError``/``ValueError`` naming the argument,
the value and what is allowed.

>>> check_int("bits", 8, 1, 32), check_choice("anchor", " Product", ("product", "normalized"))
(8, 'product')
>>> check_bool("signed", 1)
Traceback (most recent call last):
...
TypeError: signed must be True or False, got 1 of type int
"""

from __future__ import annotations

import numbers


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (no upper bound when ``high`` is None); bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and <= {high}"
        raise ValueError(f"{name} must be >= {low}{upper}, got {value}")
    return value


def check_choice(name: str, value, allowed: tuple[str, ...]) -> str:
    """``value`` lower-cased and stripped if it is one of ``allowed``, else a ValueError naming them."""
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value.strip().lower()


def check_bool(name: str, value) -> bool:
    """``value`` as a bool: Python and NumPy booleans only (not 0 and 1)."""
    if type(value).__name__ not in ("bool", "bool_"):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}")
    return bool(value)


def check_axis(axis, ndim: int) -> int:
    """``axis`` of an array of ``ndim >= 1`` dimensions, as an index in ``[0, ndim)``."""
    return check_int("axis", axis, -ndim, ndim - 1) % ndim
