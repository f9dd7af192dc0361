"""Names of things in hwmodels: one registry per kind (workloads, transformers, PIM devices), the
name parsers (dataflow, cycle model, PIM placement, decode mode, DRAM), their error messages, the
argument-check helpers of hwmodels and experiments, and the shape of the hwmodels import graph."""

from __future__ import annotations

import ast
import inspect
import pathlib
import re

import pytest

import numsim
from experiments import _checks as ex_checks, costs
from experiments.spec import Evaluation, SweepSpec, builtin_configs, load_spec
from hwmodels import _checks, data, fpga, loopnest, mac, pim
from hwmodels.decode import parse_mode
from hwmodels.memory import get_dram
from hwmodels.pim import PIM_DEVICES, PIM_PRESETS, get_pim_device, parse_placement
from hwmodels.systolic import SystolicArray, parse_cycle_model, parse_dataflow
from hwmodels.workloads import (
    BERT_BASE, GPT3_175B, LLAMA_2_7B, LLAMA_2_70B, LLAMA_3_8B, MODELS, PHASES, TRANSFORMERS, WORKLOADS, Gemm, Gemv, bert_base,
    decoder_layer, get_transformer, get_workload, resnet18, resnet50,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]

# ---- workload strings: every spelling the configs used before get_workload keeps its meaning ------

# The table experiments.design held before the grammar moved into hwmodels, written out: each old
# spelling and the layer list it meant.
OLD_SPELLINGS = [
    ("gemm(64, 128, 256)", lambda: [Gemm(M=64, N=128, K=256)]),
    ("gemm(M=8, N=16, K=32)", lambda: [Gemm(M=8, N=16, K=32)]),
    ("GEMM(1,2,3)", lambda: [Gemm(M=1, N=2, K=3)]),
    ("gemv(4096, 4096)", lambda: [Gemv(rows=4096, cols=4096, batch=1)]),
    ("gemv(4096, 4096, 16)", lambda: [Gemv(rows=4096, cols=4096, batch=16)]),
    ("gemv(rows=10, cols=20, batch=3)", lambda: [Gemv(rows=10, cols=20, batch=3)]),
    ("resnet18", lambda: resnet18(1)),
    ("resnet18(batch=4)", lambda: resnet18(4)),
    (" resnet18 ( batch = 4 ) ", lambda: resnet18(4)),
    ("resnet50", lambda: resnet50(1)),
    ("resnet50(3)", lambda: resnet50(3)),
    ("bert_base", lambda: bert_base(1, 128)),
    ("bert_base(2, 64)", lambda: bert_base(2, 64)),
    ("bert_base(seq_len=32)", lambda: bert_base(1, 32)),
    ("llama3_8b_decode", lambda: decoder_layer(LLAMA_3_8B, 1, 2048, "decode")),
    ("llama3_8b_decode(8, 1024)", lambda: decoder_layer(LLAMA_3_8B, 8, 1024, "decode")),
    ("llama3_8b_prefill", lambda: decoder_layer(LLAMA_3_8B, 1, 2048, "prefill")),
    ("llama3_8b_prefill(batch=2, seq_len=128)", lambda: decoder_layer(LLAMA_3_8B, 2, 128, "prefill")),
    ("llama2_7b_decode", lambda: decoder_layer(LLAMA_2_7B, 1, 2048, "decode")),
    ("llama2_7b_decode(4)", lambda: decoder_layer(LLAMA_2_7B, 4, 2048, "decode")),
    ("llama2_70b_decode", lambda: decoder_layer(LLAMA_2_70B, 1, 2048, "decode")),
    ("llama2_70b_decode(batch=2, seq_len=512)", lambda: decoder_layer(LLAMA_2_70B, 2, 512, "decode")),
]


@pytest.mark.parametrize("text, layers", OLD_SPELLINGS, ids=[t for t, _ in OLD_SPELLINGS])
def test_old_workload_spellings_keep_their_layers(text, layers):
    assert get_workload(text) == tuple(layers())


def test_every_registered_decoder_has_a_decode_and_a_prefill_workload():
    decoders = [n for n, s in TRANSFORMERS.items() if s.decoder]
    assert set(decoders) == {"gpt3_175b", "llama3_8b", "llama2_7b", "llama2_70b"}
    for name in decoders:
        for phase in PHASES:
            assert get_workload(f"{name}_{phase}(2, 64)") == tuple(decoder_layer(TRANSFORMERS[name], 2, 64, phase))
    assert {"gemm", "gemv", "resnet18", "resnet50", "bert_base"} <= set(WORKLOADS)
    assert "bert_base_decode" not in WORKLOADS   # an encoder has no decode step


