"""experiments.pareto against brute-force references written here from the definitions."""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import experiments.pareto
from experiments.pareto import hypervolume, knee_point, pareto_front, pareto_mask

FAST = settings(max_examples=60, deadline=None)

# ---------------------------------------------------------------------------------------------
# Brute-force references (plain loops over pairs / grid cells, straight from the definitions)
# ---------------------------------------------------------------------------------------------


def has_nan(row) -> bool:
    return any(math.isnan(v) for v in row)


def better_or_equal(a: float, b: float, s: str) -> bool:
    return a <= b if s == "min" else a >= b


def strictly_better(a: float, b: float, s: str) -> bool:
    return a < b if s == "min" else a > b


def dominates(p, q, sense) -> bool:
    """p is no worse than q everywhere and strictly better somewhere; NaN rows take no part."""
    if has_nan(p) or has_nan(q):
        return False
    no_worse = all(better_or_equal(a, b, s) for a, b, s in zip(p, q, sense))
    return no_worse and any(strictly_better(a, b, s) for a, b, s in zip(p, q, sense))


def brute_mask(rows, sense) -> list[bool]:
    return [not has_nan(q) and not any(dominates(p, q, sense) for p in rows) for q in rows]


def brute_hypervolume(points, ref) -> float:
    """Exact dominated volume (minimisation) by summing grid cells.

    Per axis the grid lines are the distinct point coordinates below the reference plus the
    reference itself.  Every box [p, ref] is a union of whole cells, so a cell lies in the union
    of boxes exactly when some point is <= its lower corner in every coordinate.
    """
    points = [p for p in points if not has_nan(p)]
    axes = [sorted({p[k] for p in points if p[k] < ref[k]} | {ref[k]}) for k in range(len(ref))]
    volume = 0.0
    for cell in itertools.product(*(range(len(axis) - 1) for axis in axes)):
        lower = [axes[k][i] for k, i in enumerate(cell)]
        if any(all(p[k] <= lower[k] for k in range(len(ref))) for p in points):
            volume += math.prod(axes[k][i + 1] - axes[k][i] for k, i in enumerate(cell))
    return volume


# ---------------------------------------------------------------------------------------------
# Strategies: small integer-valued floats force ties and duplicates; some rows get a NaN
# ---------------------------------------------------------------------------------------------


@st.composite
def objective_rows(draw, d: int, max_n: int = 60, nan: bool = True) -> np.ndarray:
    n = draw(st.integers(0, max_n))
    cells = draw(st.lists(st.integers(0, 4), min_size=n * d, max_size=n * d))
    values = np.array(cells, dtype=float).reshape(n, d)
    if nan and n:
        for row in draw(st.sets(st.integers(0, n - 1), max_size=max(1, n // 5))):
            values[row, draw(st.integers(0, d - 1))] = np.nan
    return values


def senses(d: int):
    return st.lists(st.sampled_from(["min", "max"]), min_size=d, max_size=d)


@st.composite
def sweeps(draw, max_n: int = 40, nan: bool = True) -> pd.DataFrame:
    """A sweep DataFrame with objectives a (min), b (max), c (min), a label column, shuffled index."""
    values = draw(objective_rows(3, max_n, nan))
    index = draw(st.permutations(range(100, 100 + len(values))))
    df = pd.DataFrame(values, columns=["a", "b", "c"], index=index)
    return df.assign(label=[f"p{i}" for i in range(len(df))])


OBJECTIVES = {"minimize": ["a", "c"], "maximize": ["b"]}
SENSE = ["min", "max", "min"]  # of columns a, b, c

# ---------------------------------------------------------------------------------------------
# pareto_mask
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 3, 4])
@FAST
@given(data=st.data())
def test_mask_matches_brute_force(d, data):
    values = data.draw(objective_rows(d))
    sense = data.draw(senses(d))
    expected = brute_mask(values.tolist(), sense)
    assert pareto_mask(values, sense).tolist() == expected


def test_mask_default_sense_is_all_min():
    values = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    assert pareto_mask(values).tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(1, 2), (1, 1), (2, 1), (1, 1)], [False, True, False, True]),  # ties in x and in y, duplicates
        ([(1, 1), (1, 2), (1, 1)], [True, False, True]),  # larger y first within the tied x
        ([(0, 3), (1, 3), (1, 3), (2, 0)], [True, False, False, True]),  # duplicates dominated in x
        ([(2, 2), (2, 2), (2, 2)], [True, True, True]),  # all equal
        ([(0, np.inf), (1, 0)], [True, True]),  # an infinite coordinate is still comparable
    ],
)
def test_mask_2d_ties_and_duplicates(rows, expected):
    values = np.array(rows, dtype=float)
    assert pareto_mask(values).tolist() == expected
    assert brute_mask(values.tolist(), ["min", "min"]) == expected


