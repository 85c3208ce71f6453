"""Text normalisation and the Unicode-aware word tokenizer shared by ROUGE-L, TSR and the analyses.

One rule for every language (stated in every signature as ``tok:nfc-lower-w``):

1. Unicode NFC (so ``u`` + combining diaeresis and the precomposed ``ü`` are the same token);
2. lowercase with :meth:`str.lower` (not ``casefold``: ``ß`` stays ``ß``, it does not become ``ss``);
3. tokens are runs of letters, digits and combining marks (what ``\\w+`` matches, minus ``_``;
   punctuation such as PHOENIX's trailing ``" ."`` is dropped);
4. every Han character (Chinese, CSL-Daily) is a token of its own (character level).

rouge-score's default tokenizer keeps only ``[a-z0-9]`` runs: ``süden`` becomes ``s den``,
``Straße`` becomes ``stra e``, Chinese becomes nothing. This one keeps them whole.
"""

from __future__ import annotations

import unicodedata

import regex

from ..errors import SLTInputError

TOKENIZER_ID = "nfc-lower-w"

# A Han ideograph on its own, or a run of letters/numbers/marks that are not Han.
_TOKEN_RE = regex.compile(r"\p{Han}|(?:(?!\p{Han})[\p{L}\p{N}\p{M}])+")

# Dataset -> language of its translations (the text side).
DATASET_LANG = {
    "phoenix": "de",
    "how2sign": "en",
    "openasl": "en",
    "isign": "en",
    "csl-daily": "zh",
}
LANGS = ("de", "en", "zh")


def normalise(text: str) -> str:
    """NFC, lowercase (``str.lower``), NFC again (lowercasing can decompose, e.g. ``İ``)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


def word_tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text`` (see the module docstring)."""
    return _TOKEN_RE.findall(normalise(text))


class UnicodeTokenizer:
    """Tokenizer object for ``rouge_score.rouge_scorer.RougeScorer(tokenizer=...)``: no stemming."""

    name = TOKENIZER_ID

    def tokenize(self, text: str) -> list[str]:
        return word_tokens(text)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise SLTInputError(f"unknown language {lang!r}", hint=f"expected one of {LANGS}")
    return lang


def lang_of_dataset(dataset: str) -> str:
    try:
        return DATASET_LANG[dataset]
    except KeyError:
        raise SLTInputError(
            f"unknown dataset {dataset!r}, cannot tell its language",
            hint=f"known datasets: {sorted(DATASET_LANG)}; or pass the language explicitly (de, en, zh)",
        ) from None
