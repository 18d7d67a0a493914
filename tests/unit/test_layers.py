"""No module of the library imports a layer above its own: the package layout is also its import order.

The layers, lowest first (a module may import its own layer and those below):
settings and errors, then entities, systems, books, schedule, mapping, flow, the application, and
its entry points (actors, cli, web); ``pipeline.testing`` (the emulators) sits on top, and only tests
import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pipeline"

#: Each layer's top-level modules and packages of ``pipeline``, lowest first.
LAYERS = (
    {"errors", "settings", "redaction", "logs", "crash_points", "redis_clients", "__init__"},
    {"entities"},
    {"systems"},
    {"books"},
    {"schedule"},
    {"mapping"},
    {"flow"},
    {"app"},
    {"actors", "cli", "web"},
    {"testing"},
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def top(module: str) -> str:
    """``pipeline.books.runs`` -> ``books``; ``pipeline`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every ``pipeline`` import in a file, including those inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name == "pipeline" or name.startswith("pipeline.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_of_the_package_has_a_layer():
    parts = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in MODULES}
    assert parts - set(RANK) == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    above = [f"line {line}: {name} ({top(name)} is above {own})" for line, name in imported(path)
             if RANK[top(name)] > RANK[own]]
    assert above == []
