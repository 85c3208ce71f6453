"""Notebooks 05 and 06: the paper's Tables 3–5, 7 and 10–15 (ours) from the predictions JSONL files.

Predictions are whatever ``<predictions_dir>/<model>.<dataset>.<split>.jsonl`` holds (written by
the fine-tuning and ablation notebooks; the majority baseline as ``baseline.<dataset>.<split>``).
Model names map onto the paper's rows by family prefix (:func:`family_of`: ``smolvlm*`` →
SmolVLM2, ``qwen2_5_vl*`` → Qwen2.5-VL); ``baseline*`` is the baseline.

Row order everywhere: dataset (as prepared, else by name), then SmolVLM-family models, Qwen2.5-VL
family models, other models (alphabetical), the baseline, and — in Tables 4–5 — the
shuffled-reference control (:func:`shuffled_control`).

Scales: BLEU and ROUGE-L ×100 with two decimals (as the paper's Table 3), their 95% bootstrap
intervals as ``"lo–hi"`` strings; TSR and PGER as fractions with four decimals (Tables 4–5), "n/a"
where a metric has no value (PGER for Chinese), with the reason in the notes (:func:`na_notes`).
"""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SLTInputError
from ..metrics.applicable import cell, reasons
from ..metrics.bootstrap import DEFAULT_N, DEFAULT_SEED, paired_bootstrap
from ..metrics.pger import DEFAULT_TAGGER, TaggerLanguageUnsupported, get_tagger, pger
from ..metrics.predictions import Prediction, read_predictions
from ..metrics.score import infer_lang, score_records
from ..metrics.tsr import translation_soft_recall
from ..paths import resolve
from .paper_metrics import FAMILY_LABELS
from .paper_numbers import DATASET_LABELS
from .signature import signature

BASELINE = "baseline"
CONTROL = "control: shuffled references"
METRIC_COLUMNS = {"bleu1": "BLEU-1", "bleu2": "BLEU-2", "bleu3": "BLEU-3", "bleu4": "BLEU-4", "rougeL": "ROUGE-L"}
RUN_NOTEBOOK_HINT = "run 03_finetune first (`slt-nb reproduce --params params/default.yaml --only 03_finetune`)"


# --- finding and ordering prediction files ------------------------------------------------------


@dataclass(frozen=True)
class PredictionFile:
    model: str
    dataset: str
    split: str
    path: Path


def parse_name(path: str | Path) -> tuple[str, str, str]:
    """``<model>.<dataset>.<split>.jsonl`` -> (model, dataset, split); the model name may contain dots."""
    p = Path(path)
    parts = p.name[: -len(".jsonl")].rsplit(".", 2) if p.name.endswith(".jsonl") else []
    if len(parts) != 3 or not all(parts):
        raise SLTInputError("predictions file name is not <model>.<dataset>.<split>.jsonl", file=p)
    return parts[0], parts[1], parts[2]


def is_baseline(model: str) -> bool:
    return model == BASELINE or model.startswith((BASELINE + "-", BASELINE + "_"))


def family_of(model: str) -> str | None:
    """``smolvlm`` / ``qwen2_5_vl`` for models of those families (name prefix), else None."""
    for fam in sorted(FAMILY_LABELS, key=len, reverse=True):
        if model.startswith(fam):  # smolvlm-tiny, smolvlm2-2.2b, qwen2_5_vl-3b-lora, ...
            return fam
    return None


def paper_model(model: str) -> str:
    """The paper's model row a model corresponds to (``SmolVLM2``, ``Qwen2.5-VL``), or ``—``."""
    fam = family_of(model)
    return FAMILY_LABELS[fam] if fam else "—"


def model_key(model: str) -> tuple:
    fams = list(FAMILY_LABELS)
    if model == CONTROL:
        return (4, model)
    if is_baseline(model):
        return (3, model)
    fam = family_of(model)
    return (0, fams.index(fam), model) if fam else (2, model)


