"""Every bad row of one dataset load, collected first; then dropped and counted, or raised as one error.

All loaders (:mod:`.phoenix`, :mod:`.how2sign`, :mod:`.openasl`, :mod:`.isign`, :mod:`.csl_daily`)
report row problems to one :class:`RowIssues`, never by raising at the first one. At the end of the
load (:meth:`RowIssues.check`):

* rows the field drops are left out and counted by reason, with their ids, in the
  :class:`DropReport` (``<dataset>.drops.json``): :data:`FIELD_DROPS` -- a clip that is not on
  disk (the How2Sign release lacks 117 train, 2 val and 14 test clips its CSVs list,
  how2sign/how2sign.github.io#23; codebases drop those rows) and a realigned segment that lies
  wholly past the end of its video (how2sign/how2sign-data#9);
* control characters in a translation or gloss (a NUL byte, an escape ...) are removed with
  ftfy's ``remove_control_chars`` (ftfy 6.3: ASCII controls but tab, newline, form feed and
  carriage return; the BOM; U+206A-206F; U+FFF9-FFFC) and the row is counted under ``cleaned``;
* every other problem (malformed row, empty translation, duplicate id, unreadable clip, unknown
  split ...) makes the load fail with ONE :class:`~slt_nb.errors.SLTInputError` listing every bad
  row (``file:line``, sample, problem), the first :data:`LIST_LIMIT` of them and a count of the rest.

``strict=True`` (params ``data_strict``, ``slt-nb stats --strict``) turns the drops and the
cleaning into errors too: the load then succeeds only on rows exactly as released.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import SLTInputError

FIELD_DROPS = {
    "missing_clip": "the clip the row names is not on disk",
    "segment_past_end": "the realigned segment lies past the end of its video",
}
LIST_LIMIT = 10  # bad rows spelled out in the one error; the rest are counted
CLEAN_REASON = "control_characters"


class RowError(SLTInputError):
    """An :class:`SLTInputError` about one row, with a ``reason`` key for the drop report / error summary."""

    def __init__(self, problem: str, *, reason: str, **where) -> None:
        super().__init__(problem, **where)
        self.reason = reason


def reason_of(exc: SLTInputError, default: str = "bad_row") -> str:
    return getattr(exc, "reason", None) or default


def clean_text(text: str) -> str:
    """``text`` without control characters (ftfy 6.3 ``remove_control_chars``; tab/newline/CR kept)."""
    from ftfy.fixes import remove_control_chars

    return remove_control_chars(text)


@dataclass
class DropReport:
    """Rows left out of a dataset (by reason, with their ids) and rows whose text was cleaned.

    Reasons: the paper's own filters (iSign, Appendix A: ``invalid_translation``,
    ``no_person_detected``, ``not_in_vocab_subset``) and what the field drops
    (:data:`FIELD_DROPS`). Written as ``<dataset>.drops.json`` beside the manifests.
    ``filtered``: the rows the paper's own filters removed, ``{"id", "text", "n_frames", "reason"}``
    each (``n_frames`` None when the clip could not be counted), for the statistics of the release
    before cleaning (:mod:`.populations`); 01_data_prep writes them to ``<dataset>.filtered.jsonl``.
    """

    dataset: str
    reasons: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, list[str]] = field(default_factory=dict)
    filtered: list[dict] = field(default_factory=list)

    def drop(self, reason: str, sample_id: str) -> None:
        self.reasons.setdefault(reason, []).append(sample_id)

    @property
    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in sorted(self.reasons.items())}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str | None:
        """One line for the notes (None when nothing was dropped or cleaned)."""
        parts = [f"{k} {len(v)} (e.g. {', '.join(v[:3])})" for k, v in sorted(self.reasons.items())]
        parts += [f"cleaned {k} {len(v)} (e.g. {', '.join(v[:3])})" for k, v in sorted(self.cleaned.items())]
        if not parts:
            return None
        return f"{self.dataset}: dropped {self.total} row(s): " + "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "total_dropped": self.total,
            "counts": self.counts,
            "notes": self.notes,
            "ids": self.reasons,
            "cleaned": {k: v for k, v in sorted(self.cleaned.items())},
        }

    def write(self, folder: str | Path) -> Path:
        from ..io import write_json

        return write_json(Path(folder) / f"{self.dataset}.drops.json", self.to_dict())


class RowIssues:
    """The bad rows of one load (see the module docstring); ``drops`` receives what is dropped."""

    def __init__(self, dataset: str, *, strict: bool = False, drops: DropReport | None = None) -> None:
        if not isinstance(strict, bool):
            raise SLTInputError(f"strict must be true or false, got {strict!r}", hint="fix data_strict / the dataset's strict option in params")
        self.dataset, self.strict = dataset, strict
        self.drops = drops if drops is not None else DropReport(dataset=dataset)
        self.errors: list[SLTInputError] = []

    def add(self, exc: SLTInputError, reason: str | None = None) -> None:
        """Record a bad row: dropped and counted if the field drops it (and not strict), else an error."""
        reason = reason or reason_of(exc)
        if reason in FIELD_DROPS and not self.strict and exc.sample:
            self.drops.drop(reason, exc.sample)
            return
        if not isinstance(exc, RowError):
            exc = RowError(exc.problem, reason=reason, file=exc.file, line=exc.line, sample=exc.sample, hint=exc.hint)
        self.errors.append(exc)

    @contextmanager
    def collect(self, reason: str | None = None) -> Iterator[None]:
        """``with issues.collect(): ...`` records an :class:`SLTInputError` raised inside and goes on."""
        try:
            yield
        except SLTInputError as exc:
            self.add(exc, reason)

    def cleaned(self, original: str, sample: str, *, file=None, line=None, column: str = "text") -> str:
        """``original`` with control characters removed; a change is counted (an error when strict)."""
        text = clean_text(original)
        if text != original:
            if self.strict:
                bad = sorted({f"U+{ord(ch):04X}" for ch in original if ch not in text})
                self.errors.append(
                    RowError(
                        f"{column} holds control characters {', '.join(bad)}",
                        reason=CLEAN_REASON,
                        file=file,
                        line=line,
                        sample=sample,
                        hint="remove them from the annotation, or load without strict to have them removed and counted",
                    )
                )
            else:
                ids = self.drops.cleaned.setdefault(CLEAN_REASON, [])
                if sample not in ids:
                    ids.append(sample)
        return text

    def check(self) -> None:
        """Raise one :class:`SLTInputError` listing every recorded error; nothing if there is none."""
        if self.errors:
            raise self.error()

    def error(self) -> SLTInputError:
        errors = sorted(self.errors, key=lambda e: (str(e.file or ""), e.line or 0))
        strict_note = "; without strict, rows whose clip is missing or whose segment lies past the end are dropped and counted instead"
        needs_note = self.strict and any(reason_of(e) in FIELD_DROPS for e in errors)
        if len(errors) == 1:
            e = errors[0]
            hint = (e.hint or "") + (strict_note if needs_note else "")
            return RowError(e.problem, reason=reason_of(e), file=e.file, line=e.line, sample=e.sample, hint=hint.lstrip("; ") or None)
        counts = Counter(reason_of(e) for e in errors)
        head = f"{len(errors)} bad rows in {self.dataset} (" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + ")"
        shown = "; ".join(str(SLTInputError(e.problem, file=e.file, line=e.line, sample=e.sample)) for e in errors[:LIST_LIMIT])
        more = f"; ... and {len(errors) - LIST_LIMIT} more" if len(errors) > LIST_LIMIT else ""
        hints = list(dict.fromkeys(e.hint for e in errors if e.hint))
        hint = "; ".join(hints[:3]) + (strict_note if needs_note else "")
        return SLTInputError(f"{head}: {shown}{more}", hint=hint.lstrip("; ") or None)
