"""OpenASL: one TAB-separated table (``openasl-v1.0.tsv``) and one clip per row.

Columns ``vid yid start end raw-text tokenized-text gloss split``; split values are
``train``/``valid``/``test``; the clip is ``<clips_dir>/<vid>.mp4`` (ids contain ``:``, e.g.
``1nFdgokPwBw-00:00:14.100-00:00:17.266``). The text is ``raw-text``; frame count and fps come
from each clip's index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .annotations import Candidate, Row, build_samples, find_dataset_dir, option_path, read_table, require_text, select_splits
from .manifest import SPLITS, Sample, normalise_split
from .row_issues import RowIssues

TSV = "openasl-v1.0.tsv"
COLUMNS = ("vid", "yid", "start", "end", "raw-text", "tokenized-text", "gloss", "split")


def load_openasl(
    root: str | Path,
    splits: Sequence[str] = SPLITS,
    *,
    tsv: str = TSV,
    clips_dir: str | Path | None = None,
    progress: bool = True,
    issues: RowIssues | None = None,
) -> list[Sample]:
    """Samples of OpenASL.

    ``root`` is the folder holding ``tsv`` or its parent. ``clips_dir`` defaults to
    ``<root>/clips``; a relative one is taken from the dataset folder. Bad rows:
    :mod:`.row_issues` (all collected; missing clips dropped and counted, the rest one error).
    """
    issues = issues if issues is not None else RowIssues("openasl")
    base = find_dataset_dir(root, tsv, names=("OpenASL", "openasl"))
    clips = option_path(base, clips_dir, "clips")
    wanted = select_splits(splits)
    candidates = []
    for row in read_table(base / tsv, COLUMNS, delimiter="\t", issues=issues):
        with issues.collect():
            c = _candidate(row, clips)
            if c.fields["split"] in wanted:
                candidates.append(c)
    samples = build_samples(candidates, desc="openasl: counting frames", issues=issues, progress=progress)
    issues.check()
    return samples


def _candidate(row: Row, clips: Path) -> Candidate:
    v = row.values
    vid = v["vid"].strip()
    if not vid:
        raise row.error("empty clip id (vid)")
    fields = dict(
        id=vid,
        dataset="openasl",
        split=normalise_split(v["split"], file=row.file, line=row.line, sample=vid),
        source=str(clips / f"{vid}.mp4"),
        source_kind="video",
        fps=None,
        text=require_text(row, v["raw-text"], vid, "raw-text"),
        gloss=v["gloss"].strip() or None,
    )
    return Candidate(row, fields)
