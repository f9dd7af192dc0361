"""Run a sweep: evaluate every design point on a backend, stream the rows to Parquet, resume.

:func:`run_sweep` evaluates the points of a :class:`~experiments.spec.SweepSpec` in chunks
(one task per chunk, not per point: per-task overhead dominates cheap cost models) on

- ``"serial"``: this process;
- ``"processes"`` (default): joblib's loky pool of local processes (warm workers are reused
  between sweeps in one session);
- ``"dask"``: a ``dask.distributed`` cluster: an existing one at ``scheduler`` (an address such
  as ``"tcp://10.0.0.5:8786"`` or a ``Client``), else a ``LocalCluster`` started for the sweep.

The random inputs of an evaluation come from a seed derived from the sweep seed and that
evaluation's own parameters (:meth:`Evaluation.input_seed`), so every backend and every rerun
gives the same rows, and every datapath is measured on the same inputs. With ``out``, finished chunks are written at once as Parquet files
(atomically: a killed sweep leaves whole files only); a rerun of the same spec into the same
``out`` evaluates only the missing points, and the finished sweep is one file
``out/results.parquet`` with one row per point. An evaluation that raises fills the row's
``error`` column (``"<evaluation>: <exception>"``) instead of stopping the sweep.

>>> from experiments.spec import SweepSpec, Evaluation
>>> spec = SweepSpec("demo", axes={"format": ["e4m3", "int8"]}, evaluate=[Evaluation("cost", "mac")],
...                  fixed={"accumulator": "fp32"})
>>> df = run_sweep(spec, backend="serial", progress=False)
>>> df[["format", "mac_energy_pj", "error"]].shape
(2, 3)
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import uuid

import pandas as pd

from . import _checks, design
from .spec import SweepSpec, load_spec, point_id

BACKENDS = ("serial", "processes", "dask")
RESULTS = "results.parquet"
PARTS = "results.parts"
SPEC_FILE = "sweep.json"


def evaluate_point(spec: SweepSpec, point: dict) -> dict:
    """One result row: the point's values, ``point_id``, the ``datapath`` it describes (its
    ``.name``, which pastes back into a config or :func:`numsim.get_datapath`), every
    evaluation's metrics and ``error`` (``None`` when all evaluations succeeded)."""
    row = {**point, "point_id": point_id({k: point[k] for k in spec.axes})}
    errors = []
    if "datapath" not in point and "format" in point:
        try:
            row["datapath"] = design.datapath_from(point).name
        except (TypeError, ValueError) as exc:
            row["datapath"] = None
            errors.append(f"datapath: {type(exc).__name__}: {exc}")
    for evaluation in spec.evaluate:
        if evaluation.needs_datapath and "datapath" in row and row["datapath"] is None:
            continue  # it would fail on the same datapath, reported once above
        try:
            row.update(evaluation(point, spec.seed))
        except Exception as exc:  # a failing point becomes an error row, never a crashed sweep
            errors.append(f"{evaluation.label}: {type(exc).__name__}: {exc}")
    row["error"] = "; ".join(errors) if errors else None
    return row


def _evaluate_chunk(spec: SweepSpec, chunk: list[dict]) -> list[dict]:
    return [evaluate_point(spec, p) for p in chunk]


def _fingerprint(spec: SweepSpec) -> str:
    """What identifies a sweep's results: its points and evaluations (not its name or text)."""
    evals = [[e.kind, e.name if isinstance(e.name, str) else f"{e.name.__module__}.{e.name.__qualname__}", e.params, e.prefix]
             for e in spec.evaluate]
    table = {"seed": spec.seed, "points": [point_id({k: p[k] for k in spec.axes}) for p in spec.points()],
             "fixed": spec.fixed, "evaluate": evals}
    return json.dumps(table, sort_keys=True, default=str)


