"""hwmodels foundations: Cost composition, Stillmaker-Baas node scaling, FPGA MAC resources,
each against the published figures of hwmodels.data with the stated tolerance."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numsim
from hwmodels import data, fpga, scaling
from hwmodels.cost import Cost
from numsim import Datapath, FixedAccumulator, FloatAccumulator, FusedMultiTerm, Kulisch
from numsim.datapath import kulisch_width

# ---- Cost ----------------------------------------------------------------------------------------


def test_costs_add_in_series_and_parallel_and_scale():
    mult = Cost(282.0, 0.2, 1.4, 1.0, name="mult")
    add = Cost(137.0, 0.1, 0.9, 0.5, name="add")
    series = mult + add
    assert (series.area_um2, series.energy_pj, series.delay_ns, series.leakage_uw) == (419.0, 0.2 + 0.1, 1.4 + 0.9, 1.5)
    both = Cost.parallel(mult, add)
    assert both.delay_ns == 1.4 and both.area_um2 == 419.0
    share = 0.25 * series  # a unit shared by four operations
    assert share.area_um2 == 419.0 / 4 and share.delay_ns == series.delay_ns
    assert [n for n, _ in share.breakdown] == ["mult", "add"] and share.breakdown[0][1].energy_pj == 0.05
    assert sum([mult, add]).energy_pj == series.energy_pj


def test_named_costs_nest_and_print():
    mac = (Cost(10, 1, 1, name="mult") + Cost(30, 3, 2, name="acc")).named("mac")
    total = mac + Cost(5, 0.5, 0.1, name="reg")
    assert [n for n, _ in total.breakdown] == ["mac", "reg"]
    assert [n for n, _ in mac.breakdown] == ["mult", "acc"]
    text = total.table()
    assert text.splitlines()[-1].split() == ["total", "45.0", "4.500", "3.100"]


@pytest.mark.parametrize("kwargs, error", [({"area_um2": -1}, ValueError), ({"energy_pj": math.nan}, ValueError), ({"delay_ns": "1"}, TypeError), ({"name": 3}, TypeError)])
def test_bad_costs_raise(kwargs, error):
    with pytest.raises(error):
        Cost(**kwargs)
    with pytest.raises(ValueError):
        Cost(1.0) * -2


# ---- node scaling --------------------------------------------------------------------------------


@pytest.mark.parametrize("node", sorted(data.FACTORS_FROM_45NM))
def test_scaling_from_45nm_matches_hwcomponents(node):
    """Hardware reference table 3.1 (hwcomponents e67d7f1): each factor rounded to the significant
    digits it is printed with (at least two) equals the printed value."""
    area, e08, e09, latency = data.FACTORS_FROM_45NM[node]
    for got, want in ((scaling.area_factor(45, node), area), (scaling.energy_factor(45, node), e08),
                      (scaling.energy_factor(45, node, 0.9), e09), (scaling.latency_factor(45, node), latency)):
        digits = max(len(repr(want).replace(".", "").lstrip("0")), 2)
        assert float(f"{got:.{digits}g}") == want, (node, got, want)


def test_validation_target_9_exact():
    assert round(scaling.area_factor(45, 7), 3) == 0.059 and round(scaling.energy_factor(45, 7), 3) == 0.094


def test_interpolation_weights_the_nearer_node():
    """The accelergy-library-plug-in trap: 28 nm must land near 32 nm, not near 20 nm."""
    assert abs(scaling.area_factor(45, 28) - scaling.area_factor(45, 32)) < abs(scaling.area_factor(45, 28) - scaling.area_factor(45, 20))
    assert scaling.area_factor(45, 28) > scaling.area_factor(45, 22)  # and monotone


@settings(max_examples=200, deadline=None)
@given(st.floats(2.0, 180.0), st.floats(2.0, 180.0))
def test_smaller_nodes_are_never_larger_or_hungrier(x, y):
    small, big = min(x, y), max(x, y)
    assert scaling.area_factor(45, small) <= scaling.area_factor(45, big) + 1e-12
    assert scaling.energy_factor(45, small) <= scaling.energy_factor(45, big) + 1e-12


def test_other_rows_of_the_published_matrix_agree_within_6_percent():
    nodes = data.SCALING_NODES_NM
    worst = max(abs(scaling.area_factor(a, b) / data.AREA_SCALING[i][j] - 1) for i, a in enumerate(nodes) for j, b in enumerate(nodes))
    assert worst <= 0.06


def test_scaling_is_the_identity_on_one_node_and_voltage_is_quadratic():
    for node in (130, 45, 28, 7, 5):
        assert scaling.area_factor(node, node) == pytest.approx(1.0)
        assert scaling.energy_factor(node, node) == pytest.approx(1.0)
        assert scaling.area_factor(28, node) * scaling.area_factor(node, 7) == pytest.approx(scaling.area_factor(28, 7))
    assert scaling.voltage_factor(0.9, 0.8) == pytest.approx((0.8 / 0.9) ** 2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: scaling.area_factor(45, -7), ValueError, "to_nm"),
    (lambda: scaling.area_factor("45nm", 7), TypeError, "from_nm"),
    (lambda: scaling.energy_factor(45, 7, voltage=5), ValueError, "voltage"),
    (lambda: scaling.latency_factor(45, True), TypeError, "to_nm"),
])
def test_bad_nodes_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- accumulator widths (validation target 25) --------------------------------------------------


@pytest.mark.parametrize("fmt, width", sorted(data.KULISCH_WIDTHS_4608.items()))
def test_kulisch_widths_at_4608_exact(fmt, width):
    f = numsim.get_format(fmt)
    assert kulisch_width(f, f, 4608) == width


# ---- FPGA ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("wa, luts", sorted(data.FINN_MULT_LUTS.items()))
def test_finn_r_multiplier_luts_exact(wa, luts):
    assert fpga.finn_mult_luts(*wa) == luts


@pytest.mark.parametrize("device, bits, macs_per_dsp", [
    ("ultrascale+", 8, 2),  # AMD WP486: two INT8 MACs sharing an operand per DSP48E2
    ("ultrascale+", 4, 4),  # FINN mvu_4sx4u: four <= 4-bit products per DSP48E2
    ("versal", 8, 3),  # AMD AM004: a 3-element INT8 dot product per DSP58
])
def test_dsp_packing_exact(device, bits, macs_per_dsp):
    assert fpga.dsp_per_mac(bits, bits, device) == 1.0 / macs_per_dsp


def test_wide_products_take_whole_dsp_slices():
    assert fpga.dsp_per_mac(16, 16, "ultrascale+") == 1.0  # 27 x 18 holds 16 x 16
    assert fpga.dsp_per_mac(32, 32, "ultrascale+") == 4.0  # ceil(32/27) * ceil(32/18)


def test_minifloat_model_reproduces_the_sweep_fit_quality():
    """The reference's fit (LUT = 1.96 PP + 1.27 W_acc + 0.27 SH) over its 23 synthesised MACs has
    a mean |error| of 12%: recomputing PP, W_acc and SH from the formats must give the same figure
    (within one percentage point), which checks our definitions of the three terms."""
    errors = []
    for name, (w_acc, luts, *_rest) in data.YOSYS_MAC_SWEEP.items():
        if name.startswith("int"):
            a, b = (4, 8) if name == "int4xint8" else (int(name[3:]),) * 2
            pp, sh = a * b, 0
            assert a + b + math.ceil(math.log2(4608)) + 1 == w_acc
        else:
            f = numsim.get_format(name)
            pp, sh = fpga.significand_product_bits(f, f), fpga.shifter_size(f, f)
            assert kulisch_width(f, f, 4608) == w_acc
        c_pp, c_w, c_sh = data.YOSYS_LUT_FIT
        fit = c_pp * pp + c_w * w_acc + c_sh * sh
        if not name.startswith("int"):
            model = fpga.mac_resources(Datapath(f, accumulator=Kulisch()))
            assert model.ff == w_acc and model.lut == pytest.approx(fit)
        errors.append(abs(fit / luts - 1))
    assert abs(sum(errors) / len(errors) - data.YOSYS_LUT_FIT_MEAN_ERROR) < 0.01


def test_integer_mac_uses_finn_r_and_the_declared_accumulator():
    r = fpga.mac_resources(Datapath("int8", accumulator=FixedAccumulator(32, 0)))
    assert r == fpga.Resources(1.1 * (80 + 16 + 32), 32, 4, 0.0)
    exact = fpga.mac_resources(Datapath("int8", accumulator=Kulisch()), n=4608)
    assert exact.ff == fpga.finn_acc_bits(4608, 8, 8) == 28
    packed = fpga.mac_resources(Datapath("int4", accumulator=FixedAccumulator(16, 0)), "ultrascale+", use_dsp=True)
    assert packed.dsp == 0.25 and packed.lut == pytest.approx(1.1 * (8 + 16))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.integers(0, 5), st.integers(1, 5))
def test_wider_minifloat_mantissas_never_cost_fewer_luts(e, m, extra):
    lo = numsim.FloatFormat(e, m, specials="none")
    hi = numsim.FloatFormat(e, m + extra, specials="none")
    cost = [fpga.mac_resources(Datapath(f, accumulator=Kulisch())).lut for f in (lo, hi)]
    assert cost[0] <= cost[1]


@pytest.mark.parametrize("call, error, match", [
    (lambda: fpga.mac_resources(Datapath("mxfp8_e4m3"), "ultrascale+"), ValueError, "block-scaled"),
    (lambda: fpga.mac_resources(Datapath("e4m3", accumulator=FusedMultiTerm(4))), ValueError, "float accumulators, got fused"),
    (lambda: fpga.mac_resources(Datapath("e4m3", multiplier=numsim.LMul(), accumulator=FusedMultiTerm(4))), ValueError, "no FPGA model for the accumulator"),
    (lambda: fpga.mac_resources(Datapath("int8", accumulator=FixedAccumulator(32, 0)), "stratix"), ValueError, "device must be"),
    (lambda: fpga.mac_resources(Datapath("int8", accumulator=Kulisch()), n=0), ValueError, "n must be"),
    (lambda: fpga.mac_resources("int8"), TypeError, "numsim.Datapath"),
    (lambda: fpga.finn_mult_luts(0, 8), ValueError, "w must be"),
    (lambda: fpga.mac_resources(Datapath("int8", multiplier=numsim.DRUM(4), accumulator=FixedAccumulator(32, 0))), ValueError, "exact multipliers"),
    (lambda: fpga.mac_resources(Datapath("e4m3", product_format="e4m3", accumulator=FloatAccumulator("bf16"))), ValueError, "rounded products"),
    (lambda: fpga.lmul_luts(0, 3), ValueError, "e must be"),
])
def test_bad_fpga_requests_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()
