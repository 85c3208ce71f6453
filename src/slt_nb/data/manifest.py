"""The common manifest: one record per clip, whatever dataset it came from.

A manifest is a JSONL file per dataset x split (``<dataset>.<split>.jsonl``) with one
:class:`Sample` per line. Every later notebook reads manifests from disk, never the
in-memory state of the notebook that wrote them.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

from ..errors import SLTInputError
from ..io import iter_json_objects, write_jsonl
from .row_issues import DropReport, RowError  # noqa: F401  (DropReport: re-exported, its old home)

SPLITS = ("train", "dev", "test")
SOURCE_KINDS = ("video", "frames")

# Dataset names used everywhere (CLI, params, tables).
DATASETS = ("phoenix", "how2sign", "openasl", "isign", "csl-daily")

# How each dataset spells its splits in the released files -> our names.
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "dev": "dev",
    "val": "dev",
    "valid": "dev",
    "validation": "dev",
    "test": "test",
}


def normalise_split(split: str, *, file=None, line=None, sample=None) -> str:
    key = str(split).strip().lower()
    if key not in SPLIT_ALIASES:
        raise RowError(
            f"unknown split {split!r}",
            reason="unknown_split",
            file=file,
            line=line,
            sample=sample,
            hint=f"expected one of {sorted(SPLIT_ALIASES)}",
        )
    return SPLIT_ALIASES[key]


@dataclass(frozen=True)
class Sample:
    """One sign-language clip and its translation.

    ``source`` is a video file (``source_kind='video'``) or a folder of frame images
    (``'frames'``). ``start``/``end`` (seconds) select a segment of a longer video (How2Sign
    realigned timestamps); ``None`` means the whole file. ``n_frames`` counts the frames of the
    clip (the segment when one is set).
    """

    id: str
    dataset: str
    split: str
    source: str
    source_kind: str
    n_frames: int
    fps: float
    text: str
    gloss: str | None = None
    signer: str | None = None
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise SLTInputError("empty sample id")
        if self.split not in SPLITS:
            raise SLTInputError(f"split {self.split!r} is not one of {SPLITS}", sample=self.id)
        if self.source_kind not in SOURCE_KINDS:
            raise SLTInputError(f"source_kind {self.source_kind!r} is not one of {SOURCE_KINDS}", sample=self.id)
        if self.n_frames <= 0:
            raise SLTInputError(
                f"clip has {self.n_frames} frames", sample=self.id, hint="a zero-frame clip cannot be translated; fix or remove it"
            )
        if not self.text or not self.text.strip():
            raise SLTInputError("empty translation", sample=self.id, hint="every clip needs a reference translation")

    def to_dict(self) -> dict:
        return asdict(self)


_FIELDS = {f.name for f in fields(Sample)}
_REQUIRED = {f.name for f in fields(Sample) if f.default is MISSING}


def manifest_path(folder: str | Path, dataset: str, split: str) -> Path:
    return Path(folder) / f"{dataset}.{split}.jsonl"


def check_unique(samples: Iterable[Sample], *, file=None) -> list[Sample]:
    """Return the samples as a list; a duplicate id is an error naming both occurrences."""
    seen: dict[str, int] = {}
    out = []
    for i, s in enumerate(samples):
        key = f"{s.dataset}/{s.id}"
        if key in seen:
            raise SLTInputError(
                f"duplicate id (first seen as record {seen[key] + 1}, again as record {i + 1})",
                file=file,
                sample=s.id,
                hint="ids must be unique within a dataset",
            )
        seen[key] = i
        out.append(s)
    return out


def write_manifest(samples: Iterable[Sample], path: str | Path) -> Path:
    """Write samples as JSONL atomically (after checking ids are unique)."""
    samples = check_unique(samples, file=path)
    return write_jsonl(path, (s.to_dict() for s in samples))


def read_manifest(path: str | Path) -> list[Sample]:
    """Read a manifest; a bad line is an error naming the file and line."""
    path = Path(path)
    if not path.exists():
        raise SLTInputError("manifest not found", file=path, hint="run notebook 01_data_prep (or `slt-nb reproduce --only 01_data_prep`) first")
    samples = []
    with path.open(encoding="utf-8") as fh:
        for lineno, rec in iter_json_objects(fh, path):
            missing = _REQUIRED - rec.keys()
            if missing:
                raise SLTInputError(f"missing fields {sorted(missing)}", file=path, line=lineno, sample=rec.get("id"))
            unknown = rec.keys() - _FIELDS
            if unknown:
                raise SLTInputError(f"unknown fields {sorted(unknown)}", file=path, line=lineno, sample=rec.get("id"))
            try:
                samples.append(Sample(**rec))
            except SLTInputError as exc:
                raise SLTInputError(exc.problem, file=path, line=lineno, sample=rec.get("id"), hint=exc.hint) from None
    return check_unique(samples, file=path)
