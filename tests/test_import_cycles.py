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


#: Modules whose function-local imports are the rule, not the exception, said once in
#: their docstring: each CLI command imports what it needs (every start of the app goes
#: through core.cli, and through the ``commands`` module of every plugged command, so
#: importing all of core there would cost every start), and the entry point imports Qt
#: only when the window opens.
PER_COMMAND_MODULES = ("core/cli.py", "desktop/__main__.py")


def _is_per_command(relative: str) -> bool:
    return relative in PER_COMMAND_MODULES or (
        relative.startswith("core/") and relative.endswith("/commands.py")
    )


def _local_own_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Function-local imports of core/desktop modules (``if TYPE_CHECKING`` aside)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in _imports(node):
                names = (
                    [alias.name for alias in statement.names]
                    if isinstance(statement, ast.Import)
                    else [statement.module or ""]
                )
                relative = isinstance(statement, ast.ImportFrom) and statement.level > 0
                if relative or any(name.split(".")[0] in PACKAGES for name in names):
                    yield statement


def test_a_function_local_import_of_our_own_modules_says_why() -> None:
    """Core and desktop modules are imported at the top (the dependency graph is visible
    and tests patch the names a module really uses); a local import is kept only where a
    start-up would otherwise load what it does not need, and says so with ``# lazy: …``
    on its line or in the comment block just above it."""
    unexplained: list[str] = []
    for path in _modules().values():
        relative = path.relative_to(ROOT).as_posix()
        if _is_per_command(relative):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for statement in _local_own_imports(ast.parse("\n".join(lines))):
            above = statement.lineno - 2
            block = [lines[statement.lineno - 1]]
            # the comment block above, and the imports of the same block above it
            while above >= 0 and lines[above].strip().startswith(("#", "from ", "import ")):
                block.append(lines[above])
                above -= 1
            if not any("# lazy:" in line for line in block):
                unexplained.append(f"{relative}:{statement.lineno}")
    assert not unexplained, "local imports without a '# lazy:' reason: " + ", ".join(unexplained)
