"""The small-VLM paper's metric tables and examples, transcribed with their table references.

Source: "Can Small VLMs Translate Sign Language to Spoken Language?" (the small-VLM paper),
Sec 4.4 and Appendices B–D. Numbers are copied as printed (BLEU and ROUGE-L ×100 with two
decimals in Table 3; PGER and TSR as fractions with the paper's own number of decimals in
Tables 4–5, e.g. ``0.179``). Known inconsistency: the text of Sec 4.4 says SmolVLM2 reaches
BLEU-4 **8.43** on the PHOENIX-2014T test set, Table 3 prints **8.44**; the table's value is
used here. Table 7's ground truth spells "fünftehnten" (sic) as printed.

Model names: the paper's ``SmolVLM2`` (2.2B) and ``Qwen2.5-VL`` (3B); our model families
``smolvlm`` and ``qwen2_5_vl`` (see :mod:`slt_nb.models.registry`) map onto them through
:data:`FAMILY_LABELS`.
"""

from __future__ import annotations

import pandas as pd

from .paper_numbers import DATASET_LABELS, SMALL_VLM_PAPER

# Our model family -> the paper's model name (paper order: SmolVLM2 first).
FAMILY_LABELS = {"smolvlm": "SmolVLM2", "qwen2_5_vl": "Qwen2.5-VL"}
PAPER_MODELS = ("SmolVLM2", "Qwen2.5-VL")  # the rows of the paper's tables: a family added to FAMILY_LABELS adds none (scratch-add-family)
PAPER_DATASETS = ("PHOENIX-2014T", "How2Sign", "OpenASL", "iSign")

TABLE3_METRICS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L")

# Table 3: (dataset, model, split) -> BLEU-1, BLEU-2, BLEU-3, BLEU-4, ROUGE-L (×100).
# "Dev Set" = our "dev", "Test Set" = our "test".
TABLE3 = [
    ("PHOENIX-2014T", "SmolVLM2", "dev", 25.53, 15.51, 10.11, 7.80, 25.91),
    ("PHOENIX-2014T", "SmolVLM2", "test", 24.15, 14.89, 10.16, 8.44, 24.51),
    ("PHOENIX-2014T", "Qwen2.5-VL", "dev", 7.62, 3.25, 2.98, 2.56, 9.98),
    ("PHOENIX-2014T", "Qwen2.5-VL", "test", 7.87, 3.43, 3.09, 2.78, 9.79),
    ("How2Sign", "SmolVLM2", "dev", 6.83, 1.46, 0.23, 0.04, 8.38),
    ("How2Sign", "SmolVLM2", "test", 6.84, 1.56, 0.28, 0.06, 8.38),
    ("How2Sign", "Qwen2.5-VL", "dev", 2.45, 0.74, 0.21, 0.01, 4.83),
    ("How2Sign", "Qwen2.5-VL", "test", 2.80, 0.75, 0.18, 0.02, 5.05),
    ("OpenASL", "SmolVLM2", "dev", 7.64, 1.91, 1.05, 0.79, 8.47),
    ("OpenASL", "SmolVLM2", "test", 7.06, 1.20, 0.60, 0.41, 7.78),
    ("OpenASL", "Qwen2.5-VL", "dev", 3.24, 0.30, 0.11, 0.01, 4.31),
    ("OpenASL", "Qwen2.5-VL", "test", 3.52, 0.29, 0.08, 0.07, 4.46),
    ("iSign", "SmolVLM2", "dev", 7.47, 1.27, 0.60, 0.39, 8.09),
    ("iSign", "SmolVLM2", "test", 7.59, 1.37, 0.65, 0.44, 8.21),
    ("iSign", "Qwen2.5-VL", "dev", 2.48, 0.27, 0.15, 0.13, 3.85),
    ("iSign", "Qwen2.5-VL", "test", 2.51, 0.33, 0.22, 0.18, 3.87),
]

