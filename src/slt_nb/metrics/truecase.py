"""Lowercase text for HanTa: the case policy of :class:`~.taggers.HantaTagger` (see :mod:`.taggers`).

HanTa 1.2.1 scores a reading of a word by its lowercased form plus a case term, log P(capitalised | tag)
(``HanoverTagger._tag_word``, table ``LP_case_t``). A text without case information (all lowercase, as the
PHOENIX-2014T translations) gets that term wrong for every German noun; :func:`truecased_model` scores each
tag reading with the case the tag usually has instead, i.e. tags the text's truecased reading.
"""

from __future__ import annotations

from ..errors import SLTInputError

HANTA_CASE = "lowercase-text-truecased-per-tag"  # the case policy of HantaTagger(truecase=True), in every signature
AS_IS = "as-is"  # a tagger that sees the text's case as it is


def is_caseless(tokens: list[str]) -> bool:
    """True when no token but the first has an uppercase letter: the text carries no case information
    (HanTa ignores the first token's case itself)."""
    return not any(ch.isupper() for tok in tokens[1:] for ch in tok)


def truecased_model(model):
    """A shallow copy of a HanTa model whose case term scores every tag with the case it usually has
    (max of log P(upper | tag) and log P(lower | tag)); the rest of the model is shared.

    Relies on HanTa 1.2.1's ``LP_case_t`` ({tag: {True: log P(upper | tag), False: log P(lower | tag)}},
    used by ``_tag_word``); another layout is an :class:`SLTInputError` (pin HanTa==1.2.1)."""
    import copy

    table = getattr(model, "LP_case_t", None)
    if not isinstance(table, dict) or not all(isinstance(v, dict) and {True, False} <= set(v) for v in table.values()):
        raise SLTInputError(
            "HanTa's case table (LP_case_t) is not HanTa 1.2.1's {tag: {True: ..., False: ...}}: lowercase text cannot be truecased",
            hint="install HanTa==1.2.1 (requirements.txt)",
        )
    twin = copy.copy(model)
    twin.LP_case_t = {tag: dict.fromkeys((True, False), max(v[True], v[False])) for tag, v in table.items()}
    return twin
