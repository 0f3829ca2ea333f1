"""The TUI keeps no language data: no Chinese in its code, no English sentence of the core's.

Every word and sentence it shows comes from the catalog (kefu.core.catalog.ui and the other
areas) or from the core's vocabulary (kefu.core.workflow); an error the core raises is shown
with `exc.text(lang)`, never `exc.message` (which is English).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TUI = Path(__file__).resolve().parents[2] / "tui"
SOURCES = sorted(TUI.rglob("*.py"))
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes (a module's, a class's, a function's, an attribute's)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                found.add(id(statement.value))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(TUI)))
def test_no_chinese_in_the_tuis_strings(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    found = [
        f"{path.relative_to(TUI)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
    ]
    assert found == [], "Chinese belongs in kefu.core.catalog (ui.py) or kefu.core.workflow"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(TUI)))
def test_core_errors_are_shown_in_the_ui_language(path: Path) -> None:
    """`exc.message` is the English text; the TUI renders `exc.text(lang)`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"{path.relative_to(TUI)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "message"
    ]
    assert found == []


def test_the_scan_sees_chinese() -> None:
    tree = ast.parse('"""说明"""\nx = "客"\n')
    literals = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in _docstrings(tree)]
    assert [n.value for n in literals] == ["客"]
