"""slt_nb.models.mrope: the corrected Qwen2.5-VL rope index, and the behaviour probe that decides
whether transformers' own ``get_rope_index`` is replaced (never double-corrected, never guessed)."""

from __future__ import annotations

import pytest
import torch
import transformers

from slt_nb.errors import SLTInputError
from slt_nb.models import mrope
from slt_nb.models.registry import get_family

LIB = transformers.Qwen2_5_VLModel


def config(tps: int = 2):
    cfg = transformers.Qwen2_5_VLConfig()
    cfg.vision_config.tokens_per_second = tps
    return cfg


def library_fn():
    """transformers' own get_rope_index (the original if the project replaced it)."""
    get_family("qwen2_5_vl").resolve_classes()
    return getattr(LIB.get_rope_index, "_slt_nb_mrope_original", LIB.get_rope_index)


@pytest.mark.parametrize("grid_t,seconds,tps,expected", [
    (32, 0.25, 2, [t // 2 for t in range(32)]),  # the issue: 64 frames at 8 fps
    (4, 2.0, 2, [0, 4, 8, 12]),  # 1 fps
    (4, 1.0, 2, [0, 2, 4, 6]),  # 2 fps
    (4, 0.5, 2, [0, 1, 2, 3]),  # 4 fps
    (15, 0.08, 2, [0] * 7 + [1] * 6 + [2] * 2),  # 25 fps: float32 0.08 is 0.0799999982
    (26, torch.tensor(0.08).item(), 2, [0] * 7 + [1] * 6 + [2] * 6 + [3] * 6 + [4]),  # 25 * 0.08 * 2 = 4, not 3
    (3, 0.5, 25, [0, 12, 25]),  # Qwen2.5-VL-7B's tokens_per_second
    (2, 0.0, 2, [0, 0]),
])
def test_temporal_positions_known_values(grid_t, seconds, tps, expected):
    assert mrope.temporal_positions(grid_t, seconds, tps) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5])
def test_temporal_positions_refuse_bad_seconds(bad):
    with pytest.raises(SLTInputError, match="second_per_grid_ts"):
        mrope.temporal_positions(4, bad, 2)


def batch(cfg, rows):
    """Left-padded input_ids / attention_mask from rows of ("text", n) / ("video", t, h, w) / ("image", h, w) parts."""
    merge = cfg.vision_config.spatial_merge_size
    seqs, images, videos = [], [], []
    for parts in rows:
        ids = []
        for part in parts:
            if part[0] == "text":
                ids += [7] * part[1]
            else:
                t, h, w = (1, *part[1:]) if part[0] == "image" else part[1:]
                pad = cfg.image_token_id if part[0] == "image" else cfg.video_token_id
                ids += [cfg.vision_start_token_id] + [pad] * (t * h * w // merge**2) + [cfg.vision_end_token_id]
                (images if part[0] == "image" else videos).append([t, h, w])
        seqs.append(ids)
    width = max(map(len, seqs))
    ids = torch.tensor([[0] * (width - len(s)) + s for s in seqs])
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs])
    return ids, (torch.tensor(images) if images else None), (torch.tensor(videos) if videos else None), mask


LAYOUTS = [
    [[("text", 3), ("video", 4, 4, 4), ("text", 5)]],
    [[("text", 3), ("video", 4, 4, 4), ("text", 5)], [("text", 1), ("video", 6, 2, 4), ("text", 2)], [("text", 9)]],
    [[("text", 2), ("image", 4, 4), ("text", 1), ("video", 3, 4, 2), ("text", 2)], [("video", 2, 2, 2), ("text", 1)]],
    [[("text", 2), ("video", 2, 4, 4), ("text", 3), ("video", 5, 2, 2), ("text", 1)]],
]


def library(cfg, *args, **kwargs):
    fake = LIB.__new__(LIB)  # a bare instance: the library's function reads only its config
    object.__setattr__(fake, "config", cfg)
    return library_fn()(fake, *args, **kwargs)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("seconds", [None, 1, 2, 3])
