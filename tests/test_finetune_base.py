"""The tiny base-model stage, the majority baseline and the first Table 3 (fast, no fine-tuning)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from slt_nb.data.manifest import Sample
from slt_nb.errors import SLTInputError
from slt_nb.train.baseline import BASELINE, majority_sentence, write_baseline
from slt_nb.standins.pretrain import (
    BASE_INFO,
    BaseSpec,
    ensure_base,
    read_base_info,
    render_isolated,
    synth_setup,
)
from slt_nb.train.table3 import learning_check, loss_frame, table3


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    from slt_nb.data.prepare import prepare_all

    root = tmp_path_factory.mktemp("baseproj")
    spec = {"name": "phoenix", "root": str(root / "synth"), "synth": {"lang": "de", "n_train": 5, "n_dev": 2, "n_test": 2, "width": 40, "height": 48,
                                                                       "max_glosses": 3, "n_signers": 2}}
    return prepare_all([spec], root / "manifests", seed=0)[0]


def test_isolated_signs_are_rendered_like_the_corpus(record):
    setup = synth_setup(record)
    assert (setup.lang, setup.width, setup.height, setup.n_signers) == ("de", 40, 48, 2)
    vocab, clips = render_isolated(setup, 1, 6)
    assert len(clips) == len(vocab) > 100  # every gloss of the lexicon once
    frames, idx, total, k = clips[0]
    assert frames.shape[1:] == (48, 40, 3) and len(frames) == len(idx) <= 6 and total >= len(idx) and k == 0
    assert synth_setup({**record, "synthetic": False}) is None


def test_base_is_built_once_and_loads_like_a_checkpoint(record, tmp_path):
    from slt_nb.models.load import load_model_and_processor

    torch.set_num_threads(1)
    spec = {"reps": 1, "vision_epochs": 2, "vision_batch": 32, "vision_t_max": 4, "text_steps": 30}
    base = ensure_base("smolvlm", record, spec=spec, runs_dir=tmp_path, progress=False)
    info = read_base_info(base)
    assert base.parent == tmp_path / "base" and base.name.startswith("smolvlm.phoenix.") and info["hash"] in base.name
    v, t = info["stages"]["vision"], info["stages"]["language"]
    assert v["clips"] == v["lexicon"] and len(v["epoch_loss"]) == 2 and v["epoch_loss"][1] < v["epoch_loss"][0]
    assert t["sentences"] == 5 and t["loss_per_50_steps"][-1] < 5.0
    assert (base / "model.safetensors").is_file() and not list(base.glob("*.bin"))
    model, proc = load_model_and_processor("smolvlm", base)
    assert type(model).__name__ == "SmolVLMForConditionalGeneration" and len(proc.tokenizer) <= model.get_input_embeddings().weight.shape[0]
    stamp = (base / "model.safetensors").stat().st_mtime_ns
    assert ensure_base("smolvlm", record, spec=spec, runs_dir=tmp_path, progress=False) == base  # cached
    assert (base / "model.safetensors").stat().st_mtime_ns == stamp
    other = ensure_base("smolvlm", record, spec={**spec, "text_steps": 31}, runs_dir=tmp_path, progress=False)
    assert other != base and (other / BASE_INFO).is_file()  # another config, another base
    assert not list((tmp_path / "base").glob(".*"))  # no temporary folder left


def test_base_spec_is_checked():
    assert BaseSpec.from_dict({"reps": 2}).reps == 2
    with pytest.raises(SLTInputError, match="unknown base_pretraining keys"):
        BaseSpec.from_dict({"rep": 2})
    with pytest.raises(SLTInputError, match="vision_lr"):
        BaseSpec.from_dict({"vision_lr": 0})


def _s(i, text, split="train"):
    return Sample(id=f"c{i}", dataset="phoenix", split=split, source="/x", source_kind="frames", n_frames=3, fps=25.0, text=text)


def test_majority_sentence_and_its_tie_break():
    assert majority_sentence([_s(0, "b ."), _s(1, "a ."), _s(2, "a ."), _s(3, "b .")]) == "b ."  # tie: first seen
    assert majority_sentence([_s(0, "b ."), _s(1, "a ."), _s(2, "a .")]) == "a ."
    with pytest.raises(SLTInputError):
        majority_sentence([])


def test_baseline_files(record, tmp_path):
    out = write_baseline(record, ("dev", "test"), out_dir=tmp_path, params_hash="h1")
    rows = [json.loads(x) for x in (tmp_path / "baseline.phoenix.test.jsonl").read_text().splitlines()]
    assert out["test"].name == "baseline.phoenix.test.jsonl" and len(rows) == 2
    assert all(r["prediction"] == out["sentence"] and r["model"] == BASELINE and r["params_hash"] == "h1" for r in rows)
    assert {r["reference"] for r in rows} and all(r["split"] == "test" for r in rows)


def _write(path, refs, preds, model, dataset="phoenix"):
    path.write_text("".join(json.dumps({"id": f"s{i}", "dataset": dataset, "split": "test", "reference": r, "prediction": p, "model": model,
                                        "params_hash": None}, ensure_ascii=False) + "\n" for i, (r, p) in enumerate(zip(refs, preds))), encoding="utf-8")


def test_table3_scores_and_the_learning_check(tmp_path):
    refs = ["am tag regnet es im süden .", "morgen scheint die sonne im norden .", "guten abend liebe zuschauer ."]
    _write(tmp_path / "smolvlm-tiny.phoenix.test.jsonl", refs, refs, "smolvlm-tiny")  # perfect
    _write(tmp_path / "baseline.phoenix.test.jsonl", refs, ["guten abend liebe zuschauer ."] * 3, BASELINE)
    (tmp_path / "c").mkdir()
    _write(tmp_path / "c" / "smolvlm-tiny.phoenix.test.jsonl", refs, ["guten abend liebe zuschauer ."] * 3, "smolvlm-tiny")
    t3 = table3(tmp_path, ["smolvlm-tiny"], ["phoenix"], ("test",), labels={"phoenix": "PHOENIX (synthetic)"}, controls_dir=tmp_path / "c")
    assert list(t3["Model"]) == ["smolvlm-tiny", BASELINE, "smolvlm-tiny (shuffled video)"]
    perfect = t3.iloc[0]
    assert perfect["BLEU-4"] == pytest.approx(100.0) and perfect["ROUGE-L"] == pytest.approx(100.0) and perfect["Dataset"] == "PHOENIX (synthetic)"
    base = t3.iloc[1]
    assert base["ROUGE-L"] == pytest.approx(100 * (0 + 0 + 1) / 3, abs=0.01)  # only the identical sentence overlaps
    check = learning_check(t3, ["smolvlm-tiny"])
    assert bool(check.iloc[0]["learned"]) and check.iloc[0]["BLEU-4 shuffled video"] == base["BLEU-4"]
    with pytest.raises(SLTInputError, match="predictions file missing"):
        table3(tmp_path, ["qwen2_5_vl-tiny"], ["phoenix"], ("test",))


@pytest.mark.parametrize("datasets, tokenisers", [
    (["phoenix"], ["tok:13a"]),
    (["phoenix", "how2sign"], ["tok:13a"]),  # scored alike: one signature
    (["phoenix", "csl-daily"], ["tok:13a", "tok:zh"]),  # CSL-Daily's BLEU is tokenised zh: both listed
])
def test_table3_signature_lists_each_distinct_scoring(tmp_path, datasets, tokenisers):
    from slt_nb.train.table3 import table3_signature

    files = []
    for ds in datasets:
        refs = ["我明天要去面馆。", "谢谢你的帮助。"] if ds == "csl-daily" else ["am tag regnet es .", "guten abend ."]
        _write(tmp_path / f"smolvlm-tiny.{ds}.test.jsonl", refs, refs, "smolvlm-tiny", dataset=ds)
        files.append(tmp_path / f"smolvlm-tiny.{ds}.test.jsonl")
    sig = table3_signature(*files)
    parts = sig.split(" / ")
    assert len(parts) == len(tokenisers) and all(t in p for t, p in zip(tokenisers, parts))


def test_rouge_l_is_unicode_safe_with_known_values():
    """ROUGE-L on umlauts and ß (slt_nb.metrics, which Table 3 uses): NFC + lowercase word tokens."""
    from slt_nb.metrics import rouge_l

    nfd = "gru\u0308ße aus mu\u0308nchen"  # decomposed umlauts
    assert rouge_l(["Grüße aus München"], [nfd]).score == pytest.approx(1.0)
    # LCS of [im, süden, heiß] and [heiß, im, norden] is one token ("im" or "heiß"): P = R = F = 1/3
    assert rouge_l(["im süden heiß"], ["heiß im norden"]).score == pytest.approx(1 / 3)
    assert rouge_l(["schöne grüße"], ["grüße"]).score == pytest.approx(2 / 3)  # P = 1/2, R = 1


def test_loss_frame_reads_the_log_history():
    class R:
        model_name, log_history = "smolvlm-tiny", [{"loss": 2.0, "step": 1, "epoch": 0.1}, {"loss": 1.5, "step": 2, "epoch": 0.2}, {"train_loss": 1.7, "step": 2}]

        class config:
            dataset = "phoenix"

    df = loss_frame([R()])
    assert isinstance(df, pd.DataFrame) and list(df["loss"]) == [2.0, 1.5] and set(df["dataset"]) == {"phoenix"}
