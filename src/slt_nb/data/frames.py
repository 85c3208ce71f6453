"""The paper's frame sampler (Sec 3.3) and decoding of only the sampled frames.

For a clip of T frames and a budget T_max:
    T > T_max:  f_i = frames[floor((i + 1) * T / T_max) - 1],  i = 0 .. T_max - 1
    T <= T_max: every frame is kept.
No random skipping: the same clip always gives the same frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import SLTInputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def sample_indices(total: int, t_max: int) -> list[int]:
    """Indices of the frames the paper keeps (Sec 3.3, Eq. for f_i); exact integer arithmetic."""
    if isinstance(total, bool) or not isinstance(total, (int, np.integer)) or total <= 0:
        raise SLTInputError(f"a clip needs at least one frame, got total={total!r}")
    if isinstance(t_max, bool) or not isinstance(t_max, (int, np.integer)) or t_max <= 0:
        raise SLTInputError(f"the frame budget must be a positive integer, got t_max={t_max!r}")
    total, t_max = int(total), int(t_max)
    if total <= t_max:
        return list(range(total))
    return [((i + 1) * total) // t_max - 1 for i in range(t_max)]


def list_frame_files(folder: str | Path, *, sample: str | None = None) -> list[Path]:
    """Sorted image files of a frame folder (PHOENIX ``images0001.png`` ...)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SLTInputError("frame folder not found", file=folder, sample=sample, hint="check the dataset root in params")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise SLTInputError("frame folder holds no images (zero-frame clip)", file=folder, sample=sample)
    return files


def _video_reader(path: Path, sample: str | None):
    if not path.is_file():
        raise SLTInputError("video file not found", file=path, sample=sample, hint="check the dataset root in params")
    try:
        import decord
    except ImportError as exc:  # pragma: no cover - environment problem
        raise SLTInputError("decord is not installed", hint="run `make reproduce` or `pip install -r requirements.txt`") from exc
    try:
        return decord.VideoReader(str(path), num_threads=1)
    except Exception as exc:  # decord raises its own DECORDError (a RuntimeError) on corrupt files
        raise SLTInputError(f"unreadable or corrupt video ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})", file=path, sample=sample) from None


def video_info(path: str | Path, *, sample: str | None = None) -> tuple[int, float]:
    """(frame count, fps) of a video file, from its index; no frame is decoded."""
    vr = _video_reader(Path(path), sample)
    n, fps = len(vr), float(vr.get_avg_fps())
    if n <= 0:
        raise SLTInputError("video has zero frames", file=path, sample=sample)
    return n, fps


def segment_range(n_video: int, fps: float, start: float | None, end: float | None) -> tuple[int, int]:
    """First frame and frame count of the [start, end) seconds segment, clipped to the video.

    How2Sign's realigned timestamps sometimes run past the end of the video: the segment is
    clipped to the frames that exist.
    """
    first = 0 if start is None else max(0, int(round(start * fps)))
    last = n_video if end is None else min(n_video, int(round(end * fps)))
    return first, max(0, last - first)


def count_frames(source: str | Path, kind: str, *, start=None, end=None, sample: str | None = None) -> tuple[int, float | None]:
    """Frame count (and fps for videos) of a clip, the segment when start/end are given."""
    if kind == "frames":
        return len(list_frame_files(source, sample=sample)), None
    if kind == "video":
        n, fps = video_info(source, sample=sample)
        _, count = segment_range(n, fps, start, end)
        if count <= 0:
            raise SLTInputError(f"segment {start}-{end}s holds no frames of a {n}-frame video", file=source, sample=sample)
        return count, fps
    raise SLTInputError(f"unknown source kind {kind!r}", sample=sample, hint="expected 'video' or 'frames'")


def decode_frames(
    source: str | Path,
    kind: str,
    indices: Sequence[int],
    *,
    start: float | None = None,
    end: float | None = None,
    sample: str | None = None,
) -> np.ndarray:
    """Decode only the requested frames of a clip. Returns uint8 (len(indices), H, W, 3)."""
    if len(indices) == 0:
        raise SLTInputError("no frame indices requested", sample=sample)
    source = Path(source)
    if kind == "frames":
        from PIL import Image

        files = list_frame_files(source, sample=sample)
        out = []
        for i in indices:
            if not 0 <= i < len(files):
                raise SLTInputError(f"frame index {i} outside the clip's {len(files)} frames", file=source, sample=sample)
            try:
                with Image.open(files[i]) as im:
                    out.append(np.asarray(im.convert("RGB")))
            except OSError as exc:
                raise SLTInputError(f"unreadable frame image ({exc})", file=files[i], sample=sample) from None
        return np.stack(out)  # (T, H, W, 3)
    if kind == "video":
        vr = _video_reader(source, sample)
        first, count = segment_range(len(vr), float(vr.get_avg_fps()), start, end)
        bad = [i for i in indices if not 0 <= i < count]
        if bad:
            raise SLTInputError(f"frame index {bad[0]} outside the clip's {count} frames", file=source, sample=sample)
        try:
            frames = vr.get_batch([first + int(i) for i in indices]).asnumpy()
        except Exception as exc:
            raise SLTInputError(f"failed to decode frames ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})", file=source, sample=sample) from None
        return frames  # (T, H, W, 3)
    raise SLTInputError(f"unknown source kind {kind!r}", sample=sample, hint="expected 'video' or 'frames'")


def load_clip(sample, t_max: int) -> tuple[np.ndarray, list[int]]:
    """The paper's sampled frames of a manifest :class:`Sample` and the indices used."""
    idx = sample_indices(sample.n_frames, t_max)
    frames = decode_frames(sample.source, sample.source_kind, idx, start=sample.start, end=sample.end, sample=sample.id)
    return frames, idx  # frames: (min(T, t_max), H, W, 3)
