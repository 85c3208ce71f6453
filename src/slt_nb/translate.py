"""Translate a user's own clip with a fine-tuned run: ``slt-nb translate VIDEO_OR_FRAME_DIR --checkpoint DIR``.

The clip is a video file (decoded with decord) or a folder of frame images (PIL, in the order of
the frame numbers in their names: :func:`~slt_nb.data.frames.list_frame_files`). Its frames are counted, the paper's sampler keeps at most ``t_max`` of them (Sec 3.3),
and a one-sample batch is decoded greedily (Sec 4.3), as :mod:`slt_nb.train.generate` does for
a test split.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SLTInputError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
DEFAULT_FRAME_FPS = 25.0  # a frame folder carries no frame rate; PHOENIX-2014T's is 25 fps


def clip_kind(path: str | Path) -> str:
    """``"frames"`` for a folder, ``"video"`` for a video file; anything else is an error."""
    p = Path(path)
    if p.is_dir():
        return "frames"
    if not p.exists():
        raise SLTInputError("clip not found", file=p, hint="give a video file (" + ", ".join(VIDEO_SUFFIXES) + ") or a folder of frame images")
    if p.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    raise SLTInputError(f"unsupported clip type {p.suffix or '(no suffix)'!r}", file=p,
                        hint="give a video file (" + ", ".join(VIDEO_SUFFIXES) + ") or a folder of frame images")


def resolve_prompt(info: dict, *, prompt: str | None = None, dataset: str | None = None) -> str:
    """An explicit ``prompt``; else the Table 16 prompt of ``dataset``; else the one ``run.json``
    recorded (``prompt``, or its ``dataset``'s); else PHOENIX-2014T's."""
    from .train.prompts import prompt_for

    if prompt is not None:
        return prompt_for(dataset or "phoenix", override=prompt).text
    if dataset is not None:
        return prompt_for(dataset, allow_non_paper=True).text
    recorded = info.get("prompt")
    if isinstance(recorded, dict):
        recorded = recorded.get("text")
    if isinstance(recorded, str) and recorded.strip():
        return recorded
    if isinstance(info.get("dataset"), str):
        try:
            return prompt_for(info["dataset"], allow_non_paper=True).text
        except SLTInputError:
            pass
    return prompt_for("phoenix").text


def load_user_clip(path: str | Path, t_max: int, prompt: str, *, fps: float | None = None) -> dict:
    """A one-clip collator input (:func:`~slt_nb.train.collate.make_example`) from a video or a frame folder."""
    from .data.frames import count_frames, decode_frames, sample_indices
    from .train.collate import make_example

    p = Path(path)
    kind = clip_kind(p)
    n, video_fps = count_frames(p, kind)  # zero frames: SLTInputError naming the path
    if n <= 0:
        raise SLTInputError("clip decodes to zero frames", file=p)
    rate = float(fps or video_fps or DEFAULT_FRAME_FPS)
    idx = sample_indices(n, t_max)
    frames = decode_frames(p, kind, idx)
    if len(frames) == 0:
        raise SLTInputError("clip decodes to zero frames", file=p)
    return make_example(frames, prompt, fps=rate, frames_indices=idx, total_frames=n, id=p.name)


def translate_clip(path: str | Path, checkpoint_dir: str | Path, *, t_max: int | None = None, prompt: str | None = None, dataset: str | None = None,
                   max_new_tokens: int = 128, fps: float | None = None, device: str | None = None, loaded=None) -> str:
    """The translation of one clip by the fine-tuned run in ``checkpoint_dir``.

    ``t_max``: frame budget; default: the one the run was trained with (``run.json``), else 64 (Sec 4.3). ``prompt``/``dataset``: see :func:`resolve_prompt`.
    ``fps``: the clip's frame rate (default: the video's; 25 for a frame folder).
    ``loaded``: a ``(model, processor, family)`` of :func:`~slt_nb.train.load_run.load_for_inference`
    to reuse (several clips, one load).
    """
    from .train.generate import generate_batch
    from .train.load_run import load_for_inference, read_run_info

    _, info, _ = read_run_info(checkpoint_dir)  # checks the run dir before any decoding
    if t_max is None:
        t_max = int((info.get("config") or {}).get("t_max") or info.get("t_max") or 64)
    example = load_user_clip(path, t_max, resolve_prompt(info, prompt=prompt, dataset=dataset), fps=fps)
    model, processor, family = loaded if loaded is not None else load_for_inference(checkpoint_dir, device=device)
    model.eval()
    return generate_batch(model, processor, family, [example], max_new_tokens=max_new_tokens)[0]
