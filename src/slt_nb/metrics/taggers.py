"""POS taggers for PGER (:mod:`.pger`): HanTa (offline default), FLAIR by hub id or file, spaCy English.

Taggers (the signature names the one actually used):

* ``hanta`` (default here): HanTa 1.2.1, models inside the pip package, German (STTS-like tags)
  and English (CLAWS5-like tags). Mapping to the content classes (:data:`.tagsets.HANTA_UPOS`):

  - German: ``NN, NNA, NNI`` → NOUN; ``NE`` → PROPN; ``VV(FIN|IMP|INF|IZU|PP)`` → VERB;
    ``ADJ(A), ADJ(D)`` → ADJ; ``VA(*)`` (sein/haben/werden) and ``VM(*)`` (modals) → AUX, not
    content. ``PPER, PRF`` → PRON (used only by the noun-phrase chunker).
  - English: ``NN0, NN1, NN2`` → NOUN; ``NP0`` → PROPN; ``VVB, VVD, VVG, VVI, VVN, VVZ`` → VERB;
    ``AJ0, AJC, AJS`` → ADJ; ``VB*`` (be), ``VD*`` (do), ``VH*`` (have), ``VM0`` (modals) → AUX,
    not content (approximates UD AUX; main-verb "have"/"do" are lost too). ``PNP`` → PRON.

  **Lowercase text** (:data:`HANTA_CASE`; the PHOENIX-2014T translations are all lowercase). HanTa scores
  each reading of a word by its lowercased form plus a case term, log P(capitalised | tag): in German a
  lowercase word is almost never a noun (log P(lower | NN) = -5.7), so on lowercase text HanTa 1.2.1 misses
  nouns that are also something else ("am abend" -> ADV, "heute nacht", "im osten hagel" -> imperative). A text in
  which no token but the first (whose case HanTa ignores anyway) has a capital letter carries no case
  information; it is tagged as its truecased reading: every tag reading is scored with the case that tag
  usually has (the larger of log P(upper | tag) and log P(lower | tag): German nouns capitalised, other
  words lowercase). A text with capitals elsewhere is tagged as HanTa does. On 1,000 sentences of the
  synthetic German corpus (seed 0; :mod:`slt_nb.synth.nouns_de` knows its nouns, :mod:`.noun_recall`
  measures) noun recall goes from 0.9192 (2,436 of 2,650 noun tokens) to 0.9996 (2,649), precision from
  0.9947 to 0.9933 (``tests/test_tagger_lowercase.py``). ``HantaTagger(truecase=False)``: HanTa as it is.
  The signatures of PGER and of the noun phrases name the policy (``case:``).
* ``flair:ORG/NAME`` (the paper's: ``flair:flair/upos-multi``, FLAIR's multilingual UPOS tagger, which
  covers German and English; ``flair`` alone means that one): a FLAIR ``SequenceTagger`` by hub id, read
  from the local Hugging Face cache (``$HF_HOME/hub``, then flair's own ``~/.flair/models/NAME``), never
  downloaded. ``flair:/path/to/model.pt``: a local file. Either is read by the **restricted loader** of
  :mod:`.flair_pickle` (no code from the file runs); a file that needs more (models saved by flair < 0.12)
  is refused unless ``trust_flair_pickle=True``. UPOS tags are used as they are (Penn tags are mapped).
  A missing model is an error (:class:`TaggerUnavailable`) unless ``fallback=True``: then HanTa tags, a
  :class:`~.hub_models.MetricModelFallback` warning says why and the tagger's name (so every signature)
  says ``hanta-1.2.1(fallback:flair/upos-multi unavailable:<reason>)``.
* ``spacy-en``: only if spaCy and a packaged English pipeline (``en_core_web_sm``) are importable
  (neither is installed here); ``token.pos_`` is UPOS already.

A tagger's ``tag(tokens, lang)`` gives ``(token, tagger's own tag, UPOS-like class)`` per token; the
tokens, and how long a text a tagger sees at once, are :mod:`.pger`'s (:func:`.pger.tag_text`).
"""

from __future__ import annotations

import os
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import ClassVar, Protocol

from ..errors import SLTInputError
from .tagsets import HANTA_UPOS, UPOS, penn_to_upos
from .truecase import AS_IS, HANTA_CASE, is_caseless, truecased_model

TAGGERS = ("hanta", "flair", "spacy-en")
DEFAULT_TAGGER = "hanta"


class TaggerUnavailable(SLTInputError):
    """The requested tagger cannot run here (e.g. FLAIR without its model offline): an error.
    ``reason`` is one of :data:`.hub_models.REASONS` (what a fallback's name says)."""

    def __init__(self, problem: str, *, reason: str = "load-failed", **kwargs) -> None:
        super().__init__(problem, **kwargs)
        self.reason = reason


class TaggerLanguageUnsupported(TaggerUnavailable):
    """The tagger has no model for this language (HanTa and Chinese): PGER is reported as None."""


