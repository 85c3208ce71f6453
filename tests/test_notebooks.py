"""Execute the notebooks at tiny size through the runner and check what they wrote (recommenders-style).

The notebooks run in a temporary project (a copy of notebooks/) so the repository's results/ is untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_project

from slt_nb.errors import SLTInputError
from slt_nb.runner import reproduce

REPO = Path(__file__).resolve().parents[1]
TINY = {
    "seed": 1,
    "datasets": [
        {"name": "phoenix", "root": "data/synth/phoenix", "synth": {"lang": "de", "n_train": 12, "n_dev": 3, "n_test": 3, "width": 48, "height": 56}},
        {"name": "how2sign", "root": "data/synth/how2sign", "synth": {"lang": "en", "n_train": 10, "n_dev": 2, "n_test": 2, "width": 40, "height": 48}},
    ],
    "t_max": 16,
    # 03_finetune at its smallest (the pipeline, not the learning, is under test here); one dataset keeps the suite's time
    "ft_datasets": ["phoenix"],
    "ft_epochs": 1,
    "ft_base_pretraining": {"reps": 1, "vision_epochs": 1, "text_steps": 20},
    # 04_ablations: three Table 8 cells (incl. the two-stage one) and two frame budgets, one epoch
    "abl_epochs": 1,
    "abl_cells": [["256M", "full"], ["500M", "vision_then_lm"], ["2.2B", "lora_lm"]],
    "abl_frame_budgets": [16, 32],
    # 07/08 LLaVA-SLT at their smallest (their tests are at the end of this file)
    "llava_t_max": 8,
    "llava_cpu_threads": 1,
    "llava_llm": {"hidden": 32, "layers": 1, "heads": 2, "intermediate": 64, "vocab_size": 320},
    "llava_stage1": {"train": {"epochs": 1}},
    "llava_stage2": {"encoder": {"vit": {"hidden": 16, "layers": 1, "heads": 2, "patch": 8}, "frame_size": 16, "dim": 16, "heads": 2,
                                 "local_depth": 1, "sentence_depth": 1, "coembed_dim": 8},
                     "text": {"dim": 64}, "train": {"epochs": 1, "batch_size": 4}},
    "llava_stage3": {"train": {"epochs": 1, "batch_size": 4}, "full_tune": {"epochs": 1, "batch_size": 4}, "max_new_tokens": 4},
}


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    runtimes = reproduce(make_project(root, TINY, file="params/tiny.yaml"), root=root, jobs=2)  # two at a time, each after its inputs
    return root, runtimes


@pytest.mark.slow
def test_notebooks_write_tables_figures_and_index(tiny_project):
    root, runtimes = tiny_project
    assert set(runtimes) == {p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.py")}  # every notebook ran
    manifests = root / "data" / "manifests"
    for ds, n in (("phoenix", 12), ("how2sign", 10)):
        lines = (manifests / f"{ds}.train.jsonl").read_text().splitlines()
        assert len(lines) == n
        rec = json.loads(lines[0])
        assert {"id", "split", "source", "n_frames", "fps", "text", "gloss", "signer"} <= rec.keys()

    t2 = pd.read_csv(root / "results" / "tables" / "table2_frame_stats.csv")
    assert list(t2["Total videos"]) == [12, 10]
    # the table's averages are the manifests' averages
    avg = sum(json.loads(line)["n_frames"] for line in (manifests / "phoenix.train.jsonl").read_text().splitlines()) / 12
    assert t2.loc[0, "Avg. frame count"] == pytest.approx(avg, abs=0.01)
    assert "Frame count > T_max (16)" in t2.columns

    t6 = pd.read_csv(root / "results" / "tables" / "table6_vocabulary.csv")
    assert (t6["No. of tokens"] >= t6["No. of unique tokens"]).all()  # How2Sign's row is its 2-clip test split (the paper's population)
    assert list(t2["Population"]) == ["train split", "train split"] and list(t6["Population"]) == ["train split", "test split"]
    for ext in ("md", "tex", "meta.json", "paper.csv"):
        assert (root / "results" / "tables" / f"table6_vocabulary.{ext}").exists()
    md = (root / "results" / "tables" / "table2_frame_stats.md").read_text()
    assert "7096" in md and "params/tiny.yaml" in md and "Signature:" in md

    for fig in ("clip_lengths", "rank_frequency", "sampled_frames"):
        png = root / "results" / "figures" / f"{fig}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for nb in ("01_data_prep", "02_frame_statistics"):
        assert (root / "results" / "notebooks" / f"{nb}.html").stat().st_size > 1000
        executed = json.loads((root / "results" / "notebooks" / f"{nb}.ipynb").read_text())
        assert any("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in executed["cells"])
    index = (root / "results" / "README.md").read_text()
    assert "Table 2" in index and "Table 6" in index and "figures/clip_lengths.png" in index

    # 04: Tables 8-9 in the paper's layout; Table 9's 16-frame cell is 03's Qwen2.5-VL run, not a new one
    t8 = pd.read_csv(root / "results" / "tables" / "table8_strategies.csv")
    assert list(t8["Paper's Model Size"]) == ["256M", "500M", "2.2B"] and list(t8["Fine-tuning Strategy"]) == ["Full", "Vision then LM", "LoRA for LM"]
    assert t8["Trainable params"].tolist()[0] == t8["Total params"].tolist()[0]  # full fine-tuning trains everything
    t9 = pd.read_csv(root / "results" / "tables" / "table9_frame_budget.csv")
    assert list(t9["Max Frames"]) == [16, 32]
    qwen_runs = sorted(p.name for p in (root / "runs").glob("qwen2_5_vl.phoenix.*"))
    assert len(qwen_runs) == 2  # 03's (16 frames, reused by Table 9) and Table 9's 32 frames
    assert len(list((root / "results" / "ablations" / "predictions").glob("*.test.jsonl"))) == 5
    assert (root / "results" / "figures" / "ablations_bleu4.png").is_file()


@pytest.mark.slow
def test_same_params_same_tables(tiny_project):
    root, _ = tiny_project
    first = {p.name: p.read_bytes() for p in (root / "results" / "tables").glob("*.csv")}
    reproduce("params/tiny.yaml", only=["02_frame_statistics"], root=root)
    assert {p.name: p.read_bytes() for p in (root / "results" / "tables").glob("*.csv")} == first


def test_unknown_parameter_is_refused(tmp_path):
    make_project(tmp_path)
    (tmp_path / "bad.yaml").write_text("t_maxx: 3\n")
    with pytest.raises(SLTInputError, match="t_maxx"):
        reproduce("bad.yaml", root=tmp_path)


def test_unknown_notebook_is_refused(tmp_path):
    make_project(tmp_path)
    with pytest.raises(SLTInputError, match="unknown notebook"):
        reproduce(None, only=["99_nothing"], root=tmp_path)


# A parameter name means one thing in every notebook that declares it (a params file sets it for
# all of them), so its defaults agree — 04_ablations reuses 03's runs by hash only because its copy of
# the shared recipe has 03's defaults. The one deliberate exception and why:
DEFAULTS_THAT_DIFFER = {"t_max": {"02_frame_statistics"}}  # 02 counts clips over the paper's 64 for Table 2; 03/04 train at 16 on CPU


def test_shared_parameters_have_the_same_default(tmp_path):
    from slt_nb.execute import declared_parameters, to_ipynb
    from slt_nb.notebook_graph import list_notebooks

    seen: dict[str, dict[str, str]] = {}
    for nb in list_notebooks(REPO / "notebooks"):
        for name, default in declared_parameters(to_ipynb(nb, tmp_path / f"{nb.stem}.ipynb")).items():
            seen.setdefault(name, {})[nb.stem] = default
    shared = {k: v for k, v in seen.items() if len(v) > 1}
    assert len(shared) > 20 and "ft_learning_rate" in shared and set(shared["ft_learning_rate"]) == {"03_finetune", "04_ablations"}
    for name, by_nb in shared.items():
        kept = {nb: d for nb, d in by_nb.items() if nb not in DEFAULTS_THAT_DIFFER.get(name, set())}
        assert len(set(kept.values())) == 1, f"{name} has different defaults: {by_nb}"


def test_every_parameter_is_seen_by_papermill(tmp_path):
    """papermill skips a parameters-cell line holding more than one '=' (e.g. in its comment) with only a log
    warning; the runner would then refuse a params file setting it. Every assigned name must be declared."""
    import ast

    import jupytext

    from slt_nb.execute import declared_parameters, to_ipynb
    from slt_nb.notebook_graph import list_notebooks

    for nb in list_notebooks(REPO / "notebooks"):
        cell = next(c for c in jupytext.read(nb).cells if "parameters" in c.metadata.get("tags", []))
        assigned = {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets}
        assert assigned == set(declared_parameters(to_ipynb(nb, tmp_path / f"{nb.stem}.ipynb"))), nb.name


# ---- 07/08 (LLaVA-SLT), from the same run ------------------------------------------------------------

@pytest.mark.slow
def test_llava_notebooks_write_predictions_tables_and_figure(tiny_project):
    """07 and 08 at the smallest size (TINY's llava_* values): predictions, the paper's tables row by row, the figure."""
    root, runtimes = tiny_project
    assert {"01_data_prep", "07_llava_slt_pretrain", "08_llava_slt_tuning"} <= set(runtimes)
    preds = root / "results" / "predictions"
    main = [json.loads(line) for line in (preds / "llava_slt-tiny.phoenix.test.jsonl").read_text().splitlines()]
    assert len(main) == 3 and {"id", "dataset", "split", "reference", "prediction", "model", "params_hash"} <= main[0].keys()
    from slt_nb.llava_slt.config import ABLATIONS, ENCODER_VARIANTS, LLM_VARIANTS

    for v in (*ABLATIONS, "no_full_tune"):
        assert (preds / f"llava_slt-tiny-{v}.phoenix.test.jsonl").is_file()
    tables = root / "results" / "tables"
    comp = pd.read_csv(tables / "llava_slt_comparison.csv")
    assert {"llava_slt-tiny", "baseline"} <= set(comp["System"]) and "BLEU-4" in comp.columns
    assert "23.43" in (tables / "llava_slt_comparison.md").read_text()  # LLaVA-SLT's PHOENIX-2014T BLEU-4 beside ours
    for t, n_rows in (("6", 7), ("7", 7), ("8", 6)):  # the paper's ablation tables, row by row
        paper_layout = pd.read_csv(tables / f"llava_slt_table{t}_phoenix.csv")
        assert list(paper_layout["Row"].astype(str)) == [str(i) for i in range(n_rows)]
        not_run = paper_layout[paper_layout["Ours"] == "—"]
        assert all(str(note).startswith("not run:") for note in not_run["Note"]) and paper_layout["Paper BLEU-4"].notna().all()
        assert set(not_run["Row"].astype(str)) == {"6": {"5"}, "7": {"4", "5"}, "8": set()}[t]  # only rows needing data/models we lack
    for name in ("llava_slt_table5_qualitative_phoenix", "llava_slt_table9_prompting_phoenix"):
        picked = pd.read_csv(tables / f"{name}.csv")
        assert list(picked["Rule"]) == ["best", "median", "worst"]
    assert {"w/o prompting (normal prompt)", "+ task prompt", "+ task + format prompt (ours)"} <= set(
        pd.read_csv(tables / "llava_slt_table9_prompting_phoenix.csv").columns)
    abl = pd.read_csv(tables / "llava_slt_ablations_phoenix.csv")
    assert set(abl["Variant"]) >= {"main", "no_local_attention", "sentence_features", "linear_connector", "no_prompting", "no_full_tune"}
    pre = pd.read_csv(tables / "llava_slt_pretrain_phoenix.csv")
    assert list(pre["Variant"]) == ["llm", *(f"llm {n}" for n in LLM_VARIANTS), "main", *ENCODER_VARIANTS]
    assert (root / "results" / "figures" / "llava_slt_losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stages = sorted(p.name for p in (root / "runs" / "llava_slt" / "phoenix").iterdir() if p.name.startswith("stage"))
    assert stages == sorted(["stage1", *(f"stage1-{n}" for n in LLM_VARIANTS), "stage2-main", *(f"stage2-{n}" for n in ENCODER_VARIANTS),
                             "stage3-main", *(f"stage3-{n}" for n in ABLATIONS)])


@pytest.mark.slow
def test_rerun_skips_finished_stages(tiny_project):
    """The keys are stable across processes: stages 1-2 as notebook 07 ran them are all skipped."""
    from slt_nb.data.prepare import load_prepared
    from slt_nb.llava_slt import pipeline
    from slt_nb.llava_slt.config import (
        ENCODER_VARIANTS,
        LLM_VARIANTS,
        llm_config,
        stage1_config,
        stage2_config,
    )

    root, _ = tiny_project
    run_dir = root / "runs" / "llava_slt"
    stamp = (run_dir / "phoenix" / "stage2-main" / "done.json").stat().st_mtime_ns
    record = load_prepared(root / "data" / "manifests")[0]
    res = pipeline.pretrain(record, run_dir=run_dir, t_max=TINY["llava_t_max"], llm=llm_config(TINY["llava_llm"]),
                            stage1=stage1_config(TINY["llava_stage1"]), stage2=stage2_config(TINY["llava_stage2"]),
                            variants=ENCODER_VARIANTS, llm_variants=LLM_VARIANTS, seed=TINY["seed"], log=lambda *a: None)
    assert res["stage1"]["skipped"] and all(r["skipped"] for r in res["stage2"].values()) and all(r["skipped"] for r in res["llm_variants"].values())
    assert (run_dir / "phoenix" / "stage2-main" / "done.json").stat().st_mtime_ns == stamp
