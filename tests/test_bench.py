"""The benchmark helpers (slt_nb.bench): FLOPs and MFU arithmetic, real configs, budget rows, data path, tables.

No timing assertions: rates are only checked to be positive; what is asserted is arithmetic,
counts and equivalences (e.g. the paper and optimised training configurations give the same losses).
"""

from __future__ import annotations

import json
import math

import pytest
import torch

from slt_nb.bench.flops import SampleShape, batch_shape, model_dims, train_flops
from slt_nb.errors import SLTInputError

# A known tiny SmolVLM: text 64 wide, 2 layers, 4 heads / 2 KV (head_dim 16), MLP 128, vocab 100;
# SigLIP 32 wide, 2 layers, MLP 64, 32 px images of 8 px patches; pixel shuffle 2.
TEXT = dict(vocab_size=100, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            tie_word_embeddings=False, pad_token_id=0)
VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8)
# by hand: LM per layer q 64*64 + k 64*32 + v 64*32 + o 64*64 + MLP 3*64*128 = 36,864; x2 + LM head 100*64
LM_PARAMS = 2 * 36_864 + 100 * 64
# vision: patch conv 3*8*8*32 + 32; per layer 4 x (32*32 + 32) + (32*64 + 64) + (64*32 + 32) = 8,416; x2
VISION_PARAMS = 6_176 + 2 * 8_416
CONNECTOR_PARAMS = 32 * 2**2 * 64  # Linear(32 * scale^2 -> 64), no bias
# LoRA r=64 per layer: q (64+64) + k (64+32) + v (64+32) + o (64+64) + gate/up (64+128) x2 + down (128+64), times r
LORA_PARAMS = 2 * 64 * (128 + 96 + 96 + 128 + 3 * 192)


def tiny_smolvlm(device="cpu"):
    from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration

    cfg = SmolVLMConfig(text_config=TEXT, vision_config=VISION, scale_factor=2, image_token_id=5, pad_token_id=0)
    with torch.device(device):
        return SmolVLMForConditionalGeneration(cfg)


def test_model_dims_match_hand_counts_and_peft():
    from slt_nb.models.load import apply_lora, trainable_report

    model = tiny_smolvlm()
    dims = model_dims(model, "smolvlm")
    assert (dims.vision, dims.connector, dims.lm, dims.lora) == (VISION_PARAMS, CONNECTOR_PARAMS, LM_PARAMS, LORA_PARAMS)
    assert (dims.lm_layers, dims.lm_attn_dim, dims.vision_layers, dims.vision_attn_dim, dims.vision_full_layers) == (2, 64, 2, 32, 2)
    report = trainable_report(apply_lora(model, "smolvlm"), "smolvlm")
    assert report["lora"] == LORA_PARAMS and report["connector"] == CONNECTOR_PARAMS
    with pytest.raises(SLTInputError, match="before PEFT"):
        model_dims(model, "smolvlm")  # apply_lora wrapped it in place


def test_train_flops_formula_by_hand():
    dims = model_dims(tiny_smolvlm("meta"), "smolvlm")
    shape = SampleShape(patches=160, visual_tokens=40, lm_tokens=100, attn_span=16, window_span=16)
    f = train_flops(dims, shape, "lora")
    assert f["vision"] == 2 * VISION_PARAMS * 160  # frozen, nothing trainable upstream: forward only
    assert f["connector"] == 6 * CONNECTOR_PARAMS * 40  # trained: 6N per visual token
    assert f["lm"] == 4 * LM_PARAMS * 100  # frozen, gradients pass through: 4N per LM token
    assert f["lora"] == 6 * LORA_PARAMS * 100
    vision_attn = 4 * 32 * 160 * (2 * 16)  # 4 d n P per layer, 2 full-attention layers, forward only
    lm_attn = 3 * 2 * 2 * 64 * 100**2  # causal 2 d S^2 per layer, x3 with the backward
    assert f["attention"] == vision_attn + lm_attn
    assert f["total"] == sum(v for k, v in f.items() if k != "total")
    full = train_flops(dims, shape, "full")
    assert full["vision"] == 6 * VISION_PARAMS * 160 and full["lm"] == 6 * LM_PARAMS * 100 and full["lora"] == 0
    with pytest.raises(SLTInputError, match="strategy"):
        train_flops(dims, shape, "qlora")


