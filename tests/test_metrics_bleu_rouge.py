"""BLEU (sacrebleu, one setting) and Unicode-aware ROUGE-L, against values computed by hand."""

from __future__ import annotations

import math

import pytest
from rouge_score import rouge_scorer
from rouge_score import tokenize as rouge_tokenize

from slt_nb.metrics.bleu import bleu_from_stats, corpus_bleu, sentence_bleu, sentence_stats
from slt_nb.metrics.rouge import rouge_l, sentence_rouge_l
from slt_nb.metrics.text import UnicodeTokenizer, word_tokens

# German with umlauts. 13a tokens: hyp [im süden regnet es .] (5), ref [im süden scheint die sonne .] (6).
# Matches: unigrams im, süden, . -> 3/5; bigrams "im süden" -> 1/4; trigrams 0/3; 4-grams 0/2.
# BP = exp(1 - 6/5). sacrebleu's exp smoothing: the k-th zero-match order gets 1/(2^k * total).
HYP_DE, REF_DE = "im süden regnet es .", "im süden scheint die sonne ."
_BP = math.exp(1 - 6 / 5)
_P = [3 / 5, 1 / 4, 1 / (2 * 3), 1 / (4 * 2)]
HAND_BLEU_DE = {n: 100 * _BP * math.exp(sum(math.log(p) for p in _P[:n]) / n) for n in (1, 2, 3, 4)}

BLEU_CASES = [
    # (hyp, ref, lang, {order: expected})
    ("am freitag ist es im süden sonnig .", "am freitag ist es im süden sonnig .", "de", {1: 100, 2: 100, 3: 100, 4: 100}),
    (HYP_DE, REF_DE, "de", HAND_BLEU_DE),
    ("", "im süden regnet es .", "de", {1: 0, 2: 0, 3: 0, 4: 0}),
    # NFC: a decomposed ü equals the precomposed one
    ("im su\u0308den regnet es .", HYP_DE, "de", {1: 100, 4: 100}),
    # case-sensitive (case:mixed): "Süden" != "süden"; 4 of 5 unigrams match
    ("im Süden regnet es .", HYP_DE, "de", {1: 80}),
    # Chinese, character level (zh tokenizer): 4 chars all match, BP = exp(1 - 7/4)
    ("我爱北京", "我爱北京天安门", "zh", {1: 100 * math.exp(1 - 7 / 4)}),
]


@pytest.mark.parametrize("hyp,ref,lang,expected", BLEU_CASES)
def test_corpus_bleu_known_values(hyp, ref, lang, expected):
    res = corpus_bleu([hyp], [ref], lang=lang)
    for n, v in expected.items():
        assert res.scores[n] == pytest.approx(v, abs=1e-9), n


def test_bleu_signature_states_the_setting():
    de = corpus_bleu([HYP_DE], [REF_DE], lang="de")
    assert de.sacrebleu_signature == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
    assert de.signatures[4].startswith(de.sacrebleu_signature + "|order:4|punct:kept|nfc:yes|slt-nb:")
    assert "tok:zh" in corpus_bleu(["我"], ["我"], lang="zh").sacrebleu_signature


def test_trailing_period_is_a_token_kept_as_is():
    # Dropping PHOENIX's " ." from the prediction costs one unigram and some brevity.
    with_p = corpus_bleu(["im süden regnet es ."], ["im süden regnet es ."], lang="de").scores[1]
    without = corpus_bleu(["im süden regnet es"], ["im süden regnet es ."], lang="de").scores[1]
    assert with_p == pytest.approx(100) and without == pytest.approx(100 * math.exp(1 - 5 / 4))


def test_stats_reproduce_sacrebleu_for_every_order():
    hyps = [HYP_DE, "am freitag scheint die sonne .", "", "und nun die wettervorhersage für morgen ."]
    refs = [REF_DE, "am freitag scheint im süden die sonne .", "es regnet .", "und nun die wettervorhersage für morgen freitag ."]
    tot = sentence_stats(hyps, refs, lang="de").sum(0)
    ref = corpus_bleu(hyps, refs, lang="de").scores
    for n in (1, 2, 3, 4):
        assert bleu_from_stats(tot, n) == pytest.approx(ref[n], abs=1e-9)


def test_sentence_bleu_direction():
    assert sentence_bleu(REF_DE, REF_DE, lang="de") == pytest.approx(100)
    assert sentence_bleu(HYP_DE, REF_DE, lang="de") > sentence_bleu("und nun das wetter .", REF_DE, lang="de")


# ---- ROUGE-L -----------------------------------------------------------------------------------

TOKEN_CASES = [
    ("Im Süden: Straße!", ["im", "süden", "straße"]),  # umlaut and ß stay inside the word, no casefold
    ("im su\u0308den", ["im", "süden"]),  # NFC
    ("a_b 12,5 grad .", ["a", "b", "12", "5", "grad"]),  # '_' and punctuation split
    ("我爱北京 abc", ["我", "爱", "北", "京", "abc"]),  # Chinese: one token per character
]


@pytest.mark.parametrize("text,tokens", TOKEN_CASES)
def test_unicode_tokens(text, tokens):
    assert word_tokens(text) == tokens


def test_rouge_scores_default_tokenizer_breaks_umlauts():
    default = rouge_scorer.RougeScorer(["rougeL"]).score
    assert rouge_tokenize.tokenize("süden", None) == ["s", "den"]
    assert UnicodeTokenizer().tokenize("süden") == ["süden"]
    # ours: [im süden regnet es] vs [im süden scheint die sonne]: LCS 2, P 2/4, R 2/5 -> F 4/9;
    # default tokenizer: [im s den regnet es] vs [im s den scheint die sonne]: LCS 3 -> F 6/11
    assert sentence_rouge_l(HYP_DE, REF_DE) == pytest.approx(4 / 9)
    assert default(REF_DE, HYP_DE)["rougeL"].fmeasure == pytest.approx(6 / 11)
    assert default("我爱北京天安门", "我爱北京")["rougeL"].fmeasure == 0


ROUGE_CASES = [
    (REF_DE, REF_DE, 1.0),
    (HYP_DE, REF_DE, 4 / 9),
    ("", REF_DE, 0.0),
    (".", REF_DE, 0.0),  # no word tokens
    ("IM SÜDEN REGNET ES", HYP_DE, 1.0),  # lowercased
    ("die straße ist nass", "die strasse ist nass", 2 * (3 / 4) * (3 / 4) / 1.5),  # ß is not ss
    ("我爱北京", "我爱北京天安门", 8 / 11),  # chars: LCS 4, P 1, R 4/7
]


@pytest.mark.parametrize("hyp,ref,expected", ROUGE_CASES)
def test_rouge_l_known_values(hyp, ref, expected):
    assert sentence_rouge_l(hyp, ref) == pytest.approx(expected)


def test_rouge_corpus_is_sentence_mean_with_signature():
    res = rouge_l([REF_DE, HYP_DE, ""], [REF_DE, REF_DE, REF_DE])
    assert res.score == pytest.approx((1 + 4 / 9 + 0) / 3)
    assert "metric:rougeL" in res.signature and "tok:nfc-lower-w" in res.signature and "stem:no" in res.signature
    assert "impl:rouge-score-0.1.2" in res.signature
