"""OpenASL's released layout (read by :func:`slt_nb.data.openasl.load_openasl`)::

    openasl-v1.0.tsv      TAB-separated, one header line, one row per clip:
        vid yid start end raw-text tokenized-text gloss split
    clips/<vid>.mp4

``yid`` is the YouTube id of the parent news video, ``start``/``end`` the clip's place in it
(``HH:MM:SS.mmm``), ``vid`` = ``<yid>-<start>-<end>`` (so ids contain ``:``, e.g.
``1nFdgokPwBw-00:00:14.100-00:00:17.266``), split values ``train``/``valid``/``test``. Rows are
sorted by ``vid``, splits mixed, as in one release table. ``tokenized-text`` is the text
lowercased with punctuation split off (our approximation of the release's tokenisation);
``gloss`` holds the generator's glosses in sign order (ours: the release has no gloss annotation
to imitate). A clip's duration is exact: its name is written after its frame count is computed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..io import write_text
from .formats import Clip, Format, how2sign_group

TSV = "openasl-v1.0.tsv"
COLUMNS = ("vid", "yid", "start", "end", "raw-text", "tokenized-text", "gloss", "split")
SPLIT_VALUES = {"train": "train", "dev": "valid", "test": "test"}
_TOKEN = re.compile(r"\d+(?:,\d{3})*|[\w'-]+|[^\w\s]")


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` of a time in seconds (rounded to the millisecond)."""
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def tokenized(text: str) -> str:
    """Lowercased, punctuation split off: ``"Hello, world."`` -> ``"hello , world ."``."""
    return " ".join(_TOKEN.findall(text.lower()))


class OpenASL(Format):
    """OpenASL: news clips cut from YouTube videos, named by their place in the video."""

    name, lang, size, fps, media = "openasl", "en-news", (96, 96), 25, "mp4"  # the release's clips are 224x224 after its crop
    unique_groups = True  # one YouTube video per group
    needs_lengths = True

    def group_name(self, rng: np.random.Generator) -> str:
        return how2sign_group(rng)

    def make_clip(self, split, group, signer, camera, first, j, number, sentence, rng) -> Clip:
        gap = float(rng.uniform(2.0, 30.0) if j == 0 else rng.uniform(0.3, 4.0))
        return Clip(split, "", group, signer, sentence.text, sentence.glosses, gap=gap)

    def name_clips(self, plan: dict[str, list[Clip]], fps: int) -> None:
        """``vid`` = ``<yid>-<start>-<end>``: consecutive sentences of a video, each ``gap`` seconds after the previous."""
        for clips in plan.values():
            clock, video = 0.0, None
            for c in clips:
                if c.group != video:
                    video, clock = c.group, 0.0
                c.start = round(clock + c.gap, 3)
                end = round(c.start + c.n_frames / fps, 3)
                clock = end
                c.extra = {"start": timestamp(c.start), "end": timestamp(end)}
                c.name = f"{c.group}-{c.extra['start']}-{c.extra['end']}"

    def clip_path(self, root: Path, clip: Clip) -> Path:
        return root / "clips" / f"{clip.name}.mp4"

    def generated_paths(self, root: Path) -> list[Path]:
        return [root / TSV, root / "clips"]

    def write_annotations(self, root, plan, speakers, fps) -> None:
        rows = []
        for split, clips in plan.items():
            for c in clips:
                g = " ".join(c.glosses)
                rows.append((c.name, c.group, c.extra["start"], c.extra["end"], c.text, tokenized(c.text), g, SPLIT_VALUES[split]))
        lines = ["\t".join(COLUMNS)] + ["\t".join(r) for r in sorted(rows)]
        write_text(root / TSV, "\n".join(lines) + "\n")
