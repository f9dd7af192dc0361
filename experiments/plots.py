"""Plots of sweep results (matplotlib): Pareto fronts and design-space heatmaps.

- :func:`plot_pareto`: one objective pair; every point as a dot, the dominated ones faded, the
  front drawn as a staircase and labelled (by format, say); axes go logarithmic when their
  positive values span more than two decades (never for dB or percent columns).
- :func:`pareto_figures`: one figure per (cost, accuracy) objective pair of a sweep.
- :func:`plot_heatmap`: a metric over two axes (e.g. exponent x mantissa bits coloured by SQNR).
- :func:`save_figure`: PNG and SVG side by side.

>>> import pandas as pd
>>> df = pd.DataFrame({"format": ["a", "b", "c"], "energy_pj": [1.0, 2.0, 3.0], "sqnr_db": [10.0, 30.0, 20.0]})
>>> ax = plot_pareto(df, "energy_pj", "sqnr_db", y_sense="max")
>>> [t.get_text() for t in ax.texts], ax.get_xlabel()
(['a', 'b'], 'energy (pJ) (lower is better)')
>>> _pretty("tops_per_mm2"), _pretty("energy_pj_per_mac")
('tops/mm^2', 'energy (pJ per mac)')
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pandas as pd

from . import _checks
from .pareto import pareto_mask

_DECADES_FOR_LOG = 2.0


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6.4, 4.8))[1]


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if name not in df.columns:
        raise ValueError(f"column {name!r} is not in the results; columns: {', '.join(map(str, df.columns))}")
    return pd.to_numeric(df[name], errors="coerce").to_numpy(float)


_LOG_UNITS = ("_db", "_pct")   # already logarithmic or bounded: never on a log axis


def _log_if_wide(ax, axis: str, name: str, values: np.ndarray) -> None:
    if name.endswith(_LOG_UNITS):
        return
    pos = values[np.isfinite(values) & (values > 0)]
    if pos.size and pos.size == np.isfinite(values).sum() and math.log10(pos.max() / pos.min()) > _DECADES_FOR_LOG:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def _pretty(name: str) -> str:
    """A column name for an axis label: ``energy_pj_per_mac`` -> ``energy (pJ per mac)``,
    ``tops_per_mm2`` -> ``tops/mm^2``, ``sqnr_db`` -> ``sqnr (dB)``."""
    units = {"pj": "pJ", "um2": "um^2", "mm2": "mm^2", "ns": "ns", "s": "s", "db": "dB", "pct": "%", "w": "W", "bytes": "bytes"}
    words = name.split("_")
    for i, w in enumerate(words[1:], start=1):
        if w in units:
            if words[i - 1] == "per":
                return " ".join(words[:i - 1]) + "/" + " ".join([units[w], *words[i + 1:]])
            return " ".join(words[:i]) + " (" + " ".join([units[w], *words[i + 1:]]) + ")"
    return name.replace("_", " ")


def plot_pareto(df: pd.DataFrame, x: str, y: str, *, x_sense: str = "min", y_sense: str = "max", label: str | None = "format",
                ax=None, title: str | None = None):
    """Scatter ``y`` against ``x`` for every row with both values, fade the points the 2-D front
    dominates, draw the front as a staircase and write ``label``'s value (a column, or several
    joined by " / ") next to each front point. Returns the matplotlib Axes."""
    xs, ys = _column(df, x), _column(df, y)
    ok = np.isfinite(xs) & np.isfinite(ys)
    ax = _axes(ax)
    front = np.zeros(len(df), bool)
    if ok.any():
        front[ok] = pareto_mask(np.column_stack([xs[ok], ys[ok]]), [x_sense, y_sense])
    ax.scatter(xs[ok & ~front], ys[ok & ~front], s=18, color="0.6", alpha=0.35, label="dominated", zorder=2)
    order = np.argsort(xs[front], kind="stable")
    fx, fy = xs[front][order], ys[front][order]
    ax.step(fx, fy, where="post" if (x_sense == "min") == (y_sense == "max") else "pre", color="C3", lw=1.2, zorder=3)
    ax.scatter(fx, fy, s=36, color="C3", edgecolor="k", lw=0.5, label="Pareto front", zorder=4)
    labels = [label] if isinstance(label, str) else list(label or ())
    if labels and all(c in df.columns for c in labels):
        names = df[labels].astype(str).agg(" / ".join, axis=1).to_numpy()[front][order]
        for px, py, name in zip(fx, fy, names):   # each label below right of its marker
            ax.annotate(str(name), (px, py), textcoords="offset points", xytext=(5, -11), fontsize=8, zorder=5)
    _log_if_wide(ax, "x", x, xs[ok])
    _log_if_wide(ax, "y", y, ys[ok])
    ax.set_xlabel(_pretty(x) + (" (lower is better)" if x_sense == "min" else " (higher is better)"))
    ax.set_ylabel(_pretty(y) + (" (higher is better)" if y_sense == "max" else " (lower is better)"))
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def pareto_figures(df: pd.DataFrame, minimize=(), maximize=(), *, label: str | None = "format", title: str = "") -> dict:
    """One figure per pair of a cost (``minimize``) and an accuracy (``maximize``) objective;
    with only one kind, one per pair of that kind. Returns ``{"x_vs_y": Figure}``."""
    import matplotlib.pyplot as plt

    minimize, maximize = list(minimize), list(maximize)
    if not minimize and not maximize:
        raise ValueError("name at least one objective in minimize or maximize")
    objectives = [(c, "min") for c in minimize] + [(c, "max") for c in maximize]
    if minimize and maximize:
        pairs = [((c, "min"), (a, "max")) for a in maximize for c in minimize]
    else:
        pairs = [(objectives[i], objectives[j]) for i in range(len(objectives)) for j in range(i + 1, len(objectives))]
    if not pairs:
        raise ValueError(f"a Pareto plot needs two objectives, got only {objectives[0][0]!r}")
    figures = {}
    for (xc, xs), (yc, ys) in pairs:
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        plot_pareto(df, xc, yc, x_sense=xs, y_sense=ys, label=label, ax=ax, title=title or None)
        fig.tight_layout()
        figures[f"{yc}_vs_{xc}"] = fig
    return figures


def plot_heatmap(df: pd.DataFrame, x: str, y: str, value: str, *, agg: str = "max", ax=None, cmap: str = "viridis",
                 annotate: bool = True):
    """A ``value`` over two design axes (``x`` columns, ``y`` rows), several rows per cell
    combined by ``agg`` (``"max"``, ``"min"``, ``"mean"``); empty cells blank. Returns the Axes."""
    _checks.choice("agg", agg, ("max", "min", "mean"))
    for name in (x, y):
        if name not in df.columns:
            raise ValueError(f"column {name!r} is not in the results; columns: {', '.join(map(str, df.columns))}")
    data = df.assign(_v=_column(df, value)).pivot_table(index=y, columns=x, values="_v", aggfunc=agg, dropna=False)
    ax = _axes(ax)
    grid = data.to_numpy(float)
    image = ax.imshow(np.ma.masked_invalid(grid), origin="lower", cmap=cmap, aspect="auto")
    ax.set_xticks(range(data.shape[1]), [str(c) for c in data.columns])
    ax.set_yticks(range(data.shape[0]), [str(r) for r in data.index])
    ax.set_xlabel(_pretty(x))
    ax.set_ylabel(_pretty(y))
    ax.figure.colorbar(image, ax=ax, label=_pretty(value))
    if annotate and grid.size <= 400:
        for (i, j), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color="w")
    return ax


def save_figure(fig, stem) -> list[pathlib.Path]:
    """Save ``fig`` as ``stem.png`` (150 dpi) and ``stem.svg``; returns both paths."""
    stem = pathlib.Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths
