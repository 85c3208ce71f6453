"""The notebooks of a project and the order they run in: ``notebooks/NN_name.py`` and their ``slt_nb`` headers.

A notebook runs after every lower-numbered one unless its jupytext header names its inputs
(``slt_nb: {after: [01_data_prep]}``); ``gpu: true`` marks one that trains on the GPU. The runner
(:func:`slt_nb.runner.reproduce`) starts the ready notebook with the longest remaining chain of
recorded wall times first (:func:`critical_paths`).
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import SLTInputError

NOTEBOOK_RE = re.compile(r"^\d\d_[a-z0-9_]+\.py$")


def list_notebooks(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    found = sorted(p for p in folder.glob("*.py") if NOTEBOOK_RE.match(p.name))
    if not found:
        raise SLTInputError("no notebooks found", file=folder, hint="expected files like 01_data_prep.py")
    return found


def headers(notebooks: list[Path]) -> dict[str, dict]:
    """stem -> the ``slt_nb`` mapping of the notebook's jupytext header ({} when absent)."""
    import jupytext

    out = {}
    for nb in notebooks:
        head = jupytext.read(nb).metadata.get("slt_nb") or {}
        if not isinstance(head, dict):
            raise SLTInputError("the slt_nb header must be a mapping", file=nb, hint="e.g. slt_nb: {after: [01_data_prep], gpu: true}")
        unknown = sorted(set(head) - {"after", "gpu"})
        if unknown:
            raise SLTInputError(f"unknown key(s) {unknown} in the slt_nb header", file=nb, hint="known: after, gpu")
        out[nb.stem] = head
    return out


def dependencies(notebooks: list[Path], heads: dict[str, dict] | None = None) -> dict[str, list[str]]:
    """stem -> the stems it runs after: its header's ``slt_nb.after`` (prefixes like ``03`` allowed), else
    every lower-numbered notebook. Only notebooks in ``notebooks`` count (``--only`` runs a subset; a
    project copy may hold only some notebooks)."""
    heads = heads if heads is not None else headers(notebooks)
    stems = [nb.stem for nb in notebooks]
    out = {}
    for i, nb in enumerate(notebooks):
        after = heads.get(nb.stem, {}).get("after")
        if after is None:
            out[nb.stem] = stems[:i]
            continue
        deps = []
        for name in after:
            name = f"{name:02d}" if isinstance(name, int) else str(name)  # YAML reads [01] as the number 1
            if not re.fullmatch(r"\d\d(_[a-z0-9_]+)?", name):
                raise SLTInputError(f"{name!r} in slt_nb.after is not a notebook name", file=nb, hint="e.g. 01_data_prep or 01")
            deps += [s for s in stems if s == name or s.startswith(f"{name}_")]  # absent: not selected, or not in this project
        out[nb.stem] = deps
    return out


def critical_paths(after: dict[str, list[str]], seconds: dict[str, float], unknown: float = 1.0) -> dict[str, float]:
    """stem -> the longest chain of recorded wall times from this notebook to the end of the run (itself
    included) over the ``after`` graph; ``unknown`` seconds for a notebook never timed. Starting the ready
    notebook with the longest chain first (critical-path scheduling) keeps ``--jobs`` workers busy."""
    dependents: dict[str, list[str]] = {s: [] for s in after}
    for s, deps in after.items():
        for d in deps:
            dependents.setdefault(d, []).append(s)
    memo: dict[str, float] = {}
    visiting: set[str] = set()

    def chain(s: str) -> float:
        if s not in memo:
            if s in visiting:
                raise SLTInputError("the notebooks' slt_nb.after lists form a cycle through " + s)
            visiting.add(s)
            memo[s] = float(seconds.get(s, unknown)) + max((chain(t) for t in dependents.get(s, ())), default=0.0)
        return memo[s]

    return {s: chain(s) for s in after}


def select(notebooks: list[Path], only: list[str] | None) -> list[Path]:
    if not only:
        return notebooks
    chosen = []
    for name in only:
        match = [nb for nb in notebooks if nb.stem == name or nb.stem.startswith(f"{name}_") or nb.stem.split("_", 1)[-1] == name]
        if not match:
            raise SLTInputError(f"unknown notebook {name!r}", hint="choose from " + ", ".join(nb.stem for nb in notebooks))
        chosen.extend(m for m in match if m not in chosen)
    return sorted(chosen)
