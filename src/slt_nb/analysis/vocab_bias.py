"""Word and noun-phrase frequencies in predictions vs test references vs training references
(paper Sec 4.4.2 and Appendix D, Tables 14–15) and per-sentence noun-phrase comparisons
(Appendix C, Tables 12–13).

Words: :func:`~slt_nb.metrics.text.word_tokens` (NFC, lowercase, letter/digit runs; punctuation
dropped). Frequencies are raw occurrence counts in each text collection (as in the paper's
tables; the training set is much larger, so its counts are larger).

Noun phrases: **our method** (:data:`NP_METHOD`). The paper does not say how it extracted its noun
phrases: Appendices C–D and Tables 12–15 name no tool or rule (Sec 4.2's "FLAIR part-of-speech tagging"
is PGER's content words, not the noun phrases), so nothing here is attributed to it. Ours
(:data:`CHUNK_RULE`), from the POS tags of :mod:`slt_nb.metrics.pger` (HanTa by default; lowercase text
tagged as its truecased reading, :mod:`slt_nb.metrics.truecase`): a noun phrase is a maximal run
``ADJ* (NOUN|PROPN)+`` — attributive adjectives
directly before one or more nouns/proper nouns ("einzelne schauer", "nordwesten deutschlands",
"neunundzwanzigsten oktober"). Articles and other determiners are not part of the phrase
("den süden" → "süden"), as in the paper's Table 12. With ``pronouns=True`` (default, to match
the paper's Tables 14–15, whose top entries are "es", "sich", "uns") a personal or reflexive
pronoun (HanTa ``PPER``/``PRF``; English ``PNP``) is a one-word noun phrase too. Phrases are
lowercase NFC, words joined by one space.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import pandas as pd

from ..metrics.pger import get_tagger, tag_text
from ..metrics.text import normalise, word_tokens

CHUNK_RULE = "maximal runs ADJ* (NOUN|PROPN)+, determiners excluded; personal/reflexive pronouns as one-word phrases when pronouns=True"
NP_METHOD = "ours: POS tags + CHUNK_RULE; the paper does not state how it extracted noun phrases (App. C-D, Tables 12-15)"


def word_counts(texts: Iterable[str]) -> Counter:
    c: Counter = Counter()
    for t in texts:
        c.update(word_tokens(t))
    return c


def noun_phrases(text: str, *, tagger="hanta", lang: str, pronouns: bool = True) -> list[str]:
    """Noun phrases of one text in order of occurrence (repeats kept)."""
    tagged = tag_text(text, get_tagger(tagger), lang)
    out: list[str] = []
    adjs: list[str] = []
    nouns: list[str] = []

    def flush():
        if nouns:
            out.append(" ".join(adjs + nouns))
        adjs.clear()
        nouns.clear()

    for tok, _tag, upos in tagged:
        w = normalise(tok)
        if upos in ("NOUN", "PROPN"):
            nouns.append(w)
        elif upos == "ADJ":
            if nouns:  # an adjective after the nouns starts a new candidate
                flush()
            adjs.append(w)
        else:
            flush()
            if pronouns and upos == "PRON":
                out.append(w)
    flush()
    return out


def noun_phrase_counts(texts: Iterable[str], *, tagger="hanta", lang: str, pronouns: bool = True) -> Counter:
    tagger = get_tagger(tagger)
    c: Counter = Counter()
    for t in texts:
        c.update(noun_phrases(t, tagger=tagger, lang=lang, pronouns=pronouns))
    return c


def frequency_table(predicted: Counter, test: Counter, train: Counter, *, by: str = "predicted", top: int = 10) -> pd.DataFrame:
    """Top-``top`` items of the ``by`` collection (``predicted`` → Table 14, ``test`` → Table 15)
    with their counts in all three; ties broken alphabetically."""
    source = {"predicted": predicted, "test": test, "train": train}[by]
    items = sorted(source.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    rows = [{"item": k, "predicted": predicted.get(k, 0), "test": test.get(k, 0), "train": train.get(k, 0)} for k, _ in items]
    return pd.DataFrame(rows, columns=["item", "predicted", "test", "train"])


def vocab_bias_tables(
    predictions: Sequence[str],
    test_references: Sequence[str],
    train_references: Sequence[str],
    *,
    unit: str = "np",
    tagger="hanta",
    lang: str,
    top: int = 10,
    pronouns: bool = True,
) -> dict[str, pd.DataFrame]:
    """``{"top_predicted": Table 14, "top_test": Table 15}`` for words (``unit="word"``) or noun phrases (``"np"``)."""
    if unit == "word":
        counts = [word_counts(x) for x in (predictions, test_references, train_references)]
    elif unit == "np":
        tg = get_tagger(tagger)
        counts = [noun_phrase_counts(x, tagger=tg, lang=lang, pronouns=pronouns) for x in (predictions, test_references, train_references)]
    else:
        raise ValueError(f"unit must be 'word' or 'np', got {unit!r}")
    pred, test, train = counts
    return {"top_predicted": frequency_table(pred, test, train, by="predicted", top=top), "top_test": frequency_table(pred, test, train, by="test", top=top)}


def compare_noun_phrases(reference: str, prediction: str, *, tagger="hanta", lang: str, pronouns: bool = False) -> dict[str, list[str]]:
    """Tables 12–13: the distinct noun phrases of reference and prediction (first-occurrence order)
    and those they share. Pronouns are left out by default here (the paper's Tables 12–13 show none)."""
    ref = list(dict.fromkeys(noun_phrases(reference, tagger=tagger, lang=lang, pronouns=pronouns)))
    hyp = list(dict.fromkeys(noun_phrases(prediction, tagger=tagger, lang=lang, pronouns=pronouns)))
    shared = set(hyp)
    return {"reference": ref, "prediction": hyp, "matched": [p for p in ref if p in shared]}


LABEL_ITERATIONS = 500  # adjustText iterations at most (it stops earlier once no label overlaps): a fixed count, so the same table gives the same PNG on any machine


def plot_predicted_vs_train(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Seaborn scatter of predicted vs training frequency (log–log) for the items of a
    :func:`frequency_table`, each labelled (phrases at the same position share a label; labels moved apart by adjustText, a thin line back to their point);
    point size = test frequency, its legend outside the axes. Returns the axes."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from adjustText import adjust_text
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    ax.set_xlabel("training-set frequency + 1")
    ax.set_ylabel("predicted frequency + 1")
    if title:
        ax.set_title(title)
    if table.empty:  # a model that predicts no noun phrase: say so (a log axis of nothing cannot be drawn)
        ax.text(0.5, 0.5, "no noun phrase predicted", ha="center", va="center", transform=ax.transAxes)
        return ax
    df = table.assign(train1=table["train"] + 1, predicted1=table["predicted"] + 1)  # +1: log scale with zeros
    sns.scatterplot(data=df, x="train1", y="predicted1", size="test", sizes=(20, 200), ax=ax, legend="brief")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # plain counts at 1, 2, 5, 10, 20, ... (not 3x10^1)
        axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    same = df.groupby(["train1", "predicted1"], sort=False)["item"].agg(", ".join).reset_index()  # one label per position
    texts = [ax.text(r["train1"], r["predicted1"], r["item"], fontsize=8) for _, r in same.iterrows()]
    adjust_text(texts, ax=ax, expand=(1.2, 1.6), iter_lim=LABEL_ITERATIONS,  # no label over another
                arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5})  # iter_lim: without it adjustText stops after 1 s, a layout that depends on the machine's speed
    ax.legend(title="test frequency", fontsize=7, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return ax
