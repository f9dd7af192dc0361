"""Systolic arrays: cycles, utilisation, SRAM and DRAM traffic, energy, area and throughput.

A :class:`SystolicArray` is an R x C grid of processing elements, each one multiply-accumulate of a
:class:`numsim.Datapath` (priced with :func:`hwmodels.mac_cost`), fed by three double-buffered
SRAMs (ifmap, filter, ofmap) and an off-chip DRAM. A workload (:mod:`hwmodels.workloads`) is
mapped as SCALE-Sim maps it: a GEMM ``C[M, N] = A[M, K] B[K, N]`` (a convolution through its
im2col GEMM) becomes spatial rows S_R, spatial columns S_C and a streamed dimension T,

========  ==========  ==========  ===========
dataflow  S_R (rows)  S_C (cols)  T (streamed)
========  ==========  ==========  ===========
``os``    M           N           K
``ws``    K           N           M
``is``    K           M           N
========  ==========  ==========  ===========

cut into ``folds = ceil(S_R / R) * ceil(S_C / C)`` tiles that run one after another.

Cycle models
------------
``cycle_model="scalesim"`` reproduces SCALE-Sim 3.0's code exactly: ``folds * (2R + C + T - 2) - 1``
for WS and IS, ``folds * (R + C + T - 2) - 1`` for OS (the code skips the R cycles that a stationary
operand needs to load; the paper's formula has them: scalesim-project/scale-sim-v3 issue #4), the
final ``-1`` because its report prints the index of the last cycle. ``cycle_model="paper"`` counts
cycles with the ISPASS 2020 paper's ``folds * (2R + C + T - 2)`` for every dataflow.
``cycle_model="pipelined"`` double-buffers the stationary operand, as NPUs do (TPU v1 holds a second
weight tile "to hide the 256 cycles it takes to shift a tile in", Jouppi et al. ISCA 2017; NeuPIMs'
systolic core starts a weight preload R cycles after the previous tile's start): the next fold's
R-cycle load and the last fold's skew overlap the stream, so folds issue every ``max(T, R)`` cycles
and a layer takes ``R + (folds - 1) * max(T, R) + T + R + C - 2`` (one fold: the paper's count). SRAM access
counts are SCALE-Sim's (its OS ofmap count includes the ``folds * (R + C)`` artefact of its output
demand matrix in ``"scalesim"`` mode only).

Memory traffic and stalls
-------------------------
Element widths come from the datapath (block formats include their scale overhead), so narrower
formats move fewer bytes. What reaches DRAM depends on the cycle model:

* ``"paper"`` and ``"pipelined"`` use our physical double-buffer model: half of each buffer (the
  *active half*) holds the tile in use while the other half is filled. DRAM reads are the unique
  words of an operand when they fit in the active half; otherwise the part of it that the fold
  loop re-visits is fetched again on each visit (:func:`_dram_reads`). The output buffer
  accumulates partial sums across row folds while one column fold's outputs fit in its active
  half, so only finished outputs reach DRAM (partial sums that do not fit are written per row
  fold; reading them back is not counted).
* ``"scalesim"`` reproduces the artefacts of SCALE-Sim's CALC-mode buffers, word for word. WS
  and IS write partial sums to DRAM per row fold. Its
  read buffer keeps the distinct words it fetched in a window of ``50 * floor(words / 100)`` words
  (50 sets of a 100th of the buffer) and empties the window when it is full, whatever the array
  still needs (:func:`_read_window`). Each operand's demand is a sequence of blocks, a block
  being a set of distinct words streamed several times in a row (a pass of the fold loop over
  it), and the reads follow in closed form (:func:`_window_reads`, :func:`_scalesim_dram_reads`).
  Its output buffer drains half of itself whenever it holds more than half, and once counts
  C - 1 padding words as written when that half is a multiple of C (at least 2C) and the outputs
  exceed it by two or more (:func:`_scalesim_dram_writes`). Exact on every recorded SCALE-Sim
  run but one kind: a convolution whose windows overlap (a pass requests some input words more
  than once) and whose unique ifmap words fill the read window. SCALE-Sim then also re-fetches
  words that the window dropped between two uses within a pass, which depends on where in the
  walk of the windows each wrap falls; the model counts each unique word once per pass, an
  estimate below SCALE-Sim's count (4% to 68% below on the nine recorded runs of that kind, up to
  87% below on others we checked). The filter and output counts stay exact there.

With a finite DRAM bandwidth, a layer stalls for the cycles its traffic needs beyond its compute
cycles; the first tile's fill and the last tile's drain are reported separately as
``prefetch_cycles``.

>>> from hwmodels.workloads import Gemm
>>> arr = SystolicArray(4, 4, "ws", dram_bandwidth_gb_s=float("inf"))
>>> r = arr.run(Gemm(16, 16, 16))
>>> r.cycles, r.sram_reads, r.sram_writes
(415, {'ifmap': 1024, 'filter': 256}, {'ofmap': 1024})
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from numsim import Datapath

from ._checks import choice, integer, real
from .cost import Cost
from .data import DEFAULT_N_TERMS
from .mac import as_datapath, mac_cost, word_bits
from .memory import Dram, Sram, get_dram
from .tech import Tech, get_tech
from .workloads import Elementwise, as_gemm

DATAFLOWS = ("os", "ws", "is")
CYCLE_MODELS = ("scalesim", "paper", "pipelined")
OPERANDS = ("ifmap", "filter", "ofmap")


def parse_dataflow(text: str) -> str:
    """The dataflow ``text`` names, in any case: ``"os"``, ``"ws"`` or ``"is"`` (ValueError
    listing them otherwise).

    >>> parse_dataflow("WS")
    'ws'
    """
    return choice("dataflow", text, DATAFLOWS, key=str.lower)


def parse_cycle_model(text: str) -> str:
    """The cycle model ``text`` names, in any case: ``"scalesim"``, ``"paper"`` or
    ``"pipelined"`` (ValueError listing them otherwise).

    >>> parse_cycle_model("Paper")
    'paper'
    """
    return choice("cycle_model", text, CYCLE_MODELS, key=str.lower)


def mapping(dataflow: str, M: int, N: int, K: int) -> tuple[int, int, int]:
    """Spatial rows S_R, spatial columns S_C and streamed length T of a GEMM under ``dataflow``.

    >>> mapping("ws", M=32, N=8, K=20)
    (20, 8, 32)
    """
    df = parse_dataflow(dataflow)
    return {"os": (M, N, K), "ws": (K, N, M), "is": (K, M, N)}[df]


def fold_cycles(rows: int, cols: int, dataflow: str, T: int, cycle_model: str = "scalesim") -> int:
    """Cycles one fold takes on its own on an R x C array streaming T: ``2R + C + T - 2`` (R cycles
    to load the stationary operand, then the skewed stream), or ``R + C + T - 2`` for OS as SCALE-Sim
    codes it. (``"pipelined"`` counts an isolated fold as ``"paper"`` does; it overlaps successive folds.)

    >>> fold_cycles(4, 4, "ws", 16), fold_cycles(4, 4, "os", 16), fold_cycles(4, 4, "os", 16, "paper")
    (26, 22, 26)
    """
    df = parse_dataflow(dataflow)
    model = parse_cycle_model(cycle_model)
    load = rows if (df != "os" or model != "scalesim") else 0
    return load + rows + cols + T - 2


@dataclass(frozen=True)
class _Tile:
    """Closed-form counts of one GEMM on one array (words, cycles)."""

    compute_cycles: int
    folds: int
    used_pe_slots: int          # sum over folds of rows_used * cols_used
    sram_reads: tuple[int, int]  # ifmap, filter
    sram_writes: int             # ofmap
    dram_reads: tuple[int, int]
    dram_writes: int
    first_fill: tuple[int, int]  # words of ifmap / filter the first fold needs before it starts
    last_drain: int              # ofmap words left to write after the last fold


@lru_cache(maxsize=1 << 16)
def _gemm_on_array(M: int, N: int, K: int, unique_ifmap: int, R: int, C: int, df: str, model: str,
                   buffer_words: tuple[int, int, int]) -> _Tile:
    s_r, s_c, t = mapping(df, M, N, K)
    row_folds, col_folds = -(-s_r // R), -(-s_c // C)
    folds = row_folds * col_folds
    if model == "pipelined":
        cycles = R + (folds - 1) * max(t, R) + t + R + C - 2
    else:
        cycles = folds * fold_cycles(R, C, df, t, model) - (1 if model == "scalesim" else 0)
    # SRAM words each operand delivers (SCALE-Sim's demand matrices, in GEMM terms)
    if df == "os":
        reads = (M * K * col_folds, K * N * row_folds)
        writes = M * N + (folds * (R + C) if model == "scalesim" else 0)
    elif df == "ws":
        reads = (M * K * col_folds, K * N)
        writes = M * N * row_folds
    else:
        reads = (M * K, K * N * -(-M // C))
        writes = M * N * row_folds
    if model == "scalesim":
        dram = _scalesim_dram_reads(N, K, unique_ifmap, C, df, row_folds, col_folds, buffer_words[:2])
        # partial sums leave per row fold; the OS artefact never reaches DRAM
        dram_writes = _scalesim_dram_writes(M * N if df == "os" else writes, C, buffer_words[2])
    else:
        half = tuple(w // 2 for w in buffer_words)
        dram = _dram_reads(M, N, K, unique_ifmap, R, C, df, row_folds, col_folds, half)
        # partial sums stay in the output buffer across row folds while one column fold's outputs fit
        psum_tile = 0 if df == "os" else t * min(s_c, C)
        dram_writes = M * N if psum_tile <= half[2] else writes
    rows_last, cols_last = s_r - (row_folds - 1) * R, s_c - (col_folds - 1) * C
    first = _first_fill(M, N, K, R, C, df, t)
    drain = (rows_last if df == "os" else t) * cols_last  # outputs of the last fold: one per PE (OS), T per column
    return _Tile(cycles, folds, s_r * s_c, reads, writes, dram, dram_writes, first, drain)


def _dram_reads(M, N, K, unique_ifmap, R, C, df, row_folds, col_folds, half_words) -> tuple[int, int]:
    """DRAM words read for ifmap and filter in the ``"paper"`` model (double buffers whose active
    half holds ``half_words`` words of ifmap and filter).

    An operand is read once if all of it fits in the active half of its buffer. Otherwise the part
    that a fold loop re-visits is fetched again each time: in OS the filter (K x N) once per row
    fold, in WS the ifmap tile of a row fold (M x R) once per column fold, in IS the filter tile of
    a row fold (R x N) once per column fold; an operand tile that fits is kept for its re-visits.
    The stationary operand of WS (filter) and IS (ifmap) is used by one fold per element: read once.
    """
    half_if, half_fl = half_words[:2]
    ifmap, filt = unique_ifmap, K * N
    if df == "os":
        if_reads = ifmap if (ifmap <= half_if or R * K <= half_if) else ifmap * col_folds
        fl_reads = filt if filt <= half_fl else filt * row_folds
    elif df == "ws":
        if_reads = ifmap if (ifmap <= half_if or M * min(R, K) <= half_if) else ifmap * col_folds
        fl_reads = filt
    else:
        if_reads = ifmap
        fl_reads = filt if (filt <= half_fl or min(R, K) * N <= half_fl) else filt * col_folds
    return if_reads, fl_reads


def _read_window(buffer_words: int) -> int | None:
    """Distinct words SCALE-Sim's CALC-mode read buffer (``ReadBufferEstimateBw``) keeps before it
    empties its window: the active half is 50 sets of ``floor(buffer_words / 100)`` words. A
    buffer of fewer than 100 words never closes a set: ``None``, a window that never fills.

    >>> _read_window(1024), _read_window(99)
    (500, None)
    """
    per_set = buffer_words // 100
    return 50 * per_set if per_set else None


def _window_reads(z: int, passes: int, blocks: int, window: int | None, held: int = 0) -> tuple[int, int]:
    """Words SCALE-Sim's read buffer fetches for ``blocks`` blocks, one after another, each of
    ``z`` distinct words (no word in two blocks, nor among the ``held`` words the window holds at
    the start) streamed ``passes`` times in a row in the same order; returns (words fetched, words
    the window holds at the end).

    The window fetches every requested word it does not hold and empties itself once it holds
    ``window`` words. A block that fits next to what the window holds is fetched once; a block of
    ``window`` words or more is fetched on every pass (each pass empties the window before it
    returns to its first words); a block in between wraps the window once: its first pass fetches
    all of it, the second pass the ``z - s`` words the wrap dropped (``s`` words of it survive the
    wrap), and the window then holds the block, so that every ``k = ceil(window / z) - 1`` further
    blocks fill the window once (``window`` words fetched).

    >>> _window_reads(300, passes=3, blocks=1, window=500, held=400)   # 200 of its words survive the wrap
    (400, 300)
    """
    if window is None:
        return blocks * z, held + blocks * z
    if passes == 1 or z >= window:
        fetched = blocks * z * passes
        return fetched, (held + fetched) % window
    fit = -(-(window - held) // z) - 1  # blocks that fit before the first wrap
    if blocks <= fit:
        return blocks * z, held + blocks * z
    periods, extra = divmod(blocks - fit - 1, -(-window // z) - 1)
    return z + window - held + periods * window + extra * z, (extra + 1) * z


def _scalesim_dram_reads(N, K, unique_ifmap, C, df, row_folds, col_folds, buffer_words) -> tuple[int, int]:
    """DRAM words SCALE-Sim reads for ifmap and filter (words, through :func:`_window_reads`).

    SCALE-Sim runs the column folds in the outer loop and the row folds inside it. The ifmap
    demand is one block, its ``unique_ifmap`` words, streamed once per column fold in OS and WS
    (every column fold re-streams the whole ifmap) and once in IS (stationary). The filter demand
    is, in OS, one block per column fold (its ``K x C`` filter columns) streamed once per row fold;
    in WS one block of ``K x N`` words streamed once (stationary); in IS one block of ``K x N``
    words streamed once per column fold. Where convolution windows overlap, a pass requests some
    ifmap words more than once; that changes nothing while the unique words fit the window, and
    makes the ifmap count a lower estimate otherwise (see the module docstring).
    """
    win_if, win_fl = (_read_window(w) for w in buffer_words)
    if_reads, _ = _window_reads(unique_ifmap, 1 if df == "is" else col_folds, 1, win_if)
    if df == "os":
        full, last = divmod(N, C)
        fl_reads, held = _window_reads(K * C, row_folds, full, win_fl)
        if last:
            fl_reads += _window_reads(K * last, row_folds, 1, win_fl, held)[0]
    else:
        fl_reads, _ = _window_reads(K * N, 1 if df == "ws" else col_folds, 1, win_fl)
    return if_reads, fl_reads


def _scalesim_dram_writes(words: int, C: int, buffer_words: int) -> int:
    """DRAM words SCALE-Sim's output buffer (``write_buffer``, lines of ``C`` words) counts as
    written for ``words`` outputs.

    Whenever it holds more than ``D = floor(buffer_words / 2)`` words it drains ``ceil(D / C)``
    lines, counting C words a line except the padding of the drain's last line. Output D + 1
    starts the first drain and closes its own line early, padded to C words. When C does not
    divide D, that line is the last one of the first drain and every drain after it is aligned the
    same way: the count is exact. When C divides D, the first drain takes the D / C full lines
    before it and the padded line leads the next drain, so its C - 1 padding words are counted,
    unless that drain is a single line (D = C, or no output follows output D + 1).

    >>> _scalesim_dram_writes(600, 4, 1024), _scalesim_dram_writes(600, 3, 1024), _scalesim_dram_writes(513, 4, 1024)
    (603, 600, 513)
    """
    drain = buffer_words // 2
    padded = drain % C == 0 and drain >= 2 * C and words >= drain + 2
    return words + (C - 1 if padded else 0)


def _first_fill(M, N, K, R, C, df, t) -> tuple[int, int]:
    if df == "os":
        return min(M, R) * K, K * min(N, C)
    if df == "ws":
        return M * min(K, R), min(K, R) * min(N, C)
    return min(K, R) * min(M, C), min(K, R) * N


class _Rates:
    """Throughput, efficiency and intensity of a result with ``macs``, ``seconds``, ``energy_pj``
    and DRAM bytes."""

    @property
    def tops(self) -> float:
        """Achieved tera-operations per second (2 per MAC)."""
        return 2 * self.macs / self.seconds / 1e12 if self.seconds else 0.0

    @property
    def tops_per_w(self) -> float:
        """Operations per picojoule = TOPS/W."""
        return 2 * self.macs / self.energy_pj if self.energy_pj else 0.0

    @property
    def arithmetic_intensity(self) -> float:
        """Operations per DRAM byte moved."""
        moved = self.dram_read_bytes + self.dram_write_bytes
        return 2 * self.macs / moved if moved else math.inf


@dataclass(frozen=True)
class LayerResult(_Rates):
    """What one workload costs on a :class:`SystolicArray`.

    Cycles are array clock cycles; access counts are in words (elements) per operand; bytes use the
    datapath's element widths; ``energy`` is a :class:`Cost` whose breakdown names the MACs, each
    SRAM, the DRAM and leakage (pJ for the whole layer, area of the machine).
    """

    name: str
    macs: int
    cycles: int
    compute_cycles: int
    stall_cycles: int
    prefetch_cycles: int
    folds: int
    mapping_efficiency: float
    utilisation: float
    sram_reads: dict = field(default_factory=dict)
    sram_writes: dict = field(default_factory=dict)
    dram_reads: dict = field(default_factory=dict)
    dram_writes: dict = field(default_factory=dict)
    dram_read_bytes: float = 0.0
    dram_write_bytes: float = 0.0
    seconds: float = 0.0
    energy: Cost = Cost()

    @property
    def energy_pj(self) -> float:
        return self.energy.energy_pj


@dataclass(frozen=True)
class RunResult(_Rates):
    """Several workloads run one after another; totals over :attr:`layers`."""

    layers: tuple[LayerResult, ...]
    area_um2: float

    def _sum(self, attr: str):
        return sum(getattr(r, attr) for r in self.layers)

    macs = property(lambda self: self._sum("macs"))
    cycles = property(lambda self: self._sum("cycles"))
    compute_cycles = property(lambda self: self._sum("compute_cycles"))
    stall_cycles = property(lambda self: self._sum("stall_cycles"))
    seconds = property(lambda self: self._sum("seconds"))
    dram_read_bytes = property(lambda self: self._sum("dram_read_bytes"))
    dram_write_bytes = property(lambda self: self._sum("dram_write_bytes"))

    @property
    def energy(self) -> Cost:
        return sum((r.energy for r in self.layers), Cost()).named("run")

    @property
    def energy_pj(self) -> float:
        return self._sum("energy_pj")

    @property
    def utilisation(self) -> float:
        weights = [r.compute_cycles for r in self.layers if r.macs]
        return sum(r.utilisation * r.compute_cycles for r in self.layers if r.macs) / sum(weights) if weights else 0.0

    @property
    def tops_per_mm2(self) -> float:
        return self.tops / (self.area_um2 * 1e-6)

    def to_frame(self):
        """One row per layer (pandas DataFrame) with units in the column names."""
        import pandas as pd

        rows = []
        for r in self.layers:
            row = {"layer": r.name, "macs": r.macs, "cycles": r.cycles, "compute_cycles": r.compute_cycles,
                   "stall_cycles": r.stall_cycles, "prefetch_cycles": r.prefetch_cycles, "folds": r.folds,
                   "mapping_efficiency": r.mapping_efficiency, "utilisation": r.utilisation,
                   "dram_read_bytes": r.dram_read_bytes, "dram_write_bytes": r.dram_write_bytes,
                   "time_s": r.seconds, "energy_pj": r.energy_pj}
            row.update({f"sram_{k}_reads": v for k, v in r.sram_reads.items()})
            row.update({f"sram_{k}_writes": v for k, v in r.sram_writes.items()})
            row.update({f"energy_{name}_pj": c.energy_pj for name, c in r.energy.breakdown})
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Roofline:
    """Attainable throughput of a machine at an arithmetic intensity (operations per DRAM byte)."""

    peak_tops: float
    bandwidth_gb_s: float
    arithmetic_intensity: float

    @property
    def ridge_point(self) -> float:
        """Intensity (ops/byte) above which the machine is compute-bound."""
        return self.peak_tops * 1e3 / self.bandwidth_gb_s

    @property
    def attainable_tops(self) -> float:
        return min(self.peak_tops, self.arithmetic_intensity * self.bandwidth_gb_s / 1e3)

    @property
    def bound(self) -> str:
        return "compute" if self.arithmetic_intensity >= self.ridge_point else "memory"


def _grid(n_arrays) -> tuple[int, int]:
    if isinstance(n_arrays, tuple):
        if len(n_arrays) != 2:
            raise ValueError(f"n_arrays must be an int or a (rows, cols) pair of arrays, got {n_arrays!r}")
        return integer("n_arrays[0]", n_arrays[0]), integer("n_arrays[1]", n_arrays[1])
    return 1, integer("n_arrays", n_arrays)


@dataclass(frozen=True)
class SystolicArray:
    """An R x C systolic array (or a grid of them) with its SRAMs and DRAM.

    Parameters
    ----------
    rows, cols : int
        Processing elements per column and per row.
    dataflow : str
        ``"os"`` (output stationary), ``"ws"`` (weight stationary) or ``"is"`` (input stationary).
    datapath : numsim.Datapath or str
        The MAC of every PE; its input formats set the ifmap/filter element widths (block formats
        with their scale overhead) and its output format the ofmap width.
    clock_ghz : float
        Array clock (GHz).
    sram_kb : (float, float, float)
        Ifmap, filter and ofmap SRAM capacities (KB, 1 KB = 1024 bytes), each double-buffered.
    dram : str or Dram
        Off-chip memory preset (``"hbm3"``, ``"ddr3"``, ``"lpddr4"``, ...) or a :class:`Dram`.
    dram_bandwidth_gb_s : float, optional
        Bandwidth available to the array (GB/s); default the DRAM's; ``float("inf")`` never stalls
        (SCALE-Sim's CALC mode).
    n_arrays : int or (int, int)
        Scale-out: a P_R x P_C grid of arrays (an int n is 1 x n), each with its own SRAMs; row
        folds are spread over P_R and column folds over P_C (the ISPASS 2020 scale-out form), the
        DRAM bandwidth is shared.
    tech : Tech, str or number, optional
        Technology of the PEs and SRAMs (default 45 nm).
    cycle_model : str
        ``"scalesim"``, ``"paper"`` or ``"pipelined"`` (see the module docstring).
    n_terms : int
        Longest dot product the PE's accumulator is sized for (Kulisch/fixed widths; default
        :data:`hwmodels.data.DEFAULT_N_TERMS`).
    """

    rows: int = 128
    cols: int = 128
    dataflow: str = "ws"
    datapath: Datapath | str = "int8"
    clock_ghz: float = 1.0
    sram_kb: tuple = (6144, 6144, 2048)
    dram: Dram | str = "hbm3"
    dram_bandwidth_gb_s: float | None = None
    n_arrays: int | tuple = 1
    tech: Tech | str | float | None = None
    cycle_model: str = "scalesim"
    n_terms: int = DEFAULT_N_TERMS

    def __post_init__(self) -> None:
        integer("rows", self.rows)
        integer("cols", self.cols)
        object.__setattr__(self, "dataflow", parse_dataflow(self.dataflow))
        object.__setattr__(self, "cycle_model", parse_cycle_model(self.cycle_model))
        object.__setattr__(self, "datapath", as_datapath(self.datapath))
        real("clock_ghz", self.clock_ghz)
        if not isinstance(self.sram_kb, (tuple, list)) or len(self.sram_kb) != 3:
            raise ValueError(f"sram_kb must be (ifmap, filter, ofmap) capacities in KB, got {self.sram_kb!r}")
        object.__setattr__(self, "sram_kb", tuple(real(f"sram_kb[{op}]", v) for op, v in zip(OPERANDS, self.sram_kb)))
        object.__setattr__(self, "dram", get_dram(self.dram))
        if self.dram_bandwidth_gb_s is not None:
            real("dram_bandwidth_gb_s", self.dram_bandwidth_gb_s, allow_inf=True)
        _grid(self.n_arrays)
        object.__setattr__(self, "tech", self.tech if isinstance(self.tech, Tech) else get_tech(self.tech))
        integer("n_terms", self.n_terms)
        bits = self._element_bits()
        for op, words, need in zip(OPERANDS, self._buffer_words(), self._min_tile()):
            if words // 2 < need:
                raise ValueError(
                    f"sram_kb[{op}] = {self.sram_kb[OPERANDS.index(op)]:g} KB is too small: its active half (half of a "
                    f"double buffer) must hold one {self.dataflow.upper()} tile of {need} {bits[op]:g}-bit words "
                    f"({need * bits[op] * 2 / 8 / 1024:.3g} KB or more)")

    # ---- derived properties ------------------------------------------------------------------

    @property
    def n_pes(self) -> int:
        pr, pc = _grid(self.n_arrays)
        return self.rows * self.cols * pr * pc

    @property
    def peak_tops(self) -> float:
        """Peak tera-operations per second (2 per MAC per PE per cycle)."""
        return 2 * self.n_pes * self.clock_ghz / 1e3

    @property
    def bandwidth_gb_s(self) -> float:
        return self.dram.bandwidth_gb_s if self.dram_bandwidth_gb_s is None else float(self.dram_bandwidth_gb_s)

    def _element_bits(self) -> dict:
        bits = word_bits(self.datapath, self.n_terms)
        return {"ifmap": bits["a"], "filter": bits["b"], "ofmap": bits["out"]}

    def _min_tile(self) -> tuple[int, int, int]:
        """Smallest tile (words) each buffer must hold: the stationary operand's R x C tile, one
        array edge of a streamed operand, one row of outputs."""
        r, c = self.rows, self.cols
        return {"os": (r, c, r * c), "ws": (r, r * c, c), "is": (r * c, r, c)}[self.dataflow]

    def _buffer_words(self) -> tuple[int, int, int]:
        """Words each SRAM holds (ifmap, filter, ofmap), both halves of the double buffer."""
        bits = self._element_bits()
        return tuple(int(kb * 1024 * 8 // bits[op]) for op, kb in zip(OPERANDS, self.sram_kb))

    def pe(self) -> Cost:
        """One processing element: the datapath's MAC with its operand registers."""
        return mac_cost(self.datapath, self.tech, n_terms=self.n_terms, operand_registers=True)

    def srams(self) -> dict:
        """The three SRAMs of one array, banked one bank per array-edge port, accessed one element wide."""
        bits = self._element_bits()
        ports = {"ifmap": self.rows, "filter": self.cols, "ofmap": self.cols}
        out = {}
        for op, kb in zip(OPERANDS, self.sram_kb):
            capacity = max(1, int(kb * 1024))
            out[op] = Sram(capacity, max(1, math.ceil(bits[op])), min(ports[op], capacity))
        return out

    def area(self) -> Cost:
        """Area (um^2) of the PEs and SRAMs of every array, as a breakdown."""
        pr, pc = _grid(self.n_arrays)
        pes = Cost(self.pe().area_um2 * self.n_pes, name="PE array")
        mems = [Cost(s.area_um2(self.tech) * pr * pc, name=f"{op} SRAM") for op, s in self.srams().items()]
        return sum(mems, pes).named("area")

    def roofline(self, arithmetic_intensity) -> Roofline:
        """Roofline of this machine at ``arithmetic_intensity`` operations per DRAM byte."""
        return Roofline(self.peak_tops, self.bandwidth_gb_s, real("arithmetic_intensity", arithmetic_intensity, allow_inf=True))

    # ---- evaluation -------------------------------------------------------------------------

    def run(self, workload):
        """Evaluate one workload (a :class:`LayerResult`) or a list of them (a :class:`RunResult`).

        A workload with ``count > 1`` runs its instances one after another (cycles, accesses and
        energy times count). :class:`~hwmodels.workloads.Elementwise` work runs on a vector unit
        of ``cols`` lanes next to the array (one operation per lane per cycle, inputs and outputs
        through the ofmap SRAM); it has no MACs.
        """
        if isinstance(workload, (list, tuple)):
            if not workload:
                raise ValueError("workload list is empty")
            return RunResult(tuple(self._layer(w) for w in workload), self.area().area_um2)
        return self._layer(workload)

    def _layer(self, w) -> LayerResult:
        if isinstance(w, Elementwise):
            return self._elementwise(w)
        g = as_gemm(w)
        unique_ifmap = getattr(w, "ifmap_words_read", g.M * g.K * g.count) // g.count
        pr, pc = _grid(self.n_arrays)
        words = self._buffer_words()
        parts = _partitions(g.M, g.N, g.K, unique_ifmap, self.rows, self.cols, self.dataflow, pr, pc)
        tiles = [(_gemm_on_array(m, n, k, u, self.rows, self.cols, self.dataflow, self.cycle_model, words), mult)
                 for (m, n, k, u), mult in parts.items()]
        compute = max(t.compute_cycles for t, _ in tiles)
        folds = max(t.folds for t, _ in tiles)
        reads = [sum(t.sram_reads[i] * n for t, n in tiles) for i in (0, 1)]
        writes = sum(t.sram_writes * n for t, n in tiles)
        dram = [sum(t.dram_reads[i] * n for t, n in tiles) for i in (0, 1)]
        dram_w = sum(t.dram_writes * n for t, n in tiles)
        bits = self._element_bits()
        read_bytes = (dram[0] * bits["ifmap"] + dram[1] * bits["filter"]) / 8
        write_bytes = dram_w * bits["ofmap"] / 8
        slowest = max(tiles, key=lambda tn: tn[0].compute_cycles)[0]
        bytes_per_cycle = self.bandwidth_gb_s / self.clock_ghz
        prefetch = (slowest.first_fill[0] * bits["ifmap"] + slowest.first_fill[1] * bits["filter"] + slowest.last_drain * bits["ofmap"]) / 8
        prefetch_cycles = 0 if math.isinf(bytes_per_cycle) else math.ceil(prefetch / bytes_per_cycle)
        traffic_cycles = 0 if math.isinf(bytes_per_cycle) else math.ceil((read_bytes + write_bytes - prefetch) / bytes_per_cycle)
        stall = max(0, traffic_cycles - compute)
        count = g.count
        cycles_one = compute + stall
        macs = g.M * g.N * g.K
        slots = sum(t.used_pe_slots * n for t, n in tiles)
        mapping_eff = slots / (sum(t.folds * n for t, n in tiles) * self.rows * self.cols)
        util = macs / (compute * self.rows * self.cols * pr * pc) if compute else 0.0
        seconds = (cycles_one + prefetch_cycles) * count / (self.clock_ghz * 1e9)
        energy = self._energy(macs * count, [r * count for r in reads], writes * count,
                              (read_bytes + write_bytes) * 8 * count, seconds)
        return LayerResult(
            g.name, macs * count, (cycles_one + prefetch_cycles) * count, compute * count, stall * count,
            prefetch_cycles * count, folds * count, mapping_eff, util,
            {"ifmap": reads[0] * count, "filter": reads[1] * count}, {"ofmap": writes * count},
            {"ifmap": dram[0] * count, "filter": dram[1] * count}, {"ofmap": dram_w * count},
            read_bytes * count, write_bytes * count, seconds, energy,
        )

    def _energy(self, macs: int, reads, writes: int, dram_bits: float, seconds: float) -> Cost:
        pe = self.pe()
        s = self.srams()
        parts = [
            Cost(energy_pj=pe.energy_pj * macs, name="MACs"),
            Cost(energy_pj=s["ifmap"].read_pj(self.tech) * reads[0], name="ifmap SRAM"),
            Cost(energy_pj=s["filter"].read_pj(self.tech) * reads[1], name="filter SRAM"),
            Cost(energy_pj=s["ofmap"].write_pj(self.tech) * writes, name="ofmap SRAM"),
            Cost(energy_pj=self.dram.energy_pj(dram_bits), name="DRAM"),
            Cost(energy_pj=pe.leakage_uw * self.n_pes * seconds * 1e6, name="PE leakage"),
        ]
        return sum(parts[1:], parts[0]).named("energy")

    def _elementwise(self, w: Elementwise) -> LayerResult:
        lanes = self.cols * _grid(self.n_arrays)[1]
        per = math.ceil(w.elements * w.ops_per_element / lanes)
        seconds = per * w.count / (self.clock_ghz * 1e9)
        sram = self.srams()["ofmap"]
        words = w.elements * w.count
        energy = Cost(energy_pj=sram.read_pj(self.tech) * words + sram.write_pj(self.tech) * words, name="ofmap SRAM")
        energy = (energy + Cost(energy_pj=self.pe().leakage_uw * self.n_pes * seconds * 1e6, name="PE leakage")).named("energy")
        return LayerResult(w.name, 0, per * w.count, per * w.count, 0, 0, 0, 0.0, 0.0,
                           {"ifmap": 0, "filter": 0}, {"ofmap": words}, {"ifmap": 0, "filter": 0}, {"ofmap": 0},
                           0.0, 0.0, seconds, energy)

    def replace(self, **changes) -> SystolicArray:
        """A copy with some parameters changed."""
        return dataclasses.replace(self, **changes)


