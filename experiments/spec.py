"""Sweep specifications: which design points to evaluate and how, from TOML or Python.

A sweep names **axes** (lists of values crossed into a grid, groups of lists zipped together,
or ranges sampled at random or by Latin hypercube), **fixed** values shared by every point, and
the **evaluations** to run on each point: accuracy tasks (:data:`experiments.tasks.TASKS`) and
cost models (:data:`experiments.costs.COSTS`). A point's keys are the datapath keys of
:mod:`experiments.design` plus the keyword parameters of the evaluations.

The same sweep as TOML::

    name = "example"
    seed = 0
    zip = [["format", "accumulator"]]       # optional: lists that vary together

    [axes]
    format = ["e4m3", "int8"]
    accumulator = ["fp32", "fixed(32)"]
    rows = {low = 8, high = 128, log = true, integer = true}   # a range: needs [sample]

    [sample]
    method = "lhs"                          # or "random"
    n = 4

    [fixed]
    workload = "gemm(128, 128, 128)"

    [[evaluate]]
    task = "gemm_error"
    K = 128

    [[evaluate]]
    cost = "systolic"

    [pareto]                                # objectives of the front and its plots
    minimize = ["energy_pj_per_mac"]
    maximize = ["gemm_sqnr_db"]
    label = "format"

>>> spec = SweepSpec("demo", axes={"format": ["e4m3", "e5m2"], "rows": [8, 16]},
...                  evaluate=[Evaluation("cost", "systolic")], fixed={"workload": "gemm(32, 32, 32)"})
>>> [(p["format"], p["rows"]) for p in spec.points()]
[('e4m3', 8), ('e4m3', 16), ('e5m2', 8), ('e5m2', 16)]
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import itertools
import json
import math
import numbers
import pathlib
import sys
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

import numsim
from hwmodels.workloads import get_workload

from . import _checks, design

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_DIR = pathlib.Path(__file__).parent / "configs"
KINDS = {"task": ("experiments.tasks", "TASKS"), "cost": ("experiments.costs", "COSTS")}
SAMPLERS = ("grid", "random", "lhs")
TOP_LEVEL_KEYS = ("name", "description", "seed", "zip", "axes", "fixed", "sample", "evaluate", "pareto")
PARETO_KEYS = ("minimize", "maximize", "label")
_INJECTED = ("datapath", "seed")


def registry(kind: str) -> dict:
    """The evaluation functions of ``kind`` (``"task"`` or ``"cost"``) by name."""
    module, attr = KINDS[_checks.choice("evaluation kind", kind, KINDS)]
    return getattr(importlib.import_module(module), attr)


def _value_checks(kind: str) -> dict:
    """Checks of the named-choice parameters of the registered evaluations of ``kind``."""
    return getattr(importlib.import_module(KINDS[kind][0]), "VALUE_CHECKS", {})


@lru_cache(maxsize=None)
def _signature(function) -> inspect.Signature:
    return inspect.signature(function)


@dataclass(frozen=True)
class Evaluation:
    """One evaluation run on every point: ``kind`` ``"task"`` (accuracy) or ``"cost"``, the
    function's ``name`` in its registry (or a callable for Python sweeps), its fixed keyword
    ``params``, and a ``prefix`` put before its metric columns (to run one function twice)."""

    kind: str
    name: object
    params: dict = field(default_factory=dict)
    prefix: str = ""

    def __post_init__(self) -> None:
        _checks.choice("evaluation kind", self.kind, KINDS)
        if not (callable(self.name) or isinstance(self.name, str)):
            raise TypeError(f"evaluation name must be a registered name or a callable, got {self.name!r}")
        if isinstance(self.name, str) and self.name not in registry(self.kind):
            raise ValueError(f"unknown {self.kind} {self.name!r}; allowed: {', '.join(registry(self.kind))}")
        if not isinstance(self.params, dict):
            raise TypeError(f"params of {self.label} must be a dict, got {self.params!r}")
        if not isinstance(self.prefix, str):
            raise TypeError(f"prefix must be a string, got {self.prefix!r}")
        unknown = set(self.params) - set(self.parameters)
        if unknown:
            raise ValueError(f"{self.label} has no parameter {sorted(unknown)[0]!r}; allowed: {', '.join(self.parameters)}")

    @property
    def function(self):
        return self.name if callable(self.name) else registry(self.kind)[self.name]

    @property
    def label(self) -> str:
        name = self.name if isinstance(self.name, str) else getattr(self.name, "__name__", repr(self.name))
        return f"{self.kind} {name}" + (f" (prefix {self.prefix!r})" if self.prefix else "")

    @property
    def _signature(self) -> inspect.Signature:
        return _signature(self.function)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Keyword parameters a point or ``params`` may set (``datapath`` and ``seed`` are supplied)."""
        return tuple(n for n, p in self._signature.parameters.items() if n not in _INJECTED and p.kind is not p.VAR_POSITIONAL)

    @property
    def needs_datapath(self) -> bool:
        return "datapath" in self._signature.parameters

    def input_seed(self, point: dict, sweep_seed: int) -> int:
        """The seed of this evaluation's random inputs on ``point``: derived from the sweep seed,
        the evaluation and its own parameters only, not from the datapath keys, so every
        datapath of a sweep is measured on the same inputs (common random numbers) and a point's
        accuracy does not change with machine axes such as the array size."""
        inputs = {k: point[k] for k in self.parameters if k in point and k not in design.DATAPATH_KEYS}
        return point_seed(sweep_seed, point_id({"evaluation": self.label, **inputs, **self.params}))

    def __call__(self, point: dict, sweep_seed: int) -> dict[str, float]:
        """The metrics of this evaluation on ``point`` (a dict holding every key it needs)."""
        kwargs = {**{k: point[k] for k in self.parameters if k in point}, **self.params}
        if self.needs_datapath:
            kwargs["datapath"] = design.datapath_from(point)
        if "seed" in self._signature.parameters:
            kwargs["seed"] = self.input_seed(point, sweep_seed)
        return {self.prefix + k: v for k, v in self.function(**kwargs).items()}

    def to_dict(self) -> dict:
        if not isinstance(self.name, str):
            raise ValueError(f"{self.label} is a Python callable and cannot be written to a config")
        return {self.kind: self.name, **({"prefix": self.prefix} if self.prefix else {}), **self.params}


