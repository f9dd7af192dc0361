"""Sweep specs and the sweep engine: points, config errors, backends, resume after SIGKILL,
error rows."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import experiments.engine as engine
from experiments.engine import run_sweep
from experiments.spec import Evaluation, Range, SweepSpec, load_spec, point_id, point_seed

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from sweep_helpers import fails_on_odd, noisy, slow  # noqa: E402

HERE = pathlib.Path(__file__).parent


def _spec(**kw) -> SweepSpec:
    base = dict(name="t", axes={"x": [1.0, 2.0, 3.0]}, evaluate=[Evaluation("cost", noisy)])
    return SweepSpec(**{**base, **kw})


def _toml(tmp_path, text: str) -> pathlib.Path:
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent(text))
    return path


# ---- points ---------------------------------------------------------------------------------------

def test_grid_is_the_cartesian_product_in_axis_order():
    spec = SweepSpec("g", axes={"format": ["e4m3", "int8"], "rows": [8, 16, 32]}, evaluate=[Evaluation("cost", "systolic")])
    pts = spec.points()
    assert [(p["format"], p["rows"]) for p in pts] == [(f, r) for f in ["e4m3", "int8"] for r in [8, 16, 32]]


def test_zip_varies_axes_together_and_crosses_the_rest():
    spec = SweepSpec("z", axes={"format": ["e4m3", "int8"], "accumulator": ["fp32", "fixed<32,0>"], "rows": [8, 16]},
                     zip=[["format", "accumulator"]], evaluate=[Evaluation("cost", "systolic")])
    got = {(p["format"], p["accumulator"], p["rows"]) for p in spec.points()}
    assert got == {("e4m3", "fp32", 8), ("e4m3", "fp32", 16), ("int8", "fixed<32,0>", 8), ("int8", "fixed<32,0>", 16)}


@pytest.mark.parametrize("sampler", ["random", "lhs"])
def test_sampled_ranges_are_reproducible_and_inside_their_bounds(sampler):
    axes = {"x": Range(1.0, 1000.0, log=True), "n": Range(3, 9, integer=True), "tag": ["a", "b"]}
    spec = SweepSpec("s", axes=axes, sampler=sampler, samples=50, evaluate=[Evaluation("cost", noisy)], seed=7)
    pts = spec.points()
    assert pts == SweepSpec("s", axes=axes, sampler=sampler, samples=50, evaluate=[Evaluation("cost", noisy)], seed=7).points()
    assert all(1.0 <= p["x"] <= 1000.0 and 3 <= p["n"] <= 9 and isinstance(p["n"], int) for p in pts)
    assert {p["tag"] for p in pts} == {"a", "b"}
    assert pts != SweepSpec("s", axes=axes, sampler=sampler, samples=50, evaluate=[Evaluation("cost", noisy)], seed=8).points()
    # log-uniform: about half of the draws below the geometric middle (sqrt(1000) = 31.6)
    below = np.mean([p["x"] < 1000 ** 0.5 for p in pts])
    assert 0.3 < below < 0.7


def test_lhs_puts_one_sample_in_every_stratum():
    spec = SweepSpec("l", axes={"x": Range(0.0, 1.0)}, sampler="lhs", samples=20, evaluate=[Evaluation("cost", noisy)])
    strata = sorted(int(p["x"] * 20) for p in spec.points())
    assert strata == list(range(20))


def test_integer_ranges_give_distinct_points_only():
    spec = SweepSpec("d", axes={"x": Range(1, 3, integer=True)}, sampler="random", samples=100, evaluate=[Evaluation("cost", noisy)])
    assert sorted(p["x"] for p in spec.points()) == [1, 2, 3]


def test_point_seed_depends_only_on_sweep_seed_and_point():
    pid = point_id({"x": 1.0})
    assert point_seed(0, pid) == point_seed(0, point_id({"x": 1.0})) != point_seed(1, pid)
    assert point_seed(0, pid) != point_seed(0, point_id({"x": 2.0}))


# ---- configs and their errors --------------------------------------------------------------------

def test_toml_round_trip(tmp_path):
    path = _toml(tmp_path, """
        name = "rt"
        seed = 3
        zip = [["format", "accumulator"]]
        [axes]
        format = ["e4m3", "int8"]
        accumulator = ["fp32", "fixed<32,0>"]
        rows = {low = 8, high = 64, integer = true}
        [sample]
        method = "lhs"
        n = 3
        [fixed]
        workload = "gemm(32, 32, 32)"
        [[evaluate]]
        cost = "systolic"
        dataflow = "os"
        [[evaluate]]
        cost = "mac"
        prefix = "pe_"
    """)
    spec = SweepSpec.from_toml(path)
    again = SweepSpec.from_dict(spec.to_dict(), source="again")
    assert again.points() == spec.points() and len(spec.points()) == 6
    assert [e.label for e in again.evaluate] == ["cost systolic", "cost mac (prefix 'pe_')"]


@pytest.mark.parametrize("body, match", [
    ("name = 'x'\ncolour = 1\n[axes]\nformat = ['e4m3']\n[[evaluate]]\ncost = 'mac'\n", r"sweep.toml: unknown top-level key 'colour'.*allowed: name"),
    ("[axes]\nformatt = ['e4m3']\n[[evaluate]]\ncost = 'mac'\n", r"sweep.toml: unknown key axes.formatt; allowed keys.*format"),
    ("[axes]\nformat = ['e4m3']\n[[evaluate]]\ncost = 'maq'\n", r"evaluate\[0\]: unknown cost 'maq'; allowed: mac, systolic"),
    ("[axes]\nformat = ['e4m3']\n[[evaluate]]\ncost = 'mac'\nnode = 7\n", r"evaluate\[0\]: cost mac has no parameter 'node'; allowed: tech, n_terms"),
    ("[axes]\nformat = ['e4m3', 'fp8_bogus']\n[[evaluate]]\ncost = 'mac'\n", r"sweep.toml: axes.format = 'fp8_bogus'"),
    ("[axes]\nformat = ['e4m3']\nmultiplier = ['lmul(m=3, q=1)']\n[[evaluate]]\ncost = 'mac'\n", r"multiplier = 'lmul\(m=3, q=1\)'.*lmul has no argument 'q'"),
    ("[axes]\nformat = ['e4m3']\naccumulator = ['fixed']\n[[evaluate]]\ncost = 'mac'\n", r"accumulator = 'fixed'.*written fixed<W,F>"),
    # the old fixed(int_bits, frac_bits) spelling is refused with its new spelling, never reinterpreted
    ("[axes]\nformat = ['int8']\naccumulator = ['fixed(32)']\n[[evaluate]]\ncost = 'mac'\n", r"accumulator = 'fixed\(32\)'.*write it 'fixed<32,0>'"),
    ("[axes]\nformat = ['int8']\naccumulator = ['fixed(32, 8)']\n[[evaluate]]\ncost = 'mac'\n", r"32 \+ 8 bits; write it 'fixed<40,8>'"),
    ("[axes]\nformat = ['e4m3']\ndatapath = ['e4m3 -> acc fp33']\n[[evaluate]]\ncost = 'mac'\n", r"axes.datapath = 'e4m3 -> acc fp33': accumulator at position 12.*did you mean 'fp32'"),
    ("[axes]\nformat = ['e4m3']\n[fixed]\nworkload = 'resnet51'\n[[evaluate]]\ncost = 'systolic'\n", r"workload = 'resnet51'.*resnet50"),
    ("[axes]\ntech = ['7nm']\n[[evaluate]]\ncost = 'mac'\n", r"cost mac needs a datapath: set 'format'"),
    ("[axes]\nformat = []\n[[evaluate]]\ncost = 'mac'\n", r"axes.format must be a non-empty list"),
    ("[axes]\nformat = ['e4m3']\n", r"evaluate must list at least one"),
    ("zip = [['format', 'rows']]\n[axes]\nformat = ['e4m3', 'int8']\nrows = [8]\n[[evaluate]]\ncost = 'systolic'\n", r"zipped axes must have equal lengths"),
    ("[axes]\nformat = ['e4m3']\nrows = {low = 8, high = 64}\n[[evaluate]]\ncost = 'systolic'\n", r"axes.rows is a range; ranges need \[sample\]"),
    ("[axes]\nformat = ['e4m3']\nrows = {low = 8, hi = 64}\n[[evaluate]]\ncost = 'systolic'\n", r"unknown key axes.rows.hi"),
    ("[axes]\nformat = ['e4m3']\n[sample]\nmethod = 'sobol'\nn = 4\n[[evaluate]]\ncost = 'mac'\n", r"sample.method must be one of random, lhs"),
    ("[axes]\nformat = ['e4m3']\n[fixed]\nformat = 'int8'\n[[evaluate]]\ncost = 'mac'\n", r"key 'format' is set twice"),
    ("[axes]\nformat = ['e4m3']\n[[evaluate]]\ncost = 'mac'\ntask = 'x'\n", r"exactly one of 'task' or 'cost'"),
    ("[axes\nformat = 1\n", r"sweep.toml: not valid TOML"),
    # named-choice parameters of the evaluations are checked before the sweep starts
    ("[axes]\nformat = ['e4m3']\ndataflow = ['ws', 'xs']\n[[evaluate]]\ncost = 'systolic'\n",
     r"sweep.toml: axes.dataflow = 'xs': dataflow must be one of os, ws, is"),
    ("[axes]\nformat = ['e4m3']\n[fixed]\ncycle_model = 'exact'\n[[evaluate]]\ncost = 'systolic'\n",
     r"fixed.cycle_model = 'exact': cycle_model must be one of scalesim, paper, pipelined"),
    ("[axes]\nmode = ['blocked', 'fast']\n[[evaluate]]\ncost = 'npu_pim_decode'\n", r"axes.mode = 'fast': mode must be one of 'npu_only'"),
    ("[axes]\nbatch = [8]\n[fixed]\nmodel = 'gpt4'\n[[evaluate]]\ncost = 'npu_pim_decode'\n", r"fixed.model = 'gpt4': model must be one of gpt3_175b"),
    ("[axes]\nformat = ['e4m3']\n[fixed]\ntech = '3mm'\n[[evaluate]]\ncost = 'mac'\n", r"fixed.tech = '3mm': tech must be"),
    ("[axes]\nformat = ['e4m3']\n[[evaluate]]\ncost = 'systolic'\ndram = 'hbm9'\n", r"evaluate \(cost systolic\).dram = 'hbm9'"),
    ("[axes]\nformat = ['e4m3']\n[[evaluate]]\ncost = 'fpga'\nfpga_device = 'virtex'\n", r"fpga_device = 'virtex': device must be one of \['ultrascale\+', 'versal'\]"),
    ("[axes]\nformat = ['e4m3']\n[[evaluate]]\ntask = 'tensor_sqnr'\ndistribution = 'cauchy'\n",
     r"evaluate \(task tensor_sqnr\).distribution = 'cauchy': distribution must be one of gaussian"),
    ("[axes]\nformat = ['e4m3']\nscaling = ['tensor', 'block']\n[[evaluate]]\ntask = 'gemm_error'\n", r"axes.scaling = 'block': scaling must be one of tensor"),
])
def test_config_errors_name_the_file_and_key(tmp_path, body, match):
    with pytest.raises(ValueError, match=match):
        SweepSpec.from_toml(_toml(tmp_path, body))


def test_value_checks_accept_what_the_models_accept():
    """The pre-sweep checks are the models' own: SystolicArray takes 'WS' as 'ws', so does the spec."""
    spec = SweepSpec("case", axes={"format": ["e4m3"], "dataflow": ["WS", "os"]}, evaluate=[Evaluation("cost", "systolic")],
                     fixed={"workload": "gemm(16, 16, 16)"})
    df = run_sweep(spec, backend="serial", progress=False)
    assert df["error"].isna().all() and df.loc[0, "cycles"] == run_sweep(
        SweepSpec("lower", axes={"format": ["e4m3"], "dataflow": ["ws"]}, evaluate=[Evaluation("cost", "systolic")],
                  fixed={"workload": "gemm(16, 16, 16)"}), backend="serial", progress=False).loc[0, "cycles"]


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="backend must be one of serial, processes, dask"):
        run_sweep(_spec(), backend="threads")
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        run_sweep(_spec(), backend="serial", workers=0)
    with pytest.raises(ValueError, match="scheduler is for backend='dask'"):
        run_sweep(_spec(), backend="serial", scheduler="tcp://localhost:1")
    with pytest.raises(ValueError, match="neither a file nor a built-in config"):
        load_spec("no_such_config")
    with pytest.raises(TypeError, match="values must be strings, numbers"):
        _spec(axes={"x": [{"a": 1}]})
    with pytest.raises(ValueError, match="range needs low < high"):
        Range(5, 1)


