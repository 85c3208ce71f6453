"""LLaVA-SLT at scale, checked at tiny size on the CPU: input processing (App. C), streamed clips, the device helper,
micro-batches with gradient accumulation, chunked/checkpointed backbone, early stopping, and the stages on a streamed tree."""

from __future__ import annotations

import copy

import pytest
import torch

from slt_nb.errors import SLTInputError
from slt_nb.llava_slt.config import EncoderConfig, LLMConfig, TrainConfig, llm_config, stage1_config, stage2_config, stage3_config
from slt_nb.llava_slt.frames import AUGMENT_PAPER, FrameSpec, clip_generator, jitter, prepare, rotate

TINY_ENC = {"vit": {"hidden": 16, "layers": 1, "heads": 2, "patch": 8}, "frame_size": 16, "dim": 16, "heads": 2, "local_depth": 1,
            "sentence_depth": 1, "coembed_dim": 8}


def grid(t: int = 2, side: int = 6) -> torch.Tensor:
    """uint8 (t, 3, side, side): pixel (r, c) of frame f, channel k = 10 r + c + 100 k + f (a value names its place)."""
    r, c = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    return torch.stack([torch.stack([10 * r + c + 100 * k + f for k in range(3)]) for f in range(t)]).clamp(max=255).to(torch.uint8)


# ---- input processing (App. C) ------------------------------------------------------------------------------------


def test_prepare_is_the_identity_on_the_default_path():
    clip = grid(side=16)
    assert prepare(clip, FrameSpec(16), train=True) is clip
    assert prepare(clip, FrameSpec(16, None, {"color_jitter": 0.0}), train=True) is clip


def test_crops_by_hand():
    clip, spec = grid(), FrameSpec(4, 6, {"random_crop": True})
    centre = prepare(clip, spec, train=False)
    assert torch.equal(centre, clip[..., 1:5, 1:5])  # (6 - 4) // 2 = 1
    rnd = prepare(clip, spec, train=True, generator=torch.Generator().manual_seed(3))
    top, left = int(rnd[0, 0, 0, 0]) // 10, int(rnd[0, 0, 0, 0]) % 10
    assert torch.equal(rnd, clip[..., top : top + 4, left : left + 4])  # one crop for every frame of the clip
    assert torch.equal(prepare(clip, FrameSpec(4, 6), train=True), centre)  # no random_crop: central in training too
    offsets = {tuple(prepare(clip, spec, train=True, generator=clip_generator(0, e, 7))[0, 0, 0, :1].tolist()) for e in range(20)}
    assert len(offsets) > 1  # epochs draw different crops


def test_flip_jitter_rotation_by_hand():
    clip = grid()
    assert torch.equal(prepare(clip, FrameSpec(6, None, {"hflip": 1.0}), train=True), clip.flip(-1))
    assert torch.equal(prepare(clip, FrameSpec(6, None, {"hflip": 1.0}), train=False), clip)  # no augmentation at test time
    x = clip.float()
    assert torch.equal(jitter(x, 1.0, 1.0, 1.0), x)
    assert torch.allclose(jitter(x, 0.5, 1.0, 1.0), x * 0.5)
    grey = torch.full((1, 3, 2, 2), 80.0)
    assert torch.allclose(jitter(grey, 1.0, 0.3, 2.0), grey)  # a uniform grey frame has no contrast or saturation to change
    assert torch.allclose(rotate(x, 0.0), x, atol=1e-4)
    assert torch.allclose(rotate(x, 90.0), torch.rot90(x, 1, dims=(-2, -1)), atol=1e-3)  # counter-clockwise


@pytest.mark.parametrize("spec, random", [(FrameSpec(32), False), (FrameSpec(336, 384), False), (FrameSpec(336, 384, AUGMENT_PAPER), True),
                                          (FrameSpec(336, 336, {"random_crop": True}), False), (FrameSpec(32, None, {"hflip": 0.5}), True)])
def test_which_specs_make_training_frames_random(spec, random):
    assert spec.random() is random


def test_bad_specs_are_refused():
    with pytest.raises(SLTInputError, match="unknown augmentation"):
        FrameSpec.of(EncoderConfig(augment={"blur": 1}))
    with pytest.raises(SLTInputError, match="smaller than frame_size"):
        FrameSpec.of(EncoderConfig(frame_size=336, resize=224))
    with pytest.raises(SLTInputError, match="out of range"):
        FrameSpec.of(EncoderConfig(augment={"hflip": 2}))


