"""Memories: off-chip DRAM presets (energy per bit, bandwidth, latency) and on-chip SRAM buffers.

A :class:`Dram` says what moving a bit to or from off-chip memory costs and how fast it can go;
an :class:`Sram` prices one access to an on-chip buffer of a given capacity, width and banking
with the technology's SRAM model (energy grows with the square root of the bank's capacity).

>>> hbm3 = get_dram("hbm3")
>>> round(hbm3.pj_per_bit, 2), round(hbm3.bandwidth_gb_s, 1)
(3.59, 665.6)
>>> buf = Sram(capacity_bytes=128 * 1024, width_bits=64, banks=32)
>>> round(buf.read_pj(), 2)
7.07
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import data
from ._checks import choice, integer, real, string
from .cost import Cost
from .tech import Tech, get_tech


@dataclass(frozen=True)
class Dram:
    """Off-chip memory: energy per bit moved (pJ/bit), peak bandwidth (GB/s) and first-access
    latency (ns) of the device or stack as configured; ``source`` says where the figures come from.

    >>> d = Dram("toy", pj_per_bit=10.0, bandwidth_gb_s=25.6, latency_ns=30.0)
    >>> d.energy_pj(bits=64), round(d.transfer_ns(n_bytes=2560), 1)
    (640.0, 130.0)
    """

    name: str
    pj_per_bit: float
    bandwidth_gb_s: float
    latency_ns: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        string("name", self.name, empty=False)
        real("pj_per_bit", self.pj_per_bit)
        real("bandwidth_gb_s", self.bandwidth_gb_s)
        real("latency_ns", self.latency_ns, inclusive=True)

    def energy_pj(self, bits) -> float:
        """Energy (pJ) of moving ``bits`` bits."""
        return real("bits", bits, inclusive=True) * self.pj_per_bit

    def transfer_ns(self, n_bytes) -> float:
        """Time (ns) to move ``n_bytes`` bytes in one stream: latency plus bytes over bandwidth."""
        return self.latency_ns + real("n_bytes", n_bytes, inclusive=True) / self.bandwidth_gb_s

    def with_bandwidth(self, bandwidth_gb_s) -> Dram:
        """The same memory with another bandwidth (more channels or stacks, a slower bin)."""
        return dataclasses.replace(self, bandwidth_gb_s=bandwidth_gb_s)


def _hbm3() -> Dram:
    s = data.HBM3_STACK
    tck_ns = s["tck_ns"]
    return Dram("hbm3", sum(data.HBM3_PJ_PER_BIT_STAGES.values()), s["dq"] * s["gbps_per_pin"] / 8,
                (s["nRCD"] + s["nCL"]) * tck_ns, data.HBM3_SOURCE)


#: Built-in DRAM presets by name.
DRAM_PRESETS: dict[str, Dram] = {
    "ddr3": Dram("ddr3", sum(data.HOROWITZ_DRAM_READ_64B_PJ) / 2 / 64, data.TPU_V1_DDR3_GB_S,
                 data.JEDEC_LATENCY_NS["ddr3-1600"],
                 "energy: middle of Horowitz's 1.3-2.6 nJ per 64 b; bandwidth: TPU v1's 34 GB/s; latency: DDR3-1600 11-11-11"),
    "lpddr4": Dram("lpddr4", data.EYERISS_LPDDR4_64B_PJ / 64, 3200 * 32 / 8 / 1000, data.JEDEC_LATENCY_NS["lpddr4-3200"],
                   f"energy: {data.EYERISS_SOURCE}; bandwidth: one x32 LPDDR4-3200 channel; latency: JESD209-4"),
    "hbm3": _hbm3(),
    "hbm2": Dram("hbm2", data.HBM2_PJ_PER_BIT, data.HBM2_STACK["dq"] * data.HBM2_STACK["gbps_per_pin"] / 8,
                 data.HBM2_STACK["latency_ns"], f"energy: {data.HBM2_PJ_SOURCE}; one stack: {data.HBM2_STACK['source']}"),
    "gddr6": Dram("gddr6", data.GDDR6_PJ_PER_BIT, data.GDDR6_DEVICE["dq"] * data.GDDR6_DEVICE["gbps_per_pin"] / 8,
                  data.GDDR6_DEVICE["latency_ns"], f"energy: {data.GDDR6_PJ_SOURCE}; one x32 device: {data.GDDR6_DEVICE['source']}"),
}


def get_dram(spec="hbm3") -> Dram:
    """A :class:`Dram` from a preset name (case-insensitive) or a ``Dram`` itself."""
    if isinstance(spec, Dram):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"dram must be a preset name or a Dram, got {spec!r}")
    return DRAM_PRESETS[choice("dram", spec, sorted(DRAM_PRESETS), key=lambda s: s.strip().lower())]


#: Write energy over read energy of an SRAM access: the Eyeriss-like global buffer's ERT ratio.
SRAM_WRITE_OVER_READ = data.EYERISS_GLB_64B_PJ["write"] / data.EYERISS_GLB_64B_PJ["read"]


@dataclass(frozen=True)
class Sram:
    """An on-chip SRAM buffer of ``capacity_bytes`` split into ``banks`` equal banks, accessed
    ``width_bits`` at a time. One access touches one bank, so its energy is that of a bank-sized
    array; the area is the whole capacity's.

    >>> Sram(8 * 1024).read_pj(), Sram(32 * 1024).read_pj()
    (10.0, 20.0)
    """

    capacity_bytes: int
    width_bits: int = 64
    banks: int = 1

    def __post_init__(self) -> None:
        integer("capacity_bytes", self.capacity_bytes)
        integer("width_bits", self.width_bits)
        integer("banks", self.banks)
        if self.banks > self.capacity_bytes:
            raise ValueError(f"banks must be <= capacity_bytes ({self.capacity_bytes}), got {self.banks}")

    @property
    def bank_bytes(self) -> float:
        return self.capacity_bytes / self.banks

    def read_pj(self, tech=None) -> float:
        """Energy (pJ) of one ``width_bits`` read."""
        return _tech(tech).sram_read_pj(self.bank_bytes, self.width_bits)

    def write_pj(self, tech=None) -> float:
        """Energy (pJ) of one ``width_bits`` write (the read energy times :data:`SRAM_WRITE_OVER_READ`)."""
        return self.read_pj(tech) * SRAM_WRITE_OVER_READ

    def area_um2(self, tech=None) -> float:
        """Macro area (um^2) of the whole capacity."""
        return _tech(tech).sram_area_um2(self.capacity_bytes)

    def cost(self, tech=None) -> Cost:
        """Area and read energy as a :class:`Cost` named ``sram``."""
        return Cost(self.area_um2(tech), self.read_pj(tech), name=f"sram {self.capacity_bytes} B")


@dataclass(frozen=True)
class RegisterFile:
    """A small flip-flop storage of ``words`` x ``width_bits`` (a PE's scratchpad), priced with the
    technology's register-file model: a read drives the read multiplexer tree of every bit; a write
    clocks ``width_bits`` flip-flops.

    >>> rf = RegisterFile(words=16, width_bits=16)
    >>> rf.capacity_bytes, rf.read_pj() > rf.write_pj()
    (32.0, True)
    """

    words: int
    width_bits: int = 16

    def __post_init__(self) -> None:
        integer("words", self.words)
        integer("width_bits", self.width_bits)

    @property
    def capacity_bytes(self) -> float:
        return self.words * self.width_bits / 8

    def read_pj(self, tech=None) -> float:
        """Energy (pJ) of one ``width_bits`` read."""
        return _tech(tech).register_file(self.words, self.width_bits).energy_pj

    def write_pj(self, tech=None) -> float:
        """Energy (pJ) of one ``width_bits`` write: the flip-flops of one word."""
        t = _tech(tech)
        return t.cell("ff").energy_pj * self.width_bits

    def area_um2(self, tech=None) -> float:
        """Area (um^2): storage, read port and write enables."""
        return _tech(tech).register_file(self.words, self.width_bits).area_um2


def _tech(tech) -> Tech:
    return tech if isinstance(tech, Tech) else get_tech(tech)
