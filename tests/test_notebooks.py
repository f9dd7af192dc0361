"""Every notebook runs top to bottom (code cells executed in order, matplotlib without a display)."""

import json
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
    for source in code:
        exec(compile(source, str(path), "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_there_is_a_notebook():
    assert NOTEBOOKS
