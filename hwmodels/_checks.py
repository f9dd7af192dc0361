"""Argument checks shared by the hwmodels modules.

Each returns the value in canonical form or raises an error that names the argument, the value
and what is allowed: TypeError for a value of the wrong type, ValueError for one out of range
or not among the allowed names (with the closest allowed name, when one is close).

>>> integer("rows", 8), real("clock_ghz", 1), choice("dataflow", "WS", ("os", "ws", "is"), key=str.lower)
(8, 1.0, 'ws')
>>> choice("placement", "bank_grup", ("bank", "bank_group", "buffer_die"), quoted=True)
Traceback (most recent call last):
ValueError: placement must be one of 'bank', 'bank_group', 'buffer_die', got 'bank_grup'; did you mean 'bank_group'?
"""

from __future__ import annotations

import difflib
import math
import numbers
from typing import Callable, Iterable


def integer(name: str, value, minimum: int = 1, *, what: str | None = None) -> int:
    """``value`` as an int >= ``minimum``; ``what`` words the allowed values in the message
    (default ``"an integer >= minimum"``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what or f'an integer >= {minimum}'}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be {what or f'an integer >= {minimum}'}, got {value!r}")
    return int(value)


def real(name: str, value, *, low: float = 0.0, inclusive: bool = False, high: float = math.inf,
         allow_inf: bool = False) -> float:
    """``value`` as a float above ``low`` (or equal to it with ``inclusive``), at most ``high``,
    finite unless ``allow_inf`` (then ``+inf`` passes). The message is built only on failure:
    cost objects call this for every field."""
    if type(value) is not float and (isinstance(value, bool) or not isinstance(value, numbers.Real)):  # float first: no ABC check
        raise TypeError(f"{name} must be {_real_range(low, inclusive, high, allow_inf)}, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not ((v >= low if inclusive else v > low) and v <= high and (math.isfinite(v) or (allow_inf and v == math.inf))):
        raise ValueError(f"{name} must be {_real_range(low, inclusive, high, allow_inf)}, got {value!r}")
    return v


def _real_range(low: float, inclusive: bool, high: float, allow_inf: bool) -> str:
    return (f"a {'' if allow_inf else 'finite '}number {'>=' if inclusive else '>'} {low:g}"
            + (f" and <= {high:g}" if high < math.inf else ""))


def boolean(name: str, value) -> bool:
    """``value`` if it is True or False."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def string(name: str, value, *, empty: bool = True) -> str:
    """``value`` if it is a string (non-empty unless ``empty``)."""
    if not isinstance(value, str) or (not empty and not value):
        raise TypeError(f"{name} must be a {'' if empty else 'non-empty '}string, got {value!r} ({type(value).__name__})")
    return value


def instance(name: str, value, cls: type, label: str | None = None):
    """``value`` if it is a ``cls`` (named ``label`` in the message, default the class name)."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {label or cls.__name__}, got {value!r} ({type(value).__name__})")
    return value


def choice(name: str, value, allowed: Iterable[str], *, key: Callable[[str], str] | None = None, quoted: bool = False) -> str:
    """The entry of ``allowed`` that ``value`` names: equal to it, or with the same ``key``
    (``str.lower``: any case). Otherwise ValueError ``"{name} must be one of a, b, got 'x'"``
    (``quoted``: ``'a', 'b'``) and the closest allowed name if one is close
    (:func:`difflib.get_close_matches`)."""
    allowed = tuple(allowed)
    key = key or (lambda s: s)
    if isinstance(value, str):
        by_key = {key(a): a for a in allowed}
        if key(value) in by_key:
            return by_key[key(value)]
    listing = ", ".join(map(repr, allowed)) if quoted else ", ".join(allowed)
    raise ValueError(f"{name} must be one of {listing}, got {value!r}{close_match(value, allowed, key)}")


def close_match(value, allowed: Iterable[str], key: Callable[[str], str] | None = None) -> str:
    """``"; did you mean 'x'?"`` for the allowed name closest to ``value``, or ``""``."""
    if not isinstance(value, str):
        return ""
    key = key or (lambda s: s)
    by_key = {key(a): a for a in allowed}
    best = difflib.get_close_matches(key(value), list(by_key), n=1)
    return f"; did you mean {by_key[best[0]]!r}?" if best else ""
