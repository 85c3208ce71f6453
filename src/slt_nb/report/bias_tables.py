"""Notebook 06: qualitative examples picked by rule (Tables 7, 10, 11), noun phrases (Tables 12-13),
vocabulary bias (Tables 14-15) and the predicted-vs-train frequency figure, from the prediction files
(:mod:`.prediction_files`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SLTInputError
from ..metrics.pger import DEFAULT_TAGGER, TaggerLanguageUnsupported, get_tagger
from ..metrics.predictions import Prediction, read_predictions
from .prediction_files import PredictionFile, RUN_NOTEBOOK_HINT, dataset_labels, is_baseline, model_key
from .signature import signature


# --- notebook 06: qualitative examples, noun phrases, vocabulary bias --------------------------

# Our dataset -> (table stem, paper table) for the per-dataset tables of notebook 06.
QUALITATIVE_NAMES = {"phoenix": ("table7", "Table 7"), "openasl": ("table10", "Table 10"), "isign": ("table11", "Table 11")}
NOUN_PHRASE_NAMES = {"phoenix": ("table12", "Table 12"), "openasl": ("table13", "Table 13")}


def table_stem(kind: str, dataset: str) -> str:
    """File stem of a per-dataset table of notebook 06, named after the paper's table it reproduces
    (``table7_qualitative_phoenix``) or whose layout it follows (``table10_11_qualitative_how2sign``)."""
    slug = dataset.replace("-", "_")
    if kind == "qualitative":
        return f"{QUALITATIVE_NAMES[dataset][0] if dataset in QUALITATIVE_NAMES else 'table10_11'}_qualitative_{slug}"
    if kind == "noun_phrases":
        return f"{NOUN_PHRASE_NAMES[dataset][0] if dataset in NOUN_PHRASE_NAMES else 'table12_13'}_noun_phrases_{slug}"
    if kind == "top_predicted":
        return f"table14_top_predicted_np_{slug}"
    if kind == "top_test":
        return f"table15_top_test_np_{slug}"
    if kind == "top_words":
        return f"table14_top_predicted_words_{slug}"
    raise ValueError(f"unknown table kind {kind!r}")


def caption_ref(kind: str, dataset: str) -> str:
    """The paper table a per-dataset table of notebook 06 reproduces ("Table 7"), or the layout it
    follows where the paper has no such table for the dataset ("Tables 10–11 layout")."""
    if kind == "qualitative":
        return QUALITATIVE_NAMES[dataset][1] if dataset in QUALITATIVE_NAMES else "Tables 10–11 layout"
    if kind == "noun_phrases":
        return NOUN_PHRASE_NAMES[dataset][1] if dataset in NOUN_PHRASE_NAMES else "Tables 12–13 layout"
    if kind in ("top_predicted", "top_test"):
        ref = "Table 14" if kind == "top_predicted" else "Table 15"
        return ref if dataset == "phoenix" else f"{ref} layout"
    if kind == "top_words":
        return "Sec 4.4.2"
    raise ValueError(f"unknown table kind {kind!r}")


def tagger_supports(tagger, lang: str) -> bool:
    """Whether the POS tagger has a model for ``lang`` (HanTa: German and English, not Chinese):
    notebook 06 skips the noun-phrase tables of a dataset it cannot tag, saying so."""
    try:
        get_tagger(tagger).tag(["x"], lang)
    except TaggerLanguageUnsupported:
        return False
    return True


def primary_model(models: Sequence[str], preferred: str | None = None) -> str:
    """The system whose predictions 06 analyses: ``preferred`` if given, else the first SmolVLM-family
    model (the paper analyses SmolVLM2), else the first non-baseline model."""
    systems = sorted((m for m in models if not is_baseline(m)), key=model_key)
    if preferred is not None:
        if preferred not in models:
            raise SLTInputError(f"model {preferred!r} has no predictions here", hint="available: " + ", ".join(sorted(models)))
        return preferred
    if not systems:
        raise SLTInputError("only baseline predictions found", hint=RUN_NOTEBOOK_HINT)
    return systems[0]


def load_test_predictions(files: Sequence[PredictionFile], *, order: Iterable[str] | None = None) -> dict[str, dict[str, list[Prediction]]]:
    """dataset -> model -> validated records (files of one split); datasets in ``order`` (e.g. the
    keys of :func:`dataset_labels`: as prepared), then by name."""
    out: dict[str, dict[str, list[Prediction]]] = {}
    for f in files:
        out.setdefault(f.dataset, {})[f.model] = read_predictions(f.path)
    rank = {d: i for i, d in enumerate(order or [])}
    return {d: out[d] for d in sorted(out, key=lambda d: (rank.get(d, len(rank)), d))}


def qualitative_table(by_model: dict[str, list[Prediction]], *, lang: str, k: int, primary: str, include_baseline: bool = False) -> pd.DataFrame:
    """Tables 7/10/11 (ours): best, median and worst ``k`` test samples of ``primary`` by sentence
    BLEU (:data:`slt_nb.analysis.SELECTION_RULE`), every other model's prediction beside."""
    from ..analysis.qualitative import pick_examples

    others = {m: recs for m, recs in sorted(by_model.items(), key=lambda kv: model_key(kv[0])) if m != primary and (include_baseline or not is_baseline(m))}
    df = pick_examples(by_model[primary], lang=lang, k=k, others=others, primary_name=primary)
    df["sentence_bleu"] = df["sentence_bleu"].round(2)
    return df.rename(columns={"rule": "Rule", "rank": "Rank", "id": "Id", "sentence_bleu": f"Sentence BLEU ({primary})", "reference": "Ground truth"})


