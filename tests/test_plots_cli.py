"""Plots (rendered with Agg) and the ``numsim sweep`` / ``numsim plot`` commands end to end."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from experiments.cli import main  # noqa: E402
from experiments.pareto import pareto_mask  # noqa: E402
from experiments.plots import pareto_figures, plot_heatmap, plot_pareto, save_figure  # noqa: E402
from experiments.spec import builtin_configs, load_spec  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    energy = 10 ** rng.uniform(-1, 2, n)            # three decades: log axis
    return pd.DataFrame({"format": [f"f{i}" for i in range(n)], "energy_pj": energy,
                         "sqnr_db": 20 * np.log10(energy) + rng.normal(0, 5, n), "area_um2": rng.uniform(1, 2, n)})


def test_pareto_plot_draws_every_point_and_labels_exactly_the_front():
    df = _frame()
    front = pareto_mask(df[["energy_pj", "sqnr_db"]].to_numpy(), ["min", "max"])
    ax = plot_pareto(df, "energy_pj", "sqnr_db")
    faded, highlighted = (c.get_offsets() for c in ax.collections)
    assert len(faded) == (~front).sum() and len(highlighted) == front.sum() > 0
    assert sorted(t.get_text() for t in ax.texts) == sorted(df["format"][front])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"       # energy spans 3 decades, SQNR does not
    assert "lower is better" in ax.get_xlabel() and "higher is better" in ax.get_ylabel()


def test_nan_rows_are_left_out_of_the_plot():
    df = _frame(10)
    df.loc[3, "sqnr_db"] = np.nan
    ax = plot_pareto(df, "energy_pj", "sqnr_db")
    assert sum(len(c.get_offsets()) for c in ax.collections) == 9


def test_one_figure_per_cost_accuracy_pair_and_files_are_written(tmp_path):
    figs = pareto_figures(_frame(), minimize=["energy_pj", "area_um2"], maximize=["sqnr_db"])
    assert list(figs) == ["sqnr_db_vs_energy_pj", "sqnr_db_vs_area_um2"]
    paths = save_figure(figs["sqnr_db_vs_energy_pj"], tmp_path / "front")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert all(p.stat().st_size > 5000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in paths[1].read_bytes()


def test_heatmap_puts_each_value_in_its_cell():
    df = pd.DataFrame({"exp_bits": [2, 2, 3, 3, 3], "man_bits": [1, 2, 1, 2, 2], "sqnr_db": [10.0, 15.0, 12.0, 17.0, 18.0]})
    ax = plot_heatmap(df, "exp_bits", "man_bits", "sqnr_db")
    grid = ax.images[0].get_array()
    assert grid.tolist() == [[10.0, 12.0], [15.0, 18.0]]               # rows man_bits, columns exp_bits, max per cell
    assert {t.get_text() for t in ax.texts} == {"10", "12", "15", "18"}


def test_plot_errors_name_the_column():
    with pytest.raises(ValueError, match="column 'energy' is not in the results"):
        plot_pareto(_frame(), "energy", "sqnr_db")
    with pytest.raises(ValueError, match="agg must be one of"):
        plot_heatmap(_frame(), "format", "format", "sqnr_db", agg="median")
    with pytest.raises(ValueError, match="two objectives"):
        pareto_figures(_frame(), minimize=["energy_pj"])


CONFIG = """
    name = "small"
    zip = [["format", "accumulator"]]
    [axes]
    format = ["e4m3", "e5m2", "int8", "int4", "mxfp4"]
    accumulator = ["fp32", "fp32", "fixed<32,0>", "fixed<32,0>", "fp32"]
    rows = [8, 16]
    [fixed]
    workload = "gemm(64, 64, 64)"
    [[evaluate]]
    cost = "systolic"
    [[evaluate]]
    cost = "storage"
    [pareto]
    minimize = ["energy_pj_per_mac", "bits_per_element"]
    maximize = ["tops_per_mm2"]
