"""``Tech``: the primitive cells, memories and unit calibration of one technology.

The built-in table is 45 nm at 0.9 V (Horowitz's corner). It is derived, not typed in:

- **cells** (full adder, half adder, AND2, OR2, XOR2, MUX2, inverter, flip-flop) have static-CMOS
  transistor counts (:data:`hwmodels.data.CELL_TRANSISTORS`); one area and one energy per
  transistor are fitted by least squares to Horowitz's 8/16/32-bit integer adders modelled as
  ripple-carry adders, and one gate delay to EvoApproxLib's 16-bit ripple adder (1.28 ns over
  15 FA + 1 HA);
- **unit classes**: each of the integer adder, integer multiplier, FP adder and FP multiplier
  has a gate-level structure (:mod:`hwmodels.units`) and two Horowitz rows (8/32-bit integer,
  fp16/fp32). The class multiplies the structure's bare cell cost by the ratio published /
  bare, interpolated log-log between the two anchors and held at the nearer anchor's value
  outside them: both rows are met exactly, the structure carries the width dependence and the
  calibration the absolute level (Horowitz's FP units cost about twice their bare gate count:
  pipelining, denormal and flag logic). Integer multiplications (significand arrays included)
  use the integer-multiplier class, float multiplications the FP-multiplier class, fixed-point
  and Kulisch additions the integer-adder class, float additions the FP-adder class; shifters,
  counters, registers and multiplexers are priced at the bare cells;
- **SRAM**: Intel's 0.346 um^2 45 nm bit cell at an assumed 70% array efficiency; read energy
  per 64 bits 10 pJ at 8 KB (Horowitz) growing with the square root of the capacity (word and
  bit lines grow with the side of the array);
- **DRAM**: the middle of Horowitz's 1.3-2.6 nJ per 64-bit read;
- **leakage**: power per um^2 of the TPE INT8 MAC (32.5 uW over 1287.7 um^2 at 32 nm), carried to
  45 nm with the area and energy factors.

:meth:`Tech.at` moves a table to another node and voltage with the Stillmaker-Baas factors of
:mod:`hwmodels.scaling`; :func:`load_tech` reads a user table (TOML or CSV), whose cells then
price every unit directly (no Horowitz class calibration).

>>> tech = get_tech("45nm")
>>> round(tech.cell("fa").area_um2, 3), round(tech.cell("fa").energy_pj * 1e3, 3)  # um^2, fJ
(4.274, 3.155)
>>> round(get_tech("7nm").area_scale, 3)
0.059
"""

from __future__ import annotations

import csv
import math
import numbers
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache

from . import _gates as g
from ._checks import choice, integer, real
from .cost import Cost
from .data import (
    CELL_GATE_DELAYS,
    CELL_TRANSISTORS,
    EVOAPPROX_ADDERS,
    HOROWITZ_45NM,
    HOROWITZ_DRAM_READ_64B_PJ,
    HOROWITZ_SRAM_READ_64B_PJ,
    SRAM_ARRAY_EFFICIENCY,
    SRAM_BITCELL_45NM_UM2,
    TPE_SAED32,
)
from .scaling import area_factor, check_node, check_voltage, energy_factor, latency_factor

CELL_NAMES = g.CELLS
UNIT_CLASSES = ("int_adder", "int_multiplier", "fp_adder", "fp_multiplier")


@dataclass(frozen=True)
class Cell:
    """Area (um^2), energy per operation (pJ) and delay (ns) of one primitive cell."""

    area_um2: float
    energy_pj: float
    delay_ns: float

    def __post_init__(self) -> None:
        for f in ("area_um2", "energy_pj", "delay_ns"):
            object.__setattr__(self, f, real(f, getattr(self, f)))


@dataclass(frozen=True)
class ClassFit:
    """Calibration of one unit class: the bare cell cost ``raw`` of its two anchor structures and
    the published costs they must have, for area and for energy. Between the anchors the ratio
    published / bare is interpolated log-log (a power law through both points); outside them the
    nearer anchor's ratio holds, so the calibrated cost stays proportional to the structure."""

    raw_area: tuple
    area: tuple
    raw_energy: tuple
    energy: tuple

    def apply(self, area: float, energy: float) -> tuple[float, float]:
        return _through(area, self.raw_area, self.area), _through(energy, self.raw_energy, self.energy)


def _through(raw: float, raws: tuple, refs: tuple) -> float:
    (r0, r1), (p0, p1) = raws, refs
    if raw <= r0:
        return raw * p0 / r0
    if raw >= r1:
        return raw * p1 / r1
    return p0 * (raw / r0) ** (math.log(p1 / p0) / math.log(r1 / r0))


