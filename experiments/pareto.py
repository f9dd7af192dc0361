"""Pareto analysis of sweep results: non-dominated masks and fronts, hypervolume, knee point.

A sweep gives a DataFrame with one row per design point; some columns are objectives, each
either minimised (area, energy, error) or maximised (throughput, accuracy).  Row ``p``
*dominates* row ``q`` when ``p`` is no worse than ``q`` in every objective and strictly better
in at least one.  The *front* is the set of rows dominated by no row.  Exact duplicates of a
front row are all kept (weak non-domination), and a row with NaN in an objective (a failed
design point) is never on the front and never dominates anything.

Every quantity here is computed in the units of the objective columns themselves; this module
adds none.

>>> import pandas as pd
>>> sweep = pd.DataFrame({"area": [1.0, 2.0, 3.0, 2.0], "accuracy": [0.5, 0.9, 0.8, 0.9]})
>>> pareto_front(sweep, minimize=["area"], maximize=["accuracy"])
   area  accuracy
0   1.0       0.5
1   2.0       0.9
3   2.0       0.9
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import moocore
import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

__all__ = ["hypervolume", "knee_point", "pareto_front", "pareto_mask"]

_SENSES = ("min", "max")


def pareto_mask(values: np.ndarray, sense: Sequence[str] | None = None) -> np.ndarray:
    """True for the rows of ``values`` (shape (n, d)) that no other row dominates.

    ``sense`` gives "min" or "max" for each of the d columns (default: all "min").  Duplicates
    of a non-dominated row are all True; rows containing NaN are False and dominate nothing.
    d == 1 keeps the rows equal to the best value, d == 2 uses Kung's O(n log n) sort and
    sweep, d >= 3 uses ``moocore.is_nondominated(..., keep_weakly=True)``.

    >>> pareto_mask(np.array([[1.0, 2.0], [1.0, 1.0], [2.0, 1.0], [1.0, 1.0], [0.0, np.nan]]))
    array([False,  True, False,  True, False])
    >>> pareto_mask(np.array([[1.0, 1.0], [2.0, 2.0], [2.0, 1.0]]), sense=["min", "max"])
    array([ True,  True, False])
    """
    costs = _as_costs(values, sense)
    finite = ~np.isnan(costs).any(axis=1)
    mask = np.zeros(len(costs), dtype=bool)
    mask[finite] = _nondominated(costs[finite])
    return mask


def pareto_front(
    df: pd.DataFrame,
    minimize: Sequence[str] | str = (),
    maximize: Sequence[str] | str = (),
    *,
    sort: bool = True,
) -> pd.DataFrame:
    """The rows of ``df`` on the Pareto front of the given objective columns (index kept).

    With ``sort`` the rows are ordered by the objectives in the order given (``minimize`` then
    ``maximize``), so by the first objective with ties broken by the next ones.

    >>> sweep = pd.DataFrame({"area": [3.0, 1.0, 2.0], "energy": [1.0, 3.0, 4.0]}, index=["a", "b", "c"])
    >>> pareto_front(sweep, minimize=["area", "energy"])
       area  energy
    b   1.0     3.0
    a   3.0     1.0
    """
    objectives, sense = _objectives(df, minimize, maximize)
    front = df[pareto_mask(df[objectives].to_numpy(dtype=float), sense)]
    return front.sort_values(objectives, kind="stable") if sort else front


def hypervolume(
    df_or_array: pd.DataFrame | np.ndarray,
    minimize: Sequence[str] | str = (),
    maximize: Sequence[str] | str = (),
    *,
    reference: Mapping[str, float] | Sequence[float],
    sense: Sequence[str] | None = None,
) -> float:
    """Volume of objective space dominated by the points and bounded by ``reference``.

    That is the Lebesgue measure of the union over the points p of the boxes between p and the
    reference point, in the product of the objectives' units.  A point that does not strictly
    dominate the reference (is not strictly better in every objective) contributes nothing, and
    rows with NaN are ignored.  For a DataFrame give the objective columns and ``reference`` as
    a dict column -> value; for an (n, d) array give ``sense`` (default all "min") and
    ``reference`` as a sequence of d values.

    >>> sweep = pd.DataFrame({"area": [1.0, 2.0], "accuracy": [0.5, 0.75]})
    >>> hypervolume(sweep, minimize=["area"], maximize=["accuracy"], reference={"area": 3.0, "accuracy": 0.0})
    1.25
    >>> hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), reference=[3.0, 3.0])
    3.0
    """
    if isinstance(df_or_array, pd.DataFrame):
        if sense is not None:
            raise TypeError("hypervolume: give `sense` only with an array; for a DataFrame use minimize=/maximize=")
        objectives, sense = _objectives(df_or_array, minimize, maximize)
        values = df_or_array[objectives].to_numpy(dtype=float)
        reference = _reference_from_mapping(reference, objectives)
    else:
        if minimize or maximize:
            raise TypeError("hypervolume: minimize=/maximize= name DataFrame columns; for an array use sense=")
        values = np.asarray(df_or_array, dtype=float)
    costs = _as_costs(values, sense)
    ref = _as_reference(reference, sense, costs.shape[1])
    inside = costs[(costs < ref).all(axis=1)]  # NaN rows fail the comparison too
    return float(moocore.hypervolume(inside, ref=ref)) if len(inside) else 0.0


def knee_point(df: pd.DataFrame, minimize: Sequence[str] | str = (), maximize: Sequence[str] | str = ()) -> pd.Series:
    """The front row closest to the ideal point after normalising each objective over the front.

    Each objective is rescaled to [0, 1] over the front rows, with 0 the best value on the front
    and 1 the worst; the ideal point is then (0, ..., 0) and the knee is the front row with the
    smallest Euclidean distance to it (the first such row in front order on ties).  An objective
    that is constant on the front contributes 0, so a one-point front is its own knee.

    >>> sweep = pd.DataFrame({"area": [1.0, 2.0, 4.0], "energy": [4.0, 2.0, 1.0]})
    >>> knee_point(sweep, minimize=["area", "energy"]).name
    1
    """
    objectives, sense = _objectives(df, minimize, maximize)
    front = pareto_front(df, minimize, maximize)
    if front.empty:
        raise ValueError("knee_point: the front is empty (no rows without NaN in the objectives)")
    costs = _as_costs(front[objectives].to_numpy(dtype=float), sense)
    best, span = costs.min(axis=0), np.ptp(costs, axis=0)
    normalised = np.divide(costs - best, span, out=np.zeros_like(costs), where=span > 0)
    return front.iloc[int(np.argmin(np.linalg.norm(normalised, axis=1)))]


def _nondominated(costs: np.ndarray) -> np.ndarray:
    """Weak non-domination mask of NaN-free ``costs``, all objectives minimised."""
    n, d = costs.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    if d == 1:
        return costs[:, 0] == costs[:, 0].min()
    if d == 2:
        return _kung_2d(costs[:, 0], costs[:, 1])
    return moocore.is_nondominated(costs, keep_weakly=True)


def _kung_2d(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kung's sweep: q survives iff its y is the least at its x and below every y at smaller x."""
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    positions = np.arange(len(xs))
    group_start = np.maximum.accumulate(np.where(np.r_[True, xs[1:] != xs[:-1]], positions, 0))
    least_y_so_far = np.minimum.accumulate(ys)
    least_y_left = least_y_so_far[group_start - 1]  # wraps for the first group, masked below
    keep = (ys == ys[group_start]) & ((group_start == 0) | (ys < least_y_left))
    mask = np.empty_like(keep)
    mask[order] = keep
    return mask