# ---- streamed clips on a tiny tree ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    from slt_nb.data.prepare import prepare_all

    root = tmp_path_factory.mktemp("llava_stream")
    spec = {"name": "phoenix", "root": str(root / "synth"), "synth": {"lang": "de", "n_train": 8, "n_dev": 3, "n_test": 2, "width": 40,
                                                                        "height": 48, "max_glosses": 3, "n_signers": 2}}
    torch.set_num_threads(1)
    return root, prepare_all([spec], root / "manifests", seed=0)[0]


def test_streamed_and_in_memory_clips_are_the_same(tree):
    from slt_nb.data.prepare import load_split
    from slt_nb.llava_slt.data import load_clipset

    root, record = tree
    samples = load_split(record, "train")
    mem = load_clipset(samples, t_max=6, frame_size=20, crop="center", cache_dir=root / "cache", cache_gb=None)
    stream = load_clipset(samples, t_max=6, frame_size=20, crop="center", cache_dir=root / "cache", cache_gb=0)
    assert not mem.streamed and stream.streamed and not list((root / "cache").glob("*")) == []  # only the in-memory set is cached
    assert torch.equal(mem.lengths, stream.lengths) and stream.frames.shape == mem.frames.shape
    assert torch.equal(stream.frames[:2, :4], mem.frames[:2, :4])  # tensor-style indexing decodes only what it selects
    assert torch.equal(stream.frames[1], mem.frames[1])
    for spec in (None, FrameSpec(16, 20), FrameSpec(12)):
        assert torch.equal(stream.batch([3, 0, 5], spec), mem.batch([3, 0, 5], spec))
    spec = FrameSpec(16, 20, AUGMENT_PAPER)
    a = stream.batch([3, 0], spec, train=True, epoch=2, seed=1)
    b = mem.batch([6, 0, 3], spec, train=True, epoch=2, seed=1)
    assert torch.equal(a[0], b[2, : a.shape[1]]) and torch.equal(a[1, : int(mem.lengths[0])], b[1, : int(mem.lengths[0])])
    assert not torch.equal(a, stream.batch([3, 0], spec, train=True, epoch=3, seed=1))  # another epoch, other draws
    assert mem.batch([1], FrameSpec(12)).shape[-1] == 12  # an encoder variant at a lower resolution gets its own size


def test_loader_workers_build_the_same_batches(tree):
    from slt_nb.data.prepare import load_split
    from slt_nb.llava_slt.data import load_clipset
    from slt_nb.llava_slt.batches import index_loader

    _, record = tree
    clips = load_clipset(load_split(record, "train"), t_max=6, frame_size=20, crop="center", cache_gb=0)
    spec = FrameSpec(16, 20, AUGMENT_PAPER)

    def batches(workers):
        loader = index_loader(len(clips), 3, lambda idx: clips.batch(idx, spec, train=True, epoch=idx.epoch, seed=0), shuffle=True, seed=5,
                              workers=workers)
        out = []
        for epoch in range(2):
            loader.dataset.set_epoch(epoch)
            out.append([b.clone() for b in loader])
        return out

    one, two = batches(0), batches(2)
    assert all(torch.equal(x, y) for e0, e1 in zip(one, two) for x, y in zip(e0, e1))


def test_device_helpers():
    from slt_nb.llava_slt.device import loader_workers, memory_budget, resolve_device

    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(SLTInputError, match="no CUDA"):
            resolve_device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")
    cpu = torch.device("cpu")
    assert [loader_workers(cpu, True), loader_workers(cpu, False), loader_workers(cpu, True, 3)] == [0, 0, 3]
    assert loader_workers(torch.device("cuda"), False) == 0 and loader_workers(torch.device("cuda"), True) >= 0
    assert memory_budget(cpu) is None and memory_budget(cpu, 2.5) == 2_500_000_000


# ---- micro-batches, checkpointing, chunks ------------------------------------------------------------------------


def _lm(seed=0):
    from slt_nb.standins.llava_tiny import build_tiny_llm

    return build_tiny_llm(LLMConfig(hidden=32, layers=2, heads=2, intermediate=64, vocab_size=300),
                          ["morgen regen im norden .", "sonne im süden .", "wind aus west ."] * 3, seed=seed)


