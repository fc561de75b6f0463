"""The apps' dependencies point one way: an app imports only apps below it in the layer order.

The order is the one in settings.INSTALLED_APPS; a lower app that needs to tell a higher one
something announces it through ``jaring.core.events`` (or a signal it owns) instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

import jaring

SOURCE = Path(jaring.__file__).parent
LAYERS = [
    app.removeprefix("jaring.") for app in settings.INSTALLED_APPS if app.startswith("jaring.")
]
# Modules of the project itself (wiring every app together), not of any app.
PROJECT_MODULES = {"settings", "urls", "wsgi", "asgi", "cli", "__init__", "__main__"}


def _runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import, at any depth, except those only a type checker reads."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def app_imports() -> dict[str, dict[str, list[str]]]:
    """app -> imported app -> ["file:line", ...], over every module of every app."""
    graph: dict[str, dict[str, list[str]]] = {app: {} for app in LAYERS}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE).parts
        app = parts[0] if len(parts) > 1 else None
        if app not in graph:
            assert len(parts) == 1 and path.stem in PROJECT_MODULES, f"{path}: module of no app"
            continue
        for line, module in _runtime_imports(ast.parse(path.read_text(), str(path))):
            names = module.split(".")
            if names[0] == "jaring" and len(names) > 1 and names[1] != app:
                target = names[1]
                assert target in graph, f"{path}:{line} imports {module}, which is not an app"
                where = f"{path.relative_to(SOURCE)}:{line}"
                graph[app].setdefault(target, []).append(where)
    return graph


def test_the_layer_order_is_the_installed_order():
    assert LAYERS[:2] == ["core", "accounts"]
    assert LAYERS.index("reports") > max(
        LAYERS.index(app) for app in ("registry", "enrolment", "finance", "claims")
    )


def test_every_app_imports_only_lower_apps():
    graph = app_imports()
    upward = [
        f"{app} -> {target} ({', '.join(places)})"
        for app, targets in graph.items()
        for target, places in targets.items()
        if LAYERS.index(target) > LAYERS.index(app)
    ]
    assert upward == [], "\n".join(upward)


def test_no_cycle_between_apps():
    graph = {app: set(targets) for app, targets in app_imports().items()}
    state: dict[str, str] = {}

    def walk(app: str, path: list[str]) -> None:
        state[app] = "open"
        for target in graph[app]:
            if state.get(target) == "open":
                pytest.fail("cycle: " + " -> ".join([*path, app, target]))
            if target not in state:
                walk(target, [*path, app])
        state[app] = "done"

    for app in graph:
        if app not in state:
            walk(app, [])


def test_no_lower_app_imports_reports():
    graph = app_imports()
    lower = LAYERS[: LAYERS.index("reports")]
    assert {app: graph[app]["reports"] for app in lower if "reports" in graph[app]} == {}


def test_the_check_sees_a_function_level_upward_import():
    """The walk finds imports inside functions (the usual way a cycle hides)."""
    tree = ast.parse("def f():\n    from jaring.reports.services import refresh_regency\n")
    assert _runtime_imports(tree) == [(2, "jaring.reports.services")]
