"""The released on-disk formats the synthetic corpus imitates: what every format shares, PHOENIX-2014T and How2Sign.

A :class:`Format` knows a release's layout: its dataset folder, how clips are grouped and named,
where each clip's media goes (PNG or JPEG frame folder, or mp4) and how the annotation files
are written. OpenASL, iSign and CSL-Daily are in :mod:`.fmt_openasl`, :mod:`.fmt_isign` and
:mod:`.fmt_csl_daily`; :mod:`.catalog` lists them all.

PHOENIX-2014T::

    PHOENIX-2014-T/annotations/manual/PHOENIX-2014-T.{train,dev,test}.corpus.csv
        name|video|start|end|speaker|orth|translation   ('|'-separated, one header line)
    PHOENIX-2014-T/features/fullFrame-210x260px/{split}/{name}/images0001.png ...

How2Sign (sentence-level clips, realigned timestamps)::

    how2sign_realigned_{train,val,test}.csv   (TAB-separated)
        VIDEO_ID VIDEO_NAME SENTENCE_ID SENTENCE_NAME START_REALIGNED END_REALIGNED SENTENCE
    sentence_level/{train,val,test}/rgb_front/{SENTENCE_NAME}.mp4

Clips come in groups: a PHOENIX broadcast (date + show) or a How2Sign parent video, each
signed by one signer; names are derived deterministically from the given generator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import write_text
from .media import write_jpg_frames, write_mp4, write_png_frames
from .planning import Planner

__all__ = ["Clip", "Format", "How2Sign", "Phoenix", "write_jpg_frames", "write_mp4", "write_png_frames"]

SPLITS = ("train", "dev", "test")
PHOENIX_ROOT = "PHOENIX-2014-T"
PHOENIX_FRAMES = "features/fullFrame-210x260px"  # the released folder name, whatever the resolution
PHOENIX_COLUMNS = ("name", "video", "start", "end", "speaker", "orth", "translation")
HOW2SIGN_COLUMNS = ("VIDEO_ID", "VIDEO_NAME", "SENTENCE_ID", "SENTENCE_NAME", "START_REALIGNED", "END_REALIGNED", "SENTENCE")

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_YT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass
class Clip:
    """One sentence clip: names, who signs it, what is said and signed, its frame count."""

    split: str  # train / dev / test, or "extra" (iSign rows the Appendix A cleaning drops)
    name: str  # PHOENIX name, How2Sign SENTENCE_NAME, OpenASL vid, iSign uid, CSL-Daily folder name
    group: str  # PHOENIX broadcast, How2Sign VIDEO_ID, OpenASL yid, iSign source video, CSL-Daily sentence
    signer: int
    text: str
    glosses: list[str]
    video_name: str = ""  # How2Sign VIDEO_NAME
    sentence_id: str = ""  # How2Sign SENTENCE_ID
    gap: float = 0.0  # How2Sign, OpenASL: seconds between the previous sentence (or the video start) and this one
    n_frames: int = 0
    words: tuple[str, ...] = ()  # the text's words (CSL-Daily label_word)
    start: float = 0.0  # OpenASL: seconds from the start of the parent video
    empty: bool = False  # nobody in the picture (iSign): rendered with render_empty, n_frames set by the plan
    extra: dict = field(default_factory=dict)  # format-specific fields


class Format(Planner):
    """A released layout. Subclasses set the class attributes and the methods marked so."""

    name: str
    lang: str  # default lexicon (grammar.LEXICONS)
    size: tuple[int, int]  # default (width, height)
    fps: int
    media: str  # "png" | "jpg" (frame folders) or "mp4"
    folder: str = ""  # the dataset folder under the output folder ("" = the output folder itself)
    needs_lengths: bool = False  # clips are named by their duration: frame counts are computed before rendering
    has_extras: bool = False  # writes rows the loader's cleaning drops (iSign): the n_no_signer / n_invalid_text options

    def root(self, out_dir: str | Path) -> Path:
        """Where the format's tree starts (what the loader's ``root`` points at)."""
        return Path(out_dir) / self.folder if self.folder else Path(out_dir)

    def name_clips(self, plan: dict[str, list[Clip]], fps: int) -> None:
        """Name clips once their frame counts are known (formats with ``needs_lengths``)."""

    def clip_path(self, root: Path, clip: Clip) -> Path:  # subclass
        raise NotImplementedError

    def generated_paths(self, root: Path) -> list[Path]:  # subclass: what a regeneration removes
        raise NotImplementedError

    def write_annotations(self, root: Path, plan: dict[str, list[Clip]], speakers: list[str], fps: int) -> None:  # subclass
        raise NotImplementedError


def how2sign_group(rng: np.random.Generator) -> str:
    """A YouTube-like 11-character VIDEO_ID such as ``--7E2sU6zP4``."""
    return "".join(_YT_ALPHABET[i] for i in rng.integers(0, len(_YT_ALPHABET), 11))


class Phoenix(Format):
    """RWTH-PHOENIX-Weather 2014T (see the module docstring)."""

    name, lang, size, fps, media, folder = "phoenix", "de", (80, 96), 25, "png", PHOENIX_ROOT  # PHOENIX is portrait 210x260
    unique_groups = False

    def group_name(self, rng: np.random.Generator) -> str:
        """A broadcast name like ``01April_2010_Thursday_heute``."""
        day = dt.date(2009, 6, 1) + dt.timedelta(days=int(rng.integers(0, 3 * 365)))
        show = ("heute", "tagesschau")[int(rng.integers(0, 2))]
        return f"{day.day:02d}{_MONTHS[day.month - 1]}_{day.year}_{_WEEKDAYS[day.weekday()]}_{show}"

    def make_clip(self, split, group, signer, camera, first, j, number, sentence, rng) -> Clip:
        return Clip(split, f"{group}-{number}", group, signer, sentence.text, sentence.glosses)

    def clip_path(self, root: Path, clip: Clip) -> Path:
        return root / PHOENIX_FRAMES / clip.split / clip.name

    def annotation_path(self, root: Path, split: str) -> Path:
        return root / "annotations" / "manual" / f"PHOENIX-2014-T.{split}.corpus.csv"

    def generated_paths(self, root: Path) -> list[Path]:
        return [root / "annotations", root / "features"]

    def write_annotations(self, root, plan, speakers, fps) -> None:
        for split in SPLITS:
            lines = ["|".join(PHOENIX_COLUMNS)]
            for c in plan[split]:
                lines.append("|".join((c.name, f"{c.name}/1/*.png", "-1", "-1", speakers[c.signer], " ".join(c.glosses), c.text)))
            write_text(self.annotation_path(root, split), "\n".join(lines) + "\n")


class How2Sign(Format):
    """How2Sign's sentence-level clips with the realigned timestamps (see the module docstring)."""

    name, lang, size, fps, media = "how2sign", "en", (96, 96), 24, "mp4"
    unique_groups = True  # VIDEO_IDs are unique
    SPLIT_NAMES = {"train": "train", "dev": "val", "test": "test"}

    def group_name(self, rng: np.random.Generator) -> str:
        return how2sign_group(rng)

    def make_clip(self, split, group, signer, camera, first, j, number, sentence, rng) -> Clip:
        video_name, sentence_id, name = f"{group}-{camera}-rgb_front", f"{group}_{first + j}", f"{group}_{first + j}-{camera}-rgb_front"
        gap = float(rng.uniform(2.0, 30.0) if j == 0 else rng.uniform(0.3, 4.0))
        return Clip(split, name, group, signer, sentence.text, sentence.glosses, video_name, sentence_id, gap)

    def clip_path(self, root: Path, clip: Clip) -> Path:
        return root / "sentence_level" / self.SPLIT_NAMES[clip.split] / "rgb_front" / f"{clip.name}.mp4"

    def annotation_path(self, root: Path, split: str) -> Path:
        return root / f"how2sign_realigned_{self.SPLIT_NAMES[split]}.csv"

    def generated_paths(self, root: Path) -> list[Path]:
        return [self.annotation_path(root, s) for s in SPLITS] + [root / "sentence_level"]

    def write_annotations(self, root, plan, speakers, fps) -> None:
        """Consecutive sentences of a parent video: each starts ``gap`` seconds after the previous ends."""
        for split in SPLITS:
            lines, clock, video = ["\t".join(HOW2SIGN_COLUMNS)], 0.0, None
            for c in plan[split]:
                if c.group != video:
                    video, clock = c.group, 0.0
                start = round(clock + c.gap, 2)
                end = round(start + c.n_frames / fps, 2)
                clock = end
                lines.append("\t".join((c.group, c.video_name, c.sentence_id, c.name, f"{start:.2f}", f"{end:.2f}", c.text)))
            write_text(self.annotation_path(root, split), "\n".join(lines) + "\n")
