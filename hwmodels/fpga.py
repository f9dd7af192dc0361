"""FPGA resources of one multiply-accumulate on LUT6 FPGAs (AMD UltraScale+ and Versal).

Models (hardware reference, sections 8.1, 9 and 15; figures in :mod:`hwmodels.data`):

- **Integer MACs** (integer or fixed-point operands, exact products, a fixed-point or exact
  accumulator): FINN-R's estimates for one lane (SIMD = PE = 1) without the per-layer constant:
  ``LUT = 1.1 (mult + W + A + acc)`` with ``mult = (2 ceil((W + A) / 6) - 1)(W + A)`` (0 when the
  product goes to a DSP slice) and the accumulator width ``acc`` of the datapath (for an exact
  accumulator, FINN's A2Q bound for ``n`` terms); ``FF = acc``; ``CARRY8 = ceil(acc / 8)``. With
  ``use_dsp=True`` the product moves to DSP slices, packed as the DSP rules allow: two INT8 MACs
  sharing an operand or four <= 4-bit products per DSP48E2, a 3-element INT8 dot product per DSP58.
- **Minifloat MACs with exact (Kulisch) accumulation**: the least-squares model the reference fits
  to a Yosys synthesis sweep of such MACs, ``LUT = 1.96 PP + 1.27 W_acc + 0.27 SH`` (PP = (Ma + 1)
  (Mb + 1) significand partial products, W_acc the Kulisch width for ``n`` terms, SH = fw ceil(log2
  (shift range + 1)) the aligning barrel shifter), ``FF = W_acc``, ``CARRY8 = ceil(W_acc / 8)``;
  its mean error over the sweep is 12%.

- **L-Mul, float multipliers and float accumulators** from their structure, one LUT6 per
  output bit of each stage (an adder bit with its carry-chain slot, a 2:1 or 4:1 multiplexer
  bit, a rounding-incrementer bit), two 2:1 shift stages per LUT in a barrel shifter, one LUT
  per six bits of a zero/all-ones detector, and FINN-R's multiplier LUTs for a significand
  array (:func:`lmul_luts`, :func:`fp_multiplier_luts`, :func:`fp_adder_luts`). Uncalibrated
  except for one published pair, L-Mul's 22 LUTs against 69 for the exact E4M3 multiplier
  (Chen et al.), whose ratio the validation table compares.

Other approximate multipliers (Mitchell / DRUM / broken-array on integers, product tables) and
block-scaled datapaths have no FPGA model here and are refused with a clear error.

>>> import numsim
>>> r = mac_resources(numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32, 0)))
>>> r.lut, r.ff, r.carry, r.dsp
(140.8, 32, 4, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from numsim.datapath import Datapath, FixedAccumulator, FloatAccumulator, Kulisch, kulisch_width
from numsim.formats import FixedFormat, FloatFormat, IntFormat
from numsim.multipliers import Exact, LMul, Mitchell

from ._checks import close_match, instance, integer
from .data import DEFAULT_N_TERMS, DSP_MULTIPLIER, DSP_PACKING, FINN_LUT_FACTOR, YOSYS_LUT_FIT


@dataclass(frozen=True)
class Device:
    """An FPGA family: its DSP slice and carry-chain primitive."""

    name: str
    dsp: str
    carry: str = "CARRY8"


DEVICES = {
    "ultrascale+": Device("ultrascale+", "DSP48E2"),
    "versal": Device("versal", "DSP58", "LOOKAHEAD8"),
}


def get_device(device) -> Device:
    """A :class:`Device` or its name (``"ultrascale+"``, ``"versal"``)."""
    if isinstance(device, Device):
        return device
    if isinstance(device, str) and device.lower() in DEVICES:
        return DEVICES[device.lower()]
    raise ValueError(f"device must be one of {sorted(DEVICES)} or a hwmodels.fpga.Device, got {device!r}"
                     f"{close_match(device, sorted(DEVICES), str.lower)}")


@dataclass(frozen=True)
class Resources:
    """LUTs, flip-flops, carry primitives (8-bit) and DSP slices of one MAC (fractions where
    several MACs share a DSP slice)."""

    lut: float
    ff: int
    carry: int
    dsp: float


def finn_mult_luts(w: int, a: int) -> int:
    """FINN-R's LUT estimate of one W x A multiplier: ``(2 ceil((W + A) / 6) - 1)(W + A)``.

    >>> finn_mult_luts(4, 4), finn_mult_luts(8, 8)
    (24, 80)
    """
    w, a = integer("w", w), integer("a", a)
    return (2 * math.ceil((w + a) / 6) - 1) * (w + a)


def finn_acc_bits(n: int, w: int, a: int, signed_a: bool = True) -> int:
    """FINN's accumulator width for ``n`` terms (the A2Q bound):
    ``ceil(alpha + log2(1 + 2^-alpha) + 1)``, ``alpha = log2 n + W + A - 1 - signed(A)``.

    >>> finn_acc_bits(4608, 8, 8)
    28
    """
    n = integer("n", n)
    alpha = math.log2(n) + integer("w", w) + integer("a", a) - 1 - int(bool(signed_a))
    return math.ceil(alpha + math.log2(1 + 2.0**-alpha) + 1)


def dsp_per_mac(w: int, a: int, device="ultrascale+") -> float:
    """DSP slices per W x A MAC under the packing rules of ``device``.

    >>> dsp_per_mac(8, 8, "ultrascale+"), dsp_per_mac(4, 4, "ultrascale+"), dsp_per_mac(8, 8, "versal")
    (0.5, 0.25, 0.3333333333333333)
    """
    dev = get_device(device)
    w, a = integer("w", w), integer("a", a)
    widest = max(w, a)
    for bits in (4, 8):
        if widest <= bits and (dev.dsp, bits) in DSP_PACKING:
            return 1.0 / DSP_PACKING[(dev.dsp, bits)]
    pa, pb = DSP_MULTIPLIER[dev.dsp]
    big, small = max(w, a), min(w, a)
    return float(math.ceil(big / pa) * math.ceil(small / pb))


def mac_resources(datapath: Datapath, device="ultrascale+", *, n: int = DEFAULT_N_TERMS, use_dsp: bool = False) -> Resources:
    """LUT / FF / CARRY8 / DSP counts of one MAC of ``datapath`` on ``device``.

    ``n`` is the dot-product length an exact (Kulisch) accumulator must hold; ``use_dsp`` maps
    integer products to DSP slices (packed) instead of LUTs.
    """
    instance("datapath", datapath, Datapath, "numsim.Datapath")
    dev = get_device(device)
    n = integer("n", n)
    dp = datapath
    if dp.block_scaled:
        raise ValueError(f"{dp.name}: block-scaled datapaths have no FPGA model yet")
    a, b, acc = dp.a_format, dp.b_format, dp.accumulator
    lmul = isinstance(dp.multiplier, (LMul, Mitchell)) and isinstance(a, FloatFormat)
    if not isinstance(dp.multiplier, Exact) and not lmul:
        raise ValueError(f"{dp.name}: FPGA models cover exact multipliers and L-Mul / Mitchell on floats, got {dp.multiplier.name}")
    if dp.product_format is not None:
        raise ValueError(f"{dp.name}: rounded products have no FPGA model; use product_format=None")
    if isinstance(acc, FloatAccumulator) or lmul:
        return _float_mac(dp, dev, n, use_dsp)
    if not isinstance(acc, (FixedAccumulator, Kulisch)):
        raise ValueError(f"{dp.name}: the FPGA models cover fixed-point, exact (Kulisch) and float accumulators, got {acc.name}")
    if all(isinstance(f, (IntFormat, FixedFormat)) for f in (a, b)):
        w, x = a.bits, b.bits
        width = acc.width if isinstance(acc, FixedAccumulator) else finn_acc_bits(n, w, x, _signed(b))
        mult = 0 if use_dsp else finn_mult_luts(w, x)
        lut = FINN_LUT_FACTOR * (mult + (w + x) + width)
        return Resources(round(lut, 6), width, math.ceil(width / 8), dsp_per_mac(w, x, dev) if use_dsp else 0.0)
    if not all(isinstance(f, FloatFormat) for f in (a, b)):
        raise ValueError(f"{dp.name}: mixed integer and float operands have no FPGA model")
    if use_dsp:
        raise ValueError("use_dsp applies to integer MACs; minifloat MACs are modelled in LUTs")
    if not isinstance(acc, Kulisch):
        raise ValueError(f"{dp.name}: minifloat MACs are modelled with exact (Kulisch) accumulation only")
    width = kulisch_width(a, b, n)
    pp = significand_product_bits(a, b)
    c_pp, c_acc, c_sh = YOSYS_LUT_FIT
    lut = c_pp * pp + c_acc * width + c_sh * shifter_size(a, b)
    return Resources(round(lut, 6), width, math.ceil(width / 8), 0.0)


def lmul_luts(e: int, m: int) -> int:
    """LUTs of an L-Mul on ExMy: the (E + M)-bit magnitude adder, an (E + M)-bit output
    multiplexer for the carry cases (normal / overflow / underflow), the sign XOR and the zero
    detectors of both operands.

    >>> lmul_luts(4, 3)
    19
    """
    n = integer("e", e) + integer("m", m, 0)
    return n + n + 1 + 2 * math.ceil(n / 6)


def fp_multiplier_luts(e: int, m: int, rounded: bool = True) -> int:
    """LUTs of an ExMy multiplier: FINN-R's (M + 1) x (M + 1) significand multiplier, the
    exponent adder and bias subtraction (E + 1 bits each), the special-case detectors and output
    multiplexer, and, when ``rounded``, the one-place normaliser and rounding incrementer
    (M + 1 bits each).

    >>> fp_multiplier_luts(4, 3)
    53
    """
    e, m = integer("e", e), integer("m", m, 0)
    return float_product_luts(e, m, e, m) + (2 * (m + 1) if rounded else 0)


def float_product_luts(ea: int, ma: int, eb: int, mb: int) -> int:
    """LUTs of the exact product of ``E{ea}M{ma}`` and ``E{eb}M{mb}`` operands: FINN-R's
    (Ma + 1) x (Mb + 1) significand multiplier, the exponent adder and bias subtraction
    (max(Ea, Eb) + 1 bits each), the special-case detectors of both operands and the output
    multiplexer.

    >>> float_product_luts(4, 3, 4, 3)
    45
    """
    ea, eb, ma, mb = integer("ea", ea), integer("eb", eb), integer("ma", ma, 0), integer("mb", mb, 0)
    e, w = max(ea, eb), max(ea + ma, eb + mb)
    return finn_mult_luts(ma + 1, mb + 1) + 2 * (e + 1) + 2 * math.ceil(w / 6) + w


def fp_adder_luts(e: int, m: int, addend_sig: int = 0) -> int:
    """LUTs of an ExMy adder over ``W = max(M + 1, addend_sig) + 3`` bits: exponent subtract
    (E + 1), swap multiplexers (W), alignment and normalisation shifters (W per two stages
    each), the W-bit add, a leading-zero counter (W), the rounding incrementer (M + 1) and the
    exponent adjust (E + 1).

    >>> fp_adder_luts(8, 23)
    285
    """
    e, m = integer("e", e), integer("m", m, 0)
    w = max(m + 1, addend_sig) + 3
    shifter = w * math.ceil(math.ceil(math.log2(w + 1)) / 2)
    return (e + 1) + w + 2 * shifter + w + w + (m + 1) + (e + 1)


def _float_mac(dp: Datapath, dev: Device, n: int, use_dsp: bool) -> Resources:
    """A float product (exact, or L-Mul) into a float (or fixed / Kulisch) accumulator."""
    if use_dsp:
        raise ValueError("use_dsp applies to integer MACs; float MACs are modelled in LUTs")
    a, b, acc = dp.a_format, dp.b_format, dp.accumulator
    if not all(isinstance(f, FloatFormat) for f in (a, b)):
        raise ValueError(f"{dp.name}: float accumulation of integer products has no FPGA model")
    if isinstance(dp.multiplier, Exact):
        mult = float_product_luts(a.exp_bits, a.man_bits, b.exp_bits, b.man_bits)
        sig = a.man_bits + b.man_bits + 2
    else:
        m = dp.multiplier.kept_mantissa_bits(a)
        mult, sig = lmul_luts(a.exp_bits, m), m + 1
    if isinstance(acc, FloatAccumulator):
        f = acc.fmt
        add = fp_adder_luts(f.exp_bits, f.man_bits, sig if sig > f.man_bits + 1 else 0)
        width = f.bits
        carry = math.ceil((max(f.man_bits + 1, sig) + 3) / 8)
    elif isinstance(acc, (FixedAccumulator, Kulisch)):
        width = acc.width if isinstance(acc, FixedAccumulator) else kulisch_width(a, b, n)
        add = width + shifter_size(a, b) // 2
        carry = math.ceil(width / 8)
    else:
        raise ValueError(f"{dp.name}: no FPGA model for the accumulator {acc.name}")
    return Resources(float(mult + add), width, carry, 0.0)


def significand_product_bits(a: FloatFormat, b: FloatFormat) -> int:
    """Partial products of the significand multiplier: ``(Ma + 1)(Mb + 1)``."""
    return (a.man_bits + 1) * (b.man_bits + 1)


def shifter_size(a: FloatFormat, b: FloatFormat) -> int:
    """``fw * stages`` of the barrel shifter that aligns a product into a Kulisch register:
    ``fw = (Ma + 1) + (Mb + 1) + (2^Ea - 2) + (2^Eb - 2)`` bits, ``ceil(log2(2^Ea + 2^Eb - 3))``
    stages (the shift ``e_a' + e_b'`` runs over ``0 .. 2^Ea + 2^Eb - 4``).

    >>> import numsim
    >>> shifter_size(numsim.get_format("e4m3"), numsim.get_format("e4m3"))
    180
    """
    span = (1 << a.exp_bits) - 2 + (1 << b.exp_bits) - 2
    fw = a.man_bits + 1 + b.man_bits + 1 + span
    return fw * math.ceil(math.log2(span + 1)) if span > 0 else 0


def _signed(fmt) -> bool:
    return bool(getattr(fmt, "signed", True))


__all__ = ["DEVICES", "Device", "Resources", "dsp_per_mac", "finn_acc_bits", "finn_mult_luts", "float_product_luts", "fp_adder_luts", "fp_multiplier_luts", "get_device", "lmul_luts", "mac_resources", "shifter_size", "significand_product_bits"]
