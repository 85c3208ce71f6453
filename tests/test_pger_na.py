"""PGER is undefined for Chinese (CSL-Daily): "n/a" with the reason in every output, never a number or ``nan``
(issue 15, fidelity). The small-VLM paper defines PGER (Sec 4.2, Eq. 3) on FLAIR POS tags of the words of its
German and English datasets only."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from slt_nb.metrics.applicable import NA, cell, for_output, reasons
from slt_nb.metrics.pger import UNDEFINED_LANGS, PGERUndefined, pger, pger_pair
from slt_nb.metrics.predictions import read_predictions
from slt_nb.metrics.score import score_records
from slt_nb.report import metrics_tables as mt
from slt_nb.report import prediction_files as pf
from slt_nb.report import scoring as sc
from slt_nb.report.tables import TableMeta, to_markdown

ZH_REFS = ["今天天气很好", "明天下雨"]
ZH_HYPS = ["今天天气好", "明天下雪"]
REASON = UNDEFINED_LANGS["zh"]


class EveryWordANoun:
    """A tagger that 'tags' any language: PGER stays undefined for Chinese whatever the tagger."""

    name = "every-word-a-noun"
    case = "as-is"

    def tag(self, tokens, lang):
        return [(t, "NN", "NOUN") for t in tokens]


@pytest.mark.parametrize("tagger", ["hanta", EveryWordANoun()], ids=["hanta", "any-tagger"])
def test_pger_refuses_chinese_whatever_the_tagger(tagger):
    with pytest.raises(PGERUndefined, match="not defined for Chinese"):
        pger(ZH_HYPS, ZH_REFS, tagger=tagger, lang="zh")
    with pytest.raises(PGERUndefined):
        pger_pair(ZH_REFS[0], ZH_HYPS[0], tagger, "zh")
    assert pger(["im norden regnet es ."], ["im norden regnet es ."], tagger=EveryWordANoun(), lang="de").score == 1.0  # German: defined


def _zh_file(tmp_path):
    path = tmp_path / "smolvlm-a.csl-daily.test.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "dataset": "csl-daily", "reference": r, "prediction": h}, ensure_ascii=False) + "\n"
                            for i, (r, h) in enumerate(zip(ZH_REFS, ZH_HYPS))), encoding="utf-8")
    return path


# (what, value as printed): every output a user reads
CASES = [
    ("score_records value", lambda out: out["pger"], None),
    ("score_records reason", lambda out: out["not_applicable"]["pger"], REASON),
    ("signature status", lambda out: "status:n/a" in out["signatures"]["pger"], True),
    ("printed value", lambda out: for_output(out)["pger"], NA),
    ("other metrics untouched", lambda out: for_output(out)["bleu1"] == out["bleu1"] and out["bleu1"] > 0, True),
]


@pytest.mark.parametrize("what,get,expected", CASES, ids=[c[0] for c in CASES])
def test_scores_say_na_and_why(tmp_path, what, get, expected):
    out = score_records(read_predictions(_zh_file(tmp_path)), lang="zh", embedder="none")
    assert get(out) == expected


def test_cli_prints_na_with_reason_never_nan(tmp_path):
    r = subprocess.run([sys.executable, "-m", "slt_nb", "score", "--predictions", str(_zh_file(tmp_path)), "--embedder", "none"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["pger"] == "n/a" and out["not_applicable"] == {"pger": REASON}
    assert not re.search(r"\bnan\b", r.stdout, re.IGNORECASE)  # no NaN anywhere


@pytest.mark.parametrize("value,expected", [(None, "n/a"), (float("nan"), "n/a"), (0.123456, 0.1235), (0, 0.0)])
def test_cell(value, expected):
    assert cell(value) == expected


def test_table4_shows_na_and_the_reason(tmp_path):
    import shutil

    folder = tmp_path / "preds"
    folder.mkdir()
    shutil.copy(_zh_file(tmp_path), folder / "smolvlm-a.csl-daily.test.jsonl")
    (folder / "baseline.csl-daily.test.jsonl").write_text(
        "".join(json.dumps({"id": f"c{i}", "dataset": "csl-daily", "reference": r, "prediction": ZH_REFS[0]}, ensure_ascii=False) + "\n"
                for i, r in enumerate(ZH_REFS)), encoding="utf-8")
    ss = sc.score_predictions(pf.find_predictions(folder), embedder="none", n_boot=20, seed=1)
    t4 = mt.table4(ss)
    assert t4["PGER"].tolist() == [NA, NA, NA]  # smolvlm-a, baseline, the shuffled control
    notes = mt.na_notes(ss, "pger", "PGER")
    assert notes == [f"PGER n/a for CSL-Daily: {REASON}."]
    md = to_markdown(t4, TableMeta(name="t4", caption="Table 4", notes=notes))
    assert not re.search(r"\bnan\b", md, re.IGNORECASE) and "| n/a" in md


def test_reasons_once_per_dataset_and_reason():
    rows = [("A", {"not_applicable": {"pger": "x"}}), ("A", {"not_applicable": {"pger": "x"}}), ("B", {"not_applicable": {}}), ("C", {})]
    assert reasons(rows, "pger", "PGER") == ["PGER n/a for A: x."]
