"""Qwen2.5-VL M-RoPE positions of video frames, right on every path (training, generation, bench).

Qwen2.5-VL gives each visual token a (t, h, w) rotary position. A video's temporal patch ``t``
(``temporal_patch`` = 2 frames) gets ``floor(t * second_per_grid * tokens_per_second)``, where the
processor sets ``second_per_grid_ts = temporal_patch / fps`` per video (paper Sec 3.1 M-RoPE;
transformers' ``Qwen2_5_VLModel.get_rope_index`` docstring).

The library fault (transformers 4.57.6, field-facts §7, EvolvingLMMs-Lab/lmms-eval#1393):
``get_rope_index`` converts ``second_per_grid_t`` with ``torch.as_tensor(..., dtype=range_tensor.dtype)``,
an int64 ``arange``. Every value below 1 -- every clip sampled above 2 fps, i.e. all PHOENIX and
How2Sign clips at T_max = 64 -- becomes 0 and all temporal patches share position 0: the model
cannot tell the order of the frames. 1.5 s becomes 1, and so on.

The fix is one function, :func:`rope_index`, the library's algorithm with the seconds kept as
floats, installed in place of ``get_rope_index`` on the model class by :func:`ensure_video_positions`.
Both call sites of the library go through that method -- ``Qwen2_5_VLModel.forward`` (training,
the prefill of ``generate``) and ``Qwen2_5_VLForConditionalGeneration.prepare_inputs_for_generation``
(which also stores ``rope_deltas``, from which every cached decoding step continues) -- so every
path gets the same positions. :func:`ensure_video_positions` is called by
:meth:`slt_nb.models.registry.ModelFamily.resolve_classes`, through which the project obtains its
model classes (loading, tiny builds, benchmarks).

Behaviour, not version strings, decides: the library's own method is probed on a small input
(:func:`library_behaviour`). If it already gives the right positions (a fixed transformers), it is
left alone; if it truncates the seconds and otherwise agrees with :func:`rope_index` (same positions
at whole seconds), it is replaced; anything else is an error, never a silent guess.
"""

from __future__ import annotations

import math

from ..errors import SLTInputError

_PATCHED = "_slt_nb_mrope_original"  # attribute on the patched method: the library's function
_STATE: dict[type, str] = {}  # model class -> "library" | "corrected" (probed once per class)


def temporal_positions(grid_t: int, second_per_grid: float, tokens_per_second: float) -> list[int]:
    """Temporal position of each of ``grid_t`` temporal patches of a video, relative to its first.

    ``floor(t * second_per_grid * tokens_per_second)`` for t = 0 .. grid_t-1, computed in float64
    and rounded to 1e-4 before the floor, so that a float32 ``second_per_grid`` (2/25 is stored as
    0.0799999982) does not lose a step (25 · 0.08 · 2 = 4, not 3). E.g. 32 patches at 0.25 s,
    2 tokens per second: 0, 0, 1, 1, ..., 15, 15. ``second_per_grid`` in seconds (>= 0).
    """
    s, tps = float(second_per_grid), float(tokens_per_second)
    if not (math.isfinite(s) and s >= 0):
        raise SLTInputError(f"second_per_grid_ts must be a finite number of seconds >= 0, got {second_per_grid!r}",
                            hint="the processor derives it from fps: pass the clip's sampled frame rate (> 0)")
    return [math.floor(round(t * s * tps, 4)) for t in range(int(grid_t))]