def find_predictions(
    predictions_dir: str | Path,
    *,
    models: Iterable[str] | None = None,
    datasets: Iterable[str] | None = None,
    splits: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    params_hash: str | None = None,
) -> list[PredictionFile]:
    """Every ``*.jsonl`` in ``predictions_dir`` written by the run ``params_hash`` (None: by any run),
    optionally only some models/datasets/splits, sorted.

    ``exclude``: model-name globs to leave out (e.g. ``llava_slt*``, scored by notebook 08). Files other
    runs left in the folder are never taken. No file of this run at all is an error that says to run the
    fine-tuning notebook first (and which other runs' files it found)."""
    from ..metrics.predictions import split_by_run

    folder = resolve(predictions_dir)
    paths = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    for p in paths:
        parse_name(p)  # a file not named <model>.<dataset>.<split>.jsonl is an error before anything is read
    paths, others = split_by_run(paths, params_hash)
    if not paths:
        other = "; files of other runs: " + ", ".join(f"{h}: {len(v)}" for h, v in sorted(others.items())) if others else ""
        which = "" if params_hash is None else f" of this run (params hash {params_hash})"
        raise SLTInputError(f"no predictions found{which} (no *.jsonl){other}", file=folder, hint=RUN_NOTEBOOK_HINT)
    found = [PredictionFile(*parse_name(p), path=p) for p in paths]
    keep = [
        f
        for f in found
        if (models is None or f.model in set(models))
        and (datasets is None or f.dataset in set(datasets))
        and (splits is None or f.split in set(splits))
        and not any(fnmatch.fnmatchcase(f.model, pattern) for pattern in exclude)
    ]
    if not keep:
        raise SLTInputError(
            f"none of the {len(found)} predictions files matches models={models}, datasets={datasets}, splits={splits}",
            file=folder,
            hint="found: " + ", ".join(p.name for p in paths[:12]),
        )
    return sorted(keep, key=lambda f: (f.dataset, f.split, model_key(f.model)))


def dataset_labels(manifest_dir: str | Path | None = None) -> dict[str, str]:
    """Dataset name -> row label: from notebook 01's ``datasets.json`` when present (it says
    "(synthetic)"), else the paper's names."""
    labels = dict(DATASET_LABELS)
    if manifest_dir is not None:
        path = resolve(manifest_dir) / "datasets.json"
        if path.is_file():
            labels.update({r["name"]: r["label"] for r in json.loads(path.read_text(encoding="utf-8"))})
    return labels


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Scored:
    file: PredictionFile
    records: list[Prediction]
    lang: str
    scores: dict  # slt_nb.metrics.score.score_records output (BLEU 0..100, ROUGE-L/TSR/PGER 0..1, "ci", "signatures")

    @property
    def model(self) -> str:
        return self.file.model


@dataclass
class ScoreSet:
    """Every predictions file scored once; the tables below are views of it."""

    items: list[Scored]
    labels: dict[str, str] = field(default_factory=lambda: dict(DATASET_LABELS))
    tagger: str | None = DEFAULT_TAGGER
    embedder: object = None
    n_boot: int = DEFAULT_N
    seed: int | None = DEFAULT_SEED
    semantic_splits: tuple[str, ...] = ("test",)

    def label(self, dataset: str) -> str:
        return self.labels.get(dataset, dataset)

    def datasets(self) -> list[str]:
        order = list(self.labels)
        names = {s.file.dataset for s in self.items}
        return sorted(names, key=lambda d: (order.index(d) if d in order else len(order), d))

    def select(self, *, dataset: str | None = None, split: str | None = None, model: str | None = None) -> list[Scored]:
        out = [s for s in self.items if (dataset is None or s.file.dataset == dataset) and (split is None or s.file.split == split) and (model is None or s.model == model)]
        return sorted(out, key=lambda s: (self.datasets().index(s.file.dataset), s.file.split, model_key(s.model)))

    def get(self, model: str, dataset: str, split: str) -> Scored | None:
        hit = self.select(dataset=dataset, split=split, model=model)
        return hit[0] if hit else None


