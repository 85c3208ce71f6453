"""The machinery the real-dataset loaders share: annotation tables, candidates, sample building.

Every loader reads its released annotation files with :func:`read_table` (line-numbered rows,
header and field-count checks), turns each row into a :class:`Candidate`, and hands the list to
:func:`build_samples` (duplicate ids, missing clips, frame counting with a progress bar, text
cleaning, :class:`Sample`). Row problems go to one :class:`~.row_issues.RowIssues` naming the
annotation file, the 1-based line (header = line 1) and the sample id: the loader goes on to the
next row, and at the end the rows the field drops (missing clips, segments past the end) are
counted in the :class:`DropReport`, and every other bad row is listed in one error.
"""

from __future__ import annotations

import csv
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..errors import SLTInputError
from .frames import count_frames
from .manifest import SPLITS, Sample, normalise_split
from .row_issues import DropReport, RowError, RowIssues, reason_of
from .row_issues import clean_text as clean_text_of

PARAMS_HINT = "set datasets[].root in params"
MEDIA_HINT = "re-extract or replace the clip, or remove its row from the annotation file"
ROW_HINT = "fix the row or remove it"


@dataclass
class LoadResult:
    """What :func:`load_dataset` returns: the samples, what was dropped or cleaned, and notes for the report."""

    samples: list[Sample]
    drops: DropReport | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """One data row of an annotation file: its values by column name and where it came from."""

    file: Path
    line: int
    values: dict[str, str]

    def error(self, problem: str, *, sample: str | None = None, hint: str = ROW_HINT, reason: str = "bad_row") -> RowError:
        return RowError(problem, reason=reason, file=self.file, line=self.line, sample=sample, hint=hint)


@dataclass
class Candidate:
    """A sample before its frames are counted: ``fields`` are :class:`Sample` keyword arguments.

    ``fields`` holds everything but ``n_frames``; ``fps`` may be ``None`` for videos (taken from
    the file). ``row`` says where it was declared, for error messages.
    """

    row: Row
    fields: dict

    @property
    def id(self) -> str:
        return self.fields["id"]


def read_table(
    path: str | Path,
    columns: Sequence[str],
    *,
    delimiter: str,
    quoted: bool = False,
    header: str = "required",
    issues: RowIssues | None = None,
) -> list[Row]:
    """Rows of a delimited annotation file, each with its 1-based line number.

    ``columns`` must all appear in the header (extra columns are kept). ``header='optional'``
    accepts a file without header, whose fields are then ``columns`` in order (CSL-Daily's
    ``split_1.txt``). ``quoted`` enables standard CSV quoting (iSign); otherwise quotes are
    literal text (PHOENIX, How2Sign and OpenASL sentences contain them). Blank lines are skipped.

    A row with the wrong number of fields (reason ``malformed_row``), or malformed quoting (the
    rest of the file is then unreadable), is recorded in ``issues`` and skipped; without
    ``issues`` it is raised. A missing file, a bad header or non-UTF-8 bytes always raise.
    """
    issues = issues if issues is not None else _Raise()
    path = Path(path)
    if not path.is_file():
        raise SLTInputError("annotation file not found", file=path, hint=f"check the dataset root or the file option; {PARAMS_HINT}")
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    rows: list[Row] = []
    names: list[str] | None = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, quoting=quoting, strict=quoted)
            prev = 0
            for fields in reader:
                line, prev = prev + 1, reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                if names is None:
                    names = _header(path, line, fields, columns, header)
                    if names is not None:
                        continue
                    names = list(columns)
                if len(fields) != len(names):
                    issues.add(
                        RowError(
                            f"expected {len(names)} fields separated by {delimiter!r}, found {len(fields)}",
                            reason="malformed_row",
                            file=path,
                            line=line,
                            sample=fields[0] or None,
                            hint=ROW_HINT,
                        )
                    )
                    continue
                rows.append(Row(path, line, dict(zip(names, fields, strict=True))))
    except UnicodeDecodeError as exc:
        raise SLTInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, hint="re-download the file or save it as UTF-8") from None
    except csv.Error as exc:
        issues.add(RowError(f"malformed CSV, the rest of the file is unreadable ({exc})", reason="malformed_row", file=path, line=reader.line_num, hint=ROW_HINT))
    return rows


class _Raise:
    """The ``issues`` of a caller that wants the first problem raised (``read_table`` on its own)."""

    def add(self, exc: SLTInputError, reason: str | None = None) -> None:
        raise exc


def _header(path: Path, line: int, fields: list[str], columns: Sequence[str], header: str) -> list[str] | None:
    """The column names if ``fields`` is the header line, ``None`` for a headerless optional file."""
    names = [f.strip() for f in fields]
    if set(columns) <= set(names):
        return names
    if header == "optional":
        return None
    missing = [c for c in columns if c not in names]
    raise SLTInputError(
        f"header lacks columns {missing} (found {names})",
        file=path,
        line=line,
        hint=f"the first line must name the columns {list(columns)}",
    )


def require_text(row: Row, value: str | None, sample: str, column: str) -> str:
    """The translation of a row; empty or missing is an error naming the file, line and sample."""
    if value is None or not value.strip():
        raise row.error(
            f"empty translation in column {column!r}", sample=sample, hint="every clip needs a reference translation; fix the row or remove it", reason="empty_translation"
        )
    return value


