"""Stage mechanics: frozen parts stay frozen, finished stages are skipped, bad configs are refused."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from slt_nb.errors import SLTInputError
from slt_nb.llava_slt.config import (
    ABLATIONS,
    ENCODER_VARIANTS,
    LLM_VARIANTS,
    LLMConfig,
    config_hash,
    llm_config,
    stage1_config,
    stage2_config,
    stage3_config,
    to_dict,
)
from slt_nb.llava_slt.data import ClipSet, majority_sentence
from slt_nb.llava_slt.encoder import HierarchicalEncoder
from slt_nb.standins.llava_tiny import build_tiny_llm
from slt_nb.llava_slt.stage3 import build_model, load_weights, run_stage3, translate
from slt_nb.llava_slt.stage_dirs import read_done, run_stage

REPO = Path(__file__).resolve().parents[1]
TEXTS = ["morgen regen im norden .", "sonne im süden .", "wind aus west .", "morgen sonne im westen ."]
GLOSSES = ["MORGEN REGEN NORD", "SONNE SUED", "WIND WEST", "MORGEN SONNE WEST"]


@pytest.fixture(scope="module")
def tiny():
    llm, tok = build_tiny_llm(LLMConfig(hidden=32, layers=1, heads=2, intermediate=64, vocab_size=300), TEXTS + GLOSSES, seed=0)
    enc_cfg = stage2_config({"encoder": {"vit": {"hidden": 16, "layers": 1, "heads": 2, "patch": 8}, "frame_size": 16, "dim": 16,
                                         "heads": 2, "local_depth": 1, "sentence_depth": 1, "coembed_dim": 8}}).encoder
    torch.manual_seed(0)
    frames = torch.randint(0, 256, (4, 8, 3, 16, 16), dtype=torch.uint8)
    clips = ClipSet("phoenix", "train", [f"c{i}" for i in range(4)], TEXTS, GLOSSES, frames, torch.tensor([8, 6, 5, 8]))
    return llm, tok, enc_cfg, clips


def fresh(tiny, **s3):
    llm, tok, enc_cfg, _ = tiny
    torch.manual_seed(0)
    import copy

    return build_model(HierarchicalEncoder(enc_cfg), copy.deepcopy(llm), tok, "phoenix", stage3_config(s3)), tok


def test_connector_dims_and_frozen_parts_stay_frozen(tiny, tmp_path):
    model, tok = fresh(tiny, train={"epochs": 2, "batch_size": 2}, full_tune=None)
    assert model.connector[-1].out_features == model.llm.config.hidden_size
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    done = run_stage3(model, tok, tiny[3], stage3_config({"train": {"epochs": 2, "batch_size": 2}, "full_tune": None}),
                      tmp_path / "s3", "k1")
    assert not done["skipped"] and len(done["history"]) == 4
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(n.startswith("connector.") for n in changed)  # encoder and LLM untouched
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("connector."))
    assert not any(p.requires_grad for p in model.parameters())  # everything frozen again afterwards
    preds = translate(model, tok, tiny[3], max_new_tokens=4)
    assert len(preds) == 4 and all(isinstance(p, str) for p in preds)

    # the finished stage is skipped and its weights reloaded: same predictions without training
    again, tok = fresh(tiny)
    done2 = run_stage3(again, tok, tiny[3], stage3_config({"train": {"epochs": 2, "batch_size": 2}, "full_tune": None}),
                       tmp_path / "s3", "k1")
    assert done2["skipped"] and translate(again, tok, tiny[3], max_new_tokens=4) == preds


def test_full_tuning_unfreezes_only_the_named_parts(tiny, tmp_path):
    cfg = stage3_config({"train": {"epochs": 1, "batch_size": 4}, "full_tune": {"epochs": 1, "batch_size": 4, "lr": 1e-3},
                         "full_tune_parts": ["connector", "temporal"]})
    model, tok = fresh(tiny)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    run_stage3(model, tok, tiny[3], cfg, tmp_path / "s3ft", "k")
    changed = {n.split(".")[0] + ("." + n.split(".")[1] if n.startswith("encoder.") else "") for n, p in model.named_parameters()
               if not torch.equal(p, before[n])}
    assert "connector" in {c.split(".")[0] for c in changed}
    assert not any(c.startswith("llm") or c == "encoder.backbone" for c in changed)
    assert any(c.startswith("encoder.") for c in changed)
    phase_a, _ = fresh(tiny)
    load_weights(phase_a, tmp_path / "s3ft", full_tune=False)  # phase-A weights stay available (Tab. 8 row 5)
    assert (tmp_path / "s3ft" / "connector.safetensors").is_file() and (tmp_path / "s3ft" / "full_tune.safetensors").is_file()


def test_run_stage_skips_by_key_and_is_atomic(tmp_path):
    calls = []

    def work(tmp: Path) -> dict:
        calls.append(1)
        (tmp / "w.txt").write_text(str(len(calls)))
        return {"n": len(calls)}

    stage = tmp_path / "stage"
    assert not run_stage(stage, "a", work)["skipped"]
    assert run_stage(stage, "a", work)["skipped"] and len(calls) == 1
    assert not run_stage(stage, "b", work)["skipped"] and (stage / "w.txt").read_text() == "2"
    assert run_stage(stage, "b", work, force=True)["n"] == 3

    def broken(tmp: Path) -> dict:
        (tmp / "w.txt").write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_stage(stage, "c", broken)
    assert read_done(stage)["key"] == "b" and (stage / "w.txt").read_text() == "3"  # the finished stage survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stage"]  # no temporary folders left behind


def test_configs_refuse_unknown_keys_and_hash_changes():
    with pytest.raises(SLTInputError, match="local_dept"):
        stage2_config({"encoder": {"local_dept": 3}})
    with pytest.raises(SLTInputError, match="epoch"):
        stage3_config({"train": {"epoch": 3}})
    assert stage2_config({"train": {"epochs": 3}}).train.lr == stage2_config().train.lr  # partial overrides keep the rest
    assert config_hash(stage2_config()) != config_hash(stage2_config({"encoder": {"local_depth": 0}}))
    assert majority_sentence(["b", "a", "a", "b", "c"]) == "b"  # ties: first seen


def _parameters(notebook: str) -> dict:
    """The literal values of a notebook's parameters cell."""
    src = (REPO / "notebooks" / notebook).read_text(encoding="utf-8")
    cell = src.split('# %% tags=["parameters"]\n', 1)[1].split("\n# %%", 1)[0]
    return {t.id: ast.literal_eval(n.value) for n in ast.parse(cell).body if isinstance(n, ast.Assign) for t in n.targets}


