"""Notebook 05/06 table builders (slt_nb.report: prediction_files, scoring, metrics_tables, bias_tables) on tiny predictions with values worked
out by hand, and the paper's transcribed numbers (slt_nb.report.paper_metrics)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slt_nb.errors import SLTInputError
from slt_nb.metrics.bleu import corpus_bleu
from slt_nb.metrics.predictions import Prediction
from slt_nb.metrics.tsr import WordEmbedder
from slt_nb.report import bias_tables as bt
from slt_nb.report import metrics_tables as mt
from slt_nb.report import prediction_files as pf
from slt_nb.report import scoring as sc
from slt_nb.report import paper_metrics as pm

# PHOENIX-like test set: 13a token counts 6, 5, 8, 8 (the " ." is a token).
REFS = ["im süden scheint die sonne .", "im norden regnet es .", "morgen gibt es schnee in den alpen .", "an der küste weht ein starker wind ."]
IDS = ["p1", "p2", "p3", "p4"]
EN_REFS = ["Now you add the onion.", "Cut the garlic slowly."]


class OneHot:
    """Every distinct word its own axis: cosine 1 for the same word, 0 otherwise, so soft
    cardinality counts distinct words and the soft overlap is the exact overlap."""

    name = "one-hot"

    def __init__(self, dim: int = 128):
        self.index: dict[str, int] = {}
        self.dim = dim

    def encode(self, words):
        out = np.zeros((len(words), self.dim))
        for i, w in enumerate(words):
            out[i, self.index.setdefault(w, len(self.index))] = 1.0
        return out


def write_predictions(folder: Path, model: str, dataset: str, split: str, refs, preds, ids=None, params_hash: str = "fixture") -> Path:
    ids = ids or [f"{dataset[0]}{i + 1}" for i in range(len(refs))]
    rows = [{"id": i, "dataset": dataset, "split": split, "reference": r, "prediction": p, "model": model, "params_hash": params_hash}
            for i, r, p in zip(ids, refs, preds)]
    path = folder / f"{model}.{dataset}.{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_fixture_predictions(folder: Path, params_hash: str = "fixture") -> Path:
    """smolvlm-a copies the references; qwen2_5_vl-a gets the first two right and says nothing for
    the rest; the baseline repeats one sentence. Plus a PHOENIX dev split and a small How2Sign test.
    Every file is stamped with ``params_hash`` (a notebook reads only its own run's files)."""
    h = {"params_hash": params_hash}
    write_predictions(folder, "smolvlm-a", "phoenix", "test", REFS, REFS, IDS, **h)
    # qwen's file lists the samples in another order: comparisons align by id
    order = [3, 2, 1, 0]
    qwen = [REFS[0], REFS[1], "", ""]
    write_predictions(folder, "qwen2_5_vl-a", "phoenix", "test", [REFS[i] for i in order], [qwen[i] for i in order], [IDS[i] for i in order], **h)
    write_predictions(folder, "baseline", "phoenix", "test", REFS, [REFS[0]] * 4, IDS, **h)
    write_predictions(folder, "smolvlm-a", "phoenix", "dev", REFS[:2], REFS[:2], ["d1", "d2"], **h)
    write_predictions(folder, "smolvlm-a", "how2sign", "test", EN_REFS, EN_REFS, **h)
    write_predictions(folder, "baseline", "how2sign", "test", EN_REFS, [EN_REFS[0]] * 2, **h)
    return folder


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    folder = write_fixture_predictions(tmp_path_factory.mktemp("preds"))
    files = pf.find_predictions(folder)
    return sc.score_predictions(files, labels={"phoenix": "PHOENIX (fixture)"}, embedder=WordEmbedder(OneHot()), n_boot=200, seed=7)


# --- finding files ------------------------------------------------------------------------------


def test_no_predictions_says_run_03_first(tmp_path):
    with pytest.raises(SLTInputError, match="03_finetune"):
        pf.find_predictions(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SLTInputError, match="no predictions found"):
        pf.find_predictions(tmp_path / "empty")


def test_file_names_and_filters(tmp_path):
    write_predictions(tmp_path, "smolvlm2-2.2b", "phoenix", "test", REFS[:1], REFS[:1])
    write_predictions(tmp_path, "baseline", "phoenix", "dev", REFS[:1], REFS[:1])
    assert pf.parse_name(tmp_path / "smolvlm2-2.2b.phoenix.test.jsonl") == ("smolvlm2-2.2b", "phoenix", "test")
    assert [f.model for f in pf.find_predictions(tmp_path, splits=["test"])] == ["smolvlm2-2.2b"]
    with pytest.raises(SLTInputError, match="none of the 2"):
        pf.find_predictions(tmp_path, datasets=["how2sign"])
    (tmp_path / "stray.jsonl").write_text("{}\n")
    with pytest.raises(SLTInputError, match="<model>.<dataset>.<split>.jsonl"):
        pf.find_predictions(tmp_path)


def test_families_and_row_order():
    assert pf.family_of("smolvlm-tiny") == "smolvlm" and pf.family_of("qwen2_5_vl-tiny") == "qwen2_5_vl"
    assert pf.family_of("baseline") is None and pf.paper_model("smolvlm2-2.2b") == "SmolVLM2"
    names = ["baseline", "zeta", "qwen2_5_vl-a", pf.CONTROL, "smolvlm-b", "smolvlm-a"]
    assert sorted(names, key=pf.model_key) == ["smolvlm-a", "smolvlm-b", "qwen2_5_vl-a", "zeta", "baseline", pf.CONTROL]


# --- Table 3 ------------------------------------------------------------------------------------


def test_table3_known_values(scored):
    t3 = mt.table3(scored)
    assert list(t3.columns[:4]) == ["Dataset", "Model", "Paper model", "Split"]
    assert [c for c in t3.columns if "CI" in c] == [f"{m} 95% CI" for m in ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L")]
    keys = list(zip(t3["Dataset"], t3["Model"], t3["Split"]))
    assert keys == [
        ("PHOENIX (fixture)", "smolvlm-a", "dev"),
        ("PHOENIX (fixture)", "smolvlm-a", "test"),
        ("PHOENIX (fixture)", "qwen2_5_vl-a", "test"),
        ("PHOENIX (fixture)", "baseline", "test"),
        ("How2Sign", "smolvlm-a", "test"),
        ("How2Sign", "baseline", "test"),
    ]
    row = t3.set_index(["Model", "Split", "Dataset"])
    smol = row.loc[("smolvlm-a", "test", "PHOENIX (fixture)")]
    assert smol["BLEU-4"] == 100.0 and smol["ROUGE-L"] == 100.0 and smol["ROUGE-L 95% CI"] == "100.00–100.00" and smol["Paper model"] == "SmolVLM2"
    qwen = row.loc[("qwen2_5_vl-a", "test", "PHOENIX (fixture)")]
    # every predicted n-gram matches; brevity penalty exp(1 - 27/11) (reference 27 tokens, prediction 11)
    bp = 100 * math.exp(1 - 27 / 11)
    for n in (1, 2, 3, 4):
        assert qwen[f"BLEU-{n}"] == pytest.approx(round(bp, 2))
    assert qwen["ROUGE-L"] == 50.0  # sentence F = 1, 1, 0, 0; ×100
    lo, hi = (float(x) for x in qwen["ROUGE-L 95% CI"].split("–"))
    assert 0 <= lo <= 50 <= hi <= 100
    base = row.loc[("baseline", "test", "PHOENIX (fixture)")]
    assert base["BLEU-4"] == round(corpus_bleu([REFS[0]] * 4, REFS, lang="de").scores[4], 2)
    assert base["Paper model"] == "—" and base["n"] == 4


def test_table3_signature_names_everything(scored):
    sig = mt.table3_signature(scored)
    assert "tok:13a" in sig and "order:1-4" in sig and "tok:nfc-lower-w" in sig and "n:200" in sig and "seed:7" in sig


# --- Tables 4 and 5 -----------------------------------------------------------------------------


def test_table5_tsr_both_forms_baseline_and_control(scored):
    t5 = mt.table5(scored).query("Dataset == 'PHOENIX (fixture)'").set_index("Model")
    assert list(t5.index) == ["smolvlm-a", "qwen2_5_vl-a", "baseline", pf.CONTROL]
    assert t5.loc["smolvlm-a", mt.TSR_PRINTED] == 1.0 and t5.loc["smolvlm-a", mt.TSR_RECALL] == 1.0
    assert t5.loc["qwen2_5_vl-a", mt.TSR_PRINTED] == 0.5  # 1, 1, 0 (empty prediction), 0
    # baseline "im süden scheint die sonne": vs p2 shares only "im": printed 1/5 (÷ prediction's 5 words), recall 1/4
    assert t5.loc["baseline", mt.TSR_PRINTED] == pytest.approx((1 + 1 / 5) / 4, abs=1e-4)
    assert t5.loc["baseline", mt.TSR_RECALL] == pytest.approx((1 + 1 / 4) / 4, abs=1e-4)
    # control: p_i scored against ref_{i+1}: shared words {im}, {es}, {}, {} -> printed (1/4 + 1/7)/4, recall (1/5 + 1/4)/4
    assert t5.loc[pf.CONTROL, mt.TSR_PRINTED] == pytest.approx((1 / 4 + 1 / 7) / 4, abs=1e-4)
    assert t5.loc[pf.CONTROL, mt.TSR_RECALL] == pytest.approx((1 / 5 + 1 / 4) / 4, abs=1e-4)
    assert "denom:C(pred)-eq2-as-printed" in mt.semantic_signature(scored, "tsr") and "emb:one-hot" in mt.semantic_signature(scored, "tsr")


def test_table4_pger_with_baseline_beside(scored):
    t4 = mt.table4(scored).query("Dataset == 'PHOENIX (fixture)'").set_index("Model")
    assert t4.loc["smolvlm-a", "PGER"] == 1.0
    assert t4.loc["qwen2_5_vl-a", "PGER"] == 0.5
    assert t4.loc["baseline", "PGER"] == 0.25  # right only on p1
    assert t4.loc[pf.CONTROL, "PGER"] == 0.0  # no content word shared with the neighbour's reference
    assert "tagger:hanta" in mt.semantic_signature(scored, "pger")
    assert mt.table4(scored, control=False)["Model"].tolist().count(pf.CONTROL) == 0


def test_semantic_metrics_only_on_test(scored):
    dev = scored.get("smolvlm-a", "phoenix", "dev")
    assert dev.scores["tsr"] is None and dev.scores["pger"] is None and dev.scores["bleu4"] == pytest.approx(100)


def test_shuffled_control_is_a_rotation():
    recs = [Prediction(id=str(i), reference=r, prediction="") for i, r in enumerate(REFS)]
    assert mt.shuffled_control(recs) == REFS[1:] + REFS[:1]


# --- significance -------------------------------------------------------------------------------


def test_comparison_pairs():
    pairs = mt.comparison_pairs(["baseline", "qwen2_5_vl-a", "smolvlm-a"])
    assert pairs == [
        ("baseline", "smolvlm-a", "model vs baseline"),
        ("baseline", "qwen2_5_vl-a", "model vs baseline"),
        ("qwen2_5_vl-a", "smolvlm-a", "SmolVLM2 vs Qwen2.5-VL family"),
    ]


def test_significance_aligns_by_id(scored):
    sig = mt.significance(scored)
    phx = sig[sig["Dataset"] == "PHOENIX (fixture)"]
    assert len(phx) == 3 * 2 and set(phx["Metric"]) == {"BLEU-4", "ROUGE-L"}
    fam = phx[(phx["A"] == "qwen2_5_vl-a") & (phx["B"] == "smolvlm-a") & (phx["Metric"] == "ROUGE-L")].iloc[0]
    # qwen's file is in reverse order: aligned by id its ROUGE-L is still 50, smolvlm's 100
    assert fam["A score"] == 50.0 and fam["B score"] == 100.0 and fam["Δ (B − A)"] == 50.0
    assert 0 < fam["p"] <= 1 and fam["n"] == 4
    h2s = sig[sig["Dataset"] == "How2Sign"]
    assert set(h2s["Comparison"]) == {"model vs baseline"}
    assert "test:paired-bootstrap" in mt.significance_signature(scored)


def test_significance_refuses_different_references(tmp_path):
    write_predictions(tmp_path, "smolvlm-a", "phoenix", "test", REFS, REFS, IDS)
    write_predictions(tmp_path, "baseline", "phoenix", "test", REFS[::-1], REFS, IDS)
    ss = sc.score_predictions(pf.find_predictions(tmp_path), tagger=None, embedder="none", n_boot=20)
    with pytest.raises(SLTInputError, match="references differ"):
        mt.significance(ss)


# --- figure -------------------------------------------------------------------------------------


def test_bleu4_figure(scored):
    frame = mt.bleu4_frame(scored)
    assert len(frame) == 5 and (frame["lo"] <= frame["bleu4"] + 1e-9).all() and (frame["bleu4"] <= frame["hi"] + 1e-9).all()
    fig = mt.bleu4_ci_figure(frame)
    assert len(fig.axes[0].patches) == 5
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- notebook 06 builders -----------------------------------------------------------------------


def _recs(preds, refs=REFS, ids=IDS):
    return [Prediction(id=i, reference=r, prediction=p) for i, r, p in zip(ids, refs, preds)]


def test_qualitative_table_both_families_side_by_side():
    by_model = {"smolvlm-a": _recs([REFS[0], REFS[1], "morgen regnet es", ""]), "qwen2_5_vl-a": _recs(["x"] * 4), "baseline": _recs([REFS[0]] * 4)}
    assert bt.primary_model(list(by_model)) == "smolvlm-a"
    df = bt.qualitative_table(by_model, lang="de", k=1, primary="smolvlm-a")
    assert list(df.columns) == ["Rule", "Rank", "Id", "Sentence BLEU (smolvlm-a)", "Ground truth", "smolvlm-a", "qwen2_5_vl-a"]
    assert dict(zip(df["Rule"], df["Id"])) == {"best": "p1", "median": "p3", "worst": "p4"}
    assert df.loc[0, "Sentence BLEU (smolvlm-a)"] == 100.0 and df.loc[0, "qwen2_5_vl-a"] == "x"
    with_base = bt.qualitative_table(by_model, lang="de", k=1, primary="smolvlm-a", include_baseline=True)
    assert "baseline" in with_base.columns
    with pytest.raises(SLTInputError, match="only baseline"):
        bt.primary_model(["baseline"])


def test_noun_phrase_table_and_recall():
    recs = _recs(["im süden scheint die sonne .", "im westen regnet es .", "", "an der küste weht ein starker wind ."])
    df = bt.noun_phrase_table(recs, lang="de", k=1, model="smolvlm-a")
    best = df[df["Rule"] == "best"].iloc[0]
    assert best["Ground truth"] == '"süden", "sonne"' and best["Matched"] == '"süden", "sonne"'
    hit, total = bt.noun_phrase_recall(recs, lang="de")
    # reference phrases: süden, sonne | norden | schnee, alpen | küste, starker wind -> matched: süden, sonne, küste, starker wind
    assert (hit, total) == (4, 7)


def test_vocab_bias_outputs_counts():
    preds = _recs(["im süden scheint die sonne ."] * 4)
    train = ["im süden scheint die sonne ."] * 6 + ["im norden regnet es ."] * 2
    out = bt.vocab_bias_outputs(preds, train, lang="de", top=3, plot_top=5)
    t14 = out["top_predicted"].set_index("Noun phrase")
    assert list(out["top_predicted"].columns) == ["Noun phrase", "Predicted freq", "Test freq", "Train freq"]
    assert t14.loc["süden"].tolist() == [4, 1, 6] and t14.loc["sonne"].tolist() == [4, 1, 6]
    t15 = out["top_test"].set_index("Noun phrase")
    assert t15.loc["es"].tolist() == [0, 2, 2]  # "es" in p2 and p3 of the test references (pronoun as a phrase)
    assert out["top_words"].iloc[0]["Word"] in {"die", "im", "scheint", "sonne", "süden"} and out["top_words"].iloc[0]["Predicted freq"] == 4
    assert out["summary"]["over_generated"] == 2  # süden and sonne: predicted 4, test 1
    with pytest.raises(SLTInputError, match="no manifests"):
        bt.training_texts({}, "phoenix")


def test_tagger_support_by_language():
    assert bt.tagger_supports("hanta", "de") and bt.tagger_supports("hanta", "en")
    assert not bt.tagger_supports("hanta", "zh")  # CSL-Daily: no noun-phrase tables, said in 06


def test_table_stems_and_captions():
    assert bt.table_stem("qualitative", "phoenix") == "table7_qualitative_phoenix"
    assert bt.table_stem("qualitative", "how2sign") == "table10_11_qualitative_how2sign"
    assert bt.table_stem("noun_phrases", "openasl") == "table13_noun_phrases_openasl"
    assert bt.table_stem("top_test", "csl-daily") == "table15_top_test_np_csl_daily"
    assert bt.caption_ref("qualitative", "isign") == "Table 11" and bt.caption_ref("top_predicted", "how2sign") == "Table 14 layout"


# --- the paper's numbers ------------------------------------------------------------------------


def test_paper_table3_transcription():
    t3 = pm.table3()
    assert len(t3) == 16 and list(t3.columns) == ["Dataset", "Model", "Split", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L"]
    row = t3.set_index(["Dataset", "Model", "Split"])
    assert row.loc[("PHOENIX-2014T", "SmolVLM2", "test"), "BLEU-4"] == 8.44  # the text says 8.43
    assert row.loc[("PHOENIX-2014T", "Qwen2.5-VL", "test")].tolist() == [7.87, 3.43, 3.09, 2.78, 9.79]
    assert row.loc[("iSign", "Qwen2.5-VL", "dev"), "ROUGE-L"] == 3.85
    # SmolVLM2 beats Qwen2.5-VL on every dataset, split and metric (the paper's claim)
    smol = t3[t3["Model"] == "SmolVLM2"].set_index(["Dataset", "Split"]).iloc[:, 1:]
    qwen = t3[t3["Model"] == "Qwen2.5-VL"].set_index(["Dataset", "Split"]).iloc[:, 1:]
    assert (smol >= qwen.loc[smol.index]).all().all()
    assert pm.table3(["phoenix", "how2sign"])["Dataset"].unique().tolist() == ["PHOENIX-2014T", "How2Sign"]
    assert pm.table3(["csl-daily"]).empty


def test_paper_tables_4_5_14_15():
    assert pm.table4().set_index("Model").loc["SmolVLM2", "PHOENIX-2014T"] == 0.1372
    assert pm.table5().set_index("Model").loc["Qwen2.5-VL", "OpenASL"] == 0.179
    assert list(pm.table5(["how2sign"]).columns) == ["Model", "How2Sign"]
    t14, t15 = pm.table14(), pm.table15()
    assert t14["Noun phrase"].tolist()[:3] == ["es", "süden", "norden"] and t15["Noun phrase"].tolist()[-1] == "samstag"
    # the same phrase has the same counts in both tables
    both = t14.merge(t15, on="Noun phrase", suffixes=("_14", "_15"))
    for c in ("Predicted freq", "Test freq", "Train freq"):
        assert (both[f"{c}_14"] == both[f"{c}_15"]).all()
    assert t15["Test freq"].is_monotonic_decreasing and t14["Predicted freq"].is_monotonic_decreasing


def test_paper_examples_and_noun_phrases():
    ref, t7 = pm.qualitative("phoenix")
    assert ref == "Table 7" and list(t7.columns) == ["Ground truth", "SmolVLM2", "Qwen2.5-VL"] and len(t7) == 3
    assert pm.qualitative("how2sign") is None and len(pm.qualitative("isign")[1]) == 6
    ref, t12 = pm.noun_phrases("phoenix")
    assert ref == "Table 12" and t12.loc[1, "Matched"] == '"westen"' and t12.loc[0, "Matched"] == ""
    assert pm.noun_phrases("openasl")[1].loc[4, "Matched"] == '"july"'
    assert isinstance(t12, pd.DataFrame)
