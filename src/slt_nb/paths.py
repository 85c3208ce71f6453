"""Where the project lives: paths in params are relative to the project root.

Notebooks run with the project root as working directory under papermill, and with
``notebooks/`` as working directory in JupyterLab; resolving through :func:`resolve`
makes both read and write the same files.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root(start: str | Path | None = None) -> Path:
    """``$SLT_NB_ROOT`` if set, else the nearest folder upwards holding slt-nb's pyproject.toml, else cwd."""
    env = os.environ.get("SLT_NB_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and 'name = "slt-nb"' in pyproject.read_text(encoding="utf-8", errors="ignore"):
            return folder
    return here


def resolve(path: str | Path, root: str | Path | None = None) -> Path:
    """An absolute path: as given if absolute (or ``~``), else relative to the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (Path(root) if root else project_root()) / p
