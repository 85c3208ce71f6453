"""The released on-disk formats the synthetic corpus imitates: RWTH-PHOENIX-Weather 2014T and How2Sign.

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..io import atomic_path

FORMATS = ("phoenix", "how2sign")
SPLIT_NAMES = {"phoenix": {"train": "train", "dev": "dev", "test": "test"}, "how2sign": {"train": "train", "dev": "val", "test": "test"}}

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

    split: str  # train / dev / test
    name: str  # PHOENIX name or How2Sign SENTENCE_NAME
    group: str  # PHOENIX broadcast or How2Sign VIDEO_ID
    signer: int
    text: str
    glosses: list[str]
    video_name: str = ""  # How2Sign VIDEO_NAME
    sentence_id: str = ""  # How2Sign SENTENCE_ID
    gap: float = 0.0  # How2Sign: seconds between the previous sentence (or the video start) and this one
    n_frames: int = 0


def phoenix_group(rng: np.random.Generator) -> str:
    """A broadcast name like ``01April_2010_Thursday_heute``."""
    day = dt.date(2009, 6, 1) + dt.timedelta(days=int(rng.integers(0, 3 * 365)))
    show = ("heute", "tagesschau")[int(rng.integers(0, 2))]
    return f"{day.day:02d}{_MONTHS[day.month - 1]}_{day.year}_{_WEEKDAYS[day.weekday()]}_{show}"


def phoenix_name(group: str, number: int) -> str:
    return f"{group}-{number}"


def how2sign_group(rng: np.random.Generator) -> str:
    """A YouTube-like 11-character VIDEO_ID such as ``--7E2sU6zP4``."""
    return "".join(_YT_ALPHABET[i] for i in rng.integers(0, len(_YT_ALPHABET), 11))


def how2sign_names(video_id: str, camera: int, k: int) -> tuple[str, str, str]:
    """(VIDEO_NAME, SENTENCE_ID, SENTENCE_NAME) of sentence ``k`` of a video."""
    return f"{video_id}-{camera}-rgb_front", f"{video_id}_{k}", f"{video_id}_{k}-{camera}-rgb_front"


def clip_path(root: Path, fmt: str, split: str, name: str) -> Path:
    """Frame folder (PHOENIX) or mp4 file (How2Sign) of a clip."""
    if fmt == "phoenix":
        return root / PHOENIX_FRAMES / SPLIT_NAMES[fmt][split] / name
    return root / "sentence_level" / SPLIT_NAMES[fmt][split] / "rgb_front" / f"{name}.mp4"


def annotation_path(root: Path, fmt: str, split: str) -> Path:
    if fmt == "phoenix":
        return root / "annotations" / "manual" / f"PHOENIX-2014-T.{SPLIT_NAMES[fmt][split]}.corpus.csv"
    return root / f"how2sign_realigned_{SPLIT_NAMES[fmt][split]}.csv"


def generated_paths(root: Path, fmt: str) -> list[Path]:
    """What a generation writes under ``root`` (what a regeneration removes)."""
    if fmt == "phoenix":
        return [root / "annotations", root / "features"]
    return [annotation_path(root, fmt, s) for s in SPLIT_NAMES[fmt]] + [root / "sentence_level"]


def write_png_frames(folder: Path, frames: np.ndarray) -> None:
    """PHOENIX frame folder: images0001.png ... (1-based, 4 digits)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames, 1):
        Image.fromarray(frame).save(folder / f"images{i:04d}.png", compress_level=1)


def write_mp4(path: Path, frames: np.ndarray, fps: int) -> None:
    """H.264 (yuv420p, CRF 14) mp4 with exactly ``len(frames)`` frames; width and height must be even."""
    import imageio_ffmpeg

    height, width = frames.shape[1:3]
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=None,
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", "14", "-preset", "fast", "-threads", "1", "-f", "mp4"],
        )  # fmt: skip
        writer.send(None)
        for frame in frames:  # (H, W, 3) uint8
            writer.send(np.ascontiguousarray(frame))
        writer.close()


def phoenix_csv(clips: list[Clip], speakers: list[str]) -> str:
    lines = ["|".join(PHOENIX_COLUMNS)]
    for c in clips:
        lines.append("|".join((c.name, f"{c.name}/1/*.png", "-1", "-1", speakers[c.signer], " ".join(c.glosses), c.text)))
    return "\n".join(lines) + "\n"


def how2sign_csv(clips: list[Clip], fps: int) -> str:
    """Consecutive sentences of a parent video: each starts ``gap`` seconds after the previous ends."""
    lines, clock, video = ["\t".join(HOW2SIGN_COLUMNS)], 0.0, None
    for c in clips:
        if c.group != video:
            video, clock = c.group, 0.0
        start = round(clock + c.gap, 2)
        end = round(start + c.n_frames / fps, 2)
        clock = end
        row = (c.group, c.video_name, c.sentence_id, c.name, f"{start:.2f}", f"{end:.2f}", c.text)
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"