def rope_index(config, input_ids, image_grid_thw=None, video_grid_thw=None, second_per_grid_ts=None, attention_mask=None):
    """(position_ids (3, B, L) int64, rope_deltas (B, 1) int64) of a Qwen2.5-VL batch.

    The algorithm of transformers' ``Qwen2_5_VLModel.get_rope_index`` (4.57.6), with video times
    kept as floats (:func:`temporal_positions`). Per row, the tokens where ``attention_mask`` is 1:
    text runs get consecutive positions (the same in t, h, w); a vision block (``<|vision_start|>``
    followed by ``image_token_id`` / ``video_token_id`` pads) gets (t, h, w) = (temporal position,
    row, column) of its merged grid, offset by the position after the preceding text; the text
    after it continues at the block's maximum + 1. Images have no time (t = 0). Padding keeps
    position 1. ``rope_deltas`` = last position + 1 - padded length: a cached decoding step at
    ``cache_position`` c has position c + delta. ``config``: a ``Qwen2_5_VLConfig`` (token ids,
    ``vision_config.spatial_merge_size`` and ``tokens_per_second``). ``image_grid_thw`` /
    ``video_grid_thw``: (N, 3) grids in patches before merging, in order of appearance over the
    batch; ``second_per_grid_ts``: (N_videos,) seconds per temporal patch (default 1.0).
    """
    import torch

    merge = int(config.vision_config.spatial_merge_size)
    tps = config.vision_config.tokens_per_second
    image_id, video_id, start_id = config.image_token_id, config.video_token_id, config.vision_start_token_id
    batch, length = input_ids.shape
    position_ids = torch.ones(3, batch, length, dtype=input_ids.dtype, device=input_ids.device)
    mask = torch.ones_like(input_ids, dtype=torch.bool) if attention_mask is None else attention_mask.to(input_ids.device) == 1
    images = iter([] if image_grid_thw is None else image_grid_thw.tolist())
    videos = iter([] if video_grid_thw is None else video_grid_thw.tolist())
    seconds = iter([1.0] * (0 if video_grid_thw is None else len(video_grid_thw)) if second_per_grid_ts is None
                   else torch.as_tensor(second_per_grid_ts).reshape(-1).tolist())
    deltas = []
    for i in range(batch):
        tokens = input_ids[i][mask[i]].tolist()
        starts = [k for k, tok in enumerate(tokens[:-1]) if tok == start_id]
        n_images = sum(tokens[k + 1] == image_id for k in starts)
        n_videos = sum(tokens[k + 1] == video_id for k in starts)
        chunks: list = []  # (3, n) int64 tensors
        st = 0
        for _ in range(n_images + n_videos):
            ed_image = tokens.index(image_id, st) if n_images > 0 and image_id in tokens[st:] else len(tokens) + 1
            ed_video = tokens.index(video_id, st) if n_videos > 0 and video_id in tokens[st:] else len(tokens) + 1
            if ed_image < ed_video:
                (t, h, w), ed, n_images = next(images), ed_image, n_images - 1
                t_rel = [0] * int(t)
            else:
                (t, h, w), ed, n_videos = next(videos), ed_video, n_videos - 1
                t_rel = temporal_positions(t, next(seconds), tps)
            gh, gw = int(h) // merge, int(w) // merge
            st_idx = int(chunks[-1].max()) + 1 if chunks else 0
            text_len = ed - st
            chunks.append(torch.arange(text_len).view(1, -1).expand(3, -1) + st_idx)
            t_index = torch.tensor(t_rel, dtype=torch.long).view(-1, 1).expand(-1, gh * gw).flatten()
            h_index = torch.arange(gh).view(1, -1, 1).expand(len(t_rel), -1, gw).flatten()
            w_index = torch.arange(gw).view(1, 1, -1).expand(len(t_rel), gh, -1).flatten()
            chunks.append(torch.stack([t_index, h_index, w_index]) + text_len + st_idx)
            st = ed + len(t_rel) * gh * gw
        if st < len(tokens):
            st_idx = int(chunks[-1].max()) + 1 if chunks else 0
            chunks.append(torch.arange(len(tokens) - st).view(1, -1).expand(3, -1) + st_idx)
        positions = torch.cat(chunks, dim=1).reshape(3, -1) if chunks else torch.zeros(3, 0, dtype=torch.long)
        position_ids[:, i, mask[i]] = positions.to(position_ids.device, position_ids.dtype)
        deltas.append((int(positions.max()) + 1 if positions.numel() else 0) - length)
    return position_ids, torch.tensor(deltas, dtype=torch.long, device=input_ids.device).unsqueeze(1)


def _probe(config, seconds: float):
    """A one-row batch: 3 text tokens, one video of 4 temporal patches x 2x2 merged tokens, 2 text tokens,
    left-padded by 2. Returns (input_ids, mm_token_type_ids, video_grid_thw, second_per_grid_ts, attention_mask)."""
    import torch

    merge = int(config.vision_config.spatial_merge_size)
    text = 0 if 0 not in (config.image_token_id, config.video_token_id, config.vision_start_token_id) else 1
    ids = [text] * 5 + [config.vision_start_token_id] + [config.video_token_id] * (4 * 2 * 2) + [text] * 2
    mask = [0, 0] + [1] * (len(ids) - 2)
    types = [2 if i == config.video_token_id else 0 for i in ids]  # transformers 5.x: text 0, image 1, video 2
    return (torch.tensor([ids]), torch.tensor([types], dtype=torch.int32), torch.tensor([[4, 2 * merge, 2 * merge]]),
            torch.tensor([seconds], dtype=torch.float32), torch.tensor([mask]))


def _call_library(cls, config, seconds: float):
    """(probe inputs, the library's (position_ids, rope_deltas)) or (probe inputs, None) if the call fails.

    The library's function runs on a bare instance of ``cls`` holding only ``config`` (no weights):
    it reads the config and may call other methods of the class (5.x: ``get_vision_position_ids``)."""
    import inspect

    fn = getattr(cls.get_rope_index, _PATCHED, cls.get_rope_index)
    ids, types, grid, secs, mask = probe = _probe(config, seconds)
    kwargs = dict(video_grid_thw=grid, second_per_grid_ts=secs, attention_mask=mask)
    try:
        if "mm_token_type_ids" in inspect.signature(fn).parameters:
            kwargs["mm_token_type_ids"] = types
        bare = cls.__new__(cls)
        object.__setattr__(bare, "config", config)
        return probe, fn(bare, ids, **kwargs)
    except Exception:  # another signature or internals: judged "unknown" by the caller
        return probe, None


