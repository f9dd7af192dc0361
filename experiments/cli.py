"""The ``numsim`` command line: the one module that wires numsim, hwmodels and experiments together.

>>> from click.testing import CliRunner
>>> "float8_e4m3fn" in CliRunner().invoke(main, ["formats"]).output
True
"""

from __future__ import annotations

import click

import numsim
from hwmodels.validation import validate_costs, validation_table
from numsim.formats import FloatFormat, Format

from .engine import run_sweep
from .pareto import pareto_front
from .plots import pareto_figures, plot_heatmap, save_figure
from .spec import builtin_configs, load_spec


def _number(x: float) -> str:
    return f"{x:.6g}"


def format_table(formats: dict[str, Format]) -> list[dict[str, str]]:
    """One row of printable properties per format (name, bits, bias, range, eps, specials)."""
    rows = []
    for name, fmt in formats.items():
        is_float = isinstance(fmt, FloatFormat)
        rows.append(
            {
                "name": name,
                "bits": str(fmt.bits),
                "E/M": f"{fmt.exp_bits}/{fmt.man_bits}" if is_float else "-",
                "bias": str(fmt.bias),
                "max": _number(fmt.max),
                "min normal": _number(fmt.min_normal),
                "min subnormal": _number(fmt.min_subnormal) if fmt.has_subnormals else "-",
                "eps": _number(fmt.eps),
                "specials": fmt.specials_summary,
                "overflow": fmt.default_overflow.value,
            }
        )
    return rows


def block_format_table(formats: dict) -> list[dict[str, str]]:
    """One row per block format: element, block shape, scale, rule, tensor scale, bits/element."""
    return [
        {
            "name": name,
            "element": fmt.element.name,
            "block": "x".join(map(str, fmt.block_shape)),
            "scale": fmt.scale.name,
            "rule": fmt.scale_rule.value,
            "tensor scale": fmt.tensor_scale.name if fmt.tensor_scale else "-",
            "bits/element": f"{fmt.bits_per_element:g}",
        }
        for name, fmt in formats.items()
    ]


def render(rows: list[dict[str, str]]) -> str:
    """Plain-text table with aligned columns."""
    if not rows:
        return ""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    line = lambda r: "  ".join(r[c].rjust(widths[c]) if c not in ("name", "specials", "overflow") else r[c].ljust(widths[c]) for c in columns)  # noqa: E731
    header = line({c: c for c in columns})
    return "\n".join(text.rstrip() for text in [header, "-" * len(header), *map(line, rows)])


@click.group()
@click.version_option(numsim.__version__, prog_name="numsim")
def main() -> None:
    """numsim: bit-exact number formats and datapaths, and what they cost in hardware.

    \b
    Examples:
      numsim sweep                      # the built-in quickstart: results, Pareto table and plot
      numsim formats                    # every built-in number format
      numsim validate                   # cost models against published figures
    """


@main.command("formats")
@click.option("--family", type=click.Choice(["all", "float", "int", "block"]), default="all", show_default=True, help="Which formats to list.")
@click.option("--aliases/--no-aliases", "show_aliases", default=False, help="Also list the short aliases.")
def formats_command(family: str, show_aliases: bool) -> None:
    """Print every registered format with its bits, bias, range, epsilon and special values, then
    the block formats (MX, NVFP4, MSFP) with their element, block, scale and scale rule.

    \b
    Examples:
      numsim formats                    # everything
      numsim formats --family block     # MX, NVFP4, MSFP
      numsim formats --aliases          # also the short names (e4m3, bf16, ...)
    """
    if family != "block":
        formats = numsim.registered_formats()
        if family != "all":
            formats = {n: f for n, f in formats.items() if isinstance(f, FloatFormat) == (family == "float")}
        click.echo(render(format_table(formats)))
    if family in ("all", "block"):
        click.echo(("\n" if family == "all" else "") + render(block_format_table(numsim.registered_block_formats())))
    if show_aliases:
        click.echo("\naliases:")
        for alias, target in sorted(numsim.aliases().items()):
            click.echo(f"  {alias:14s} -> {target}")