def _prewarm(embedder, records: Sequence[Prediction]) -> None:
    """Embed every word of the records in one batch (the TSR code embeds sentence by sentence,
    many tiny forward passes); the embedder's word cache then serves TSR."""
    from ..metrics.text import word_tokens
    from ..metrics.tsr import get_embedder

    words = sorted({w for r in records for t in (r.reference, r.prediction) for w in word_tokens(t)})
    if words:
        get_embedder(embedder)(words)


def score_predictions(
    files: Sequence[PredictionFile],
    *,
    labels: dict[str, str] | None = None,
    tagger=DEFAULT_TAGGER,
    embedder=None,
    n_boot: int = DEFAULT_N,
    seed: int | None = DEFAULT_SEED,
    semantic_splits: Sequence[str] = ("test",),
    fallback: bool = False,
    trust_flair_pickle: bool = False,
) -> ScoreSet:
    """Score every file: BLEU-1..4 and ROUGE-L with 95% bootstrap intervals on every split, TSR and
    PGER only on ``semantic_splits`` (the paper reports them on the test sets; the others get None).

    ``tagger`` / ``embedder`` (names, hub ids or objects; see :mod:`slt_nb.metrics.score`) are resolved
    once, here: ``fallback`` lets the offline stand-ins score when a paper model cannot be loaded (a
    warning, and signatures that say ``fallback:``); ``trust_flair_pickle`` lets flair's own unpickler
    load a FLAIR file that the restricted loader refuses."""
    from ..metrics.tsr import get_embedder

    if tagger is not None and not (isinstance(tagger, str) and tagger.lower() == "none"):
        tagger = get_tagger(tagger, fallback=fallback, trust_flair_pickle=trust_flair_pickle)
    if not (isinstance(embedder, str) and embedder.lower() == "none"):
        embedder = get_embedder(embedder, fallback=fallback)
    loaded = [(f, read_predictions(f.path)) for f in files]
    if not (isinstance(embedder, str) and embedder.lower() == "none"):
        _prewarm(embedder, [r for f, recs in loaded if f.split in semantic_splits for r in recs])
    items = []
    for f, records in loaded:
        lang = infer_lang(records, path=f.path)
        semantic = f.split in semantic_splits
        scores = score_records(
            records, lang=lang, tagger=tagger if semantic else None, embedder=embedder if semantic else "none", ci=True, n_boot=n_boot, seed=seed,
            file=f.path,
        )
        if scores.get("dataset") not in (None, f.dataset):
            raise SLTInputError(f"records say dataset {scores['dataset']!r} but the file name says {f.dataset!r}", file=f.path)
        items.append(Scored(file=f, records=records, lang=lang, scores=scores))
    return ScoreSet(
        items=items,
        labels={**DATASET_LABELS, **(labels or {})},
        tagger=tagger,
        embedder=embedder,
        n_boot=n_boot,
        seed=seed,
        semantic_splits=tuple(semantic_splits),
    )


def provenance_note(ss: ScoreSet) -> str:
    hashes = sorted({str(s.scores.get("params_hash")) for s in ss.items})
    return f"Predictions: {len(ss.items)} files from run(s) with params hash {', '.join(f'`{h}`' for h in hashes)}."


# --- Table 3 ------------------------------------------------------------------------------------


def _x100(metric: str, v: float) -> float:
    return v * 100 if metric == "rougeL" else v


def ci_string(lo: float, hi: float, digits: int = 2) -> str:
    return f"{lo:.{digits}f}–{hi:.{digits}f}"


