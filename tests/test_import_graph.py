"""The project's import structure, read from the sources with ``ast``.

- Imports of the project's own packages (``numsim``, ``hwmodels``, ``experiments``) sit at module
  level: none inside a function or method (third-party and standard-library imports may be lazy).
- The graph of module-level imports between the project's modules has no cycle (imports under
  ``if TYPE_CHECKING:`` count as well).
- numsim's layers: only the lowering floor (``numsim._lower``) imports the Numba kernels
  (``numsim._kernels``), and the floor imports none of the public kernel-backed modules above it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("numsim", "hwmodels", "experiments")


def _module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = _module_files()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _own(name: str) -> bool:
    return name.partition(".")[0] in PACKAGES


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The project modules an import statement of ``module`` executes (empty for third-party and
    standard-library imports). ``from package import name`` counts ``package.name`` when that is
    a module, else ``package`` itself."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if _own(alias.name)]
    if node.level:
        base = module if _is_package(module) else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    if not _own(source):
        return []
    submodules = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in MODULES]
    return submodules if len(submodules) == len(node.names) else [source, *submodules]


@functools.lru_cache(maxsize=None)
def _imports(module: str) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of ``module`` and whether it sits inside a function or method."""
    found = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, in_function))
            walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    walk(ast.parse(MODULES[module].read_text(), str(MODULES[module])), False)
    return found


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.lru_cache(maxsize=None)
def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the project modules its module-level imports execute. Importing ``a.b.c`` also
    runs the packages ``a`` and ``a.b``, except those the importing module lives in (they are
    already being imported when it runs)."""
    graph = {}
    for module in MODULES:
        own_packages = {module, *_ancestors(module)}
        edges = set()
        for node, in_function in _imports(module):
            if in_function:
                continue
            for target in _targets(module, node):
                edges |= {t for t in (*_ancestors(target), target) if t in MODULES and t not in own_packages}
        graph[module] = frozenset(edges)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[m0, m1, ..., m0]`` of ``graph``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_walk_sees_the_project():
    graph = import_graph()
    assert {"numsim", "numsim.formats", "numsim._kernels.codec", "hwmodels.mac", "experiments.cli"} <= set(graph)
    assert "numsim.datapath" in graph["hwmodels.mac"] and "numsim" in graph["hwmodels.pim"]
    assert "numsim.formats" in graph["numsim.datapath"]


def test_find_cycle_reports_the_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_module_imports_are_acyclic():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("module", MODULES)
def test_no_function_level_imports_of_the_project(module):
    lazy = [
        f"{MODULES[module].relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
        for node, in_function in _imports(module)
        if in_function and _targets(module, node)
    ]
    assert not lazy, "import the project's own modules at module level:\n" + "\n".join(lazy)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_only_the_floor_imports_the_kernels():
    """numsim's public modules validate and dispatch; numsim._lower turns descriptions into kernel
    arguments and calls numsim._kernels, and imports none of the kernel-backed modules above it."""
    graph = import_graph()
    floor = {m for m in graph if m.startswith("numsim._lower")}
    kernels = {m for m in graph if m.startswith("numsim._kernels")}
    assert floor and kernels
    others = set(graph) - floor - kernels
    bad = [f"{m} imports {sorted(graph[m] & kernels)}" for m in sorted(others) if graph[m] & kernels]
    kernel_backed = {m for m in others if _reachable(graph, m) & kernels}
    bad += [f"{m} (floor) imports {sorted(graph[m] & kernel_backed)}" for m in sorted(floor) if graph[m] & kernel_backed]
    assert not bad, "\n".join(bad)


DESCRIPTIONS = ["numsim", "numsim.formats", "numsim.blocks", "numsim.registry", "numsim.rounding", "numsim.datapath",
                "numsim.multipliers", "numsim.metrics", "numsim.packing", "numsim.reorder"]


@pytest.mark.parametrize("module", DESCRIPTIONS + [m for m in MODULES if m.startswith("hwmodels")])
def test_descriptions_and_cost_models_do_not_import_the_kernels(module):
    """``import numsim`` loads the descriptions only (kernel-backed names load on first use), and
    hwmodels prices datapaths from their descriptions: neither reaches numsim._kernels."""
    graph = import_graph()
    reached = sorted(m for m in _reachable(graph, module) if m.startswith(("numsim._kernels", "numsim._lower")))
    assert not reached, f"{module} imports {reached}"
