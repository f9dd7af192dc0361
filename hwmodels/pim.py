"""DRAM processing in memory (PIM): bank-level PIM devices and their GEMV latency and energy,
against a host reading the same device. The systems built from them (AttAcc: GPU + attention PIM;
NeuPIMs: NPU + PIM) are in :mod:`hwmodels.decode`.

A :class:`PimDevice` is a DRAM device (a stack, a chip) whose channels (or pseudo-channels) hold
processing units (PUs) next to the banks (``placement="bank"``), at each bank group
(``"bank_group"``) or on the buffer die of a stack (``"buffer_die"``). Every PU multiplies
``lanes`` elements per column command with the arithmetic of a :class:`numsim.Datapath`
(priced with :func:`hwmodels.mac_cost`). The analytic model is the hardware reference's
(section 14.1):

- internal / external bandwidth ``N_PU * tCCD_S / tCCD_PU``: each PU consumes one column burst of
  ``column_bits`` per ``tCCD_PU`` (tCCD_L for bank PUs, the all-bank MAC spacing where a device
  has one), the host bus delivers one burst per tCCD_S (:meth:`PimDevice.bandwidth_ratio`);
- peak FLOPS ``channels * N_PU * lanes * 2 / (tCCD_PU * tCK)`` (:meth:`PimDevice.peak_flops`);
- energy per bit moved by where the PU sits, summed from the HBM3 stage energies of
  :data:`hwmodels.data.HBM3_PJ_PER_BIT_STAGES` (:func:`energy_per_bit`);
- GEMV latency: input broadcast + row activations + column commands + result read-out
  (:func:`gemv_latency`), and its energy (:func:`gemv_energy`); the host's roofline GEMV
  (:func:`host_gemv_latency`).

Presets: :data:`HBM2_PIM`, :data:`HBM3_PIM_BANK`, :data:`HBM3_PIM_BANK_GROUP`,
:data:`HBM3_PIM_BUFFER`, :data:`GDDR6_AIM` and :data:`NEWTON`, by name in :data:`PIM_PRESETS`;
by design and PU placement in :data:`PIM_DEVICES` (:func:`get_pim_device`).
Every figure comes from :mod:`hwmodels.data` with its source.

>>> HBM2_PIM.bandwidth_ratio(), round(HBM2_PIM.peak_flops() / 1e12, 4)
(4.0, 1.2288)
>>> [round(energy_per_bit(p), 2) for p in LOCATIONS]
[0.55, 1.56, 3.29, 3.59]
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numsim
from numsim import Datapath

from . import data
from ._checks import boolean, choice, instance, integer, real, string
from .cost import Cost
from .mac import as_datapath, mac_cost, storage_bits, word_bits
from .memory import Dram, get_dram
from .systolic import Roofline
from .tech import Tech, get_tech

#: Where a PU can sit, nearest the cells first.
PLACEMENTS = ("bank", "bank_group", "buffer_die")
#: Where a bit can be delivered: the PU placements, and off-chip (the host).
LOCATIONS = PLACEMENTS + ("off_chip",)
#: How a PU's lane partial sums are reduced: an adder tree in the PU (one result per row), or read
#: out lane by lane and reduced by the host.
LANE_REDUCTIONS = ("tree", "host")

# The stages a bit crosses on its way from the cell to each location (names of
# data.HBM3_PJ_PER_BIT_STAGES, in order).
_STAGES = tuple(data.HBM3_PJ_PER_BIT_STAGES)
_STAGES_TO = {"bank": 2, "bank_group": 3, "buffer_die": 5, "off_chip": 6}


def parse_placement(text: str) -> str:
    """``text`` if it is one of :data:`PLACEMENTS` (ValueError listing them otherwise).

    >>> parse_placement("bank_group")
    'bank_group'
    """
    return choice("placement", text, PLACEMENTS, quoted=True)


# ---- energy per bit -------------------------------------------------------------------------------


def energy_per_bit(location: str) -> float:
    """Energy (pJ/bit) to bring one bit from a DRAM cell to ``location``: one of ``"bank"``
    (cell activate/precharge + cell read), ``"bank_group"`` (+ column decoder to the bank-group
    mux), ``"buffer_die"`` (+ bank-group mux to global I/O + TSV) or ``"off_chip"`` (+ interposer
    I/O), the sum of the HBM3 stage energies of :data:`hwmodels.data.HBM3_PJ_PER_BIT_STAGES`
    (AttAcc's table, from O'Connor et al., MICRO 2017).

    >>> round(energy_per_bit("bank"), 2), round(energy_per_bit("off_chip"), 2)
    (0.55, 3.59)
    """
    location = choice("location", location, LOCATIONS, quoted=True)
    return sum(data.HBM3_PJ_PER_BIT_STAGES[s] for s in _STAGES[:_STAGES_TO[location]])


# ---- the device -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PimDevice:
    """A DRAM device with processing units: organisation, interface, timings and PU arithmetic.

    Parameters
    ----------
    name : str
    channels : int
        Independent channels (pseudo-channels where the device has them) carrying PUs.
    banks_per_channel, bank_groups : int
        Banks and bank groups per channel (all ranks of a pseudo-channel counted).
    placement : str
        ``"bank"``, ``"bank_group"`` or ``"buffer_die"``: sets the energy per bit moved
        (:func:`energy_per_bit`, HBM3 stage energies, used for every device: for GDDR6 and HBM2
        devices an approximation) and the default PU count and column spacing.
    pus_per_channel : int, optional
        PUs per channel; default one per bank, one per bank group, or one per channel (buffer die).
        Bank PUs may serve several banks (HBM-PIM: one PCU per 2 banks).
    lanes : int
        Multiply-accumulates per PU per column command.
    column_bits : int
        Bits one column command moves from a bank (the burst, B_col).
    row_bits : int
        Row (page) size of a bank in bits.
    dq_per_channel : int, gbps_per_pin : float
        External interface of a channel: data pins and their rate (Gb/s per pin).
    tck_ns : float
        Command clock period (ns); all timings below are in these cycles.
    tCCD_S, tCCD_L, tRCD, tRP, tRAS : int
        Column-to-column (different / same bank group), activate-to-column, precharge and
        minimum row-open times.
    tCCD_PU : int, optional
        Cycles between the column commands feeding one PU (an all-bank MAC spacing such as AttAcc's
        nCCDAB); default tCCD_L for bank PUs (PIMSimulator: a PIM operation takes tCCD_L) and the
        bus spacing for bank-group and buffer-die PUs (fed from several banks in turn).
    datapath : numsim.Datapath or str
        The PU arithmetic (its A format is the element width, its accumulator the result width).
    lane_reduction : str
        ``"tree"`` (an adder tree per PU: one result per matrix row) or ``"host"`` (each lane's
        partial sum is read out and the host adds them, as in HBM-PIM's GEMV).
    dual_row_buffer : bool
        Each bank has a second row buffer, so host accesses and PIM commands proceed concurrently
        (NeuPIMs).
    tech : Tech, str or number, optional
        Logic technology the PUs are priced at (:func:`hwmodels.get_tech`).
    source : str
        Where the figures come from.
    dram : Dram or str
        The DRAM the device is built from (a :mod:`hwmodels.memory` preset): a host reading the
        device pays its energy per bit and first-access latency (:meth:`host_dram`).

    >>> d = PimDevice("toy", channels=2, banks_per_channel=4, bank_groups=2, lanes=16, column_bits=256,
    ...               row_bits=8192, dq_per_channel=64, gbps_per_pin=2.0, tck_ns=1.0,
    ...               tCCD_S=2, tCCD_L=4, tRCD=14, tRP=14, tRAS=33)
    >>> d.pus, d.bandwidth_ratio(), round(d.peak_flops() / 1e9, 6)
    (8, 2.0, 64.0)
    """

    name: str
    channels: int
    banks_per_channel: int
    bank_groups: int
    lanes: int
    column_bits: int
    row_bits: int
    dq_per_channel: int
    gbps_per_pin: float
    tck_ns: float
    tCCD_S: int
    tCCD_L: int
    tRCD: int
    tRP: int
    tRAS: int
    placement: str = "bank"
    pus_per_channel: int | None = None
    tCCD_PU: int | None = None
    datapath: Datapath | str = "fp16"
    lane_reduction: str = "tree"
    dual_row_buffer: bool = False
    tech: Tech | str | float | None = None
    source: str = ""
    dram: Dram | str = "hbm3"

    def __post_init__(self) -> None:
        string("name", self.name, empty=False)
        for f in ("channels", "banks_per_channel", "bank_groups", "lanes", "column_bits", "row_bits", "dq_per_channel",
                  "tCCD_S", "tCCD_L", "tRCD", "tRP", "tRAS"):
            integer(f, getattr(self, f))
        real("gbps_per_pin", self.gbps_per_pin)
        real("tck_ns", self.tck_ns)
        parse_placement(self.placement)
        choice("lane_reduction", self.lane_reduction, LANE_REDUCTIONS, quoted=True)
        boolean("dual_row_buffer", self.dual_row_buffer)
        string("source", self.source)
        if self.banks_per_channel % self.bank_groups:
            raise ValueError(f"bank_groups must divide banks_per_channel ({self.banks_per_channel}), got {self.bank_groups}")
        if self.row_bits % self.column_bits:
            raise ValueError(f"column_bits must divide row_bits ({self.row_bits}), got {self.column_bits}")
        default_pus = {"bank": self.banks_per_channel, "bank_group": self.bank_groups, "buffer_die": 1}[self.placement]
        pus = default_pus if self.pus_per_channel is None else integer("pus_per_channel", self.pus_per_channel)
        if self.placement == "bank" and self.banks_per_channel % pus:
            raise ValueError(f"pus_per_channel must divide banks_per_channel ({self.banks_per_channel}) for bank PUs, got {pus}")
        if self.placement != "bank" and pus != default_pus:
            raise ValueError(f"pus_per_channel must be {default_pus} for {self.placement} PUs "
                             f"({'one per bank group' if self.placement == 'bank_group' else 'one per channel'}), got {pus}")
        object.__setattr__(self, "pus_per_channel", pus)
        if self.tCCD_PU is not None:
            integer("tCCD_PU", self.tCCD_PU)
        object.__setattr__(self, "datapath", as_datapath(self.datapath))
        object.__setattr__(self, "tech", self.tech if isinstance(self.tech, Tech) else get_tech(self.tech))
        object.__setattr__(self, "dram", get_dram(self.dram))
        if self.lanes * self.element_bits > self.column_bits:
            raise ValueError(f"lanes ({self.lanes}) x element bits ({self.element_bits:g}) must not exceed column_bits "
                             f"({self.column_bits}): a column command cannot feed more lanes than it carries elements")

    # ---- organisation -----------------------------------------------------------------------

    @property
    def pus(self) -> int:
        """PUs in the whole device."""
        return self.channels * self.pus_per_channel

    @property
    def banks_per_pu(self) -> int:
        """Banks one PU reads from."""
        return self.banks_per_channel // self.pus_per_channel

    @property
    def element_bits(self) -> float:
        """Width (bits) of the matrix elements the PU multiplies (the datapath's A format)."""
        return storage_bits(self.datapath.a_format)

    @property
    def acc_bits(self) -> float:
        """Width (bits) of a result read out (the datapath's output format)."""
        return word_bits(self.datapath)["out"]

    @property
    def bus_cycles(self) -> float:
        """Cycles between column bursts on a channel's external bus: tCCD_S, or the burst's
        transfer time if the pins are slower."""
        burst = self.column_bits / (self.dq_per_channel * self.gbps_per_pin * self.tck_ns)
        return max(float(self.tCCD_S), burst)

    @property
    def pu_cycles(self) -> float:
        """Cycles between the column commands feeding one PU (tCCD_PU)."""
        if self.tCCD_PU is not None:
            return float(self.tCCD_PU)
        return float(self.tCCD_L) if self.placement == "bank" else self.bus_cycles

    def column_cycles(self, element_bits=None) -> float:
        """Cycles a PU spends on one column of ``element_bits``-bit elements (default the
        datapath's): ``tCCD_PU * ceil(elements per column / lanes)``."""
        b = self.element_bits if element_bits is None else real("element_bits", element_bits)
        if b > self.column_bits:
            raise ValueError(f"element_bits must be <= column_bits ({self.column_bits}), got {element_bits!r}")
        return self.pu_cycles * math.ceil((self.column_bits // b) / self.lanes)

    # ---- bandwidth and throughput -------------------------------------------------------------

    @property
    def pj_per_bit(self) -> float:
        """Energy (pJ/bit) of moving a bit from a cell to the PU (:func:`energy_per_bit`)."""
        return energy_per_bit(self.placement)

    @property
    def external_bandwidth_gb_s(self) -> float:
        """Host-side bandwidth (GB/s): channels x DQ x pin rate / 8."""
        return self.channels * self.dq_per_channel * self.gbps_per_pin / 8

    def host_dram(self) -> Dram:
        """The device as a host reads it: its :attr:`dram` at its external bandwidth.

        >>> round(HBM2_PIM.host_dram().bandwidth_gb_s, 1), HBM2_PIM.host_dram().pj_per_bit == HBM2_PIM.dram.pj_per_bit
        (307.2, True)
        """
        return self.dram.with_bandwidth(self.external_bandwidth_gb_s)

    @property
    def internal_bandwidth_gb_s(self) -> float:
        """Bandwidth (GB/s) the PUs consume: every PU one column per :meth:`column_cycles`."""
        return self.pus * self.column_bits / 8 / (self.column_cycles() * self.tck_ns)

    def bandwidth_ratio(self) -> float:
        """Internal over external bandwidth, ``N_PU * tCCD_S / tCCD_PU`` per channel (hardware
        reference 14.1), with the bus spacing and the PU's cycles per column.

        >>> HBM2_PIM.bandwidth_ratio(), GDDR6_AIM.bandwidth_ratio()
        (4.0, 16.0)
        """
        return self.pus_per_channel * self.bus_cycles / self.column_cycles()

    def peak_flops(self) -> float:
        """Peak FLOP/s (a MAC is 2): ``channels * N_PU * lanes * 2 / (tCCD_PU * tCK)``.

        >>> round(GDDR6_AIM.peak_flops() / 1e12, 3)
        1.024
        """
        return self.pus * self.lanes * 2 / (self.pu_cycles * self.tck_ns * 1e-9)

    def roofline(self, arithmetic_intensity) -> Roofline:
        """Attainable throughput at ``arithmetic_intensity`` FLOPs per byte read by the PUs
        (internal bandwidth); ``.attainable_tops`` and ``.bound`` (``"compute"``/``"memory"``).

        >>> r = HBM2_PIM.roofline(0.5)      # the ridge is at 1 FLOP/B (an FP16 GEMV sits on it)
        >>> round(r.attainable_tops, 4), r.bound
        (0.6144, 'memory')
        """
        ai = real("arithmetic_intensity", arithmetic_intensity)
        return Roofline(self.peak_flops() / 1e12, self.internal_bandwidth_gb_s, ai)

    # ---- PU cost ------------------------------------------------------------------------------

    def mac(self) -> Cost:
        """One multiply-accumulate of the PU datapath (:func:`hwmodels.mac_cost` at ``tech``)."""
        return mac_cost(self.datapath, self.tech)

    def pu_cost(self) -> Cost:
        """One PU: ``lanes`` MACs side by side (area um^2, energy pJ per column command)."""
        return (self.mac() * self.lanes).named(f"PU ({self.lanes} lanes)")

    def logic_area_mm2(self) -> float:
        """Area (mm^2) of all PUs' MACs (registers, buffers and control not included)."""
        return self.pu_cost().area_um2 * self.pus * 1e-6

    def with_channels(self, channels) -> PimDevice:
        """The same device with ``channels`` channels (several stacks or devices side by side)."""
        return dataclasses.replace(self, channels=integer("channels", channels))


# ---- GEMV ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GemvLatency:
    """Latency components (ns) of a GEMV on a :class:`PimDevice` and its mapping.

    ``input_ns``: broadcast of x to the channels; ``activation_ns``: exposed row activations and
    precharges; ``mac_ns``: column commands; ``output_ns``: read-out of results (and of partial
    sums when rows are split over PUs or lanes are reduced by the host). ``column_commands`` and
    ``activations`` are per PU, ``k_split`` the number of PUs sharing one matrix row, ``gemvs_per_channel``
    the GEMVs one channel runs in turn.
    """

    input_ns: float
    activation_ns: float
    mac_ns: float
    output_ns: float
    column_commands: int
    activations: int
    k_split: int
    channels_per_gemv: int
    gemvs_per_channel: int

    @property
    def total_ns(self) -> float:
        return self.input_ns + self.activation_ns + self.mac_ns + self.output_ns

    @property
    def seconds(self) -> float:
        return self.total_ns * 1e-9


def _bits_arg(device: PimDevice, element_bits, acc_bits) -> tuple[float, float]:
    b = device.element_bits if element_bits is None else real("element_bits", element_bits)
    if b > device.column_bits:
        raise ValueError(f"element_bits must be <= the device's column_bits ({device.column_bits}), got {element_bits!r}")
    a = device.acc_bits if acc_bits is None else real("acc_bits", acc_bits)
    return b, a


def _spread(device: PimDevice, count: int) -> tuple[int, int]:
    """(channels per GEMV, GEMVs per channel) for ``count`` independent GEMVs."""
    if count >= device.channels:
        return 1, math.ceil(count / device.channels)
    return device.channels // count, 1


def gemv_latency(device: PimDevice, rows, cols, element_bits=None, acc_bits=None, count=1) -> GemvLatency:
    """Latency of ``y = W x`` with W ``rows`` x ``cols`` in ``device`` (hardware reference 14.1).

    Mapping: every PU owns whole matrix rows (row-major, ``L = column_bits / element_bits``
    elements per column command); when there are fewer rows than PUs a row may be split over
    ``k_split`` PUs whose partial sums are read out and added by the host (the split with the
    lowest latency is taken). ``count`` independent GEMVs of the same shape are spread over the
    channels: each channel runs ``ceil(count / channels)`` of them in turn, or, with fewer GEMVs
    than channels, each GEMV gets ``channels // count`` channels.
    Per GEMV (C channels, P = C * N_PU PUs, times in device cycles):

    - ``t_in = cols * element_bits / (DQ * pin rate)``: x is broadcast to every channel over its
      own bus (all-bank write / GWRITE), channels in parallel;
    - ``t_mac = n_col * tCCD_PU * ceil(L / lanes)`` with ``n_col = ceil(rows * k / P) *
      ceil(ceil(cols / L) / k)`` column commands per PU (``k = k_split``);
    - ``t_act``: ``N_act = ceil(n_col / columns per row)`` row switches per PU, all banks in
      parallel. **Overlap assumption**: a PU reading one bank (AiM, Newton, AttAcc bank PUs) waits
      for every precharge and activation, ``tRP + tRCD`` per row (plus whatever tRAS adds beyond
      the row's column time); a PU reading k >= 2 banks activates the next bank's row while it
      streams the others, so only the first tRCD and, per switch, ``max(0, tRP + tRCD - (k - 1)
      * columns per row * column time)`` are exposed;
    - ``t_out``: ``rows * k_split`` results (times the lanes when ``lane_reduction == "host"``)
      of ``acc_bits`` read out over the channels' buses; the host's additions are not timed.

    Components are serial (no overlap of broadcast, compute and read-out).

    >>> t = gemv_latency(HBM2_PIM, 4096, 1024)
    >>> round(t.mac_ns), round(t.total_ns)
    (6827, 7372)
    """
    instance("device", device, PimDevice)
    M = integer("rows", rows)
    K = integer("cols", cols)
    n = integer("count", count)
    b, b_acc = _bits_arg(device, element_bits, acc_bits)
    chans, per_channel = _spread(device, n)
    P = chans * device.pus_per_channel
    kcols = math.ceil(K / int(device.column_bits // b))
    k_max = min(P // M, kcols) if M < P else 1
    best = min((_gemv_on(device, M, K, b, b_acc, chans, k) for k in range(1, k_max + 1)), key=lambda r: sum(r[:4]))
    t_in, t_act, t_mac, t_out, n_col, n_act, k = best
    return GemvLatency(t_in * per_channel, t_act * per_channel, t_mac * per_channel, t_out * per_channel,
                       n_col * per_channel, n_act * per_channel, k, chans, per_channel)


def _gemv_on(device: PimDevice, M: int, K: int, b: float, b_acc: float, chans: int, k: int) -> tuple:
    """(t_in, t_act, t_mac, t_out in ns, column commands, activations, k) of one GEMV on ``chans``
    channels with each matrix row split over ``k`` PUs."""
    P = chans * device.pus_per_channel
    L = int(device.column_bits // b)
    col_cycles = device.column_cycles(b)
    kcols = math.ceil(K / L)
    n_col = math.ceil(M * k / P) * math.ceil(kcols / k)
    t_mac = n_col * col_cycles
    per_row = device.row_bits // device.column_bits
    n_act = math.ceil(n_col / per_row)
    busy = min(per_row, n_col) * col_cycles
    banks = device.banks_per_pu
    if banks == 1:
        t_act = n_act * (device.tRCD + device.tRP + max(0.0, device.tRAS - device.tRCD - busy))
    else:
        t_act = device.tRCD + (n_act - 1) * max(0.0, device.tRCD + device.tRP - (banks - 1) * busy)
    bus_bits_per_ns = device.dq_per_channel * device.gbps_per_pin
    t_in = K * b / bus_bits_per_ns
    outputs = M * k * (min(device.lanes, L) if device.lane_reduction == "host" else 1)
    t_out = math.ceil(outputs / chans) * b_acc / bus_bits_per_ns
    tck = device.tck_ns
    return t_in, t_act * tck, t_mac * tck, t_out, n_col, n_act, k


@dataclass(frozen=True)
class GemvEnergy:
    """Energy components (pJ) of a GEMV on a :class:`PimDevice`: weights moved from the cells to
    the PUs, the input vector written in, the results read out (both over the full off-chip path)
    and the PU multiply-accumulates."""

    weights_pj: float
    input_pj: float
    output_pj: float
    mac_pj: float

    @property
    def total_pj(self) -> float:
        return self.weights_pj + self.input_pj + self.output_pj + self.mac_pj


def gemv_energy(device: PimDevice, rows, cols, element_bits=None, acc_bits=None, count=1) -> GemvEnergy:
    """Energy of ``count`` GEMVs ``rows`` x ``cols`` on ``device`` (mapped as :func:`gemv_latency`):
    ``rows * cols * element_bits`` bits at the PU location's :func:`energy_per_bit`, the input
    vector (once per channel that needs it) and the results (partial sums included) at the
    off-chip energy per bit, and ``rows * cols`` MACs at :meth:`PimDevice.mac`.

    >>> e = gemv_energy(HBM3_PIM_BANK, 4096, 1024)
    >>> round(e.weights_pj / (4096 * 1024 * 16), 2)     # pJ per weight bit: bank-level 0.55
    0.55
    """
    instance("device", device, PimDevice)
    lat = gemv_latency(device, rows, cols, element_bits, acc_bits, count)
    b, b_acc = _bits_arg(device, element_bits, acc_bits)
    M, K, n = int(rows), int(cols), int(count)
    L = int(device.column_bits // b)
    outputs = M * lat.k_split * (min(device.lanes, L) if device.lane_reduction == "host" else 1)
    off = energy_per_bit("off_chip")
    return GemvEnergy(
        weights_pj=M * K * b * n * device.pj_per_bit,
        input_pj=K * b * lat.channels_per_gemv * n * off,
        output_pj=outputs * b_acc * n * off,
        mac_pj=M * K * n * device.mac().energy_pj,
    )


@dataclass(frozen=True)
class HostGemv:
    """A GEMV on a host processor reading its DRAM: memory and compute times (ns) of the roofline,
    the first-access latency, the total and the bound."""

    memory_ns: float
    compute_ns: float
    latency_ns: float

    @property
    def total_ns(self) -> float:
        return self.latency_ns + max(self.memory_ns, self.compute_ns)

    @property
    def bound(self) -> str:
        return "compute" if self.compute_ns > self.memory_ns else "memory"


def host_gemv_latency(rows, cols, dram, compute_tflops, bw_util=data.ATTACC_SYSTEM["max_mem_bw_util"],
                      compute_util=data.ATTACC_SYSTEM["max_compute_util"], element_bits=16, out_bits=16,
                      batch=1) -> HostGemv:
    """Roofline latency of ``batch`` GEMVs sharing one ``rows`` x ``cols`` matrix on a host that
    reads ``dram`` (a :class:`~hwmodels.memory.Dram` or preset name) at ``bw_util`` of its
    bandwidth and computes at ``compute_util`` of ``compute_tflops`` (defaults: AttAcc's caps, 0.85
    and 0.8). Bytes: the matrix once, the vectors and the results; plus the DRAM's first-access
    latency.

    >>> t = host_gemv_latency(4096, 1024, "hbm2", compute_tflops=312)
    >>> round(t.total_ns), t.bound
    (38626, 'memory')
    """
    M, K, B = integer("rows", rows), integer("cols", cols), integer("batch", batch)
    d = get_dram(dram)
    tf = real("compute_tflops", compute_tflops)
    bu = real("bw_util", bw_util, high=1.0)
    cu = real("compute_util", compute_util, high=1.0)
    b = real("element_bits", element_bits)
    ob = real("out_bits", out_bits)
    bits = M * K * b + B * K * b + B * M * ob
    mem = bits / 8 / (d.bandwidth_gb_s * bu)
    comp = 2 * M * K * B / (tf * 1e3 * cu)
    return HostGemv(mem, comp, d.latency_ns)


def host_gemv_energy(rows, cols, dram, mac_pj, element_bits=16, out_bits=16, batch=1) -> float:
    """Energy (pJ) of the host GEMV of :func:`host_gemv_latency`: every bit moved at the DRAM's
    pJ/bit plus ``rows * cols * batch`` MACs at ``mac_pj``.

    >>> round(host_gemv_energy(1024, 1024, "hbm3", mac_pj=0.32) / 1e6, 2)   # uJ: DRAM bits dominate
    60.68
    """
    M, K, B = integer("rows", rows), integer("cols", cols), integer("batch", batch)
    d = get_dram(dram)
    m = real("mac_pj", mac_pj, inclusive=True)
    b = real("element_bits", element_bits)
    ob = real("out_bits", out_bits)
    return (M * K * b + B * K * b + B * M * ob) * d.pj_per_bit + M * K * B * m


# ---- device presets ----------------------------------------------------------------------------


def _fp(fmt: str, acc: str) -> Datapath:
    return Datapath(fmt, accumulator=numsim.FloatAccumulator(acc))


_H2 = data.HBM2_PIM
#: Samsung Aquabolt-XL HBM2-PIM (FIMDRAM): 4 PIM dies x 4 pseudo-channels, 8 FP16 PCUs of 16 lanes
#: per pseudo-channel (one per 2 banks), 2.4 Gb/s pins, PIMSimulator timings; FP16 multiply and
#: accumulate; lane partial sums reduced by the host. PUs priced at 20 nm (Aquabolt's DRAM node).
HBM2_PIM = PimDevice(
    "hbm2-pim", channels=_H2["pseudo_channels"], banks_per_channel=_H2["banks"], bank_groups=_H2["bank_groups"],
    lanes=_H2["lanes"], column_bits=_H2["column_bits"], row_bits=_H2["row_bits"], dq_per_channel=_H2["dq"],
    gbps_per_pin=_H2["gbps_per_pin"], tck_ns=2 / _H2["gbps_per_pin"], tCCD_S=_H2["tCCDS"], tCCD_L=_H2["tCCDL"],
    tRCD=_H2["tRCDRD"], tRP=_H2["tRP"], tRAS=_H2["tRAS"], placement="bank", pus_per_channel=_H2["pcus"],
    datapath=_fp("fp16", "fp16"), lane_reduction="host", tech=20, source=_H2["source"], dram="hbm2",
)

_H3 = data.HBM3_PIM


def _hbm3(placement: str, tccd_pu: int | None) -> PimDevice:
    banks = _H3["ranks"] * _H3["bank_groups_per_rank"] * _H3["banks_per_group"]
    return PimDevice(
        f"hbm3-pim-{placement.replace('_', '-')}", channels=_H3["pseudo_channels"], banks_per_channel=banks,
        bank_groups=_H3["ranks"] * _H3["bank_groups_per_rank"], lanes=16, column_bits=_H3["column_bits"],
        row_bits=_H3["row_bits"], dq_per_channel=_H3["dq"], gbps_per_pin=_H3["gbps_per_pin"], tck_ns=_H3["tck_ns"],
        tCCD_S=_H3["nCCDS"], tCCD_L=_H3["nCCDL"], tRCD=_H3["nRCDRD"], tRP=_H3["nRP"], tRAS=_H3["nRAS"],
        placement=placement, tCCD_PU=tccd_pu, datapath=_fp("fp16", "fp32"), lane_reduction="tree", tech=14,
        source=_H3["source"], dram="hbm3",
    )


#: AttAcc_bank: one HBM3 stack (32 pseudo-channels of 2 ranks x 16 banks) with a 16-lane FP16 PU per
#: bank, all-bank MACs every nCCDAB = 6 cycles (the power-constrained HBM3_5.2Gbps preset).
HBM3_PIM_BANK = _hbm3("bank", _H3["nCCDAB"])
#: AttAcc_BG: a PU per bank group (8 per pseudo-channel), MACs every nCCDSB = 6 cycles.
HBM3_PIM_BANK_GROUP = _hbm3("bank_group", _H3["nCCDSB"])
#: AttAcc_buffer: one PU per pseudo-channel on the buffer die, fed at the bus rate (tCCD_S).
HBM3_PIM_BUFFER = _hbm3("buffer_die", None)

_AIM, _G6 = data.AIM, data.GDDR6_TIMINGS["1250mV"]
_G6_TCK = 8 / _AIM["gbps_per_pin"]          # CK = data rate / 8 (Micron GDDR6 brief): 0.5 ns at 16 Gb/s


def _g6_cycles(n: int) -> int:
    """A Ramulator2 GDDR6 timing (cycles at its 570 ps tCK) in AiM's 0.5 ns cycles, rounded up."""
    return math.ceil(n * _G6["tck_ps"] / 1000 / _G6_TCK - 1e-9)


#: SK hynix GDDR6-AiM: 2 channels x 16 banks, one 16-lane BF16 PU per bank (BF16 multiply, FP32
#: accumulate) taking a 256-bit column every 1 ns (1 GHz), x16 at 16 Gb/s per channel, 2 KB page;
#: row timings from Ramulator2's 1.25 V GDDR6 preset; PUs priced at 16 nm (1y nm DRAM process).
GDDR6_AIM = PimDevice(
    "gddr6-aim", channels=_AIM["channels"], banks_per_channel=_AIM["banks"], bank_groups=_AIM["bank_groups"],
    lanes=_AIM["lanes"], column_bits=_AIM["column_bits"], row_bits=_AIM["row_bits"], dq_per_channel=_AIM["dq"],
    gbps_per_pin=_AIM["gbps_per_pin"], tck_ns=_G6_TCK, tCCD_S=2, tCCD_L=_g6_cycles(_G6["nCCDL"]),
    tRCD=_g6_cycles(_G6["nRCDRD"]), tRP=_g6_cycles(_G6["nRP"]), tRAS=_g6_cycles(_G6["nRAS"]), placement="bank",
    tCCD_PU=round(1 / (_AIM["pu_ghz"] * _G6_TCK)), datapath=_fp("bf16", "fp32"), lane_reduction="tree", tech=16,
    source=f"{_AIM['source']}; timings: {data.GDDR6_TIMINGS['source']}", dram="gddr6",
)

_NP = data.NEUPIMS
#: Newton-style HBM2 PIM as NeuPIMs configures it (NewtonSim): 32 channels x 32 banks, 16 FP16
#: multipliers and an adder tree per bank, a channel-wide input buffer (GWRITE), all-bank COMP and
#: READRES; 512-bit columns (128-bit bus, BL4) at 2 Gb/s, 1 KB page; single row buffer (set
#: ``dual_row_buffer=True`` for NeuPIMs). PUs priced at 20 nm.
NEWTON = PimDevice(
    "newton-hbm2", channels=_NP["channels"], banks_per_channel=_NP["banks"], bank_groups=_NP["bank_groups"],
    lanes=_NP["multipliers_per_bank"], column_bits=_NP["bus_bits"] * _NP["burst_length"], row_bits=_NP["row_bits"],
    dq_per_channel=_NP["bus_bits"], gbps_per_pin=2 / _NP["tck_ns"], tck_ns=_NP["tck_ns"], tCCD_S=_NP["tCCD_S"],
    tCCD_L=_NP["tCCD_L"], tRCD=_NP["tRCDRD"], tRP=_NP["tRP"], tRAS=_NP["tRAS"], placement="bank",
    datapath=_fp("fp16", "fp16"), lane_reduction="tree", tech=20, source=_NP["source"], dram="hbm2",
)

#: The PIM designs by name, each with its preset per PU placement: AttAcc's HBM3 stack has PUs at
#: every bank, bank group or on the buffer die; the other designs have bank PUs.
PIM_DEVICES: dict[str, dict[str, PimDevice]] = {
    "hbm3": {"bank": HBM3_PIM_BANK, "bank_group": HBM3_PIM_BANK_GROUP, "buffer_die": HBM3_PIM_BUFFER},
    "hbm2-pim": {"bank": HBM2_PIM},
    "gddr6-aim": {"bank": GDDR6_AIM},
    "newton-hbm2": {"bank": NEWTON},
}
#: Every preset by its own name.
PIM_PRESETS: dict[str, PimDevice] = {d.name: d for devices in PIM_DEVICES.values() for d in devices.values()}


def get_pim_device(pim: str, placement: str = "bank") -> PimDevice:
    """The preset of PIM design ``pim`` (a name in :data:`PIM_DEVICES`, any case) with its PUs at
    ``placement`` (:func:`parse_placement`); ValueError naming the designs, or the placements the
    design has.

    >>> get_pim_device("hbm3", "bank_group").name, get_pim_device("HBM2-PIM") is HBM2_PIM
    ('hbm3-pim-bank-group', True)
    """
    name = choice("pim", pim, PIM_DEVICES, key=str.lower, quoted=True)
    placement = parse_placement(placement)
    devices = PIM_DEVICES[name]
    if placement not in devices:
        others = [n for n, d in PIM_DEVICES.items() if placement in d]
        raise ValueError(f"{name} has PUs only at the {', '.join(devices)}, got placement={placement!r}; "
                         f"designs with PUs at the {placement}: {', '.join(others)}")
    return devices[placement]