@dataclass(frozen=True)
class Tech:
    """Primitive cells, memories and unit calibration of a technology (see the module docstring).

    ``cells`` is a tuple of :class:`Cell` in :data:`CELL_NAMES` order; ``fits`` pairs unit
    classes with their :class:`ClassFit`; ``area_scale``, ``energy_scale`` and ``delay_scale``
    carry the table to ``node_nm`` / ``voltage`` (1 at the table's own node).
    """

    name: str
    node_nm: float
    voltage: float
    cells: tuple
    sram_bitcell_um2: float
    sram_read_64b_pj: float
    sram_ref_bytes: int
    sram_efficiency: float
    dram_pj_per_bit: float
    leakage_uw_per_um2: float
    fits: tuple = ()
    area_scale: float = 1.0
    energy_scale: float = 1.0
    delay_scale: float = 1.0
    table_node_nm: float | None = None
    table_voltage: float | None = None
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "node_nm", check_node(self.node_nm))
        object.__setattr__(self, "voltage", check_voltage(self.voltage))
        if len(self.cells) != len(CELL_NAMES) or not all(isinstance(c, Cell) for c in self.cells):
            raise ValueError(f"cells must be {len(CELL_NAMES)} Cell objects in the order {CELL_NAMES}")
        for f in ("sram_bitcell_um2", "sram_read_64b_pj", "sram_efficiency", "dram_pj_per_bit"):
            object.__setattr__(self, f, real(f, getattr(self, f)))
        object.__setattr__(self, "leakage_uw_per_um2", real("leakage_uw_per_um2", self.leakage_uw_per_um2, inclusive=True))
        if self.sram_efficiency > 1:
            raise ValueError(f"sram_efficiency is a fraction of the macro area in (0, 1], got {self.sram_efficiency}")
        if self.table_node_nm is None:
            object.__setattr__(self, "table_node_nm", self.node_nm)
        if self.table_voltage is None:
            object.__setattr__(self, "table_voltage", self.voltage)

    def __hash__(self) -> int:  # cached: a Tech keys the cost caches
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.name, self.node_nm, self.voltage, self.cells, self.fits, self.area_scale, self.energy_scale, self.delay_scale, self.leakage_uw_per_um2))
            object.__setattr__(self, "_hash", h)
        return h

    def cell(self, name: str) -> Cell:
        """The cell ``name`` (one of :data:`CELL_NAMES`) at this node."""
        c = self.cells[CELL_NAMES.index(choice("cell", name, CELL_NAMES))]
        return Cell(c.area_um2 * self.area_scale, c.energy_pj * self.energy_scale, c.delay_ns * self.delay_scale)

    def price(self, gates: g.Gates, unit_class: str | None = None, name: str = "") -> Cost:
        """The :class:`Cost` of a gate-level structure, calibrated by ``unit_class`` if the table
        has a fit for it."""
        area = sum(n * c.area_um2 for n, c in zip(gates.counts, self.cells))
        energy = sum(n * c.energy_pj for n, c in zip(gates.counts, self.cells))
        delay = sum(n * c.delay_ns for n, c in zip(gates.path, self.cells))
        fit = dict(self.fits).get(unit_class) if unit_class else None
        if fit is not None and area > 0:
            area, energy = fit.apply(area, energy)
        return Cost(
            area * self.area_scale, energy * self.energy_scale, delay * self.delay_scale,
            area * self.leakage_uw_per_um2 * self.energy_scale, name,
        )

    def at(self, node_nm, voltage=None) -> Tech:
        """This table moved to ``node_nm`` (and ``voltage``, default the table's) with the
        Stillmaker-Baas factors.

        >>> t = get_tech().at(7, 0.8)
        >>> round(t.area_scale, 3), round(t.energy_scale / get_tech().at(45, 0.8).energy_scale, 3)
        (0.059, 0.094)
        """
        node = check_node(node_nm)
        v = self.table_voltage if voltage is None else check_voltage(voltage)
        base = self.table_node_nm
        return replace(
            self,
            name=_node_name(node, v),
            node_nm=node,
            voltage=v,
            area_scale=area_factor(base, node),
            energy_scale=energy_factor(base, node, self.table_voltage, v),
            delay_scale=latency_factor(base, node),
        )

    # ---- memories --------------------------------------------------------------------------

    def sram_read_pj(self, capacity_bytes, bits: int = 64) -> float:
        """Energy (pJ) of reading ``bits`` bits from an SRAM of ``capacity_bytes`` bytes:
        ``E_64(ref) * sqrt(capacity / ref) * bits / 64``.

        >>> [round(get_tech().sram_read_pj(kb * 1024), 1) for kb in (8, 32, 1024)]
        [10.0, 20.0, 113.1]
        """
        c = real("capacity_bytes", capacity_bytes)
        b = real("bits", bits)
        return self.sram_read_64b_pj * math.sqrt(c / self.sram_ref_bytes) * b / 64 * self.energy_scale

    def sram_area_um2(self, capacity_bytes) -> float:
        """Macro area (um^2) of an SRAM of ``capacity_bytes``: bit cells over the array efficiency."""
        c = real("capacity_bytes", capacity_bytes)
        return c * 8 * self.sram_bitcell_um2 / self.sram_efficiency * self.area_scale

    def register_file(self, words: int, bits: int) -> Cost:
        """A flip-flop register file of ``words`` x ``bits``: the storage, a read multiplexer tree
        per bit and a write-enable AND per word; energy and delay of one read."""
        w, b = (integer(n, v, what="a positive integer") for n, v in (("words", words), ("bits", bits)))
        read = g.Gates((0, 0, w, 0, 0, b * (w - 1), 0, 0), (0, 0, 0, 0, 0, g.clog2(w), 0, 0))
        store = self.price(g.register(w * b))
        port = self.price(read, name="read port")
        return Cost(store.area_um2 + port.area_um2, port.energy_pj + self.cell("ff").energy_pj * b, port.delay_ns, store.leakage_uw + port.leakage_uw, "register file")

    def dram_pj(self, bits) -> float:
        """Energy (pJ) of moving ``bits`` bits from DRAM (not scaled with the logic node)."""
        return real("bits", bits, inclusive=True) * self.dram_pj_per_bit


