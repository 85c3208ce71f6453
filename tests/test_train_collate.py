"""The video collator: processor call per family, answer-only labels, the all-masked trap, prompts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slt_nb.data.frames import sample_indices
from slt_nb.data.manifest import Sample
from slt_nb.errors import SLTInputError
from slt_nb.models.load import load_model_and_processor
from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.standins.tiny import ensure_tiny
from slt_nb.train.collate import (
    IGNORE_INDEX,
    AllMaskedLabelsError,
    VideoCollator,
    check_labels,
    make_example,
    rows_from_samples,
)
from slt_nb.train.prompts import (
    NON_PAPER_PROMPTS,
    PHOENIX_PROMPT_ENGLISH,
    PROMPTS,
    prompt_for,
)

CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
FAMS = sorted(FAMILIES)
ANSWERS = ["am tag wechselhaft mit regen im süden .", "the cat sat"]


def frames(n: int, size: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (n, size, size, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """family -> (model, processor) of the shared tiny build of this test session."""
    out = {}
    for fam in FAMS:
        folder = ensure_tiny(fam, CORPUS, tmp_path_factory.getbasetemp() / f"tiny-{fam}", seed=0)
        out[fam] = load_model_and_processor(fam, folder)
    return out


@pytest.fixture(params=FAMS)
def tiny(request, models):
    return (request.param, *models[request.param])


def two_examples():
    return [
        make_example(frames(16), PROMPTS["phoenix"].text, ANSWERS[0], fps=25.0, frames_indices=sample_indices(80, 16), total_frames=80, id="long"),
        make_example(frames(7, seed=1), PROMPTS["how2sign"].text, ANSWERS[1], fps=24.0, id="short"),
    ]


def visual_token_id(fam, model):
    return model.config.image_token_id if fam == "smolvlm" else model.config.video_token_id


def test_labels_are_the_answer_and_end_of_turn_only(tiny):
    fam, model, proc = tiny
    f = get_family(fam)
    batch = VideoCollator(proc, fam)(two_examples())
    ids, labels, mask = batch["input_ids"], batch["labels"], batch["attention_mask"]
    assert ids.shape == labels.shape == mask.shape
    for i, answer in enumerate(ANSWERS):
        kept = labels[i][labels[i] != IGNORE_INDEX]
        assert proc.tokenizer.decode(kept).strip() == answer + f.end_of_turn
        # the supervised tokens are one contiguous run at the end of the real (unpadded) sequence
        pos = (labels[i] != IGNORE_INDEX).nonzero().flatten()
        assert pos.tolist() == list(range(pos[0], pos[-1] + 1))
        assert torch.equal(labels[i][pos], ids[i][pos])
        real = int(mask[i].sum())
        assert pos[-1] == real - 2  # only the newline after the end-of-turn token follows
    vis = ids == visual_token_id(fam, model)
    assert vis.any() and (labels[vis] == IGNORE_INDEX).all()
    assert (labels[mask == 0] == IGNORE_INDEX).all()


def test_smolvlm_video_call_shapes_and_per_sample_frame_counts(models):
    fam = "smolvlm"
    model, proc = models[fam]
    batch = VideoCollator(proc, fam)(two_examples())
    side = model.config.vision_config.image_size
    assert batch["pixel_values"].shape == (2, 16, 3, side, side)  # (B, F_max, 3, H, W), short clip zero-padded
    assert batch["pixel_attention_mask"].shape == (2, 16, side, side)
    assert batch["pixel_values"][1, 7:].abs().sum() == 0  # padding frames are all-zero: the model drops them
    per_frame = model.model.image_seq_len
    n_img = (batch["input_ids"] == model.config.image_token_id).sum(1).tolist()
    assert n_img == [16 * per_frame, 7 * per_frame]
    short = proc.tokenizer.decode(batch["input_ids"][1])
    assert "series of seven frames" in short  # its own count, not the batch maximum
    long = proc.tokenizer.decode(batch["input_ids"][0])
    assert "series of sixteen frames from a 0:00:03" in long and "Frame from 00:03:" in long  # 80 frames at 25 fps
    with torch.no_grad():
        assert torch.isfinite(model(**batch).loss)


def test_qwen_video_call_rounds_frames_to_even(models):
    fam = "qwen2_5_vl"
    model, proc = models[fam]
    batch = VideoCollator(proc, fam)(two_examples())
    # 16 frames -> t=8; 7 frames -> padded to 8 (last frame repeated) -> t=4; 56x56 px -> 4x4 patches
    assert batch["video_grid_thw"].tolist() == [[8, 4, 4], [4, 4, 4]]
    assert batch["pixel_values_videos"].shape == (8 * 16 + 4 * 16, 3 * 2 * 14 * 14)  # (sum t*h*w, C*T_p*P*P)
    n_vid = (batch["input_ids"] == model.config.video_token_id).sum(1).tolist()
    assert n_vid == [8 * 4, 4 * 4]  # 2x2 merge: 4 tokens per temporal patch = 2 per frame
    eff_fps = [16 / (80 / 25.0), 7 / (7 / 24.0)]
    assert batch["second_per_grid_ts"].tolist() == pytest.approx([2 / x for x in eff_fps])
    with torch.no_grad():
        assert torch.isfinite(model(**batch).loss)


def test_generation_batch_is_left_padded_prompt_without_labels(tiny):
    fam, model, proc = tiny
    f = get_family(fam)
    batch = VideoCollator(proc, fam, train=False)(two_examples())
    assert "labels" not in batch
    assert (batch["attention_mask"][:, -1] == 1).all() and (batch["attention_mask"][1, 0] == 0)
    text = proc.tokenizer.decode(batch["input_ids"][1], skip_special_tokens=False)
    assert ANSWERS[1] not in text
    tail = {"smolvlm": "\nAssistant:", "qwen2_5_vl": "<|im_start|>assistant\n"}[fam]
    assert text.endswith(tail)
    assert f.end_of_turn in text  # the user turn's end, not an answer's
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape[0] == 2 and out.shape[1] <= batch["input_ids"].shape[1] + 3


@pytest.mark.parametrize("answer", ["", "   ", None])
def test_example_without_answer_is_refused(tiny, answer):
    fam, _, proc = tiny
    ex = make_example(frames(4), "Translate.", answer, fps=25.0, id="empty")
    with pytest.raises(AllMaskedLabelsError, match="empty"):
        VideoCollator(proc, fam)([ex])


def test_template_that_drops_the_answer_raises_all_masked(tiny):
    """The silent trap: a template rendering no assistant text -> every label -100 -> loss 0.0."""
    fam, _, proc = tiny
    f = get_family(fam)
    dropping = f.chat_template.replace("{{ line['text'] }}", "").replace("{{ content['text'] }}", "")
    ex = make_example(frames(4), "Translate.", "am tag", fps=25.0, id="dropped")
    with pytest.raises(AllMaskedLabelsError):
        VideoCollator(proc, fam, chat_template=dropping)([ex])


def test_check_labels_rejects_an_all_masked_batch():
    check_labels(torch.tensor([[IGNORE_INDEX, 5]]))
    with pytest.raises(AllMaskedLabelsError, match="loss would be 0.0"):
        check_labels(torch.full((2, 7), IGNORE_INDEX), ["a", "b"])


def test_too_long_example_is_an_error_not_a_truncation(tiny):
    fam, _, proc = tiny
    with pytest.raises(SLTInputError, match="exceed max_length"):
        VideoCollator(proc, fam, max_length=20)([two_examples()[0]])


def test_manifest_rows_use_the_paper_sampler(tiny, tmp_path):
    """A manifest row (frame folder, 40 frames) is decoded on the fly with T_max frames (Sec 3.3)."""
    from PIL import Image

    fam, _, proc = tiny
    folder = tmp_path / "clip"
    folder.mkdir()
    for i, fr in enumerate(frames(40, size=32), 1):
        Image.fromarray(fr).save(folder / f"images{i:04d}.png")
    s = Sample(id="c1", dataset="phoenix", split="train", source=str(folder), source_kind="frames", n_frames=40, fps=25.0, text="am tag .")
    rows = rows_from_samples([s], prompt_for("phoenix").text)
    batch = VideoCollator(proc, fam, t_max=6)(rows)
    if fam == "smolvlm":
        assert batch["pixel_values"].shape[1] == 6
        text = proc.tokenizer.decode(batch["input_ids"][0])
        stamps = [f"Frame from 00:{math.floor(i / 25):02d}:" for i in sample_indices(40, 6)]
        assert all(st in text for st in stamps) and "series of six frames" in text
    else:
        assert batch["video_grid_thw"][0, 0].item() == 3
    with pytest.raises(SLTInputError, match="lacks"):
        VideoCollator(proc, fam)([{"id": "x", "prompt": "p"}])


def test_table16_prompts_verbatim():
    assert PROMPTS["phoenix"].text == "Übersetzen Sie das Video in deutscher Gebärdensprache in deutschen Text (gesprochene Sprache)."
    assert PHOENIX_PROMPT_ENGLISH == "Translate the German Sign Language video into German text (spoken language)."
    assert PROMPTS["how2sign"].text == PROMPTS["openasl"].text == "Translate the English sign language video into spoken text."
    assert PROMPTS["isign"].text == "Translate the Indian sign language video into spoken text."
    assert all(p.paper and p.source.startswith("Table 16") for p in PROMPTS.values())


def test_prompt_for_refuses_silent_non_paper_prompts():
    assert prompt_for("isign") is PROMPTS["isign"]
    with pytest.raises(SLTInputError, match="no prompt"):
        prompt_for("csl-daily")
    assert prompt_for("csl-daily", allow_non_paper=True) is NON_PAPER_PROMPTS["csl-daily"]
    assert not prompt_for("phoenix", override="Translate.").paper
    with pytest.raises(SLTInputError):
        prompt_for("nope")
