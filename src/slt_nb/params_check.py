"""Check every parameter of a run before any notebook starts: name, type, range, allowed values.

One mechanism for ``slt-nb reproduce`` (params files, ``extends:``, ``--set``) and for a notebook run by
hand (:func:`slt_nb.provenance.this_run`): the schema of a parameter is its **type**, derived from its
default in the notebooks' ``parameters`` cells (:func:`derive`), merged with its **rule** in
:data:`slt_nb.params_schema.RULES` (ranges, allowed values); ``jsonschema`` (draft 2020-12) checks the
value, with stricter types than JSON's: a bool is not a number, 64.0 is not an integer, and NaN or
infinity is no number. The first problem is an :class:`~slt_nb.errors.SLTInputError` of one line that
names the parameter (and the key inside it), the value, where it was given (``file:line`` of the params
file, ``--set``, or the notebook it was edited in) and what is allowed.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from .errors import SLTInputError
from .params import check_known, load_params_sourced

META = ("$derive", "$closed")  # rule keys of ours, not JSON Schema's
NO_VALUE = object()  # a problem with a key, not a value


def derive(default, closed: bool = False) -> dict:
    """The JSON Schema of a default's type: bool -> boolean, int -> integer, float -> number (ints allowed),
    str -> string, list -> array (items: the elements' schema when they share one), dict -> object with
    each key's schema (``closed``: no other keys, at every level); None -> {} (any type: the rule says)."""
    if default is None:
        return {}
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, int):
        return {"type": "integer"}
    if isinstance(default, float):
        return {"type": "number"}
    if isinstance(default, str):
        return {"type": "string"}
    if isinstance(default, (list, tuple)):
        items = [derive(x, closed) for x in default]
        return {"type": "array", **({"items": items[0]} if items and all(i == items[0] for i in items) else {})}
    if isinstance(default, dict):
        out = {"type": "object", "properties": {str(k): derive(v, closed) for k, v in default.items()}}
        return {**out, "additionalProperties": False} if closed else out
    return {}


def merge(base: dict, rule: dict) -> dict:
    """``base`` with ``rule`` laid over it: ``properties``, ``items`` and ``additionalProperties`` merge
    recursively, any other keyword of the rule replaces the base's; ``"$derive": False`` in the rule drops
    the base at that level (the rule alone says what is allowed there)."""
    out = {} if rule.get("$derive") is False else dict(base)
    for k, v in rule.items():
        if k in META:
            continue
        if k == "properties":
            props = dict(out.get("properties", {}))
            for name, sub in v.items():
                props[name] = merge(props.get(name, {}), sub)
            out[k] = props
        elif k in ("items", "additionalProperties") and isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def defaults_of(declared: dict[str, dict[str, str]], notebooks: list[Path] | None = None) -> dict:
    """name -> default value: the first notebook's (in ``declared``'s order) that is a literal other than None,
    else None. ``notebooks``: their ``.py`` files, whose ``parameters`` cells are read in full
    (:func:`cell_defaults`; papermill's inspection keeps only the first line of a default that spans
    several); without them the expressions in ``declared`` are used."""
    from .params import RESERVED, literal_default

    cells = {nb.stem: cell_defaults(nb) for nb in notebooks or ()}
    out: dict = {}
    for stem, table in declared.items():
        for name, expr in table.items():
            if name in RESERVED:
                continue
            if name in cells.get(stem, {}):
                value = cells[stem][name]
            else:
                value = literal_default(expr)
                if value == expr and isinstance(value, str) and expr.strip()[:1] not in ("'", '"'):
                    value = None  # an expression, not a literal: no type to derive
            if out.get(name) is None:
                out[name] = value
    return out


def cell_defaults(notebook: Path) -> dict:
    """{name: value} of the literal assignments in a jupytext notebook's ``parameters`` cell."""
    notebook = Path(notebook)
    return _cell_defaults(str(notebook), notebook.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _cell_defaults(path: str, _mtime: int) -> dict:
    import ast

    import jupytext

    out = {}
    for cell in jupytext.read(path).cells:
        if "parameters" in (cell.get("metadata", {}).get("tags") or []):
            try:
                body = ast.parse(cell.source).body
            except SyntaxError:  # IPython syntax: papermill's expressions are used instead
                return {}
            for node in body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        out[node.targets[0].id] = ast.literal_eval(node.value)
                    except (ValueError, TypeError, SyntaxError):  # not a literal: no type to derive
                        pass
    return out


def schema_of(name: str, defaults: dict, rules: dict | None = None, _seen: tuple = ()) -> dict:
    """The full schema of parameter ``name``: its default's type merged with its rule (``$param`` resolved)."""
    from .params_schema import RULES

    rules = RULES if rules is None else rules
    rule = rules.get(name, {})
    return _resolve(merge(derive(defaults.get(name), closed=bool(rule.get("$closed"))), rule), defaults, rules, (*_seen, name))


def _resolve(schema, defaults, rules, seen):
    if isinstance(schema, dict):
        if "$param" in schema:
            ref = schema["$param"]
            return {} if ref in seen or ref not in defaults else schema_of(ref, defaults, rules, seen)
        return {k: _resolve(v, defaults, rules, seen) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(v, defaults, rules, seen) for v in schema]
    return schema


@lru_cache(maxsize=1)
def _validator_class():
    from jsonschema import Draft202012Validator, validators

    def integer(_checker, x):
        return isinstance(x, int) and not isinstance(x, bool)

    def number(_checker, x):
        return integer(_checker, x) or (isinstance(x, float) and math.isfinite(x))

    checker = Draft202012Validator.TYPE_CHECKER.redefine_many({
        "integer": integer, "number": number, "array": lambda _c, x: isinstance(x, (list, tuple))})
    return validators.extend(Draft202012Validator, type_checker=checker)


def problem(value, schema: dict) -> tuple[str, object, str] | None:
    """None if ``value`` meets ``schema``, else (path inside the value, offending value, what is allowed)
    for the most relevant error (``jsonschema.exceptions.best_match``)."""
    from jsonschema.exceptions import best_match

    e = best_match(_validator_class()(schema).iter_errors(value))
    if e is None:
        return None
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
    if "propertyNames" in e.relative_schema_path:
        return path, NO_VALUE, f"key {e.instance!r} is not allowed: keys must be {describe(e.schema)}"
    if e.validator == "additionalProperties" and e.validator_value is False:
        extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
        return path, e.instance, f"unknown key(s) {extra}; allowed: {', '.join(sorted(e.schema.get('properties', {})))}"
    if e.validator in ("required", "minItems", "maxItems", "minProperties", "uniqueItems"):
        return path, e.instance, _clip(" ".join(e.message.split()))
    return path, e.instance, "expected " + describe(e.schema)


TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "text", "boolean": "true or false",
              "array": "a list", "object": "a mapping", "null": "null"}