def _node_name(node: float, voltage: float) -> str:
    n = f"{node:g}nm"
    return n if voltage == 0.9 else f"{n}@{voltage:g}V"


# ---- the built-in 45 nm table ------------------------------------------------------------------


def _least_squares_per_transistor() -> tuple[float, float]:
    """Area and energy per transistor fitted to Horowitz's integer adders as ripple adders."""
    rows = [(8, "int8_add"), (16, "int16_add"), (32, "int32_add")]
    t = [bits * CELL_TRANSISTORS["fa"] for bits, _ in rows]
    tt = sum(x * x for x in t)
    area = sum(x * HOROWITZ_45NM[k].area_um2 for x, (_, k) in zip(t, rows)) / tt
    energy = sum(x * HOROWITZ_45NM[k].energy_pj for x, (_, k) in zip(t, rows)) / tt
    return area, energy


def _gate_delay_ns() -> float:
    """One gate delay from EvoApproxLib's 16-bit ripple adder: 15 FA (2 gates) + 1 HA (1 gate)."""
    add = EVOAPPROX_ADDERS["add16u_1A5"]
    return add["delay_ns"] / (15 * CELL_GATE_DELAYS["fa"] + CELL_GATE_DELAYS["ha"])


#: Each unit class: its structure at the two Horowitz rows it is calibrated on.
_ANCHORS = {
    "int_adder": ((g.ripple_adder, (8,), "int8_add"), (g.ripple_adder, (32,), "int32_add")),
    "int_multiplier": ((g.array_multiplier, (8, 8), "int8_mult"), (g.array_multiplier, (32, 32), "int32_mult")),
    "fp_adder": ((g.fp_adder, (5, 10), "fp16_add"), (g.fp_adder, (8, 23), "fp32_add")),
    "fp_multiplier": ((g.fp_multiplier, (5, 10), "fp16_mult"), (g.fp_multiplier, (8, 23), "fp32_mult")),
}


def _fit(bare: Tech, unit_class: str) -> ClassFit:
    lo, hi = ((bare.price(f(*args)), HOROWITZ_45NM[key]) for f, args, key in _ANCHORS[unit_class])
    return ClassFit(
        (lo[0].area_um2, hi[0].area_um2), (lo[1].area_um2, hi[1].area_um2),
        (lo[0].energy_pj, hi[0].energy_pj), (lo[1].energy_pj, hi[1].energy_pj),
    )