@dataclass(frozen=True)
class Range:
    """A sampled axis: values between ``low`` and ``high`` (inclusive for integers), uniform or
    log-uniform (``log``), rounded down to integers when ``integer``."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise ValueError(f"range {name} must be a finite number, got {v!r}")
        if not self.low < self.high:
            raise ValueError(f"range needs low < high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low!r}")

    def values(self, u: np.ndarray) -> list:
        """Map uniform draws ``u`` in [0, 1) onto the range."""
        hi = self.high + 1 if self.integer else self.high
        x = np.exp(np.log(self.low) + u * (np.log(hi) - np.log(self.low))) if self.log else self.low + u * (hi - self.low)
        return [min(int(v), int(self.high)) for v in np.floor(x)] if self.integer else [float(v) for v in x]


def point_id(axis_values: dict) -> str:
    """A stable 16-hex-digit id of a point's axis values (independent of order and process).

    >>> point_id({"format": "e4m3", "rows": 8}) == point_id({"rows": 8, "format": "e4m3"})
    True
    """
    text = json.dumps(axis_values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def point_seed(sweep_seed: int, pid: str) -> int:
    """A random seed derived from the sweep's seed and an id only (the same on every backend and
    rerun)."""
    return int(np.random.SeedSequence([sweep_seed, int(pid, 16)]).generate_state(1, np.uint32)[0])


def _plain(where: str, value):
    """Check that an axis value is a plain scalar (what a table column can hold)."""
    if isinstance(value, (bool, numbers.Integral)):
        return bool(value) if isinstance(value, bool) else int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (numbers.Real, str)) for v in value):
        return list(value)
    raise TypeError(f"{where}: values must be strings, numbers, booleans or flat lists of them, got {value!r}")


_VALUE_CHECKS = {
    "datapath": numsim.get_datapath,
    "format": design.format_from,
    "b_format": design.format_from,
    "multiplier": numsim.get_multiplier,
    "accumulator": numsim.get_accumulator,
    "order": numsim.get_order,
    "product_format": numsim.get_format,
    "out_format": numsim.get_format,
    "workload": get_workload,
}


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: see the module docstring. ``axes`` maps a key to a list of values or a
    :class:`Range`; ``zip`` lists groups of list axes that vary together; ``sampler`` ``"random"``
    or ``"lhs"`` draws ``samples`` points of the range axes (crossed with the list axes);
    ``seed`` derives the seed of every evaluation's inputs; ``minimize`` / ``maximize`` name the metric columns
    of the Pareto front and ``label`` the column that labels its points; ``source`` names the
    file in error messages."""

    name: str
    axes: dict
    evaluate: tuple | list
    fixed: dict = field(default_factory=dict)
    zip: tuple | list = ()
    sampler: str = "grid"
    samples: int | None = None
    seed: int = 0
    description: str = ""
    minimize: tuple | list = ()
    maximize: tuple | list = ()
    label: str | tuple | None = "format"
    source: str = "<python>"

    def __post_init__(self) -> None:
        where = self.source
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"{where}: name must be a non-empty string, got {self.name!r}")
        _checks.count(f"{where}: seed", self.seed, minimum=0)
        evals = tuple(self.evaluate)
        if not evals or not all(isinstance(e, Evaluation) for e in evals):
            raise ValueError(f"{where}: evaluate must list at least one Evaluation, got {self.evaluate!r}")
        labels = [e.label for e in evals]
        if len(set(labels)) < len(labels):
            raise ValueError(f"{where}: evaluations {labels} repeat; give repeated ones different prefixes")
        object.__setattr__(self, "evaluate", evals)
        if not isinstance(self.axes, dict) or not isinstance(self.fixed, dict):
            raise TypeError(f"{where}: axes and fixed must be tables (dicts)")
        if not self.axes:
            raise ValueError(f"{where}: axes is empty; a sweep needs at least one axis")
        allowed = design.DATAPATH_KEYS + tuple(dict.fromkeys(p for e in evals for p in e.parameters))
        for section, table in (("axes", self.axes), ("fixed", self.fixed)):
            for key in table:
                if key not in allowed:
                    raise ValueError(f"{where}: unknown key {section}.{key}; allowed keys for these evaluations: {', '.join(allowed)}")
        both = set(self.axes) & set(self.fixed)
        for e in evals:
            both |= (set(self.axes) | set(self.fixed)) & set(e.params)
        if both:
            raise ValueError(f"{where}: key {sorted(both)[0]!r} is set twice (axes, fixed or an evaluation's own table)")
        axes = {}
        for key, values in self.axes.items():
            if isinstance(values, Range):
                axes[key] = values
                continue
            if not isinstance(values, (list, tuple)) or not values:
                raise ValueError(f"{where}: axes.{key} must be a non-empty list of values or a range, got {values!r}")
            axes[key] = [_plain(f"{where}: axes.{key}", v) for v in values]
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "fixed", {k: _plain(f"{where}: fixed.{k}", v) for k, v in self.fixed.items()})
        self._check_zip(where)
        self._check_sampling(where)
        for name in ("minimize", "maximize"):
            cols = getattr(self, name)
            cols = (cols,) if isinstance(cols, str) else tuple(cols)
            if not all(isinstance(c, str) and c for c in cols):
                raise ValueError(f"{where}: pareto.{name} must list metric column names, got {getattr(self, name)!r}")
            object.__setattr__(self, name, cols)
        if isinstance(self.label, (list, tuple)) and self.label and all(isinstance(c, str) for c in self.label):
            object.__setattr__(self, "label", tuple(self.label))
        elif self.label is not None and not isinstance(self.label, str):
            raise ValueError(f"{where}: pareto.label must be a column name or a list of them, got {self.label!r}")
        if any(e.needs_datapath for e in evals) and "format" not in axes and "format" not in self.fixed:
            raise ValueError(f"{where}: {[e.label for e in evals if e.needs_datapath][0]} needs a datapath: set 'format' in axes or fixed")
        self._check_values(where)

    def _check_values(self, where: str) -> None:
        """Every listed value of a datapath key, a workload or a named-choice parameter of a
        registered evaluation, parsed now so that a misspelt one stops the sweep before it starts."""
        checks = dict(_VALUE_CHECKS)
        for e in self.evaluate:
            if isinstance(e.name, str):
                checks.update({p: check for p, check in _value_checks(e.kind).items() if p in e.parameters})
        values = [(f"axes.{k}", k, v) for k, vs in self.axes.items() if isinstance(vs, list) for v in vs]
        values += [(f"fixed.{k}", k, v) for k, v in self.fixed.items()]
        values += [(f"evaluate ({e.label}).{k}", k, v) for e in self.evaluate for k, v in e.params.items()]
        for at, key, v in values:
            if key in checks:
                try:
                    checks[key](v)
                except (TypeError, ValueError, KeyError) as exc:
                    raise ValueError(f"{where}: {at} = {v!r}: {exc}") from None

    def _check_zip(self, where: str) -> None:
        groups = tuple(tuple(g) for g in self.zip)
        seen: set = set()
        for g in groups:
            if len(g) < 2:
                raise ValueError(f"{where}: zip group {list(g)} must name at least two axes")
            for key in g:
                if key not in self.axes or isinstance(self.axes[key], Range):
                    raise ValueError(f"{where}: zip names {key!r}, which is not a list axis; list axes: {', '.join(k for k, v in self.axes.items() if isinstance(v, list))}")
                if key in seen:
                    raise ValueError(f"{where}: axis {key!r} is in two zip groups")
                seen.add(key)
            lengths = {k: len(self.axes[k]) for k in g}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"{where}: zipped axes must have equal lengths, got {lengths}")
        object.__setattr__(self, "zip", groups)

    def _check_sampling(self, where: str) -> None:
        if self.sampler not in SAMPLERS:  # "grid" is what a config without [sample] means
            _checks.choice(f"{where}: sample.method", self.sampler, SAMPLERS[1:])
        ranges = [k for k, v in self.axes.items() if isinstance(v, Range)]
        if self.sampler == "grid":
            if ranges:
                raise ValueError(f"{where}: axes.{ranges[0]} is a range; ranges need [sample] with method 'random' or 'lhs' and n")
            if self.samples is not None:
                raise ValueError(f"{where}: sample.n is set but no sample.method ('random' or 'lhs')")
            return
        if not ranges:
            raise ValueError(f"{where}: sample.method {self.sampler!r} needs at least one range axis, e.g. rows = {{low = 8, high = 256}}")
        _checks.count(f"{where}: sample.n", self.samples)

    # ---- points ----------------------------------------------------------------------------

    def points(self) -> list[dict]:
        """Every design point in a fixed order: each a dict of the axis values (distinct points
        only), then ``fixed``."""
        zipped = {k for g in self.zip for k in g}
        blocks = [[dict(zip(g, vals)) for vals in zip(*(self.axes[k] for k in g))] for g in self.zip]
        blocks += [[{k: v} for v in vals] for k, vals in self.axes.items() if isinstance(vals, list) and k not in zipped]
        samples = self._samples()
        if samples:
            blocks.append(samples)
        out, seen = [], set()
        for combo in itertools.product(*blocks):
            axis_values = {k: v for part in combo for k, v in part.items()}
            axis_values = {k: axis_values[k] for k in self.axes}
            pid = point_id(axis_values)
            if pid not in seen:
                seen.add(pid)
                out.append({**axis_values, **self.fixed})
        return out

    def _samples(self) -> list[dict]:
        ranges = {k: v for k, v in self.axes.items() if isinstance(v, Range)}
        if not ranges:
            return []
        rng = np.random.default_rng(self.seed)
        if self.sampler == "lhs":
            from scipy.stats import qmc
            u = qmc.LatinHypercube(d=len(ranges), seed=rng).random(self.samples)
        else:
            u = rng.random((self.samples, len(ranges)))
        columns = {k: r.values(u[:, i]) for i, (k, r) in enumerate(ranges.items())}
        return [{k: columns[k][j] for k in ranges} for j in range(self.samples)]

    # ---- files -------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, table: dict, source: str = "<dict>") -> "SweepSpec":
        """A spec from a parsed TOML table; unknown keys are reported with ``source``."""
        if not isinstance(table, dict):
            raise TypeError(f"{source}: a sweep config must be a table, got {type(table).__name__}")
        for key in table:
            if key not in TOP_LEVEL_KEYS:
                raise ValueError(f"{source}: unknown top-level key {key!r}; allowed: {', '.join(TOP_LEVEL_KEYS)}")
        axes = {k: Range(**_range_args(source, k, v)) if isinstance(v, dict) else v for k, v in table.get("axes", {}).items()}
        sample = table.get("sample", {})
        if set(sample) - {"method", "n"}:
            raise ValueError(f"{source}: unknown key sample.{sorted(set(sample) - {'method', 'n'})[0]}; allowed: method, n")
        evals = [_evaluation(source, i, e) for i, e in enumerate(table.get("evaluate", []))]
        pareto = table.get("pareto", {})
        if set(pareto) - set(PARETO_KEYS):
            raise ValueError(f"{source}: unknown key pareto.{sorted(set(pareto) - set(PARETO_KEYS))[0]}; allowed: {', '.join(PARETO_KEYS)}")
        return cls(name=table.get("name", pathlib.Path(source).stem), axes=axes, evaluate=evals, fixed=table.get("fixed", {}),
                   zip=table.get("zip", ()), sampler=sample.get("method", "grid"), samples=sample.get("n"),
                   seed=table.get("seed", 0), description=table.get("description", ""), minimize=pareto.get("minimize", ()),
                   maximize=pareto.get("maximize", ()), label=pareto.get("label", "format"), source=source)

    @classmethod
    def from_toml(cls, path) -> "SweepSpec":
        """Read a TOML sweep config."""
        path = pathlib.Path(path)
        return cls.from_dict(read_toml(path), source=str(path))

    def to_dict(self) -> dict:
        """The spec as a TOML-like table (what :meth:`from_dict` reads back)."""
        axes = {k: dataclasses.asdict(v) if isinstance(v, Range) else list(v) for k, v in self.axes.items()}
        table = {"name": self.name, "description": self.description, "seed": self.seed, "axes": axes, "fixed": dict(self.fixed),
                 "evaluate": [e.to_dict() for e in self.evaluate]}
        if self.zip:
            table["zip"] = [list(g) for g in self.zip]
        if self.sampler != "grid":
            table["sample"] = {"method": self.sampler, "n": self.samples}
        if self.minimize or self.maximize:
            table["pareto"] = {"minimize": list(self.minimize), "maximize": list(self.maximize),
                               "label": list(self.label) if isinstance(self.label, tuple) else self.label}
        return table