# Table 4: PGER on the test sets (content words: nouns, verbs, adjectives via FLAIR POS).
TABLE4 = {
    "SmolVLM2": {"PHOENIX-2014T": 0.1372, "How2Sign": 0.0678, "OpenASL": 0.0318, "iSign": 0.0190},
    "Qwen2.5-VL": {"PHOENIX-2014T": 0.0221, "How2Sign": 0.0428, "OpenASL": 0.0128, "iSign": 0.0143},
}

# Table 5: TSR on the test sets (Eq. 2 as printed, paraphrase-multilingual-MiniLM-L12-v2).
TABLE5 = {
    "SmolVLM2": {"PHOENIX-2014T": 0.7422, "How2Sign": 0.3102, "OpenASL": 0.2538, "iSign": 0.2611},
    "Qwen2.5-VL": {"PHOENIX-2014T": 0.4857, "How2Sign": 0.3091, "OpenASL": 0.179, "iSign": 0.1195},
}

# Table 7: PHOENIX-2014T test examples (ground truth, SmolVLM2, Qwen2.5-VL), German as printed.
TABLE7 = [
    (
        "und nun die wettervorhersage für morgen freitag den fünftehnten oktober",
        "und nun die wettervorhersage für morgen freitag den dreißigsten mai",
        "und nun die neue richtung",
    ),
    (
        "und nun die wettervorhersage für morgen donnerstag den fünftehnten oktober",
        "und nun die wettervorhersage für morgen montag den achtundzwanzigsten oktober",
        "und nun die wettervorhersage für morgen montag den neunzehnten oktober",
    ),
    (
        "am freitag ist es in der nähe der küsten und ganz im süden teilweise stark bewölkt",
        "am freitag ist es im süden und osten weiter freundlich im norden regnet es gebietsweise",
        "und jetzt wünsche ich ihnen noch einen schönen abend",
    ),
]

# Table 10: OpenASL test examples (Appendix B).
TABLE10 = [
    ("I am Ed Bosson, and I am 67 years old and now retired.", "Hello, my name is E. Simmons and I am a retired school administrator.", "I'm Ez Sussy."),
    (
        "We are also supporting efforts of DeafBlind people to develop hospital access because their needs are different from other deaf and hard of hearing people.",
        "The IDEA has been in place since 1975, and with the passing of the EHD1 Act in 2007, all deaf and hard of hearing children have a birth stage in education.",
        "I will show you how to do it.",
    ),
    ("Thank you!", "Congratulations!", "Congrats and Congratulations!"),
    ("I'm Crystal Cousineau", "I'm Crystal Cousineau", "CRY."),
    (
        "The gunman is behind bars being held without bail",
        'It took about that same time for his owner to get down on one knee and say "I love you" in Spanish.',
        "The suspect was arrested and is 17 years old",
    ),
    ("I'm Candace Jones.", "Thank you for watching Sign1News.", "I'm Crystal Cousineau."),
]

# Table 11: iSign test examples (Appendix B).
TABLE11 = [
    ("What is the RAT test?", "The cost of the surgery is around Rs 2 lakhs.", "and now there is an update"),
    ("Have a look at images.", "Have a look at images.", "She is a 30 year old woman"),
    ("The priest sanctified the church with a special ceremony.", "The priest sanctified the church with a special ceremony.", "The priest sanctified the church with a"),
    (
        "and the ingredients should only be added when the fire is burning properly",
        "so that you can get all your essential nutrients",
        "ISH NEWS has already made a video on this, you can watch it on our YouTube channel.",
    ),
    ("People can not step out for frivolous matters.", "on flights to and from the UK said that,", "People can not step out for frivolous matters."),
    ("the process of getting something", "the process of getting something that you want", "acquisition noun"),
]

# Table 12: PHOENIX-2014T noun phrases, ground truth vs SmolVLM2 (Appendix C).
TABLE12 = [
    (["skandinavien", "wolken"], ["alpen", "norden", "nacht", "schnee"]),
    (["westen", "sonne"], ["westen", "einzelne schauer", "nordwesten"]),
    (["neunundzwanzigsten oktober", "wettervorhersage"], ["fünften dezember", "wettervorhersage"]),
    (["nordwesten deutschlands", "ostsee"], ["westen", "kurzen wetterberuhigung", "neuer tiefausläufer"]),
    (["norden", "alpen", "freitag", "süden", "einzelne schauer"], ["freitag", "einzelne schauer", "sonne", "längere zeit"]),
]

