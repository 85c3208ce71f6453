"""A first Table 3 straight from the fine-tuning notebook: BLEU-1..4 and ROUGE-L per model x dataset x split.

Scores come from :mod:`slt_nb.metrics` (sacrebleu corpus BLEU-n, tokenizer 13a, case-sensitive;
Unicode-aware sentence-level ROUGE-L F averaged, x100 as the paper prints it), so they equal
notebook 05's Table 3 numbers (which add bootstrap intervals, TSR and PGER). Beside them: the
majority baseline, the learning check of the embedded default (BLEU-4 at least twice the
baseline's, ROUGE-L above it) and, as a control, the same model decoding each test clip with
another clip's video. Also the training-loss figure.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SLTInputError
from ..report.signature import signature
from .baseline import BASELINE

METRICS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L")
SHUFFLED = "shuffled video"


def score_predictions(path: str | Path, params_hash: str | None = None) -> dict:
    """{BLEU-1..4, ROUGE-L (x100), n, sacrebleu signature} of one predictions JSONL file; ``params_hash``:
    the run that must have written it (None: any)."""
    from ..metrics import corpus_bleu, read_predictions, rouge_l
    from ..metrics.text import lang_of_dataset

    recs = read_predictions(path, params_hash=params_hash)
    if not recs:
        raise SLTInputError("empty predictions file", file=path)
    lang = lang_of_dataset(recs[0].dataset)
    hyps, refs = [r.prediction for r in recs], [r.reference for r in recs]
    b = corpus_bleu(hyps, refs, lang=lang)
    r = rouge_l(hyps, refs)
    return {**{f"BLEU-{n}": round(b.scores[n], 2) for n in (1, 2, 3, 4)}, "ROUGE-L": round(100 * r.score, 2), "n": len(recs),
            "sacrebleu": b.sacrebleu_signature, "rouge": r.signature}


def table3(pred_dir: str | Path, models: list[str], datasets: list[str], splits=("dev", "test"), *, labels: dict | None = None,
           controls_dir: str | Path | None = None, params_hash: str | None = None) -> pd.DataFrame:
    """Long-form Table 3 (ours): one row per dataset x model x split, the baseline after the models,
    then the shuffled-video controls found in ``controls_dir``. Every file must come from the run
    ``params_hash`` (a model's or the baseline's from another run is an error; a control of another run
    is not this run's control and is left out)."""
    from ..metrics.predictions import read_predictions, run_of

    labels = labels or {}
    rows = []
    for ds in datasets:
        for split in splits:
            for model, folder, kind in [(m, pred_dir, "model") for m in models] + [(BASELINE, pred_dir, "baseline")] + \
                                       [(m, controls_dir, SHUFFLED) for m in models if controls_dir is not None]:
                path = Path(folder) / f"{model}.{ds}.{split}.jsonl"
                if kind == SHUFFLED and (not path.is_file() or (params_hash is not None and run_of(read_predictions(path), path) != params_hash)):
                    continue
                if not path.is_file():
                    raise SLTInputError("predictions file missing", file=path, hint="run the training and prediction cells first")
                s = score_predictions(path, params_hash)
                rows.append({"Dataset": labels.get(ds, ds), "dataset": ds, "Model": model if kind != SHUFFLED else f"{model} ({SHUFFLED})",
                             "Split": split, **{m: s[m] for m in METRICS}, "n": s["n"]})
    return pd.DataFrame(rows)


def table3_signature(*example_files: str | Path) -> str:
    """The metric signature of Table 3's rows, from one predictions file per dataset: datasets scored alike
    share one; where they differ (CSL-Daily's BLEU is tokenised ``zh``, the others ``13a``) each distinct
    signature is listed, joined by " / " (as 05_metrics does)."""
    if not example_files:
        raise ValueError("table3_signature needs at least one predictions file")
    sigs = []
    for f in example_files:
        s = score_predictions(f)
        rouge = ",".join(p for p in s["rouge"].split("|") if not p.startswith("slt-nb:"))
        sigs.append(signature(bleu=s["sacrebleu"].replace("|", ","), rouge=rouge))
    return " / ".join(dict.fromkeys(sigs))


def learning_check(t3: pd.DataFrame, models: list[str], *, split: str = "test", factor: float = 2.0) -> pd.DataFrame:
    """Per model x dataset on ``split``: BLEU-4 and ROUGE-L beside the baseline's, the BLEU-4 ratio,
    and whether the default's bar is met (BLEU-4 >= ``factor`` x baseline and ROUGE-L > baseline)."""
    rows = []
    for ds, g in t3[t3["Split"] == split].groupby("dataset", sort=False):
        base = g[g["Model"] == BASELINE].iloc[0]
        for m in models:
            hit = g[g["Model"] == m]
            if hit.empty:
                continue
            r = hit.iloc[0]
            ctrl = g[g["Model"] == f"{m} ({SHUFFLED})"]
            ratio = r["BLEU-4"] / base["BLEU-4"] if base["BLEU-4"] > 0 else float("inf")
            rows.append({"Dataset": r["Dataset"], "Model": m, "Split": split, "BLEU-4": r["BLEU-4"], "BLEU-4 baseline": base["BLEU-4"],
                         "ratio": round(ratio, 2), "ROUGE-L": r["ROUGE-L"], "ROUGE-L baseline": base["ROUGE-L"],
                         f"BLEU-4 {SHUFFLED}": ctrl.iloc[0]["BLEU-4"] if not ctrl.empty else None,
                         "learned": bool(ratio >= factor and r["ROUGE-L"] > base["ROUGE-L"])})
    return pd.DataFrame(rows)


def loss_frame(results) -> pd.DataFrame:
    """Training loss per logged optimizer step of each run (``RunResult`` objects)."""
    rows = []
    for res in results:
        for h in res.log_history:
            if "loss" in h and "step" in h:
                rows.append({"model": res.model_name, "dataset": res.config.dataset, "step": h["step"], "epoch": h.get("epoch"), "loss": h["loss"]})
    return pd.DataFrame(rows, columns=["model", "dataset", "step", "epoch", "loss"])


def loss_figure(df: pd.DataFrame, labels: dict[str, str] | None = None):
    """Seaborn lines: training loss against epoch, one panel per dataset (titled with ``labels[dataset]``,
    e.g. "PHOENIX-2014T (synthetic)"), one line per model; ``df``: :func:`loss_frame`'s columns."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    datasets = list(dict.fromkeys(df["dataset"])) or ["(none)"]
    ncols = min(3, len(datasets))  # at most 3 panels a row: five datasets' titles no longer run into each other
    nrows = -(-len(datasets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False, sharey=True)
    for ax, ds in zip(axes.flat, datasets):
        sns.lineplot(data=df[df["dataset"] == ds], x="epoch", y="loss", hue="model", ax=ax)
        ax.set_title(f"{(labels or {}).get(ds, ds)}:\nfine-tuning loss", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("cross-entropy on answer tokens (nats)", fontsize=9)
        if ax.get_legend() is not None:
            ax.get_legend().set_title("model")
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