def _range_args(source: str, key: str, table: dict) -> dict:
    allowed = {f.name for f in dataclasses.fields(Range)}
    if set(table) - allowed:
        raise ValueError(f"{source}: unknown key axes.{key}.{sorted(set(table) - allowed)[0]}; a range has {', '.join(sorted(allowed))}")
    return table


def _evaluation(source: str, i: int, table: dict) -> Evaluation:
    kinds = [k for k in KINDS if k in table]
    if len(kinds) != 1:
        raise ValueError(f"{source}: evaluate[{i}] must have exactly one of 'task' or 'cost', got keys {sorted(table)}")
    params = {k: v for k, v in table.items() if k not in (kinds[0], "prefix")}
    try:
        return Evaluation(kinds[0], table[kinds[0]], params, table.get("prefix", ""))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: evaluate[{i}]: {exc}") from None


def builtin_configs() -> dict[str, pathlib.Path]:
    """The built-in sweep configs by name (files in ``experiments/configs``)."""
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.toml"))}


def read_toml(path: pathlib.Path) -> dict:
    """The table of the TOML file ``path`` (ValueError naming the file when it is not TOML).

    Example: ``read_toml(pathlib.Path("experiments/configs/quickstart.toml"))["name"]`` is ``"quickstart"``.
    """
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def load_spec(config) -> SweepSpec:
    """A spec from a :class:`SweepSpec`, a built-in config name (``"quickstart"``) or a path."""
    if isinstance(config, SweepSpec):
        return config
    if isinstance(config, (str, pathlib.Path)):
        if str(config) in builtin_configs():
            return SweepSpec.from_toml(builtin_configs()[str(config)])
        path = pathlib.Path(config)
        if path.is_file():
            return SweepSpec.from_toml(path)
        raise ValueError(f"config {str(config)!r} is neither a file nor a built-in config ({', '.join(builtin_configs())})")
    raise TypeError(f"config must be a SweepSpec, a built-in name or a path, got {config!r}")