@lru_cache(maxsize=1)
def builtin_45nm() -> Tech:
    """The built-in 45 nm, 0.9 V table (see the module docstring for every derivation)."""
    a_t, e_t = _least_squares_per_transistor()
    tau = _gate_delay_ns()
    cells = tuple(Cell(CELL_TRANSISTORS[c] * a_t, CELL_TRANSISTORS[c] * e_t, CELL_GATE_DELAYS[c] * tau) for c in CELL_NAMES)
    # leakage power per um^2: the TPE MAC's, carried from 32 nm to 45 nm
    tpe = TPE_SAED32["mac_leakage_uw"] / TPE_SAED32["mac_cell_area_um2"]
    leak = tpe * energy_factor(32, 45, 0.9) / area_factor(32, 45)
    bare = Tech(
        name="45nm", node_nm=45, voltage=0.9, cells=cells,
        sram_bitcell_um2=SRAM_BITCELL_45NM_UM2, sram_read_64b_pj=HOROWITZ_SRAM_READ_64B_PJ[8 * 1024], sram_ref_bytes=8 * 1024,
        sram_efficiency=SRAM_ARRAY_EFFICIENCY, dram_pj_per_bit=sum(HOROWITZ_DRAM_READ_64B_PJ) / 2 / 64,
        leakage_uw_per_um2=leak, source="built-in: Horowitz 45 nm calibration",
    )
    return replace(bare, fits=tuple((c, _fit(bare, c)) for c in UNIT_CLASSES))


# ---- looking a technology up -------------------------------------------------------------------


def get_tech(spec=None, voltage=None) -> Tech:
    """A :class:`Tech` from ``spec``: a Tech; ``None`` or ``"45nm"`` (the built-in table); a
    node in nm as a number or ``"7nm"`` (the built-in table scaled); or the path of a user
    table (``.toml`` / ``.csv``, see :func:`load_tech`). ``voltage`` (V) rescales the energy.

    >>> get_tech(7).name, get_tech("16nm", voltage=0.8).name
    ('7nm', '16nm@0.8V')
    """
    if isinstance(spec, Tech):
        return spec if voltage is None else spec.at(spec.node_nm, voltage)
    if spec is None:
        return builtin_45nm() if voltage is None else _scaled(45.0, float(check_voltage(voltage)))
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return _scaled(check_node(spec, "tech"), None if voltage is None else check_voltage(voltage))
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and spec.lower().endswith((".toml", ".csv"))):
        tech = load_tech(spec)
        return tech if voltage is None else tech.at(tech.node_nm, voltage)
    if isinstance(spec, str):
        text = spec.strip().lower().replace(" ", "")
        if text.endswith("nm"):
            try:
                node = float(text[:-2])
            except ValueError:
                node = None
            if node is not None:
                return _scaled(check_node(node, "tech"), None if voltage is None else check_voltage(voltage))
    raise ValueError(f"tech must be a Tech, a node such as '45nm', '7nm' or 16 (nm), or the path of a .toml/.csv table; got {spec!r}")


@lru_cache(maxsize=256)
def _scaled(node: float, voltage: float | None) -> Tech:
    base = builtin_45nm()
    if node == base.node_nm and voltage in (None, base.voltage):
        return base
    return base.at(node, voltage)


# ---- user tables -------------------------------------------------------------------------------

_UNITS = {
    "area": {"um2": 1.0, "nm2": 1e-6, "mm2": 1e6},
    "energy": {"pj": 1.0, "fj": 1e-3, "nj": 1e3},
    "delay": {"ns": 1.0, "ps": 1e-3},
}


def _quantity(where: str, entries: dict, kind: str, required: bool = True):
    """The value of ``kind`` (area / energy / delay) in ``entries``, converted from its unit."""
    found = [k for k in entries if k.lower().split("_")[0] == kind]
    if not found:
        if required:
            raise ValueError(f"{where}: missing {kind}; give it as {', '.join(kind + '_' + u for u in _UNITS[kind])}")
        return None
    if len(found) > 1:
        raise ValueError(f"{where}: {kind} given twice ({', '.join(found)})")
    key = found[0]
    unit = key.lower()[len(kind) + 1:]
    if unit not in _UNITS[kind]:
        raise ValueError(f"{where}: field {key!r} has no known unit; use {', '.join(kind + '_' + u for u in _UNITS[kind])}")
    value = entries[key]
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{where}: {key} must be a number, got {value!r}") from None
    return real(f"{where}: {key}", value) * _UNITS[kind][unit]


def _cells_from(where: str, table: dict) -> tuple:
    missing = [c for c in CELL_NAMES if c not in table]
    if missing:
        raise ValueError(f"{where}: missing primitive cells {missing}; a table needs all of {list(CELL_NAMES)}")
    unknown = sorted(set(table) - set(CELL_NAMES))
    if unknown:
        raise ValueError(f"{where}: unknown cells {unknown}; allowed: {list(CELL_NAMES)}")
    return tuple(
        Cell(_quantity(f"{where} cell {c!r}", table[c], "area"), _quantity(f"{where} cell {c!r}", table[c], "energy"), _quantity(f"{where} cell {c!r}", table[c], "delay"))
        for c in CELL_NAMES
    )