def describe(s: dict) -> str:
    """What ``s`` allows, in words (e.g. "an integer >= 1", "one of 'train', 'dev', 'test'")."""
    if not s:
        return "anything"
    if "description" in s:
        return s["description"]
    null = " or null" if "null" in _types(s) else ""
    if "const" in s:
        return repr(s["const"])
    if "enum" in s:
        shown = ", ".join(repr(v) for v in s["enum"][:12]) + (f", ... ({len(s['enum'])} in all)" if len(s["enum"]) > 12 else "")
        return "one of " + shown + null
    if "anyOf" in s:
        return " or ".join(describe(x) for x in s["anyOf"])
    kinds = [t for t in _types(s) if t != "null"]
    words = " or ".join(TYPE_WORDS[t] for t in kinds) or "a value"
    bounds = [f"{op} {s[k]}" for k, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<"))
              if k in s and set(kinds) & {"integer", "number"}]
    if bounds:
        words += " " + " and ".join(bounds)
    if "pattern" in s:
        words += f" matching {s['pattern']}"
    if s.get("minLength") and "string" in kinds:
        words = words.replace("text", "non-empty text")
    if "array" in kinds and isinstance(s.get("items"), dict) and s["items"]:
        words += f" (each item {describe(s['items'])})"
    if "object" in kinds:
        if isinstance(s.get("propertyNames"), dict):
            words += f" with keys {describe(s['propertyNames'])}"
        elif s.get("additionalProperties") is False and s.get("properties"):
            words += f" with keys from {', '.join(sorted(s['properties']))}"
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            words += f" (values {describe(s['additionalProperties'])})"
    return words + null


def _types(s: dict) -> list[str]:
    t = s.get("type", [])
    return t if isinstance(t, list) else [t]


def _short(x, limit: int = 80) -> str:
    return _clip(" ".join(repr(x).split()), limit)


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_params(declared: dict[str, dict[str, str]], overrides: dict, *, notebooks: list[Path] | None = None, params_file: str | Path | None = None,
                 set_params: dict | None = None, edited: tuple[str, set] | None = None, rules: dict | None = None,
                 relations: list | None = None) -> None:
    """Refuse the run's parameters unless every one is declared by a notebook, has its default's type, meets
    its rule (:data:`slt_nb.params_schema.RULES`) and every :data:`~slt_nb.params_schema.RELATIONS` holds.

    ``declared``: notebook -> {name: default expression} (papermill's view of the ``parameters`` cells);
    ``notebooks``: their files (full defaults, :func:`defaults_of`); ``overrides``: the merged values of the
    run; ``params_file`` / ``set_params`` / ``edited`` (notebook, names): where they came from, for the
    message. ``rules`` / ``relations``: other tables than the package's (tests). Raises
    :class:`SLTInputError` (one line) on the first problem, parameters taken in the order of their names."""
    from .params_schema import RELATIONS
    from .params import RESERVED

    relations = RELATIONS if relations is None else relations
    where = load_params_sourced(params_file)[1] if params_file is not None else {}

    def source_of(name) -> tuple[str, object, int | None]:
        """(words for the message, file, line) of where ``name``'s value was given."""
        if edited and name in edited[1]:
            return f" (edited in {edited[0]})", None, None
        if set_params and name in set_params:
            return " (--set)", None, None
        if name not in overrides:
            return " (the notebooks' default)", None, None
        return ("", *where.get(name, (params_file, None)))

    def fail(name, path, value, allowed):
        source, file, line = source_of(name)
        hint = None
        if isinstance(value, str) and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+", value.strip()):
            hint = f"YAML reads {value} as text; write it with a dot, e.g. {float(value):.1e}".replace("e-0", "e-").replace("e+0", "e+")
        shown = "" if value is NO_VALUE else f" = {_short(value)}"
        raise SLTInputError(f"parameter {name}{path}{shown}{source}: {allowed}", file=file, line=line, hint=hint)

    known = {k: set(v) - RESERVED for k, v in declared.items()}
    try:
        check_known(overrides, known)
    except SLTInputError as exc:
        source, file, line = source_of(sorted(set(overrides) - set().union(*known.values()))[0])
        raise SLTInputError(exc.problem + source, file=file, line=line, hint=exc.hint) from None
    defaults = defaults_of(declared, notebooks)
    for name in sorted(overrides):
        found = problem(overrides[name], schema_of(name, defaults, rules))
        if found:
            fail(name, *found)
    values = {**defaults, **overrides}
    for names, check in relations:
        if all(n in defaults for n in names):
            for name, path, value, allowed in check(values):
                fail(name, path, value, "expected " + allowed)