# ---- the engine ---------------------------------------------------------------------------------

def test_rows_hold_axes_ids_and_metrics_from_derived_seeds():
    df = run_sweep(_spec(), backend="serial", progress=False)
    assert list(df.columns) == ["x", "point_id", "draw", "x_squared", "error"]
    assert df["x_squared"].tolist() == [1.0, 4.0, 9.0]
    seeds = [point_seed(0, point_id({"evaluation": "cost noisy", "x": x})) for x in (1.0, 2.0, 3.0)]
    assert df["draw"].tolist() == [np.random.default_rng(s).standard_normal() + x for s, x in zip(seeds, (1.0, 2.0, 3.0))]
    assert df["error"].isna().all()


def test_every_datapath_sees_the_same_inputs():
    """Input seeds ignore datapath keys and keys the evaluation does not take: common random
    numbers across formats, and accuracy that does not move with the array size."""
    spec = SweepSpec("c", axes={"format": ["e4m3", "int8"], "rows": [8, 16], "K": [64, 128]},
                     evaluate=[Evaluation("task", "gemm_error"), Evaluation("cost", "systolic")],
                     fixed={"accumulator": "fp32", "M": 8, "N": 8, "workload": "gemm(16, 16, 16)"})
    g = spec.evaluate[0]
    seeds = {(p["format"], p["rows"], p["K"]): g.input_seed(p, spec.seed) for p in spec.points()}
    assert len({v for k, v in seeds.items() if k[2] == 64}) == 1 and seeds[("e4m3", 8, 64)] != seeds[("e4m3", 8, 128)]
    df = run_sweep(spec, backend="serial", progress=False)
    by_rows = df.pivot_table(index=["format", "K"], columns="rows", values="gemm_sqnr_db")
    assert (by_rows[8] == by_rows[16]).all()


