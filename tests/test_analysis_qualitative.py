"""Qualitative examples are picked by the stated rule (sentence BLEU best/median/worst, ties by id)."""

from __future__ import annotations

import pandas as pd
import pytest

from slt_nb.analysis.qualitative import SELECTION_RULE, pick_examples
from slt_nb.metrics.predictions import Prediction

REF = "am freitag scheint im süden die sonne ."


def rec(i, pred, ref=REF):
    return Prediction(id=i, reference=ref, prediction=pred)


RECORDS = [
    rec("e", REF),  # 100
    rec("b", "und nun das wetter"),  # 0
    rec("d", "am freitag scheint im norden die sonne ."),  # in between
    rec("a", REF),  # 100, ties with e -> a first
    rec("c", "guten abend"),  # 0, ties with b -> b is the worst
]


def test_best_median_worst_with_ties_by_id():
    df = pick_examples(RECORDS, lang="de")
    got = dict(zip(df["rule"], df["id"]))
    assert got == {"best": "a", "median": "d", "worst": "b"}
    assert df.loc[df["rule"] == "best", "sentence_bleu"].item() == pytest.approx(100)
    assert "ties broken by id" in SELECTION_RULE


def test_k_and_other_systems_side_by_side():
    other = [rec("a", "und nun die neue richtung"), rec("b", REF)]
    df = pick_examples(RECORDS, lang="de", k=2, others={"qwen": other}, primary_name="smolvlm")
    assert df[df["rule"] == "best"]["id"].tolist() == ["a", "e"]
    assert df[df["rule"] == "worst"]["id"].tolist() == ["b", "c"]
    assert df[df["rule"] == "median"]["id"].tolist() == ["c", "d"]  # ascending order b c d a e: from index 2 - 2//2 = 1
    assert df.set_index(["rule", "id"]).loc[("best", "a"), "qwen"] == "und nun die neue richtung"
    assert pd.isna(df.set_index(["rule", "id"]).loc[("best", "e"), "qwen"])  # no output for that id
    assert list(df.columns[:6]) == ["rule", "rank", "id", "sentence_bleu", "reference", "smolvlm"]
