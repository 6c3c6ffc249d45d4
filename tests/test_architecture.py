"""The package's shape: imports point one way along the data path, none hides
inside a function, no module passes 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from harness.paths import ROOT

PACKAGE = ROOT / "harness"
# The data path, bottom up: a module may import only from its own layer or below.
LAYERS = (
    ("harness", "harness.paths", "harness.errors", "harness.fixtures"),
    ("harness.results",),
    ("harness.matrix",),
    ("harness.clients", "harness.clients_deflate"),
    ("harness.stacks",),
    ("harness.sut",),
    ("harness.browser",),
    ("harness.run",),
    ("harness.conformance",),
    ("harness.load",),
    ("harness.report",),
    ("harness.cli", "harness.__main__"),
)
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(node: ast.Import | ast.ImportFrom, modules: dict[str, ast.Module]) -> list[str]:
    """The harness modules an import statement loads ("from harness.x import y" may name module y)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    return [name for name in names if name == "harness" or name.startswith("harness.")]


def _layer(module: str) -> int:
    best = (-1, -1)  # (length of the matching prefix, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), index)
    assert best[1] >= 0, f"{module} is in no layer of LAYERS"
    return best[1]


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        graph[name] = {
            target
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for target in _imported(node, modules)
        }
    return graph


def test_no_harness_import_hides_inside_a_function() -> None:
    """An import inside a function is how a circle gets dodged; third-party lazy imports are fine."""
    modules = _modules()
    hidden = []
    for name, tree in modules.items():
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(func):
                    if isinstance(node, ast.Import | ast.ImportFrom) and _imported(node, modules):
                        hidden.append(f"{name}.{func.name} line {node.lineno}")
    assert hidden == []


def test_imports_point_down_the_data_path() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (module, ..., the same module), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(path: list[str]) -> list[str] | None:
        module = path[-1]
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit([*path, target])):
                return found
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit([module])):
            return found
    return None


def test_no_import_circle() -> None:
    assert _circle(_graph()) is None


def test_the_circle_check_sees_a_circle() -> None:
    assert _circle({"harness.a": {"harness.b"}, "harness.b": {"harness.c"}, "harness.c": {"harness.a"}}) == [
        "harness.a",
        "harness.b",
        "harness.c",
        "harness.a",
    ]
    assert _circle({"harness.a": {"harness.b"}, "harness.b": set()}) is None


def test_modules_stay_small() -> None:
    long = {
        _module_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