def test_a_failing_evaluation_becomes_an_error_row():
    spec = SweepSpec("f", axes={"x": [0, 1, 2, 3]}, evaluate=[Evaluation("cost", fails_on_odd), Evaluation("cost", noisy)])
    df = run_sweep(spec, backend="serial", progress=False)
    assert df["error"].isna().tolist() == [True, False, True, False]
    assert df.loc[1, "error"] == "cost fails_on_odd: RuntimeError: odd x=1"
    assert np.isnan(df.loc[1, "half"]) and df.loc[2, "half"] == 1.0
    assert df["x_squared"].notna().all()      # the other evaluation still ran


def test_backends_give_identical_frames(monkeypatch):
    """Serial, loky processes and a Dask LocalCluster give one frame. The Dask run pretends to be
    in Jupyter, where it shows Dask's progress widget over its tasks (IPython is stubbed)."""
    import types

    import distributed
    import distributed.utils

    shown = []
    monkeypatch.setattr(distributed.utils, "is_kernel", lambda: True)
    monkeypatch.setattr(distributed, "progress", lambda futures, **options: ("widget", len(futures), options))
    display_module = types.ModuleType("IPython.display")
    display_module.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    spec = SweepSpec("b", axes={"format": ["e4m3", "int8", "mxfp4"], "rows": [8, 16], "x": [0.5, 1.5]},
                     evaluate=[Evaluation("cost", "systolic"), Evaluation("cost", noisy)], fixed={"workload": "gemm(64, 64, 64)"})
    serial = run_sweep(spec, backend="serial", progress=False)
    processes = run_sweep(spec, backend="processes", workers=2, chunk_size=3, progress=False)
    dask = run_sweep(spec, backend="dask", workers=2, chunk_size=2, progress=True)
    assert len(serial) == 12 and serial["error"].isna().all()
    pd.testing.assert_frame_equal(serial, processes)
    pd.testing.assert_frame_equal(serial, dask)
    assert shown == [("widget", 6, {"notebook": True, "multi": False})]