@pytest.mark.parametrize("micro, ckpt", [(2, False), (1, True), (4, True)])
def test_micro_batches_and_checkpointing_give_the_whole_batch_step(micro, ckpt):
    """Stage 1's loss is a token mean: micro-batches weighted by their tokens make the same update as the whole batch."""
    from slt_nb.llava_slt.stage1 import _lm_batches, _lm_step, _lm_tokens
    from slt_nb.llava_slt.batches import train_loader
    from slt_nb.llava_slt.train import fit

    docs = ["morgen regen im norden .", "sonne .", "wind aus west und nord .", "im süden sonne und regen ."] * 2
    trained = []
    for tc in (TrainConfig(epochs=2, batch_size=4, lr=1e-2), TrainConfig(epochs=2, batch_size=4, lr=1e-2, micro_batch_size=micro,
                                                                          gradient_checkpointing=ckpt)):
        model, tok = _lm()
        collate, n = _lm_batches(tok, docs)
        logs = fit(model, list(model.parameters()), train_loader(n, tc, collate, seed=0), tc, _lm_step, log=None, weight=_lm_tokens,
                   checkpointing=[model])
        assert len(logs) == 4 and not model.is_gradient_checkpointing  # 2 steps per epoch whatever the micro-batch; switched off after
        trained.append((logs, model))
    (la, a), (lb, b) = trained
    assert [x["loss"] for x in la] == pytest.approx([x["loss"] for x in lb], rel=1e-4)
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.allclose(p, q, atol=1e-5), n


def test_micro_batch_must_divide_the_batch():
    from slt_nb.llava_slt.batches import micro_batch

    assert [micro_batch(TrainConfig(batch_size=8)), micro_batch(TrainConfig(batch_size=8, micro_batch_size=2)),
            micro_batch(TrainConfig(batch_size=4, micro_batch_size=8))] == [8, 2, 4]
    with pytest.raises(SLTInputError, match="must divide"):
        micro_batch(TrainConfig(batch_size=8, micro_batch_size=3))


def test_chunked_backbone_gives_the_same_features_and_gradients():
    from slt_nb.llava_slt.encoder import HierarchicalEncoder

    torch.manual_seed(0)
    enc = HierarchicalEncoder(EncoderConfig(**TINY_ENC))
    x, lengths = torch.randint(0, 256, (2, 5, 3, 16, 16), dtype=torch.uint8), torch.tensor([5, 3])
    grads = []
    for chunk in (None, 3):
        enc.zero_grad()
        enc.chunk = chunk
        out = enc(x, lengths)
        out.sentence.square().sum().backward()
        grads.append((out.sentence.detach(), [p.grad.clone() for p in enc.backbone.parameters() if p.grad is not None]))
    assert torch.allclose(grads[0][0], grads[1][0], atol=1e-5)
    assert len(grads[0][1]) == len(grads[1][1]) > 0 and all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads[0][1], grads[1][1]))
    enc.backbone.requires_grad_(False)
    assert not enc.frame_features(x, lengths).requires_grad  # a frozen backbone runs without autograd


# ---- stage 3: micro-batches and early stopping -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny3():
    from slt_nb.llava_slt.data import ClipSet

    llm, tok = _lm()
    torch.manual_seed(0)
    texts = ["morgen regen im norden .", "sonne im süden .", "wind aus west .", "morgen sonne im westen ."]
    clips = ClipSet("phoenix", "dev", [f"c{i}" for i in range(4)], texts, [None] * 4, torch.randint(0, 256, (4, 8, 3, 16, 16), dtype=torch.uint8),
                    torch.tensor([8, 6, 5, 8]))
    return llm, tok, clips


def _model(tiny3, cfg):
    from slt_nb.llava_slt.encoder import HierarchicalEncoder
    from slt_nb.llava_slt.stage3 import build_model

    llm, tok, _ = tiny3
    torch.manual_seed(0)
    return build_model(HierarchicalEncoder(stage2_config({"encoder": TINY_ENC}).encoder), copy.deepcopy(llm), tok, "phoenix", cfg)


def test_stage3_micro_batches_match_whole_batches(tiny3, tmp_path):
    from slt_nb.llava_slt.stage3 import run_stage3

    out = []
    for i, micro in enumerate((None, 2)):
        cfg = stage3_config({"train": {"epochs": 2, "batch_size": 4, "micro_batch_size": micro}, "full_tune": None})
        model = _model(tiny3, cfg)
        run_stage3(model, tiny3[1], tiny3[2], cfg, tmp_path / f"s{i}", "k", log=None)
        out.append(torch.cat([p.flatten() for p in model.connector.parameters()]))
    assert torch.allclose(out[0], out[1], atol=1e-5)


