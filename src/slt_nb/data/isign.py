"""iSign (Indian Sign Language): ``iSign_v1.1.csv`` (``uid,text``) and ``<uid>.mp4`` videos.

iSign has no official split. Two ways in:

* the full release: the paper's Appendix A cleaning (:mod:`.clean`, :mod:`.person`), the
  vocabulary-aware subset (50K of ~127K by default), then a seeded split with
  ``split_fractions`` (43K / 3.5K / 3.5K of 50K by default);
* the paper's 10k-subset release: when ``train.csv`` / ``dev.csv`` / ``test.csv``
  (``video_name,text``) are present, their split is used as is; the two cleaning filters still
  apply, the subset does not.

Samples removed by the paper's filters are counted in the :class:`DropReport` (reasons
``invalid_translation``, ``no_person_detected``, ``not_in_vocab_subset``), never silently, and kept
with their text and frame count in ``DropReport.filtered`` (the paper's Tables 2 and 6 count the
release before this cleaning: :mod:`.populations`; a clip the person check did not open is counted
here, one that cannot be counted gets ``n_frames`` None), and
so are rows whose video is missing (``missing_clip``, as the field drops them; an error with
``strict``). Every other problem (corrupt video, malformed row, duplicate uid) is collected and
raised as one error (:mod:`.row_issues`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from ..errors import SLTInputError
from .annotations import (
    MEDIA_HINT,
    Candidate,
    at_row,
    build_samples,
    check_duplicates,
    clean_fields,
    default_count,
    find_dataset_dir,
    option_path,
    read_table,
    select_splits,
)
from .clean import assign_splits, is_valid_translation, vocab_subset
from .frames import count_frames, decode_frames, sample_indices
from .manifest import SPLITS, Sample
from .person import PersonDetector, make_detector
from .row_issues import DropReport, RowIssues

CSV = "iSign_v1.1.csv"
SPLIT_CSV = "{split}.csv"
PAPER_FRACTIONS = {"train": 0.86, "dev": 0.07, "test": 0.07}
PAPER_FILTERS = ("invalid_translation", "no_person_detected", "not_in_vocab_subset")  # App. A's cleaning and subset


def load_isign(
    root: str | Path,
    splits: Sequence[str] = SPLITS,
    *,
    csv_name: str = CSV,
    videos_dir: str | Path | None = None,
    seed: int = 0,
    split_fractions: Mapping[str, float] | None = None,
    person_detector: str = "mediapipe-pose",
    person_frames: int = 5,
    rare_threshold: int = 10,
    n_rare: int = 30_000,
    n_rest: int = 20_000,
    progress: bool = True,
    notes: list[str] | None = None,
    issues: RowIssues | None = None,
) -> list[Sample]:
    """Samples of iSign after the paper's cleaning (and subset, for the full release).

    ``root`` is the folder holding ``csv_name`` (or its parent), or the split CSVs of the 10k
    release. ``videos_dir`` defaults to ``<root>/videos`` if it exists, else the dataset folder
    itself. ``person_detector`` is ``mediapipe-pose``, ``standin-skin-motion`` or ``none``
    (:mod:`.person`), checked on ``person_frames`` frames spread over each clip.
    ``split_fractions`` defaults to the paper's 0.86 / 0.07 / 0.07. Pass ``issues`` (as
    :func:`~.loaders.load_dataset` does) to receive the dropped ids in ``issues.drops``.
    """
    detector = make_detector(person_detector)
    if detector is not None and (isinstance(person_frames, bool) or not isinstance(person_frames, int) or person_frames < 1):
        raise SLTInputError(f"person_frames must be a positive integer, got {person_frames!r}", hint="fix the iSign options in params")
    wanted = select_splits(splits)
    issues = issues if issues is not None else RowIssues("isign")
    drops = issues.drops
    drops.notes["person_detector"] = detector.name if detector else "none: the no-person filter is disabled"
    release = _has_split_csvs(Path(root))
    base = Path(root) if release else find_dataset_dir(root, csv_name, names=("iSign", "isign"))
    videos = option_path(base, videos_dir, "videos" if (base / "videos").is_dir() else ".")
    if release:
        cands = [c for split in wanted for c in _read(base / SPLIT_CSV.format(split=split), "video_name", videos, split, issues)]
    else:
        cands = _read(base / csv_name, "uid", videos, None, issues)
    cands = check_duplicates(cands, issues)
    released = [c for c in cands if Path(c.fields["source"]).is_file()]  # the release before the paper's cleaning (clips on disk)
    cands = _on_disk(_valid_text(cands, issues), issues)
    counts: dict[str, tuple[int, float | None]] = {}
    if detector is not None:
        cands = _with_person(cands, detector, person_frames, counts, issues, progress, detector_name=person_detector)
    if release:
        drops.notes["subset"] = "the released split CSVs are used as they are (no vocabulary subset)"
    else:
        cands = _subset_and_split(cands, drops, seed, split_fractions or PAPER_FRACTIONS, rare_threshold, n_rare, n_rest)
        cands = [c for c in cands if c.fields["split"] in wanted]
    _record_filtered(released, drops, counts)
    if notes is not None:
        notes.append(f"isign: person detector: {drops.notes['person_detector']}")
        notes.append(f"isign: {drops.notes['subset']}")
    samples = build_samples(cands, desc="isign: counting frames", issues=issues, count=lambda c: counts.get(c.id) or default_count(c), progress=progress)
    issues.check()
    return samples


def _has_split_csvs(root: Path) -> bool:
    return any((root / SPLIT_CSV.format(split=s)).is_file() for s in SPLITS)


def _read(path: Path, id_column: str, videos: Path, split: str | None, issues: RowIssues) -> list[Candidate]:
    """Candidates of one csv; the text is checked by the cleaning, not here (the paper drops bad ones)."""
    out = []
    for row in read_table(path, (id_column, "text"), delimiter=",", quoted=True, issues=issues):
        uid = row.values[id_column].strip().removesuffix(".mp4")
        if not uid:
            issues.add(row.error(f"empty {id_column}"))
            continue
        fields = dict(id=uid, dataset="isign", split=split, source=str(videos / f"{uid}.mp4"), source_kind="video", fps=None, text=row.values["text"])
        out.append(Candidate(row, fields))
    return out


def _valid_text(cands: list[Candidate], issues: RowIssues) -> list[Candidate]:
    """The candidates with a valid translation (control characters removed first and counted)."""
    kept = []
    for c in cands:
        with issues.collect():
            clean_fields(c, issues)
            if is_valid_translation(c.fields["text"]):
                kept.append(c)
            else:
                issues.drops.drop("invalid_translation", c.id)
    return kept


def _on_disk(cands: list[Candidate], issues: RowIssues) -> list[Candidate]:
    """The candidates whose video exists; the others are dropped (``missing_clip``) before the subset is drawn."""
    kept = []
    for c in cands:
        if Path(c.fields["source"]).is_file():
            kept.append(c)
        else:
            issues.add(c.row.error(f"video not found: {c.fields['source']}", sample=c.id, hint=MEDIA_HINT, reason="missing_clip"))
    return kept


def _with_person(cands, detector: PersonDetector, n: int, counts: dict, issues: RowIssues, progress: bool, *, detector_name: str | None = None,
                 workers: int | None = None) -> list[Candidate]:
    """The candidates with a visible person in one of ``n`` frames spread over the clip (frame counts cached).

    An unreadable video is recorded in ``issues`` (an error) and left out. With ``detector_name`` and 64 clips or
    more, ``workers`` processes (default: the available cores, at most 4) look at the clips, each with its own
    detector (:func:`_look_in_worker`); the answer per clip, and so the result, is the same as here.
    """
    from ..progress import tqdm

    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0))) if detector_name and len(cands) >= 64 else 1
    seen: dict[str, tuple] = {}
    if workers > 1 and detector_name:
        from ..workers import worker_pool

        tasks = [(c.id, c.fields["source"], n) for c in cands]
        with worker_pool(workers, initializer=_init_looker, initargs=(detector_name,)) as pool, \
                tqdm(total=len(tasks), desc="isign: looking for a person", unit="clip", disable=not progress or not cands) as bar:
            for cid, answer in pool.map(_look_in_worker, tasks, chunksize=8):
                seen[cid] = answer
                bar.update()
    kept = []
    for c in (cands if seen else tqdm(cands, desc="isign: looking for a person", unit="clip", disable=not progress or not cands)):
        answer = seen.get(c.id)
        if answer is None:  # looked at here (one process), or the worker could not read the clip: the error is made here
            try:
                answer = _look(c.id, c.fields["source"], n, detector)
            except SLTInputError as exc:
                issues.add(at_row(c, exc))
                continue
        counts[c.id], has_person = answer
        if has_person:
            kept.append(c)
        else:
            issues.drops.drop("no_person_detected", c.id)
    return kept


_LOOKER: PersonDetector | None = None  # the detector of a person-looking worker process


def _init_looker(name: str) -> None:
    """Worker start: its own detector, its output discarded (TFLite's INFO lines would land in the notebook; a clip the
    worker cannot read is looked at again in the parent, where its error is raised)."""
    global _LOOKER
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    _LOOKER = make_detector(name)


def _look(cid: str, source: str, n: int, detector: PersonDetector) -> tuple[tuple, bool]:
    """((frames, fps), has person) of one iSign video, judged on ``n`` frames spread over it; SLTInputError if unreadable."""
    count = count_frames(source, "video", sample=cid)
    frames = decode_frames(source, "video", sample_indices(count[0], n), sample=cid)  # (n, H, W, 3)
    return count, detector.has_person(frames)


def _look_in_worker(task: tuple[str, str, int]) -> tuple[str, tuple | None]:
    """In a worker: (clip id, :func:`_look`'s answer), or (clip id, None) when the clip cannot be read (redone in the parent)."""
    cid, source, n = task
    try:
        return cid, _look(cid, source, n, _LOOKER)
    except SLTInputError:
        return cid, None


def _record_filtered(released: list[Candidate], drops: DropReport, counts: dict) -> None:
    """Put the rows the paper's filters removed (reasons :data:`PAPER_FILTERS`) in ``drops.filtered`` with
    their text and frame count (None when the clip cannot be counted): Table 2 and 6 count the release
    before cleaning (:mod:`.populations`). Rows of splits not asked for are not there (not filtered)."""
    reason_of = {sid: reason for reason in PAPER_FILTERS for sid in drops.reasons.get(reason, [])}
    for c in released:
        if c.id not in reason_of:
            continue
        if c.id not in counts:
            try:
                counts[c.id] = default_count(c)
            except SLTInputError:
                counts[c.id] = (None, None)  # Table 2 counts it under "Uncounted clips"; not an error: the paper drops the row anyway
        drops.filtered.append({"id": c.id, "text": c.fields["text"], "n_frames": counts[c.id][0], "reason": reason_of[c.id],
                               "source": c.fields["source"], "source_kind": c.fields["source_kind"]})  # source: the Figure 2 strip


def _subset_and_split(cands, drops: DropReport, seed, fractions, rare_threshold, n_rare, n_rest) -> list[Candidate]:
    subset = vocab_subset([(c.id, c.fields["text"]) for c in cands], rare_threshold=rare_threshold, n_rare=n_rare, n_rest=n_rest, seed=seed)
    for sid in subset.left_out:
        drops.drop("not_in_vocab_subset", sid)
    drops.notes["subset"] = subset.summary()
    split_of = assign_splits(subset.selected, fractions, seed=seed)
    chosen = set(subset.selected)
    kept = [c for c in cands if c.id in chosen]
    for c in kept:
        c.fields["split"] = split_of[c.id]
    return kept
