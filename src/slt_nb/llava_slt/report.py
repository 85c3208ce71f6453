"""Predictions, scores, tables and the loss-curve figure of notebooks 07 and 08.

Predictions use the JSONL of every system (``results/predictions/<model>.<dataset>.<split>.jsonl``)
and go through the same metrics (``slt_nb.metrics.score.score_records``). Scores are printed
on the papers' scale: BLEU 0-100, ROUGE-L x100.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import write_jsonl
from ..metrics.predictions import parse_predictions, read_predictions
from ..metrics.score import score_records
from ..metrics.text import lang_of_dataset

CURVES = {"loss": "loss", "clip": "CLIP", "signcl": "SignCL (unweighted)"}
METRIC_COLS = {"bleu1": "BLEU-1", "bleu2": "BLEU-2", "bleu3": "BLEU-3", "bleu4": "BLEU-4", "rougeL": "ROUGE-L"}


def variant_model(model: str, variant: str) -> str:
    """File-safe model name of a variant: ``llava_slt-tiny``, ``llava_slt-tiny-linear_connector``, ..."""
    return model if variant == "main" else f"{model}-{variant.replace('main/', '').replace('/', '-')}"


def prediction_rows(clips, preds: list[str], *, model: str, params_hash: str | None) -> list[dict]:
    return [{"id": i, "dataset": clips.dataset, "split": clips.split, "reference": r, "prediction": p, "model": model, "params_hash": params_hash}
            for i, r, p in zip(clips.ids, clips.texts, preds)]


def write_predictions(rows: list[dict], out_dir: str | Path) -> Path:
    r = rows[0]
    return write_jsonl(Path(out_dir) / f"{r['model']}.{r['dataset']}.{r['split']}.jsonl", rows)


def score(rows: list[dict], dataset: str) -> dict:
    """BLEU-1..4 and ROUGE-L (x100) of prediction rows; TSR/PGER are left to notebook 05."""
    s = score_records(parse_predictions(rows), lang=lang_of_dataset(dataset), tagger=None, embedder="none")
    out = {METRIC_COLS[k]: round(s[k] * (100 if k == "rougeL" else 1), 2) for k in METRIC_COLS}
    out["n"] = s["n"]
    out["signature"] = s["signatures"]["bleu4"]
    return out


def other_systems(pred_dir: str | Path, dataset: str, split: str, exclude_prefix: str = "llava_slt",
                  params_hash: str | None = None) -> dict[str, list[dict]]:
    """Prediction files of other systems for one dataset split (the fine-tuned small VLMs, the baseline)
    written by the run ``params_hash`` (None: by any run); other runs' files are left out."""
    from ..metrics.predictions import run_predictions

    out = {}
    for path in run_predictions(pred_dir, params_hash, f"*.{dataset}.{split}.jsonl")[0]:
        model = path.name[: -len(f".{dataset}.{split}.jsonl")]
        if model.startswith(exclude_prefix):
            continue
        out[model] = [{"id": p.id, "reference": p.reference, "prediction": p.prediction} for p in read_predictions(path)]
    return out


def comparison_table(systems: dict[str, list[dict]], dataset: str, split: str, *, kinds: dict[str, str] | None = None,
                     n_boot: int = 1000) -> pd.DataFrame:
    """One row per system, scored alike, with the 95% bootstrap interval of BLEU-4 (sentence resampling)."""
    from ..metrics.bootstrap import bootstrap_ci

    rows = []
    for name, recs in systems.items():
        s = score(recs, dataset)
        ci = bootstrap_ci([r["prediction"] for r in recs], [r["reference"] for r in recs], lang=lang_of_dataset(dataset), metrics=("bleu4",), n=n_boot)
        rows.append({"System": name, "Kind": (kinds or {}).get(name, ""), "Dataset": dataset, "Split": split,
                     **{c: s[c] for c in METRIC_COLS.values()}, "BLEU-4 95% CI": f"{ci['bleu4']['lo']:.2f}-{ci['bleu4']['hi']:.2f}", "n": s["n"]})
    return pd.DataFrame(rows)


def ablation_table(systems: dict[str, list[dict]], dataset: str, labels: dict[str, tuple], reference: str = "main", n_boot: int = 1000) -> pd.DataFrame:
    """Ours per variant beside the paper's matching row; differences to ``reference`` with the paired-bootstrap p."""
    from ..metrics.bootstrap import paired_bootstrap

    ref = systems[reference]
    refs = [r["reference"] for r in ref]
    rows = []
    for name, recs in systems.items():
        s = score(recs, dataset)
        label, table, row = labels.get(name, (name, "", ""))
        pb = paired_bootstrap([r["prediction"] for r in ref], [r["prediction"] for r in recs], refs, lang=lang_of_dataset(dataset), n=n_boot)
        rows.append({"Variant": name, "Paper row": f"{table} row {row}: {label}" if table else label,
                     "BLEU-1": s["BLEU-1"], "BLEU-4": s["BLEU-4"], "ROUGE-L": s["ROUGE-L"],
                     "dBLEU-4": round(pb["bleu4"]["delta"], 2), "p (BLEU-4)": round(pb["bleu4"]["p_value"], 3),
                     "dROUGE-L": round(100 * pb["rougeL"]["delta"], 2), "p (ROUGE-L)": round(pb["rougeL"]["p_value"], 3)})
    return pd.DataFrame(rows)


