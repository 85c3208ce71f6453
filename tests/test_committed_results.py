"""The committed ``results/`` of the embedded default meet the learning bar the project set itself (issue 15).

Every fine-tuned model of the default -- both small-VLM families on all five synthetic datasets, LLaVA-SLT on
PHOENIX-2014T and CSL-Daily -- scores test BLEU-4 at least twice the majority-sentence baseline's, ROUGE-L
above the baseline's, and loses BLEU-4 when another clip's video is shown (the video is used). The bar is
recomputed from the numbers; the tables' own ``learned`` column is checked against it, not trusted. A
regenerated ``results/`` that breaks the bar fails here before it is committed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

TABLES = Path(__file__).resolve().parents[1] / "results" / "tables"
DATASETS = ["PHOENIX-2014T", "How2Sign", "OpenASL", "iSign", "CSL-Daily"]
FAMILIES = ["smolvlm-tiny", "qwen2_5_vl-tiny"]


def _bar(bleu: float, baseline_bleu: float, rouge: float, baseline_rouge: float, shuffled_bleu: float) -> bool:
    return bleu >= 2 * baseline_bleu and rouge > baseline_rouge and bleu > shuffled_bleu


@pytest.mark.parametrize(
    ("bleu", "baseline_bleu", "rouge", "baseline_rouge", "shuffled", "passes"),
    [
        (11.70, 4.84, 41.30, 9.91, 4.43, True),  # OpenASL SmolVLM at 600 training clips
        (5.37, 4.84, 28.84, 9.91, 5.42, False),  # the same at 400: ratio 1.11, shuffled video scores higher
        (9.68, 4.84, 20.0, 9.91, 1.0, True),  # exactly twice the baseline
        (20.0, 4.84, 9.91, 9.91, 1.0, False),  # ROUGE-L not above the baseline's
        (20.0, 4.84, 30.0, 9.91, 20.0, False),  # the shuffled video does as well: the video is not used
    ],
)
def test_bar(bleu, baseline_bleu, rouge, baseline_rouge, shuffled, passes):
    assert _bar(bleu, baseline_bleu, rouge, baseline_rouge, shuffled) is passes


def test_small_vlms_meet_the_bar_on_every_dataset():
    t = pd.read_csv(TABLES / "table3_learning_bar.csv")
    t["dataset"] = t["Dataset"].str.replace(" (synthetic)", "", regex=False)
    assert sorted(zip(t["dataset"], t["Model"])) == sorted((d, f) for d in DATASETS for f in FAMILIES)
    for _, r in t.iterrows():
        ok = _bar(r["BLEU-4"], r["BLEU-4 baseline"], r["ROUGE-L"], r["ROUGE-L baseline"], r["BLEU-4 shuffled video"])
        assert ok, f"{r['Model']} on {r['Dataset']}: BLEU-4 {r['BLEU-4']} vs baseline {r['BLEU-4 baseline']}"
        assert r["learned"] == (r["BLEU-4"] >= 2 * r["BLEU-4 baseline"] and r["ROUGE-L"] > r["ROUGE-L baseline"])


def test_llava_slt_meets_the_bar_on_its_datasets():
    t = pd.read_csv(TABLES / "llava_slt_comparison.csv")
    for dataset in ("PHOENIX-2014T (synthetic)", "CSL-Daily (synthetic)"):
        rows = t[t["Dataset"] == dataset].set_index("System")
        ours, shuffled, base = (rows.loc[s] for s in ("llava_slt-tiny", "llava_slt-tiny (shuffled video)", "baseline"))
        assert _bar(ours["BLEU-4"], base["BLEU-4"], ours["ROUGE-L"], base["ROUGE-L"], shuffled["BLEU-4"]), dataset