class Tagger(Protocol):
    name: str  # goes into the signature
    case: str  # how it treats the text's case (HANTA_CASE, AS_IS), in the signature too

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        """(token, tagger's own tag, UPOS-like class) per token."""
        ...


class HantaTagger:
    """HanTa 1.2.1 (German, English); ``truecase``: lowercase text tagged as its truecased reading (module docstring)."""

    MODELS: ClassVar[dict[str, str]] = {"de": "morphmodel_ger.pgz", "en": "morphmodel_en.pgz"}

    def __init__(self, *, truecase: bool = True) -> None:
        self.name = f"hanta-{version('HanTa')}"
        self.case = HANTA_CASE if truecase else AS_IS
        self._models: dict = {}
        self._cache: dict = {}

    def _model(self, lang: str, caseless: bool = False):
        if lang not in self.MODELS:
            raise TaggerLanguageUnsupported(f"tagger hanta has no model for language {lang!r}", hint="HanTa covers German and English only")
        if lang not in self._models:
            from HanTa import HanoverTagger as ht

            self._models[lang] = ht.HanoverTagger(self.MODELS[lang])
        if not (caseless and self.case == HANTA_CASE):
            return self._models[lang]
        if (lang, "truecased") not in self._models:
            self._models[lang, "truecased"] = truecased_model(self._models[lang])
        return self._models[lang, "truecased"]

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        key = (lang, tuple(tokens))
        if key not in self._cache:
            model = self._model(lang, is_caseless(tokens))
            if not tokens:
                self._cache[key] = []
            else:
                tagged = model.tag_sent(list(tokens), taglevel=1)
                self._cache[key] = [(tok, t, HANTA_UPOS[lang](t)) for tok, (_w, _lemma, t) in zip(tokens, tagged)]
        return self._cache[key]


PAPER_FLAIR_MODEL = "flair/upos-multi"  # Sec 4.2 "FLAIR POS tagging": the multilingual UPOS model (German + English)
FLAIR_WEIGHTS = "pytorch_model.bin"  # the file flair's hf_download takes from a flair model repo
# languages of the hub's FLAIR POS models (model cards); a model not listed here is tried on any language
FLAIR_LANGS: dict[str, frozenset[str]] = {
    "flair/upos-multi": frozenset({"cs", "da", "de", "en", "es", "fi", "fr", "it", "nl", "no", "pl", "sv"}),
    "flair/upos-multi-fast": frozenset({"cs", "da", "de", "en", "es", "fi", "fr", "it", "nl", "no", "pl", "sv"}),
    "flair/upos-english": frozenset({"en"}),
    "flair/upos-english-fast": frozenset({"en"}),
    "flair/pos-english": frozenset({"en"}),
    "flair/pos-english-fast": frozenset({"en"}),
}


def _flair_cache_root() -> Path:
    """flair's cache (``flair.cache_root``, without importing flair)."""
    return Path(os.getenv("FLAIR_CACHE_ROOT", Path.home() / ".flair"))