def config_table(configs: dict, paper: dict, per_dataset: dict[str, dict] | None = None) -> pd.DataFrame:
    """Ours beside the paper for every value the paper states (``paper``: dotted key -> (value, source)).
    ``per_dataset``: {dataset: {part: config}} (``llava_per_dataset`` applied); where a dataset's value
    differs from the shared one, one column per dataset."""
    from .config import to_dict

    def value(cfgs: dict, key: str):
        head, *rest = key.split(".")
        cur = to_dict(cfgs[head])
        for part in rest:
            cur = cur[part]
        return str(cur)

    rows = []
    for key, (pvalue, source) in paper.items():
        head = key.split(".")[0]
        if head not in configs:
            continue
        ours = value(configs, key)
        per = {ds: value({**configs, **parts}, key) for ds, parts in (per_dataset or {}).items()}
        cols = {"Ours (this run)": ours} if all(v == ours for v in per.values()) else {f"Ours ({ds})": v for ds, v in per.items()}
        rows.append({"Setting": key, **cols, "Paper": str(pvalue), "Source": source})
    return pd.DataFrame(rows)


def pretrain_table(result: dict) -> pd.DataFrame:
    """What stages 1-2 did: steps, first/last loss, the dev check (LM loss; video->text R@1), time."""
    rows = []
    for name, s1 in {"llm": result["stage1"], **{f"llm {n}": r for n, r in result.get("llm_variants", {}).items()}}.items():
        h = s1["history"]
        rows.append({"Stage": "1 linguistic CPT", "Variant": name, "Steps": len(h), "First loss": _r(h[0]["loss"]) if h else None,
                     "Last loss": _r(h[-1]["loss"]) if h else None, "Dev check": "LM loss before -> after",
                     "Dev value": f"{_r(s1['dev_loss_before'])} -> {_r(s1['dev_loss_after'])}", "Chance": "-", "Seconds": s1["seconds"]})
    for name, s2 in result["stage2"].items():
        h = s2["history"]
        r = s2["retrieval"].get("dev", {})
        rows.append({"Stage": "2 visual CL", "Variant": name, "Steps": len(h), "First loss": _r(h[0]["loss"]), "Last loss": _r(h[-1]["loss"]),
                     "Dev check": "video->text R@1 / R@5", "Dev value": f"{_r(r.get('r1'))} / {_r(r.get('r5'))}",
                     "Chance": _r(r.get("chance_r1")), "Seconds": s2["seconds"]})
    return pd.DataFrame(rows)


def _r(x, nd: int = 3):
    return None if x is None else round(float(x), nd)


def loss_frame(histories: dict[str, list[dict]], keys=("loss", "clip", "signcl")) -> pd.DataFrame:
    """Long frame (run, stage, step, epoch, curve, value) from stage ``done.json`` histories."""
    rows = []
    for run, hist in histories.items():
        for h in hist:
            for k in keys:
                if k in h:
                    rows.append({"run": run, "stage": h["stage"], "step": h["step"], "epoch": h["epoch"], "curve": CURVES.get(k, k), "value": h[k]})
    return pd.DataFrame(rows)


def loss_figure(df: pd.DataFrame, title: str = "LLaVA-SLT training losses"):
    """One panel per stage: per-step loss of each run (stage 2 also its CLIP and SignCL terms)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    stages = list(dict.fromkeys(df["stage"]))
    fig, axes = plt.subplots(1, len(stages), figsize=(4.2 * len(stages), 3.6), squeeze=False)
    for ax, st in zip(axes[0], stages):
        d = df[df["stage"] == st].copy()
        d["series"] = d["run"] + (" · " + d["curve"]).where(d["curve"] != "loss", "")
        sns.lineplot(data=d, x="step", y="value", hue="series", ax=ax, lw=1)
        ax.set_title({"stage1": "Stage 1: next-token loss", "stage2": "Stage 2: CLIP + 0.01 SignCL",
                      "stage3": "Stage 3: response CE (connector)", "full_tune": "Stage 3b: full-tuning"}.get(st, st))
        ax.set_yscale("log")
        ax.legend(fontsize=6, title=None)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