def test_every_name_in_the_builtin_configs_resolves_in_hwmodels():
    """Workloads, models, PIM designs, placements, modes, dataflows and cycle models of every
    built-in config resolve through the hwmodels registries and parsers."""
    lookups = {"workload": get_workload, "model": lambda v: get_transformer(v, decoders_only=True), "pim": get_pim_device,
               "placement": parse_placement, "mode": parse_mode, "dataflow": parse_dataflow, "cycle_model": parse_cycle_model}
    seen = set()
    for name in builtin_configs():
        spec = load_spec(name)
        values = [(k, v) for k, vs in spec.axes.items() if isinstance(vs, list) for v in vs] + list(spec.fixed.items())
        values += [(k, v) for e in spec.evaluate for k, v in e.params.items()]
        for key, value in values:
            if key in lookups:
                lookups[key](value)
                seen.add(key)
    assert {"workload", "model", "pim", "placement", "mode", "dataflow"} <= seen


def test_one_transformer_registry():
    """Each transformer is registered once; its registry name, its published name and any case or
    separator spelling of either find the same spec; the Llama models decoder_layer takes by name
    are registered ones."""
    keys = [re.sub(r"[-_]", "", n.lower()) for n in TRANSFORMERS]
    assert len(set(keys)) == len(keys)
    assert len({id(s) for s in TRANSFORMERS.values()}) == len(TRANSFORMERS)
    for name, spec in TRANSFORMERS.items():
        for spelling in (name, name.upper(), spec.name, spec.name.upper(), name.replace("_", "-")):
            assert get_transformer(spelling) is spec
    assert set(MODELS.values()) <= set(TRANSFORMERS.values())
    assert TRANSFORMERS["gpt3_175b"] is GPT3_175B and TRANSFORMERS["bert_base"] is BERT_BASE and not BERT_BASE.decoder
    assert decoder_layer("llama3_8b", 2, 16) == decoder_layer("llama-3-8b", 2, 16) == decoder_layer(LLAMA_3_8B, 2, 16)


def test_model_spellings_give_the_same_decode_results():
    old = costs.npu_pim_decode(model="llama3_8b", batch=8, context=256, mode="blocked")
    assert costs.npu_pim_decode(model="Llama-3-8B", batch=8, context=256, mode="blocked") == old


# ---- PIM devices: one registry ---------------------------------------------------------------------

def test_one_pim_registry():
    presets = [d for devices in PIM_DEVICES.values() for d in devices.values()]
    assert list(PIM_PRESETS.values()) == presets and len(set(PIM_PRESETS)) == len(presets) == 6
    for design, devices in PIM_DEVICES.items():
        for placement, device in devices.items():
            assert get_pim_device(design, placement) is device and device.placement == placement
    assert get_pim_device("HBM3") is pim.HBM3_PIM_BANK


@pytest.mark.parametrize("design, host_dram", [("hbm3", "hbm3"), ("hbm2-pim", "hbm2"), ("gddr6-aim", "gddr6"), ("newton-hbm2", "hbm2")])
def test_pim_devices_keep_the_host_dram_experiments_used(design, host_dram):
    """The host of pim_gemv reads each design as the DRAM preset experiments.costs mapped it to
    before the map moved into the devices, at the device's pins."""
    for device in PIM_DEVICES[design].values():
        assert device.host_dram() == get_dram(host_dram).with_bandwidth(device.external_bandwidth_gb_s)