def test_notebook_defaults_are_the_package_defaults():
    p7, p8 = _parameters("07_llava_slt_pretrain.py"), _parameters("08_llava_slt_tuning.py")
    assert p7["llava_llm"] == to_dict(llm_config())
    assert p7["llava_stage1"] == to_dict(stage1_config())
    assert p7["llava_stage2"] == to_dict(stage2_config())
    s3 = to_dict(stage3_config())
    s3["full_tune_parts"] = list(s3["full_tune_parts"])
    assert p8["llava_stage3"] == s3
    assert p8["llava_ablations"] == ABLATIONS and p7["llava_encoder_variants"] == ENCODER_VARIANTS and p7["llava_llm_variants"] == LLM_VARIANTS
    for v in ABLATIONS.values():  # every tuning variant's LLM and encoder are trained by 07
        assert v.get("encoder_variant", "main") in {"main", *ENCODER_VARIANTS} and v.get("llm_variant", "main") in {"main", *LLM_VARIANTS}


@pytest.mark.parametrize("pct, total", [(0.1, 10), (0.25, 4), (0.5, 2), (0.1, 1), (0.1, 2), (0.3, 3), (0.1, 32)])
def test_one_cycle_schedule_never_divides_by_zero(pct, total):
    """torch's OneCycleLR divides by zero when the warm-up is exactly one step (0.1 x 10 raised before)."""
    from slt_nb.llava_slt.train import one_cycle_pct

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=total, pct_start=one_cycle_pct(pct, total))
    lrs = []
    for _ in range(total - 1):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert all(0 < lr <= 1e-3 for lr in lrs)
    assert one_cycle_pct(0.1, 32) == 0.1  # unchanged wherever torch copes


def test_stage1_corpus_file_is_read_and_keys_the_stage(tmp_path):
    """Continued pretraining on whatever corpus is given (the paper's CSL-Corpus is not public)."""
    from slt_nb.llava_slt.stage1 import read_corpus, stage1_key

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("erster satz .\n\n  zweiter satz .  \n", encoding="utf-8")
    assert read_corpus(corpus) == ["erster satz .", "zweiter satz ."]
    with_corpus = stage1_config({"corpus": str(corpus)})
    key = stage1_key(llm_config(), with_corpus, [], "phoenix", 0)
    corpus.write_text("ein anderer satz .\n", encoding="utf-8")
    assert stage1_key(llm_config(), with_corpus, [], "phoenix", 0) != key  # the content is part of the key
    for bad, match in ((tmp_path / "missing.txt", "not found"), (tmp_path / "empty.txt", "empty")):
        if "empty" in bad.name:
            bad.write_text("\n \n", encoding="utf-8")
        with pytest.raises(SLTInputError, match=match):
            read_corpus(bad)


def test_paper_yaml_does_not_inherit_the_defaults_csl_daily_epochs():
    """The embedded default tunes CSL-Daily's stage 3 for 20 epochs (its tiny LLM's character tokens);
    params/paper.yaml replaces ``llava_per_dataset`` whole, so the real run keeps one stage-3 recipe for both
    datasets (params files replace keys, never merge them)."""
    from slt_nb.llava_slt.config import for_dataset, stage3_config
    from slt_nb.params import load_params

    default = {"csl-daily": {"stage3": {"train": {"epochs": 20}}}}  # 07/08's parameters cell
    assert for_dataset(default, "csl-daily", "stage3", stage3_config({})).train.epochs == 20
    p = load_params(REPO / "params" / "paper.yaml")
    base = stage3_config(p["llava_stage3"])
    per = p["llava_per_dataset"]
    assert for_dataset(per, "csl-daily", "stage3", base).train.epochs == for_dataset(per, "phoenix", "stage3", base).train.epochs == base.train.epochs
