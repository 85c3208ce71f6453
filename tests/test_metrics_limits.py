"""Long inputs to the metrics (issue 13, Resources and "a very long prediction line scored with the PGER
tagger only"): TSR's memory is bounded by row blocks with results unchanged, the POS tagger sees bounded
windows and words, and a line above the stated limit is refused with one clear line naming file/line/sample."""

from __future__ import annotations

import json
import os
import tracemalloc

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from slt_nb.errors import SLTInputError
from slt_nb.metrics.limits import MAX_SENTENCE_CHARS
from slt_nb.metrics.pger import TAG_WINDOW, TAG_WORD_CHARS, pger, tag_text
from slt_nb.metrics.rouge import rouge_l
from slt_nb.metrics.score import score_file
from slt_nb.metrics.tsr import BLOCK_ELEMENTS, WordEmbedder, soft_cardinality, translation_soft_recall

REF = "am tag scheint verbreitet die sonne ."


def unit_rows(n: int, dim: int = 16, seed: int = 0, *, repeats: int = 1) -> np.ndarray:
    """n unit vectors; ``repeats`` > 1 makes runs of identical rows (repeated words)."""
    v = np.random.default_rng(seed).normal(size=(-(-n // repeats), dim))
    v = np.repeat(v, repeats, axis=0)[:n]
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def full_matrix_soft_cardinality(emb: np.ndarray) -> float:
    """The computation before the fix: the whole n x n matrix at once."""
    s = np.clip(emb @ emb.T, 0.0, 1.0)
    np.fill_diagonal(s, 1.0)
    return float((1.0 / s.sum(axis=1)).sum())


# --- TSR: bounded memory, same results ---------------------------------------------------------------


def test_tsr_peak_memory_bounded_by_the_block_not_the_square():
    n = 3000  # full matrix: 3000² float64 = 72 MB, twice (product and clip): 144 MB before the fix
    emb = unit_rows(n)
    tracemalloc.start()
    try:
        soft_cardinality(emb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    block_bytes = 8 * BLOCK_ELEMENTS  # 32 MB
    assert peak < 1.25 * block_bytes < 8 * n * n
    assert peak > 0.5 * block_bytes  # it did use blocks of about that size (the measurement works)


@pytest.mark.parametrize("n,block_elements", [(1, 1), (7, 7 * 3), (500, 500 * 64), (1001, 1001 * 100), (600, 1)])
@pytest.mark.parametrize("repeats", [1, 5])
def test_tsr_blocks_give_the_full_matrix_result(n, block_elements, repeats):
    emb = unit_rows(n, repeats=repeats, seed=n)
    assert soft_cardinality(emb, block_elements=block_elements) == pytest.approx(full_matrix_soft_cardinality(emb), rel=1e-13)


@pytest.mark.parametrize("n", [1, 2, 40, 300, 2048])
def test_tsr_unchanged_bit_for_bit_on_normal_sentences(n):
    emb = unit_rows(n, seed=n)  # a pair of up to 2,048 words together is one block: the old computation
    assert soft_cardinality(emb) == full_matrix_soft_cardinality(emb)


class LetterEncoder:
    name = "letters"

    def encode(self, words):
        return np.array([[w.count(c) + 0.1 for c in "aeinrst"] for w in words], dtype=float)


def test_tsr_corpus_scores_unchanged_by_blocks(monkeypatch):
    import slt_nb.metrics.tsr as tsr_mod

    hyps = ["am tag scheint die sonne", "in der nacht regen an den küsten", "morgen freundlich im norden " * 20]
    refs = [REF, "in der nacht gibt es an den küsten einzelne schauer .", "morgen ist es im norden freundlich ."]
    emb = WordEmbedder(LetterEncoder())
    whole = translation_soft_recall(hyps, refs, embedder=emb).per_sentence
    monkeypatch.setattr(tsr_mod, "BLOCK_ELEMENTS", 50)  # blocks of a few rows
    blocked = translation_soft_recall(hyps, refs, embedder=emb).per_sentence
    np.testing.assert_allclose(blocked, whole, rtol=1e-13)


# --- the stated limit: one clear line naming file, line, sample and the limit ------------------------


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def long_prediction_file(tmp_path, n_words: int):
    words = "am tag scheint verbreitet die sonne in der nacht gibt es an den küsten einzelne schauer".split()
    long = " ".join(words[i % len(words)] for i in range(n_words))
    rows = [{"id": "p0", "dataset": "phoenix", "reference": REF, "prediction": REF},
            {"id": "p1", "dataset": "phoenix", "reference": REF, "prediction": long}]  # fmt: skip
    return write_jsonl(tmp_path / "long.phoenix.test.jsonl", rows)


@pytest.mark.parametrize("embedder,tagger", [("none", "hanta"), (None, "none")], ids=["pger-tagger-only", "tsr-only"])
def test_long_prediction_line_refused_with_one_clear_line(tmp_path, embedder, tagger):
    # 120,000 words (~700 KB): HanTa's Viterbi failed with a raw KeyError; TSR asked for a 107 GiB matrix
    path = long_prediction_file(tmp_path, 120_000)
    with pytest.raises(SLTInputError) as err:
        score_file(path, embedder=embedder, tagger=tagger)
    msg = str(err.value)
    assert f"{path}:2" in msg and "sample 'p1'" in msg and f"{MAX_SENTENCE_CHARS:,} characters" in msg and "\n" not in msg


def test_line_at_the_limit_is_scored(tmp_path):
    text = ("sonne " * (MAX_SENTENCE_CHARS // 6))[: MAX_SENTENCE_CHARS]
    path = write_jsonl(tmp_path / "edge.phoenix.test.jsonl", [{"id": "a", "dataset": "phoenix", "reference": REF, "prediction": text}])
    out = score_file(path, embedder="none", tagger="none")
    assert out["n"] == 1 and 0 < out["rougeL"] < 1


@pytest.mark.parametrize("side", ["prediction", "reference"])
@pytest.mark.parametrize(
    "call",
    [lambda h, r: rouge_l(h, r), lambda h, r: translation_soft_recall(h, r, embedder=WordEmbedder(LetterEncoder())),
     lambda h, r: pger(h, r, tagger="hanta", lang="de")],
    ids=["rouge", "tsr", "pger"],
)  # fmt: skip
def test_each_metric_refuses_a_text_above_the_limit(call, side):
    long = "a" * (MAX_SENTENCE_CHARS + 1)
    hyps, refs = ([long], [REF]) if side == "prediction" else ([REF], [long])
    with pytest.raises(SLTInputError, match=f"{side} of 5,001 characters \\(sentence 1\\) is longer than the metrics accept"):
        call(hyps, refs)


# --- the tagger's view: bounded windows and words ----------------------------------------------------


class RecordingTagger:
    name = "recording"

    def __init__(self):
        self.seen: list[list[str]] = []

    def tag(self, tokens, lang):
        self.seen.append(list(tokens))
        return [(t, "NN", "NOUN") for t in tokens]


def test_tagger_sees_bounded_windows_and_every_token_comes_back():
    toks = [f"w{i}" for i in range(2 * TAG_WINDOW + 500)]
    tg = RecordingTagger()
    out = tag_text(" ".join(toks), tg, "de")
    assert [len(w) for w in tg.seen] == [TAG_WINDOW, TAG_WINDOW, 500]
    assert [t for t, _tag, _u in out] == toks


def test_tagger_sees_a_long_word_shortened_and_the_surface_form_is_kept():
    word = "Sonnen" + "x" * 200 + "schein"
    tg = RecordingTagger()
    out = tag_text(f"die {word} .", tg, "de")
    seen = tg.seen[0][1]
    assert len(seen) == TAG_WORD_CHARS and seen == "S" + word[-(TAG_WORD_CHARS - 1):]
    assert out[1][0] == word


def test_hanta_unchanged_on_a_normal_sentence_and_fast_on_a_long_word():
    from slt_nb.metrics.pger import get_tagger, tag_tokens

    tg = get_tagger("hanta")
    text = "Die Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetze bleiben am Freitag im Süden ."  # a 63-letter word
    assert tag_text(text, tg, "de") == tg.tag(tag_tokens(text, "de"), "de")
    res = pger(["am tag scheint die " + "sonnenschein" * 100], [REF], tagger=tg, lang="de")  # a 1,200-letter word: ~30 s for HanTa
    assert res.n_tokens_shortened == 1 and res.n_tagged_in_windows == 0 and 0 <= res.score <= 1


def test_pger_counts_texts_tagged_in_windows():
    text = " ".join(["so", "re"] * 700)  # 1,400 tokens in 4,199 characters: under the limit, above one window
    assert len(text) <= MAX_SENTENCE_CHARS and 1400 > TAG_WINDOW
    res = pger([text, REF], [REF, REF], tagger="hanta", lang="de")
    assert res.n_tagged_in_windows == 1 and res.n_tokens_shortened == 0 and res.per_sentence[1] == 1.0


def test_limits_stated_in_help_and_readme_match_the_code():
    import subprocess
    import sys
    from pathlib import Path

    help_text = " ".join(subprocess.run([sys.executable, "-m", "slt_nb", "score", "--help"], capture_output=True, text=True, check=True).stdout.split())
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())
    for text in (help_text, readme):
        assert f"longer than {MAX_SENTENCE_CHARS:,} characters" in text
        assert f"{8 * BLOCK_ELEMENTS // 2**20} MB" in text
        assert f"{TAG_WINDOW:,} tokens at a time" in text and f"at most {TAG_WORD_CHARS} characters" in text
