"""HanTa on lowercase German (issue 15, fidelity): the PHOENIX-2014T translations are all lowercase and HanTa
1.2.1 then misses nouns that are also something else ("am abend" -> adverb: the committed Table 12 dropped
"abend"). Lowercase text is tagged as its truecased reading (slt_nb.metrics.truecase); noun recall is measured
on the synthetic corpus, whose nouns are known (slt_nb.synth.nouns_de)."""

from __future__ import annotations

import pytest

from slt_nb.analysis.vocab_bias import compare_noun_phrases, noun_phrases
from slt_nb.errors import SLTInputError
from slt_nb.metrics.noun_recall import noun_recall, synthetic_german_noun_recall
from slt_nb.metrics.pger import content_words, pger, tag_text
from slt_nb.metrics.taggers import HantaTagger
from slt_nb.metrics.truecase import AS_IS, HANTA_CASE, is_caseless, truecased_model
from slt_nb.synth.nouns_de import NOUNS, OTHER_WORDS, lexicon_words

AS_RELEASED = HantaTagger(truecase=False)  # HanTa as it is (before the fix)
TRUECASED = HantaTagger()  # the default

# (lowercase text, word, UPOS before, UPOS after)
CASES = [
    ("am abend regnet es im norden .", "abend", "X", "NOUN"),  # Table 12's lost "abend" (HanTa: ADV)
    ("guten abend liebe zuschauer .", "abend", "X", "NOUN"),
    ("heute nacht gibt es frost .", "nacht", "X", "NOUN"),
    ("später am abend scheint die sonne in bayern .", "abend", "X", "NOUN"),
    ("am vormittag gibt es im osten hagel und wolken .", "hagel", "VERB", "NOUN"),  # HanTa: imperative of "hageln"
    ("am abend regnet es im norden .", "norden", "NOUN", "NOUN"),  # found before too
    ("später am abend scheint die sonne in bayern .", "bayern", "PROPN", "PROPN"),
    ("am abend regnet es im norden .", "regnet", "VERB", "VERB"),  # verbs stay verbs
    ("und nun die wettervorhersage für morgen freitag den zwölften august .", "morgen", "X", "X"),  # the adverb "tomorrow" stays one
]


@pytest.mark.parametrize("text,word,before,after", CASES)
def test_lowercase_nouns(text, word, before, after):
    def upos(tagger):
        return {tok: u for tok, _t, u in tag_text(text, tagger, "de")}[word]

    assert (upos(AS_RELEASED), upos(TRUECASED)) == (before, after)


def test_table12_keeps_abend():
    text = "am abend regnet es im norden ."
    assert noun_phrases(text, tagger=AS_RELEASED, lang="de", pronouns=False) == ["norden"]
    assert noun_phrases(text, tagger=TRUECASED, lang="de", pronouns=False) == ["abend", "norden"]
    assert compare_noun_phrases(text, "am abend schneit es .", tagger=TRUECASED, lang="de")["matched"] == ["abend"]


@pytest.mark.parametrize("text", ["Am Abend regnet es im Norden .", "Heute Nacht gibt es Frost ."])
def test_cased_text_is_tagged_as_before(text):
    assert tag_text(text, TRUECASED, "de") == tag_text(text, AS_RELEASED, "de")


@pytest.mark.parametrize("tokens,caseless", [(["am", "abend"], True), (["Am", "abend"], True), (["am", "Abend"], False), ([], True)])
def test_is_caseless(tokens, caseless):
    assert is_caseless(tokens) is caseless


def test_noun_recall_on_the_synthetic_corpus():
    """Measured on 300 sentences (seed 0) of the synthetic German grammar; on 1,000 sentences: recall 0.9192
    (2,436 of 2,650 noun tokens) -> 0.9996 (2,649), precision 0.9947 -> 0.9933."""
    before = synthetic_german_noun_recall(tagger=AS_RELEASED, n=300, seed=0)
    after = synthetic_german_noun_recall(tagger=TRUECASED, n=300, seed=0)
    assert before.nouns == after.nouns > 500
    assert before.recall <= 0.95 and {"abend", "nacht"} <= set(before.missed)
    assert after.recall >= 0.99 and "abend" not in after.missed
    assert after.precision >= 0.98  # not by calling everything a noun


def test_noun_recall_counts():
    r = noun_recall(["am abend regnet es im norden ."], {"abend", "norden"}, tagger=AS_RELEASED, lang="de")
    assert (r.found, r.nouns, r.false_nouns, dict(r.missed)) == (1, 2, 0, {"abend": 1})
    assert (r.recall, r.precision) == (0.5, 1.0)


def test_gold_nouns_classify_every_word_of_the_lexicon():
    assert not NOUNS & OTHER_WORDS
    assert lexicon_words() == NOUNS | OTHER_WORDS  # a word added to lexicon_de must be classified in nouns_de


def test_signatures_say_how_case_was_treated():
    ref, hyp = ["am abend regnet es im norden ."], ["am abend schneit es ."]
    assert f"case:{HANTA_CASE}" in pger(hyp, ref, tagger=TRUECASED, lang="de").signature
    assert f"case:{AS_IS}" in pger(hyp, ref, tagger=AS_RELEASED, lang="de").signature
    # PGER itself moves: "abend" is a content word of both now (Ent(ref) = {abend, regnet, norden})
    assert content_words(ref[0], TRUECASED, "de") == {"abend", "regnet", "norden"}
    assert pger(hyp, ref, tagger=TRUECASED, lang="de").score == pytest.approx(1 / 3)
    assert pger(hyp, ref, tagger=AS_RELEASED, lang="de").score == 0.0


def test_another_hanta_case_table_is_a_clear_error():
    class Model:
        LP_case_t = {1: {"upper": -1.0}}

    with pytest.raises(SLTInputError, match="HanTa==1.2.1"):
        truecased_model(Model())
