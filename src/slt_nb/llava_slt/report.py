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


def comparison_systems(ours: list[dict], shuffled: list[dict], clips: dict, *, model: str, llm_id: str, pred_dir: str | Path, dataset: str,
                       split: str, params_hash: str | None) -> tuple[dict[str, list[dict]], dict[str, str], dict[str, list[dict]]]:
    """(systems, kinds, others) of LLaVA-SLT's comparison on one dataset split (notebook 08; LLaVA-SLT Tab. 3-4).

    ``systems``: ``model`` (our prediction rows ``ours``), its shuffled-video control (``shuffled``), then every
    other system of this run (:func:`other_systems`: the small VLMs of 03_finetune and its majority baseline;
    where 03 wrote no baseline, the same majority sentence of ``clips["train"]`` is computed here).
    ``kinds``: one line per system saying what it is; ``others``: the other systems alone (the qualitative
    tables use them)."""
    from .data import majority_sentence

    systems = {model: ours, f"{model} (shuffled video)": shuffled}
    kinds = {model: f"LLaVA-SLT (ours; LLM {llm_id})", f"{model} (shuffled video)": "control: another clip's video"}
    others = other_systems(pred_dir, dataset, split, exclude_prefix=model.split("-")[0], params_hash=params_hash)
    if "baseline" not in others:  # 03_finetune writes baseline.<dataset>.<split>.jsonl; same definition
        maj = majority_sentence(clips["train"].texts)
        others["baseline"] = prediction_rows(clips[split], [maj] * len(clips[split]), model="baseline", params_hash=params_hash)
    for name, recs in others.items():
        systems[name] = recs
        kinds[name] = "majority sentence (train)" if name == "baseline" else "small VLM (fine-tuned)"
    return systems, kinds, others


def comparison_table(systems: dict[str, list[dict]], dataset: str, split: str, *, kinds: dict[str, str] | None = None,
                     n_boot: int = 1000, label: str | None = None) -> pd.DataFrame:
    """One row per system, scored alike, with the 95% bootstrap interval of BLEU-4 (sentence resampling);
    the Dataset column says ``label`` (e.g. "PHOENIX-2014T (synthetic)"), else ``dataset``."""
    from ..metrics.bootstrap import bootstrap_ci

    rows = []
    for name, recs in systems.items():
        s = score(recs, dataset)
        ci = bootstrap_ci([r["prediction"] for r in recs], [r["reference"] for r in recs], lang=lang_of_dataset(dataset), metrics=("bleu4",), n=n_boot)
        rows.append({"System": name, "Kind": (kinds or {}).get(name, ""), "Dataset": label or dataset, "Split": split,
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
    """What stages 1-2 did: steps, first/last loss, the dev check (LM loss; video->text R@1); wall times are in runtimes.json."""
    rows = []
    for name, s1 in {"llm": result["stage1"], **{f"llm {n}": r for n, r in result.get("llm_variants", {}).items()}}.items():
        h = s1["history"]
        rows.append({"Stage": "1 linguistic CPT", "Variant": name, "Steps": len(h), "First loss": _r(h[0]["loss"]) if h else None,
                     "Last loss": _r(h[-1]["loss"]) if h else None, "Dev check": "LM loss before -> after",
                     "Dev value": f"{_r(s1['dev_loss_before'])} -> {_r(s1['dev_loss_after'])}", "Chance": "-"})
    for name, s2 in result["stage2"].items():
        h = s2["history"]
        r = s2["retrieval"].get("dev", {})
        rows.append({"Stage": "2 visual CL", "Variant": name, "Steps": len(h), "First loss": _r(h[0]["loss"]), "Last loss": _r(h[-1]["loss"]),
                     "Dev check": "video->text R@1 / R@5", "Dev value": f"{_r(r.get('r1'))} / {_r(r.get('r5'))}",
                     "Chance": _r(r.get("chance_r1"))})
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


STAGE_AXES = {  # stage -> (panel title, y-axis label)
    "stage1": ("Stage 1: continued pretraining", "next-token cross-entropy (nats)"),
    "stage2": ("Stage 2: visual contrastive", "CLIP + 0.01 SignCL loss"),
    "stage3": ("Stage 3a: connector tuning", "response cross-entropy (nats)"),
    "full_tune": ("Stage 3b: full-tuning", "response cross-entropy (nats)"),
}


def _is_main(run: str) -> bool:
    return run in ("llm", "encoder main", "tuning main") or run.endswith(" main")


def loss_figure(df: pd.DataFrame, title: str = "LLaVA-SLT training losses"):
    """One panel per stage (two per row, ~960 px wide at 120 dpi): the main run's per-step loss in colour
    (stage 2 also its CLIP and unweighted SignCL terms), every ablation variant's loss as a thin grey line
    under one legend entry, log y-axis.

    ``df``: :func:`loss_frame`'s long frame (run, stage, step, epoch, curve, value); ``title`` should say which data.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    stages = list(dict.fromkeys(df["stage"]))
    rows = (len(stages) + 1) // 2
    fig, axes = plt.subplots(rows, min(2, len(stages)), figsize=(8 if len(stages) > 1 else 4.5, 3.1 * rows), squeeze=False)
    palette = dict(zip(CURVES.values(), sns.color_palette("deep", len(CURVES))))
    for ax, st in zip(axes.flat, stages):
        d = df[df["stage"] == st]
        variants = [r for r in dict.fromkeys(d["run"]) if not _is_main(r)]
        for i, run in enumerate(variants):
            v = d[(d["run"] == run) & (d["curve"] == CURVES["loss"])]
            ax.plot(v["step"], v["value"], color="0.7", lw=0.7, alpha=0.8, zorder=1,
                    label=f"ablation variants ({len(variants)})" if i == 0 else None)
        main = d[d["run"].map(_is_main)]
        for curve, c in main.groupby("curve", sort=False):
            label = "main run" if curve == CURVES["loss"] else f"main: {curve}"
            ax.plot(c["step"], c["value"], color=palette.get(curve), lw=1.5, zorder=2, label=label)
        name, ylabel = STAGE_AXES.get(st, (st, "loss"))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(ylabel + ", log scale", fontsize=9)
        ax.set_yscale("log")
        ax.legend(fontsize=7, loc="upper right", framealpha=0.85)
    for ax in list(axes.flat)[len(stages):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