# Table 13: OpenASL noun phrases, ground truth vs SmolVLM2 (Appendix C).
TABLE13 = [
    (["section", "suit", "rehabilitation act", "title ii", "americans", "disabilities act"], ["children", "education", "program", "nad", "projects", "child", "board members"]),
    (["issues", "demands", "city"], ["conference", "hartford", "ndec", "deaf education conference"]),
    (["employers", "state laws", "employees"], ["license", "driver", "people"]),
    (["soil"], ["everything", "earth", "flowers", "thing", "mindset", "trees", "nature", "plants"]),
    (["july", "court", "testimony"], ["july", "wednesday", "plan", "board"]),
]

# Table 14: top-10 noun phrases of SmolVLM2's PHOENIX-2014T test predictions: (phrase, predicted, test, train).
TABLE14 = [
    ("es", 191, 110, 1419),
    ("süden", 106, 50, 653),
    ("norden", 67, 54, 628),
    ("tag", 62, 31, 422),
    ("uns", 48, 37, 331),
    ("wettervorhersage", 43, 42, 354),
    ("osten", 41, 30, 418),
    ("sich", 40, 70, 822),
    ("montag", 32, 17, 194),
    ("westen", 31, 35, 520),
]

# Table 15: top-10 noun phrases of the PHOENIX-2014T test references: (phrase, predicted, test, train).
TABLE15 = [
    ("es", 191, 110, 1419),
    ("sich", 40, 70, 822),
    ("norden", 67, 54, 628),
    ("süden", 106, 50, 653),
    ("wettervorhersage", 43, 42, 354),
    ("uns", 48, 37, 331),
    ("westen", 31, 35, 520),
    ("tag", 62, 31, 422),
    ("osten", 41, 30, 418),
    ("samstag", 28, 28, 242),
]

# Which paper table holds each dataset's qualitative examples / noun-phrase comparisons.
QUALITATIVE_TABLE = {"phoenix": ("Table 7", TABLE7), "openasl": ("Table 10", TABLE10), "isign": ("Table 11", TABLE11)}
NOUN_PHRASE_TABLE = {"phoenix": ("Table 12", TABLE12), "openasl": ("Table 13", TABLE13)}
FREQ_COLUMNS = ["Noun phrase", "Predicted freq", "Test freq", "Train freq"]


def paper_dataset(name: str) -> str | None:
    """The paper's row name for one of our dataset names, or None when the paper has no such dataset."""
    label = DATASET_LABELS.get(name)
    return label if label in PAPER_DATASETS else None


def _paper_names(datasets) -> list[str] | None:
    if datasets is None:
        return None
    return [d for d in (paper_dataset(x) or x for x in datasets) if d in PAPER_DATASETS]


def table3(datasets=None) -> pd.DataFrame:
    """Table 3 as printed (long form: one row per dataset × model × split), optionally only some datasets
    (given by our names, e.g. ``["phoenix"]``, or the paper's)."""
    df = pd.DataFrame(TABLE3, columns=["Dataset", "Model", "Split", *TABLE3_METRICS])
    keep = _paper_names(datasets)
    return df if keep is None else df[df["Dataset"].isin(keep)].reset_index(drop=True)


def _wide(table: dict, datasets) -> pd.DataFrame:
    keep = _paper_names(datasets)
    cols = [d for d in PAPER_DATASETS if keep is None or d in keep]
    return pd.DataFrame([{"Model": m, **{d: table[m][d] for d in cols}} for m in PAPER_MODELS])


def table4(datasets=None) -> pd.DataFrame:
    """Table 4 (PGER, test sets) as printed: one row per model, one column per dataset."""
    return _wide(TABLE4, datasets)


def table5(datasets=None) -> pd.DataFrame:
    """Table 5 (TSR, Eq. 2 as printed, test sets): one row per model, one column per dataset."""
    return _wide(TABLE5, datasets)