def test_results_stream_to_parquet_and_a_rerun_evaluates_nothing(tmp_path, monkeypatch):
    spec = _spec(axes={"x": [float(i) for i in range(10)]})
    first = run_sweep(spec, backend="serial", out=tmp_path, chunk_size=3, progress=False)
    on_disk = pd.read_parquet(tmp_path / "results.parquet")
    pd.testing.assert_frame_equal(first, on_disk)
    assert not list((tmp_path / "results.parts").iterdir())
    calls = []
    monkeypatch.setattr(engine, "evaluate_point", lambda s, p: calls.append(p) or pytest.fail("re-evaluated"))
    pd.testing.assert_frame_equal(run_sweep(spec, backend="serial", out=tmp_path, progress=False), first)
    assert calls == []


def test_a_different_sweep_into_the_same_directory_is_refused(tmp_path):
    run_sweep(_spec(), backend="serial", out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="holds results of a different sweep"):
        run_sweep(_spec(axes={"x": [1.0, 2.0]}), backend="serial", out=tmp_path, progress=False)


KILLED_SWEEP = """
import sys
sys.path.insert(0, {tests!r})
from experiments.engine import run_sweep
from experiments.spec import Evaluation, SweepSpec
from sweep_helpers import slow
spec = SweepSpec("kill", axes={{"x": list(range(120))}}, evaluate=[Evaluation("cost", slow)], fixed={{"delay_s": 0.02}})
run_sweep(spec, backend="serial", out=sys.argv[1], chunk_size=4, progress=False)
"""


