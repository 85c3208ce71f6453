"""Tables 12-15's noun-phrase extraction is ours (issue 15, fidelity): the paper does not say how it extracted
its noun phrases (App. C-D, Tables 12-15 name no tool; Sec 4.2's FLAIR POS tagging is PGER's), so the tables
must not attribute it to the paper; their signatures say ``np:ours`` and how the tagger treated case."""

from __future__ import annotations

import pytest

from slt_nb.analysis import NP_METHOD, vocab_bias
from slt_nb.metrics.taggers import HantaTagger
from slt_nb.metrics.truecase import HANTA_CASE
from slt_nb.report import bias_tables as bt

CASES = [
    ("noun-phrase signature says ours", lambda: bt.vocab_signature(HantaTagger(), pronouns=False), ["unit:noun-phrase|np:ours|tagger:hanta-1.2.1", f"case:{HANTA_CASE}"]),
    ("a name still works", lambda: bt.vocab_signature("hanta-1.2.1", top=10), ["np:ours|tagger:hanta-1.2.1|chunk:"]),
    ("word counts are not noun phrases", lambda: bt.vocab_signature(HantaTagger(), unit="word", top=10), ["unit:word|tok:"]),
    ("the tables' note", lambda: bt.NP_METHOD_NOTE, ["our extraction", "The paper does not say how it extracted its noun phrases", "Sec 4.2 is PGER's"]),
    ("the constant", lambda: NP_METHOD, ["ours:", "the paper does not state how it extracted noun phrases"]),
    ("the module", lambda: vocab_bias.__doc__, ["**our method**", "The paper does not say how it extracted its noun"]),
]


@pytest.mark.parametrize("what,text,needles", CASES, ids=[c[0] for c in CASES])
def test_noun_phrases_are_stated_as_ours(what, text, needles):
    out = " ".join(text().split())
    for needle in needles:
        assert needle in out
    assert "np:ours" not in bt.vocab_signature(HantaTagger(), unit="word")
