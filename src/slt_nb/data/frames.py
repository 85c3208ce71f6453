"""The paper's frame sampler (Sec 3.3) and decoding of only the sampled frames.

For a clip of T frames and a budget T_max:
    T > T_max:  f_i = frames[floor((i + 1) * T / T_max) - 1],  i = 0 .. T_max - 1
    T <= T_max: every frame is kept.
No random skipping: the same clip always gives the same frames.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import SLTInputError
from .frame_order import order_frame_files
from .quiet import quiet_native_stderr

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
# decord 0.6.0 decodes mp4s of these widths (any height, yuv420p or yuv444p) as 4-channel frames and then fails
# its own size check ("DECORDArrayCopyFromTo: The size must exactly match", dmlc/decord#336). Measured on every
# width 1..199, every even width up to 998 and 1279..1281, 1920: these fail, every other width decodes; the largest
# is 72, so any width from DECORD_MIN_SAFE_WIDTH on decodes.
DECORD_BAD_WIDTHS = frozenset({1, 2, 3, 4, 6, 8, 12, 16, 24, 48, 72})
DECORD_MIN_SAFE_WIDTH = 73
MEDIA_FIX = "re-extract or replace the clip, or remove its row from the annotation file"


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
    """The image files of a frame folder in frame order: by the number in their names, ``frame2.png``
    before ``frame10.png`` (:func:`~slt_nb.data.frame_order.order_frame_files`; names that cannot be
    ordered unambiguously are an :class:`SLTInputError`). Hidden files (``.*``) are not frames.
    Every place that reads a frame folder lists it here."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SLTInputError("frame folder not found", file=folder, sample=sample, hint="check the dataset root in params")
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")]
    if not files:
        raise SLTInputError("frame folder holds no images (zero-frame clip)", file=folder, sample=sample)
    return order_frame_files(files, folder=folder, sample=sample)


def _decoder_message(exc: BaseException) -> str:
    """decord's error text without its ``[hh:mm:ss] /path/file.cc:123:`` log prefixes, first line, <= 200 chars."""
    text = re.sub(r"\[\d\d:\d\d:\d\d\] \S+?:\d+: ", "", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return text.strip()[:200]


def _video_width(path: Path) -> int | None:
    """The frame width from the container (OpenCV's reader; only asked once decord has failed)."""
    try:
        import cv2

        cap = cv2.VideoCapture(str(path))
        try:
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) if cap.isOpened() else 0
        finally:
            cap.release()
        return width or None
    except Exception:  # noqa: BLE001 (a probe for a better message; the decode error stands without it)
        return None


def _decode_failure(exc: BaseException, path: Path, sample: str | None) -> SLTInputError:
    """One line for a failed decord decode: an unsupported width, a packet the decoder rejected, or decord's own words."""
    with quiet_native_stderr():
        width = _video_width(path)
    if width in DECORD_BAD_WIDTHS:
        return SLTInputError(
            f"width {width} px not supported by the decoder (decord 0.6.0 misreads widths {sorted(DECORD_BAD_WIDTHS)})",
            file=path, sample=sample, hint=f"resize the video to a width of at least {DECORD_MIN_SAFE_WIDTH} px, e.g. ffmpeg -vf scale=96:-2",
        )
    detail = _decoder_message(exc)
    if "avcodec_send_packet" in detail or "Error sending packet" in detail:
        return SLTInputError(f"corrupt video data: the decoder rejected a packet ({detail})", file=path, sample=sample, hint=MEDIA_FIX)
    return SLTInputError(f"failed to decode frames ({type(exc).__name__}: {detail})", file=path, sample=sample, hint=MEDIA_FIX)


