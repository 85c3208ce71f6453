"""The rehearsal of the real path: ``params/paper.yaml`` end to end through ``slt-nb reproduce``.

Stand-ins of the same classes sit in an offline hub cache under every hub id paper.yaml names; the
datasets are small trees in the five released formats; the params file extends paper.yaml and overrides
only roots and sizes (checked below). Two runs, as a GPU node's batch jobs would do them: first every
notebook with ``abl_only`` set to one Table 8 cell, beside prediction files another run (the embedded
default's committed results) left in the same folders; then 04 alone for the whole grid. Every table
written is checked: the datasets x models x splits the params name, this run's params hash and file,
nothing of the other run.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pandas as pd
import pytest
from conftest import REPO, make_project

from slt_nb.llava_slt.config import ABLATIONS
from slt_nb.params import load_params
from slt_nb.report.paper_numbers import DATASET_LABELS
from slt_nb.runner import reproduce
from slt_nb.standins.rehearsal import OUTPUT_ROOTS, SIZES, changed_paths, write_rehearsal
from slt_nb.train.run_config import model_name

ONE_CELL = "table8-2_2B-lora_lm"
OTHER_RUN = ("smolvlm-tiny", "qwen2_5_vl-tiny")  # the embedded default's models: must appear in no table of this run


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    root = tmp_path_factory.mktemp("rehearsal")
    make_project(root)
    shutil.copytree(REPO / "params", root / "params")
    r = write_rehearsal(root / "rehearsal", root / "params" / "paper.yaml")
    out = root / "rehearsal" / OUTPUT_ROOTS["results_dir"]
    # Another run's files where this run writes (a fresh clone has the default's beside the notebooks; here they sit in
    # this run's own folders, the harder case): a predictions file of every kind and one of every Table 8 cell.
    for sub in ("predictions", "ablations/predictions"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for f in sorted((REPO / "results" / sub).glob("*.phoenix.test.jsonl")):
            if not f.name.startswith("llava_slt"):
                shutil.copy(f, out / sub / f.name)
    saved = {k: os.environ.get(k) for k in r.env}
    os.environ.update(r.env)  # the kernels inherit it: HF_HOME = the stand-in cache, hub offline
    try:
        t0 = time.perf_counter()
        first = reproduce(r.params_file, root=root, jobs=2, set_params={"abl_only": [ONE_CELL]})
        t8_one_cell = pd.read_csv(out / "tables" / "table8_strategies.csv")
        t8_one_meta = json.loads((out / "tables" / "table8_strategies.meta.json").read_text())
        second = reproduce(r.params_file, only=["04_ablations"], root=root, jobs=1)
        seconds = time.perf_counter() - t0
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    print(f"rehearsal: {seconds:.0f} s; first run {first}; 04 again {second}")
    return {"root": root, "r": r, "out": out, "first": first, "seconds": seconds, "t8_one_cell": t8_one_cell, "t8_one_meta": t8_one_meta,
            "paper": load_params(root / "params" / "paper.yaml"), "owner": json.loads((out / "params.json").read_text())}


def _table(reh, name) -> pd.DataFrame:
    return pd.read_csv(reh["out"] / "tables" / f"{name}.csv")


def _labels(names):
    return {DATASET_LABELS[d] for d in names}


def test_the_rehearsal_overrides_only_roots_and_sizes(rehearsal):
    paper, rehearsed = rehearsal["paper"], load_params(rehearsal["r"].params_file)
    allowed = set(SIZES) | set(OUTPUT_ROOTS) | {f"datasets.{i}.root" for i in range(len(paper["datasets"]))}
    changed = changed_paths(paper, rehearsed)
    assert changed and changed <= allowed, changed - allowed
    assert {d["name"] for d in rehearsed["datasets"]} == {"phoenix", "how2sign", "openasl", "isign", "csl-daily"}


def test_every_notebook_ran_and_every_table_is_this_runs(rehearsal):
    out, owner = rehearsal["out"], rehearsal["owner"]
    assert set(rehearsal["first"]) == {p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.py")}
    assert owner["params_file"] == str(rehearsal["r"].params_file.relative_to(rehearsal["root"]))
    metas = [json.loads(p.read_text()) for p in (out / "tables").glob("*.meta.json")]
    assert len(metas) >= 30
    assert {m["params_hash"] for m in metas} == {owner["params_hash"]} and {m["params_file"] for m in metas} == {owner["params_file"]}
    for csv in (out / "tables").glob("*.csv"):
        text = csv.read_text()
        assert not any(m in text for m in OTHER_RUN), f"{csv.name} holds rows of another run"
    index = (out / "README.md").read_text()
    assert "Not shown" not in index and owner["params_hash"] in index
    assert rehearsal["seconds"] < 300, f"the rehearsal took {rehearsal['seconds']:.0f} s (budget 5 min)"


def test_data_tables_hold_the_five_datasets(rehearsal):
    names = [d["name"] for d in rehearsal["paper"]["datasets"]]
    for name in ("table2_frame_stats", "table6_vocabulary"):
        assert list(_table(rehearsal, name)["Dataset"]) == [DATASET_LABELS[d] for d in names]
    drops = json.loads((rehearsal["root"] / "rehearsal" / OUTPUT_ROOTS["manifest_dir"] / "isign.drops.json").read_text())
    assert drops["counts"] == {"invalid_translation": 1, "no_person_detected": 1}  # Appendix A, with the pose detector paper.yaml names
    strip = rehearsal["out"] / "figures" / "figure2_no_person_isign.png"
    assert strip.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # Figure 2: the clip the person filter dropped (notebook 02)


def test_tables_3_to_5_also_in_the_papers_layout(rehearsal):
    four = _labels(rehearsal["paper"]["ft_datasets"])
    t3 = _table(rehearsal, "table3_paper_layout")
    assert set(t3["Dataset"]) == four and {"Dev BLEU-4", "Test BLEU-4", "Test ROUGE-L"} <= set(t3.columns)
    for name in ("table4_paper_layout", "table5_paper_layout"):
        assert four <= set(_table(rehearsal, name).columns)


def test_small_vlm_tables_hold_the_papers_four_datasets_and_two_models(rehearsal):
    paper = rehearsal["paper"]
    ft = paper["ft_datasets"]
    assert "csl-daily" not in ft
    models = {model_name(fam, hub) for fam, hub in paper["ft_models"].items()}
    assert models == {"smolvlm-SmolVLM2-2.2B-Instruct", "qwen2_5_vl-Qwen2.5-VL-3B-Instruct"}
    for name in ("table3_finetune", "table3_translation"):
        t = _table(rehearsal, name)
        got = set(zip(t["Dataset"], t["Model"], t["Split"]))
        assert got == {(DATASET_LABELS[d], m, s) for d in ft for m in models | {"baseline"} for s in ("dev", "test")}, name
    for name in ("table4_pger", "table5_tsr"):
        t = _table(rehearsal, name)
        assert set(t["Dataset"]) == _labels(ft) and set(t["Model"]) - {"control: shuffled references"} == models | {"baseline"}, name
    sig = _table(rehearsal, "table3b_significance_paired_bootstrap")
    assert set(sig["Dataset"]) == _labels(ft) and set(sig["A"]) | set(sig["B"]) <= models | {"baseline"}
    for d in ft:  # 06: an examples table per dataset, over this run's two models
        stem = {"phoenix": "table7_qualitative_phoenix", "how2sign": "table10_11_qualitative_how2sign", "openasl": "table10_qualitative_openasl",
                "isign": "table11_qualitative_isign"}[d]
        cols = set(_table(rehearsal, stem).columns)
        assert models <= cols and not any(m in c for c in cols for m in OTHER_RUN)


def test_ablation_tables_are_this_runs_cells_only(rehearsal):
    paper = rehearsal["paper"]
    # first run, abl_only = one cell: the other cells' files of another run lie in the folder and do not count
    one = rehearsal["t8_one_cell"]
    assert list(zip(one["Paper's Model Size"], one["Fine-tuning Strategy"])) == [("2.2B", "LoRA for LM")]
    missing_note = next(n for n in rehearsal["t8_one_meta"]["notes"] if n.startswith("Missing cells"))
    assert missing_note.count("table8-") == 5 and ONE_CELL not in missing_note
    # second run: the whole grid of this run
    t8 = _table(rehearsal, "table8_strategies")
    assert list(t8["Paper's Model Size"]) == ["256M", "500M", "500M", "500M", "500M", "2.2B"]
    assert list(t8["Model (ours)"]) == [paper["abl_sizes"][s] for s in t8["Paper's Model Size"]]
    t9 = _table(rehearsal, "table9_frame_budget")
    assert list(t9["Max Frames"]) == SIZES["abl_frame_budgets"] and set(t9["Model (ours)"]) == {paper["ft_models"]["qwen2_5_vl"]}
    meta8 = json.loads((rehearsal["out"] / "tables" / "table8_strategies.meta.json").read_text())
    assert "Missing cells (no predictions of this run yet): none" in meta8["notes"]


def test_llava_slt_tables_follow_the_paper_per_dataset(rehearsal):
    paper, runs = rehearsal["paper"], rehearsal["root"] / "rehearsal" / OUTPUT_ROOTS["llava_run_dir"]
    assert paper["llava_datasets"] == ["phoenix", "csl-daily"]
    pre = {ds: json.loads((runs / ds / "pretrain.json").read_text()) for ds in paper["llava_datasets"]}
    assert pre["phoenix"]["llm"]["id"] == "meta-llama/Llama-3.1-8B-Instruct" and not pre["phoenix"]["stage1"]["config"]["enabled"]
    assert pre["csl-daily"]["llm"]["id"] == "Qwen/Qwen2.5-7B-Instruct" and pre["csl-daily"]["stage1"]["config"]["enabled"]
    for ds in paper["llava_datasets"]:
        assert (rehearsal["out"] / "tables" / f"llava_slt_pretrain_{ds}.csv").is_file()
    assert paper["llava_ablation_datasets"] == ["csl-daily"]  # the paper's ablations are on CSL-Daily only
    assert not list((rehearsal["out"] / "tables").glob("llava_slt_ablations_phoenix.*"))
    variants = set(_table(rehearsal, "llava_slt_ablations_csl-daily")["Variant"])
    assert variants == {"main", "shuffled_video", "no_full_tune", *paper.get("llava_ablations", ABLATIONS)}
    assert set(pre["csl-daily"]["llm_variants"]) == set(paper["llava_llm_variants"])
    assert pre["csl-daily"]["llm_variants"]["larger"]["llm"]["id"] == "Qwen/Qwen2.5-14B-Instruct"
    for t in ("6", "7", "8"):
        layout = _table(rehearsal, f"llava_slt_table{t}_csl-daily")
        assert layout["Paper BLEU-4"].notna().all() and all(str(n).startswith("not run:") for n in layout.loc[layout["Ours"] == "—", "Note"])
    comp = _table(rehearsal, "llava_slt_comparison")
    small = {model_name(fam, hub) for fam, hub in paper["ft_models"].items()}
    by_ds = {ds: set(g["System"]) for ds, g in comp.groupby("Dataset")}
    assert by_ds[DATASET_LABELS["phoenix"]] == {"llava_slt", "llava_slt (shuffled video)", "baseline"} | small  # rows say the dataset's label
    assert by_ds[DATASET_LABELS["csl-daily"]] == {"llava_slt", "llava_slt (shuffled video)", "baseline"}  # the small VLMs were not fine-tuned on CSL-Daily
    kinds = set(comp.loc[comp["System"] == "llava_slt", "Kind"])
    assert kinds == {"LLaVA-SLT (ours; LLM meta-llama/Llama-3.1-8B-Instruct)", "LLaVA-SLT (ours; LLM Qwen/Qwen2.5-7B-Instruct)"}
    sig = json.loads((rehearsal["out"] / "tables" / "llava_slt_comparison.meta.json").read_text())["signature"]
    assert "tok:13a" in sig and "tok:zh" in sig  # CSL-Daily is scored at character level


def test_metric_tables_use_the_papers_models_by_hub_id(rehearsal):
    tables = rehearsal["out"] / "tables"
    sig = {p.name.removesuffix(".meta.json"): json.loads(p.read_text())["signature"] for p in tables.glob("*.meta.json")}
    assert "flair/upos-multi" in sig["table4_pger"] and "fallback" not in sig["table4_pger"]
    assert "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2" in sig["table5_tsr"] and "fallback" not in sig["table5_tsr"]
    noun_phrase_tables = [n for n in sig if n.startswith(("table12", "table13", "table14_top_predicted_np", "table15"))]
    assert len(noun_phrase_tables) >= 8 and all("flair/upos-multi" in sig[n] for n in noun_phrase_tables)