"""


def test_sweep_command_writes_results_front_and_plots_and_resumes(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(textwrap.dedent(CONFIG))
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["sweep", str(config), "--out", str(out), "--backend", "serial", "--no-progress"])
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 10 and df["error"].isna().all()
    front = pd.read_csv(out / "pareto.csv")
    assert 0 < len(front) <= 10
    assert (out / "pareto.png").stat().st_size > 5000 and (out / "pareto.svg").exists()
    assert (out / "pareto_tops_per_mm2_vs_bits_per_element.png").exists()
    assert "Pareto front (min energy_pj_per_mac, min bits_per_element, max tops_per_mm2)" in result.output
    for fmt in front["format"]:
        assert fmt in result.output
    again = runner.invoke(main, ["sweep", str(config), "--out", str(out), "--backend", "serial", "--no-progress"])
    assert again.exit_code == 0 and len(pd.read_parquet(out / "results.parquet")) == 10

    plotted = runner.invoke(main, ["plot", str(out / "results.parquet"), "--out", str(tmp_path / "figs"),
                                   "--heatmap", "rows", "format", "energy_pj_per_mac"])
    assert plotted.exit_code == 0, plotted.output
    assert (tmp_path / "figs" / "pareto.png").exists() and (tmp_path / "figs" / "heatmap_energy_pj_per_mac.png").exists()


def test_sweep_command_reports_config_errors():
    result = CliRunner().invoke(main, ["sweep", "no_such_config"])
    assert result.exit_code == 2
    assert "neither a file nor a built-in config" in result.output and "quickstart" in result.output


def test_plot_command_needs_objectives(tmp_path):
    pd.DataFrame({"a": [1.0], "b": [2.0]}).to_parquet(tmp_path / "r.parquet")
    result = CliRunner().invoke(main, ["plot", str(tmp_path / "r.parquet")])
    assert result.exit_code == 2 and "no objectives" in result.output


def test_help_has_examples():
    for cmd in (["sweep", "--help"], ["plot", "--help"], ["formats", "--help"], ["validate", "--help"]):
        out = CliRunner().invoke(main, cmd).output
        assert "Examples:" in out and "numsim " + cmd[0] in out
    assert "numsim sweep" in CliRunner().invoke(main, ["--help"]).output


@pytest.mark.parametrize("name", sorted(builtin_configs()))
def test_builtin_configs_load(name):
    spec = load_spec(name)
    assert spec.points() and (spec.minimize or spec.maximize)


@pytest.mark.parametrize("name", sorted(set(builtin_configs()) - {"quickstart"}))
def test_builtin_configs_run_without_error_rows(name):
    """Every other built-in config runs through (serially) with no error row and has a front."""
    from experiments import pareto_front, run_sweep

    spec = load_spec(name)
    df = run_sweep(spec, backend="serial", progress=False)
    assert len(df) == len(spec.points()) and df["error"].isna().all(), df["error"].dropna().head().tolist()
    assert len(pareto_front(df, minimize=list(spec.minimize), maximize=list(spec.maximize))) > 0


def test_quickstart_runs_end_to_end_with_a_nonempty_front(tmp_path):
    """The README's main job: the built-in quickstart through the CLI (serial here: the test
    process already runs beside another xdist worker)."""
    out = tmp_path / "qs"
    result = CliRunner().invoke(main, ["sweep", "--out", str(out), "--backend", "serial", "--no-progress"])
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "results.parquet")
    spec = load_spec("quickstart")
    assert len(df) == len(spec.points()) == 45 and df["error"].isna().all()
    front = pd.read_csv(out / "pareto.csv")
    assert len(front) > 0 and set(front["format"]) <= set(df["format"])
    assert {"gemm_sqnr_db", "digits_accuracy_pct", "energy_pj_per_mac", "area_mm2", "latency_s", "bits_per_element"} <= set(df.columns)
    assert (out / "pareto.png").stat().st_size > 5000
