"""Imports run one way: storage/ and bot/ingest/ depend on nothing above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Return every module ``path`` imports, at any depth of its code."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def forbidden_imports(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """Return "file: module" for each import in ``package`` of a forbidden package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in sorted(imported_modules(path)):
            if any(module == name or module.startswith(f"{name}.") for name in forbidden):
                found.append(f"{path.relative_to(ROOT)}: {module}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("storage", ("bot", "handlers", "telegram")),
        ("bot/ingest", ("bot.services", "storage", "handlers", "telegram")),
    ],
)
def test_lower_layers_import_nothing_above_them(package: str, forbidden: tuple[str, ...]) -> None:
    """storage/ and bot/ingest/ never import the layers that use them."""
    assert forbidden_imports(package, forbidden) == []
