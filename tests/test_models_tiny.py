"""Tiny offline SmolVLM / Qwen2.5-VL: build, save, reload through from_pretrained, same logits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from slt_nb.errors import SLTInputError
from slt_nb.models.chat_templates import QWEN2_5_VL_OFFICIAL_TEMPLATE
from slt_nb.models.load import load_model_and_processor
from slt_nb.models.registry import FAMILIES, family_of_hub_id, get_family
from slt_nb.models.load import param_counts
from slt_nb.standins.tiny import BUILD_INFO, TINY, ensure_tiny, make_tiny
from slt_nb.train.collate import VideoCollator, build_messages, make_example

CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
FAMS = sorted(FAMILIES)


def moving_square(n: int, size: int = 40, seed: int = 0) -> np.ndarray:
    """n frames (uint8 (n, size, size, 3)) of a square moving across a coloured background."""
    rng = np.random.default_rng(seed)
    frames = np.empty((n, size, size, 3), np.uint8)
    frames[:] = rng.integers(0, 255, 3, dtype=np.uint8)
    for t in range(n):
        x = (t * 3) % (size - 8)
        frames[t, 10:18, x : x + 8] = 255 - frames[t, 0, 0]
    return frames


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """family -> (in-memory model, processor, saved folder)."""
    out = {}
    for fam in FAMS:
        model, proc = make_tiny(fam, CORPUS, seed=0)
        folder = ensure_tiny(fam, CORPUS, tmp_path_factory.getbasetemp() / f"tiny-{fam}", seed=0)
        out[fam] = (model, proc, folder)
    return out


@pytest.mark.parametrize("fam", FAMS)
def test_reload_gives_identical_logits(built, fam):
    model, proc, folder = built[fam]
    model2, proc2 = load_model_and_processor(fam, folder)
    assert type(model2) is type(model) and type(proc2) is type(proc)
    assert (folder / "model.safetensors").is_file()
    ex = [make_example(moving_square(9), "Translate.", "am tag .", fps=25.0, id="x")]
    b1, b2 = VideoCollator(proc, fam)(ex), VideoCollator(proc2, fam)(ex)
    assert b1.keys() == b2.keys()
    for k in b1:
        assert torch.equal(b1[k], b2[k]), k
    model2.eval()
    with torch.no_grad():
        l1, l2 = model(**b1).logits, model2(**b2).logits
    assert torch.equal(l1, l2)


@pytest.mark.parametrize("fam", FAMS)
def test_tiny_is_small_and_the_real_architecture(built, fam):
    model, proc, folder = built[fam]
    counts = param_counts(model)
    assert counts["total"] < 300_000
    assert counts["vision_tower"] > 0 and counts["connector"] > 0 and counts["language_model"] > 0
    info = json.loads((folder / BUILD_INFO).read_text())
    assert info["params"] == counts and info["family"] == fam
    assert type(model).__name__ == get_family(fam).model_class
    assert type(proc).__name__ == get_family(fam).processor_class


@pytest.mark.parametrize("fam", FAMS)
def test_special_tokens_are_single_ids_and_text_round_trips(built, fam):
    tok = built[fam][1].tokenizer
    for t in TINY[fam].special_tokens:
        ids = tok(t, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1 and tok.convert_ids_to_tokens(ids[0]) == t
    for text in ["Straße über süden", "नमस्ते दुनिया", "今天天气很好"]:  # byte-level: no unknown token
        assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


ZH_CORPUS = ["我明天要去面馆。", "谢谢你的帮助。", "他们身体不舒服，今天要去医院。", "我明天要去面馆。", "谢谢你的帮助。"] * 20


@pytest.mark.parametrize("fam", FAMS)
@pytest.mark.parametrize("text, pieces", [
    ("我明天要去面馆。", ["我", "明", "天", "要", "去", "面", "馆", "。"]),
    ("谢谢你的帮助。", ["谢", "谢", "你", "的", "帮", "助", "。"]),
    ("明天 我 去", ["明", "天", " ", "我", " ", "去"]),
])
def test_a_token_holds_at_most_one_cjk_ideograph(fam, text, pieces):
    """On a small corpus of repeated Chinese sentences, byte-level BPE without word boundaries merged whole
    clauses ("我明天要去面馆" one token); the tiny tokenizer keeps one ideograph per token."""
    from slt_nb.standins.tiny import train_tokenizer

    tok = train_tokenizer(ZH_CORPUS, fam)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert [tok.decode([i]) for i in ids] == pieces
    assert tok.decode(ids) == text


@pytest.mark.parametrize("fam", FAMS)
def test_text_without_ideographs_tokenises_as_plain_byte_level_bpe(fam):
    """The CJK split changes nothing elsewhere: the same ids as a byte-level BPE trained without it."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from slt_nb.standins.tiny import train_tokenizer
    from slt_nb.train.prompts import PROMPTS

    corpus = CORPUS * 5 + ["Straße über süden", "नमस्ते दुनिया"]
    spec = TINY[fam]
    plain = Tokenizer(models.BPE())
    plain.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    plain.decoder = decoders.ByteLevel()
    plain.train_from_iterator(corpus + [p.text for p in PROMPTS.values()] + list(spec.boilerplate()),
                              trainers.BpeTrainer(vocab_size=1024, special_tokens=list(spec.special_tokens), show_progress=False,
                                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    ref = getattr(transformers, spec.tokenizer_class)(tokenizer_object=plain, **spec.tokenizer_kwargs)
    ours = train_tokenizer(corpus, fam)
    assert ours.get_vocab() == ref.get_vocab()
    for text in corpus + ["a sentence never seen , with umlauts: äöü"]:
        assert ours(text, add_special_tokens=False)["input_ids"] == ref(text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("width, height, grid", [
    (96, 96, (1, 4, 4)),  # square: 56 x 56 (with max_pixels == 56 * 56 exactly, smart_resize floored it to 28 x 28)
    (80, 96, (1, 4, 2)),  # PHOENIX's synthetic portrait frame: 56 x 28
    (210, 260, (1, 4, 2)),  # the real PHOENIX-2014T frame
    (512, 512, (1, 4, 4)),  # the real CSL-Daily frame
    (160, 96, (1, 2, 4)),  # landscape
])
def test_tiny_qwen_frame_grid(built, width, height, grid):
    """(temporal, height, width) patches of one 2-frame video: the tiny Qwen2.5-VL sees about 56 x 56 pixels a frame."""
    proc = built["qwen2_5_vl"][1]
    frames = np.zeros((2, height, width, 3), np.uint8)
    out = proc.video_processor(videos=[frames], return_tensors="pt")
    assert tuple(out["video_grid_thw"][0].tolist()) == grid


@pytest.mark.parametrize(
    "fam, official",
    [("smolvlm", "transformers.models.smolvlm.processing_smolvlm.DEFAULT_CHAT_TEMPLATE"), ("qwen2_5_vl", None)],
)
def test_explicit_template_renders_like_the_official_one(built, fam, official):
    import importlib

    if official:
        mod, name = official.rsplit(".", 1)
        official_template = getattr(importlib.import_module(mod), name)
    else:
        official_template = QWEN2_5_VL_OFFICIAL_TEMPLATE
    proc, template = built[fam][1], get_family(fam).chat_template
    assert "{% generation %}" in template
    system = [{"role": "system", "content": [{"type": "text", "text": "Sys."}]}]
    for msgs, gen in [(build_messages("P."), True), (build_messages("P.", "the answer ."), False), (system + build_messages("P", "A"), False)]:
        ours = proc.apply_chat_template(msgs, chat_template=template, add_generation_prompt=gen, tokenize=False)
        theirs = proc.apply_chat_template(msgs, chat_template=official_template, add_generation_prompt=gen, tokenize=False)
        assert ours == theirs


@pytest.mark.parametrize("fam", FAMS)
def test_generation_markers_cover_answer_and_end_of_turn(built, fam):
    """The tokenizer's own assistant mask (from {% generation %}) = answer + end-of-turn token."""
    proc, f = built[fam][1], get_family(fam)
    out = proc.tokenizer.apply_chat_template(build_messages("P.", "am tag ."), chat_template=f.chat_template, tokenize=True,
                                             return_dict=True, return_assistant_tokens_mask=True)
    ids = [i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert proc.tokenizer.decode(ids).strip() == "am tag ." + f.end_of_turn


def test_ensure_tiny_reuses_and_rebuilds(tmp_path):
    folder = ensure_tiny("qwen2_5_vl", CORPUS, tmp_path / "t")
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    first = json.loads((folder / BUILD_INFO).read_text())["fingerprint"]
    assert ensure_tiny("qwen2_5_vl", CORPUS, tmp_path / "t") == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rebuilt
    ensure_tiny("qwen2_5_vl", CORPUS + ["neu ."], tmp_path / "t")  # another corpus: rebuilt
    assert json.loads((folder / BUILD_INFO).read_text())["fingerprint"] != first
    assert not list(tmp_path.glob(".t.*"))  # no temporary folder left behind


@pytest.mark.parametrize("bad", ["/nonexistent/tiny", "not-a-hub-id"])
def test_loading_something_unloadable_is_a_clear_error(bad):
    with pytest.raises(SLTInputError):
        load_model_and_processor("smolvlm", bad)


@pytest.mark.parametrize(
    "fam, hub_id, r, alpha, dropout, lr, sched",
    [
        ("smolvlm", "HuggingFaceTB/SmolVLM2-2.2B-Instruct", 64, 64, 0.1, 1e-4, "linear"),
        ("qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct", 64, 64, 0.05, 1e-5, "cosine"),
    ],
)
def test_registry_holds_the_paper_values(fam, hub_id, r, alpha, dropout, lr, sched):
    f = get_family(fam)
    assert f.default_hub_id == hub_id and family_of_hub_id(hub_id) is f
    assert (f.lora.r, f.lora.alpha, f.lora.dropout) == (r, alpha, dropout)
    assert (f.train.learning_rate, f.train.lr_scheduler_type) == (lr, sched)
    assert (f.train.per_device_train_batch_size, f.train.gradient_accumulation_steps, f.train.num_train_epochs) == (1, 4, 10)
    assert (f.train.t_max, f.train.max_new_tokens) == (64, 128)
    assert f.resolve_classes()[0].__name__ == f.model_class


def test_registry_lists_the_smaller_smolvlm2_scales():
    ids = get_family("smolvlm").hub_ids
    assert "HuggingFaceTB/SmolVLM2-500M-Video-Instruct" in ids and "HuggingFaceTB/SmolVLM2-256M-Video-Instruct" in ids
    with pytest.raises(SLTInputError):
        get_family("llava")
    with pytest.raises(SLTInputError):
        family_of_hub_id("someone/other-model")
