"""The ``numsim`` command line: the one module that wires numsim, hwmodels and experiments together.

>>> from click.testing import CliRunner
>>> "float8_e4m3fn" in CliRunner().invoke(main, ["formats"]).output
True
"""

from __future__ import annotations

import click

import numsim
from numsim.formats import FloatFormat, Format


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
    """numsim: bit-exact number formats and datapaths, and what they cost in hardware."""


@main.command("formats")
@click.option("--family", type=click.Choice(["all", "float", "int", "block"]), default="all", show_default=True, help="Which formats to list.")
@click.option("--aliases/--no-aliases", "show_aliases", default=False, help="Also list the short aliases.")
def formats_command(family: str, show_aliases: bool) -> None:
    """Print every registered format with its bits, bias, range, epsilon and special values, then
    the block formats (MX, NVFP4, MSFP) with their element, block, scale and scale rule."""
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
    from hwmodels.validation import validate_costs, validation_table

    checks = validate_costs()
    shown = [c for c in checks if not c.ok] if failures_only else list(checks)
    click.echo(validation_table(shown))
    failed = sum(not c.ok for c in checks)
    held = sum(c.tolerance is not None for c in checks) - failed
    click.echo(f"\n{held} checks within tolerance, {failed} outside, {sum(c.tolerance is None for c in checks)} shown for information")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