def _quoted(phrases: Sequence[str]) -> str:
    return ", ".join(f'"{p}"' for p in phrases)


def noun_phrase_table(records: Sequence[Prediction], *, lang: str, k: int, model: str, tagger=DEFAULT_TAGGER) -> pd.DataFrame:
    """Tables 12/13 (ours): noun phrases of reference and prediction for the samples picked by
    the selection rule (best/median/worst ``k``), and those they share (the paper's blue)."""
    from ..analysis.qualitative import pick_examples
    from ..analysis.vocab_bias import compare_noun_phrases

    picked = pick_examples(list(records), lang=lang, k=k)
    by_id = {r.id: r for r in records}
    rows = []
    for rule, sid in zip(picked["rule"], picked["id"]):
        c = compare_noun_phrases(by_id[sid].reference, by_id[sid].prediction, tagger=tagger, lang=lang)
        rows.append({"Rule": rule, "Id": sid, "Ground truth": _quoted(c["reference"]), f"Predicted ({model})": _quoted(c["prediction"]), "Matched": _quoted(c["matched"])})
    return pd.DataFrame(rows)


def noun_phrase_recall(records: Sequence[Prediction], *, lang: str, tagger=DEFAULT_TAGGER) -> tuple[int, int]:
    """(matched, total) distinct reference noun phrases found in the prediction, summed over the test set."""
    from ..analysis.vocab_bias import compare_noun_phrases

    matched = total = 0
    for r in records:
        c = compare_noun_phrases(r.reference, r.prediction, tagger=tagger, lang=lang)
        matched += len(c["matched"])
        total += len(c["reference"])
    return matched, total


def training_texts(prepared: dict[str, dict], dataset: str, split: str = "train") -> list[str]:
    """The ``split`` references of a dataset prepared by notebook 01 (``prepared``: name -> record
    of ``datasets.json``); a clear error when it was not prepared or the split is empty."""
    from ..data.prepare import load_split

    if dataset not in prepared:
        raise SLTInputError(
            f"dataset {dataset!r} has predictions but no manifests", hint="run 01_data_prep with it (the training frequencies need its training references)"
        )
    texts = [s.text for s in load_split(prepared[dataset], split)]
    if not texts:
        raise SLTInputError(f"dataset {dataset!r} has no {split!r} split in its manifests", hint="run 01_data_prep first")
    return texts


@dataclass
class VocabCounts:
    predicted: Counter
    test: Counter
    train: Counter


def vocab_counts(predictions: Sequence[str], test: Sequence[str], train: Sequence[str], *, unit: str, lang: str, tagger=DEFAULT_TAGGER) -> VocabCounts:
    """Counts of noun phrases (``unit="np"``, :data:`slt_nb.analysis.CHUNK_RULE`) or words in the
    three text collections."""
    from ..analysis.vocab_bias import noun_phrase_counts, word_counts

    if unit == "np":
        tg = get_tagger(tagger)
        c = [noun_phrase_counts(x, tagger=tg, lang=lang) for x in (predictions, test, train)]
    elif unit == "word":
        c = [word_counts(x) for x in (predictions, test, train)]
    else:
        raise ValueError(f"unit must be 'np' or 'word', got {unit!r}")
    return VocabCounts(*c)


def frequency_table(counts: VocabCounts, *, by: str, top: int = 10, item: str = "Noun phrase") -> pd.DataFrame:
    """Tables 14 (``by="predicted"``) / 15 (``by="test"``) with the paper's column names."""
    from ..analysis.vocab_bias import frequency_table as _ft

    df = _ft(counts.predicted, counts.test, counts.train, by=by, top=top)
    return df.rename(columns={"item": item, "predicted": "Predicted freq", "test": "Test freq", "train": "Train freq"})