def test_stage3_early_stopping_keeps_the_best_dev_epoch(tiny3, tmp_path):
    from slt_nb.llava_slt.stage3 import run_stage3, translate
    from slt_nb.llava_slt.stage_dirs import load_modules

    cfg = stage3_config({"train": {"epochs": 6, "batch_size": 2, "lr": 3e-2}, "full_tune": None, "patience": 1, "max_new_tokens": 6})
    model = _model(tiny3, cfg)
    lines = []
    done = run_stage3(model, tiny3[1], tiny3[2], cfg, tmp_path / "es", "k", dev=tiny3[2], log=lines.append)
    bleu, best = done["dev_bleu"], done["best_epoch"]
    assert best == 1 + bleu.index(max(bleu)) and done["epochs_trained"] == len(bleu) == min(6, best + 1)
    assert len(done["history"]) == 2 * len(bleu)  # 2 steps per epoch until it stopped
    assert any(line.startswith("memory estimate, stage 3a (connector)") for line in lines)
    saved = _model(tiny3, cfg)
    load_modules(tmp_path / "es" / "connector.safetensors", connector=saved.connector)
    assert all(torch.equal(p, q) for p, q in zip(saved.connector.parameters(), model.connector.parameters()))  # the best epoch's weights
    from slt_nb.llava_slt.report import prediction_rows, score

    preds = translate(model, tiny3[1], tiny3[2], max_new_tokens=6)
    assert score(prediction_rows(tiny3[2], preds, model="m", params_hash=None), "phoenix")["BLEU-4"] == pytest.approx(max(bleu))
    with pytest.raises(SLTInputError, match="needs the dev split"):
        run_stage3(_model(tiny3, cfg), tiny3[1], tiny3[2], cfg, tmp_path / "es2", "k", log=None)


def test_stage3_refuses_what_does_not_fit(tiny3, tmp_path):
    from slt_nb.llava_slt.stage3 import run_stage3

    cfg = stage3_config({"train": {"epochs": 1, "batch_size": 4}, "full_tune": None})
    with pytest.raises(SLTInputError, match="stage 3a .* more than the 0.0 GB") as e:
        run_stage3(_model(tiny3, cfg), tiny3[1], tiny3[2], cfg, tmp_path / "no", "k", memory_budget_gb=1e-6, log=None)
    assert "llava_stage3.train" in str(e.value) and not (tmp_path / "no").exists()


# ---- every stage with streamed clips on the tiny tree -------------------------------------------------------------


def test_stages_run_on_streamed_clips_with_augmentation(tree):
    from slt_nb.llava_slt import pipeline
    from slt_nb.llava_slt.stage_dirs import read_done

    root, record = tree
    run_dir = root / "runs"
    enc = {**TINY_ENC, "frame_size": 16, "resize": 20, "crop": "center", "augment": AUGMENT_PAPER}
    s2 = stage2_config({"encoder": enc, "text": {"dim": 64}, "train": {"epochs": 1, "batch_size": 4, "micro_batch_size": 2, "backbone_chunk": 5}})
    lines = []
    res = pipeline.pretrain(record, run_dir=run_dir, t_max=6, llm=llm_config({"hidden": 32, "layers": 1, "heads": 2, "intermediate": 64,
                                                                                  "vocab_size": 320}),
                            stage1=stage1_config({"train": {"epochs": 1, "micro_batch_size": 8}}), stage2=s2,
                            variants={"frozen": {"backbone_from": "main"}}, seed=0, log=lines.append, clip_cache_gb=0)
    memory = [ln for ln in lines if ln.startswith("memory estimate")]
    assert [ln.split(":")[0] for ln in memory] == ["memory estimate, stage 1 (continued pretraining)"] + ["memory estimate, stage 2 (visual contrastive)"] * 2
    assert "backbone trains" in memory[1] and "backbone frozen" in memory[2]  # augmented frames: no features computed once
    assert all("(on cpu: not checked)" in ln for ln in memory)
    assert len(res["stage2"]["main"]["history"]) == 2  # 8 clips in batches of 4, as 2 x 2 micro-batches
    s3 = stage3_config({"train": {"epochs": 2, "batch_size": 4, "micro_batch_size": 2}, "patience": 1, "max_new_tokens": 4,
                        "full_tune": {"epochs": 1, "batch_size": 4, "micro_batch_size": 2, "backbone_chunk": 5},
                        "full_tune_parts": ["connector", "temporal", "backbone"]})
    out = pipeline.tune(record, run_dir=run_dir, stage3=s3, splits=("test",), seed=0, controls=None, log=lines.append, clip_cache_gb=0)
    assert out["clips"]["train"].streamed and set(out["clips"]) == {"train", "test"}
    assert len(out["predictions"]["main"]["test"]) == 2
    done = read_done(run_dir / "phoenix" / "stage3-main")
    assert done["best_epoch"] >= 1 and len(done["dev_bleu"]) == done["epochs_trained"]
    assert sum(ln.startswith("memory estimate, stage 3") for ln in lines) == 2


