"""Pseudo-Gloss Entity Recall (paper Eq. 3) with a pluggable POS tagger.

``PGER(Y, Ŷ) = |Ent(Y) ∩ Ent(Ŷ)| / |Ent(Y)|`` where Ent(·) is the **set** of content words of a
translation: nouns (incl. proper nouns), verbs and adjectives, i.e. the Universal-POS classes
``NOUN, PROPN, VERB, ADJ`` (auxiliaries and modals are ``AUX``, not ``VERB``, as in UD). Words are
compared as lowercase NFC surface forms (no lemmatisation).

Taggers (the signature names the one actually used; see :mod:`.taggers`): ``hanta`` (default here,
offline), ``flair:ORG/NAME`` (the paper's: ``flair:flair/upos-multi``), ``flair:/path/model.pt``,
``spacy-en``. Content classes and tag mappings: :mod:`.tagsets`.

Tokens for tagging keep their case (German capitalisation helps the tagger) and punctuation;
English clitics (``n't 's 'm 're 've 'll 'd``) are split off.

Languages: the paper's PGER is defined for the German and English of its datasets; for Chinese (CSL-Daily)
it is **undefined** (:data:`UNDEFINED_LANGS`): :func:`pger` raises :class:`PGERUndefined` whatever the tagger,
and every report prints "n/a" with the reason (:mod:`.applicable`), never a number or ``nan``.

Lowercase text (the PHOENIX-2014T translations): HanTa tags it as its truecased reading (:mod:`.truecase`);
the signature's ``case`` field says so.

Edge cases: a reference with an **empty** entity set has no defined PGER: the sentence is
**excluded** from the average and counted (``n_excluded_empty_reference``). An empty prediction
(entity set empty, reference not) scores 0. Corpus PGER = plain mean over scored sentences, in
[0, 1] (as the paper's Table 4; checked by :mod:`.ranges`); None if no sentence could be scored.

Long inputs (:func:`tag_text`): a tagger sees at most :data:`TAG_WINDOW` (1,000) tokens at a time; a
longer text is tagged in consecutive windows of that many tokens. HanTa's Viterbi drops every path whose
log-probability falls below -1e6, so on a line of some 30,000-120,000 tokens it found no path and failed
with a raw ``KeyError``. A token longer than :data:`TAG_WORD_CHARS` (64) characters is shown to the tagger
as its first character and its last 63 (case and suffix, what a POS guess for an unknown word uses; HanTa's
word analysis grows faster than the square of the characters: 0.8 s for 200, 27 s for 1,000); its surface
form, not the shortened one, is what Eq. 3 compares. Both are counted (:class:`PGERResult`, ``slt-nb
score``'s ``counts``). A text of at most 1,000 tokens with words of at most 64 characters is tagged exactly
as before.
Texts longer than :data:`~.limits.MAX_SENTENCE_CHARS` characters are refused (:mod:`.limits`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import regex

from ..report.signature import signature
from .limits import check_lengths
from .ranges import Bounded, ranged_field
from .taggers import (
    DEFAULT_TAGGER,
    FLAIR_LANGS,
    FLAIR_WEIGHTS,
    PAPER_FLAIR_MODEL,
    TAGGERS,
    FlairTagger,
    HantaTagger,
    SpacyEnTagger,
    Tagger,
    TaggerLanguageUnsupported,
    TaggerUnavailable,
    get_tagger,
)
from .tagsets import CONTENT, HANTA_UPOS, UPOS, penn_to_upos
from .text import check_lang, normalise

__all__ = [  # the tagger names are re-exported: `from slt_nb.metrics.pger import get_tagger` keeps working
    "CONTENT", "DEFAULT_TAGGER", "FLAIR_LANGS", "FLAIR_WEIGHTS", "HANTA_UPOS", "PAPER_FLAIR_MODEL", "TAGGERS", "TAG_WINDOW",
    "TAG_WORD_CHARS", "UPOS", "FlairTagger", "HantaTagger", "PGERResult", "SpacyEnTagger", "Tagger", "TaggerLanguageUnsupported",
    "TaggerUnavailable", "content_words", "get_tagger", "penn_to_upos", "pger", "pger_pair", "pger_signature", "tag_text", "tag_tokens",
    "PGERUndefined", "UNDEFINED_LANGS", "check_defined",
]  # fmt: skip

TAG_WINDOW = 1000  # tokens a tagger sees at once
TAG_WORD_CHARS = 64  # characters of a token a tagger sees (first one + last 63)


# --- tokenisation for tagging -------------------------------------------------------------------

_TAG_TOKEN_RE = regex.compile(r"(?:[\p{L}\p{N}\p{M}])+(?:['’](?:[\p{L}\p{N}\p{M}])+)*|[^\s\p{L}\p{N}\p{M}]")
_EN_CLITIC_RE = regex.compile(r"^(.+?)(n['’]t|['’](?:s|m|re|ve|ll|d))$", regex.IGNORECASE)


def tag_tokens(text: str, lang: str) -> list[str]:
    """Case-preserving tokens for a POS tagger (NFC; punctuation kept as separate tokens)."""
    toks = _TAG_TOKEN_RE.findall(unicodedata.normalize("NFC", text))
    if lang != "en":
        return toks
    out = []
    for t in toks:
        m = _EN_CLITIC_RE.match(t)
        out.extend([m.group(1), m.group(2)] if m else [t])
    return out


def tagger_view(token: str) -> str:
    """What the tagger sees of ``token``: itself, or its first character and last ``TAG_WORD_CHARS - 1``."""
    return token if len(token) <= TAG_WORD_CHARS else token[0] + token[-(TAG_WORD_CHARS - 1) :]


def long_input_counts(text: str, lang: str) -> tuple[int, int]:
    """(1 if ``text`` is tagged in more than one window else 0, number of its tokens shortened for the tagger)."""
    toks = tag_tokens(text, check_lang(lang))
    return int(len(toks) > TAG_WINDOW), sum(len(t) > TAG_WORD_CHARS for t in toks)


def tag_text(text: str, tagger: Tagger, lang: str) -> list[tuple[str, str, str]]:
    """(token, tagger's tag, UPOS-like class) for each token of ``text`` (:func:`tag_tokens`), the surface token
    kept; tagged :data:`TAG_WINDOW` tokens at a time, each token as :func:`tagger_view` shows it."""
    toks = tag_tokens(text, check_lang(lang))
    out: list[tuple[str, str, str]] = []
    for start in range(0, max(len(toks), 1), TAG_WINDOW):
        window = toks[start : start + TAG_WINDOW]
        tagged = tagger.tag([tagger_view(t) for t in window], lang)
        out.extend((tok, t, upos) for tok, (_seen, t, upos) in zip(window, tagged))
    return out


def content_words(text: str, tagger: Tagger | str | None, lang: str) -> set[str]:
    """Ent(·): the set of lowercase NFC content words (NOUN, PROPN, VERB, ADJ)."""
    tagger = get_tagger(tagger)
    return {normalise(tok) for tok, _t, upos in tag_text(text, tagger, lang) if upos in CONTENT}


def pger_pair(ref: str, hyp: str, tagger, lang: str) -> float | None:
    """Eq. 3 for one pair, in [0, 1]; None when the reference has no content words. :class:`PGERUndefined` for Chinese."""
    check_defined(lang)
    tagger = get_tagger(tagger)
    ent_ref = content_words(ref, tagger, lang)
    if not ent_ref:
        return None
    ent_hyp = content_words(hyp, tagger, lang) if hyp.strip() else set()
    return len(ent_ref & ent_hyp) / len(ent_ref)


@dataclass
class PGERResult(Bounded):
    score: float | None = ranged_field("pger")  # corpus PGER in [0, 1]; None if no sentence was scored
    per_sentence: np.ndarray = ranged_field("pger")  # (N,), each in [0, 1]; NaN for excluded sentences
    n_scored: int
    n_excluded_empty_reference: int
    signature: str
    n_tagged_in_windows: int = 0  # predictions + references longer than TAG_WINDOW tokens
    n_tokens_shortened: int = 0  # tokens longer than TAG_WORD_CHARS characters, shown shortened to the tagger


def pger_signature(tagger_name: str, lang: str, case: str | None = None) -> str:
    """``case``: how the tagger treats the text's case (:mod:`.truecase`; a tagger object's ``case``)."""
    return signature(
        metric="pger", tagger=tagger_name, case=case, lang=lang, ent="noun+propn+verb+adj", match="lower-surface-set", empty_ref="excluded",
        avg="sentence-mean",
    )


# Languages the small-VLM paper's PGER is not defined for, and why (printed as "n/a" with this reason).
UNDEFINED_LANGS = {
    "zh": "PGER is not defined for Chinese: the small-VLM paper defines it (Sec 4.2, Eq. 3) on FLAIR POS tags of the words of its "
    "German and English datasets; Chinese is written without word boundaries and CSL-Daily is not one of its datasets",
}


class PGERUndefined(TaggerLanguageUnsupported):
    """PGER has no definition for this language (:data:`UNDEFINED_LANGS`), whatever the tagger: reported as "n/a"
    with :attr:`problem` as the reason (:mod:`.applicable`)."""


def check_defined(lang: str) -> None:
    """:class:`PGERUndefined` when the paper's PGER is undefined for ``lang``."""
    if lang in UNDEFINED_LANGS:
        raise PGERUndefined(UNDEFINED_LANGS[lang], hint="PGER is reported as n/a for this language")


