"""Pseudo-Gloss Entity Recall (paper Eq. 3) with a pluggable POS tagger.

``PGER(Y, Ŷ) = |Ent(Y) ∩ Ent(Ŷ)| / |Ent(Y)|`` where Ent(·) is the **set** of content words of a
translation: nouns (incl. proper nouns), verbs and adjectives, i.e. the Universal-POS classes
``NOUN, PROPN, VERB, ADJ`` (auxiliaries and modals are ``AUX``, not ``VERB``, as in UD). Words are
compared as lowercase NFC surface forms (no lemmatisation).

Taggers (the signature names the one actually used):

* ``hanta`` (default here): HanTa 1.2.1, models inside the pip package, German (STTS-like tags)
  and English (CLAWS5-like tags). Mapping to the content classes (:data:`HANTA_UPOS`):

  - German: ``NN, NNA, NNI`` → NOUN; ``NE`` → PROPN; ``VV(FIN|IMP|INF|IZU|PP)`` → VERB;
    ``ADJ(A), ADJ(D)`` → ADJ; ``VA(*)`` (sein/haben/werden) and ``VM(*)`` (modals) → AUX, not
    content. ``PPER, PRF`` → PRON (used only by the noun-phrase chunker).
  - English: ``NN0, NN1, NN2`` → NOUN; ``NP0`` → PROPN; ``VVB, VVD, VVG, VVI, VVN, VVZ`` → VERB;
    ``AJ0, AJC, AJS`` → ADJ; ``VB*`` (be), ``VD*`` (do), ``VH*`` (have), ``VM0`` (modals) → AUX,
    not content (approximates UD AUX; main-verb "have"/"do" are lost too). ``PNP`` → PRON.
* ``flair`` (the paper's): FLAIR ``de-pos`` (UD German HDT, UPOS) / ``upos`` (English UPOS).
  flair downloads its models at run time, impossible offline: unless the model file is already in
  flair's cache (or given as ``flair:/path/to/model.pt``), a clear error names the alternatives.
* ``spacy-en``: only if spaCy and a packaged English pipeline (``en_core_web_sm``) are importable
  (neither is installed here); ``token.pos_`` is UPOS already.

Tokens for tagging keep their case (German capitalisation helps the tagger) and punctuation;
English clitics (``n't 's 'm 're 've 'll 'd``) are split off.

Edge cases: a reference with an **empty** entity set has no defined PGER: the sentence is
**excluded** from the average and counted (``n_excluded_empty_reference``). An empty prediction
(entity set empty, reference not) scores 0. Corpus PGER = plain mean over scored sentences (0..1,
as the paper's Table 4); None if no sentence could be scored.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import regex

from ..errors import SLTInputError
from ..report.signature import signature
from .text import check_lang, normalise

CONTENT = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
TAGGERS = ("hanta", "flair", "spacy-en")
DEFAULT_TAGGER = "hanta"


class TaggerUnavailable(SLTInputError):
    """The requested tagger cannot run here (e.g. FLAIR without its model offline): an error."""


class TaggerLanguageUnsupported(TaggerUnavailable):
    """The tagger has no model for this language (HanTa and Chinese): PGER is reported as None."""


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


# --- tag mappings -------------------------------------------------------------------------------


def _hanta_de(tag: str) -> str:
    if tag in ("NN", "NNA", "NNI"):
        return "NOUN"
    if tag == "NE":
        return "PROPN"
    if tag.startswith("VV"):
        return "VERB"
    if tag.startswith(("VA", "VM")):
        return "AUX"
    if tag.startswith("ADJ"):
        return "ADJ"
    if tag in ("PPER", "PRF"):
        return "PRON"
    if tag in ("ART", "PDAT", "PIAT", "PPOSAT", "PWAT", "PRELAT"):
        return "DET"
    if tag == "CARD":
        return "NUM"
    if tag.startswith("$"):
        return "PUNCT"
    return "X"


def _hanta_en(tag: str) -> str:
    if tag in ("NN", "NN0", "NN1", "NN2"):
        return "NOUN"
    if tag == "NP0":
        return "PROPN"
    if tag in ("VVB", "VVD", "VVG", "VVI", "VVN", "VVZ"):
        return "VERB"
    if tag.startswith(("VB", "VD", "VH", "VM")):
        return "AUX"
    if tag in ("AJ0", "AJC", "AJS"):
        return "ADJ"
    if tag == "PNP":
        return "PRON"
    if tag in ("AT0", "DT0", "DPS", "DTQ"):
        return "DET"
    if tag in ("CRD", "ORD"):
        return "NUM"
    if tag.startswith("PU"):
        return "PUNCT"
    return "X"


HANTA_UPOS = {"de": _hanta_de, "en": _hanta_en}

# Penn Treebank (flair's English 'pos' model) -> UPOS, for a flair model that emits Penn tags.
_PENN = {
    "NN": "NOUN",
    "NNS": "NOUN",
    "NNP": "PROPN",
    "NNPS": "PROPN",
    "JJ": "ADJ",
    "JJR": "ADJ",
    "JJS": "ADJ",
    "MD": "AUX",
    "PRP": "PRON",
    "DT": "DET",
    "CD": "NUM",
}


def penn_to_upos(tag: str) -> str:
    if tag in _PENN:
        return _PENN[tag]
    if tag.startswith("VB"):
        return "VERB"  # Penn cannot tell auxiliaries apart
    return "X"


UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}


# --- taggers ------------------------------------------------------------------------------------


class Tagger(Protocol):
    name: str  # goes into the signature

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        """(token, tagger's own tag, UPOS-like class) per token."""
        ...


class HantaTagger:
    MODELS: ClassVar[dict[str, str]] = {"de": "morphmodel_ger.pgz", "en": "morphmodel_en.pgz"}

    def __init__(self) -> None:
        self.name = f"hanta-{version('HanTa')}"
        self._models: dict = {}
        self._cache: dict = {}

    def _model(self, lang: str):
        if lang not in self.MODELS:
            raise TaggerLanguageUnsupported(f"tagger hanta has no model for language {lang!r}", hint="HanTa covers German and English only")
        if lang not in self._models:
            from HanTa import HanoverTagger as ht

            self._models[lang] = ht.HanoverTagger(self.MODELS[lang])
        return self._models[lang]

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        key = (lang, tuple(tokens))
        if key not in self._cache:
            model = self._model(lang)
            if not tokens:
                self._cache[key] = []
            else:
                tagged = model.tag_sent(list(tokens), taglevel=1)
                self._cache[key] = [(tok, t, HANTA_UPOS[lang](t)) for tok, (_w, _lemma, t) in zip(tokens, tagged)]
        return self._cache[key]


FLAIR_MODELS = {"de": ("de-pos", "de-pos-ud-hdt-v0.5.pt"), "en": ("upos", "flair/upos-english")}


class FlairTagger:
    """FLAIR sequence tagger, used only when its model is already on this machine (no downloads)."""

    def __init__(self, model_path: str | None = None) -> None:
        self._explicit = model_path
        self._models: dict = {}
        try:
            v = version("flair")
        except PackageNotFoundError:
            v = "missing"
        self.name = f"flair-{v}" + (f":{Path(model_path).name}" if model_path else "")

    @staticmethod
    def _cached_file(lang: str) -> Path | None:
        _name, ref = FLAIR_MODELS[lang]
        root = Path(os.getenv("FLAIR_CACHE_ROOT", Path.home() / ".flair"))
        if lang == "de":
            p = root / "models" / ref
            return p if p.is_file() else None
        try:
            from huggingface_hub import try_to_load_from_cache

            hit = try_to_load_from_cache(ref, "pytorch_model.bin")
            return Path(hit) if isinstance(hit, str) else None
        except Exception:  # noqa: BLE001
            return None

    def _model(self, lang: str):
        if lang not in FLAIR_MODELS and not self._explicit:
            raise TaggerLanguageUnsupported(f"no FLAIR POS model configured for language {lang!r}")
        if lang not in self._models:
            path = Path(self._explicit) if self._explicit else self._cached_file(lang)
            if path is None or not path.is_file():
                name = FLAIR_MODELS[lang][0]
                raise TaggerUnavailable(
                    f"FLAIR POS model {name!r} ({lang}) is not available offline: flair downloads its models at run time and this machine has no network",
                    hint="use --tagger hanta (the default: German and English models inside the HanTa package), "
                    "spacy-en (only if a packaged spaCy English pipeline is installed), or flair:/path/to/model.pt",
                )
            from flair.models import SequenceTagger

            self._models[lang] = SequenceTagger.load(str(path))
        return self._models[lang]

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        model = self._model(lang)
        if not tokens:
            return []
        from flair.data import Sentence

        sent = Sentence(list(tokens))
        model.predict(sent)
        out = []
        for tok, ft in zip(tokens, sent.tokens):
            t = ft.get_label(model.tag_type).value
            out.append((tok, t, t if t in UPOS else penn_to_upos(t)))
        return out


class SpacyEnTagger:
    PIPELINES = ("en_core_web_sm",)

    def __init__(self) -> None:
        try:
            import spacy
        except ImportError:
            raise TaggerUnavailable(
                "tagger spacy-en needs spaCy and a packaged English pipeline; spaCy is not installed",
                hint="use --tagger hanta (the default)",
            ) from None
        for pkg in self.PIPELINES:
            try:
                self._nlp = spacy.load(pkg, disable=["ner", "parser", "lemmatizer"])
                self.name = f"spacy-{spacy.__version__}:{pkg}-{self._nlp.meta.get('version', '?')}"
                return
            except OSError:
                continue
        raise TaggerUnavailable(f"no packaged spaCy English pipeline importable (tried {self.PIPELINES})", hint="use --tagger hanta")

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        if lang != "en":
            raise TaggerLanguageUnsupported(f"tagger spacy-en has no model for language {lang!r}", hint="use --tagger hanta for German")
        from spacy.tokens import Doc

        doc = self._nlp(Doc(self._nlp.vocab, words=list(tokens)))
        return [(t.text, t.tag_, t.pos_) for t in doc]


_TAGGERS: dict[str, Tagger] = {}


def get_tagger(spec: str | Tagger | None = DEFAULT_TAGGER) -> Tagger:
    """A tagger by name (``hanta``, ``flair``, ``flair:/path/model.pt``, ``spacy-en``) or a tagger object."""
    if spec is None:
        spec = DEFAULT_TAGGER
    if not isinstance(spec, str):
        return spec
    if spec not in _TAGGERS:
        if spec == "hanta":
            _TAGGERS[spec] = HantaTagger()
        elif spec == "flair":
            _TAGGERS[spec] = FlairTagger()
        elif spec.startswith("flair:"):
            _TAGGERS[spec] = FlairTagger(spec.split(":", 1)[1])
        elif spec == "spacy-en":
            _TAGGERS[spec] = SpacyEnTagger()
        else:
            raise SLTInputError(f"unknown tagger {spec!r}", hint=f"expected one of {TAGGERS} (or flair:/path/to/model.pt)")
    return _TAGGERS[spec]


def tag_text(text: str, tagger: Tagger, lang: str) -> list[tuple[str, str, str]]:
    return tagger.tag(tag_tokens(text, check_lang(lang)), lang)


def content_words(text: str, tagger: Tagger | str | None, lang: str) -> set[str]:
    """Ent(·): the set of lowercase NFC content words (NOUN, PROPN, VERB, ADJ)."""
    tagger = get_tagger(tagger)
    return {normalise(tok) for tok, _t, upos in tag_text(text, tagger, lang) if upos in CONTENT}


def pger_pair(ref: str, hyp: str, tagger, lang: str) -> float | None:
    """Eq. 3 for one pair; None when the reference has no content words."""
    tagger = get_tagger(tagger)
    ent_ref = content_words(ref, tagger, lang)
    if not ent_ref:
        return None
    ent_hyp = content_words(hyp, tagger, lang) if hyp.strip() else set()
    return len(ent_ref & ent_hyp) / len(ent_ref)


@dataclass
class PGERResult:
    score: float | None
    per_sentence: np.ndarray  # NaN for excluded sentences
    n_scored: int
    n_excluded_empty_reference: int
    signature: str


def pger_signature(tagger_name: str, lang: str) -> str:
    return signature(
        metric="pger", tagger=tagger_name, lang=lang, ent="noun+propn+verb+adj", match="lower-surface-set", empty_ref="excluded", avg="sentence-mean"
    )


def pger(hyps: Sequence[str], refs: Sequence[str], *, tagger: Tagger | str | None = DEFAULT_TAGGER, lang: str) -> PGERResult:
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
    tagger = get_tagger(tagger)
    per = np.array([np.nan if (s := pger_pair(r, h, tagger, lang)) is None else s for h, r in zip(hyps, refs)], dtype=float)
    scored = ~np.isnan(per)
    n = int(scored.sum())
    return PGERResult(
        score=float(per[scored].mean()) if n else None,
        per_sentence=per,
        n_scored=n,
        n_excluded_empty_reference=len(per) - n,
        signature=pger_signature(tagger.name, lang),
    )
