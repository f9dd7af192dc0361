"""Every notebook runs top to bottom (code cells executed in order, matplotlib without a display)."""

import json
import linecache
import pathlib

import matplotlib
import pytest

matplotlib.use("Agg")

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    cells = json.loads(path.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    namespace = {"__name__": "__notebook__"}
    for i, source in enumerate(code):
        exec(compile(source, _cell_file(path, i, source), "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")


def _cell_file(path: pathlib.Path, index: int, source: str) -> str:
    """A file name for one code cell whose lines ``inspect.getsource`` finds (through linecache):
    tracebacks show the cell's code, and libraries that read a function's source (hypothesis
    describing a lambda) see Python, not the notebook's JSON."""
    name = f"<{path.name} cell {index + 1}>"
    linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
    return name


def test_there_is_a_notebook():
    assert NOTEBOOKS
