"""German weather-forecast lexicon in the style of RWTH-PHOENIX-Weather 2014T.

Text is lowercase, ends in `` .`` and spells numbers as words ("zwölf grad"); glosses follow
the PHOENIX conventions (uppercase, umlauts as AE/OE/UE, ß as SS) and DGS order: time and place
first, the weather (verb) last, no articles or auxiliaries. See :mod:`.grammar` for the format.
"""

from __future__ import annotations

DOMAINS = ("weather",)

_UNITS = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"]
_TEENS = ["dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"]
_MONTHS = ["januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "dezember"]
_WEEKDAYS = ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"]


def gloss_of(word: str) -> str:
    """PHOENIX gloss spelling of a German word: uppercase, ä -> AE, ö -> OE, ü -> UE, ß -> SS."""
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        word = word.replace(a, b)
    return word.upper()


def number_word(n: int) -> str:
    """German number word for 0 <= n <= 39."""
    if n < 13:
        return _UNITS[n]
    if n < 20:
        return _TEENS[n - 13]
    tens = {20: "zwanzig", 30: "dreißig"}[n - n % 10]
    return tens if n % 10 == 0 else ("ein" if n % 10 == 1 else _UNITS[n % 10]) + "und" + tens


def _ordinal(n: int) -> str:
    """Dative ordinal ("den zwölften")."""
    special = {1: "ersten", 3: "dritten", 7: "siebten", 8: "achten"}
    return special.get(n, number_word(n) + ("ten" if n < 20 else "sten"))


def _temperature(t: int) -> tuple[str, str]:
    word = ("minus " if t < 0 else "") + number_word(abs(t))
    return " ".join(gloss_of(w) for w in word.split()), word


def _ranges() -> list[tuple[str, str, str]]:
    """Temperature ranges lo..hi, most typical first: (glosses, 'zwischen .. und ..', '.. bis ..')."""
    pairs = sorted(((lo, lo + d) for lo in range(-6, 23) for d in range(3, 9)), key=lambda p: (abs(p[0] - 7), p[1] - p[0], p[0]))
    out = []
    for lo, hi in pairs:
        (glo, wlo), (ghi, whi) = _temperature(lo), _temperature(hi)
        out.append((f"{glo} BIS {ghi}", f"zwischen {wlo} und {whi}", f"{wlo} bis {whi}"))
    return out


FORMS = {
    "precip": ("v", "acc"),
    "sky": ("v", "acc"),
    "wind": ("adv", "adj"),
    "range": ("zwischen", "bis"),
}

CATEGORIES: dict[str, list[tuple[str, ...]]] = {
    "time": [
        ("MORGEN", "morgen"), ("HEUTE NACHT", "heute nacht"), ("TAG", "am tag"), ("NACHT", "in der nacht"),
        ("ABEND", "am abend"), ("SPAETER", "später"), ("HEUTE", "heute"), ("NACHMITTAG", "am nachmittag"),
        ("VORMITTAG", "am vormittag"), ("WOCHENENDE", "am wochenende"), ("MORGEN FRUEH", "morgen früh"),
        ("SONNTAG", "am sonntag"), ("MONTAG", "am montag"), ("SAMSTAG", "am samstag"), ("FREITAG", "am freitag"),
        ("DIENSTAG", "am dienstag"), ("MITTWOCH", "am mittwoch"), ("DONNERSTAG", "am donnerstag"),
        ("TAG VERLAUF", "im laufe des tages"), ("UEBERMORGEN", "übermorgen"), ("ZUERST", "zunächst"),
        ("NAECHSTE TAG", "in den nächsten tagen"), ("NACHT ZWEITE HAELFTE", "in der zweiten nachthälfte"),
        ("ABEND SPAETER", "später am abend"),
    ],
    "region": [
        ("NORD", "im norden"), ("SUED", "im süden"), ("WEST", "im westen"), ("OST", "im osten"),
        ("MITTE", "in der mitte"), ("NORDWEST", "im nordwesten"), ("SUEDOST", "im südosten"), ("KUESTE", "an der küste"),
        ("BERG", "in den bergen"), ("NORDOST", "im nordosten"), ("SUEDWEST", "im südwesten"), ("ALPEN", "an den alpen"),
        ("UEBERALL", "überall"), ("NORDSEE", "an der nordsee"), ("OSTSEE", "an der ostsee"), ("BAYERN", "in bayern"),
        ("LAND GANZ", "im ganzen land"), ("RHEIN", "am rhein"), ("SACHSEN", "in sachsen"), ("SCHWARZWALD", "im schwarzwald"),
        ("BRANDENBURG", "in brandenburg"), ("HESSEN", "in hessen"), ("THUERINGEN", "in thüringen"), ("BERLIN", "in berlin"),
        ("NIEDERSACHSEN", "in niedersachsen"), ("MECKLENBURG", "in mecklenburg-vorpommern"),
        ("SCHLESWIG-HOLSTEIN", "in schleswig-holstein"), ("EIFEL", "in der eifel"), ("HARZ", "im harz"),
    ],
    "precip": [
        ("REGEN", "regnet es", "regen"), ("SCHAUER", "gibt es schauer", "schauer"), ("GEWITTER", "gibt es gewitter", "gewitter"),
        ("SCHNEE", "schneit es", "schnee"), ("REGEN SCHNEE", "fällt schneeregen", "schneeregen"),
        ("NIESEL", "nieselt es", "nieselregen"), ("SCHNEE SCHAUER", "gibt es schneeschauer", "schneeschauer"),
        ("GEWITTER SCHAUER", "gibt es gewittrige schauer", "gewittrige schauer"), ("HAGEL", "hagelt es", "hagel"),
        ("REGEN GEFRIEREN", "gibt es gefrierenden regen", "gefrierenden regen"),
    ],
    "sky": [
        ("SONNE", "scheint die sonne", "sonnenschein"), ("WOLKE", "ziehen wolken auf", "wolken"),
        ("SONNE WOLKE WECHSELHAFT", "wechseln sonne und wolken", "einen wechsel von sonne und wolken"),
        ("NEBEL", "bildet sich nebel", "nebel"), ("FREUNDLICH", "wird es freundlich", "freundliches wetter"),
        ("TROCKEN", "bleibt es trocken", "trockenes wetter"), ("KLAR", "ist es klar", "einen klaren himmel"),
        ("MEISTENS SONNE", "ist es größtenteils sonnig", "viel sonne"), ("WOLKE DICHT", "ist es stark bewölkt", "dichte wolken"),
        ("FROST", "gibt es frost", "frost"), ("AUFKLAREN", "klart es auf", "aufklarungen"), ("GLATT", "wird es glatt", "glätte"),
        ("STURM", "stürmt es", "sturm"), ("WARM", "wird es wärmer", "wärmere luft"), ("KALT", "wird es kälter", "kältere luft"),
        ("NEBEL HOCH", "ist es hochnebelartig bewölkt", "hochnebel"),
    ],
    "intensity": [
        ("STARK", "kräftig"), ("LEICHT", "leicht"), ("ORT", "örtlich"), ("TEIL STARK", "teilweise kräftig"),
        ("VIEL", "ergiebig"), ("VEREINZELT", "vereinzelt"), ("REGION", "gebietsweise"), ("DAUER", "anhaltend"),
        ("UNWETTER", "unwetterartig"),
    ],
    "wind": [
        ("SCHWACH", "schwach", "schwacher"), ("MAESSIG", "mäßig", "mäßiger"), ("SCHWACH MAESSIG", "schwach bis mäßig", "schwacher bis mäßiger"),
        ("FRISCH", "frisch", "frischer"), ("MAESSIG FRISCH", "mäßig bis frisch", "mäßiger bis frischer"),
        ("STARK", "stark", "starker"), ("BOEE", "böig", "böiger"), ("STURM", "stürmisch", "stürmischer"),
    ],
    "dir": [
        ("WEST", "west"), ("NORDWEST", "nordwest"), ("SUEDWEST", "südwest"), ("OST", "ost"), ("NORD", "nord"),
        ("SUED", "süd"), ("NORDOST", "nordost"), ("SUEDOST", "südost"), ("WECHSELHAFT", "unterschiedlichen richtungen"),
    ],
    "mood": [
        ("WECHSELHAFT", "wechselhaft"), ("UNBESTAENDIG", "unbeständig"), ("FREUNDLICH", "freundlich"), ("HERBST", "herbstlich"),
        ("WINTER", "winterlich"), ("SOMMER", "sommerlich"), ("MILD", "mild"), ("TRUEB", "trüb"),
    ],
    "temp": [_temperature(t) for t in sorted(range(-8, 29), key=lambda t: (abs(t - 9), t)) if abs(t) != 1],
    "range": _ranges(),
    "weekday": [(gloss_of(d), d) for d in _WEEKDAYS],
    "day": [(gloss_of(number_word(n)), _ordinal(n)) for n in range(1, 32)],
    "month": [(gloss_of(m), m) for m in _MONTHS],
}

# Most frequent first (Zipf rank = position).
TEMPLATES: list[tuple[str, str]] = [
    ("{time} {precip.v} {region} {intensity} .", "{time} {region} {precip} {intensity}"),
    ("{time} {sky.v} {region} .", "{time} {region} {sky}"),
    ("{time} liegen die temperaturen=TEMPERATUR {region} {range.zwischen} grad=GRAD .", "{time} {region} TEMPERATUR {range} GRAD"),
    ("der wind=WIND weht {wind} aus {dir} .", "WIND {dir} {wind}"),
    ("{region} {precip.v} {time} .", "{region} {time} {precip}"),
    ("{time} {precip.v} {region} und {region2} {sky.v} .", "{time} {region} {precip} {region2} {sky}"),
    ("die höchstwerte=MAXIMAL liegen {region} bei {temp} grad=GRAD .", "{region} MAXIMAL {temp} GRAD"),
    ("in der nacht=NACHT sinken=SINKEN die werte {region} auf {temp} grad=GRAD .", "NACHT {region} {temp} GRAD SINKEN"),
    ("{time} gibt es {region} {precip.acc} und {sky.acc} .", "{time} {region} {precip} {sky}"),
    ("und nun=JETZT die wettervorhersage=WETTER für morgen=MORGEN {weekday} den {day} {month} .", "JETZT MORGEN WETTER {weekday} {day} {month}"),
    ("guten=GUTEN abend=ABEND liebe=LIEB zuschauer=ZUSCHAUER .", "GUTEN ABEND LIEB ZUSCHAUER"),
    ("{time} weht {region} ein {wind.adj} wind=WIND aus {dir} .", "{time} {region} WIND {dir} {wind}"),
    ("auch {time} bleibt=BLEIBEN das wetter=WETTER {region} {mood} .", "{time} {region} WETTER {mood} BLEIBEN"),
    ("ihnen noch einen schönen=SCHOEN abend=ABEND .", "SCHOEN ABEND"),
    ("{time} werden {region} {range.bis} grad=GRAD erreicht .", "{time} {region} {range} GRAD"),
    (
        (
            "{time} {precip.v} {region} {intensity} später=SPAETER {sky.v} auch=AUCH {region2} "
            "und die temperaturen=TEMPERATUR liegen {range.zwischen} grad=GRAD ."
        ),
        "{time} {region} {precip} {intensity} SPAETER {region2} AUCH {sky} TEMPERATUR {range} GRAD",
    ),
    (
        "{time} {sky.v} {region} während=ABER es {region2} {time2} {precip.acc} gibt und der wind=WIND weht {wind} aus {dir} .",
        "{time} {region} {sky} ABER {region2} {time2} {precip} WIND {dir} {wind}",
    ),
]


def finish(text: str) -> str:
    """German text is already in PHOENIX form (lowercase, `` .`` at the end)."""
    return " ".join(text.split())
