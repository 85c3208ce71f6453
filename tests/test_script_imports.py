"""The code outside the package (benchmarks/, the notebooks, tools/) imports only names that exist: a module moved
or split inside ``slt_nb`` must not leave them stale (``make bench`` and ``make reproduce`` run them; a unit test
would not notice, and a notebook would fail only when the runner reaches that cell)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*(REPO / "benchmarks").glob("*.py"), *(REPO / "notebooks").glob("[0-9][0-9]_*.py"), *(REPO / "tools").glob("*.py")])


def slt_nb_imports(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) of every ``from slt_nb... import name`` in a script, function bodies included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "slt_nb":
            out += [(node.module, a.name, node.lineno) for a in node.names]
    return out


def test_the_scripts_import_from_slt_nb():
    assert len(SCRIPTS) > 13 and sum(len(slt_nb_imports(p)) for p in SCRIPTS) > 20
    assert any(p.parent.name == "notebooks" for p in SCRIPTS) and any(p.parent.name == "benchmarks" for p in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=[f"{p.parent.name}/{p.name}" for p in SCRIPTS])
def test_every_slt_nb_import_of_a_script_resolves(script):
    missing = []
    for module, name, line in slt_nb_imports(script):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{script.name}:{line}: {module} ({exc})")
            continue
        if not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{script.name}:{line}: {module}.{name}")
    assert missing == []