def test_a_sweep_killed_midway_resumes_to_exactly_the_full_set(tmp_path, monkeypatch):
    out = tmp_path / "out"
    script = tmp_path / "sweep.py"
    script.write_text(KILLED_SWEEP.format(tests=str(HERE)))
    proc = subprocess.Popen([sys.executable, str(script), str(out)], cwd=tmp_path)
    parts = out / "results.parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (parts.exists() and len(list(parts.glob("part-*.parquet"))) >= 5):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "results.parquet").exists()          # it really died before finishing
    spec = SweepSpec("kill", axes={"x": list(range(120))}, evaluate=[Evaluation("cost", slow)], fixed={"delay_s": 0.0})
    with pytest.raises(ValueError, match="different sweep"):  # the fixed delay is part of the sweep
        run_sweep(spec, backend="serial", out=out, progress=False)
    spec = SweepSpec("kill", axes={"x": list(range(120))}, evaluate=[Evaluation("cost", slow)], fixed={"delay_s": 0.02})
    done = engine.ResultStore(out, spec).done()
    assert 5 * 4 <= len(done) < 120
    evaluated = []
    real = engine.evaluate_point
    monkeypatch.setattr(engine, "evaluate_point", lambda s, p: evaluated.append(p["x"]) or real(s, p))
    df = run_sweep(spec, backend="serial", out=out, progress=False)
    assert sorted(evaluated) == [x for x in range(120) if point_id({"x": x}) not in done]
    assert df["x"].tolist() == list(range(120)) and df["point_id"].is_unique
    assert (df["x_cubed"] == df["x"].astype(float) ** 3).all()
    again = pd.read_parquet(out / "results.parquet")
    assert len(again) == 120 and again["point_id"].is_unique


