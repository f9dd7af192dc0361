"""Training text that every machine has offline: the docstrings of Python's standard library.

:func:`docstrings` reads every ``.py`` file under a source tree (by default the running
interpreter's standard library, without ``site-packages``, test suites and IDLE) in sorted path
order and yields the module, class and function docstrings in source order, each cleaned as
:func:`inspect.cleandoc` does. :func:`write_corpus` writes them as UTF-8 text, documents
separated by a blank line, into ``train.txt`` and ``heldout.txt``: a module goes to the held-out
text when the CRC-32 of its name falls in the held-out share, as long as that text stays within
its byte budget, so the split is the same on every run and machine with the same sources.
Docstrings differ between Python versions, so a held-out text that results are reported on is
committed with them.

Usage::

    python -m experiments.models.corpus OUT_DIR [--heldout-bytes 1000000] [--root PATH]

>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     _ = pathlib.Path(d, "m.py").write_text("'''Module.'''\\ndef f():\\n    '''Does f.\\n\\n    Really.'''\\n")
...     list(docstrings(d))
[('m', 'm', 'Module.'), ('m', 'm.f', 'Does f.\\n\\nReally.')]
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import sysconfig
import zlib
from collections.abc import Iterator

SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "test", "tests", "idle_test", "idlelib", "__pycache__"})
HELDOUT_SHARE = 16  # one module path in 16 (by CRC-32) is a held-out candidate


def stdlib_root() -> pathlib.Path:
    """The running interpreter's standard-library source directory."""
    return pathlib.Path(sysconfig.get_paths()["stdlib"])


def _sources(root: pathlib.Path) -> list[pathlib.Path]:
    """``.py`` files under ``root`` outside :data:`SKIPPED_DIRS`, sorted by relative path."""
    files = (p for p in root.rglob("*.py") if not SKIPPED_DIRS.intersection(p.relative_to(root).parts[:-1]))
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _documented(tree: ast.AST, prefix: str) -> Iterator[tuple[str, str]]:
    """``(qualified name, docstring)`` of ``tree`` and the classes and functions inside it, in
    source order."""
    doc = ast.get_docstring(tree, clean=True)
    if doc:
        yield prefix, doc
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _documented(node, f"{prefix}.{node.name}")


def docstrings(root=None) -> Iterator[tuple[str, str, str]]:
    """``(module, qualified name, cleaned docstring)`` of every module, class and function under ``root``
    (default: :func:`stdlib_root`); files that are not UTF-8 Python the running parser reads are
    skipped.

    Example: a file ``json/decoder.py`` gives names such as ``json.decoder.JSONDecoder.decode``.
    """
    base = stdlib_root() if root is None else pathlib.Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"root={str(base)!r} is not a directory of Python sources")
    for path in _sources(base):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        parts = path.relative_to(base).with_suffix("").parts
        module = ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)
        module = module or base.name  # the root's own __init__.py
        for name, text in _documented(tree, module):
            yield module, name, text


def write_corpus(out_dir, root=None, heldout_bytes: int = 1_000_000) -> dict[str, int]:
    """Write ``train.txt`` and ``heldout.txt`` (UTF-8, one docstring per paragraph) into
    ``out_dir``; returns their sizes in bytes. A module's docstrings go to the held-out text when
    the CRC-32 of its name is 0 modulo :data:`HELDOUT_SHARE` and the held-out text stays within
    ``heldout_bytes``; everything else trains.

    Example: ``write_corpus("corpus")`` on CPython 3.11 gives a few MB of training text.
    """
    if isinstance(heldout_bytes, bool) or not isinstance(heldout_bytes, int) or heldout_bytes < 0:
        raise ValueError(f"heldout_bytes must be a non-negative integer, got {heldout_bytes!r}")
    modules: dict[str, list[str]] = {}
    for module, _, text in docstrings(root):
        modules.setdefault(module, []).append(text)
    train, heldout, used = [], [], 0
    for module, texts in modules.items():
        block = "\n\n".join(texts)
        size = len(block.encode("utf-8")) + 2
        if zlib.crc32(module.encode()) % HELDOUT_SHARE == 0 and used + size <= heldout_bytes:
            heldout.append(block)
            used += size
        else:
            train.append(block)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, blocks in (("train.txt", train), ("heldout.txt", heldout)):
        text = "\n\n".join(blocks) + "\n"
        (out / name).write_text(text, encoding="utf-8")
        sizes[name] = len(text.encode("utf-8"))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="directory for train.txt and heldout.txt")
    parser.add_argument("--heldout-bytes", type=int, default=1_000_000, help="byte budget of the held-out text")
    parser.add_argument("--root", help="source tree to read (default: this interpreter's standard library)")
    args = parser.parse_args()
    sizes = write_corpus(args.out_dir, args.root, args.heldout_bytes)
    print(", ".join(f"{name}: {size:,} bytes" for name, size in sizes.items()))


if __name__ == "__main__":
    main()
