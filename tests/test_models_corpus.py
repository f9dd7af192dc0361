"""The offline training text (experiments/models/corpus.py): which files and docstrings it reads,
in which order, and the deterministic train / held-out split."""

from __future__ import annotations

import pathlib
import zlib

import pytest

from experiments.models import corpus


def _tree(root: pathlib.Path) -> pathlib.Path:
    files = {
        "b.py": '"""Module b."""\nclass C:\n    """Class C.\n\n        Indented."""\n    def m(self):\n        """Method m."""\n',
        "a.py": 'def f():\n    """Function f."""\nasync def g():\n    """Coroutine g."""\nx = 1\n',
        "pkg/__init__.py": '"""Package."""\n',
        "pkg/mod.py": '"""Inside the package."""\ndef undocumented():\n    pass\n',
        "broken.py": "def (:\n",
        "latin.py": b'"""caf\xe9"""\n',
        "test/test_a.py": '"""A test suite."""\n',
        "site-packages/x.py": '"""Installed."""\n',
        "pkg/__pycache__/y.py": '"""Cache."""\n',
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def test_docstrings_in_path_and_source_order(tmp_path):
    """Sorted paths, source order inside a file, nested classes and methods, cleaned indentation;
    test suites, installed packages, caches, unparsable and non-UTF-8 files are left out."""
    found = list(corpus.docstrings(_tree(tmp_path)))
    assert found == [
        ("a", "a.f", "Function f."),
        ("a", "a.g", "Coroutine g."),
        ("b", "b", "Module b."),
        ("b", "b.C", "Class C.\n\nIndented."),
        ("b", "b.C.m", "Method m."),
        ("pkg", "pkg", "Package."),
        ("pkg.mod", "pkg.mod", "Inside the package."),
    ]


def test_split_is_deterministic_and_keeps_its_budget(tmp_path):
    """Modules whose CRC-32 is 0 modulo the share go to the held-out text while it fits its
    budget; the same sources give the same files; train and held-out share no module."""
    root = tmp_path / "src"
    root.mkdir()
    names = [f"m{i}" for i in range(200)]
    for name in names:
        (root / f"{name}.py").write_text(f'"""Docs of {name}."""\n')
    heldout_names = sorted(n for n in names if zlib.crc32(n.encode()) % corpus.HELDOUT_SHARE == 0)
    assert len(heldout_names) >= 3  # the share picks some of 200 names
    budget = 2 * (len(f"Docs of {heldout_names[0]}.") + 2)
    sizes = corpus.write_corpus(tmp_path / "a", root, heldout_bytes=budget)
    corpus.write_corpus(tmp_path / "b", root, heldout_bytes=budget)
    for name in ("train.txt", "heldout.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert sizes[name] == (tmp_path / "a" / name).stat().st_size
    train = (tmp_path / "a" / "train.txt").read_text().split("\n\n")
    heldout = (tmp_path / "a" / "heldout.txt").read_text().strip().split("\n\n")
    assert 1 <= len(heldout) <= 2 and sizes["heldout.txt"] <= budget + 1
    assert {t.strip() for t in train}.isdisjoint(heldout)
    assert len(train) + len(heldout) == len(names)


def test_the_standard_library_gives_text():
    """The running interpreter's ``json`` package read as a root: its ``__init__`` takes the
    directory's name, its modules and methods their paths below it."""
    found = list(corpus.docstrings(corpus.stdlib_root() / "json"))
    names = {(m, n) for m, n, _ in found}
    assert ("json", "json") in names and ("decoder", "decoder.JSONDecoder.decode") in names
    assert all(text.strip() for _, _, text in found)


@pytest.mark.parametrize("budget", [-1, 1.5, True])
def test_bad_arguments(tmp_path, budget):
    with pytest.raises(ValueError, match="heldout_bytes"):
        corpus.write_corpus(tmp_path, tmp_path, heldout_bytes=budget)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        list(corpus.docstrings(tmp_path / "missing"))
