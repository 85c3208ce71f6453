"""How2Sign: TAB-separated ``how2sign_realigned_{train,val,test}.csv`` and front-view RGB videos.

Columns ``VIDEO_ID VIDEO_NAME SENTENCE_ID SENTENCE_NAME START_REALIGNED END_REALIGNED SENTENCE``.
Two ways to get a sentence's frames (``mode``):

* ``clips`` (default): the released sentence clips
  ``<clips_dir>/{train,val,test}/rgb_front/<SENTENCE_NAME>.mp4`` (also accepted under
  ``rgb_front/raw_videos/``). These were cut with the original, not the realigned, timestamps.
* ``realigned``: the ``[START_REALIGNED, END_REALIGNED)`` seconds of the full video
  ``<videos_dir>/{train,val,test}/rgb_front/raw_videos/<VIDEO_NAME>.mp4`` (``Sample.start/end``
  set; ``n_frames`` is the segment's). Some realigned timestamps run past the end of their
  video (how2sign/how2sign-data#9): a segment that starts inside the video is clipped to the
  frames that exist (the count of clipped segments is added to the notes); one that lies wholly
  past the end is dropped and counted (reason ``segment_past_end``), as codebases do.

The release lacks some clips its CSVs list (117 train, 2 val, 14 test; how2sign.github.io#23):
those rows are dropped and counted (``missing_clip``). Both are errors with ``strict``
(:mod:`.row_issues`); every other bad row is collected and raised as one error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import SLTInputError
from .annotations import Candidate, Row, build_samples, find_dataset_dir, option_path, read_table, require_text, select_splits
from .frames import segment_range, video_info
from .manifest import SPLITS, Sample
from .row_issues import RowError, RowIssues

COLUMNS = ("VIDEO_ID", "VIDEO_NAME", "SENTENCE_ID", "SENTENCE_NAME", "START_REALIGNED", "END_REALIGNED", "SENTENCE")
SPLIT_DIRS = {"train": "train", "dev": "val", "test": "test"}  # our split -> How2Sign's file/folder name
MODES = ("clips", "realigned")


def csv_name(split: str) -> str:
    return f"how2sign_realigned_{SPLIT_DIRS[split]}.csv"


def load_how2sign(
    root: str | Path,
    splits: Sequence[str] = SPLITS,
    *,
    mode: str = "clips",
    csv_dir: str | Path | None = None,
    clips_dir: str | Path | None = None,
    videos_dir: str | Path | None = None,
    progress: bool = True,
    notes: list[str] | None = None,
    issues: RowIssues | None = None,
) -> list[Sample]:
    """Samples of How2Sign.

    ``root`` is the folder holding the csv files (or its parent); ``csv_dir`` (default: that
    folder), ``clips_dir`` (default ``sentence_level``) and ``videos_dir`` (default
    ``video_level``) are taken from it when relative.
    """
    if mode not in MODES:
        raise SLTInputError(f"unknown How2Sign mode {mode!r}", hint=f"allowed: {', '.join(MODES)}")
    issues = issues if issues is not None else RowIssues("how2sign")
    wanted = select_splits(splits)
    base = Path(root) if csv_dir is not None else find_dataset_dir(root, csv_name(wanted[0]), names=("How2Sign", "how2sign"))
    tables = option_path(base, csv_dir, ".")
    media = option_path(base, clips_dir, "sentence_level") if mode == "clips" else option_path(base, videos_dir, "video_level")
    candidates = []
    for split in wanted:
        folder = media / SPLIT_DIRS[split] / "rgb_front"
        for row in read_table(tables / csv_name(split), COLUMNS, delimiter="\t", issues=issues):
            with issues.collect():
                candidates.append(_candidate(row, split, folder, mode))
    if mode == "clips":
        samples = build_samples(candidates, desc="how2sign: counting frames", issues=issues, progress=progress)
        issues.check()
        return samples
    counter = _SegmentCounter()
    samples = build_samples(candidates, desc="how2sign: counting segment frames", issues=issues, count=counter, progress=progress)
    issues.check()
    if notes is not None:
        example = f" (e.g. {', '.join(counter.clipped[:3])})" if counter.clipped else ""
        notes.append(f"how2sign: {len(counter.clipped)} of {len(samples)} realigned segments ran past the end of their video and were clipped to it{example}")
    return samples


def _candidate(row: Row, split: str, folder: Path, mode: str) -> Candidate:
    v = row.values
    sid = v["SENTENCE_NAME"].strip()
    if not sid:
        raise row.error("empty SENTENCE_NAME")
    fields = dict(
        id=sid,
        dataset="how2sign",
        split=split,
        source_kind="video",
        fps=None,
        text=require_text(row, v["SENTENCE"], sid, "SENTENCE"),
    )
    if mode == "clips":
        clip = folder / f"{sid}.mp4"
        nested = folder / "raw_videos" / f"{sid}.mp4"
        fields["source"] = str(nested if not clip.exists() and nested.exists() else clip)
        return Candidate(row, fields)
    start, end = _seconds(row, sid, "START_REALIGNED"), _seconds(row, sid, "END_REALIGNED")
    if not 0 <= start < end:
        raise row.error(
            f"realigned segment {start}-{end}s is empty or negative", sample=sid, hint="START_REALIGNED must be >= 0 and below END_REALIGNED", reason="bad_timestamp"
        )
    fields.update(source=str(folder / "raw_videos" / f"{v['VIDEO_NAME'].strip()}.mp4"), start=start, end=end)
    return Candidate(row, fields)


def _seconds(row: Row, sid: str, column: str) -> float:
    try:
        return float(row.values[column])
    except ValueError:
        raise row.error(f"{column} is not a number: {row.values[column]!r}", sample=sid, reason="bad_timestamp") from None


class _SegmentCounter:
    """Frame count of a realigned segment; remembers which segments had to be clipped.

    Each full video's index is read once, however many sentences it holds (a video that cannot
    be read is tried once too). A segment wholly past the end raises reason ``segment_past_end``.
    """

    def __init__(self) -> None:
        self.clipped: list[str] = []
        self._info: dict[str, tuple[int, float] | SLTInputError] = {}

    def __call__(self, c: Candidate) -> tuple[int, float]:
        f = c.fields
        if f["source"] not in self._info:
            try:
                self._info[f["source"]] = video_info(f["source"], sample=c.id)
            except SLTInputError as exc:
                self._info[f["source"]] = exc
        info = self._info[f["source"]]
        if isinstance(info, SLTInputError):
            raise SLTInputError(info.problem, file=info.file, hint=info.hint)
        n_video, fps = info
        _, count = segment_range(n_video, fps, f["start"], f["end"])
        if count <= 0:
            raise RowError(
                f"segment {f['start']}-{f['end']}s lies past the end of the {n_video}-frame video ({n_video / fps:g} s)",
                reason="segment_past_end",
                file=f["source"],
                sample=c.id,
                hint="check START_REALIGNED/END_REALIGNED against the video, or remove the row",
            )
        if round(f["end"] * fps) > n_video:
            self.clipped.append(c.id)
        return count, fps