def test_rope_index_equals_the_library_at_whole_seconds(layout, seconds):
    """Where the library does not truncate (whole seconds) its positions and deltas are reproduced exactly:
    text, images, several videos per row, several rows, left padding; without a mask for one-row batches."""
    cfg = config()
    ids, images, videos, mask = batch(cfg, layout)
    secs = None if seconds is None or videos is None else torch.full((len(videos),), float(seconds))
    for m in [mask] + ([None] if len(layout) == 1 else []):
        want = library(cfg, ids, images, videos, second_per_grid_ts=secs, attention_mask=m)
        got = mrope.rope_index(cfg, ids, images, videos, secs, m)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_rope_index_differs_from_the_library_only_in_video_time():
    """At 0.25 s per patch the library puts every patch at time 0; rope_index spaces them, and the text
    after the video moves on by the same amount (so do rope_deltas, from which decoding continues)."""
    cfg = config()
    ids, images, videos, mask = batch(cfg, [[("text", 3), ("video", 8, 4, 4), ("text", 5)]])
    secs = torch.tensor([0.25])
    want = library(cfg, ids, images, videos, second_per_grid_ts=secs, attention_mask=mask)
    got = mrope.rope_index(cfg, ids, images, videos, secs, mask)
    vid = ids[0] == cfg.video_token_id
    assert want[0][0, 0, vid].tolist() == [4] * 32  # the fault: all 8 patches at time 0 (+ 4 tokens before)
    assert got[0][0, 0, vid].tolist() == [4 + t // 2 for t in range(8) for _ in range(4)]
    assert torch.equal(got[0][1:, :, vid], want[0][1:, :, vid])  # h, w unchanged
    # the block's maximum is time 3 instead of h = w = 1: the text after it and rope_deltas move on by 2
    after = ids[0].tolist().index(cfg.video_token_id) + 32
    assert (got[0][:, 0, after:] - want[0][:, 0, after:] == 2).all()
    assert int(got[1]) - int(want[1]) == 2


class Fixed:
    """A fixed library (4.57.6 signature): float seconds."""

    config_class = transformers.Qwen2_5_VLConfig

    def get_rope_index(self, input_ids=None, image_grid_thw=None, video_grid_thw=None, second_per_grid_ts=None, attention_mask=None):
        return mrope.rope_index(self.config, input_ids, image_grid_thw, video_grid_thw, second_per_grid_ts, attention_mask)


class FixedNewSignature:
    """A fixed library with transformers 5.x's signature (mm_token_type_ids required) and another text layout."""

    config_class = transformers.Qwen2_5_VLConfig

    def get_rope_index(self, input_ids, mm_token_type_ids, image_grid_thw=None, video_grid_thw=None, second_per_grid_ts=None,
                       attention_mask=None, **kwargs):
        assert mm_token_type_ids.shape == input_ids.shape and int(mm_token_type_ids.max()) == 2
        pos, deltas = mrope.rope_index(self.config, input_ids, image_grid_thw, video_grid_thw, second_per_grid_ts, attention_mask)
        return pos + 100, deltas + 100


class Scrambled:
    """Neither right nor the known fault: every position 0."""

    config_class = transformers.Qwen2_5_VLConfig

    def get_rope_index(self, input_ids=None, image_grid_thw=None, video_grid_thw=None, second_per_grid_ts=None, attention_mask=None):
        return torch.zeros(3, *input_ids.shape, dtype=torch.long), torch.zeros(input_ids.shape[0], 1, dtype=torch.long)


def fresh(cls):
    """A new subclass (its own probe state), defining get_rope_index itself."""
    fn = cls.__dict__["get_rope_index"]
    fn = fn.__func__ if isinstance(fn, staticmethod) else fn
    return type(cls.__name__, (), {"config_class": cls.config_class, "get_rope_index": fn, "__module__": __name__})


def test_pinned_transformers_truncates_and_is_corrected():
    assert mrope.library_behaviour(LIB) == "truncates"  # transformers 4.57.6 (requirements.txt)
    assert get_family("qwen2_5_vl").resolve_classes()[0] is transformers.Qwen2_5_VLForConditionalGeneration
    assert mrope.ensure_video_positions(LIB) == "corrected"
    assert LIB.get_rope_index._slt_nb_mrope_original is not LIB.get_rope_index


@pytest.mark.parametrize("cls,behaviour,outcome", [(Fixed, "right", "library"), (FixedNewSignature, "right", "library")])
def test_a_fixed_library_is_left_alone(cls, behaviour, outcome):
    c = fresh(cls)
    before = c.__dict__["get_rope_index"]
    assert mrope.library_behaviour(c) == behaviour
    assert mrope.ensure_video_positions(c) == outcome
    assert c.__dict__["get_rope_index"] is before  # not double-corrected


def test_truncating_library_is_replaced_once():
    c = type("Truncating", (), {"config_class": transformers.Qwen2_5_VLConfig, "get_rope_index": library_fn()})
    original = c.get_rope_index
    assert mrope.ensure_video_positions(c) == "corrected"
    patched = c.get_rope_index
    assert patched is not original and patched._slt_nb_mrope_original is original
    assert mrope.ensure_video_positions(c) == "corrected" and c.get_rope_index is patched  # idempotent
    assert mrope.library_behaviour(c) == "truncates"  # the probe still judges the library's function
    cfg = config()
    inst = c.__new__(c)
    inst.config = cfg
    ids, images, videos, mask = batch(cfg, [[("text", 2), ("video", 4, 4, 4), ("text", 1)]])
    pos, _ = inst.get_rope_index(ids, images, videos, torch.tensor([0.5]), mask)
    assert pos[0, 0, ids[0] == cfg.video_token_id].tolist() == [3 + t for t in range(4) for _ in range(4)]  # 2 text + vision_start


def test_unknown_library_behaviour_is_an_error():
    c = fresh(Scrambled)
    assert mrope.library_behaviour(c) == "unknown"
    with pytest.raises(SLTInputError, match="cannot check"):
        mrope.ensure_video_positions(c)


def test_run_key_names_the_position_fix_for_qwen_only():
    """A Qwen2.5-VL run made before the fix (no ``library_fixes`` in its key) is retrained, not reused;
    SmolVLM2 keys stay as they were (its runs are unaffected)."""
    from slt_nb.train.run_config import RunConfig
    from slt_nb.train.run_plan import run_key

    qwen = run_key(RunConfig(family="qwen2_5_vl", model="tiny", dataset="phoenix").resolved(), "data", "x/y")
    smol = run_key(RunConfig(family="smolvlm", model="tiny", dataset="phoenix").resolved(), "data", "x/y")
    assert qwen["library_fixes"] == "mrope-video-seconds:corrected"
    assert "library_fixes" not in smol
