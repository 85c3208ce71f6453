"""Tag sets of the PGER taggers mapped to Universal POS, and the content classes of Eq. 3.

HanTa's German (STTS-like) and English (CLAWS5-like) tags and Penn Treebank tags (flair's English ``pos``
models) are mapped to UPOS; the mapping and its choices are described in :mod:`.taggers`.
"""

from __future__ import annotations

CONTENT = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})  # Ent(·) of Eq. 3: nouns, proper nouns, verbs, adjectives
UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}


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