def qualitative(dataset: str) -> tuple[str, pd.DataFrame] | None:
    """(table ref, DataFrame ``Ground truth, SmolVLM2, Qwen2.5-VL``) for phoenix (Table 7),
    openasl (Table 10), isign (Table 11); None for datasets the paper shows no examples of."""
    if dataset not in QUALITATIVE_TABLE:
        return None
    ref, rows = QUALITATIVE_TABLE[dataset]
    return ref, pd.DataFrame(rows, columns=["Ground truth", *PAPER_MODELS])


def _quoted(phrases: list[str]) -> str:
    return ", ".join(f'"{p}"' for p in phrases)


def noun_phrases(dataset: str) -> tuple[str, pd.DataFrame] | None:
    """(table ref, DataFrame ``Ground truth, Predicted (SmolVLM2), Matched``) for phoenix (Table 12)
    and openasl (Table 13); matched = ground-truth phrases also predicted (the paper's blue)."""
    if dataset not in NOUN_PHRASE_TABLE:
        return None
    ref, rows = NOUN_PHRASE_TABLE[dataset]
    out = [{"Ground truth": _quoted(gt), "Predicted (SmolVLM2)": _quoted(pr), "Matched": _quoted([p for p in gt if p in pr])} for gt, pr in rows]
    return ref, pd.DataFrame(out)


def table14() -> pd.DataFrame:
    """Table 14: top-10 noun phrases of SmolVLM2's PHOENIX-2014T test predictions."""
    return pd.DataFrame(TABLE14, columns=FREQ_COLUMNS)


def table15() -> pd.DataFrame:
    """Table 15: top-10 noun phrases of the PHOENIX-2014T test references."""
    return pd.DataFrame(TABLE15, columns=FREQ_COLUMNS)


__all__ = [
    "FAMILY_LABELS",
    "PAPER_DATASETS",
    "PAPER_MODELS",
    "SMALL_VLM_PAPER",
    "noun_phrases",
    "paper_dataset",
    "qualitative",
    "table3",
    "table4",
    "table5",
    "table14",
    "table15",
]


# Table 8 (Sec 6): SmolVLM2 size x fine-tuning strategy, PHOENIX-2014T test, after 5 epochs.
# (size, strategy key of slt_nb.train.strategy, BLEU-1..4, ROUGE-L), four decimals as printed.
TABLE8 = [
    ("256M", "full", 11.2801, 3.1971, 1.3475, 0.9809, 11.5488),
    ("500M", "lm_only", 21.1849, 11.3004, 7.0104, 5.7513, 20.8966),
    ("500M", "vision_only", 20.0229, 9.8091, 6.1418, 4.9888, 20.6542),
    ("500M", "vision_then_lm", 22.3609, 12.0529, 7.8071, 6.0799, 21.9553),
    ("500M", "lora_lm", 23.1022, 12.7053, 7.8365, 6.1264, 23.4076),
    ("2.2B", "lora_lm", 22.2051, 12.7622, 8.2799, 6.5134, 22.5206),
]

# Table 9 (Sec 6): Qwen2.5-VL fine-tuned on PHOENIX-2014T with T_max 64 and 256 frames. The 64-frame
# row is Table 3's Qwen2.5-VL test row (7.87 / 3.43 / 3.09 / 2.78 / 9.79 rounded): the same run.
TABLE9 = [
    (64, 7.8711, 3.4272, 3.0888, 2.784, 9.7947),
    (256, 6.4473, 2.2679, 2.0075, 1.7449, 7.4508),
]


def table8() -> pd.DataFrame:
    """Table 8 as printed: Model Size, Fine-tuning Strategy (the paper's label), BLEU-1..4, ROUGE-L."""
    from ..train.strategy import STRATEGIES

    return pd.DataFrame([(size, STRATEGIES[k].label, *v) for size, k, *v in TABLE8], columns=["Model Size", "Fine-tuning Strategy", *TABLE3_METRICS])


def table9() -> pd.DataFrame:
    """Table 9 as printed: Max Frames, BLEU-1..4, ROUGE-L."""
    return pd.DataFrame(TABLE9, columns=["Max Frames", *TABLE3_METRICS])
