"""Read a predictions JSONL file with strict validation.

One JSON object per line, written by the fine-tuning notebooks into
``results/predictions/<model>.<dataset>.<split>.jsonl`` (the majority baseline as
``baseline.<dataset>.<split>.jsonl``)::

    {"id": ..., "dataset": ..., "split": ..., "reference": ..., "prediction": ..., "model": ..., "params_hash": ...}

Required: ``id`` (string or integer; kept as a string), ``reference`` (a non-empty string) and
``prediction`` (a string; the empty string is a legal prediction and scores 0). Optional:
``dataset``, ``split``, ``model``, ``params_hash`` (strings or null); other keys are ignored.
Blank lines are skipped. Every problem raises :class:`~slt_nb.errors.SLTInputError` naming the
file and the line: a missing or empty file, a line that is not JSON or not an object, a missing
or mistyped field, an empty reference, a duplicate id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SLTInputError
from ..io import iter_json_objects

REQUIRED = ("id", "reference", "prediction")
OPTIONAL = ("dataset", "split", "model", "params_hash")


@dataclass(frozen=True)
class Prediction:
    id: str
    reference: str
    prediction: str
    dataset: str | None = None
    split: str | None = None
    model: str | None = None
    params_hash: str | None = None
    line: int | None = None  # 1-based line in the file it came from


def _parse(lines: Iterable[str], file) -> list[Prediction]:
    out: list[Prediction] = []
    seen: dict[str, int] = {}
    for lineno, rec in iter_json_objects(lines, file):
        sid = rec.get("id")
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise SLTInputError(
                f"missing field(s) {missing}",
                file=file,
                line=lineno,
                sample=None if sid is None else str(sid),
                hint=f"every line needs {list(REQUIRED)}",
            )
        if isinstance(sid, bool) or not isinstance(sid, (str, int)) or str(sid).strip() == "":
            raise SLTInputError(f"id must be a non-empty string or an integer, got {sid!r}", file=file, line=lineno)
        sid = str(sid)
        ref, hyp = rec["reference"], rec["prediction"]
        if not isinstance(ref, str):
            raise SLTInputError(f"reference must be a string, got {type(ref).__name__}", file=file, line=lineno, sample=sid)
        if not ref.strip():
            raise SLTInputError("empty reference", file=file, line=lineno, sample=sid, hint="every sample needs a reference translation")
        if not isinstance(hyp, str):
            raise SLTInputError(
                f"prediction must be a string, got {type(hyp).__name__}",
                file=file,
                line=lineno,
                sample=sid,
                hint='write "" for an empty prediction',
            )
        extra = {}
        for k in OPTIONAL:
            v = rec.get(k)
            if v is not None and not isinstance(v, str):
                raise SLTInputError(f"{k} must be a string or null, got {type(v).__name__}", file=file, line=lineno, sample=sid)
            extra[k] = v
        if sid in seen:
            raise SLTInputError(
                f"duplicate id (first on line {seen[sid]})", file=file, line=lineno, sample=sid, hint="ids must be unique in a predictions file"
            )
        seen[sid] = lineno
        out.append(Prediction(id=sid, reference=ref, prediction=hyp, line=lineno, **extra))
    if not out:
        raise SLTInputError("no predictions (the file is empty)", file=file, hint="the fine-tuning notebook writes one JSON object per test sample")
    return out


def read_predictions(path: str | Path) -> list[Prediction]:
    """Validated records of a predictions JSONL file, in file order."""
    path = Path(path)
    if not path.is_file():
        raise SLTInputError("predictions file not found", file=path, hint="run the fine-tuning notebook first, or check the path")
    try:
        with path.open(encoding="utf-8") as fh:
            return _parse(fh, path)
    except UnicodeDecodeError as exc:
        raise SLTInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None


def parse_predictions(rows: Iterable[dict | str], *, source: str = "<records>") -> list[Prediction]:
    """Validate in-memory rows (dicts or JSON lines) with the same rules as :func:`read_predictions`."""
    return _parse((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows), source)


def common_value(records: list[Prediction], field: str) -> str | None:
    """The value of ``field`` shared by every record, or None when absent or mixed."""
    values = {getattr(r, field) for r in records}
    return values.pop() if len(values) == 1 else None