@main.group("validate", invoke_without_command=True)
@click.pass_context
def validate_group(ctx: click.Context) -> None:
    """Compare the models with published figures (``numsim validate`` runs every table).

    \b
    Examples:
      numsim validate          # every validation table
      numsim validate costs    # hardware cost models vs Horowitz, EvoApproxLib, TPE, FINN-R, ...
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(validate_costs_command)


@validate_group.command("costs")
@click.option("--failures-only", is_flag=True, help="Show only the rows outside their tolerance.")
def validate_costs_command(failures_only: bool = False) -> None:
    """Print each cost model against its published figure: model value, published value, error,
    tolerance and whether it holds. Exits with status 1 if any row is outside its tolerance."""

    checks = validate_costs()
    shown = [c for c in checks if not c.ok] if failures_only else list(checks)
    click.echo(validation_table(shown))
    failed = sum(not c.ok for c in checks)
    held = sum(c.tolerance is not None for c in checks) - failed
    click.echo(f"\n{held} checks within tolerance, {failed} outside, {sum(c.tolerance is None for c in checks)} shown for information")
    if failed:
        raise SystemExit(1)


DEFAULT_OUT = "numsim-results"


def _front_table(front, spec_keys: list[str], objectives: list[str], label) -> str:
    labels = [c for c in ([label] if isinstance(label, str) else list(label or ())) if c in front.columns]
    cols = labels + [k for k in spec_keys if k not in labels and front[k].nunique() > 1] + objectives
    rows = [{c: (f"{v:.4g}" if isinstance(v, float) else str(v)) for c, v in zip(cols, r)} for r in front[cols].itertuples(index=False)]
    return render(rows) if rows else "(empty Pareto front)"


def write_pareto(df, out, minimize, maximize, label, keys, title="") -> str:
    """Write ``out/pareto.csv`` and the front plots (``out/pareto.png`` / ``.svg`` for the first
    objective pair, ``out/pareto_<y>_vs_<x>.png`` for the others); return the printable table."""
    import pathlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt


    out = pathlib.Path(out)
    missing = [c for c in (*minimize, *maximize) if c not in df.columns]
    if missing:
        metrics = [c for c in df.columns if c not in keys and c not in ("point_id", "error")]
        raise click.UsageError(f"objective {missing[0]!r} is not a column of the results; metric columns: {', '.join(metrics)}")
    ok = df[df["error"].isna()] if "error" in df.columns else df
    front = pareto_front(ok, minimize=list(minimize), maximize=list(maximize))
    front.to_csv(out / "pareto.csv", index=False)
    figures = pareto_figures(df, minimize, maximize, label=label, title=title)
    for i, (pair, fig) in enumerate(figures.items()):
        save_figure(fig, out / ("pareto" if i == 0 else f"pareto_{pair}"))
        plt.close(fig)
    return _front_table(front, keys, [*minimize, *maximize], label)


@main.command("sweep")
@click.argument("config", required=False, default="quickstart")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None, help=f"Results directory [default: {DEFAULT_OUT}/<sweep name>].")
@click.option("--backend", type=click.Choice(["processes", "serial", "dask"]), default="processes", show_default=True, help="Where points are evaluated.")
@click.option("--scheduler", default=None, help="Address of an existing Dask scheduler (tcp://host:8786); implies --backend dask.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes [default: all cores].")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar with ETA.")
def sweep_command(config: str, out: str | None, backend: str, scheduler: str | None, workers: int | None, progress: bool) -> None:
    """Run the sweep CONFIG (a TOML file or a built-in name; default: the quickstart) and write
    OUT/results.parquet, OUT/pareto.csv and OUT/pareto.png (+ .svg), then print the Pareto front.
    Rerunning into the same OUT resumes: only missing points are evaluated.

    \b
    Examples:
      numsim sweep                                   # built-in quickstart
      numsim sweep lmul_vs_fp8 --out results/lmul    # another built-in config
      numsim sweep my_sweep.toml --workers 2
      numsim sweep my_sweep.toml --scheduler tcp://10.0.0.5:8786
    """
    import pathlib


    try:
        spec = load_spec(config)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(f"{exc}\nbuilt-in configs: {', '.join(builtin_configs())}") from None
    if scheduler is not None:
        backend = "dask"
    out_dir = pathlib.Path(out or pathlib.Path(DEFAULT_OUT) / spec.name)
    click.echo(f"sweep {spec.name}: {len(spec.points())} points, backend {backend}, results in {out_dir}")
    df = run_sweep(spec, backend=backend, out=out_dir, workers=workers, scheduler=scheduler, progress=progress)
    errors = int(df["error"].notna().sum())
    click.echo(f"{len(df)} points evaluated ({errors} with errors: see the 'error' column) -> {out_dir / 'results.parquet'}")
    if spec.minimize or spec.maximize:
        table = write_pareto(df, out_dir, spec.minimize, spec.maximize, spec.label, list(spec.points()[0]), title=spec.name)
        click.echo(f"\nPareto front ({', '.join([*(f'min {c}' for c in spec.minimize), *(f'max {c}' for c in spec.maximize)])}):")
        click.echo(table)
        click.echo(f"\n-> {out_dir / 'pareto.csv'}, {out_dir / 'pareto.png'}")


@main.command("plot")
@click.argument("results", type=click.Path(exists=True))
@click.option("--minimize", multiple=True, help="Objective column to minimise (repeatable) [default: the sweep's].")
@click.option("--maximize", multiple=True, help="Objective column to maximise (repeatable) [default: the sweep's].")
@click.option("--label", default=None, help="Column labelling the front points [default: the sweep's, or format].")
@click.option("--heatmap", nargs=3, default=None, metavar="X Y VALUE", help="Also draw VALUE over columns X and Y.")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None, help="Where to write the figures [default: next to RESULTS].")
def plot_command(results: str, minimize: tuple, maximize: tuple, label: str | None, heatmap, out: str | None) -> None:
    """Draw the Pareto plots (and optionally a heatmap) of a results.parquet written by
    ``numsim sweep``; objectives default to the ones the sweep named.

    \b
    Examples:
      numsim plot numsim-results/quickstart/results.parquet
      numsim plot results.parquet --minimize mac_energy_pj --maximize gemm_sqnr_db
      numsim plot results.parquet --heatmap exp_bits man_bits sqnr_db
    """
    import json
    import pathlib

    import pandas as pd

    path = pathlib.Path(results)
    df = pd.read_parquet(path)
    meta_file = (path if path.is_dir() else path.parent) / "sweep.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    minimize = minimize or tuple(meta.get("minimize", ()))
    maximize = maximize or tuple(meta.get("maximize", ()))
    label = label or meta.get("label") or "format"
    if not minimize and not maximize:
        raise click.UsageError("no objectives: give --minimize/--maximize (the results carry none)")
    out_dir = pathlib.Path(out) if out else (path if path.is_dir() else path.parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = list(df.columns[:list(df.columns).index("point_id")]) if "point_id" in df.columns else []
    click.echo(write_pareto(df, out_dir, minimize, maximize, label, keys, title=meta.get("name", "")))
    if heatmap:
        import matplotlib.pyplot as plt


        x, y, value = heatmap
        try:
            ax = plot_heatmap(df, x, y, value)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        ax.figure.tight_layout()
        save_figure(ax.figure, out_dir / f"heatmap_{value}")
        plt.close(ax.figure)
    click.echo(f"-> figures in {out_dir}")


if __name__ == "__main__":  # pragma: no cover
    main()
