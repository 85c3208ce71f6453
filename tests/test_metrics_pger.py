"""PGER (Eq. 3) with HanTa (offline default); FLAIR and spaCy fail with a clear error here."""

from __future__ import annotations

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.metrics.pger import (
    TaggerLanguageUnsupported,
    TaggerUnavailable,
    content_words,
    get_tagger,
    pger,
    pger_pair,
    tag_tokens,
)

REF = "am freitag scheint im süden die sonne ."  # content: freitag süden sonne (NOUN), scheint (VERB)

CONTENT_CASES = [
    ("de", REF, {"freitag", "scheint", "süden", "sonne"}),
    ("de", "der wind weht frisch aus nordwest .", {"wind", "weht", "frisch", "nordwest"}),  # ADJ(D) frisch is content
    ("de", "im nordwesten deutschlands und an der ostsee", {"nordwesten", "deutschlands", "ostsee"}),  # NE (PROPN)
    ("de", "und es ist so .", set()),  # ist = VA(FIN) -> AUX, not content
    ("de", "Im SÜDEN regnet es", {"süden", "regnet"}),  # compared lowercased
    ("en", "The priest sanctified the church with a special ceremony.", {"priest", "sanctified", "church", "special", "ceremony"}),
    ("en", "I'm Crystal Cousineau and I don't have 2 dogs.", {"crystal", "cousineau", "dogs"}),  # 'm, do, have -> AUX
]


@pytest.mark.parametrize("lang,text,expected", CONTENT_CASES)
def test_content_words_hanta(lang, text, expected):
    assert content_words(text, "hanta", lang) == expected


PGER_CASES = [
    (REF, REF, 1.0),
    ("am freitag regnet es im süden .", REF, 2 / 4),  # freitag, süden of {freitag scheint süden sonne}
    ("am freitag scheint im norden die sonne .", REF, 3 / 4),
    ("", REF, 0.0),  # empty prediction
    ("und nun die wettervorhersage .", REF, 0.0),
    ("im süden sonne sonne sonne", REF, 2 / 4),  # a set: repeats do not count twice
    (REF, "und es ist so .", None),  # empty reference entity set: excluded
]


@pytest.mark.parametrize("hyp,ref,expected", PGER_CASES)
def test_pger_pair_known_values(hyp, ref, expected):
    got = pger_pair(ref, hyp, "hanta", "de")
    assert got == expected if expected is None else got == pytest.approx(expected)


def test_corpus_pger_excludes_empty_reference_sets():
    res = pger([REF, "am freitag regnet es im süden .", "egal"], [REF, REF, "und es ist so ."], lang="de")
    assert res.score == pytest.approx((1 + 0.5) / 2)
    assert (res.n_scored, res.n_excluded_empty_reference) == (2, 1)
    assert "tagger:hanta-1.2.1" in res.signature and "lang:de" in res.signature and "empty-ref:excluded" in res.signature


def test_tag_tokens_keep_case_and_split_english_clitics():
    assert tag_tokens("Im Süden, es regnet.", "de") == ["Im", "Süden", ",", "es", "regnet", "."]
    assert tag_tokens("I'm sure they don't.", "en") == ["I", "'m", "sure", "they", "do", "n't", "."]


def test_hanta_has_no_chinese():
    with pytest.raises(TaggerLanguageUnsupported, match="no model for language 'zh'"):
        content_words("我爱北京", "hanta", "zh")


def test_flair_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAIR_CACHE_ROOT", str(tmp_path))
    tagger = get_tagger("flair")
    assert tagger.name.startswith("flair-")
    with pytest.raises(TaggerUnavailable) as ei:
        pger([REF], [REF], tagger=tagger, lang="de")
    msg = str(ei.value)
    assert "not available offline" in msg and "hanta" in msg and "spacy-en" in msg
    assert not isinstance(ei.value, TaggerLanguageUnsupported)  # an error, never a silent None


def test_spacy_en_only_if_installed():
    try:
        import spacy  # noqa: F401
    except ImportError:
        with pytest.raises(TaggerUnavailable, match="spaCy"):
            get_tagger("spacy-en")
    else:  # pragma: no cover - spaCy is not installed in this environment
        pytest.skip("spaCy present")


def test_unknown_tagger():
    with pytest.raises(SLTInputError, match="unknown tagger 'treetagger'"):
        get_tagger("treetagger")
