"""The package's import structure: no module imports, directly or around a loop, a module that imports it back,
and the config schema, which every adapter and builder extends, imports nothing of segbench."""

import ast
import sys
from pathlib import Path

import segbench

PACKAGE = Path(segbench.__file__).parent


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The segbench modules ``path`` imports anywhere in it (inside functions too: they run sooner or later).
    ``from pkg import sub`` is an import of ``pkg.sub`` where ``sub`` is a module; a package's ``__init__`` running
    first is Python's business, not a loop of ours."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names} & known.keys()
            found |= subs if len(subs) == len(node.names) else {node.module} | subs
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name in known}


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    return {name: imports(path, known) - {name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(edges)))
    try:
        for node in sorted(edges):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_checker_finds_a_loop(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from pkg import a\n")
    (package / "c.py").write_text("from pkg import a, b\n")
    assert cycles(graph(modules(package))) == [["pkg.a", "pkg.b"]]


def test_segbench_has_no_import_cycle():
    assert cycles(graph(modules())) == []


def test_the_schema_is_a_leaf():
    known = modules()
    assert imports(known["segbench.schema"], known) == set()
