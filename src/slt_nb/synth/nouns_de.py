"""Which words of the synthetic German lexicon (:mod:`.lexicon_de`) are nouns: the gold standard against
which a POS tagger's noun recall is measured (:func:`slt_nb.metrics.noun_recall.noun_recall`).

Every word the lexicon can produce is in exactly one of :data:`NOUNS` and :data:`OTHER_WORDS`
(``tests/test_tagger_lowercase.py`` checks this against :func:`lexicon_words`, so a word added to the
lexicon must be classified here). Each word has one part of speech wherever the lexicon uses it: nouns
(common and proper, as German capitalises them: "am Abend", "heute Nacht", "im Laufe des Tages", "aus
West", "in Bayern") and everything else ("morgen" is the adverb "tomorrow" in every template; numbers,
ordinals and "minus" are not nouns). Words are lowercase, as in the PHOENIX-2014T translations.
"""

from __future__ import annotations

from . import lexicon_de

NOUNS = frozenset("""
abend alpen april aufklarungen august bayern bergen berlin brandenburg dezember dienstag donnerstag eifel februar
freitag frost gewitter glätte grad hagel harz hessen himmel hochnebel holstein höchstwerte januar juli juni küste
land laufe luft mai mecklenburg mitte mittwoch montag märz nachmittag nacht nachthälfte nebel niedersachsen
nieselregen nord norden nordost nordosten nordsee nordwest nordwesten november oktober ost osten ostsee regen rhein
richtungen sachsen samstag schauer schleswig schnee schneeregen schneeschauer schwarzwald september sonne
sonnenschein sonntag sturm süd süden südost südosten südwest südwesten tag tagen tages temperaturen thüringen
vormittag vorpommern wechsel werte west westen wetter wettervorhersage wind wochenende wolken zuschauer
""".split())

OTHER_WORDS = frozenset("""
acht achten achtundzwanzig achtundzwanzigsten achtzehn achtzehnten am an anhaltend auch auf aus bei bewölkt bildet
bis bleibt böig böiger das den der des dichte die drei dreiundzwanzig dreiundzwanzigsten dreizehn dreizehnten dreißig
dreißigsten dritten ein einen eins einunddreißigsten einundzwanzig einundzwanzigsten elf elften ergiebig erreicht
ersten es freundlich freundliches frisch frischer früh fällt fünf fünften fünfundzwanzig fünfundzwanzigsten fünfzehn
fünfzehnten für ganzen gebietsweise gefrierenden gewittrige gibt glatt größtenteils guten hagelt herbstlich heute
hochnebelartig ihnen im in ist klar klaren klart kräftig kälter kältere leicht liebe liegen mild minus morgen mäßig
mäßiger neun neunten neunundzwanzig neunundzwanzigsten neunzehn neunzehnten nieselt noch null nun nächsten regnet
scheint schneit schwach schwacher schönen sechs sechsten sechsundzwanzig sechsundzwanzigsten sechzehn sechzehnten
sich sieben siebenundzwanzig siebenundzwanzigsten siebten siebzehn siebzehnten sinken sommerlich sonnig später stark
starker stürmisch stürmischer stürmt teilweise trocken trockenes trüb unbeständig und unterschiedlichen
unwetterartig vereinzelt viel vier vierten vierundzwanzig vierundzwanzigsten vierzehn vierzehnten von wechselhaft
wechseln weht werden wird winterlich während wärmer wärmere zehn zehnten ziehen zunächst zwanzig zwanzigsten zwei
zweiten zweiundzwanzig zweiundzwanzigsten zwischen zwölf zwölften örtlich überall übermorgen
""".split())


def lexicon_words() -> set[str]:
    """Every word (letters only, lowercase) the German lexicon's fillers and templates can produce."""
    import regex

    word = regex.compile(r"\p{L}+")
    texts = [form for fillers in lexicon_de.CATEGORIES.values() for f in fillers for form in f[1:]]
    texts += [tok.split("=")[0] for text, _gloss in lexicon_de.TEMPLATES for tok in text.split() if "{" not in tok]
    return {w for t in texts for w in word.findall(t)}