def _same(a, b) -> bool:
    """Two (position_ids, rope_deltas) pairs hold the same integers."""
    import torch

    return all(torch.equal(torch.as_tensor(x).cpu().long(), torch.as_tensor(y).cpu().long()) for x, y in zip(a, b))


def library_behaviour(model_class, config=None) -> str:
    """How the library's ``get_rope_index`` of ``model_class`` (even if patched) places video frames in time.

    Probed on one left-padded row with a video of 4 temporal patches. ``"right"``: at 0.5 s and
    0.25 s per patch its video tokens get temporal positions ``floor(t * s * tokens_per_second)``
    (relative to the first; a fixed transformers, whatever else it changed); ``"truncates"``: they
    get ``floor(t * int(s) * tokens_per_second)`` (all 0 below 1 s) and at 1 s and 2 s its whole
    output equals :func:`rope_index` (the transformers <= 4.57.6 fault and nothing else: safe to
    replace); ``"unknown"``: anything else. ``model_class``: ``Qwen2_5_VLModel`` or
    ``Qwen2_5_VLForConditionalGeneration``; ``config``: default the class's default config with
    tokens_per_second 2 (as Qwen2.5-VL-3B).
    """
    import torch

    cls = _rope_class(model_class)
    if config is None:
        config = cls.config_class()
        config.vision_config.tokens_per_second = 2
    tps = config.vision_config.tokens_per_second

    def relative_times(seconds: float):
        (ids, *_), got = _call_library(cls, config, seconds)
        if got is None:
            return None
        t = torch.as_tensor(got[0])[0, 0][ids[0] == config.video_token_id].long()
        return (t - t[0]).tolist()

    def times(seconds: float) -> list[int]:
        return [p for p in temporal_positions(4, seconds, tps) for _ in range(4)]  # 2x2 merged tokens per patch

    if all(relative_times(s) == times(s) for s in (0.5, 0.25)):
        return "right"
    if all(relative_times(s) == times(int(s)) for s in (0.5, 0.25)):
        whole = [_call_library(cls, config, s) for s in (1.0, 2.0)]
        if all(got is not None and _same(got, rope_index(config, ids, None, grid, secs, mask))
               for (ids, _, grid, secs, mask), got in whole):
            return "truncates"
    return "unknown"


def _rope_class(model_class):
    """The class that defines ``get_rope_index``: ``Qwen2_5_VLModel`` of ``model_class``'s module, else the
    first class of ``model_class``'s MRO that defines it."""
    import sys

    module = sys.modules.get(model_class.__module__)
    candidates = [getattr(module, "Qwen2_5_VLModel", None), *model_class.__mro__]
    for cls in candidates:
        if isinstance(cls, type) and "get_rope_index" in vars(cls):
            return cls
    raise SLTInputError(f"{model_class.__name__} has no get_rope_index: cannot check Qwen2.5-VL video positions",
                        hint="this transformers version changed Qwen2.5-VL; pin transformers==4.57.6 (requirements.txt)")


def ensure_video_positions(model_class) -> str:
    """Make ``model_class`` (Qwen2.5-VL) give videos the right temporal positions; idempotent.

    Returns ``"library"`` (the library's method was right: left alone) or ``"corrected"``
    (:func:`rope_index` installed as ``get_rope_index`` of the defining class; the library's
    function stays reachable as ``get_rope_index._slt_nb_mrope_original``). Raises
    :class:`~slt_nb.errors.SLTInputError` if the library's method behaves in an unknown way.
    """
    cls = _rope_class(model_class)
    if cls in _STATE:
        return _STATE[cls]
    behaviour = library_behaviour(cls)
    if behaviour == "unknown":
        import transformers

        raise SLTInputError(f"{cls.__name__}.get_rope_index of transformers {transformers.__version__} gives video positions "
                            "this project cannot check", hint="pin transformers==4.57.6 (requirements.txt) or update slt_nb.models.mrope")
    if behaviour == "truncates":
        original = cls.get_rope_index

        def get_rope_index(self, input_ids=None, image_grid_thw=None, video_grid_thw=None, second_per_grid_ts=None, attention_mask=None):
            if input_ids is None or video_grid_thw is None:  # no video: the library's positions are right
                return original(self, input_ids, image_grid_thw, video_grid_thw, second_per_grid_ts, attention_mask)
            return rope_index(self.config, input_ids, image_grid_thw, video_grid_thw, second_per_grid_ts, attention_mask)

        get_rope_index.__doc__ = "Qwen2.5-VL M-RoPE index with fractional video seconds kept (slt_nb.models.mrope.rope_index)."
        setattr(get_rope_index, _PATCHED, original)
        cls.get_rope_index = get_rope_index
    _STATE[cls] = "library" if behaviour == "right" else "corrected"
    return _STATE[cls]
