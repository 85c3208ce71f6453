"""A template grammar that yields a spoken sentence together with its glosses in sign order.

A lexicon (``lexicon_de``, ``lexicon_en`` ...; see :data:`LEXICONS`) holds *categories* of slot fillers and ordered
*templates*. A filler is ``(glosses, form, form, ...)``: the space-separated glosses that carry
its meaning and its surface forms (named per category in ``FORMS``; the first is the default).
A template is ``(text pattern, gloss pattern)``:

* text: words, ``{slot}`` / ``{slot.form}`` placeholders, and ``word=GLOSS`` anchors that tie a
  literal content word of the text to a literal gloss (Latin glosses are uppercase, Chinese
  glosses are Chinese words: ``今天=今天``);
* gloss: ``{slot}`` placeholders and literal glosses (each anchored in the text), in sign order.

A slot named ``region2`` draws from category ``region`` (a filler different from ``region``'s).
Categories may be per topic domain (``cooking.obj``); a sentence first draws a domain.
Domains, templates and fillers are drawn with Zipf weights (p ~ 1 / rank^s, rank = list
order), which gives the long-tailed word frequencies of real corpora.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple

import numpy as np

from ..errors import SLTInputError
from . import lexicon_de, lexicon_en, lexicon_en_in, lexicon_en_news, lexicon_zh

# Lexicon name -> module. The name is the spoken language, with a style tag where one language has
# several: 'en' instructions (How2Sign), 'en-news' news (OpenASL), 'en-in' Indian English news and
# daily life (iSign). It is what `slt-nb synth --lang` takes and what the ``.synth.json`` stamp records.
LEXICONS: dict[str, ModuleType] = {"de": lexicon_de, "en": lexicon_en, "en-news": lexicon_en_news, "en-in": lexicon_en_in, "zh": lexicon_zh}
LANGS = tuple(LEXICONS)

_PLACEHOLDER = re.compile(r"\{([a-z_]+?)(\d*)(?:\.([a-z_]+))?\}")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_ANCHOR = re.compile(rf"^([^\s=]+)=([A-Z][A-Z0-9-]*|[{_CJK}]+)(\W*)$")


class Sentence(NamedTuple):
    """A generated sentence: ``text`` (spoken language), ``glosses`` (sign order),
    ``spoken`` (the same glosses in the order their words occur in the text) and ``words`` (the
    text's words before the lexicon's ``finish`` joined them: CSL-Daily's ``label_word``)."""

    text: str
    glosses: list[str]
    spoken: list[str]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Template:
    words: tuple[str, ...]  # text tokens, anchors already reduced to their word
    anchors: dict[str, int]  # literal gloss -> index of its word in ``words``
    slots: dict[str, int]  # slot -> index of its first word in ``words``
    glosses: tuple[str, ...]  # gloss pattern tokens


def zipf_weights(n: int, s: float) -> np.ndarray:
    """Normalised Zipf weights for ranks 1..n: p_k ~ 1 / k^s."""
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    return w / w.sum()


def _parse_template(text: str, gloss: str, lex: ModuleType) -> _Template:
    """Parse and check a template: every gloss must come from a word of the text."""
    words, anchors, slots = [], {}, {}
    for i, tok in enumerate(text.split()):
        m = _ANCHOR.match(tok)
        if m:
            anchors[m.group(2)] = i
            tok = m.group(1) + m.group(3)
        for cat, num, form in _PLACEHOLDER.findall(tok):
            slots.setdefault(cat + num, i)
            if form and form not in lex.FORMS.get(cat, ()):
                raise SLTInputError(f"template {text!r}: category {cat!r} has no form {form!r}")
        words.append(tok)
    glosses = tuple(gloss.split())
    for g in glosses:
        m = _PLACEHOLDER.fullmatch(g)
        if (m and m.group(1) + m.group(2) not in slots) or (not m and g not in anchors):
            raise SLTInputError(f"template {text!r}: gloss {g!r} has no word in the text")
    return _Template(tuple(words), anchors, slots, glosses)


class Grammar:
    """Sentence generator for one lexicon (:data:`LEXICONS`: ``'de'`` weather forecasts, ``'en'``
    instructions, ``'en-news'`` news, ``'en-in'`` Indian news and daily life, ``'zh'`` Chinese daily life)."""

    def __init__(self, lang: str, zipf_s: float = 1.1) -> None:
        if lang not in LEXICONS:
            raise SLTInputError(f"unknown language {lang!r}", hint=f"expected one of {list(LANGS)}")
        if not zipf_s > 0:
            raise SLTInputError(f"zipf_s must be positive, got {zipf_s!r}")
        lex = LEXICONS[lang]
        self.lang = lang
        self._lex = lex
        self._templates = [_parse_template(t, g, lex) for t, g in lex.TEMPLATES]
        self._domains: tuple[str, ...] = tuple(lex.DOMAINS)
        self._p_templates = zipf_weights(len(self._templates), zipf_s)
        self._p_domains = zipf_weights(len(self._domains), zipf_s)
        self._zipf_s = zipf_s

    def _category(self, domain: str, name: str) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
        """Fillers and form names of category ``name``, preferring the domain's own."""
        key = f"{domain}.{name}" if f"{domain}.{name}" in self._lex.CATEGORIES else name
        return self._lex.CATEGORIES[key], self._lex.FORMS.get(name, ("text",))

    @property
    def domains(self) -> tuple[str, ...]:
        """Topic domains, most frequent first."""
        return self._domains

    def draw_domain(self, rng: np.random.Generator) -> str:
        return self._domains[rng.choice(len(self._domains), p=self._p_domains)]

    def sentence(self, rng: np.random.Generator, domain: str | None = None) -> Sentence:
        """Draw one sentence (text, glosses in sign order, glosses in spoken order) about
        ``domain`` (default: a domain drawn first)."""
        if domain is None:
            domain = self.draw_domain(rng)
        elif domain not in self._domains:
            raise SLTInputError(f"unknown domain {domain!r} for language {self.lang!r}", hint=f"expected one of {list(self._domains)}")
        tpl = self._templates[rng.choice(len(self._templates), p=self._p_templates)]
        chosen: dict[str, tuple[str, ...]] = {}  # slot -> its filler
        used: dict[str, set[int]] = {}  # category -> fillers already in this sentence

        def filler(cat: str, slot: str) -> tuple[str, ...]:
            if slot not in chosen:
                fillers, _ = self._category(domain, cat)
                taken = used.setdefault(cat, set())
                w = zipf_weights(len(fillers), self._zipf_s)
                w[sorted(taken)] = 0.0
                k = int(rng.choice(len(fillers), p=w / w.sum()))
                taken.add(k)
                chosen[slot] = fillers[k]
            return chosen[slot]

        def surface(m: re.Match) -> str:
            cat, num, form = m.groups()
            forms = self._category(domain, cat)[1]
            return filler(cat, cat + num)[1 + (forms.index(form) if form else 0)]

        words = [_PLACEHOLDER.sub(surface, tok) for tok in tpl.words]
        glosses, positions = [], []  # positions: index of the text word each gloss comes from
        for tok in tpl.glosses:
            m = _PLACEHOLDER.fullmatch(tok)
            if m:
                slot = m.group(1) + m.group(2)
                new = filler(m.group(1), slot)[0].split()
                glosses += new
                positions += [tpl.slots[slot]] * len(new)
            else:
                glosses.append(tok)
                positions.append(tpl.anchors[tok])
        order = sorted(range(len(glosses)), key=positions.__getitem__)  # stable: a filler's glosses keep their order
        raw = " ".join(words)
        return Sentence(self._lex.finish(raw), glosses, [glosses[k] for k in order], tuple(raw.split()))

    def vocabulary(self) -> list[str]:
        """Every gloss the grammar can produce, sorted."""
        vocab = {g for fillers in self._lex.CATEGORIES.values() for f in fillers for g in f[0].split()}
        vocab |= {g for t in self._templates for g in t.glosses if not _PLACEHOLDER.fullmatch(g)}
        return sorted(vocab)
