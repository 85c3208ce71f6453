"""Parameter files: YAML overrides of the notebooks' ``parameters`` cells, and the params hash.

A notebook's ``parameters`` cell lists every default (with its provenance); a params file
(``params/*.yaml``) overrides only what differs. A key no notebook declares is an error, so
a typo never silently falls back to a default.

A params file may start from another: ``extends: paper.yaml`` (a path relative to the file that
says it) loads that file first, then this file's keys replace its keys whole (a ``datasets`` list is
replaced, not merged). Chains are allowed, cycles are an error.

The params hash identifies what a run's results depend on; :data:`OPERATIONAL` parameters choose
only which part runs now, how many at once, or whether a finished run is retrained, so they are
left out of it (one ablation cell per batch job, ``--set abl_only=[...]``, keeps the run's hash).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from .errors import SLTInputError

EXTENDS = "extends"
# not part of the params hash (data_strict: a strict load gives the same manifests as the default one, or fails)
OPERATIONAL = frozenset({"abl_only", "ft_jobs", "ft_force", "abl_force", "llava_force", "llava_jobs", "data_strict"})


def load_params(path: str | Path | None) -> dict:
    """The overrides in a YAML params file ({} for None or an empty file), ``extends:`` resolved."""
    if path is None:
        return {}
    return _load(Path(path), ())


def _load(path: Path, seen: tuple[Path, ...]) -> dict:
    data = _read(path)
    parent = data.pop(EXTENDS, None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise SLTInputError(f"{EXTENDS} must name one params file, got {parent!r}", file=path, hint="e.g. extends: paper.yaml")
    base = (path.parent / parent).expanduser() if not Path(parent).expanduser().is_absolute() else Path(parent).expanduser()
    chain = (*seen, path.resolve())
    if base.resolve() in chain:
        raise SLTInputError(f"{EXTENDS} forms a cycle: " + " -> ".join(str(p) for p in (*chain, base.resolve())), file=path)
    if not base.is_file():
        raise SLTInputError(f"{EXTENDS}: params file {parent!r} not found (looked at {base})", file=path,
                            hint="the path is relative to the file that says extends")
    return {**_load(base, chain), **data}


def _read(path: Path) -> dict:
    if not path.is_file():
        raise SLTInputError("params file not found", file=path, hint="pass an existing YAML file, e.g. params/default.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SLTInputError(f"invalid YAML ({getattr(exc, 'problem', exc)})", file=path, line=mark.line + 1 if mark else None) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SLTInputError("a params file must be a mapping of parameter names to values", file=path)
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier()]
    if bad:
        raise SLTInputError(f"parameter names must be Python identifiers, got {bad}", file=path)
    return data


def check_known(overrides: dict, declared: dict[str, set[str]], *, file=None) -> None:
    """Every override must be a parameter of at least one notebook (``declared``: notebook -> names)."""
    known = set().union(*declared.values()) if declared else set()
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SLTInputError(
            f"unknown parameter(s) {unknown}",
            file=file,
            hint="no notebook declares them in its parameters cell; check the spelling (known: " + ", ".join(sorted(known)) + ")",
        )


def params_for(notebook_params: set[str], overrides: dict) -> dict:
    """The overrides that one notebook declares."""
    return {k: v for k, v in overrides.items() if k in notebook_params}


def hashed(overrides: dict) -> dict:
    """The overrides that identify results: :data:`OPERATIONAL` ones left out."""
    return {k: v for k, v in overrides.items() if k not in OPERATIONAL}


def params_hash(obj) -> str:
    """A short, stable hash of a JSON-serialisable object (canonical JSON, sorted keys)."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]