def bias_frame(counts: VocabCounts, *, top: int = 30) -> pd.DataFrame:
    """The ``top`` most predicted items with their counts (columns item, predicted, test, train),
    for :func:`slt_nb.analysis.plot_predicted_vs_train`."""
    from ..analysis.vocab_bias import frequency_table as _ft

    return _ft(counts.predicted, counts.test, counts.train, by="predicted", top=top)


def bias_summary(counts: VocabCounts, *, top: int = 10) -> dict:
    """Spearman correlation between training frequency and over-generation (predicted − test) over
    the ``top`` most predicted items, and how many of them are over-generated."""
    df = bias_frame(counts, top=top)
    over = df["predicted"] - df["test"]
    rho = float(pd.Series(df["train"]).rank().corr(over.rank())) if len(df) > 2 and over.nunique() > 1 and df["train"].nunique() > 1 else float("nan")
    return {"items": len(df), "over_generated": int((over > 0).sum()), "spearman_train_vs_overgeneration": rho}


def bias_figure(frames: dict[str, pd.DataFrame], *, models: dict[str, str]):
    """One panel per dataset label: predicted vs training frequency (log–log) of the most predicted
    noun phrases, point size = test frequency (:func:`slt_nb.analysis.plot_predicted_vs_train`)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from ..analysis.vocab_bias import plot_predicted_vs_train

    sns.set_theme(style="whitegrid")
    n = max(1, len(frames))
    fig, axes = plt.subplots(1, n, figsize=(6.6 * n, 4.6), squeeze=False)
    for ax, (label, df) in zip(axes.flat, frames.items()):
        plot_predicted_vs_train(df, ax=ax, title=f"{label}, test split: {models.get(label, '')}")
    fig.suptitle("Vocabulary bias: the most predicted noun phrases,\npredicted vs training-set frequency (point size: test frequency)", fontsize=10)
    fig.tight_layout()
    return fig


def vocab_bias_outputs(records: Sequence[Prediction], train: Sequence[str], *, lang: str, tagger=DEFAULT_TAGGER, top: int = 10, plot_top: int = 30) -> dict:
    """Everything notebook 06 shows about one dataset's vocabulary bias, from the analysed model's
    test records and the training references: ``top_predicted`` (Table 14), ``top_test`` (Table 15),
    ``top_words`` (Sec 4.4.2), ``bias_frame`` (for :func:`bias_figure`) and ``summary``
    (:func:`bias_summary`)."""
    texts = ([r.prediction for r in records], [r.reference for r in records], list(train))
    nps = vocab_counts(*texts, unit="np", lang=lang, tagger=tagger)
    words = vocab_counts(*texts, unit="word", lang=lang)
    return {
        "top_predicted": frequency_table(nps, by="predicted", top=top),
        "top_test": frequency_table(nps, by="test", top=top),
        "top_words": frequency_table(words, by="predicted", top=top, item="Word"),
        "bias_frame": bias_frame(nps, top=plot_top),
        "summary": bias_summary(nps, top=top),
    }


# Under every noun-phrase table (12-15): whose method it is.
NP_METHOD_NOTE = (
    "Noun phrases: our extraction (POS tags, then maximal runs of adjectives + nouns/proper nouns; slt_nb.analysis.CHUNK_RULE). "
    "The paper does not say how it extracted its noun phrases (App. C-D); the FLAIR POS tagging of its Sec 4.2 is PGER's."
)


def vocab_signature(tagger, *, unit: str = "np", top: int | None = None, pronouns: bool = True) -> str:
    """Signature of the noun-phrase (or word) counts/comparisons; ``tagger``: the tagger object (its name and
    ``case`` policy go in) or its name; ``pronouns``: whether personal and reflexive pronouns count as phrases
    (Tables 14-15: yes; Tables 12-13 comparisons: no). ``np:ours``: the extraction is ours (:data:`NP_METHOD_NOTE`)."""
    from ..analysis.vocab_bias import CHUNK_RULE
    from ..metrics.text import TOKENIZER_ID

    if unit == "np":
        name, case = (tagger, None) if isinstance(tagger, str) else (tagger.name, getattr(tagger, "case", None))
        chunk = CHUNK_RULE.split(";")[0].replace("|", "/")
        return signature(unit="noun-phrase", np="ours", tagger=name, case=case, chunk=chunk, pronouns="yes" if pronouns else "no", top=top,
                         count="occurrences")
    return signature(unit="word", tok=TOKENIZER_ID, top=top, count="occurrences")


def selection_signature(k: int) -> str:
    from ..analysis.qualitative import SELECTION_RULE

    return signature(select="best-median-worst", k=k, by="sentence-bleu4-effective-order", ties="id") + f" ({SELECTION_RULE})"
