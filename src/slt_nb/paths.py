"""Where the project lives: paths in params are relative to the project root.

Notebooks run with the project root as working directory under papermill, and with
``notebooks/`` as working directory in JupyterLab; resolving through :func:`resolve`
makes both read and write the same files. Under ``slt-nb reproduce`` a path in the results folder
resolves into the running notebook's stage (:mod:`slt_nb.staging`): its outputs are published only
if it succeeds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STAGE_ENV = "SLT_NB_STAGE"  # set by the runner for a notebook's kernel: JSON {results folder: stage folder}


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
    p = p if p.is_absolute() else (Path(root) if root else project_root()) / p
    return staged(p) if os.environ.get(STAGE_ENV) else p


def staged(path: Path) -> Path:
    """``path`` (absolute) mapped into the running notebook's stage when it lies in a staged results folder
    (``$SLT_NB_STAGE``, set only by the runner); else ``path``."""
    try:
        stages = json.loads(os.environ.get(STAGE_ENV) or "{}")
    except json.JSONDecodeError:
        return path
    for text in dict.fromkeys((os.path.normpath(path), os.path.realpath(path))):
        for final, stage in stages.items():
            if text == final or text.startswith(final.rstrip(os.sep) + os.sep):
                return Path(stage + text[len(final.rstrip(os.sep)):])
    return path


def shown(path: str | Path, root: str | Path | None = None) -> str:
    """``path`` as a notebook should print it: relative to the project root when under it (no machine paths in
    published outputs), else as given."""
    p = Path(path)
    base = Path(root) if root else project_root()
    try:
        return p.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)
