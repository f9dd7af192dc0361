"""First runs after a fresh install: the README's main job and every notebook with an empty kernel cache.

Each job runs in a fresh Python process whose Numba cache (``NUMBA_CACHE_DIR``) is a new empty
directory, as on a new install, so every kernel it needs is compiled; then the sweep runs again with
that cache filled (kernels loaded, not compiled). Jobs:

* ``numsim sweep``: the built-in quickstart (45 points) on the default ``processes`` backend, as
  the README runs it (both workers compile what they need);
* each notebook in ``notebooks/``: its code cells executed in order (matplotlib without a display),
  each with its own empty cache.

Targets of the CPU-speed issue (2 cores): the sweep <= 30 s, each notebook <= 20 s.

``--profile`` runs the sweep once more in one process (``serial`` backend) with an empty cache and
lists the kernels by compile time: *self* seconds exclude the kernels compiled inside them,
*specialisations* counts the type signatures compiled. This is where first-run time goes.

Usage::

    python benchmarks/bench_first_run.py [--profile] [--skip-notebooks] [--top 25]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def run_fresh(command: list[str], cache: str) -> float:
    """Wall-clock seconds of ``command`` in a fresh process whose Numba cache is ``cache``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def sweep_times() -> tuple[float, float]:
    """Seconds of ``numsim sweep`` (quickstart) with an empty kernel cache, then with it filled."""
    times = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        for run in ("empty", "filled"):  # a new results directory each time: nothing to resume
            command = [sys.executable, "-m", "experiments.cli", "sweep", "--out", os.path.join(out, run), "--no-progress"]
            times.append(run_fresh(command, cache))
    return times[0], times[1]


def notebook_time(path: pathlib.Path) -> float:
    """Seconds to run every code cell of the notebook ``path`` with an empty kernel cache."""
    with tempfile.TemporaryDirectory() as cache:
        return run_fresh([sys.executable, __file__, "--run-notebook", str(path)], cache)


def run_notebook(path: str) -> None:
    """Execute a notebook's code cells in order in this process (the ``--run-notebook`` child)."""
    import matplotlib

    matplotlib.use("Agg")
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    namespace = {"__name__": "__notebook__"}
    for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        exec(compile("".join(cell["source"]), f"<{pathlib.Path(path).name} cell {i + 1}>", "exec"), namespace)


def compile_profile(top: int) -> None:
    """Kernels compiled by the quickstart sweep in one process, by self compile time (the
    ``--profile-child`` side: run with an empty ``NUMBA_CACHE_DIR``)."""
    from numba.core import event

    from experiments.engine import run_sweep
    from experiments.spec import load_spec

    t0 = time.perf_counter()
    with event.install_recorder("numba:compile") as recorder, tempfile.TemporaryDirectory() as out:
        run_sweep(load_spec("quickstart"), backend="serial", out=out, progress=False)
    wall = time.perf_counter() - t0
    stack, own, count, total = [], collections.Counter(), collections.Counter(), 0.0
    for stamp, e in recorder.buffer:  # START/END events nest: a kernel's callees compile inside it
        name = str(e.data["dispatcher"]).split("<function ")[-1].split(" at ")[0]
        if e.status == event.EventStatus.START:
            stack.append([name, stamp, 0.0])
            continue
        name, start, inner = stack.pop()
        own[name] += stamp - start - inner
        count[name] += 1
        if stack:
            stack[-1][2] += stamp - start
        else:
            total += stamp - start
    print(f"quickstart in one process, serial backend, empty cache: {wall:.1f} s, of which compiling {total:.1f} s")
    print(f"{'self (s)':>9s} {'specialisations':>16s}  kernel")
    for name, seconds in own.most_common(top):
        print(f"{seconds:9.2f} {count[name]:16d}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="list the kernels the quickstart compiles, by compile time")
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--top", type=int, default=25, help="kernels listed by --profile")
    parser.add_argument("--run-notebook", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_notebook:
        return run_notebook(args.run_notebook)
    if args.profile_child:
        return compile_profile(args.top)

    import numba

    import numsim

    print(f"numsim {numsim.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs; fresh process and empty Numba cache per job")
    empty, filled = sweep_times()
    print("| job | empty cache (s) | filled cache (s) | target |")
    print("|---|---|---|---|")
    print(f"| `numsim sweep` (quickstart, 45 points) | {empty:.1f} | {filled:.1f} | <= 30 s |")
    if not args.skip_notebooks:
        for path in NOTEBOOKS:
            print(f"| notebook {path.name} | {notebook_time(path):.1f} | | <= 20 s |")
    if args.profile:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            subprocess.run([sys.executable, __file__, "--profile-child", "--top", str(args.top)], env=env, check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
