"""Writing rendered clips, (T, H, W, 3) uint8 RGB frames, the way the releases store them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..io import atomic_path

JPEG_QUALITY = 90


def write_png_frames(folder: Path, frames: np.ndarray) -> None:
    """PHOENIX frame folder: images0001.png ... (1-based, 4 digits)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames, 1):
        Image.fromarray(frame).save(folder / f"images{i:04d}.png", compress_level=1)


def write_jpg_frames(folder: Path, frames: np.ndarray) -> None:
    """CSL-Daily frame folder: 000000.jpg ... (0-based, 6 digits), JPEG quality :data:`JPEG_QUALITY`
    (lossy, as the release; Pillow's encoder gives the same bytes for the same frames)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i:06d}.jpg", quality=JPEG_QUALITY)


MP4_OPTIONS = ("-crf", "14", "-preset", "ultrafast", "-threads", "1")  # ultrafast: half the CPU of "fast" per clip, files ~2x larger
# (make bench / benchmarks: 52 vs 116 ms per 85-frame 80x96 clip); part of the corpus stamp, so a change regenerates the trees


def write_mp4(path: Path, frames: np.ndarray, fps: int) -> None:
    """H.264 (yuv420p, CRF 14, :data:`MP4_OPTIONS`) mp4 with exactly ``len(frames)`` frames; width and height must be even."""
    import imageio_ffmpeg

    height, width = frames.shape[1:3]
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=None,
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=[*MP4_OPTIONS, "-f", "mp4"],
        )  # fmt: skip
        writer.send(None)
        for frame in frames:  # (H, W, 3) uint8
            writer.send(np.ascontiguousarray(frame))
        writer.close()


WRITERS = {"png": write_png_frames, "jpg": write_jpg_frames}
