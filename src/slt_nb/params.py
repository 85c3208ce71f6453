"""Parameter files: YAML overrides of the notebooks' ``parameters`` cells, and the params hash.

A notebook's ``parameters`` cell lists every default (with its provenance); a params file
(``params/*.yaml``) overrides only what differs. A key no notebook declares is an error, so
a typo never silently falls back to a default.

A params file may start from another: ``extends: paper.yaml`` (a path relative to the file that
says it) loads that file first, then this file's keys replace its keys whole (a ``datasets`` list is
replaced, not merged). Chains are allowed, cycles are an error. A key given twice in one mapping (at any
depth, in any file of the chain) is an error naming the file and line; so is a file that is not UTF-8.
What values a parameter may take is checked by :mod:`slt_nb.params_check` before any notebook runs.

The params hash identifies what a run's results depend on; :data:`OPERATIONAL` parameters choose
only which part runs now, how many at once, or whether a finished run is retrained, so they are
left out of it (one ablation cell per batch job, ``--set abl_only=[...]``, keeps the run's hash).
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import yaml

from .errors import SLTInputError

RESERVED = {"params_file", "params_hash"}  # injected by the runner into every notebook that declares them

EXTENDS = "extends"
# not part of the params hash (data_strict: a strict load gives the same manifests as the default one, or fails)
OPERATIONAL = frozenset({"abl_only", "ft_jobs", "ft_force", "abl_force", "llava_force", "llava_jobs", "data_strict"})


def load_params(path: str | Path | None) -> dict:
    """The overrides in a YAML params file ({} for None or an empty file), ``extends:`` resolved."""
    return load_params_sourced(path)[0]


def load_params_sourced(path: str | Path | None) -> tuple[dict, dict[str, tuple[Path, int]]]:
    """(overrides, {name: (file, line)}): :func:`load_params` plus where each value was given (the file of
    the ``extends:`` chain that set it last, and its 1-based line), for errors that name the culprit."""
    if path is None:
        return {}, {}
    return _load(Path(path), ())


def _load(path: Path, seen: tuple[Path, ...]) -> tuple[dict, dict]:
    data, lines = _read(path)
    parent = data.pop(EXTENDS, None)
    where = {k: (path, lines.get(k)) for k in data}
    if parent is None:
        return data, where
    if not isinstance(parent, str) or not parent.strip():
        raise SLTInputError(f"{EXTENDS} must name one params file, got {parent!r}", file=path, line=lines.get(EXTENDS), hint="e.g. extends: paper.yaml")
    base = (path.parent / parent).expanduser() if not Path(parent).expanduser().is_absolute() else Path(parent).expanduser()
    chain = (*seen, path.resolve())
    if base.resolve() in chain:
        raise SLTInputError(f"{EXTENDS} forms a cycle: " + " -> ".join(str(p) for p in (*chain, base.resolve())), file=path)
    if not base.is_file():
        raise SLTInputError(f"{EXTENDS}: params file {parent!r} not found (looked at {base})", file=path,
                            hint="the path is relative to the file that says extends")
    inherited, inherited_where = _load(base, chain)
    return {**inherited, **data}, {**inherited_where, **where}


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a key given twice in one mapping, at any depth (PyYAML keeps the
    last silently). Keys merged in with ``<<:`` may be replaced, as YAML merge keys intend."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in first:
                        raise DuplicateKeyError(f"duplicate key {key!r} (first given at line {first[key].line + 1})", key_node.start_mark)
                    first[key] = key_node.start_mark
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    pass
        return super().construct_mapping(node, deep=deep)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    def __init__(self, problem: str, mark) -> None:
        super().__init__(None, None, problem, mark)


def parse_yaml(text: str, *, file=None, what: str = "YAML"):
    """``text`` as YAML with the strict loader: a duplicate key or a syntax error is an
    :class:`SLTInputError` naming ``file`` and the line (one line, never PyYAML's multi-line report)."""
    def line(mark):
        return mark.line + 1 if mark is not None and file is not None else None

    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except DuplicateKeyError as exc:
        raise SLTInputError(exc.problem + ("" if file is not None else f" in {what}"), file=file, line=line(exc.problem_mark),
                            hint="a key given twice would silently keep only the last value; keep one") from None
    except yaml.reader.ReaderError as exc:
        raise SLTInputError(f"invalid {what}: unacceptable character #x{exc.character:04x} at character {exc.position}", file=file) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise SLTInputError(f"invalid {what} ({problem})", file=file, line=line(getattr(exc, "problem_mark", None))) from None


def _read(path: Path) -> tuple[dict, dict[str, int]]:
    """(mapping, {top-level key: 1-based line}) of one params file."""
    if not path.is_file():
        raise SLTInputError("params file not found", file=path, hint="pass an existing YAML file, e.g. params/default.yaml")
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")  # byte offsets as in the file (a BOM is allowed)
    except UnicodeDecodeError as exc:
        raise SLTInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, hint="save the params file as UTF-8") from None
    data = parse_yaml(text, file=path)
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise SLTInputError("a params file must be a mapping of parameter names to values", file=path)
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier()]
    if bad:
        raise SLTInputError(f"parameter names must be Python identifiers, got {bad}", file=path)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if isinstance(node, yaml.MappingNode) else {}
    return data, lines


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


def literal_default(expr: str):
    """A ``parameters`` cell default as a value (``"results"`` -> results); not a literal: the expression text."""
    try:
        return ast.literal_eval(expr)
    except (ValueError, SyntaxError):
        return expr
