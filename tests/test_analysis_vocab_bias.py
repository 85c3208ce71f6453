"""Vocabulary bias (Appendix D, Tables 14-15) and noun-phrase comparisons (Appendix C, Tables 12-13)."""

from __future__ import annotations

from collections import Counter

import pytest

from slt_nb.analysis.vocab_bias import (
    compare_noun_phrases,
    frequency_table,
    noun_phrase_counts,
    noun_phrases,
    plot_predicted_vs_train,
    vocab_bias_tables,
    word_counts,
)

NP_CASES = [
    ("de", "im nordwesten deutschlands und an der ostsee scheint die sonne .", ["nordwesten deutschlands", "ostsee", "sonne"]),
    ("de", "ein neuer tiefausläufer erreicht den süden .", ["neuer tiefausläufer", "süden"]),  # article dropped
    ("de", "und nun die wettervorhersage für morgen freitag den neunundzwanzigsten oktober .", ["wettervorhersage", "freitag", "neunundzwanzigsten oktober"]),
    ("de", "morgen regnet es an den alpen .", ["es", "alpen"]),  # personal pronoun as a phrase (pronouns=True)
    ("en", "The Rehabilitation Act protects them.", ["rehabilitation act", "them"]),
]


@pytest.mark.parametrize("lang,text,expected", NP_CASES)
def test_noun_phrases_chunking_rule(lang, text, expected):
    assert noun_phrases(text, lang=lang) == expected


def test_noun_phrases_without_pronouns():
    assert noun_phrases("morgen regnet es an den alpen .", lang="de", pronouns=False) == ["alpen"]


def test_compare_noun_phrases_table12_style():
    got = compare_noun_phrases("im westen scheint die sonne .", "im westen und im nordwesten gibt es einzelne schauer .", lang="de")
    assert got["reference"] == ["westen", "sonne"]
    assert got["matched"] == ["westen"]
    assert "nordwesten" in got["prediction"] and "es" not in got["prediction"]


def test_word_counts_unicode():
    assert word_counts(["im Süden .", "süden und norden"]) == Counter({"süden": 2, "im": 1, "und": 1, "norden": 1})


def test_frequency_table_order_and_ties():
    pred, test, train = Counter(a=3, b=3, c=1), Counter(c=5, a=1), Counter(a=10, d=2)
    t14 = frequency_table(pred, test, train, by="predicted", top=2)
    assert t14.to_dict("records") == [{"item": "a", "predicted": 3, "test": 1, "train": 10}, {"item": "b", "predicted": 3, "test": 0, "train": 0}]
    t15 = frequency_table(pred, test, train, by="test", top=1)
    assert t15.to_dict("records") == [{"item": "c", "predicted": 1, "test": 5, "train": 0}]


def test_vocab_bias_tables_show_overgenerated_words():
    train = ["im süden scheint die sonne ."] * 5 + ["im norden regnet es ."] * 2 + ["an der küste ist es windig ."]
    test = ["an der küste regnet es .", "im norden scheint die sonne ."]
    pred = ["im süden scheint die sonne .", "im süden scheint die sonne ."]  # the model repeats the frequent training phrase
    tabs = vocab_bias_tables(pred, test, train, unit="np", lang="de")
    top = tabs["top_predicted"].set_index("item")
    assert top.loc["süden"].tolist() == [2, 0, 5] and top.loc["sonne"].tolist() == [2, 1, 5]
    assert tabs["top_test"]["item"].tolist()[:2] == ["es", "küste"]  # es: test 1 ... ties alphabetical
    words = vocab_bias_tables(pred, test, train, unit="word", lang="de", top=3)["top_predicted"]
    assert words["item"].tolist() == ["die", "im", "scheint"]
    assert noun_phrase_counts(test, lang="de")["es"] == 1


def test_plot_predicted_vs_train():
    import matplotlib

    matplotlib.use("Agg")
    t = frequency_table(Counter(süden=106, norden=67), Counter(süden=50, norden=54), Counter(süden=653, norden=628))
    ax = plot_predicted_vs_train(t, title="PHOENIX")
    assert ax.get_xscale() == "log" and len(ax.texts) == 2


def test_bias_plot_draws_a_panel_without_noun_phrases(tmp_path):
    """A model that predicts no noun phrase (an early real run) gets a labelled empty panel, not a crash on draw."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from slt_nb.report.bias_tables import bias_figure

    empty = pd.DataFrame(columns=["item", "predicted", "test", "train"])
    one = pd.DataFrame({"item": ["regen"], "predicted": [2], "test": [1], "train": [0]})
    fig = bias_figure({"A": one, "B": empty}, models={"A": "m", "B": "m"})
    fig.savefig(tmp_path / "bias.png")
    assert (tmp_path / "bias.png").stat().st_size > 1000
    assert any(t.get_text() == "no noun phrase predicted" for t in fig.axes[1].texts)


def test_plot_label_layout_does_not_depend_on_machine_speed(monkeypatch):
    """adjustText's default stops after 1 s of wall time, so a slower machine drew another layout (the committed
    figure differed in a fresh clone). With a fixed iteration count, a clock that runs 100x faster gives the same labels."""
    import itertools

    import adjustText
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = ["süden", "norden", "westen", "osten", "regen", "sonne", "wind", "schnee"]
    t = frequency_table(Counter({w: 10 for w in items}), Counter({w: 5 for w in items}), Counter({w: 100 + i for i, w in enumerate(items)}))

    def positions():
        ax = plot_predicted_vs_train(t, title="PHOENIX")
        ax.figure.canvas.draw()
        out = [tuple(round(v, 6) for v in txt.get_position()) for txt in ax.texts]
        plt.close(ax.figure)
        return out

    steady = positions()
    clock = itertools.count(0.0, 100.0)  # every timer() call 100 s later: a 1-s time limit would stop after one step
    monkeypatch.setattr(adjustText, "timer", lambda: next(clock))
    assert positions() == steady
    assert len(set(steady)) == len(items)  # the labels were moved apart (eight at one point to start with)