def _as_costs(values: np.ndarray, sense: Sequence[str] | None) -> np.ndarray:
    """``values`` as an (n, d) float array to minimise: "max" columns negated."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"values: expected a 2-D (n, d) array, got shape {values.shape}")
    return values * _signs(sense, values.shape[1])


def _signs(sense: Sequence[str] | None, d: int) -> np.ndarray:
    """+1 for each "min" objective, -1 for each "max" one."""
    sense = ["min"] * d if sense is None else list(sense)
    if len(sense) != d or any(s not in _SENSES for s in sense):
        raise ValueError(f"sense: expected {d} entries, each 'min' or 'max', got {sense!r}")
    return np.where(np.array(sense) == "max", -1.0, 1.0)


def _as_reference(reference: Sequence[float], sense: Sequence[str] | None, d: int) -> np.ndarray:
    """The reference point in the minimisation frame of ``_as_costs``."""
    ref = np.asarray(reference, dtype=float)
    if ref.shape != (d,) or np.isnan(ref).any():
        raise ValueError(f"reference: expected {d} numbers (one per objective, no NaN), got {reference!r}")
    return ref * _signs(sense, d)


def _reference_from_mapping(reference: Mapping[str, float], objectives: list[str]) -> list[float]:
    """The reference point as a list in objective order, from a dict column -> value."""
    if not isinstance(reference, Mapping) or set(reference) != set(objectives):
        raise ValueError(f"reference: expected a dict with exactly the keys {objectives}, got {reference!r}")
    return [reference[name] for name in objectives]


def _objectives(
    df: pd.DataFrame, minimize: Sequence[str] | str, maximize: Sequence[str] | str
) -> tuple[list[str], list[str]]:
    """Validated objective columns (``minimize`` then ``maximize``) and their senses."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    minimize = [minimize] if isinstance(minimize, str) else list(minimize)
    maximize = [maximize] if isinstance(maximize, str) else list(maximize)
    objectives = minimize + maximize
    if not objectives:
        raise ValueError("minimize/maximize: no objectives given; name at least one column")
    if both := sorted(set(minimize) & set(maximize)):
        raise ValueError(f"minimize/maximize: {both} listed in both; each objective has one sense")
    if len(set(objectives)) != len(objectives):
        raise ValueError(f"minimize/maximize: an objective is listed twice in {objectives}")
    numeric = [c for c in df.columns if is_numeric_dtype(df[c])]
    for name in objectives:
        if name not in df.columns:
            raise ValueError(f"objective {name!r} is not a column of df; numeric columns are {numeric}")
        if name not in numeric:
            raise TypeError(f"objective {name!r} has non-numeric dtype {df[name].dtype}; numeric columns are {numeric}")
    return objectives, ["min"] * len(minimize) + ["max"] * len(maximize)
