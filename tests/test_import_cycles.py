"""No import cycles among core modules (house plan: rooms with one job, layered).

The graph is built from the source with :mod:`ast`, not by importing: every
``import`` and ``from … import`` statement counts, at module level and inside
functions alike (a function-local import that closes a cycle is still a cycle, only
hidden until the function runs). Imports under ``if TYPE_CHECKING:`` are left out:
they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "desktop")

#: Cycles in desktop/ known when this test was written, to be cut later (each sorted).
KNOWN_DESKTOP_CYCLES: list[list[str]] = []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree``, at any depth, but not under ``if TYPE_CHECKING``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from _imports(ast.Module(body=node.orelse, type_ignores=[]))
        else:
            yield from _imports(node)


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]
) -> set[str]:
    """The project modules an import statement loads (the deepest known name of each)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            keep = len(parts) - node.level + (1 if is_package else 0)
            base = ".".join([*parts[:keep], *([base] if base else [])])
        # ``from package import module`` loads the module; ``from module import name`` the module.
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    found: set[str] = set()
    for name in names:
        parts = name.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts:
            found.add(".".join(parts))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports anywhere in its source."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(node, name, is_package, known)
        edges.discard(name)
        # A module's own package __init__ (and its parents') is not a dependency that
        # can close a cycle worth reporting: every module imports it.
        graph[name] = {e for e in edges if not name.startswith(e + ".")}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative Tarjan: deep import chains must not hit the recursion limit.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        item = stack.pop()
                        on_stack.discard(item)
                        component.append(item)
                        if item == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(components)


def test_the_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    assert "core.dicom.index" in graph["desktop.main_window"]  # imported inside a function
    assert "core.jobs" in graph["core.dicom.index"]


def test_core_modules_import_no_cycle() -> None:
    cycles = [c for c in find_cycles(import_graph()) if all(m.startswith("core.") for m in c)]
    assert cycles == [], "import cycles among core modules: " + "; ".join(
        " <-> ".join(c) for c in cycles
    )


def test_desktop_cycles_are_no_more_than_known() -> None:
    cycles = [c for c in find_cycles(import_graph()) if not all(m.startswith("core.") for m in c)]
    new = [c for c in cycles if c not in KNOWN_DESKTOP_CYCLES]
    assert new == [], "new import cycles involving desktop: " + "; ".join(
        " <-> ".join(c) for c in new
    )
