"""RWTH-PHOENIX-Weather 2014T: ``|``-separated corpus files and one frame folder per clip.

Layout of the release::

    PHOENIX-2014-T/annotations/manual/PHOENIX-2014-T.{train,dev,test}.corpus.csv
        header name|video|start|end|speaker|orth|translation
    PHOENIX-2014-T/features/fullFrame-210x260px/{train,dev,test}/<name>/images0001.png ...

The ``video`` column reads ``<name>/1/*.png``; released trees usually hold the images directly
in ``<split>/<name>/``, so that folder is tried first and ``<split>/<name>/1/`` second.
Frames are 25 fps. ``gloss`` is the ``orth`` column, ``signer`` the ``speaker`` column; the
translation is kept exactly as released (lowercase, ending in `` .``): the metric code
decides what to do with the final full stop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import SLTInputError
from .annotations import Candidate, Row, build_samples, find_dataset_dir, read_table, require_text, select_splits
from .frames import IMAGE_SUFFIXES
from .manifest import SPLITS, Sample
from .row_issues import RowIssues

FPS = 25.0
COLUMNS = ("name", "video", "start", "end", "speaker", "orth", "translation")
RELEASE_NAMES = ("PHOENIX-2014-T", "PHOENIX-2014-T-release-v3/PHOENIX-2014-T")
ANNOTATIONS = Path("annotations") / "manual"
PREFERRED_FEATURES = "fullFrame-210x260px"


def load_phoenix(
    root: str | Path, splits: Sequence[str] = SPLITS, *, features: str | None = None, progress: bool = True, issues: RowIssues | None = None
) -> list[Sample]:
    """Samples of PHOENIX-2014T.

    ``root`` is the ``PHOENIX-2014-T`` folder or a folder holding it (also the
    ``PHOENIX-2014-T-release-v3`` wrapper). ``features`` names the frame folder under
    ``features/`` (default: the only ``fullFrame-*`` one, ``fullFrame-210x260px`` if several).
    Bad rows: :mod:`.row_issues` (all collected; missing clips dropped and counted in ``issues``,
    the rest raised as one :class:`SLTInputError`).
    """
    issues = issues if issues is not None else RowIssues("phoenix")
    base = find_dataset_dir(root, str(ANNOTATIONS), names=RELEASE_NAMES)
    frames_root = _features_dir(base, features)
    candidates = []
    for split in select_splits(splits):
        for row in read_table(base / ANNOTATIONS / f"PHOENIX-2014-T.{split}.corpus.csv", COLUMNS, delimiter="|", issues=issues):
            with issues.collect():
                candidates.append(_candidate(row, split, frames_root))
    samples = build_samples(candidates, desc="phoenix: counting frames", issues=issues, progress=progress)
    issues.check()
    return samples


def _candidate(row: Row, split: str, frames_root: Path) -> Candidate:
    v = row.values
    name = v["name"].strip()
    if not name:
        raise row.error("empty clip name")
    fields = dict(
        id=name,
        dataset="phoenix",
        split=split,
        source=str(frame_folder(frames_root / split, name, v["video"])),
        source_kind="frames",
        fps=FPS,
        text=require_text(row, v["translation"], name, "translation"),
        gloss=v["orth"].strip() or None,
        signer=v["speaker"].strip() or None,
    )
    return Candidate(row, fields)


def _features_dir(base: Path, name: str | None) -> Path:
    features = base / "features"
    if name is not None:
        return features / name
    found = sorted(p for p in features.glob("fullFrame-*") if p.is_dir())
    if len(found) == 1:
        return found[0]
    if any(p.name == PREFERRED_FEATURES for p in found):
        return features / PREFERRED_FEATURES
    if not found:
        raise SLTInputError("no features/fullFrame-* frame folder", file=features, hint="extract the frames of the release or set the 'features' option")
    raise SLTInputError(f"several frame folders {[p.name for p in found]}", file=features, hint="choose one with the 'features' option")


def frame_folder(split_dir: Path, name: str, video: str) -> Path:
    """``<split>/<name>`` if it holds images, else the folder of the ``video`` glob (``<name>/1``)."""
    first = split_dir / name
    if first.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in first.iterdir()):
        return first
    video_dir = Path(video.strip()).parent
    if video.strip() and video_dir != Path(".") and (split_dir / video_dir).is_dir():
        return split_dir / video_dir
    return first