# ---- unknown names: argument, value, allowed names and the closest one -------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: get_workload("resnet5"), r"^workload must be one of gemm, gemv, resnet18, resnet50, bert_base, .*got 'resnet5'; did you mean 'resnet50'\?$"),
    (lambda: get_workload("llama3_8b_decod(2)"), r"workload must be one of .*llama3_8b_decode.*got 'llama3_8b_decod'; did you mean 'llama3_8b_decode'\?"),
    (lambda: get_workload("gemm(64, 64)"), r"workload 'gemm\(64, 64\)': missing a required argument: 'K'; gemm takes \(M, N, K\)"),
    (lambda: get_workload("gemv(8, 8, bach=2)"), r"workload 'gemv\(8, 8, bach=2\)': got an unexpected keyword argument 'bach'; gemv takes \(rows, cols, batch=1\)"),
    (lambda: get_workload("gemm(64, 64, 6.4)"), r"workload 'gemm\(64, 64, 6.4\)': argument '6.4' is not an integer"),
    (lambda: get_workload("gemm(0, 64, 64)"), r"workload 'gemm\(0, 64, 64\)': Gemm: M must be an integer >= 1, got 0"),
    (lambda: get_workload("gemm(64"), r"workload 'gemm\(64' is not of the form name or name\(arguments\)"),
    (lambda: get_transformer("llama3_7b"), r"^model must be one of gpt3_175b, llama3_8b, llama2_7b, llama2_70b, bert_base, got 'llama3_7b'; did you mean 'llama3_8b'\?$"),
    (lambda: get_transformer("bert_base", decoders_only=True), r"^model must be one of gpt3_175b, llama3_8b, llama2_7b, llama2_70b, got 'bert_base'"),
    (lambda: decoder_layer("llama-3-7b", 1, 1), r"decoder_layer: model must be one of \['llama-2-70b', 'llama-2-7b', 'llama-3-8b'\] \(or a TransformerSpec\), got 'llama-3-7b'; did you mean 'llama-3-8b'\?"),
    (lambda: get_pim_device("hbm2pim"), r"^pim must be one of 'hbm3', 'hbm2-pim', 'gddr6-aim', 'newton-hbm2', got 'hbm2pim'; did you mean 'hbm2-pim'\?$"),
    (lambda: get_pim_device("gddr6-aim", "bank_group"), r"^gddr6-aim has PUs only at the bank, got placement='bank_group'; designs with PUs at the bank_group: hbm3$"),
    (lambda: parse_placement("bank-group"), r"^placement must be one of 'bank', 'bank_group', 'buffer_die', got 'bank-group'; did you mean 'bank_group'\?$"),
    (lambda: parse_mode("interleave"), r"^mode must be one of 'npu_only', 'blocked', 'concurrent', 'interleaved', got 'interleave'; did you mean 'interleaved'\?$"),
    (lambda: parse_dataflow("wss"), r"^dataflow must be one of os, ws, is, got 'wss'; did you mean 'ws'\?$"),
    (lambda: parse_dataflow(3), r"^dataflow must be one of os, ws, is, got 3$"),
    (lambda: parse_cycle_model("ScaleSimm"), r"^cycle_model must be one of scalesim, paper, pipelined, got 'ScaleSimm'; did you mean 'scalesim'\?$"),
    (lambda: fpga.get_device("versl"), r"^device must be one of \['ultrascale\+', 'versal'\] or a hwmodels.fpga.Device, got 'versl'; did you mean 'versal'\?$"),
    (lambda: get_dram("hbm33"), r"^dram must be one of ddr3, gddr6, hbm2, hbm3, lpddr4, got 'hbm33'; did you mean 'hbm3'\?$"),
])
def test_unknown_names_say_what_is_allowed_and_the_closest(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_parsers_return_canonical_names():
    assert [parse_dataflow(t) for t in ("OS", "Ws", "is")] == ["os", "ws", "is"]
    assert parse_cycle_model("PIPELINED") == "pipelined"
    assert parse_placement("buffer_die") == "buffer_die" and parse_mode("npu_only") == "npu_only"
    with pytest.raises(TypeError, match="workload must be a string"):
        get_workload(["gemm(1, 1, 1)"])


def test_a_misspelt_config_name_stops_the_sweep_with_the_closest_name():
    with pytest.raises(ValueError, match=r"fixed.workload = 'resnet51': workload must be one of .*did you mean 'resnet50'\?"):
        SweepSpec("t", axes={"format": ["e4m3"]}, evaluate=[Evaluation("cost", "systolic")], fixed={"workload": "resnet51"})
    with pytest.raises(ValueError, match=r"axes.model = 'gpt3_175': model must be one of gpt3_175b.*did you mean 'gpt3_175b'\?"):
        SweepSpec("t", axes={"model": ["gpt3_175", "llama3_8b"]}, evaluate=[Evaluation("cost", "npu_pim_decode")])


# ---- the argument-check helpers --------------------------------------------------------------------

@pytest.mark.parametrize("call, exc, match", [
    (lambda: _checks.integer("rows", 0), ValueError, r"^rows must be an integer >= 1, got 0$"),
    (lambda: _checks.integer("rows", 2.0), TypeError, r"^rows must be an integer >= 1, got 2.0 \(float\)$"),
    (lambda: _checks.integer("rows", True), TypeError, r"^rows must be an integer >= 1, got True \(bool\)$"),
    (lambda: _checks.integer("words", 0, what="a positive integer"), ValueError, r"^words must be a positive integer, got 0$"),
    (lambda: _checks.real("clock_ghz", 0), ValueError, r"^clock_ghz must be a finite number > 0, got 0$"),
    (lambda: _checks.real("util", 1.5, high=1.0), ValueError, r"^util must be a finite number > 0 and <= 1, got 1.5$"),
    (lambda: _checks.real("bw", "1", allow_inf=True), TypeError, r"^bw must be a number > 0, got '1' \(str\)$"),
    (lambda: _checks.real("bits", -1, inclusive=True), ValueError, r"^bits must be a finite number >= 0, got -1$"),
    (lambda: _checks.boolean("causal", 1), TypeError, r"^causal must be True or False, got 1$"),
    (lambda: _checks.string("name", "", empty=False), TypeError, r"^name must be a non-empty string, got '' \(str\)$"),
    (lambda: _checks.instance("gpu", "a100", pim.PimDevice), TypeError, r"^gpu must be a PimDevice, got 'a100' \(str\)$"),
    (lambda: _checks.instance("datapath", 3, numsim.Datapath, "numsim.Datapath"), TypeError, r"^datapath must be a numsim.Datapath, got 3 \(int\)$"),
    (lambda: ex_checks.count("M", 1.5), ValueError, r"^M must be a positive integer, got 1.5$"),
    (lambda: ex_checks.count("seed", -1, minimum=0), ValueError, r"^seed must be a non-negative integer, got -1$"),
    (lambda: ex_checks.count("workers", 0, or_none=True), ValueError, r"^workers must be a positive integer or None, got 0$"),
    (lambda: ex_checks.choice("backend", "proceses", ("serial", "processes", "dask")), ValueError,
     r"^backend must be one of serial, processes, dask, got 'proceses'; did you mean 'processes'\?$"),
    (lambda: ex_checks.datapath("int8"), TypeError, r"^datapath must be a numsim.Datapath, got str$"),
])
def test_check_helpers(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_check_helpers_pass_good_values():
    assert _checks.integer("n", 3) == 3 and _checks.real("x", 2) == 2.0 and _checks.real("x", float("inf"), allow_inf=True) == float("inf")
    assert _checks.choice("d", "WS", ("os", "ws"), key=str.lower) == "ws" and _checks.close_match("x", ("os",)) == ""
    assert ex_checks.count("workers", None, or_none=True) is None and ex_checks.choice("b", "dask", ("dask",)) == "dask"
    dp = numsim.Datapath("int8")
    assert ex_checks.datapath(dp) is dp


# ---- the default dot-product length -----------------------------------------------------------------

def test_one_default_term_count():
    """Every model sizing an accumulator for a dot-product length defaults to data.DEFAULT_N_TERMS,
    the n the Kulisch widths of data.KULISCH_WIDTHS_4608 are quoted at."""
    n = data.DEFAULT_N_TERMS
    assert n == 4608
    defaults = [inspect.signature(mac.mac_cost).parameters["n_terms"].default,
                inspect.signature(mac.word_bits).parameters["n_terms"].default,
                inspect.signature(fpga.mac_resources).parameters["n"].default,
                inspect.signature(costs.mac).parameters["n_terms"].default,
                inspect.signature(costs.fpga).parameters["n_terms"].default,
                SystolicArray().n_terms, loopnest.eyeriss_like().n_terms]
    assert defaults == [n] * len(defaults)


# ---- the hwmodels import graph ----------------------------------------------------------------------

PROJECT = ("numsim", "hwmodels", "experiments")


def _imports(path: pathlib.Path) -> tuple[set[str], list[str]]:
    """(hwmodels modules a module imports at module level, the lines importing project code
    inside a function or class)."""
    top, nested = set(), []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:          # from . import a / from .a import b
            modules, project = [node.module] if node.module else [a.name for a in node.names], True
        elif isinstance(node, ast.ImportFrom):
            package, _, module = node.module.partition(".")
            modules = [module] if module else ([a.name for a in node.names] if package == "hwmodels" else [])
            modules, project = (modules if package == "hwmodels" else []), package in PROJECT
        elif isinstance(node, ast.Import):
            modules = [a.name.split(".")[1] for a in node.names if a.name.startswith("hwmodels.")]
            project = any(a.name.split(".")[0] in PROJECT for a in node.names)
        else:
            continue
        if node.col_offset == 0:
            top.update(modules)
        elif project:
            nested.append(f"{path.name}:{node.lineno}")
    return top, nested


def test_hwmodels_imports_form_no_cycle_and_none_is_inside_a_function():
    modules = {p.stem: p for p in (ROOT / "hwmodels").glob("*.py") if p.stem != "__init__"}
    graph, nested = {}, []
    for name, path in modules.items():
        top, inner = _imports(path)
        graph[name] = {m for m in top if m in modules}
        nested += inner
    assert nested == []
    state: dict[str, int] = {}

    def visit(m: str, trail: tuple) -> None:
        assert state.get(m) != 1, f"import cycle: {' -> '.join(trail + (m,))}"
        if state.get(m) == 2:
            return
        state[m] = 1
        for n in sorted(graph[m]):
            visit(n, trail + (m,))
        state[m] = 2

    for m in sorted(graph):
        visit(m, ())
    assert graph["decode"] >= {"pim", "systolic", "workloads"} and "decode" not in graph["pim"]