def _partitions(M, N, K, unique_ifmap, R, C, df, pr, pc) -> Counter:
    """Sub-GEMMs of a P_R x P_C scale-out, with multiplicities: row folds spread over P_R arrays,
    column folds over P_C (an array left without folds is idle)."""
    if pr == pc == 1:
        return Counter({(M, N, K, unique_ifmap): 1})
    s_r, s_c, _ = mapping(df, M, N, K)
    shares = Counter()
    for sr in _split(s_r, R, pr):
        for sc in _split(s_c, C, pc):
            m, n, k = _unmap(df, sr, sc, M, N, K)
            shares[(m, n, k, math.ceil(unique_ifmap * (m * k) / (M * K)))] += 1
    return shares


def _split(extent: int, tile: int, parts: int) -> list[int]:
    folds = -(-extent // tile)
    per = -(-folds // parts)
    out = []
    for p in range(parts):
        lo, hi = p * per * tile, min(extent, (p + 1) * per * tile)
        if hi > lo:
            out.append(hi - lo)
    return out


def _unmap(df: str, s_r: int, s_c: int, M: int, N: int, K: int) -> tuple[int, int, int]:
    if df == "os":
        return s_r, s_c, K
    if df == "ws":
        return M, s_c, s_r
    return s_c, N, s_r
