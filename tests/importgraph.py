"""Reading the package's imports from its source (AST), for the import-structure tests
(test_import_cycles, test_standins_boundary): module names and where each import statement points."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "slt_nb"


def module_name(path: Path) -> str:
    """``src/slt_nb/train/run.py`` -> ``slt_nb.train.run``; a package's ``__init__.py`` -> the package."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_targets(path: Path, node: ast.Import | ast.ImportFrom, modules=None) -> list[str]:
    """The dotted names an import statement in ``path`` reaches, relative imports resolved: for
    ``from X import n``, ``X.n`` where that is a module (of ``modules`` when given), else ``X``."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        parts = module_name(path).split(".")[: None if path.name == "__init__.py" else -1]
        base = ".".join([*parts[: len(parts) - node.level + 1], *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    return [f"{base}.{a.name}" if modules is None or f"{base}.{a.name}" in modules else base for a in node.names]