class FlairTagger:
    """A FLAIR ``SequenceTagger`` by hub id (local HF cache or flair's cache) or local file, read by the
    restricted loader (:mod:`.flair_pickle`); loaded on first use or by :meth:`load`."""

    def __init__(self, source: str | None = None, *, trust_flair_pickle: bool = False) -> None:
        from .hub_models import cached_file, is_hub_id, snapshot_commit, versioned

        self.source = source or PAPER_FLAIR_MODEL
        self.trust_flair_pickle = trust_flair_pickle
        self.hub_id = self.source if is_hub_id(self.source) else None
        try:
            v = version("flair")
        except PackageNotFoundError:
            v = "missing"
        if self.hub_id:
            name = self.hub_id.split("/", 1)[1]
            self.path = cached_file(self.hub_id, FLAIR_WEIGHTS, cache_dirs=(None, _flair_cache_root() / "models" / name))
            self.name = f"flair-{v}:" + versioned(self.hub_id, snapshot_commit(self.path) if self.path else None)
        else:
            self.path = Path(self.source)
            self.name = f"flair-{v}:{self.path.name}"
        self.langs = FLAIR_LANGS.get(self.hub_id or "")
        self.case = AS_IS
        self._model = None
        self._cache: dict = {}

    def load(self):
        """The model (loaded once); :class:`TaggerUnavailable` with a ``reason`` when it cannot be."""
        if self._model is not None:
            return self._model
        from .flair_pickle import FlairPickleRefused, load_flair_state
        from .hub_models import hf_cache_dir

        if self.path is None or not self.path.is_file():
            if self.hub_id:
                where = f"neither in the Hugging Face cache ({hf_cache_dir()}) nor in flair's ({_flair_cache_root() / 'models'})"
            else:
                where = f"no such file {self.path}"
            raise TaggerUnavailable(
                f"FLAIR POS model {self.source!r} is not available offline: {where}; flair downloads its models at run time and this machine has no network",
                reason="not-cached",
                hint=f"on a machine with network: hf download {self.hub_id or PAPER_FLAIR_MODEL} {FLAIR_WEIGHTS}, then copy the cache (HF_HOME); "
                "or allow the fallback (metric_fallback: true); or use --tagger hanta (the default: German and English models inside the HanTa package), "
                "spacy-en (only if a packaged spaCy English pipeline is installed), or flair:/path/to/model.pt",
            )
        from flair.models import SequenceTagger

        try:
            state = load_flair_state(self.path)
        except FlairPickleRefused as exc:
            if not self.trust_flair_pickle:
                raise TaggerUnavailable(f"FLAIR POS model {self.source!r}: {exc.problem}", reason="pickle-refused", file=self.path, hint=exc.hint) from None
            warnings.warn(
                f"loading {self.path} with flair's own unrestricted unpickler (trust_flair_pickle): it asks for {exc.global_name}", UserWarning, stacklevel=2
            )
            state = None
        except SLTInputError as exc:
            raise TaggerUnavailable(f"FLAIR POS model {self.source!r}: {exc.problem}", reason="load-failed", file=self.path) from None
        try:
            self._model = SequenceTagger.load(state if state is not None else str(self.path))
        except Exception as exc:  # noqa: BLE001 - flair raises many types on a model it cannot rebuild
            raise TaggerUnavailable(
                f"FLAIR POS model {self.source!r} could not be rebuilt ({type(exc).__name__}: {str(exc)[:200]})", reason="load-failed", file=self.path
            ) from None
        return self._model

    def tag(self, tokens: list[str], lang: str) -> list[tuple[str, str, str]]:
        if self.langs is not None and lang not in self.langs:
            raise TaggerLanguageUnsupported(f"FLAIR model {self.hub_id} has no language {lang!r}", hint=f"it covers {sorted(self.langs)}")
        key = (lang, tuple(tokens))
        if key not in self._cache:
            model = self.load()
            if not tokens:
                self._cache[key] = []
            else:
                from flair.data import Sentence

                sent = Sentence(list(tokens))
                model.predict(sent)
                out = []
                for tok, ft in zip(tokens, sent.tokens):
                    t = ft.get_label(model.tag_type).value
                    out.append((tok, t, t if t in UPOS else penn_to_upos(t)))
                self._cache[key] = out
        return self._cache[key]


class SpacyEnTagger:
    PIPELINES = ("en_core_web_sm",)
    case = AS_IS

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


_TAGGERS: dict = {}


def _fallback_tagger(requested: FlairTagger, exc: TaggerUnavailable) -> HantaTagger:
    from .hub_models import fallback_name, warn_fallback

    tagger = HantaTagger()
    standin = tagger.name
    tagger.name = fallback_name(standin, requested.hub_id or requested.name, exc.reason)
    warn_fallback("PGER's POS tagger", requested.source, standin, exc, exc.reason, stacklevel=4)
    return tagger


def get_tagger(spec: str | Tagger | None = DEFAULT_TAGGER, *, fallback: bool = False, trust_flair_pickle: bool = False) -> Tagger:
    """A tagger by name or a tagger object (returned as is). Names: ``hanta``, ``flair:ORG/NAME`` (hub id,
    local cache), ``flair`` (= ``flair:flair/upos-multi``, the paper's), ``flair:/path/model.pt``, ``spacy-en``.

    ``fallback``: a FLAIR model that cannot be loaded (not cached, refused by the restricted loader, broken)
    is replaced by HanTa, with a :class:`~.hub_models.MetricModelFallback` warning and a name that says so;
    without it that is an error when the tagger is first used. ``trust_flair_pickle``: a FLAIR file the
    restricted loader refuses is loaded by flair's own unrestricted unpickler (only for files you trust)."""
    if spec is None:
        spec = DEFAULT_TAGGER
    if not isinstance(spec, str):
        return spec
    flair = spec == "flair" or spec.startswith("flair:")
    key = (spec, fallback, trust_flair_pickle) if flair else spec
    if key not in _TAGGERS:
        if spec == "hanta":
            _TAGGERS[key] = HantaTagger()
        elif flair:
            tagger = FlairTagger(spec.split(":", 1)[1] if ":" in spec else None, trust_flair_pickle=trust_flair_pickle)
            if fallback:
                try:
                    tagger.load()
                except TaggerUnavailable as exc:
                    tagger = _fallback_tagger(tagger, exc)
            _TAGGERS[key] = tagger
        elif spec == "spacy-en":
            _TAGGERS[key] = SpacyEnTagger()
        else:
            raise SLTInputError(f"unknown tagger {spec!r}", hint=f"expected one of {TAGGERS} (or flair:ORG/NAME, flair:/path/to/model.pt)")
    return _TAGGERS[key]
