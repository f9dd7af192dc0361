"""Hardware cost models: technology tables, unit models and mac_cost, against the published
figures (every row of hwmodels.validation with its tolerance), by composition, by monotonicity
properties and on bad input."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import numsim
from experiments.cli import main as cli
from hwmodels import _gates as g
from hwmodels import data, fpga, get_tech, load_tech, mac_cost, units
from hwmodels.tech import CELL_NAMES, builtin_45nm
from hwmodels.validation import validate_costs
from numsim import Datapath, FixedAccumulator, FloatAccumulator, FloatFormat, Kulisch

CHECKS = validate_costs()


# ---- every published figure, with its tolerance ---------------------------------------------------


@pytest.mark.parametrize("check", [c for c in CHECKS if c.tolerance is not None], ids=lambda c: f"{c.group}: {c.target}")
def test_model_meets_the_published_figure(check):
    assert check.ok, f"{check.target}: model {check.model} vs published {check.published} ({check.source})"


def test_every_horowitz_row_and_validation_target_is_covered():
    targets = " ".join(c.target for c in CHECKS)
    for key in data.HOROWITZ_45NM:
        assert f"{key} energy" in targets and f"{key} area" in targets
    for name in ("SRAM read 64 b, 8 KB", "32 KB", "1024 KB", "DRAM", "AND cells", "FA cells", "HA cells", "16x16 OS array area", "L-Mul / exact E4M3",
                 "MXINT8 cheaper", "FP8 MAC + fp32 acc dearer", "95% element-wise", "80% dot product"):
        assert name in targets, name
    assert sum(c.group == "TPU v1 ratios" for c in CHECKS) == 4
    assert sum(c.group == "accumulator width" for c in CHECKS) == len(data.KULISCH_WIDTHS_4608)


def test_lmul_saves_most_of_the_multiplier_but_little_of_an_fp8_mac():
    """The paper's 95% / 80% count only the multiplier (lmul reference section 11); with the
    accumulator charged, an e4m3 L-Mul MAC with fp32 accumulation saves far less."""
    row = {c.target: c.model for c in CHECKS if c.group == "L-Mul claims"}
    assert row["our model, fp32 multiplier alone: L-Mul saving"] > 0.85
    assert row["our model, e4m3 multiplier alone: L-Mul saving"] > 0.4
    assert row["our model, e4m3 MAC with fp32 accumulation: L-Mul saving"] < 0.2
    assert row["our model, fp32 MAC with fp32 accumulation: L-Mul saving"] > row["our model, bf16 MAC with fp32 accumulation: L-Mul saving"]


def test_cli_prints_the_validation_table():
    result = CliRunner().invoke(cli, ["validate", "costs"])
    assert result.exit_code == 0, result.output
    assert "Horowitz 45 nm" in result.output and "0 outside" in result.output
    assert CliRunner().invoke(cli, ["validate"]).exit_code == 0
    only = CliRunner().invoke(cli, ["validate", "costs", "--failures-only"])
    assert only.exit_code == 0 and "int8_add" not in only.output


# ---- structure -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [4, 8, 12, 16, 24, 32])
def test_dadda_counts_follow_the_reference(n):
    """Hardware reference section 4.2: a Dadda n x n tree uses n^2 - 4n + 3 FA and n - 1 HA, then
    a 2n-bit carry-propagate adder (n^2 AND for the partial products)."""
    counts = dict(zip(g.CELLS, g.dadda_multiplier(n, n).counts))
    assert counts["and2"] == n * n
    assert counts["fa"] == n * n - 4 * n + 3 + 2 * n
    assert counts["ha"] == n - 1


@pytest.mark.parametrize("rows, stages", [(2, 0), (3, 1), (4, 2), (6, 3), (8, 4), (9, 4), (13, 5), (16, 6), (19, 6)])
def test_dadda_stage_counts(rows, stages):
    """Reduction stages follow d = 2, 3, 4, 6, 9, 13, 19, 28 (8 x 8 takes 4 stages, 16 x 16 six)."""
    assert g._dadda_levels(rows) == stages


def test_prefix_adders_trade_cells_for_depth():
    for n in (16, 32, 64):
        ks, bk, sk = (g.prefix_adder(n, k) for k in ("kogge_stone", "brent_kung", "sklansky"))
        ripple = g.ripple_adder(n)
        assert sum(ks.counts) > sum(bk.counts)  # Kogge-Stone: most cells
        assert g._length(ks.path) < g._length(bk.path) < g._length(ripple.path)
        assert g._length(sk.path) == g._length(ks.path)
        assert units.prefix_adder(n).delay_ns < units.ripple_adder(n).delay_ns < 3 * units.ripple_adder(n // 2).delay_ns


def test_booth_pays_off_only_for_wide_operands():
    assert units.booth_multiplier(8, 8).area_um2 > units.array_multiplier(8, 8).area_um2
    assert units.booth_multiplier(32, 32).area_um2 < units.array_multiplier(32, 32).area_um2


def test_truncation_removes_cells_and_lut_multipliers_grow_exponentially():
    full = units.truncated_multiplier(8, 8)
    assert full.area_um2 == pytest.approx(units.array_multiplier(8, 8).area_um2)
    assert units.truncated_multiplier(8, 8, vbl=8).area_um2 < full.area_um2
    assert units.lut_multiplier(4, 4, 8).area_um2 * 200 < units.lut_multiplier(8, 8, 16).area_um2


def test_barrel_shifter_and_lzc_structure():
    shifter = dict(zip(g.CELLS, g.barrel_shifter(36, 28).counts))
    assert shifter["mux2"] == 36 * 5  # ceil(log2 29) = 5 stages of 36 multiplexers
    lzc = dict(zip(g.CELLS, g.leading_zero_counter(8).counts))
    assert lzc["mux2"] == 4 * 1 + 2 * 2 + 1 * 3 and lzc["or2"] == 8


# ---- mac_cost composes the units as the datapath says ---------------------------------------------


def test_integer_mac_is_multiplier_plus_adder_plus_register():
    c = mac_cost(Datapath("int8", accumulator=FixedAccumulator(32, 0)))
    parts = units.int_multiplier(8, 8).energy_pj + units.ripple_adder(32).energy_pj + units.register(32).energy_pj
    assert c.energy_pj == pytest.approx(parts)
    assert [n for n, _ in c.breakdown] == ["multiplier", "accumulator"]
    regs = mac_cost(Datapath("int8", accumulator=FixedAccumulator(32, 0)), operand_registers=True)
    assert regs.area_um2 == pytest.approx(c.area_um2 + units.register(16).area_um2)


@pytest.mark.parametrize("fmt, mult, add", [("fp16", "fp16_mult", "fp16_add"), ("fp32", "fp32_mult", "fp32_add")])
def test_float_mac_with_rounded_products_is_a_horowitz_multiply_plus_add(fmt, mult, add):
    """A product rounded to the format, then a float addition: Horowitz's two rows plus the
    accumulator register (within 10%)."""
    c = mac_cost(Datapath(fmt, product_format=fmt, accumulator=FloatAccumulator(fmt)))
    table = data.HOROWITZ_45NM[mult].energy_pj + data.HOROWITZ_45NM[add].energy_pj
    assert c.energy_pj == pytest.approx(table, rel=0.1)
    assert c.area_um2 == pytest.approx(data.HOROWITZ_45NM[mult].area_um2 + data.HOROWITZ_45NM[add].area_um2, rel=0.1)


def test_exact_products_widen_the_float_adder_like_an_fma():
    rounded = mac_cost(Datapath("fp32", product_format="fp32"))
    fused = mac_cost(Datapath("fp32"))
    assert fused.breakdown[-1][1].area_um2 > rounded.breakdown[-1][1].area_um2
    assert units.fma(8, 23).energy_pj < units.fp_multiplier(8, 23).energy_pj + 2 * units.fp_adder(8, 23).energy_pj


def test_kulisch_width_follows_n_terms():
    small, big = (mac_cost(Datapath("e4m3", accumulator=Kulisch()), n_terms=n) for n in (16, 4608))
    acc = lambda c: dict(c.breakdown)["accumulator"]  # noqa: E731
    extra = units.fixed_accumulator(50).area_um2 - units.fixed_accumulator(41).area_um2  # ceil(log2) 13 vs 4
    assert acc(big).area_um2 - acc(small).area_um2 == pytest.approx(extra, rel=0.05)


def test_orders_cost_the_same_and_chunking_adds_the_outer_adder():
    base = dict(a_format="e4m3", accumulator=FloatAccumulator("bf16"))
    seq = mac_cost(Datapath(**base))
    for order in (numsim.tree(4), numsim.pairwise()):
        assert mac_cost(Datapath(**base, order=order)).energy_pj == pytest.approx(seq.energy_pj)
    chunked = [mac_cost(Datapath(**base, order=numsim.chunked(n))) for n in (16, 64)]
    assert chunked[0].energy_pj > chunked[1].energy_pj > seq.energy_pj
    share = (chunked[0].energy_pj - seq.energy_pj) * 16
    assert share == pytest.approx((chunked[1].energy_pj - seq.energy_pj) * 64)


def test_block_overheads_are_amortised_over_the_block():
    per_block = {}
    for k in (8, 16, 32):
        dp = Datapath(numsim.bfp(8, k))
        parts = dict(mac_cost(dp).breakdown)
        per_block[k] = parts["block scaling"].energy_pj * k
        assert "block adder tree" in parts and "lane aligner" not in parts  # integer elements need no alignment
    assert per_block[8] == pytest.approx(per_block[32], rel=0.1)
    mx = dict(mac_cost(Datapath("mxfp8_e4m3")).breakdown)
    assert "lane aligner" in mx and "tensor scale" not in mx
    assert "tensor scale" in dict(mac_cost(Datapath("nvfp4")).breakdown)


def test_tensor_core_fused_adder_is_charged_per_block():
    dp = numsim.tensor_core_datapath("h100", "e4m3")
    c = mac_cost(dp)
    acc = dict(c.breakdown)["accumulator"]
    n = dp.accumulator.n
    block = units.fused_multi_term(n, dp.accumulator.window, 8, 23, 5, 8)
    assert acc.energy_pj == pytest.approx(block.energy_pj / n)


def test_approximate_multipliers_replace_only_the_multiplier():
    acc = FixedAccumulator(32, 0)
    exact = mac_cost(Datapath("int8", accumulator=acc))
    for mult in (numsim.DRUM(4), numsim.Mitchell(), numsim.Truncated(vbl=6)):
        c = mac_cost(Datapath("int8", multiplier=mult, accumulator=acc))
        assert dict(c.breakdown)["accumulator"] == dict(exact.breakdown)["accumulator"]
    lm = mac_cost(Datapath("e4m3", multiplier=numsim.LMul(), accumulator=FloatAccumulator("fp32")))
    ex = mac_cost(Datapath("e4m3", accumulator=FloatAccumulator("fp32")))
    assert dict(lm.breakdown)["multiplier"].energy_pj < 0.6 * dict(ex.breakdown)["multiplier"].energy_pj
    table = numsim.Lookup([[i * j for j in range(16)] for i in range(16)])
    lut = mac_cost(Datapath("uint4", multiplier=table, accumulator=acc))
    assert dict(lut.breakdown)["multiplier"].energy_pj == units.lut_multiplier(4, 4, 8).energy_pj


def test_node_scaling_applies_to_every_part():
    dp = Datapath("e4m3", accumulator=FloatAccumulator("fp32"))
    base, small = mac_cost(dp), mac_cost(dp, "7nm")
    assert small.area_um2 == pytest.approx(base.area_um2 * 0.059, rel=1e-3)
    assert small.energy_pj == pytest.approx(base.energy_pj * get_tech(7).energy_scale, rel=1e-9)
    assert mac_cost(dp, 7) == small and mac_cost(dp, get_tech("7nm")) == small


# ---- monotonicity properties ----------------------------------------------------------------------


def _both(a, b):
    return a.area_um2 <= b.area_um2 + 1e-9 and a.energy_pj <= b.energy_pj + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.integers(0, 9), st.sampled_from(["fp32", "bf16", "fp16"]))
def test_wider_mantissa_or_exponent_is_never_cheaper(e, m, acc):
    mac = lambda fmt: mac_cost(Datapath(fmt, accumulator=FloatAccumulator(acc)))  # noqa: E731
    assert _both(mac(FloatFormat(e, m)), mac(FloatFormat(e, m + 1)))
    assert _both(mac(FloatFormat(e, m)), mac(FloatFormat(e + 1, m)))
    kul = lambda fmt: mac_cost(Datapath(fmt, accumulator=Kulisch()))  # noqa: E731
    assert _both(kul(FloatFormat(e, m)), kul(FloatFormat(e, m + 1)))
    assert _both(kul(FloatFormat(e, m)), kul(FloatFormat(e + 1, m)))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 15), st.integers(16, 40), st.integers(1, 1 << 14))
def test_wider_integers_accumulators_and_longer_sums_are_never_cheaper(bits, width, n):
    mac = lambda b, w: mac_cost(Datapath(f"int{b}", accumulator=FixedAccumulator(w, 0)))  # noqa: E731
    assert _both(mac(bits, width), mac(bits + 1, width))
    assert _both(mac(bits, width), mac(bits, width + 1))
    kul = lambda k: dict(mac_cost(Datapath(f"int{bits}", accumulator=Kulisch()), n_terms=k).breakdown)["accumulator"]  # noqa: E731
    assert _both(kul(n), kul(2 * n))  # (the output conversion, shared by n MACs, does get cheaper)


UNIT_CALLS = [
    lambda w: units.ripple_adder(w), lambda w: units.prefix_adder(w), lambda w: units.int_multiplier(w, w),
    lambda w: units.int_multiplier(w, w, "booth"), lambda w: units.int_multiplier(w, w, "dadda"), lambda w: units.barrel_shifter(w, w),
    lambda w: units.leading_zero_counter(w), lambda w: units.fp_adder(8, w), lambda w: units.fp_multiplier(5, w), lambda w: units.lmul_multiplier(5, w),
    lambda w: units.adder_tree(8, w), lambda w: units.fixed_accumulator(w), lambda w: units.mitchell_multiplier(w, w), lambda w: units.float_product(4, w),
]


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.sampled_from(range(len(UNIT_CALLS))))
def test_every_unit_grows_with_its_width(w, which):
    call = UNIT_CALLS[which]
    assert _both(call(w), call(w + 1))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([130, 90, 65, 45, 32, 28, 22, 16, 14, 10, 7, 5]), st.sampled_from([130, 90, 65, 45, 32, 28, 22, 16, 14, 10, 7, 5]))
def test_a_smaller_node_is_never_larger_or_hungrier(x, y):
    big, small = max(x, y), min(x, y)
    dp = Datapath("int8", accumulator=FixedAccumulator(32, 0))
    assert _both(mac_cost(dp, small), mac_cost(dp, big))


# ---- FPGA L-Mul and float accumulators -------------------------------------------------------------


def test_fpga_lmul_and_float_accumulators():
    acc = FloatAccumulator("fp32")
    lm = fpga.mac_resources(Datapath("e4m3", multiplier=numsim.LMul(), accumulator=acc))
    ex = fpga.mac_resources(Datapath("e4m3", accumulator=acc))
    assert lm.lut < ex.lut and lm.ff == ex.ff == 32
    assert fpga.mac_resources(Datapath("e4m3", accumulator=FloatAccumulator("bf16"))).lut < ex.lut
    for e, m in ((6, 1), (4, 3), (1, 6)):  # Table V: about 22 LUTs for every 8-bit format
        assert 15 <= fpga.lmul_luts(e, m) <= 29


# ---- technology tables ---------------------------------------------------------------------------


def _toml(cells: dict, extra: str = "") -> str:
    lines = ["node_nm = 28", "voltage = 0.9", extra]
    for name, entries in cells.items():
        lines.append(f"[cells.{name}]")
        lines += [f"{k} = {v}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


def _builtin_cells(scale_area: float = 1.0) -> dict:
    t = builtin_45nm()
    return {n: {"area_um2": t.cell(n).area_um2 * scale_area, "energy_fj": t.cell(n).energy_pj * 1e3, "delay_ps": t.cell(n).delay_ns * 1e3} for n in CELL_NAMES}


def test_user_tables_price_every_unit_with_their_cells(tmp_path):
    path = tmp_path / "lib.toml"
    path.write_text(_toml(_builtin_cells(2.0)))
    user = load_tech(path)
    assert user.node_nm == 28 and user.fits == ()
    bare = builtin_45nm().price(g.fp_adder(8, 23))
    assert units.fp_adder(8, 23, tech=user).area_um2 == pytest.approx(2 * bare.area_um2)
    assert units.fp_adder(8, 23, tech=user).energy_pj == pytest.approx(bare.energy_pj)
    assert mac_cost(Datapath("int8", accumulator=FixedAccumulator(32, 0)), path).area_um2 > 0
    csv = tmp_path / "lib.csv"
    rows = ["cell,area_um2,energy_pj,delay_ns"] + [f"{n},{c['area_um2']},{c['energy_fj'] / 1e3},{c['delay_ps'] / 1e3}" for n, c in _builtin_cells().items()]
    csv.write_text("\n".join(rows) + "\n")
    from_csv = load_tech(csv, node_nm=45)
    assert units.ripple_adder(8, tech=from_csv).area_um2 == pytest.approx(builtin_45nm().price(g.ripple_adder(8)).area_um2)
    assert from_csv.at(7).area_scale == pytest.approx(0.059)


@pytest.mark.parametrize("mutate, match", [
    (lambda c: c.pop("ff"), r"missing primitive cells \['ff'\]"),
    (lambda c: c["fa"].pop("energy_fj"), r"cell 'fa'.*missing energy"),
    (lambda c: c["fa"].update({"energy_uj": c["fa"].pop("energy_fj")}), r"energy_uj.*no known unit"),
    (lambda c: c["ha"].update({"area": c["ha"].pop("area_um2")}), r"'area' has no known unit"),
    (lambda c: c["mux2"].update({"delay_ps": -1}), r"delay_ps must be a finite number > 0"),
    (lambda c: c.update({"nand3": dict(c["and2"])}), r"unknown cells \['nand3'\]"),
])
def test_bad_user_tables_name_the_field(tmp_path, mutate, match):
    cells = _builtin_cells()
    mutate(cells)
    path = tmp_path / "bad.toml"
    path.write_text(_toml(cells))
    with pytest.raises(ValueError, match=match):
        load_tech(path)


def test_bad_table_files(tmp_path):
    cells = _builtin_cells()
    no_node = tmp_path / "n.toml"
    no_node.write_text(_toml(cells).replace("node_nm = 28\n", ""))
    with pytest.raises(ValueError, match="missing node_nm"):
        load_tech(no_node)
    extra = tmp_path / "e.toml"
    extra.write_text(_toml(cells, "clock_ghz = 1"))
    with pytest.raises(ValueError, match=r"unknown keys \['clock_ghz'\]"):
        load_tech(extra)
    sram = tmp_path / "s.toml"
    sram.write_text(_toml(cells, "") + "[sram]\nread_pj = 3\n")
    with pytest.raises(ValueError, match=r"unknown keys \['read_pj'\] in \[sram\]"):
        load_tech(sram)
    csv = tmp_path / "c.csv"
    csv.write_text("cell,area_um2,energy_pj,delay_ns\nfa,1,1,1\n")
    with pytest.raises(ValueError, match="needs node_nm"):
        load_tech(csv)
    with pytest.raises(ValueError, match="missing primitive cells"):
        load_tech(csv, node_nm=28)
    with pytest.raises(ValueError, match="does not exist"):
        load_tech(tmp_path / "none.toml")
    broken = tmp_path / "b.toml"
    broken.write_text("node_nm = [")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_tech(broken)


@pytest.mark.parametrize("spec, error, match", [
    ("45 furlongs", ValueError, "tech must be"),
    ("abcnm", ValueError, "tech must be"),
    (-7, ValueError, "positive number of nanometres"),
    (0, ValueError, "positive number of nanometres"),
    ([45], ValueError, "tech must be"),
])
def test_unknown_technologies_raise(spec, error, match):
    with pytest.raises(error, match=match):
        get_tech(spec)


def test_voltage_is_checked_and_rescales_energy():
    with pytest.raises(ValueError, match="voltage"):
        get_tech(45, voltage=5)
    assert get_tech(45, voltage=0.8).energy_scale < 1 == get_tech(45).energy_scale
    assert get_tech("16nm").name == "16nm" and math.isclose(get_tech("16 nm").area_scale, get_tech(16).area_scale)


@pytest.mark.parametrize("call, error, match", [
    (lambda: units.ripple_adder(0), ValueError, "n must be between 1"),
    (lambda: units.int_multiplier(-3, 8), ValueError, "n must be between 1"),
    (lambda: units.int_multiplier(8, 8, "wallace"), ValueError, "arch must be one of"),
    (lambda: units.prefix_adder(8, "ladner"), ValueError, "kind must be one of"),
    (lambda: units.fp_adder(0, 10), ValueError, "e must be between 1"),
    (lambda: units.fp_multiplier(5, 2.5), TypeError, "m must be an integer"),
    (lambda: units.lut_multiplier(12, 12, 24), ValueError, "at most 2\\^20"),
    (lambda: units.barrel_shifter(8, -1), ValueError, "shift_range"),
    (lambda: mac_cost("int8"), TypeError, "numsim.Datapath"),
    (lambda: mac_cost(Datapath("int8", accumulator=FixedAccumulator(32, 0)), n_terms=0), ValueError, "n_terms must be a positive integer"),
    (lambda: mac_cost(Datapath("int8", accumulator=FixedAccumulator(32, 0)), operand_registers="yes"), TypeError, "operand_registers"),
    (lambda: mac_cost(Datapath("int8", accumulator=FixedAccumulator(32, 0)), tech="3 parsecs"), ValueError, "tech must be"),
    (lambda: get_tech().sram_read_pj(0), ValueError, "capacity_bytes"),
    (lambda: get_tech().register_file(0, 8), ValueError, "words must be a positive integer"),
    (lambda: get_tech().cell("nand2"), ValueError, "cell must be one of"),
])
def test_bad_unit_requests_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_memories_and_register_files():
    t = get_tech()
    assert t.sram_area_um2(8 * 1024) == pytest.approx(8 * 1024 * 8 * 0.346 / 0.7)
    assert t.sram_read_pj(32 * 1024, bits=32) == pytest.approx(10.0)  # half of the 64-bit read
    rf = t.register_file(16, 32)
    assert rf.area_um2 > units.register(16 * 32).area_um2 and rf.energy_pj < units.register(16 * 32).energy_pj
    assert t.dram_pj(64) == pytest.approx(1950.0)