@pytest.mark.parametrize("d", [2, 3, 4])
def test_mask_duplicates_kept_above_moocore_small_threshold(d):
    """Enough rows for moocore's recursive Kung path (n > 16) with every front row duplicated."""
    rng = np.random.default_rng(d)
    sense = ["min", "max"] * (d // 2) + ["min"] * (d % 2)
    values = rng.integers(0, 6, size=(150, d)).astype(float)
    values = np.concatenate([values, values[pareto_mask(values, sense)]])
    assert pareto_mask(values, sense).tolist() == brute_mask(values.tolist(), sense)


def test_mask_nan_rows_are_off_the_front_and_dominate_nothing():
    values = np.array([[np.nan, 0.0], [1.0, 1.0], [np.nan, np.nan]])
    assert pareto_mask(values).tolist() == [False, True, False]
    assert pareto_mask(np.array([[np.nan, 0.0, 0.0], [1.0, 1.0, 1.0]])).tolist() == [False, True]


def test_mask_empty_and_all_nan():
    assert pareto_mask(np.empty((0, 2))).tolist() == []
    assert pareto_mask(np.full((3, 3), np.nan)).tolist() == [False] * 3


@pytest.mark.parametrize(
    ("values", "sense", "match"),
    [
        (np.zeros(3), None, "2-D"),
        (np.zeros((3, 2)), ["min"], "expected 2 entries"),
        (np.zeros((3, 2)), ["min", "minimise"], "'min' or 'max'"),
    ],
)
def test_mask_bad_input(values, sense, match):
    with pytest.raises(ValueError, match=match):
        pareto_mask(values, sense)


# ---------------------------------------------------------------------------------------------
# pareto_front
# ---------------------------------------------------------------------------------------------


@FAST
@given(df=sweeps())
def test_front_rows_are_undominated_and_the_rest_are_dominated_by_the_front(df):
    front = pareto_front(df, **OBJECTIVES)
    rows = df[["a", "b", "c"]].to_numpy().tolist()
    front_rows = front[["a", "b", "c"]].to_numpy().tolist()
    assert not any(dominates(p, q, SENSE) for q in front_rows for p in rows)
    off_front = df.drop(index=front.index).dropna(subset=["a", "b", "c"])
    for q in off_front[["a", "b", "c"]].to_numpy().tolist():
        assert any(dominates(p, q, SENSE) for p in front_rows)


@FAST
@given(df=sweeps(nan=False), data=st.data())
def test_adding_a_dominated_point_changes_neither_front_nor_hypervolume(df, data):
    if df.empty:
        return
    reference = {"a": 5.0, "b": -1.0, "c": 5.0}
    front = pareto_front(df, **OBJECTIVES)
    p = front.iloc[data.draw(st.integers(0, len(front) - 1))]
    worse = data.draw(st.lists(st.integers(0, 2), min_size=3, max_size=3).filter(any))
    q = {"a": p.a + worse[0], "b": p.b - worse[1], "c": p.c + worse[2], "label": "dominated"}
    bigger = pd.concat([df, pd.DataFrame([q], index=[-1])])
    pd.testing.assert_frame_equal(pareto_front(bigger, **OBJECTIVES), front)
    assert hypervolume(bigger, **OBJECTIVES, reference=reference) == hypervolume(df, **OBJECTIVES, reference=reference)


def test_front_keeps_index_handles_maximize_and_sorts():
    df = pd.DataFrame(
        {"area": [4.0, 1.0, 2.0, 3.0, 2.0], "accuracy": [0.9, 0.5, 0.7, 0.6, 0.7], "name": list("vwxyz")},
        index=["v", "w", "x", "y", "z"],
    )
    front = pareto_front(df, minimize=["area"], maximize=["accuracy"])
    assert front.index.tolist() == ["w", "x", "z", "v"]
    pd.testing.assert_frame_equal(front, df.loc[["w", "x", "z", "v"]])
    assert pareto_front(df, minimize="area", maximize="accuracy", sort=False).index.tolist() == ["v", "w", "x", "z"]
    assert pareto_front(df, maximize=["area", "accuracy"]).index.tolist() == ["v"]


def test_front_drops_nan_rows():
    df = pd.DataFrame({"x": [1.0, np.nan, 2.0], "y": [2.0, 0.0, 1.0]})
    assert pareto_front(df, minimize=["x", "y"]).index.tolist() == [0, 2]


def test_front_of_empty_df_is_empty_with_the_same_columns():
    df = pd.DataFrame({"x": pd.Series([], dtype=float), "y": pd.Series([], dtype=float), "tag": pd.Series([], dtype=object)})
    front = pareto_front(df, minimize=["x"], maximize=["y"])
    assert front.empty and front.columns.tolist() == ["x", "y", "tag"]


BAD = pd.DataFrame({"x": [1.0, 2.0], "y": [2, 1], "tag": ["a", "b"]})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "no objectives"),
        ({"minimize": ["z"]}, ValueError, r"'z' is not a column.*numeric columns are \['x', 'y'\]"),
        ({"minimize": ["x"], "maximize": ["x"]}, ValueError, r"\['x'\] listed in both"),
        ({"minimize": ["x", "x"]}, ValueError, "listed twice"),
        ({"minimize": ["tag"]}, TypeError, r"'tag' has non-numeric dtype .*\['x', 'y'\]"),
    ],
)
def test_front_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        pareto_front(BAD, **kwargs)