class ResultStore:
    """The Parquet results of one sweep in directory ``out``: ``results.parquet`` (finished
    sweeps) plus ``results.parts/part-*.parquet`` (chunks of a running or interrupted one) and
    ``sweep.json`` (which sweep they belong to)."""

    def __init__(self, out, spec: SweepSpec):
        self.out = pathlib.Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise ValueError(f"out must be a directory, but {str(self.out)!r} is a file")
        self.parts = self.out / PARTS
        self.parts.mkdir(parents=True, exist_ok=True)
        for stale in self.parts.glob(".*.tmp"):  # half-written by a killed run
            stale.unlink()
        marker = self.out / SPEC_FILE
        mine = _fingerprint(spec)
        if marker.exists():
            theirs = json.loads(marker.read_text()).get("fingerprint")
            if theirs != mine:
                raise ValueError(f"out {str(self.out)!r} holds results of a different sweep; use another out directory "
                                 f"or delete it to start over")
        else:
            _atomic_text(marker, json.dumps({"name": spec.name, "fingerprint": mine, "minimize": list(spec.minimize),
                                             "maximize": list(spec.maximize),
                                             "label": list(spec.label) if isinstance(spec.label, tuple) else spec.label}, indent=1))

    def _files(self) -> list[pathlib.Path]:
        final = self.out / RESULTS
        return ([final] if final.exists() else []) + sorted(self.parts.glob("part-*.parquet"))

    def done(self) -> set[str]:
        """Ids of the points already stored."""
        ids: set[str] = set()
        for f in self._files():
            ids.update(pd.read_parquet(f, columns=["point_id"])["point_id"])
        return ids

    def write(self, rows: list[dict]) -> None:
        """Store finished rows as one new part file (written whole or not at all)."""
        if rows:
            _atomic_parquet(_frame(rows), self.parts / f"part-{uuid.uuid4().hex}.parquet")

    def read(self) -> pd.DataFrame:
        """Every stored row, one per point id."""
        frames = [pd.read_parquet(f) for f in self._files()]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True).drop_duplicates("point_id", keep="first")

    def finish(self, df: pd.DataFrame) -> None:
        """Write ``df`` as ``results.parquet`` and remove the part files it includes."""
        _atomic_parquet(df, self.out / RESULTS)
        for f in self.parts.glob("part-*.parquet"):
            f.unlink()


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["error"] = df["error"].astype("string")
    return df