def table3(ss: ScoreSet) -> pd.DataFrame:
    """Table 3 (ours): one row per dataset × model × split; BLEU-1..4 and ROUGE-L ×100, each
    followed by its 95% bootstrap interval."""
    rows = []
    for s in sorted(ss.items, key=lambda s: (ss.datasets().index(s.file.dataset), model_key(s.model), s.file.split)):
        row = {"Dataset": ss.label(s.file.dataset), "Model": s.model, "Paper model": paper_model(s.model), "Split": s.file.split}
        for m, col in METRIC_COLUMNS.items():
            lo, hi = s.scores["ci"][m]
            row[col] = round(_x100(m, s.scores[m]), 2)
            row[f"{col} 95% CI"] = ci_string(_x100(m, lo), _x100(m, hi))
        row["n"] = s.scores["n"]
        rows.append(row)
    return pd.DataFrame(rows)


def _unique(values: Iterable[str]) -> str:
    return " / ".join(dict.fromkeys(values))


def table3_signature(ss: ScoreSet) -> str:
    bleu = _unique(s.scores["signatures"]["bleu4"].replace("|order:4|", "|order:1-4|") for s in ss.items)
    rouge = _unique(s.scores["signatures"]["rougeL"] for s in ss.items)
    ci = _unique(s.scores["signatures"]["ci"] for s in ss.items)
    return f"BLEU-1..4: {bleu} ; ROUGE-L: {rouge}|x100 ; CI: {ci}"


# --- Tables 4 and 5 -----------------------------------------------------------------------------


def shuffled_control(records: Sequence[Prediction]) -> list[str]:
    """Predictions of the control: each test sample gets the **next** sample's reference (rotation by
    one, the last gets the first's): fluent, in-domain text unrelated to the clip."""
    refs = [r.reference for r in records]
    return refs[1:] + refs[:1]


@dataclass
class ControlScores:
    tsr: float | None
    tsr_recall: float | None
    pger: float | None
    n: int
    not_applicable: dict = field(default_factory=dict)  # metric -> why it has no value (printed "n/a")


def control_scores(ss: ScoreSet, dataset: str, split: str = "test") -> ControlScores | None:
    """TSR (both forms) and PGER of :func:`shuffled_control` on one dataset's test references."""
    ref_item = next((s for s in ss.select(dataset=dataset, split=split)), None)
    if ref_item is None or len(ref_item.records) < 2:
        return None
    hyps = shuffled_control(ref_item.records)
    refs = [r.reference for r in ref_item.records]
    tsr = tsr_rec = p = None
    not_applicable = {}
    if not (isinstance(ss.embedder, str) and ss.embedder.lower() == "none"):
        t = translation_soft_recall(hyps, refs, embedder=ss.embedder)
        tsr, tsr_rec = t.tsr, t.tsr_recall
    if ss.tagger is not None and not (isinstance(ss.tagger, str) and ss.tagger.lower() == "none"):
        try:
            p = pger(hyps, refs, tagger=get_tagger(ss.tagger), lang=ref_item.lang).score
        except TaggerLanguageUnsupported as exc:  # Chinese (undefined) or a tagger without the language
            not_applicable["pger"] = exc.problem
    return ControlScores(tsr=tsr, tsr_recall=tsr_rec, pger=p, n=len(refs), not_applicable=not_applicable)


def _r4(v):
    """A TSR/PGER cell: four decimals, or "n/a" where there is no value (:func:`slt_nb.metrics.applicable.cell`)."""
    return cell(v, 4)


def _semantic_rows(ss: ScoreSet, split: str, control: bool, columns) -> list[dict]:
    rows = []
    for d in ss.datasets():
        for s in ss.select(dataset=d, split=split):
            rows.append({"Dataset": ss.label(d), "Model": s.model, "Paper model": paper_model(s.model), **columns(s.scores), "n": s.scores["n"]})
        if control:
            c = control_scores(ss, d, split)
            if c is not None:
                rows.append({"Dataset": ss.label(d), "Model": CONTROL, "Paper model": "—", **columns(vars(c)), "n": c.n})
    return rows