def test_mfu_arithmetic():
    from slt_nb.bench.environment import mfu

    assert mfu(1e12, 2.0, 1e12) == pytest.approx(0.5)
    assert mfu(312e12 * 0.35 * 10, 10.0, 312e12) == pytest.approx(0.35)
    assert mfu(1e12, 1.0, None) is None


@pytest.mark.parametrize("absolute", [False, True])
def test_cpu_peak_memory_after_memory_was_freed(absolute):
    """The CI fault: a run that only reuses freed memory has zero resident-set growth, so a figure that
    stands for 'what must fit' (absolute=True, as CUDA's max_memory_allocated) is the high-water mark itself."""
    from slt_nb.bench.environment import PeakMemory

    big = torch.ones(64 * 2**20 // 4)  # 64 MiB, touched
    del big
    with PeakMemory("cpu", absolute=absolute) as pm:
        x = torch.ones(2**20)
    assert pm.peak_mib is not None and pm.peak_mib >= 0 and x.numel() == 2**20
    if absolute:
        assert pm.peak_mib > 64 and "- VmRSS" not in pm.how  # the process: torch itself is resident
    else:
        assert pm.peak_mib < 64 and "- VmRSS at start" in pm.how


def test_batch_shape_counts_real_frames_and_tokens():
    from types import SimpleNamespace

    cfg = SimpleNamespace(vision_config=SimpleNamespace(patch_size=8), scale_factor=2)
    pv = torch.ones(2, 3, 3, 32, 32)
    pv[1, 2] = 0  # the collator's padding frame
    batch = {"pixel_values": pv, "attention_mask": torch.tensor([[1] * 10, [1] * 7 + [0] * 3])}
    s = batch_shape(batch, cfg, "smolvlm")
    assert (s.patches, s.visual_tokens, s.lm_tokens, s.attn_span) == (5 * 16, 5 * 4, 17, 16)
    assert s.lm_attn_sq == 10**2 + 7**2
    qcfg = SimpleNamespace(vision_config=SimpleNamespace(patch_size=14, spatial_merge_size=2, window_size=56))
    q = batch_shape({"video_grid_thw": torch.tensor([[2, 4, 4]]), "attention_mask": torch.ones(1, 9)}, qcfg, "qwen2_5_vl")
    assert (q.patches, q.visual_tokens, q.attn_span, q.window_span) == (32, 8, 16, 16)


def test_real_configs_have_the_published_sizes():
    from slt_nb.bench.real_configs import REAL_MODELS, build_model, visual_geometry

    expected = {"smolvlm2-2.2b": 2.25e9, "smolvlm2-500m": 0.507e9, "smolvlm2-256m": 0.256e9, "qwen2.5-vl-3b": 3.75e9}
    for name in REAL_MODELS:
        model = build_model(name)  # meta device
        assert next(model.parameters()).device.type == "meta"
        assert sum(p.numel() for p in model.parameters()) == pytest.approx(expected[name], rel=0.01), name
    assert visual_geometry("smolvlm2-2.2b", 64, 260, 210)["visual_tokens"] == 64 * 81  # 27 x 27 patches, shuffle 3
    qwen = visual_geometry("qwen2.5-vl-3b", 64, 260, 210)  # 210 x 260 -> 308 x 364 (min 128 * 28^2 pixels) -> 22 x 26 patches
    assert qwen == {"patches": 32 * 22 * 26, "visual_tokens": 32 * 22 * 26 // 4, "attn_span": 22 * 26, "window_span": 64}


def test_budget_has_every_paper_table_and_says_projected():
    from slt_nb.bench.budget import A100_PEAK, ASSUMED_MFU, DATASETS, budget_table

    table = budget_table()
    runs = [r for r in table.rows if r["run"] != "total"]
    t3 = [r for r in runs if r["table"] == "Table 3"]
    assert {(r["model"], r["dataset"]) for r in t3} == {(m, d.label) for m in ("smolvlm2-2.2b", "qwen2.5-vl-3b") for d in DATASETS.values()}
    assert all(r["epochs"] == 10 and r["T_max"] == 64 and r["strategy"] == "lora" for r in t3)
    t8 = [r for r in runs if r["table"] == "Table 8"]
    assert {r["strategy"] for r in t8} == {"full", "lm_only", "vision_only", "lora"} and all(r["epochs"] == 5 for r in t8)
    assert {r["model"] for r in t8} == {"smolvlm2-256m", "smolvlm2-500m", "smolvlm2-2.2b"}
    assert sorted(r["T_max"] for r in runs if r["table"] == "Table 9") == [64, 256]
    assert {r["train clips"] for r in t3} == {7096, 31128, 96476, 43000}
    for r in runs:
        assert r["GPU-h"] > 0 and r["basis"] == f"projected from FLOPs at assumed MFU {ASSUMED_MFU}"
        hours = r["TFLOP/clip"] * 1e12 * r["train clips"] * r["epochs"] / (A100_PEAK * ASSUMED_MFU) / 3600
        assert r["GPU-h"] == pytest.approx(hours)
    totals = {r["table"]: r["GPU-h"] for r in table.rows if r["run"] == "total"}
    assert totals["all"] == pytest.approx(sum(r["GPU-h"] for r in runs))
    assert any("not a measurement" in n for n in table.notes)


def test_measured_mfu_only_from_a_cuda_table(tmp_path):
    from slt_nb.bench.budget import measured_mfu

    body = "model,config,MFU\nsmolvlm2-2.2b,paper,0.41\nsmolvlm2-2.2b,optimised,0.5\ntiny:smolvlm,paper,0.3\n"
    (tmp_path / "gpu.csv").write_text("# device: cuda (NVIDIA H100)\n" + body)
    (tmp_path / "cpu.csv").write_text("# device: cpu\n" + body)
    assert measured_mfu(tmp_path / "gpu.csv") == {"smolvlm2-2.2b": (0.41, "cuda (NVIDIA H100)")}
    assert measured_mfu(tmp_path / "cpu.csv") == {} and measured_mfu(tmp_path / "missing.csv") == {}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from slt_nb.bench.corpus import ensure_corpus, load_samples

    root = ensure_corpus(tmp_path_factory.mktemp("bench"), "phoenix", n_train=4, n_dev=1, n_test=1, min_glosses=6, progress=False)
    return load_samples(root, "phoenix", "train")


def test_sampled_decoding_touches_only_t_max_frames(corpus, monkeypatch):
    import PIL.Image

    from slt_nb.bench.data_path import decode_table, time_decode

    t_max = 8
    assert all(s.n_frames > t_max for s in corpus)
    opened = []
    real_open = PIL.Image.open
    monkeypatch.setattr(PIL.Image, "open", lambda fp, *a, **k: opened.append(fp) or real_open(fp, *a, **k))
    r = time_decode(corpus, t_max, "sampled")
    assert r["frames"] == len(opened) == t_max * len(corpus) and r["seconds"] > 0
    opened.clear()
    r_all = time_decode(corpus, t_max, "all")
    assert r_all["frames"] == len(opened) == sum(s.n_frames for s in corpus)
    table = decode_table([("synthetic", corpus)], t_max=t_max, repeats=1)
    assert [r["mode"] for r in table.rows] == ["sampled", "all"]
    assert all(r["frames/s"] > 0 and r["clips/s"] > 0 for r in table.rows)


def test_paper_and_optimised_configurations_train_the_same(corpus):
    from slt_nb.bench.grouping import length_grouped
    from slt_nb.bench.train_bench import decode_examples
    from slt_nb.bench.train_step import configs, loss_agreement, run_config
    from slt_nb.standins.tiny import make_tiny
    from slt_nb.train.collate import VideoCollator
    from slt_nb.train.prompts import prompt_for

    examples, decode_s = decode_examples(corpus, prompt_for("phoenix").text, t_max=4)
    base, processor = make_tiny("qwen2_5_vl", [s.text for s in corpus])
    collator = VideoCollator(processor, "qwen2_5_vl", train=True, t_max=4)
    groups = length_grouped([len(ex["answer"]) for ex in examples], 2, 4)
    runs = {c.name: run_config(base, "qwen2_5_vl", c, collator, examples, groups, device="cpu", dtype=torch.float32, lr=1e-3, seed=0,
                               warmup=1, peak=1e11, progress=False) for c in configs(cuda=False)}
    for name, r in runs.items():
        assert len(r["losses"]) == 2 and r["samples"] == 4 and r["flops"] > 0 and 0 < r["mfu"], name
        assert loss_agreement(runs["paper"]["losses"], r["losses"])[0] < 1e-4, name  # same data, same init: same training
    assert runs["paper"]["losses"][0] != runs["paper"]["losses"][-1]  # and it did train
    assert decode_s > 0


def test_frozen_under_no_grad_keeps_gradients_of_trained_parts():
    import torch.nn as nn

    from slt_nb.bench.train_step import frozen_under_no_grad

    frozen, act, trained = nn.Linear(3, 3), nn.GELU(), nn.Linear(3, 3)
    frozen.requires_grad_(False)
    tower = nn.Sequential(frozen, nn.Sequential(nn.Linear(3, 3).requires_grad_(False), act, trained))
    assert frozen_under_no_grad(tower) == 2  # the two frozen Linears; not the GELU, not the trained Linear
    tower(torch.randn(2, 3)).sum().backward()
    assert trained.weight.grad is not None and frozen(torch.randn(1, 3)).grad_fn is None


def test_grouping_and_padding():
    from slt_nb.bench.grouping import length_grouped, padding_fraction, random_groups

    lengths = [10, 100, 11, 99, 12, 98, 13, 97]
    groups = length_grouped(lengths, 4, 2, mega=4, seed=0)
    assert all(len(g) == 2 for g in groups) and sorted(i for g in groups for i in g) == list(range(8))  # one epoch
    assert padding_fraction(lengths, groups) < padding_fraction(lengths, [[0, 1], [2, 3], [4, 5], [6, 7]])
    assert padding_fraction([5, 5], [[0, 1]]) == 0.0 and len(random_groups(8, 6, 2)) == 6


def test_tables_are_written_atomically_with_header(tmp_path):
    import pandas as pd

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import BenchTable

    t = BenchTable("demo", "Demo", ["name", "rate"], notes=["a note"], header=machine_header("cpu", command=["python", "x.py", "--flag"]))
    t.add(name="a", rate=1.5)
    t.add(name="b", rate=None)
    paths = t.write(tmp_path / "out")
    df = pd.read_csv(paths["csv"], comment="#")
    assert list(df.columns) == ["name", "rate"] and df["rate"].iloc[0] == 1.5 and math.isnan(df["rate"].iloc[1])
    text = paths["csv"].read_text()
    assert "# command: python x.py --flag" in text and "# torch threads:" in text and "# device: cpu" in text
    md = paths["md"].read_text()
    assert md.startswith("# Demo") and "| a | 1.5 |" in md and "- a note" in md
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["demo.csv", "demo.md"]  # no temporary files left
    with pytest.raises(KeyError):
        t.add(name="c", speed=1)


def test_notebook_times_read_the_runner_record(tmp_path):
    from slt_nb.bench.notebook_times import notebook_table

    (tmp_path / "runtimes.json").write_text(json.dumps({"01_data_prep": 2.0, "03_finetune": 6.0}))
    (tmp_path / "README.md").write_text("| notebook | wall time (s) | executed | rendered |\n")
    t = notebook_table(tmp_path / "runtimes.json", tmp_path / "README.md")
    assert [r["notebook"] for r in t.rows] == ["01_data_prep", "03_finetune", "total"] and t.rows[-1]["wall time (s)"] == 8.0
    assert t.rows[1]["share %"] == pytest.approx(75.0) and any("lists these" in n for n in t.notes)
    assert notebook_table(tmp_path / "none.json").rows == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where there is no CUDA")
def test_cuda_without_a_gpu_fails_clearly():
    from slt_nb.bench.environment import resolve_device
    from slt_nb.bench.train_bench import build_base

    with pytest.raises(SLTInputError, match="torch.cuda.is_available"):
        resolve_device("cuda")
    with pytest.raises(SLTInputError, match="needs --device cuda"):
        build_base("smolvlm2-2.2b", ["a b c"], "cpu", 0)
