"""No import cycles inside the snaplab package, counting imports inside functions.

A cycle closed by an import inside a function still couples the modules: neither can be
understood, tested or moved alone. import-linter (`make lint`) keeps the layers; this test
keeps every module, at any depth, free of cycles and names the cycle when one appears.
"""

from __future__ import annotations

import ast
from pathlib import Path

import snaplab

PACKAGE = Path(snaplab.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "_data" not in p.parts}


def _resolve(name: str, importer: str, is_package: bool, level: int) -> str:
    if level == 0:
        return name
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports(name: str, source: str, known: set[str], is_package: bool = False) -> set[str]:
    """Every snaplab module `name` imports, anywhere in its body (functions included)."""
    found: set[str] = set()

    def add(target: str) -> None:
        # `import snaplab.a.b` and `from snaplab.a import b` depend on the deepest module named
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", name, is_package, node.level)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if full in known else base)
    return {t for t in found if t == "snaplab" or t.startswith("snaplab.")}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {
        name: imports(name, path.read_text(encoding="utf-8"), known, path.name == "__init__.py")
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def loop(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One way round a component, from its first module back to it: the imports to undo."""
    start, inside = component[0], set(component)
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for nxt in sorted(graph[node] & inside):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                todo.append(nxt)
    return component


def test_cycle_finder_names_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert loop(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_imports_inside_functions_count() -> None:
    known = {"snaplab", "snaplab.lab", "snaplab.lab.a", "snaplab.lab.b", "snaplab.c"}
    source = (
        "from snaplab.lab import a\n"
        "def f():\n"
        "    from . import b\n"
        "    if True:\n"
        "        import snaplab.c.missing\n"
    )
    assert imports("snaplab.lab.x", source, known) == {
        "snaplab.lab.a",
        "snaplab.lab.b",
        "snaplab.c",
    }


def test_graph_covers_the_package() -> None:
    graph = import_graph()
    assert "snaplab.lab.runner" in graph and "snaplab.pytest_plugin" in graph
    assert "snaplab.lab.recorder" in graph["snaplab.lab.runner"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = [" -> ".join(loop(graph, c)) + f"  (all of: {', '.join(c)})" for c in cycles(graph)]
    assert not found, "import cycles in snaplab:\n" + "\n".join(found)
