"""Every reported metric stays inside its stated range (issue 13, item 3: identical predictions gave
BLEU 100.00000000000004). Round-off past a bound is clamped; anything further is a bug and raises."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from slt_nb.metrics.bleu import BleuResult, bleu_from_stats, corpus_bleu, sentence_bleu, sentence_stats
from slt_nb.metrics.bootstrap import bootstrap_ci, paired_bootstrap
from slt_nb.metrics.pger import pger
from slt_nb.metrics.ranges import RANGES, Bounded, MetricRangeError, bound, ranged, ranged_field
from slt_nb.metrics.rouge import rouge_l, sentence_rouge_l
from slt_nb.metrics.score import score_file, score_records
from slt_nb.metrics.predictions import parse_predictions
from slt_nb.metrics.tsr import WordEmbedder, translation_soft_recall

CASE = Path(__file__).parent / "data" / "cases" / "bleu-identical" / "phoenix.identical.jsonl"
ROWS = [json.loads(line) for line in CASE.read_text(encoding="utf-8").splitlines()]
REFS = [r["reference"] for r in ROWS]
DISJOINT = ["xylophon quark zebra", "blau grün rot gelb", "eins zwei drei vier"]  # no word of REFS


class HashEncoder:
    """Deterministic pseudo-random 16-d word vectors (no model needed)."""

    name = "hash-16d"

    def encode(self, words):
        return np.array([np.random.default_rng(int(hashlib.sha256(w.encode()).hexdigest()[:8], 16)).normal(size=16) for w in words])


EMB = WordEmbedder(HashEncoder())


@pytest.fixture(scope="module")
def case_scores(tmp_path_factory):
    path = tmp_path_factory.mktemp("case") / CASE.name
    shutil.copy(CASE, path)
    return score_file(path, tagger="hanta", embedder=EMB, ci=True, n_boot=200)


# --- the case: identical predictions score exactly the top of every range ----------------------------


@pytest.mark.parametrize("key,top", [("bleu1", 100.0), ("bleu2", 100.0), ("bleu3", 100.0), ("bleu4", 100.0), ("rougeL", 1.0), ("pger", 1.0)])
def test_identical_predictions_score_exactly_the_maximum(case_scores, key, top):
    assert case_scores[key] == top  # exactly: 100.00000000000004 before
    assert type(case_scores[key]) is float


@pytest.mark.parametrize("key", ["tsr", "tsr_recall"])
def test_identical_predictions_tsr_at_most_one(case_scores, key):
    assert case_scores[key] == pytest.approx(1.0, abs=1e-12) and case_scores[key] <= 1.0


@pytest.mark.parametrize("key,top", [("bleu1", 100.0), ("bleu2", 100.0), ("bleu3", 100.0), ("bleu4", 100.0), ("rougeL", 1.0)])
def test_identical_predictions_ci_is_exactly_the_maximum(case_scores, key, top):
    assert case_scores["ci"][key] == [top, top]


def test_identical_predictions_printed_json_has_no_value_past_100(case_scores):
    text = json.dumps(case_scores)
    assert "100.00000000000004" not in text and '"bleu4": 100.0' in text


# --- table-driven: every metric, every value it reports, inside its range ---------------------------


def _corpus_bleu(h, r):
    return list(corpus_bleu(h, r, lang="de").scores.values())


def _bootstrap(h, r):
    out = bootstrap_ci(h, r, lang="de", n=100)
    return {m: [v["score"], v["lo"], v["hi"], v["mean"]] for m, v in out.items() if m != "signature"}


def _paired(field):
    def f(h, r):
        out = paired_bootstrap(r, h, r, lang="de", n=100)  # A = the references themselves, B = h
        return {m: out[m][field] for m in ("bleu4", "rougeL")}

    return f


# (name, metric range, scorer(hyps, refs) -> value(s), value(s) on identical predictions, on disjoint ones)
# None: not a fixed value (only the range is checked). Dict results: {metric key: values}.
METRIC_TABLE = [
    ("corpus BLEU-1..4", "bleu", _corpus_bleu, [100.0] * 4, [0.0] * 4),
    ("sentence BLEU", "bleu", lambda h, r: [sentence_bleu(a, b, lang="de") for a, b in zip(h, r)], [100.0] * 3, [0.0] * 3),
    ("BLEU from statistics", "bleu", lambda h, r: [bleu_from_stats(sentence_stats(h, r, lang="de").sum(0), n) for n in (1, 2, 3, 4)], [100.0] * 4, [0.0] * 4),
    ("ROUGE-L corpus", "rougeL", lambda h, r: rouge_l(h, r).score, 1.0, 0.0),
    ("ROUGE-L per sentence", "rougeL", lambda h, r: rouge_l(h, r).per_sentence.tolist(), [1.0] * 3, [0.0] * 3),
    ("sentence ROUGE-L", "rougeL", lambda h, r: [sentence_rouge_l(a, b) for a, b in zip(h, r)], [1.0] * 3, [0.0] * 3),
    # TSR of identical text is 1 up to round-off *below* 1 (C(Y ∪ Y) is not exactly C(Y)): only its range is fixed
    ("TSR (Eq. 2 as printed)", "tsr", lambda h, r: translation_soft_recall(h, r, embedder=EMB).tsr, None, None),
    ("TSR recall", "tsr", lambda h, r: translation_soft_recall(h, r, embedder=EMB).tsr_recall, None, None),
    ("TSR per sentence", "tsr", lambda h, r: translation_soft_recall(h, r, embedder=EMB).per_sentence.ravel().tolist(), None, None),
    ("PGER corpus", "pger", lambda h, r: pger(h, r, tagger="hanta", lang="de").score, 1.0, 0.0),
    ("PGER per sentence", "pger", lambda h, r: pger(h, r, tagger="hanta", lang="de").per_sentence.tolist(), [1.0] * 3, [0.0] * 3),
    ("bootstrap score/lo/hi/mean", None, _bootstrap, {**{f"bleu{n}": [100.0] * 4 for n in (1, 2, 3, 4)}, "rougeL": [1.0] * 4}, None),
    ("paired bootstrap B score", None, _paired("b"), {"bleu4": 100.0, "rougeL": 1.0}, {"bleu4": 0.0, "rougeL": 0.0}),
    ("paired bootstrap B interval", None, _paired("b_ci"), {"bleu4": [100.0, 100.0], "rougeL": [1.0, 1.0]}, {"bleu4": [0.0, 0.0], "rougeL": [0.0, 0.0]}),
    ("paired bootstrap p-value", "probability", _paired("p_value"), {"bleu4": 1.0, "rougeL": 1.0}, None),
    ("paired bootstrap win rate", "probability", _paired("win_rate"), {"bleu4": 0.0, "rougeL": 0.0}, {"bleu4": 0.0, "rougeL": 0.0}),
]


def _in_range(values, metric):
    lo, hi = RANGES[metric]
    flat = np.asarray(values, dtype=float).ravel()
    flat = flat[~np.isnan(flat)]
    return bool(flat.size) and flat.min() >= lo and flat.max() <= hi


def _metric_of(key):
    return {"bleu1": "bleu", "bleu2": "bleu", "bleu3": "bleu", "bleu4": "bleu", "rougeL": "rougeL"}[key]


@pytest.mark.parametrize("inputs", ["identical", "disjoint"])
@pytest.mark.parametrize("name,metric,scorer,on_identical,on_disjoint", METRIC_TABLE, ids=[t[0] for t in METRIC_TABLE])
def test_every_metric_inside_its_range(name, metric, scorer, on_identical, on_disjoint, inputs):
    hyps = REFS if inputs == "identical" else DISJOINT
    got = scorer(hyps, REFS)
    expected = on_identical if inputs == "identical" else on_disjoint
    parts = got.items() if isinstance(got, dict) else [(None, got)]
    for key, values in parts:
        assert _in_range(values, metric or _metric_of(key)), (name, key, values)
    if expected is not None:
        assert got == expected  # exactly: the bounds themselves, no round-off


def test_paired_bootstrap_delta_inside_the_width_of_the_range():
    out = paired_bootstrap(DISJOINT, REFS, REFS, lang="de", n=100)
    assert out["bleu4"]["delta"] == 100.0 and out["rougeL"]["delta"] == 1.0


def test_score_records_every_reported_value_in_range():
    recs = parse_predictions([{"id": str(i), "reference": r, "prediction": h} for i, (h, r) in enumerate(zip(REFS[:2] + DISJOINT[2:], REFS))])
    out = score_records(recs, lang="de", tagger="hanta", embedder=EMB, ci=True, n_boot=100)
    for key in ("bleu1", "bleu2", "bleu3", "bleu4", "rougeL", "tsr", "tsr_recall", "pger"):
        metric = {"tsr_recall": "tsr"}.get(key, _metric_of(key) if key.startswith(("bleu", "rouge")) else key)
        assert _in_range(out[key], metric), key
        if key in out["ci"]:
            assert _in_range(out["ci"][key], metric), key


# --- the shared step itself --------------------------------------------------------------------------

BOUND_CASES = [
    # (value, metric, kwargs, expected; an exception class: raises)
    (100.00000000000004, "bleu", {}, 100.0),  # sacrebleu's exp(log 100)
    (100.0, "bleu", {}, 100.0),
    (-1e-13, "bleu", {}, 0.0),
    (57.25, "bleu", {}, 57.25),  # inside: untouched
    (100 + 5e-8, "bleu", {}, 100.0),  # within 1e-9 x the width (1e-7)
    (100 + 2e-7, "bleu", {}, MetricRangeError),  # past round-off: a bug
    (100.5, "bleu", {}, MetricRangeError),
    (1.0000000000000002, "rougeL", {}, 1.0),
    (1.01, "tsr", {}, MetricRangeError),
    (-0.2, "pger", {}, MetricRangeError),
    (float("nan"), "bleu", {}, MetricRangeError),
    (float("inf"), "rougeL", {}, MetricRangeError),
    (None, "pger", {}, None),
    (-100.00000000000001, "bleu", {"delta": True}, -100.0),
    (-50.0, "bleu", {"delta": True}, -50.0),
    (-100.5, "bleu", {"delta": True}, MetricRangeError),
    ([100.00000000000004, 3.0], "bleu", {}, [100.0, 3.0]),
    ({"lo": -1e-15, "hi": 1.0000000000000002}, "rougeL", {}, {"lo": 0.0, "hi": 1.0}),
    (2, "probability", {}, MetricRangeError),
]


@pytest.mark.parametrize("value,metric,kwargs,expected", BOUND_CASES)
def test_bound(value, metric, kwargs, expected):
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected, match="outside the range"):
            bound(value, metric, **kwargs)
    else:
        assert bound(value, metric, **kwargs) == expected


def test_bound_array_keeps_nan_markers_and_clamps_round_off():
    out = bound(np.array([[1.0000000000000002, np.nan], [0.5, -1e-17]]), "tsr")
    assert np.array_equal(out, np.array([[1.0, np.nan], [0.5, 0.0]]), equal_nan=True)
    with pytest.raises(MetricRangeError):
        bound(np.array([0.5, 1.5, np.nan]), "tsr")
    with pytest.raises(MetricRangeError):
        bound(np.array([np.inf]), "tsr")


def test_ranged_function_and_result_raise_for_a_real_excursion():
    @ranged("bleu")
    def broken() -> float:
        return 101.0

    assert broken.metric_range == (0.0, 100.0)
    with pytest.raises(MetricRangeError, match="broken"):
        broken()

    @dataclass
    class R(Bounded):
        score: float = ranged_field("rougeL")

    assert R(1.0000000000000002).score == 1.0
    with pytest.raises(MetricRangeError, match=r"R\.score"):
        R(1.2)
    with pytest.raises(MetricRangeError):
        BleuResult(scores={4: 100.1}, sacrebleu_signature="")