@pytest.mark.parametrize("make, error, match", [
    (lambda: Evaluation("metric", "mac"), ValueError, "evaluation kind must be one of task, cost"),
    (lambda: Evaluation("cost", 3), TypeError, "registered name or a callable"),
    (lambda: Evaluation("cost", "mac", params=[1]), TypeError, "params of cost mac must be a dict"),
    (lambda: Range(0, 10, log=True), ValueError, "log range needs low > 0"),
    (lambda: Range(float("nan"), 1), ValueError, "range low must be a finite number"),
    (lambda: _spec(axes={"x": Range(0, 1)}, sampler="random", samples=0), ValueError, "sample.n must be a positive integer"),
    (lambda: _spec(axes={"x": [1.0]}, sampler="lhs", samples=3), ValueError, "needs at least one range axis"),
    (lambda: _spec(label=3), ValueError, "pareto.label must be a column name"),
    (lambda: _spec(maximize=[1]), ValueError, "pareto.maximize must list metric column names"),
    (lambda: _spec(zip=[["x"]]), ValueError, "must name at least two axes"),
    (lambda: _spec(evaluate=[Evaluation("cost", noisy), Evaluation("cost", noisy)]), ValueError, "repeat; give repeated ones different prefixes"),
    (lambda: _spec(seed=-1), ValueError, "seed must be a non-negative integer"),
])
def test_spec_objects_reject_bad_values(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("point, match", [
    ({"format": "e4m3", "block_size": 16}, "block_size 16 needs a block format"),
    ({"format": "e4m3", "multiplier": "booth"}, "unknown multiplier 'booth'; allowed: exact, lmul"),
    ({"format": "e4m3", "multiplier": "drum(k=x)"}, "k must be an integer, got 'x'"),
    ({"format": "e4m3", "accumulator": "kulisch(3)"}, "kulisch takes at most 0 positional argument\\(s\\), got '3' too"),
    ({"format": "e4m3", "accumulator": "fp99"}, "unknown format 'fp99'"),
    ({"datapath": "e4m3 -> acc fp32", "format": "int8"}, "one string \\('datapath'\\) or by its parts, not both"),
    ({"rows": 8}, "needs a 'format'"),
])
def test_bad_datapath_strings(point, match):
    from experiments.design import datapath_from
    with pytest.raises(ValueError, match=match):
        datapath_from(point)


def test_bad_output_directory_and_scheduler(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="out must be a directory"):
        run_sweep(_spec(), backend="serial", out=tmp_path / "file", progress=False)
    with pytest.raises(TypeError, match="scheduler must be an address"):
        run_sweep(_spec(), backend="dask", scheduler=42, progress=False)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        run_sweep(_spec(), backend="serial", chunk_size=0, progress=False)


def test_a_datapath_that_cannot_be_built_is_one_error_of_its_row():
    """int8 operands with an L-Mul multiplier: the row says so once, under 'datapath', and the
    evaluations that need the datapath are not run to repeat it."""
    spec = SweepSpec("bad", axes={"format": ["e4m3", "int8"]}, fixed={"multiplier": "lmul", "accumulator": "fp32"},
                     evaluate=[Evaluation("cost", "mac")])
    df = run_sweep(spec, backend="serial", progress=False)
    assert df.loc[0, "datapath"] == "e4m3*e4m3 lmul -> acc fp32 (sequential) -> fp32" and pd.isna(df.loc[0, "error"])
    assert pd.isna(df.loc[1, "datapath"])
    assert df.loc[1, "error"] == "datapath: ValueError: lmul multiplies float bit patterns; int8 is not a float format"