def find_dataset_dir(root: str | Path, marker: str, *, names: Sequence[str] = ()) -> Path:
    """The dataset folder: ``root`` itself if it holds ``marker``, else the one child folder that does.

    ``names`` are the released folder names, tried first (``PHOENIX-2014-T`` ...). Two children
    holding ``marker`` is ambiguous and an error.
    """
    root = Path(root)
    if not root.is_dir():
        raise SLTInputError("dataset root not found", file=root, hint=PARAMS_HINT)
    if (root / marker).exists():
        return root
    named = [root / n for n in names if (root / n / marker).exists()]
    if named:
        return named[0]
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / marker).exists())
    if len(found) == 1:
        return found[0]
    if found:
        raise SLTInputError(f"several folders hold {marker!r}: {[p.name for p in found]}", file=root, hint="point the root at one of them")
    raise SLTInputError(f"no {marker!r} here or in a sub-folder", file=root, hint=f"point the root at the released dataset folder; {PARAMS_HINT}")


def option_path(base: Path, value: str | Path | None, default: str) -> Path:
    """A folder/file option: ``default`` under the dataset folder when unset; relative values are taken from it too."""
    return base / (default if value is None else Path(value))


def check_duplicates(candidates: Sequence[Candidate], issues: RowIssues | None = None) -> list[Candidate]:
    """The candidates without repeated ids; each repeat is an error naming both places it was declared.

    With ``issues`` every repeat is recorded (reason ``duplicate_id``) and left out; without, the first is raised.
    """
    seen: dict[str, Row] = {}
    kept = []
    for c in candidates:
        first = seen.setdefault(c.id, c.row)
        if first is not c.row:
            err = c.row.error(f"duplicate id (first declared at {first.file.name}:{first.line})", sample=c.id, hint="ids must be unique within a dataset", reason="duplicate_id")
            if issues is None:
                raise err
            issues.add(err)
            continue
        kept.append(c)
    return kept


FrameCounter = Callable[[Candidate], "tuple[int, float | None]"]


def default_count(c: Candidate) -> tuple[int, float | None]:
    f = c.fields
    return count_frames(f["source"], f["source_kind"], start=f.get("start"), end=f.get("end"), sample=c.id)


def build_samples(
    candidates: Sequence[Candidate], *, desc: str, issues: RowIssues, count: FrameCounter = default_count, progress: bool = True
) -> list[Sample]:
    """Count every candidate's frames (progress bar) and build its :class:`Sample`; (n_samples,) list.

    Each candidate's problems go to ``issues``, restated at the annotation row that declared the
    clip (file, line, sample) and the media path: a repeated id (``duplicate_id``), a clip not on
    disk (``missing_clip``, which the field drops), one that cannot be counted (``unreadable_clip``:
    corrupt, zero frames ...), control characters in its text or gloss (removed and counted,
    :meth:`RowIssues.cleaned`). The caller calls ``issues.check()`` once everything is collected.
    """
    from ..progress import tqdm

    samples = []
    candidates = check_duplicates(candidates, issues)
    for c in tqdm(candidates, desc=desc, unit="clip", disable=not progress or not candidates):
        with issues.collect():
            fields = clean_fields(c, issues)
            if not Path(fields["source"]).exists():
                kind = "frame folder" if fields["source_kind"] == "frames" else "video"
                raise c.row.error(f"{kind} not found: {fields['source']}", sample=c.id, hint=MEDIA_HINT, reason="missing_clip")
            try:
                n_frames, fps = count(c)
            except SLTInputError as exc:
                raise at_row(c, exc, reason_of(exc, "unreadable_clip")) from None
            fields["fps"] = fields.get("fps") or fps
            try:
                samples.append(Sample(n_frames=n_frames, **fields))
            except SLTInputError as exc:
                raise at_row(c, exc, reason_of(exc)) from None
            _ROWS[samples[-1]] = c.row
    return samples


_ROWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Sample -> the Row that declared it (build_samples)


def row_of(sample: Sample) -> Row | None:
    """The annotation row that declared a sample this process loaded (None for one read from a manifest)."""
    return _ROWS.get(sample)


def clean_fields(c: Candidate, issues: RowIssues) -> dict:
    """``c.fields`` with control characters removed from ``text`` and ``gloss`` (counted in ``issues``).

    Also stored back into ``c`` (iSign's filters read the text before :func:`build_samples`). An id
    with control characters is an error: it names a file on disk.
    """
    if clean_text_of(c.id) != c.id:
        raise c.row.error(f"id {c.id!r} holds control characters", sample=c.id.encode("unicode_escape").decode("ascii"), reason="bad_id")
    for key in ("text", "gloss"):
        value = c.fields.get(key)
        if isinstance(value, str):
            c.fields[key] = issues.cleaned(value, c.id, file=c.row.file, line=c.row.line, column=key)
    return dict(c.fields)


def at_row(c: Candidate, exc: SLTInputError, reason: str = "unreadable_clip") -> RowError:
    """``exc`` (about a clip's media) restated at the annotation row that declared the clip."""
    media = f": {exc.file}" if exc.file is not None and Path(exc.file) != c.row.file else ""
    return c.row.error(f"{exc.problem}{media}", sample=c.id, hint=exc.hint or MEDIA_HINT, reason=reason)


def select_splits(splits: Sequence[str]) -> tuple[str, ...]:
    """The requested splits, normalised (``val`` -> ``dev``)."""
    if isinstance(splits, str):
        splits = (splits,)
    if not splits:
        raise SLTInputError("no splits requested", hint=f"ask for some of {SPLITS}")
    return tuple(normalise_split(s) for s in splits)