def _atomic_parquet(df: pd.DataFrame, path: pathlib.Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _atomic_text(path: pathlib.Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _chunks(points: list[dict], size: int) -> list[list[dict]]:
    return [points[i:i + size] for i in range(0, len(points), size)]


def _spread(chunks: list, workers: int) -> list:
    """``chunks`` reordered so that ``workers`` processes start in different regions of the sweep:
    the list is cut into ``workers`` contiguous runs, taken in turn (runs 0, 1, .., 0, 1, ..).

    Neighbouring points of a sweep usually share their kernels (one format, several
    accumulators); workers that start on the same region would all compile the same kernels into
    an empty cache, while workers in different regions compile different ones and later load the
    others' from the on-disk cache.

    >>> _spread([1, 2, 3, 4, 5], 2)
    [1, 4, 2, 5, 3]
    """
    size = -(-len(chunks) // workers)
    runs = [chunks[i:i + size] for i in range(0, len(chunks), size)]
    return [run[i] for i in range(size) for run in runs if i < len(run)]


def _run_serial(spec, chunks, _workers, _scheduler, _progress):
    for chunk in chunks:
        yield _evaluate_chunk(spec, chunk)


def _run_processes(spec, chunks, workers, _scheduler, _progress):
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers or -1, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(_evaluate_chunk)(spec, c) for c in chunks)


def _run_dask(spec, chunks, workers, scheduler, progress):
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    elif isinstance(scheduler, Client):
        client = scheduler
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    else:
        raise TypeError(f"scheduler must be an address such as 'tcp://host:8786' or a dask.distributed.Client, got {scheduler!r}")
    try:
        futures = client.map(_evaluate_chunk, [spec] * len(chunks), chunks, pure=False)
        if progress:
            _dask_progress_widget(futures)
        for future in as_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()
        if cluster is not None:
            cluster.close()


def _dask_progress_widget(futures) -> None:
    """In Jupyter, Dask's own progress widget for the sweep's tasks, shown next to the tqdm bar
    (which gives the ETA). In a terminal Dask's text bar would overwrite tqdm's line, and it has
    no ETA, so tqdm alone reports there; without ipywidgets, too."""
    from distributed.utils import is_kernel

    if not is_kernel():
        return
    try:
        from distributed import progress
        from IPython.display import display

        display(progress(futures, notebook=True, multi=False))
    except ImportError:  # ipywidgets (or IPython) missing: tqdm's bar still runs
        return


_RUNNERS = {"serial": _run_serial, "processes": _run_processes, "dask": _run_dask}


def run_sweep(spec, *, backend: str = "processes", out=None, workers: int | None = None, scheduler=None,
              chunk_size: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Evaluate every point of ``spec`` (a :class:`SweepSpec`, a built-in config name or a TOML
    path) and return one row per point, in the spec's point order.

    Parameters
    ----------
    backend : ``"serial"``, ``"processes"`` (default) or ``"dask"``
    out : path, optional
        Directory for ``results.parquet``; rows are written as chunks finish and a rerun
        resumes. ``None``: keep the rows in memory only.
    workers : int, optional
        Processes (``processes``) or LocalCluster workers (``dask``); default all cores.
    scheduler : str or dask.distributed.Client, optional
        An existing Dask cluster (``backend="dask"`` only).
    chunk_size : int, optional
        Points per task (default: about eight tasks per worker, at most 256 points).
    progress : bool
        Show a tqdm progress bar with ETA; with ``dask`` in Jupyter, Dask's progress widget too.
    """
    spec = load_spec(spec)
    _checks.choice("backend", backend, BACKENDS)
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler is for backend='dask', got backend={backend!r}")
    workers = _checks.count("workers", workers, or_none=True)
    points = spec.points()
    store = ResultStore(out, spec) if out is not None else None
    done = store.done() if store else set()
    todo = [p for p in points if point_id({k: p[k] for k in spec.axes}) not in done]
    parallel = 1 if backend == "serial" else (workers or os.cpu_count() or 1)
    if chunk_size is None:
        chunk_size = max(1, min(256, math.ceil(len(todo) / (8 * parallel))))
    else:
        chunk_size = _checks.count("chunk_size", chunk_size)
    rows: list[dict] = []
    if todo:
        from tqdm.auto import tqdm

        with tqdm(total=len(todo), desc=spec.name, unit="pt", disable=not progress) as bar:
            for chunk_rows in _RUNNERS[backend](spec, _spread(_chunks(todo, chunk_size), parallel), workers, scheduler, progress):
                if store:
                    store.write(chunk_rows)
                else:
                    rows.extend(chunk_rows)
                bar.update(len(chunk_rows))
    df = store.read() if store else _frame(rows) if rows else pd.DataFrame()
    df = _ordered(df, spec, points)
    if store:
        store.finish(df)
    return df


def _ordered(df: pd.DataFrame, spec: SweepSpec, points: list[dict]) -> pd.DataFrame:
    """Rows in the spec's point order; columns: point keys, id, metrics, error."""
    order = {point_id({k: p[k] for k in spec.axes}): i for i, p in enumerate(points)}
    df = df[df["point_id"].isin(order)]
    df = df.iloc[df["point_id"].map(order).argsort(kind="stable")].reset_index(drop=True)
    keys = [*points[0]] + ["point_id"]
    metrics = [c for c in df.columns if c not in keys and c != "error"]
    return df[keys + metrics + ["error"]]
