"""``slt-nb stats --decode``: decode every frame a run would read, and report every clip that fails.

Loading a dataset counts frames from the video index or the folder listing; it does not decode
them, so an mp4 whose packets are corrupt, or an empty/truncated/fake PNG in a frame folder,
passes and only fails mid-run. :func:`check_decodable` decodes, per clip:

* ``frames="sampled"`` (default): the frames the paper's sampler picks at the run's ``t_max``
  (Sec 3.3, :func:`~slt_nb.data.frames.sample_indices`), exactly what training and generation read;
* ``frames="all"``: every frame of the clip (the segment for How2Sign realigned rows), in chunks of
  ``chunk`` frames, for a check that holds at any ``t_max``.

Each decode goes through :func:`~slt_nb.data.frames.decode_frames`, the function runs use, so the
reasons are the ones a run would give. Every failing clip is collected (none stops the check) as one
line naming the annotation file and row that declared it (when the samples came from a loader in
this process), the sample id, the clip or frame file, and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..errors import SLTInputError
from .frames import decode_frames, sample_indices
from .manifest import Sample

FRAME_MODES = ("sampled", "all")


@dataclass
class DecodeReport:
    """What :func:`check_decodable` found: clips and frames decoded, and one error per failing clip."""

    frames_mode: str
    t_max: int | None
    clips: int = 0
    frames: int = 0
    failures: list[SLTInputError] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready counts, with what was decoded in words."""
        read = f"the frames the sampler picks at t_max {self.t_max}" if self.frames_mode == "sampled" else "every frame"
        return {"clips": self.clips, "frames": self.frames, "failed_clips": len(self.failures), "frames_read": read}


def _indices(s: Sample, frames: str, t_max: int | None) -> list[int]:
    return sample_indices(s.n_frames, t_max) if frames == "sampled" else list(range(s.n_frames))


def _failure(s: Sample, exc: SLTInputError) -> SLTInputError:
    """``exc`` restated at the annotation row that declared ``s`` (when known), keeping the media path."""
    from .annotations import row_of

    row = row_of(s)
    media = exc.file if exc.file is not None else s.source
    problem = exc.problem if row is None else f"{media}: {exc.problem}"
    return SLTInputError(problem, file=row.file if row else media, line=row.line if row else None, sample=s.id, hint=exc.hint)


def check_decodable(samples: Sequence[Sample], *, frames: str = "sampled", t_max: int | None = 64, chunk: int = 64,
                    progress: bool = True) -> DecodeReport:
    """Decode the frames of every sample that a run would read (see the module docstring).

    ``t_max``: the run's frame budget (``frames="sampled"``); ``chunk``: frames decoded at once with
    ``frames="all"`` (memory: chunk x H x W x 3 bytes). Never raises for a bad clip: every failure
    is in the returned :class:`DecodeReport`'s ``failures`` (an :class:`SLTInputError` each).
    Raises :class:`SLTInputError` for a bad ``frames``/``t_max``/``chunk``.
    """
    from ..progress import tqdm

    if frames not in FRAME_MODES:
        raise SLTInputError(f"unknown frames mode {frames!r}", hint=f"choose from {FRAME_MODES}")
    if frames == "sampled":
        sample_indices(1, t_max)  # checks t_max
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk <= 0:
        raise SLTInputError(f"chunk must be a positive integer, got {chunk!r}")
    report = DecodeReport(frames, t_max if frames == "sampled" else None)
    for s in tqdm(samples, desc="decoding", unit="clip", disable=not progress or not samples):
        idx = _indices(s, frames, t_max)
        shape = None
        try:
            for k in range(0, len(idx), chunk):
                arr = decode_frames(s.source, s.source_kind, idx[k : k + chunk], start=s.start, end=s.end, sample=s.id)  # (n, H, W, 3)
                if shape is not None and arr.shape[1:] != shape:
                    raise SLTInputError(f"frames differ in size: {shape[1]}x{shape[0]} px up to frame {idx[k] - 1}, "
                                        f"{arr.shape[2]}x{arr.shape[1]} px from frame {idx[k]} on", file=s.source, sample=s.id,
                                        hint="give every frame of a clip the same size")
                shape = arr.shape[1:]
                report.frames += len(arr)
        except SLTInputError as exc:
            report.failures.append(_failure(s, exc))
        except Exception as exc:  # noqa: BLE001 (a decoder fault decode_frames does not know yet: still one line per clip)
            report.failures.append(_failure(s, SLTInputError(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}",
                                                             file=s.source, sample=s.id)))
        report.clips += 1
    return report


def require_decodable(samples: Sequence[Sample], *, frames: str, t_max: int, progress: bool = True, echo=print) -> dict:
    """:func:`check_decodable`, then ``echo`` one line per failing clip and raise one
    :class:`SLTInputError` counting them; returns :meth:`DecodeReport.summary` when every clip decodes."""
    report = check_decodable(samples, frames=frames, t_max=t_max, progress=progress)
    for exc in report.failures:
        echo(str(exc))
    if report.failures:
        raise SLTInputError(f"{len(report.failures)} of {report.clips} clips cannot be decoded (each listed above)",
                            hint="re-extract or replace them, or remove their rows, before a long run")
    return report.summary()