def read_frame_image(path: Path, *, sample: str | None = None) -> np.ndarray:
    """One frame image as uint8 (H, W, 3) RGB; an empty, truncated or fake file is an :class:`SLTInputError` naming it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except Exception as exc:  # noqa: BLE001 PIL raises OSError, SyntaxError, ValueError, DecompressionBombError ... by format
        try:
            empty = path.stat().st_size == 0
        except OSError:
            empty = False
        if empty:
            reason = "empty file (0 bytes)"
        elif isinstance(exc, UnidentifiedImageError):
            reason = "not a readable image (truncated, or not an image at all)"
        else:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        raise SLTInputError(f"unreadable frame image: {reason}", file=path, sample=sample, hint=MEDIA_FIX) from None


def _video_reader(path: Path, sample: str | None):
    if not path.is_file():
        raise SLTInputError("video file not found", file=path, sample=sample, hint="check the dataset root in params")
    try:
        import decord
    except ImportError as exc:  # pragma: no cover - environment problem
        raise SLTInputError("decord is not installed", hint="run `make reproduce` or `pip install -r requirements.txt`") from exc
    try:
        with quiet_native_stderr():
            return decord.VideoReader(str(path), num_threads=1)
    except Exception as exc:  # decord raises its own DECORDError (a RuntimeError) on corrupt files
        raise SLTInputError(f"unreadable or corrupt video ({type(exc).__name__}: {_decoder_message(exc)})", file=path, sample=sample, hint=MEDIA_FIX) from None


def video_info(path: str | Path, *, sample: str | None = None) -> tuple[int, float]:
    """(frame count, fps) of a video file, from its index; no frame is decoded."""
    vr = _video_reader(Path(path), sample)
    with quiet_native_stderr():
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
    """Decode only the requested frames of a clip. Returns uint8 (len(indices), H, W, 3).

    Whatever cannot be decoded is an :class:`SLTInputError` naming the clip (or the frame image)
    and the sample, in one line: a missing, empty, truncated or fake image; frame images of
    different sizes (naming both); a video decord cannot open, whose packets fail, or whose
    width decord 0.6.0 misreads (:data:`DECORD_BAD_WIDTHS`). The decoders' own stderr lines are
    silenced (:func:`~slt_nb.data.quiet.quiet_native_stderr`).
    """
    if len(indices) == 0:
        raise SLTInputError("no frame indices requested", sample=sample)
    source = Path(source)
    if kind == "frames":
        files = list_frame_files(source, sample=sample)
        out = []
        for i in indices:
            if not 0 <= i < len(files):
                raise SLTInputError(f"frame index {i} outside the clip's {len(files)} frames", file=source, sample=sample)
            out.append(read_frame_image(files[i], sample=sample))
            if out[-1].shape != out[0].shape:
                (h0, w0), (h, w) = out[0].shape[:2], out[-1].shape[:2]
                raise SLTInputError(
                    f"frame images differ in size: {files[indices[0]].name} is {w0}x{h0} px, {files[i].name} is {w}x{h} px",
                    file=source, sample=sample, hint="give every frame of a clip the same size",
                )
        return np.stack(out)  # (T, H, W, 3)
    if kind == "video":
        vr = _video_reader(source, sample)
        first, count = segment_range(len(vr), float(vr.get_avg_fps()), start, end)
        bad = [i for i in indices if not 0 <= i < count]
        if bad:
            raise SLTInputError(f"frame index {bad[0]} outside the clip's {count} frames", file=source, sample=sample)
        try:
            with quiet_native_stderr():
                frames = vr.get_batch([first + int(i) for i in indices]).asnumpy()
        except Exception as exc:  # noqa: BLE001 decord raises DECORDError (a RuntimeError) and others
            raise _decode_failure(exc, source, sample) from None
        return frames  # (T, H, W, 3)
    raise SLTInputError(f"unknown source kind {kind!r}", sample=sample, hint="expected 'video' or 'frames'")


def load_clip(sample, t_max: int) -> tuple[np.ndarray, list[int]]:
    """The paper's sampled frames of a manifest :class:`Sample` and the indices used."""
    idx = sample_indices(sample.n_frames, t_max)
    frames = decode_frames(sample.source, sample.source_kind, idx, start=sample.start, end=sample.end, sample=sample.id)
    return frames, idx  # frames: (min(T, t_max), H, W, 3)
