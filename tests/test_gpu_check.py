"""`make gpu-check` (benchmarks/gpu_check.py) in its CPU smoke mode: tiny models, into a tmp folder.

What a GPU session will read must be there: every section ran, the losses of both recipes on the
same data, batched and one-by-one generation with identical texts, one row per target. No timing
is asserted (rates only positive).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("gpu_targets", "gpu_sections", "gpu_train", "gpu_train_losses", "gpu_generation", "gpu_generation_texts")
MODELS = ("tiny:smolvlm", "tiny:qwen2_5_vl")


def _csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv", comment="#", keep_default_na=False)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-check")
    proc = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--out", str(out), "--budget-s", "150"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_every_table_and_section_is_written_under_a_header(smoke):
    out, stdout = smoke
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.{ext}" for t in TABLES for ext in ("csv", "md"))
    sections = _csv(out, "gpu_sections")
    assert sorted(zip(sections["section"], sections["model"])) == sorted((s, m) for s in ("train", "generation") for m in MODELS)
    assert set(sections["status"]) == {"ok"}
    md = (out / "gpu_targets.md").read_text()
    for key in ("device**: cpu", "python / torch / transformers", "peft / trl", "flash_attn", "peak FLOP/s for MFU", "command**: `",
                "gpu_check.py --device cpu", "time budget", "CPU smoke mode"):
        assert key in md, key
    assert "[gpu-check] wrote 6 tables" in stdout


def test_training_rows_losses_and_attention(smoke):
    out, _ = smoke
    train = _csv(out, "gpu_train")
    losses = _csv(out, "gpu_train_losses")
    for model in MODELS:
        rows = train[train["model"] == model]
        paper = rows[rows["recipe"] == "paper"].iloc[0]
        chosen = rows[rows["chosen"].astype(str) == "True"]
        assert len(chosen) == 1 and chosen.iloc[0]["recipe"].startswith("optimised")
        best = chosen.iloc[0]
        for r in (paper, best):
            assert float(r["samples/s"]) > 0 and float(r["LM tokens/s"]) > 0 and float(r["MFU"]) > 0 and r["peak mem GB"] != ""
            assert "sdpa" in r["attention"]
        assert paper["micro-batch x accum."] == "1 x 4" and str(paper["grad. ckpt"]) == "True" and paper["loss head"] == "model's own"
        assert best["loss head"] == "answer-only" and float(best["speed-up"]) == pytest.approx(float(best["samples/s"]) / float(paper["samples/s"]))
        # same data, same init, fp32: the two recipes train the same
        assert float(best["max |Δloss| vs paper"]) < 1e-4
        curve = losses[losses["model"] == model]
        assert list(curve["step"]) == [1, 2, 3, 4, 5]
        assert (curve["paper"] - curve["optimised"]).abs().max() < 1e-4
        assert float(curve["paper"].iloc[0]) == pytest.approx(float(paper["loss step 1"]))
        assert curve["paper"].iloc[0] != curve["paper"].iloc[-1]  # and it trained


def test_generation_batched_equals_one_by_one(smoke):
    out, _ = smoke
    gen = _csv(out, "gpu_generation")
    texts = _csv(out, "gpu_generation_texts")
    for model in MODELS:
        rows = gen[gen["model"] == model].set_index("batch size")
        assert sorted(rows.index) == [1, 4]
        assert (rows["clips"] == 4).all() and (rows["clips/s"].astype(float) > 0).all()
        assert rows.loc[4, "identical to batch 1"] == "4/4" and int(rows.loc[4, "distinct outputs"]) > 1
        t = texts[texts["model"] == model]
        assert len(t) == 4 and (t["batch 1"] == t["batched"]).all() and (t["same"].astype(str) == "True").all()
        assert (t["batch 1"].str.len() > 0).all()


def test_target_rows(smoke):
    out, _ = smoke
    targets = _csv(out, "gpu_targets")
    kinds = {"≥ 3x the paper": 2, "peak memory ≤ 40 GB": 2, "MFU ≥ 45%": 1, "batched generation ≥ 10x": 2}
    for key, n in kinds.items():
        rows = targets[targets["target"].str.contains(key, regex=False)]
        assert len(rows) == n, key
        assert set(rows["met"].astype(str)) <= {"True", "False"} and (rows["measured"].astype(float) > 0).all()
    assert list(targets[targets["target"].str.contains("MFU")]["model"]) == ["tiny:smolvlm"]
    assert set(targets[targets["target"].str.contains("40 GB")]["met"].astype(str)) == {"True"}  # tiny models: megabytes


def test_oom_candidate_and_failed_section_are_results(tmp_path, monkeypatch):
    """An out-of-memory candidate becomes a row and the next candidate runs, so does a candidate that
    fails otherwise; a section that fails is recorded and the tables are still written."""
    from slt_nb.bench import gpu_check, gpu_train
    from slt_nb.bench.environment import configure, machine_header
    from slt_nb.train.prompts import prompt_for

    real = gpu_train.train_recipe

    def fake(make_model, family, recipe, *args, **kwargs):
        if recipe.name == "optimised 4x1":
            raise RuntimeError("CUDA out of memory. Tried to allocate 12.00 GiB")
        if recipe.name == "optimised 4x1 +GC":
            raise ValueError("checkpointing broke")
        return real(make_model, family, recipe, *args, **kwargs)

    def broken(*args, **kwargs):
        raise ValueError("generation broke")

    monkeypatch.setattr(gpu_train, "train_recipe", fake)
    monkeypatch.setattr(gpu_check, "generation_section", broken)
    configure(1, 0)
    s = gpu_check.Settings(device="cpu", models=["tiny:qwen2_5_vl"], out=str(tmp_path), steps=3, warmup=1, clips=4, gen_clips=2, gen_batch=2,
                           max_new_tokens=2, t_max=8, height=16, width=16, budget_s=60, mem_cap_gb=None)
    rep = gpu_check.run_check(s, machine_header("cpu"), 1e11, prompt=prompt_for("phoenix").text, log=lambda *a, **k: None)
    assert [(r["section"], r["status"]) for r in rep.sections.rows] == [("train", "ok"), ("generation", "failed")]
    assert "generation broke" in rep.sections.rows[1]["detail"]
    by_name = {r["recipe"]: r for r in rep.train.rows}
    assert list(by_name) == ["paper", "optimised 4x1", "optimised 2x2", "optimised 4x1 +GC"]  # 1x4 skipped: 2x2 fitted
    assert "out of memory" in by_name["optimised 4x1"]["note"] and by_name["optimised 4x1"]["chosen"] is False
    assert by_name["optimised 4x1 +GC"]["note"] == "ValueError: checkpointing broke" and "samples/s" not in by_name["optimised 4x1 +GC"]
    assert by_name["optimised 2x2"]["chosen"] is True and float(by_name["optimised 2x2"]["max |Δloss| vs paper"]) < 1e-4
    assert "1 recipe(s) failed" in rep.sections.rows[0]["detail"]
    written = _csv(tmp_path, "gpu_sections")
    assert list(written["status"]) == ["ok", "failed"]
    assert not any("generation" in t for t in _csv(tmp_path, "gpu_targets")["target"])


def test_num2words_stand_in_spells_like_num2words():
    num2words = pytest.importorskip("num2words").num2words
    from slt_nb.bench.gpu_data import _words_en

    assert all(_words_en(n) == num2words(n) for n in range(0, 100))