def table4(ss: ScoreSet, *, split: str = "test", control: bool = True) -> pd.DataFrame:
    """Table 4 (ours): PGER per dataset × model on the test split, the baseline (and the
    shuffled-reference control) in rows beside the models."""
    return pd.DataFrame(_semantic_rows(ss, split, control, lambda sc: {"PGER": _r4(sc.get("pger"))}))


TSR_PRINTED = "TSR (Eq. 2 as printed: ÷C(pred), soft precision)"
TSR_RECALL = "TSR recall (÷C(ref))"


def table5(ss: ScoreSet, *, split: str = "test", control: bool = True) -> pd.DataFrame:
    """Table 5 (ours): TSR in both forms, labelled, per dataset × model on the test split."""
    return pd.DataFrame(_semantic_rows(ss, split, control, lambda sc: {TSR_PRINTED: _r4(sc.get("tsr")), TSR_RECALL: _r4(sc.get("tsr_recall"))}))


def na_notes(ss: ScoreSet, key: str, label: str, split: str = "test") -> list[str]:
    """Table notes saying why a ``key`` cell is "n/a" (e.g. PGER for Chinese), once per dataset and reason
    (the control row of a dataset has the same language, so the same reason)."""
    return reasons([(ss.label(s.file.dataset), s.scores) for s in ss.select(split=split)], key, label)


def semantic_signature(ss: ScoreSet, key: str, split: str = "test") -> str:
    """The signature(s) of ``tsr``, ``tsr_recall`` or ``pger`` over the test-split files."""
    return _unique(s.scores["signatures"][key] for s in ss.select(split=split))


def control_note(split: str = "test") -> str:
    return (
        f"Row '{CONTROL}': each {split} sample scored against the next sample's reference (rotation by one) — "
        "fluent in-domain text unrelated to the clip; a model must beat it to show it used the video."
    )


# --- paired significance ------------------------------------------------------------------------


def comparison_pairs(models: Sequence[str]) -> list[tuple[str, str, str]]:
    """(A, B, kind) pairs on one test set: every model against the baseline (A = baseline), and
    every SmolVLM-family model against every Qwen2.5-VL-family model (A = Qwen2.5-VL, B = SmolVLM:
    the paper's claim is that SmolVLM2 is better)."""
    models = sorted(models, key=model_key)
    base = [m for m in models if is_baseline(m)]
    systems = [m for m in models if not is_baseline(m)]
    pairs = [(b, m, "model vs baseline") for b in base for m in systems]
    smol = [m for m in systems if family_of(m) == "smolvlm"]
    qwen = [m for m in systems if family_of(m) == "qwen2_5_vl"]
    pairs += [(q, s, "SmolVLM2 vs Qwen2.5-VL family") for s in smol for q in qwen]
    return pairs


def _aligned(a: Scored, b: Scored) -> tuple[list[str], list[str], list[str]]:
    """A's and B's predictions and the references on the ids both have, in A's order; the
    references must agree."""
    bmap = {r.id: r for r in b.records}
    ha, hb, refs = [], [], []
    for r in a.records:
        other = bmap.get(r.id)
        if other is None:
            continue
        if other.reference != r.reference:
            raise SLTInputError(f"references differ between {a.file.path.name} and {b.file.path.name}", sample=r.id, hint="compare systems on the same test set")
        ha.append(r.prediction)
        hb.append(other.prediction)
        refs.append(r.reference)
    return ha, hb, refs


