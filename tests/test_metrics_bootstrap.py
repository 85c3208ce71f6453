"""Bootstrap CIs and paired bootstrap significance, cross-checked against sacrebleu's paired_bs."""

from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import BLEU
from sacrebleu.significance import PairedTest

from slt_nb.metrics.bleu import corpus_bleu
from slt_nb.metrics.bootstrap import bootstrap_ci, paired_bootstrap, resample_indices
from slt_nb.metrics.rouge import rouge_l

REFS = [
    "am freitag scheint im süden die sonne .",
    "im norden regnet es gebietsweise .",
    "der wind weht frisch aus nordwest .",
    "und nun die wettervorhersage für morgen samstag .",
    "in der nacht wird es kalt .",
    "morgen bleibt es im osten freundlich .",
] * 4
GOOD = [
    "am freitag scheint im süden die sonne .",
    "im norden regnet es .",
    "der wind weht frisch aus west .",
    "und nun die wettervorhersage für morgen sonntag .",
    "in der nacht wird es sehr kalt .",
    "morgen bleibt es im osten freundlich .",
] * 4
BAD = ["im süden regnet es .", "es regnet .", "der wind .", "und nun das wetter .", "kalt .", "im osten sonne ."] * 4


def test_ci_contains_score_and_is_reproducible():
    a = bootstrap_ci(GOOD, REFS, lang="de", n=200, seed=1)
    b = bootstrap_ci(GOOD, REFS, lang="de", n=200, seed=1)
    assert a == b
    assert a["bleu4"]["score"] == pytest.approx(corpus_bleu(GOOD, REFS, lang="de").scores[4])
    assert a["rougeL"]["score"] == pytest.approx(rouge_l(GOOD, REFS).score)
    for m in ("bleu1", "bleu2", "bleu3", "bleu4", "rougeL"):
        assert a[m]["lo"] <= a[m]["score"] <= a[m]["hi"], m
        assert a[m]["lo"] < a[m]["hi"]
    assert "n:200" in a["signature"] and "seed:1" in a["signature"]


def test_resample_indices_match_sacrebleu():
    # sacrebleu: np.random.default_rng(seed).choice(N, size=(n, N), replace=True)
    assert np.array_equal(resample_indices(7, 5, 12345), np.random.default_rng(12345).choice(7, size=(5, 7), replace=True))


def test_paired_bootstrap_matches_sacrebleu_paired_bs():
    ours = paired_bootstrap(BAD, GOOD, REFS, lang="de", metrics=("bleu4", "rougeL"), n=1000, seed=12345)
    _sig, res = PairedTest([("bad", BAD), ("good", GOOD)], {"BLEU": BLEU()}, [REFS], test_type="bs", n_samples=1000)()
    sb = res["BLEU"][1]
    assert ours["bleu4"]["b"] == pytest.approx(sb.score)
    assert ours["bleu4"]["p_value"] == pytest.approx(sb.p_value)
    assert ours["bleu4"]["delta"] > 0 and ours["bleu4"]["p_value"] < 0.05 and ours["bleu4"]["win_rate"] > 0.95
    assert ours["rougeL"]["delta"] > 0 and ours["rougeL"]["p_value"] < 0.05


def test_identical_systems_are_not_significant():
    res = paired_bootstrap(GOOD, list(GOOD), REFS, lang="de", n=100)
    assert res["bleu4"]["delta"] == 0 and res["bleu4"]["p_value"] == 1.0 and res["rougeL"]["p_value"] == 1.0
