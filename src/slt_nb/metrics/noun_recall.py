"""How many of a text's known nouns a POS tagger finds: the check behind the tagger used for PGER and the
noun phrases (Tables 4, 12-15) on lowercase German.

:func:`noun_recall` tags texts whose nouns are known (the synthetic German corpus: :mod:`slt_nb.synth.nouns_de`)
with :func:`~.pger.tag_text` -- the tokens and windows PGER and the noun-phrase chunker use -- and counts, over
the tokens, the known nouns tagged NOUN or PROPN (recall) and the other words tagged so (for precision).
:func:`synthetic_german_noun_recall` measures it on sentences of the synthetic German grammar.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .pger import get_tagger, tag_text

NOUN_CLASSES = frozenset({"NOUN", "PROPN"})


@dataclass
class NounRecall:
    """Token counts: ``found`` of ``nouns`` known nouns tagged NOUN/PROPN; ``false_nouns`` other words tagged so."""

    found: int
    nouns: int
    false_nouns: int
    missed: Counter = field(default_factory=Counter)  # known noun -> times it was not tagged a noun

    @property
    def recall(self) -> float:
        return self.found / self.nouns if self.nouns else 0.0

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.false_nouns) if self.found + self.false_nouns else 0.0


def noun_recall(texts: Iterable[str], nouns: frozenset[str] | set[str], *, tagger="hanta", lang: str) -> NounRecall:
    """Noun recall and precision of ``tagger`` over the word tokens (letters only) of ``texts``; ``nouns``:
    the lowercase words that are nouns wherever they occur in these texts."""
    tagger = get_tagger(tagger)
    out = NounRecall(0, 0, 0)
    for text in texts:
        for tok, _tag, upos in tag_text(text, tagger, lang):
            if not tok.isalpha():
                continue
            is_noun = upos in NOUN_CLASSES
            if tok.lower() in nouns:
                out.nouns += 1
                out.found += is_noun
                if not is_noun:
                    out.missed[tok.lower()] += 1
            elif is_noun:
                out.false_nouns += 1
    return out


def synthetic_german_noun_recall(*, tagger="hanta", n: int = 1000, seed: int = 0) -> NounRecall:
    """:func:`noun_recall` on ``n`` sentences of the synthetic German (PHOENIX-2014T-like, all lowercase)
    grammar drawn with ``seed``, against the lexicon's known nouns (:data:`slt_nb.synth.nouns_de.NOUNS`)."""
    import numpy as np

    from ..synth.grammar import Grammar
    from ..synth.nouns_de import NOUNS

    grammar, rng = Grammar("de"), np.random.default_rng(seed)
    return noun_recall([grammar.sentence(rng).text for _ in range(n)], NOUNS, tagger=tagger, lang="de")
