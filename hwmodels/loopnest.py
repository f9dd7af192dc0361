"""Loop-nest analysis of a mapped convolution on a memory hierarchy (Timeloop's counting rules).

A spatial accelerator is a chain of storage :class:`Level` s from DRAM inwards to the PE
scratchpads, each keeping some of the three data spaces (``weights``, ``inputs``, ``outputs``) and
fanning out to ``fanout`` instances of the next level. A *mapping* assigns the seven loops of a
convolution (:class:`ConvProblem`: N, M, C, P, Q, R, S) to the levels: each level has temporal
loops (outer to inner) and spatial loops that spread work over its fan-out. For every level and
data space this module counts, per instance and in total, what Timeloop counts:

- the **tile**: words the loops at and below the level touch (inputs through the sliding window
  ``(P - 1) * stride + R``);
- **fills**: the tile is fetched again each time a temporal loop above changes it, so ``fills =
  tile * (product of the loops above, out to the innermost one that indexes the data space)``;
  loops above that do not index the data space and sit inside it give reuse; no reuse is
  credited when successive tiles merely overlap (neighbouring input windows sharing a halo) or
  coincide (a filter loop shifting a window onto the next output row), as in Timeloop's counts;
- **reads** of a parent: the fills of its children, once per group of children that need the
  same data (spatial loops that do not index the data space multicast);
- **outputs**: every MAC updates the innermost output level; updates reaching a parent are the
  children's drains divided by the spatial reduction (loops over C, R, S across instances); a
  level reads a partial sum for every update but the first of each output (``reads = updates -
  distinct outputs``), and partial sums that leave and come back are filled from the parent.

Cycles are the product of the temporal loops (one MAC per PE per cycle), or longer when a level's
accesses exceed its bandwidth (words per cycle per instance). Energy prices every access with the
level's memory (:class:`~hwmodels.memory.RegisterFile`, :class:`~hwmodels.memory.Sram` or
:class:`~hwmodels.memory.Dram`) at the data space's word width, plus the MACs from
:func:`~hwmodels.mac_cost` and their leakage. :func:`eyeriss_like` builds the Eyeriss-like design
of the Timeloop/Accelergy exercises, :data:`EYERISS_MAPPING` is the mapping Timeloop's mapper
chose for its reference layer.

>>> acc = eyeriss_like()
>>> r = acc.evaluate(EYERISS_PROBLEM, EYERISS_MAPPING)
>>> r.cycles, round(r.utilisation, 2), r.counts["shared_glb", "inputs"].fills
(86016, 0.75, 157296)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from numsim import Datapath
from numsim.datapath import FixedAccumulator

from . import data
from ._checks import boolean, choice, integer, real, string
from .cost import Cost
from .mac import as_datapath, mac_cost, word_bits
from .memory import Dram, RegisterFile, Sram, get_dram
from .systolic import _Rates
from .tech import Tech, get_tech
from .workloads import Conv2d, Gemm, Gemv

DIMS = ("N", "M", "C", "P", "Q", "R", "S")
DATASPACES = ("weights", "inputs", "outputs")
#: The problem dimensions that index each data space.
INDEXES = {"weights": frozenset("MCRS"), "inputs": frozenset("NCPQRS"), "outputs": frozenset("NMPQ")}


@dataclass(frozen=True)
class ConvProblem:
    """A convolution in Timeloop's seven dimensions: ``N`` images, ``M`` output channels, ``C``
    input channels, ``P`` x ``Q`` outputs, ``R`` x ``S`` filter, strides ``stride_h`` /
    ``stride_w``. A GEMM ``[Mg, K] x [K, Ng]`` is ``P = Mg, C = K, M = Ng`` with the rest 1.

    >>> p = ConvProblem(M=32, C=3, P=112, Q=112, R=3, S=3, stride_h=2, stride_w=2)
    >>> p.macs, p.words("inputs"), p.words("weights"), p.words("outputs")
    (10838016, 151875, 864, 401408)
    """

    M: int
    C: int
    P: int
    Q: int = 1
    R: int = 1
    S: int = 1
    N: int = 1
    stride_h: int = 1
    stride_w: int = 1
    name: str = "conv"

    def __post_init__(self) -> None:
        for f in DIMS + ("stride_h", "stride_w"):
            object.__setattr__(self, f, integer(f"ConvProblem.{f}", getattr(self, f)))
        string("ConvProblem.name", self.name)

    @classmethod
    def from_workload(cls, w) -> ConvProblem:
        """The problem of a :class:`~hwmodels.workloads.Conv2d` (its ``batch`` is N), a ``Gemm`` or
        a ``Gemv``; a workload with ``count > 1`` is refused (evaluate once and scale)."""
        if not isinstance(w, (Conv2d, Gemm, Gemv)):
            raise TypeError(f"workload must be a Conv2d, Gemm or Gemv, got {type(w).__name__}")
        if w.count != 1:
            raise ValueError(f"workload {w.name!r} has count={w.count}; evaluate one instance (count=1) and scale the result")
        if isinstance(w, Conv2d):
            return cls(M=w.num_filters, C=w.channels, P=w.ofmap_h, Q=w.ofmap_w, R=w.filter_h, S=w.filter_w, N=w.batch,
                       stride_h=w.stride, stride_w=w.stride, name=w.name)
        g = w.gemm() if isinstance(w, Gemv) else w
        return cls(M=g.N, C=g.K, P=g.M, name=g.name)

    @property
    def bounds(self) -> dict:
        return {d: getattr(self, d) for d in DIMS}

    @property
    def macs(self) -> int:
        return math.prod(self.bounds.values())

    def words(self, dataspace: str, extents: dict | None = None) -> int:
        """Words of ``dataspace`` touched by loops of the given extents (default: the whole problem)."""
        e = self.bounds if extents is None else extents
        if dataspace == "weights":
            return e["M"] * e["C"] * e["R"] * e["S"]
        if dataspace == "inputs":
            # rows the windows touch: overlapping windows span (P - 1) * stride + R, disjoint ones P * R
            h = min((e["P"] - 1) * self.stride_h + e["R"], e["P"] * e["R"])
            w = min((e["Q"] - 1) * self.stride_w + e["S"], e["Q"] * e["S"])
            return e["N"] * e["C"] * h * w
        if dataspace == "outputs":
            return e["N"] * e["M"] * e["P"] * e["Q"]
        raise ValueError(f"dataspace must be one of {', '.join(DATASPACES)}, got {dataspace!r}")


@dataclass(frozen=True)
class Loop:
    """One loop of a mapping: ``bound`` iterations over problem dimension ``dim``, temporal or spatial.

    >>> Loop("Q", 14, spatial=True)
    Loop(dim='Q', bound=14, spatial=True)
    """

    dim: str
    bound: int
    spatial: bool = False

    def __post_init__(self) -> None:
        choice("Loop.dim", self.dim, DIMS)
        object.__setattr__(self, "bound", integer(f"Loop {self.dim} bound", self.bound))
        boolean("Loop.spatial", self.spatial)


_LOOP = re.compile(r"^([NMCPQRS])(\d+)$")


def parse_loops(text: str) -> tuple[Loop, ...]:
    """Loops from a compact string: temporal loops outer to inner, then ``|`` and the spatial ones.

    >>> [(l.dim, l.bound, l.spatial) for l in parse_loops("P14 Q4 | Q14 C3")]
    [('P', 14, False), ('Q', 4, False), ('Q', 14, True), ('C', 3, True)]
    """
    if not isinstance(text, str):
        raise TypeError(f"loops must be a string such as 'P14 Q4 | Q14 C3', got {text!r}")
    parts = text.split("|")
    if len(parts) > 2:
        raise ValueError(f"loops {text!r}: at most one '|' (temporal | spatial)")
    out = []
    for spatial, part in zip((False, True), parts):
        for token in part.split():
            m = _LOOP.match(token)
            if not m:
                raise ValueError(f"loops {text!r}: {token!r} is not a dimension ({''.join(DIMS)}) followed by a bound")
            out.append(Loop(m.group(1), int(m.group(2)), spatial))
    return tuple(out)


@dataclass(frozen=True)
class Level:
    """One storage level: a memory, the data spaces it keeps (the others bypass it), its fan-out to
    the next level inwards and its bandwidth in words per cycle per instance (``inf`` = never limits).

    >>> Level("glb", Sram(128 * 1024, 64, 32), keeps=("inputs", "outputs"), fanout=168).fanout
    168
    """

    name: str
    memory: Dram | Sram | RegisterFile
    keeps: tuple = DATASPACES
    fanout: int = 1
    read_bandwidth: float = math.inf
    write_bandwidth: float = math.inf

    def __post_init__(self) -> None:
        string("Level.name", self.name, empty=False)
        if not isinstance(self.memory, (Dram, Sram, RegisterFile)):
            raise TypeError(f"Level {self.name!r}: memory must be a Dram, Sram or RegisterFile, got {type(self.memory).__name__}")
        keeps = (self.keeps,) if isinstance(self.keeps, str) else tuple(self.keeps)
        bad = [k for k in keeps if k not in DATASPACES]
        if bad or len(set(keeps)) != len(keeps):
            raise ValueError(f"Level {self.name!r}: keeps must be distinct data spaces from {', '.join(DATASPACES)}, got {self.keeps!r}")
        object.__setattr__(self, "keeps", keeps)
        integer(f"Level {self.name!r} fanout", self.fanout)
        for f in ("read_bandwidth", "write_bandwidth"):
            real(f"Level {self.name!r}: {f} (words per cycle)", getattr(self, f), allow_inf=True)

    @property
    def capacity_bits(self) -> float:
        return math.inf if isinstance(self.memory, Dram) else self.memory.capacity_bytes * 8

    def access_pj(self, bits: float, write: bool, tech: Tech) -> float:
        """Energy (pJ) of reading or writing one word of ``bits`` bits (a share of a wide access)."""
        mem = self.memory
        if isinstance(mem, Dram):
            return mem.pj_per_bit * bits
        per_access = mem.write_pj(tech) if write else mem.read_pj(tech)
        return per_access * bits / mem.width_bits


@dataclass(frozen=True)
class Counts:
    """Accesses of one data space at one level, summed over its instances (words)."""

    tile: int
    instances: int
    reads: int
    fills: int
    updates: int
    word_bits: float

    @property
    def per_instance(self) -> dict:
        n = self.instances
        return {"reads": self.reads / n, "fills": self.fills / n, "updates": self.updates / n}


@dataclass(frozen=True)
class NestResult(_Rates):
    """Cycles, utilisation, access counts per (level, data space) and the energy breakdown
    (``energy``: a :class:`Cost` with one entry per level and one for the MACs, pJ per layer);
    ``seconds`` at the accelerator's clock; DRAM bytes from the outermost level's counts, so
    ``tops``, ``tops_per_w`` and ``arithmetic_intensity`` read as for a systolic array."""

    problem: ConvProblem
    macs: int
    cycles: int
    compute_cycles: int
    pes: int
    seconds: float
    levels: tuple  # level names, outermost (the backing store) first
    counts: dict = field(repr=False)
    energy: Cost = field(repr=False)

    def _dram_bytes(self, write: bool) -> float:
        return sum(((c.fills + c.updates) if write else c.reads) * c.word_bits / 8
                   for (level, _), c in self.counts.items() if level == self.levels[0])

    @property
    def dram_read_bytes(self) -> float:
        return self._dram_bytes(write=False)

    @property
    def dram_write_bytes(self) -> float:
        return self._dram_bytes(write=True)

    @property
    def utilisation(self) -> float:
        return self.macs / (self.cycles * self.pes)

    @property
    def energy_pj(self) -> float:
        return self.energy.energy_pj

    @property
    def pj_per_mac(self) -> float:
        return self.energy_pj / self.macs

    def fj_per_mac(self) -> dict:
        """Energy per MAC (fJ) of each component, as Timeloop's summary prints it."""
        return {name: c.energy_pj * 1e3 / self.macs for name, c in self.energy.breakdown}

    def to_frame(self):
        """One row per (level, data space) with totals and per-instance counts (pandas DataFrame)."""
        import pandas as pd

        rows = []
        for (level, ds), c in self.counts.items():
            row = {"level": level, "dataspace": ds, "tile_words": c.tile, "instances": c.instances,
                   "reads": c.reads, "fills": c.fills, "updates": c.updates, "word_bits": c.word_bits}
            row.update({f"{k}_per_instance": v for k, v in c.per_instance.items()})
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Accelerator:
    """A chain of storage levels (outermost first; the first keeps every data space) above
    ``product(fanouts)`` PEs, each one MAC of ``datapath`` per cycle at ``clock_ghz``.

    Word widths: weights and inputs take the datapath's operand formats (block formats with their
    scale overhead); outputs are partial sums of the accumulator's width at a level that holds
    them before every reduction loop has finished, and the output format's width after.
    """

    levels: tuple
    datapath: Datapath | str = "int8"
    tech: Tech | str | float | None = None
    clock_ghz: float = 1.0
    n_terms: int = data.DEFAULT_N_TERMS

    def __post_init__(self) -> None:
        levels = tuple(self.levels)
        if not levels or not all(isinstance(lv, Level) for lv in levels):
            raise TypeError("levels must be a non-empty sequence of Level")
        names = [lv.name for lv in levels]
        if len(set(names)) != len(names):
            raise ValueError(f"level names must be distinct, got {names}")
        if set(levels[0].keeps) != set(DATASPACES):
            raise ValueError(f"the outermost level {levels[0].name!r} must keep every data space (it is the backing store), got {levels[0].keeps}")
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "datapath", as_datapath(self.datapath))
        object.__setattr__(self, "tech", self.tech if isinstance(self.tech, Tech) else get_tech(self.tech))
        real("clock_ghz", self.clock_ghz)
        integer("n_terms", self.n_terms)

    @property
    def pes(self) -> int:
        return math.prod(lv.fanout for lv in self.levels)

    def mac(self) -> Cost:
        """One PE's MAC (no operand registers: the scratchpads hold the operands)."""
        return mac_cost(self.datapath, self.tech, n_terms=self.n_terms)

    def _bits(self) -> dict:
        bits = word_bits(self.datapath, self.n_terms)
        return {"weights": bits["b"], "inputs": bits["a"], "outputs": bits["out"], "psums": bits["psum"]}

    def _nest(self, problem: ConvProblem, mapping) -> list[tuple[Loop, ...]]:
        if not isinstance(mapping, dict):
            raise TypeError(f"mapping must be a dict of level name -> loops, got {type(mapping).__name__}")
        names = [lv.name for lv in self.levels]
        unknown = [k for k in mapping if k not in names]
        if unknown:
            raise ValueError(f"mapping names unknown levels {unknown}; levels are {names}")
        nest = []
        for lv in self.levels:
            loops = mapping.get(lv.name, ())
            loops = parse_loops(loops) if isinstance(loops, str) else tuple(loops)
            if not all(isinstance(lp, Loop) for lp in loops):
                raise TypeError(f"mapping[{lv.name!r}] must be a string or a sequence of Loop")
            spatial = [lp for lp in loops if lp.spatial]
            if any(lp.spatial for lp in loops[: len(loops) - len(spatial)]):
                raise ValueError(f"mapping[{lv.name!r}]: spatial loops must come after the temporal ones")
            fan = math.prod(lp.bound for lp in spatial)
            if fan > lv.fanout:
                raise ValueError(f"mapping[{lv.name!r}]: spatial loops use {fan} instances, the level fans out to {lv.fanout}")
            nest.append(loops)
        for d in DIMS:
            got = math.prod(lp.bound for loops in nest for lp in loops if lp.dim == d)
            if got != getattr(problem, d):
                raise ValueError(f"mapping: the loops over {d} multiply to {got}, the problem has {d} = {getattr(problem, d)}")
        return nest

    def evaluate(self, problem, mapping) -> NestResult:
        """Counts, cycles and energy of ``problem`` (a :class:`ConvProblem` or a workload) under
        ``mapping`` (level name -> loops, as :func:`parse_loops` strings or :class:`Loop` s)."""
        p = problem if isinstance(problem, ConvProblem) else ConvProblem.from_workload(problem)
        nest = self._nest(p, mapping)
        bits = self._bits()
        n_levels = len(self.levels)
        # instances of each level, and the loops at and below it
        instances = [math.prod(lp.bound for loops in nest[:i] for lp in loops if lp.spatial) for i in range(n_levels)]
        below = [[lp for loops in nest[i:] for lp in loops] for i in range(n_levels)]
        above_temporal = [[lp for loops in nest[:i] for lp in loops if not lp.spatial] for i in range(n_levels)]

        def extents(loops) -> dict:
            e = dict.fromkeys(DIMS, 1)
            for lp in loops:
                e[lp.dim] *= lp.bound
            return e

        def changes(i: int, ds: str) -> tuple[int, int]:
            """Tile changes per instance of level i (visits) and distinct tiles among them."""
            loops = [lp for lp in above_temporal[i] if lp.bound > 1]
            inner = max((k for k, lp in enumerate(loops) if lp.dim in INDEXES[ds]), default=-1)
            visits = math.prod(lp.bound for lp in loops[: inner + 1])
            distinct = math.prod(lp.bound for lp in loops if lp.dim in INDEXES[ds])
            return visits, distinct

        def spatial_between(outer: int, inner: int, ds: str, indexing: bool) -> int:
            return math.prod(lp.bound for loops in nest[outer:inner] for lp in loops
                             if lp.spatial and (lp.dim in INDEXES[ds]) == indexing)

        counts = {}
        for ds in DATASPACES:
            keepers = [i for i, lv in enumerate(self.levels) if ds in lv.keeps]
            reads = dict.fromkeys(keepers, 0)
            fills = dict.fromkeys(keepers, 0)
            updates = dict.fromkeys(keepers, 0)
            tiles = {i: p.words(ds, extents(below[i])) for i in keepers}
            if ds != "outputs":
                for parent, child in zip(keepers, keepers[1:]):
                    visits, _ = changes(child, ds)
                    fills[child] = visits * tiles[child] * instances[child]
                    reads[parent] += fills[child] // spatial_between(parent, child, ds, indexing=False)
                innermost = keepers[-1]
                reads[innermost] += p.macs // spatial_between(innermost, n_levels, ds, indexing=False)
            else:
                # the MACs read-modify-write the innermost level: every update but the first of an output
                innermost = keepers[-1]
                updates[innermost] = p.macs // spatial_between(innermost, n_levels, ds, indexing=False)
                reads[innermost] = updates[innermost] - changes(innermost, ds)[1] * tiles[innermost] * instances[innermost]
                for parent, child in zip(keepers, keepers[1:]):
                    visits, distinct = changes(child, ds)
                    n = instances[child] * tiles[child]
                    fills[child] = (visits - distinct) * n  # partial sums that come back from the parent
                    reduce = spatial_between(parent, child, ds, indexing=False)
                    updates[parent] += visits * n // reduce  # every visit drains, reduced across instances
                    reads[parent] += fills[child] // reduce
            for i in keepers:
                if ds == "outputs":
                    final = all(extents(below[i])[d] == getattr(p, d) for d in "CRS")
                    wbits = bits["outputs"] if final else bits["psums"]
                else:
                    wbits = bits[ds]
                counts[self.levels[i].name, ds] = Counts(tiles[i], instances[i], reads[i], fills[i], updates[i], wbits)
        self._check_capacity(counts)
        compute = math.prod(lp.bound for loops in nest for lp in loops if not lp.spatial)
        cycles = compute
        for i, lv in enumerate(self.levels):
            cs = [c for (name, _), c in counts.items() if name == lv.name]
            r = sum(c.reads for c in cs) / instances[i]
            w = sum(c.fills + c.updates for c in cs) / instances[i]
            cycles = max(cycles, math.ceil(r / lv.read_bandwidth), math.ceil(w / lv.write_bandwidth))
        seconds = cycles / (self.clock_ghz * 1e9)
        return NestResult(p, p.macs, cycles, compute, self.pes, seconds, tuple(lv.name for lv in self.levels), counts,
                          self._energy(p, counts, seconds))

    def _check_capacity(self, counts: dict) -> None:
        for lv in self.levels:
            used = sum(c.tile * c.word_bits for (name, _), c in counts.items() if name == lv.name)
            if used > lv.capacity_bits:
                raise ValueError(f"mapping does not fit level {lv.name!r}: its tiles need {used:g} bits, it holds {lv.capacity_bits:g}")

    def _energy(self, p: ConvProblem, counts: dict, seconds: float) -> Cost:
        mac = self.mac()
        parts = [Cost(energy_pj=mac.energy_pj * p.macs + mac.leakage_uw * self.pes * seconds * 1e6, name="MAC")]
        for lv in reversed(self.levels):
            pj = 0.0
            for ds in lv.keeps:
                c = counts[lv.name, ds]
                pj += c.reads * lv.access_pj(c.word_bits, False, self.tech)
                pj += (c.fills + c.updates) * lv.access_pj(c.word_bits, True, self.tech)
            parts.append(Cost(energy_pj=pj, name=lv.name))
        return sum(parts[1:], parts[0]).named("energy")

    def area(self) -> Cost:
        """Area (um^2) of the MACs and of every level's memories (DRAM excluded)."""
        n = 1
        parts = []
        for lv in self.levels:
            if not isinstance(lv.memory, Dram):
                parts.append(Cost(lv.memory.area_um2(self.tech) * n, name=lv.name))
            n *= lv.fanout
        parts.append(Cost(self.mac().area_um2 * self.pes, name="MAC"))
        return sum(parts[1:], parts[0]).named("area")


