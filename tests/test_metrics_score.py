"""score_file end to end: keys, signatures, language per dataset, direction, edge cases."""

from __future__ import annotations

import json
import os
import zlib

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from slt_nb.errors import SLTInputError
from slt_nb.metrics import KEYS, score_file
from slt_nb.metrics.pger import TaggerUnavailable
from slt_nb.metrics.tsr import WordEmbedder


class HashEncoder:
    """Distinct words -> (almost surely) orthogonal one-hot vectors: TSR becomes exact-match soft counting."""

    name = "hash-onehot"

    def encode(self, words):
        out = np.zeros((len(words), 4096))
        for i, w in enumerate(words):
            out[i, zlib.crc32(w.encode()) % 4096] = 1
        return out


EMB = WordEmbedder(HashEncoder())
REF = "am freitag scheint im süden die sonne ."


def write(tmp_path, rows, name="m.phoenix.test.jsonl"):
    p = tmp_path / name
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return p


def rows(preds, refs=None, dataset="phoenix"):
    refs = refs or [REF] * len(preds)
    return [{"id": f"s{i}", "dataset": dataset, "split": "test", "model": "m", "reference": r, "prediction": h} for i, (h, r) in enumerate(zip(preds, refs))]


def test_identical_sentences_score_perfectly(tmp_path):
    out = score_file(write(tmp_path, rows([REF, "im norden regnet es ."], [REF, "im norden regnet es ."])), embedder=EMB)
    for k in KEYS:
        assert k in out
    assert [out[f"bleu{n}"] for n in (1, 2, 3, 4)] == pytest.approx([100] * 4)
    assert out["rougeL"] == pytest.approx(1) and out["tsr"] == pytest.approx(1) and out["tsr_recall"] == pytest.approx(1)
    assert out["pger"] == pytest.approx(1) and out["n"] == 2
    assert (out["lang"], out["dataset"], out["split"], out["model"]) == ("de", "phoenix", "test", "m")
    assert set(out["signatures"]) == {"bleu1", "bleu2", "bleu3", "bleu4", "rougeL", "tsr", "tsr_recall", "pger"}
    assert all(out["signatures"].values())
    assert "tok:13a" in out["signatures"]["bleu4"] and "tagger:hanta-1.2.1" in out["signatures"]["pger"]
    assert "emb:hash-onehot" in out["signatures"]["tsr"]
    json.dumps(out)  # the CLI prints it as one JSON object


def test_higher_is_better(tmp_path):
    preds = {
        "good": "am freitag scheint im süden die sonne .",
        "close": "am freitag scheint im norden die sonne .",
        "poor": "am montag regnet es .",
        "empty": "",
    }
    scores = {k: score_file(write(tmp_path, rows([v] * 3), name=f"{k}.phoenix.test.jsonl"), embedder=EMB) for k, v in preds.items()}
    for metric in ("bleu1", "bleu4", "rougeL", "tsr", "tsr_recall", "pger"):
        seq = [scores[k][metric] for k in ("good", "close", "poor", "empty")]
        assert seq[0] > seq[1] > seq[2] >= seq[3] == 0, (metric, seq)
    assert scores["empty"]["counts"]["empty_predictions"] == 3


def test_empty_prediction_known_values(tmp_path):
    out = score_file(write(tmp_path, rows(["", REF])), embedder=EMB)
    assert out["rougeL"] == pytest.approx(0.5) and out["tsr"] == pytest.approx(0.5) and out["pger"] == pytest.approx(0.5)
    assert out["counts"]["empty_predictions"] == 1


def test_language_per_dataset_and_chinese(tmp_path):
    zh = rows(["我爱北京", "天安门"], ["我爱北京天安门", "天安门"], dataset="csl-daily")
    out = score_file(write(tmp_path, zh, "m.csl-daily.test.jsonl"), embedder=EMB)
    assert out["lang"] == "zh" and "tok:zh" in out["signatures"]["bleu1"]
    assert out["rougeL"] == pytest.approx((8 / 11 + 1) / 2)  # character level, non-zero
    assert out["pger"] is None and "status:n/a" in out["signatures"]["pger"]  # PGER is undefined for Chinese (tests/test_pger_na.py)
    assert out["not_applicable"]["pger"].startswith("PGER is not defined for Chinese")
    en = score_file(write(tmp_path, rows(["Thank you for watching!"], ["Thank you for watching!"], dataset="how2sign"), "m.how2sign.test.jsonl"), embedder=EMB)
    assert en["lang"] == "en" and en["bleu4"] == pytest.approx(100)


def test_language_from_file_name_or_argument(tmp_path):
    bare = [{"id": "1", "reference": REF, "prediction": REF}]
    assert score_file(write(tmp_path, bare, "baseline.phoenix.test.jsonl"), embedder="none", tagger=None)["lang"] == "de"
    p = write(tmp_path, bare, "preds.jsonl")
    with pytest.raises(SLTInputError, match="cannot tell the language"):
        score_file(p, embedder="none", tagger=None)
    out = score_file(p, embedder="none", tagger=None, lang="de")
    assert out["tsr"] is None and "status:skipped" in out["signatures"]["tsr"] and out["pger"] is None


def test_mixed_languages_rejected(tmp_path):
    mixed = rows([REF], dataset="phoenix") + [{"id": "x", "dataset": "how2sign", "reference": "hi", "prediction": "hi"}]
    with pytest.raises(SLTInputError, match="mix datasets"):
        score_file(write(tmp_path, mixed), embedder="none")


def test_flair_offline_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAIR_CACHE_ROOT", str(tmp_path))
    with pytest.raises(TaggerUnavailable, match="not available offline"):
        score_file(write(tmp_path, rows([REF])), tagger="flair", embedder="none")


def test_confidence_intervals_on_request(tmp_path):
    out = score_file(write(tmp_path, rows([REF, "im süden regnet es .", "am freitag ."] * 3)), embedder="none", tagger=None, ci=True, n_boot=100)
    for m in ("bleu1", "bleu4", "rougeL"):
        lo, hi = out["ci"][m]
        assert lo <= out[m] <= hi
    assert "test:bootstrap" in out["signatures"]["ci"]


def test_bad_line_named(tmp_path):
    p = tmp_path / "m.phoenix.test.jsonl"
    p.write_text(json.dumps(rows([REF])[0]) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(SLTInputError, match=r"m\.phoenix\.test\.jsonl:2"):
        score_file(p)
