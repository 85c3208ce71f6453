"""Notebook 05: the paper's Tables 3-5 (ours) and their significance tests and figure, from a :class:`~.scoring.ScoreSet`.

Row order everywhere: dataset (as prepared, else by name), then SmolVLM-family models, Qwen2.5-VL
family models, other models (alphabetical), the baseline, and -- in Tables 4-5 -- the
shuffled-reference control (:func:`shuffled_control`); the files are found by :mod:`.prediction_files`,
scored by :mod:`.scoring`; notebook 06's tables are in :mod:`.bias_tables`.

Scales: BLEU and ROUGE-L x100 with two decimals (as the paper's Table 3), their 95% bootstrap
intervals as ``"lo-hi"`` strings; TSR and PGER as fractions with four decimals (Tables 4-5), "n/a"
where a metric has no value (PGER for Chinese), with the reason in the notes (:func:`na_notes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SLTInputError
from ..metrics.applicable import cell, reasons
from ..metrics.bootstrap import paired_bootstrap
from ..metrics.pger import TaggerLanguageUnsupported, get_tagger, pger
from ..metrics.predictions import Prediction
from ..metrics.tsr import translation_soft_recall
from .prediction_files import CONTROL, family_of, is_baseline, model_key, paper_model
from .scoring import METRIC_COLUMNS, ScoreSet, Scored
from .signature import signature


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