def test_front_rejects_a_non_dataframe():
    with pytest.raises(TypeError, match="df: expected a pandas DataFrame, got ndarray"):
        pareto_front(np.zeros((2, 2)), minimize=[0])


# ---------------------------------------------------------------------------------------------
# hypervolume
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 3])
@FAST
@given(data=st.data())
def test_hypervolume_matches_grid_brute_force(d, data):
    values = data.draw(objective_rows(d, max_n=8))
    ref = data.draw(st.lists(st.integers(1, 5), min_size=d, max_size=d))
    expected = brute_hypervolume(values.tolist(), ref)
    assert hypervolume(values, reference=ref) == pytest.approx(expected, rel=1e-9)


@FAST
@given(df=sweeps(max_n=8))
def test_hypervolume_maximize_is_minimize_of_the_negation(df):
    reference = {"a": 4.0, "b": 0.5, "c": 3.5}
    expected = brute_hypervolume(df[["a", "b", "c"]].assign(b=-df.b).to_numpy().tolist(), [4.0, -0.5, 3.5])
    assert hypervolume(df, **OBJECTIVES, reference=reference) == pytest.approx(expected, rel=1e-9)
    assert hypervolume(df[["a", "b", "c"]].to_numpy(), reference=[4.0, 0.5, 3.5], sense=SENSE) == pytest.approx(
        expected, rel=1e-9
    )


@FAST
@given(values=objective_rows(3, max_n=30), extra=st.lists(st.integers(0, 4), min_size=3, max_size=3))
def test_hypervolume_is_monotone(values, extra):
    ref = [4.0, 4.0, 4.0]
    assert hypervolume(np.vstack([values, [extra]]), reference=ref) >= hypervolume(values, reference=ref)


def test_hypervolume_ignores_points_not_strictly_dominating_the_reference():
    ref = [2.0, 2.0]
    assert hypervolume(np.array([[1.0, 2.0], [2.0, 0.0], [3.0, -5.0]]), reference=ref) == 0.0
    assert hypervolume(np.array([[1.0, 1.0], [1.0, 2.0], [np.nan, 0.0]]), reference=ref) == 1.0
    assert hypervolume(np.empty((0, 2)), reference=ref) == 0.0


def test_hypervolume_one_objective():
    df = pd.DataFrame({"acc": [0.25, 0.75, np.nan]})
    assert hypervolume(df, maximize=["acc"], reference={"acc": 0.0}) == 0.75


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((BAD, ["x", "y"]), {"reference": {"x": 3.0}}, ValueError, r"reference: expected a dict with exactly the keys \['x', 'y'\]"),
        ((BAD, ["x"]), {"reference": [3.0]}, ValueError, "reference: expected a dict"),
        ((np.zeros((2, 2)),), {"reference": [1.0]}, ValueError, "reference: expected 2 numbers"),
        ((np.zeros((2, 2)),), {"reference": [1.0, np.nan]}, ValueError, "no NaN"),
        ((np.zeros((2, 2)), ["x"]), {"reference": [1.0, 1.0]}, TypeError, "for an array use sense="),
        ((BAD, ["x"]), {"reference": {"x": 3.0}, "sense": ["min"]}, TypeError, "give `sense` only with an array"),
    ],
)
def test_hypervolume_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        hypervolume(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# knee_point
# ---------------------------------------------------------------------------------------------


@FAST
@given(df=sweeps())
def test_knee_is_on_the_front(df):
    if df[["a", "b", "c"]].dropna().empty:
        with pytest.raises(ValueError, match="front is empty"):
            knee_point(df, **OBJECTIVES)
        return
    knee = knee_point(df, **OBJECTIVES)
    assert knee.name in pareto_front(df, **OBJECTIVES).index
    pd.testing.assert_series_equal(knee, df.loc[knee.name])


def test_knee_of_a_symmetric_convex_front_is_the_middle():
    t = 2.0 ** np.arange(-3, 4)
    df = pd.DataFrame({"t": t, "inv": 1 / t}).sample(frac=1, random_state=0)
    assert knee_point(df, minimize=["t", "inv"]).t == 1.0
    throughput = df.assign(inv=-df.inv)  # the same front with the second objective maximised
    assert knee_point(throughput, minimize=["t"], maximize=["inv"]).t == 1.0


def test_knee_of_one_point_and_of_a_constant_objective():
    one = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 3.0]}, index=["best", "worse"])
    assert knee_point(one, minimize=["x", "y"]).name == "best"
    flat = pd.DataFrame({"x": [0.0, 1.0, 3.0], "y": [3.0, 1.0, 0.0], "z": [5.0, 5.0, 5.0]})
    assert knee_point(flat, minimize=["x", "y", "z"]).name == 1


def test_doctests():
    assert doctest.testmod(experiments.pareto).failed == 0