def load_tech(path, *, node_nm=None, voltage=None, name: str | None = None) -> Tech:
    """A user's cell table from a TOML or CSV file.

    TOML: ``node_nm`` and ``voltage`` at the top, a ``[cells.<name>]`` table for each of
    :data:`CELL_NAMES` with ``area_um2``, ``energy_pj`` and ``delay_ns`` (``_nm2``/``_mm2``,
    ``_fj``/``_nj`` and ``_ps`` are converted), and optional ``[sram]`` (``bitcell_um2``,
    ``read_64b_pj``, ``ref_bytes``, ``efficiency``), ``[dram]`` (``pj_per_bit``) and
    ``[leakage]`` (``uw_per_um2``); what is left out is the built-in table scaled to the node.
    CSV: one row per cell with columns ``cell``, ``area_um2``, ``energy_pj``, ``delay_ns``;
    ``node_nm`` (and ``voltage``, default 0.9 V) are then keyword arguments.
    The cells price every unit directly (no Horowitz class calibration).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"tech table {path!r} does not exist")
    where = os.path.basename(path)
    if path.lower().endswith(".toml"):
        data = _read_toml(path)
        known = {"name", "node_nm", "voltage", "cells", "sram", "dram", "leakage"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(known)}")
        node = data.get("node_nm", node_nm)
        v = data.get("voltage", voltage if voltage is not None else 0.9)
        if node is None:
            raise ValueError(f"{where}: missing node_nm (the table's technology node in nm)")
        if not isinstance(data.get("cells"), dict):
            raise ValueError(f"{where}: missing [cells.<name>] tables for {list(CELL_NAMES)}")
        cells = _cells_from(where, data["cells"])
        extra = {k: data.get(k, {}) for k in ("sram", "dram", "leakage")}
        label = data.get("name", name)
    elif path.lower().endswith(".csv"):
        if node_nm is None:
            raise ValueError(f"{where}: a CSV cell table needs node_nm=... (the table's technology node in nm)")
        node, v = node_nm, 0.9 if voltage is None else voltage
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        if not rows or "cell" not in rows[0]:
            raise ValueError(f"{where}: expected a header with columns cell, area_um2, energy_pj, delay_ns")
        table = {}
        for row in rows:
            table[row["cell"].strip().lower()] = {k: value for k, value in row.items() if k and k != "cell"}
        cells = _cells_from(where, table)
        extra = {"sram": {}, "dram": {}, "leakage": {}}
        label = name
    else:
        raise ValueError(f"tech table must be a .toml or .csv file, got {path!r}")
    node = check_node(node, f"{where}: node_nm")
    v = check_voltage(v)
    ref = get_tech(node, voltage=v)
    sram, dram, leak = extra["sram"], extra["dram"], extra["leakage"]
    for section, allowed, d in (("sram", {"bitcell_um2", "read_64b_pj", "ref_bytes", "efficiency"}, sram), ("dram", {"pj_per_bit"}, dram), ("leakage", {"uw_per_um2"}, leak)):
        if not isinstance(d, dict):
            raise ValueError(f"{where}: [{section}] must be a table")
        bad = sorted(set(d) - allowed)
        if bad:
            raise ValueError(f"{where}: unknown keys {bad} in [{section}]; allowed: {sorted(allowed)} (units are part of the name)")
    return Tech(
        name=label or f"{where} ({node:g}nm)", node_nm=node, voltage=v, cells=cells,
        sram_bitcell_um2=sram.get("bitcell_um2", ref.sram_bitcell_um2 * ref.area_scale),
        sram_read_64b_pj=sram.get("read_64b_pj", ref.sram_read_64b_pj * ref.energy_scale),
        sram_ref_bytes=int(real(f"{where}: sram.ref_bytes", sram.get("ref_bytes", ref.sram_ref_bytes))),
        sram_efficiency=sram.get("efficiency", ref.sram_efficiency),
        dram_pj_per_bit=dram.get("pj_per_bit", ref.dram_pj_per_bit),
        leakage_uw_per_um2=leak.get("uw_per_um2", ref.leakage_uw_per_um2 * ref.energy_scale / ref.area_scale),
        source=path,
    )


def _read_toml(path: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    with open(path, "rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{os.path.basename(path)}: not valid TOML ({exc})") from None


__all__ = ["CELL_NAMES", "Cell", "ClassFit", "Tech", "UNIT_CLASSES", "builtin_45nm", "get_tech", "load_tech"]
