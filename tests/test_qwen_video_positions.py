"""Qwen2.5-VL keeps the order of frames (issue 13, item 1): the temporal M-RoPE positions that reach
the language model's rotary embedding, in training forwards and in batched, cached generation.

A video's temporal patch t (2 frames) must sit at ``floor(t * second_per_grid * tokens_per_second)``
with ``second_per_grid = 2 / sampled fps``; transformers 4.57.6 truncated ``second_per_grid`` to an
integer, so above 2 fps every patch got position 0. The expected values here are exact fractions,
computed apart from the code under test; the positions are read from a forward pre-hook on
``model.model.language_model.rotary_emb``, not from what the collator passes in.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from slt_nb.data.frames import sample_indices
from slt_nb.data.manifest import Sample
from slt_nb.models.load import apply_lora, load_model_and_processor
from slt_nb.standins.tiny import ensure_tiny
from slt_nb.train.collate import VideoCollator, make_example, rows_from_samples
from slt_nb.train.generate import generate_batch
from slt_nb.train.prompts import prompt_for

FAM = "qwen2_5_vl"
CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
PROMPT = prompt_for("phoenix").text
CASE = Path(__file__).parent / "data" / "cases" / "qwen-fps-above-2" / "clip_8s_25fps.mp4"  # 200 frames, 25 fps, 8 s
TOKENS_PER_GROUP = 4  # tiny Qwen: a 56 px frame is 4x4 patches, merged 2x2 -> 2x2 tokens per temporal patch

# (clip fps, clip frames, T_max) -> sampled fps = sampled frames / clip duration
CLIPS = [
    (1, 8, 64),  # 1 fps: 2 s per patch
    (2, 16, 64),  # 2 fps: 1 s per patch (the last value the old code got right)
    (4, 16, 64),  # 4 fps: 0.5 s
    (25, 200, 64),  # the issue's case: 64 of 200 frames at 25 fps -> 8 fps, 0.25 s
    (25, 100, 16),  # 16 of 100 frames -> 4 fps
    (25, 30, 64),  # 25 fps, all frames: 0.08 s per patch
    (50, 64, 64),  # 50 fps: 0.04 s
]


def expected_times(clip_fps: int, total: int, t_max: int, tps: int) -> list[int]:
    """floor(t * second_per_grid * tps) per temporal patch, with exact fractions."""
    n = min(total, t_max)
    fps = Fraction(n) / (Fraction(total) / clip_fps)
    second_per_grid = Fraction(2) / fps
    groups = (n + 1) // 2  # odd counts are padded to even by the processor
    return [int(t * second_per_grid * tps // 1) for t in range(groups)]


def frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (n, 56, 56, 3), dtype=np.uint8)


def example(clip_fps: int, total: int, t_max: int, *, seed: int = 0, answer: str | None = "am tag ."):
    idx = sample_indices(total, t_max)
    return make_example(frames(len(idx), seed), PROMPT, answer, fps=float(clip_fps), frames_indices=idx, total_frames=total,
                        id=f"c{clip_fps}-{total}-{t_max}")


@contextmanager
def positions_seen(model):
    """Every ``position_ids`` (3, B, L) that reaches the language model's rotary embedding."""
    seen = []

    def hook(module, args, kwargs):
        pos = kwargs.get("position_ids", args[1] if len(args) > 1 else None)
        seen.append(pos.detach().clone())

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    handle = base.model.language_model.rotary_emb.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield seen
    finally:
        handle.remove()


def video_layout(pos, ids, row: int, video_id: int):
    """(temporal position of each patch relative to the first, per-patch (h, w) offsets, first video position,
    text tokens before the video, text tokens after it) of ``row``; checks the patch structure on the way."""
    keep = ids[row] != -1
    vid = (ids[row] == video_id).nonzero().flatten()
    p = pos[:, row, vid]  # (3, n_video)
    groups = p.reshape(3, -1, TOKENS_PER_GROUP)
    t = groups[0]
    assert (t == t[:, :1]).all(), "the tokens of one temporal patch share their time"
    hw = (groups[1:] - groups[1:, :1, :1]).permute(1, 0, 2)  # (groups, 2, tokens)
    assert (hw == torch.tensor([[0, 0, 1, 1], [0, 1, 0, 1]])).all(), "2x2 (h, w) grid per patch"
    first = int(vid[0])
    real = keep.nonzero().flatten()
    before = int((real < first).sum())
    after = int((real > int(vid[-1])).sum())
    return (t[:, 0] - t[0, 0]).tolist(), int(p[0, 0]), before, after


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = ensure_tiny(FAM, CORPUS, tmp_path_factory.getbasetemp() / f"tiny-{FAM}", seed=0)
    model, proc = load_model_and_processor(FAM, folder)
    yield model.eval(), proc, folder
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def lora(tiny):
    """The model as training sees it: LoRA on the language model, the merger trainable (a separate copy)."""
    model, proc = load_model_and_processor(FAM, tiny[2])
    return apply_lora(model, FAM), proc