def significance(ss: ScoreSet, *, split: str = "test", metrics: Sequence[str] = ("bleu4", "rougeL"), alpha: float = 0.05) -> pd.DataFrame:
    """Paired bootstrap (sacrebleu's paired-bs recipe, :func:`~slt_nb.metrics.bootstrap.paired_bootstrap`)
    of every pair of :func:`comparison_pairs` on the same test set. Δ = B − A; ROUGE-L ×100."""
    rows = []
    for d in ss.datasets():
        items = {s.model: s for s in ss.select(dataset=d, split=split)}
        for a, b, kind in comparison_pairs(list(items)):
            ha, hb, refs = _aligned(items[a], items[b])
            if not refs:
                continue
            res = paired_bootstrap(ha, hb, refs, lang=items[a].lang, metrics=metrics, n=ss.n_boot, seed=ss.seed)
            for m in metrics:
                r = res[m]
                rows.append(
                    {
                        "Dataset": ss.label(d),
                        "Comparison": kind,
                        "A": a,
                        "B": b,
                        "Metric": METRIC_COLUMNS.get(m, m),
                        "A score": round(_x100(m, r["a"]), 2),
                        "A 95% CI": ci_string(*(_x100(m, x) for x in r["a_ci"])),
                        "B score": round(_x100(m, r["b"]), 2),
                        "B 95% CI": ci_string(*(_x100(m, x) for x in r["b_ci"])),
                        "Δ (B − A)": round(_x100(m, r["delta"]), 2),
                        "p": round(r["p_value"], 4),
                        f"p < {alpha}": "yes" if r["p_value"] < alpha else "no",
                        "B wins (share of resamples)": round(r["win_rate"], 3),
                        "n": len(refs),
                    }
                )
    return pd.DataFrame(rows)


def significance_signature(ss: ScoreSet) -> str:
    return signature(test="paired-bootstrap", unit="sentence", n=ss.n_boot, seed=ss.seed, p="sacrebleu-paired-bs", delta="B-minus-A", ci="95-percentile")


# --- figure -------------------------------------------------------------------------------------


def bleu4_frame(ss: ScoreSet, split: str = "test") -> pd.DataFrame:
    """Long form (dataset, model, bleu4, lo, hi) of one split, for :func:`bleu4_ci_figure`."""
    rows = []
    for s in ss.select(split=split):
        lo, hi = s.scores["ci"]["bleu4"]
        rows.append({"dataset": ss.label(s.file.dataset), "model": s.model, "bleu4": s.scores["bleu4"], "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def bleu4_ci_figure(frame: pd.DataFrame, *, title: str = "BLEU-4 on the test sets with 95% bootstrap intervals"):
    """Seaborn-styled grouped bars: BLEU-4 per dataset (x) and model (hue), the 95% bootstrap
    interval as an error bar (intervals are percentile intervals, so they are asymmetric)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    datasets = list(dict.fromkeys(frame["dataset"]))
    models = sorted(dict.fromkeys(frame["model"]), key=model_key)
    palette = dict(zip(models, sns.color_palette("colorblind", len(models))))
    fig, ax = plt.subplots(figsize=(max(6.5, 2.5 + 0.8 * len(datasets) * len(models)), 4))
    width = 0.8 / max(1, len(models))
    for j, m in enumerate(models):
        sub = frame[frame["model"] == m].set_index("dataset")
        xs = [i - 0.4 + width * (j + 0.5) for i, d in enumerate(datasets) if d in sub.index]
        ys = [sub.loc[d, "bleu4"] for d in datasets if d in sub.index]
        lo = [sub.loc[d, "bleu4"] - sub.loc[d, "lo"] for d in datasets if d in sub.index]
        hi = [sub.loc[d, "hi"] - sub.loc[d, "bleu4"] for d in datasets if d in sub.index]
        ax.bar(xs, ys, width=width * 0.95, color=palette[m], label=m)
        ax.errorbar(xs, ys, yerr=[np.maximum(lo, 0), np.maximum(hi, 0)], fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xticks(range(len(datasets)), datasets)
    ax.set_ylabel("BLEU-4 (sacrebleu, 0–100)")
    ax.set_xlabel("")
    ax.set_title(title, fontsize=10)
    ax.legend(title="model", frameon=True, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


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
