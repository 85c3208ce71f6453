"""Tables 8 and 9 of the small-VLM paper from the ablation cells' predictions, and their figure.

Scores are :func:`slt_nb.train.table3.score_predictions` (sacrebleu corpus BLEU-1..4, 13a,
case-sensitive; sentence ROUGE-L F averaged; x100), the same numbers notebook 03 and 05 print.
A cell whose predictions are missing (a batch job that has not run yet) is listed as missing, not
dropped silently; so is a cell whose predictions file was written by another run (another params
hash): a cell is done only when this run's predictions exist.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..train.ablations import Cell
from ..train.strategy import STRATEGIES
from ..train.table3 import METRICS, score_predictions


def predictions_path(pred_dir: str | Path, cell: Cell, split: str = "test") -> Path:
    return Path(pred_dir) / f"{cell.id}.{cell.config.dataset}.{split}.jsonl"


def done(cell: Cell, pred_dir, params_hash: str | None, split: str = "test") -> bool:
    """Whether ``cell`` has test predictions written by the run ``params_hash`` (None: by any run)."""
    from ..metrics.predictions import read_predictions, run_of

    p = predictions_path(pred_dir, cell, split)
    return p.is_file() and (params_hash is None or run_of(read_predictions(p), p) == params_hash)


def _scores(cells: list[Cell], pred_dir, split: str, params_hash: str | None) -> tuple[list[tuple[Cell, dict]], list[str]]:
    found, missing = [], []
    for c in cells:
        if done(c, pred_dir, params_hash, split):
            found.append((c, score_predictions(predictions_path(pred_dir, c, split), params_hash)))
        else:
            missing.append(c.id)
    return found, missing


def table8(cells: list[Cell], pred_dir: str | Path, *, params: dict | None = None, split: str = "test",
           params_hash: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """(Table 8 in the paper's layout, ids of cells without predictions of the run ``params_hash``).
    ``params``: {cell id: {"trainable": n, "total": n}} adds our model's parameter counts."""
    params = params or {}
    found, missing = _scores([c for c in cells if c.table == "Table 8"], pred_dir, split, params_hash)
    rows = []
    for c, s in found:
        p = params.get(c.id, {})
        rows.append({"Model Size": c.size, "Model (ours)": c.config.model, "Fine-tuning Strategy": STRATEGIES[c.strategy].label,
                     **{m: s[m] for m in METRICS}, "Trainable params": p.get("trainable"), "Total params": p.get("total"), "n": s["n"]})
    return pd.DataFrame(rows), missing


def table9(cells: list[Cell], pred_dir: str | Path, *, split: str = "test", params_hash: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """(Table 9 in the paper's layout, ids of cells without predictions of the run ``params_hash``)."""
    found, missing = _scores([c for c in cells if c.table == "Table 9"], pred_dir, split, params_hash)
    rows = [{"Max Frames": c.t_max, "Model (ours)": c.config.model, **{m: s[m] for m in METRICS}, "n": s["n"]} for c, s in found]
    return pd.DataFrame(rows), missing


def signature_of(cells: list[Cell], pred_dir: str | Path, split: str = "test", params_hash: str | None = None) -> str:
    """The metric signature (as under Table 3) from the first cell that has predictions of this run."""
    from ..train.table3 import table3_signature

    for c in cells:
        if done(c, pred_dir, params_hash, split):
            return table3_signature(predictions_path(pred_dir, c, split))
    return ""


def figure(t8: pd.DataFrame, t9: pd.DataFrame, paper8: pd.DataFrame, paper9: pd.DataFrame, *, metric: str = "BLEU-4",
           data_label: str = "PHOENIX-2014T"):
    """Two panels, ~1000 px wide at 120 dpi: ``metric`` by strategy and size (Table 8) and by frame budget
    (Table 9), ours beside the paper's. Our bars are labelled with our model (on the default a tiny stand-in
    for the paper's size: "256M -> tiny-xs") and the data (``data_label``, e.g. "PHOENIX-2014T (synthetic)");
    budgets are matched by rank (1st, 2nd), as the default's budgets keep the paper's 1:4 ratio."""
    sns.set_theme(style="whitegrid")
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 4.0), gridspec_kw={"width_ratios": [2.2, 1]})
    ours_src, paper_src = f"ours: {data_label}", "paper: PHOENIX-2014T"
    rows = []
    for d in t8.to_dict("records"):
        size = d["Model Size"] if d.get("Model (ours)") in (None, d["Model Size"]) else f"{d['Model Size']} → {d['Model (ours)']}"
        rows.append({"key": (d["Model Size"], d["Fine-tuning Strategy"]), "cell": size + "\n" + textwrap.fill(d["Fine-tuning Strategy"], 11),
                     "source": ours_src, metric: d[metric]})
    labels = {r["key"]: r["cell"] for r in rows}
    for d in paper8.to_dict("records"):
        key = (d["Model Size"], d["Fine-tuning Strategy"])
        rows.append({"key": key, "cell": labels.get(key, f"{key[0]}\n" + textwrap.fill(key[1], 11)), "source": paper_src, metric: d[metric]})
    if rows:
        sns.barplot(data=pd.DataFrame(rows), x="cell", y=metric, hue="source", ax=axes[0], palette=["#4c72b0", "#c8c8c8"])
    axes[0].set_title(f"Table 8: {metric} by model size and fine-tuning strategy", fontsize=10)
    axes[0].set_xlabel("paper's model size (→ our model) and fine-tuning strategy", fontsize=9)
    axes[0].set_ylabel(f"{metric} (test, 0-100)")
    axes[0].tick_params(axis="x", labelsize=7)
    rows = []
    for src, df in ((ours_src, t9), (paper_src, paper9)):
        for i, d in enumerate(df.to_dict("records")):
            rows.append({"budget": f"budget {i + 1}", "label": f"T={d['Max Frames']}", "source": src, metric: d[metric]})
    if rows:
        df9 = pd.DataFrame(rows)
        sns.barplot(data=df9, x="budget", y=metric, hue="source", ax=axes[1], palette=["#4c72b0", "#c8c8c8"])
        for cont, (_, g) in zip(axes[1].containers, df9.groupby("source", sort=False)):
            axes[1].bar_label(cont, labels=list(g["label"]), fontsize=7)
    axes[1].set_title(f"Table 9: {metric} by frame budget\n(Qwen2.5-VL)", fontsize=10)
    axes[1].set_xlabel("frame budget T_max (1 : 4)", fontsize=9)
    axes[1].set_ylabel(f"{metric} (test, 0-100)")
    for ax in axes:  # one legend, below the panels: it hides no bar
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def agreement(ours: pd.DataFrame, paper: pd.DataFrame, keys: list[str], metric: str = "BLEU-4") -> dict:
    """How far our grid orders its cells as the paper's does: Kendall's tau between our and the
    paper's ``metric`` over the cells both have (matched on ``keys``), and which cell is best in each."""
    from scipy.stats import kendalltau

    both = ours.merge(paper, on=keys, suffixes=("", " (paper)")) if not ours.empty else ours
    if len(both) < 2:
        return {"cells": len(both), "kendall_tau": None, "best (ours)": None, "best (paper)": None}
    tau = kendalltau(both[metric], both[f"{metric} (paper)"]).statistic

    def name(row) -> str:
        return " / ".join(str(row[k]) for k in keys)

    return {"cells": len(both), "kendall_tau": round(float(tau), 3), "best (ours)": name(both.loc[both[metric].idxmax()]),
            "best (paper)": name(both.loc[both[f"{metric} (paper)"].idxmax()])}


def by_budget_ratio(t9: pd.DataFrame) -> pd.DataFrame:
    """Table 9 with a ``Budget`` column relative to its smallest budget ("1x", "4x"), so that our
    budgets and the paper's (same 1:4 ratio, other frame counts) can be matched."""
    if t9.empty:  # no cell of this run yet (a batch job that ran other cells)
        return t9.assign(Budget=[])
    low = t9["Max Frames"].min()
    return t9.assign(Budget=[f"{f / low:g}x" for f in t9["Max Frames"]])