def test_tuning_variants_in_workers_predict_what_one_process_does(tree, tmp_path):
    """llava_jobs: the variants in 2 spawned workers give the same summaries' losses, the same predictions and the
    same log lines in the variants' order as in this process; a variant failing in a worker is named."""
    from slt_nb.llava_slt import pipeline

    _, record = tree
    run_dir = tmp_path / "runs"
    pipeline.pretrain(record, run_dir=run_dir, t_max=4, llm=llm_config({"hidden": 32, "layers": 1, "heads": 2, "intermediate": 64, "vocab_size": 320}),
                      stage1=stage1_config({"train": {"epochs": 1}}), stage2=stage2_config({"encoder": {**TINY_ENC, "frame_size": 16},
                                                                                              "text": {"dim": 64}, "train": {"epochs": 1}}),
                      seed=0, log=lambda _: None)
    s3 = stage3_config({"train": {"epochs": 1, "batch_size": 4}, "full_tune": {"epochs": 1, "batch_size": 4}, "max_new_tokens": 4})
    variants = {"linear_connector": {"connector": "linear"}, "no_prompting": {"prompting": "none"}}
    outs, logs = {}, {}
    for jobs in (1, 2):
        logs[jobs] = []
        outs[jobs] = pipeline.tune(record, run_dir=run_dir, stage3=s3, variants=variants, splits=("dev", "test"), seed=0, force=True,
                                   log=logs[jobs].append, jobs=jobs)
    one, two = outs[1], outs[2]
    assert list(two["predictions"]) == list(one["predictions"]) == ["main", "main/shuffled_video", "main/no_full_tune", "linear_connector", "no_prompting"]
    assert two["predictions"] == one["predictions"]
    assert {k: [h["loss"] for h in r["history"]] for k, r in two["runs"].items()} == {k: [h["loss"] for h in r["history"]] for k, r in one["runs"].items()}
    assert [ln.split(":")[0] for ln in logs[2]] == [ln.split(":")[0] for ln in logs[1]]  # same lines, same order
    assert (run_dir / "phoenix" / "logs" / "stage3-no_prompting.log").is_file()
    with pytest.raises(SLTInputError, match="variant 'broken' failed in a worker"):
        pipeline.tune(record, run_dir=run_dir, stage3=s3, variants={"broken": {"encoder_variant": "nope"}}, splits=("test",), seed=0, log=lambda _: None, jobs=2)
    with pytest.raises(SLTInputError, match="jobs must be a positive integer"):
        pipeline.tune(record, run_dir=run_dir, stage3=s3, jobs=0)


def test_benchmark_table_on_the_tiny_tree(tree, tmp_path):
    """benchmarks/bench_llava.py's table: a row per stage and clip source, positive rates, estimates where a stage trains."""
    from slt_nb.bench.llava import Sizes, llava_table
    from slt_nb.data.prepare import load_split

    _, record = tree
    samples = {sp: load_split(record, sp) for sp in ("train", "dev", "test")}
    t = llava_table(samples, Sizes(t_max=4, frame_size=16, resize=20, batch_size=4), "cpu", tmp_path)
    assert [(r["stage"][:1], r["clips in"], r["augment"]) for r in t.rows] == [
        ("1", "-", False), *[row for m, a in (("memory", False), ("streamed", False), ("streamed", True))
                             for row in (("2", m, a), ("3", m, a), ("3", m, False))]]  # decoding never augments
    assert all(r["clips/s"] > 0 for r in t.rows)
    assert all(r["estimate MiB"] is not None for r in t.rows if "decoding" not in r["stage"])
