"""``Cost``: area, energy per operation, delay and leakage of a hardware unit, with a breakdown.

Costs compose the way hardware does: ``a + b`` puts two units in series (areas, energies and
leakages add, delays add), :meth:`Cost.parallel` side by side (delays take the maximum), and
``k * cost`` is k copies working in parallel (area, energy and leakage times k; the delay stays),
which with ``k < 1`` amortises a shared unit over the operations that share it. Every cost keeps a
named breakdown of its components, so a MAC can say what its energy is spent on.

>>> mult = Cost(282.0, 0.2, 1.4, name="multiplier")
>>> acc = Cost(137.0, 0.1, 0.9, name="accumulator")
>>> mac = (mult + acc).named("mac")
>>> round(mac.energy_pj, 3), mac.delay_ns, [name for name, _ in mac.breakdown]
(0.3, 2.3, ['multiplier', 'accumulator'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._checks import real, string


@dataclass(frozen=True)
class Cost:
    """Area (um^2), energy per operation (pJ), delay (ns) and leakage power (uW) of a unit.

    ``breakdown`` holds ``(name, Cost)`` pairs of the components (empty for a leaf); ``name``
    labels this cost when it becomes a component of another.
    """

    area_um2: float = 0.0
    energy_pj: float = 0.0
    delay_ns: float = 0.0
    leakage_uw: float = 0.0
    name: str = ""
    breakdown: tuple[tuple[str, Cost], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for f in ("area_um2", "energy_pj", "delay_ns", "leakage_uw"):
            object.__setattr__(self, f, real(f, getattr(self, f), inclusive=True))
        string("name", self.name)

    def _parts(self) -> tuple[tuple[str, Cost], ...]:
        if self.breakdown and not self.name:
            return self.breakdown
        return ((self.name or "unnamed", self),)

    def __add__(self, other: Cost) -> Cost:
        """Series composition: everything adds, delays too."""
        if not isinstance(other, Cost):
            return NotImplemented
        return Cost(
            self.area_um2 + other.area_um2, self.energy_pj + other.energy_pj, self.delay_ns + other.delay_ns,
            self.leakage_uw + other.leakage_uw, "", self._parts() + other._parts(),
        )

    def __radd__(self, other):
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    def __mul__(self, k) -> Cost:
        """``k`` copies in parallel (or a 1/k share): area, energy and leakage scale, delay does not."""
        k = real("scale factor", k, inclusive=True)
        return Cost(
            self.area_um2 * k, self.energy_pj * k, self.delay_ns, self.leakage_uw * k, self.name,
            tuple((n, c * k) for n, c in self.breakdown),
        )

    __rmul__ = __mul__

    @staticmethod
    def parallel(*costs: Cost) -> Cost:
        """Units side by side: areas, energies and leakages add; the delay is the longest."""
        if not costs:
            return Cost()
        total = sum(costs, Cost())
        return Cost(total.area_um2, total.energy_pj, max(c.delay_ns for c in costs), total.leakage_uw, "", total.breakdown)

    def named(self, name: str) -> Cost:
        """This cost as one component called ``name`` (its parts become its breakdown)."""
        return Cost(self.area_um2, self.energy_pj, self.delay_ns, self.leakage_uw, name, self._parts() if not self.name else ((self.name, self),))

    def table(self) -> str:
        """The breakdown as a text table with a total row.

        >>> print((Cost(10, 1, 1, name="a") + Cost(30, 3, 2, name="b")).table())
        component   area (um^2)   energy (pJ)   delay (ns)
        a                  10.0         1.000        1.000
        b                  30.0         3.000        2.000
        total              40.0         4.000        3.000
        """
        rows = [(n, c) for n, c in (self.breakdown or ((self.name or "total", self),))]
        width = max([len("component")] + [len(n) for n, _ in rows] + [5])
        lines = [f"{'component':{width}s}  {'area (um^2)':>12s}  {'energy (pJ)':>12s}  {'delay (ns)':>11s}"]
        for n, c in rows:
            lines.append(f"{n:{width}s}  {c.area_um2:12.1f}  {c.energy_pj:12.3f}  {c.delay_ns:11.3f}")
        if self.breakdown:
            lines.append(f"{'total':{width}s}  {self.area_um2:12.1f}  {self.energy_pj:12.3f}  {self.delay_ns:11.3f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()