def test_expected_values_of_the_issue_case():
    """The table's reference is what the issue states: 0, 0, 1, 1, ..., 15, 15 for 64 of 200 frames at 25 fps."""
    assert expected_times(25, 200, 64, 2) == [t // 2 for t in range(32)]
    assert expected_times(25, 30, 64, 2) == [0] * 7 + [1] * 6 + [2] * 2


@pytest.mark.parametrize("clip_fps,total,t_max", CLIPS)
def test_training_forward_positions(lora, clip_fps, total, t_max):
    """Training collator + LoRA-wrapped model: the video's temporal positions, its (h, w) grid and the
    text after it (continuing at the block's maximum + 1) as they reach the rotary embedding."""
    peft, proc = lora
    model = peft.get_base_model()
    tps = model.config.vision_config.tokens_per_second
    batch = VideoCollator(proc, FAM, train=True)([example(clip_fps, total, t_max)])
    with positions_seen(peft) as seen, torch.no_grad():
        out = peft(**batch)
    assert torch.isfinite(out.loss)
    (pos,) = seen
    ids = batch["input_ids"]
    times, start, before, after = video_layout(pos, ids, 0, model.config.video_token_id)
    assert times == expected_times(clip_fps, total, t_max, tps)
    assert start == before  # the video starts right after the text before it
    end = int((ids[0] == model.config.video_token_id).nonzero()[-1])
    block_max = start + max(times[-1], 1)  # (t, h, w) maxima: last time, h = w = 1
    assert pos[:, 0, end + 1].tolist() == [block_max + 1] * 3  # <|vision_end|> continues after the block
    assert pos[:, 0, -1].tolist() == [block_max + after] * 3


def test_issue_clip_through_the_manifest_path(tiny, tmp_path):
    """The issue's mp4 (200 frames, 25 fps) as a manifest row, sampled to 64 by the collator: 0, 0, 1, 1, ..., 15, 15."""
    model, proc, _ = tiny
    clip = shutil.copy(CASE, tmp_path / CASE.name)
    sample = Sample(id="clip_8s_25fps", dataset="phoenix", split="test", source=str(clip), source_kind="video", n_frames=200,
                    fps=25.0, text="am tag .")
    batch = VideoCollator(proc, FAM, train=True, t_max=64)(rows_from_samples([sample], PROMPT))
    assert batch["video_grid_thw"][0, 0].item() == 32
    with positions_seen(model) as seen, torch.no_grad():
        model(**batch)
    times, *_ = video_layout(seen[0], batch["input_ids"], 0, model.config.video_token_id)
    assert times == [t // 2 for t in range(32)]


@pytest.mark.parametrize("clips", [[(25, 200, 64), (25, 30, 64), (2, 16, 64)], [(4, 16, 64), (50, 64, 64)]])
def test_batched_cached_generation_positions(tiny, clips):
    """generate() on a left-padded batch of clips at different rates: the prefill's video positions per row, and
    every cached decoding step (positions from rope_deltas) continuing right after its row's last position."""
    model, proc, _ = tiny
    tps = model.config.vision_config.tokens_per_second
    examples = [example(*c, seed=i, answer=None) for i, c in enumerate(clips)]
    collator = VideoCollator(proc, FAM, train=False, padding_side="left")
    batch = collator(examples)
    ids = torch.where(batch["attention_mask"] == 1, batch["input_ids"], torch.tensor(-1))
    new = 4
    with positions_seen(model) as seen:
        generate_batch(model, proc, FAM, examples, max_new_tokens=new, collator=collator)
    prefill, steps = seen[0], seen[1:]
    assert prefill.shape[1:] == ids.shape and len(steps) == new - 1
    for row, c in enumerate(clips):
        times, start, before, after = video_layout(prefill, ids, row, model.config.video_token_id)
        assert times == expected_times(*c, tps)
        last = before + max(times[-1], 1) + after  # position of the row's last prompt token
        assert prefill[:, row, -1].tolist() == [last] * 3
        for k, step in enumerate(steps, 1):
            assert step.shape == (3, len(clips), 1)
            assert step[:, row, 0].tolist() == [last + k] * 3, f"row {row} decoding step {k}"