def eyeriss_like(datapath=None, tech=65, clock_ghz: float = 0.2, dram="lpddr4") -> Accelerator:
    """The Eyeriss-like design of the Timeloop/Accelergy exercises: LPDDR4, a 128 KB global buffer
    (inputs and outputs; weights bypass it) feeding 14 x 12 PEs, each with an ifmap scratchpad
    (12 x 16 b), a weights scratchpad (192 x 16 b) and a psum scratchpad (16 x 16 b). The
    scratchpads of ifmaps and psums are priced as register files; the weights scratchpad, 16 times
    larger, as a small SRAM (the register-file model's read multiplexer grows with the word count
    and prices its 192 words at about 5 pJ per read at 65 nm). Default datapath: 8-bit integers
    into a 16-bit accumulator.

    >>> eyeriss_like().pes
    168
    """
    a = data.EYERISS_LIKE_ARCH
    dp = Datapath("int8", accumulator=FixedAccumulator(a["psum_bits"]), out_format="int8") if datapath is None else datapath
    glb_words, glb_width, glb_banks = a["glb"]
    rf = {name: (depth, width) for name, depth, width in a["spads"]}
    return Accelerator((
        Level("DRAM", get_dram(dram)),
        Level("shared_glb", Sram(glb_words * glb_width // 8, glb_width, glb_banks), ("inputs", "outputs"),
              fanout=a["mesh"][0] * a["mesh"][1], read_bandwidth=a["glb_bandwidth"], write_bandwidth=a["glb_bandwidth"]),
        Level("ifmap_spad", RegisterFile(*rf["ifmap_spad"]), ("inputs",),
              read_bandwidth=a["spad_bandwidth"], write_bandwidth=a["spad_bandwidth"]),
        Level("weights_spad", Sram(rf["weights_spad"][0] * rf["weights_spad"][1] // 8, rf["weights_spad"][1]), ("weights",),
              read_bandwidth=a["spad_bandwidth"], write_bandwidth=a["spad_bandwidth"]),
        Level("psum_spad", RegisterFile(*rf["psum_spad"]), ("outputs",),
              read_bandwidth=a["spad_bandwidth"], write_bandwidth=a["spad_bandwidth"]),
    ), dp, tech, clock_ghz)


#: The reference layer of the Eyeriss-like exercise and the mapping Timeloop's mapper chose for it.
EYERISS_PROBLEM = ConvProblem(**data.EYERISS_LIKE_REFERENCE["problem"], name="eyeriss_like_reference")
EYERISS_MAPPING = dict(data.EYERISS_LIKE_REFERENCE["mapping"])