def pger(hyps: Sequence[str], refs: Sequence[str], *, tagger: Tagger | str | None = DEFAULT_TAGGER, lang: str) -> PGERResult:
    """Corpus PGER (Eq. 3) over N sentence pairs: mean of the scored sentences, in [0, 1] (see the module docstring).

    Raises :class:`~slt_nb.errors.SLTInputError` for a text longer than :data:`~.limits.MAX_SENTENCE_CHARS`
    characters, :class:`PGERUndefined` for a language the paper's PGER is not defined for (Chinese),
    :class:`TaggerLanguageUnsupported` when the tagger has no model for ``lang``, ValueError if the lists
    differ in length."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
    check_defined(check_lang(lang))
    check_lengths(hyps, refs)
    tagger = get_tagger(tagger)
    per = np.array([np.nan if (s := pger_pair(r, h, tagger, lang)) is None else s for h, r in zip(hyps, refs)], dtype=float)
    scored = ~np.isnan(per)
    n = int(scored.sum())
    long = np.array([long_input_counts(t, lang) for t in [*hyps, *refs]], dtype=int).reshape(-1, 2).sum(axis=0)
    return PGERResult(
        score=float(per[scored].mean()) if n else None,
        per_sentence=per,
        n_scored=n,
        n_excluded_empty_reference=len(per) - n,
        signature=pger_signature(tagger.name, lang, getattr(tagger, "case", None)),
        n_tagged_in_windows=int(long[0]),
        n_tokens_shortened=int(long[1]),
    )
