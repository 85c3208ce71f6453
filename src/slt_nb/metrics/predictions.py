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

Every file belongs to one run: its rows carry that run's ``params_hash``. A reader inside a run passes
its own hash (``read_predictions(path, params_hash=h)``, :func:`run_predictions`) and gets only what
that run wrote: a file of another run — another params file, an earlier version of this one — is
refused or left out, never mixed into a table.
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


def read_predictions(path: str | Path, *, params_hash: str | None = None) -> list[Prediction]:
    """Validated records of a predictions JSONL file, in file order. ``params_hash``: the run that must have
    written it (an :class:`SLTInputError` names the file and both hashes otherwise); None: any run."""
    path = Path(path)
    if not path.is_file():
        raise SLTInputError("predictions file not found", file=path, hint="run the fine-tuning notebook first, or check the path")
    try:
        with path.open(encoding="utf-8") as fh:
            records = _parse(fh, path)
    except UnicodeDecodeError as exc:
        raise SLTInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None
    if params_hash is not None and (found := run_of(records, path)) != params_hash:
        raise SLTInputError(f"written by another run (params hash {found}, this run {params_hash})", file=path,
                            hint="re-run the notebook that writes it with this params file")
    return records


def run_of(records: list[Prediction], path=None) -> str | None:
    """The params hash of the run that wrote ``records`` (one file); rows of several runs are an error."""
    hashes = {r.params_hash for r in records}
    if len(hashes) > 1:
        raise SLTInputError(f"rows of several runs in one file (params hashes {sorted(map(str, hashes))})", file=path,
                            hint="a predictions file is written whole by one run; delete it and re-run the notebook that writes it")
    return hashes.pop()


def run_predictions(folder: str | Path, params_hash: str | None, pattern: str = "*.jsonl") -> tuple[list[Path], dict[str, list[str]]]:
    """(files in ``folder`` matching ``pattern`` written by the run ``params_hash``, sorted; {other hash: file
    names} of the files other runs left there). ``params_hash`` None: every file is taken."""
    return split_by_run(sorted(Path(folder).glob(pattern)) if Path(folder).is_dir() else [], params_hash)


def split_by_run(paths: list[Path], params_hash: str | None) -> tuple[list[Path], dict[str, list[str]]]:
    """``paths`` split into (those the run ``params_hash`` wrote, {other hash: file names})."""
    mine, others = [], {}
    for path in paths:
        h = run_of(read_predictions(path), path)
        if params_hash is None or h == params_hash:
            mine.append(path)
        else:
            others.setdefault(str(h), []).append(path.name)
    return mine, others


def parse_predictions(rows: Iterable[dict | str], *, source: str = "<records>") -> list[Prediction]:
    """Validate in-memory rows (dicts or JSON lines) with the same rules as :func:`read_predictions`."""
    return _parse((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows), source)


def common_value(records: list[Prediction], field: str) -> str | None:
    """The value of ``field`` shared by every record, or None when absent or mixed."""
    values = {getattr(r, field) for r in records}
    return values.pop() if len(values) == 1 else None
