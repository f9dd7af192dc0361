"""Technology-node scaling of area, energy, latency and leakage (Stillmaker and Baas, 2017).

Between the tabulated nodes (130 ... 7 nm) a node gets a fractional position on the node axis,
linear in nanometres between its two neighbours; areas interpolate linearly along the 45 nm row
of the area matrix and energies linearly in ``E(V) = a V^2 + b V + c`` (hwcomponents' corrected
interpolation: the older accelergy-library-plug-in weights the neighbours the wrong way round,
which puts 28 nm near 20 nm). A factor between two nodes is the ratio of their factors from
45 nm, so factors compose (a -> b -> c equals a -> c) and a node maps to itself with 1; the other
rows of the published matrix, rounded to two digits, agree with these ratios within 6%. Outside the table, area scales with the node ratio and energy with its square root;
energy stops scaling below 1 nm. Latency scales with the node ratio; leakage power like energy.

>>> round(area_factor(45, 7), 3), round(energy_factor(45, 7), 3), round(latency_factor(45, 7), 3)
(0.059, 0.094, 0.156)
"""

from __future__ import annotations

import math
import numbers

from ._checks import real
from .data import AREA_SCALING, ENERGY_POLYNOMIALS, SCALING_NODES_NM

DEFAULT_VOLTAGE = 0.8  # V, the voltage at which the energy factors are usually quoted


def check_node(node_nm, name: str = "node_nm") -> float:
    """``node_nm`` as a positive float (ValueError / TypeError naming ``name`` otherwise)."""
    if isinstance(node_nm, bool) or not isinstance(node_nm, numbers.Real):
        raise TypeError(f"{name} must be a number of nanometres, got {node_nm!r}")
    value = float(node_nm)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of nanometres, got {node_nm!r}")
    return value


def _clamped(node: float) -> tuple[float, float]:
    """``(node inside the table, ratio node / that node)``."""
    lo, hi = SCALING_NODES_NM[-1], SCALING_NODES_NM[0]
    if node < lo:
        return float(lo), node / lo
    if node > hi:
        return float(hi), node / hi
    return node, 1.0


def _position(node: float) -> float:
    """Fractional index of ``node`` (inside the table) on the node axis."""
    nodes = SCALING_NODES_NM
    for i in range(len(nodes) - 1):
        big, small = nodes[i], nodes[i + 1]
        if small <= node <= big:
            return i + (big - node) / (big - small)
    raise AssertionError(node)


def _split(x: float) -> tuple[int, int, float]:
    i = math.floor(x)
    return i, min(i + 1, len(SCALING_NODES_NM) - 1), x - i


def area_factor(from_nm, to_nm) -> float:
    """Multiply an area at ``from_nm`` by this to get it at ``to_nm``.

    >>> round(area_factor(45, 28), 3)
    0.377
    """
    return _area_from_45(check_node(to_nm, "to_nm")) / _area_from_45(check_node(from_nm, "from_nm"))


def _area_from_45(node: float) -> float:
    inside, ratio = _clamped(node)
    i0, i1, f = _split(_position(inside))
    row = AREA_SCALING[SCALING_NODES_NM.index(45)]
    return (row[i0] * (1 - f) + row[i1] * f) * ratio


def _energy_at(node: float, voltage: float) -> float:
    i0, i1, f = _split(_position(node))
    e0 = _poly(ENERGY_POLYNOMIALS[i0], voltage)
    e1 = _poly(ENERGY_POLYNOMIALS[i1], voltage)
    return e0 * (1 - f) + e1 * f


def _poly(coefficients: tuple[float, float, float], v: float) -> float:
    a, b, c = coefficients
    return a * v * v + b * v + c


def energy_factor(from_nm, to_nm, voltage: float = DEFAULT_VOLTAGE, to_voltage: float | None = None) -> float:
    """Multiply an energy at ``from_nm`` and ``voltage`` by this to get it at ``to_nm`` and
    ``to_voltage`` (default: the same voltage), both read from the node's polynomial E(V).

    >>> round(energy_factor(45, 22), 3), round(energy_factor(45, 7, voltage=0.9), 3)
    (0.294, 0.102)
    """
    v = check_voltage(voltage)
    w = v if to_voltage is None else check_voltage(to_voltage)
    src, rs = _clamped(max(check_node(from_nm, "from_nm"), 1.0))
    dst, rd = _clamped(max(check_node(to_nm, "to_nm"), 1.0))
    return _energy_at(dst, w) / _energy_at(src, v) * math.sqrt(rd / rs)


def latency_factor(from_nm, to_nm) -> float:
    """Multiply a delay at ``from_nm`` by this to get it at ``to_nm``: the node ratio."""
    return check_node(to_nm, "to_nm") / check_node(from_nm, "from_nm")


def check_voltage(voltage) -> float:
    """``voltage`` as a float supply voltage between 0.3 and 1.5 V (ValueError / TypeError otherwise)."""
    return real("voltage (V)", voltage, low=0.3, inclusive=True, high=1.5)


def voltage_factor(from_v, to_v) -> float:
    """Energy at a different supply voltage on the same node: ``(to / from)^2``."""
    return (check_voltage(to_v) / check_voltage(from_v)) ** 2
