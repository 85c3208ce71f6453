"""Compute budget: projected GPU-hours of every paper table that trains a model, at full size.

GPU-hours = model FLOPs per training clip (:mod:`.flops`, the real configs of
:mod:`.real_configs`) x training clips x epochs / (peak FLOP/s x MFU) / 3600. Without a GPU
measurement the MFU is an **assumption** (default 0.35 of the A100's 312 TFLOP/s bf16, the
paper's GPU, Sec 4.3) and every row says so; with ``results/benchmarks/train_step.csv`` from a
CUDA run at real size, the measured MFU of the paper configuration is used for that model.

Per clip: frames = min(mean clip length, T_max) (Table 2 means; an upper bound of the mean of
min(T, T_max)); LM tokens = visual tokens + 80 text tokens (template, prompt, answer) + 10 per frame
for SmolVLM2 (its "Frame from MM:SS" timestamps and image delimiters; ~700 per 64 frames with
the real processor). Frame sizes for Qwen2.5-VL's dynamic resolution: PHOENIX 210x260, How2Sign
1280x720, OpenASL 224x224 (field-facts §2); iSign's is not stated (assumed 1280x720).
Tables 4-7 and 10-16 score Table 3's predictions and train nothing; generation is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .flops import SampleShape, model_dims, train_flops
from .real_configs import get_real, visual_geometry
from .tables import BenchTable

ASSUMED_MFU = 0.35
A100_PEAK = 312e12
TEXT_TOKENS = 80
SMOLVLM_TEXT_PER_FRAME = 10


@dataclass(frozen=True)
class DatasetFacts:
    label: str
    train_clips: int
    mean_frames: float
    width: int
    height: int
    source: str


DATASETS = {
    "phoenix": DatasetFacts("PHOENIX-2014T", 7096, 116.59, 210, 260, "Sec 4.1 / Table 2; 210x260 frames"),
    "how2sign": DatasetFacts("How2Sign", 31128, 162.76, 1280, 720, "Sec 4.1 / Table 2; 1280x720"),
    "openasl": DatasetFacts("OpenASL", 98417 - 966 - 975, 205.25, 224, 224, "Sec 4.1: 98,417 pairs - 966 val - 975 test; 224x224 crops"),
    "isign": DatasetFacts("iSign", 43000, 209.08, 1280, 720, "Sec 4.1: 43K-train subset; frame size not stated (assumed 1280x720)"),
}


@dataclass(frozen=True)
class Run:
    table: str
    label: str
    model: str  # a REAL_MODELS name
    dataset: str
    strategy: str  # a flops.STRATEGIES key
    epochs: int
    t_max: int = 64


def paper_runs() -> list[Run]:
    """Every training run behind the paper's tables (Sec 4.3, Tables 3, 8, 9)."""
    runs = [Run("Table 3", f"{m} on {DATASETS[d].label}", m, d, "lora", 10) for d in DATASETS for m in ("smolvlm2-2.2b", "qwen2.5-vl-3b")]
    t8 = [("256M full", "smolvlm2-256m", "full"), ("500M LM only", "smolvlm2-500m", "lm_only"),
          ("500M vision only", "smolvlm2-500m", "vision_only"),
          ("500M vision then LM: vision stage", "smolvlm2-500m", "vision_only"), ("500M vision then LM: LM stage", "smolvlm2-500m", "lm_only"),
          ("500M LoRA LM", "smolvlm2-500m", "lora"), ("2.2B LoRA LM", "smolvlm2-2.2b", "lora")]
    runs += [Run("Table 8", label, m, "phoenix", s, 5) for label, m, s in t8]
    runs += [Run("Table 9", f"Qwen2.5-VL-3B, {t} frames", "qwen2.5-vl-3b", "phoenix", "lora", 10, t) for t in (64, 256)]
    return runs


@lru_cache(maxsize=None)
def _dims(name: str):
    from .real_configs import build_model

    return model_dims(build_model(name), get_real(name).family)  # meta device: shapes only


def clip_shape(model: str, dataset: str, t_max: int) -> SampleShape:
    """The :class:`SampleShape` of a mean training clip of ``dataset`` for ``model``."""
    facts = DATASETS[dataset]
    frames = min(facts.mean_frames, t_max)
    geo = visual_geometry(model, frames, facts.height, facts.width)
    text = TEXT_TOKENS + (SMOLVLM_TEXT_PER_FRAME * frames if get_real(model).family == "smolvlm" else 0)
    return SampleShape(patches=geo["patches"], visual_tokens=geo["visual_tokens"], lm_tokens=geo["visual_tokens"] + text,
                       attn_span=geo["attn_span"], window_span=geo["window_span"])


def measured_mfu(csv_path: str | Path) -> dict[str, tuple[float, str]]:
    """model -> (MFU, device) of the paper configuration from a CUDA ``train_step.csv`` at real size."""
    import csv

    path = Path(csv_path)
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    header = {ln[2:].split(": ", 1)[0]: ln[2:].split(": ", 1)[1] for ln in lines if ln.startswith("# ") and ": " in ln}
    if not header.get("device", "").startswith("cuda"):
        return {}
    out = {}
    for row in csv.DictReader(ln for ln in lines if not ln.startswith("#")):
        if row.get("config") == "paper" and row.get("MFU") and not row["model"].startswith("tiny:"):
            out[row["model"]] = (float(row["MFU"]), header["device"])
    return out


def budget_table(*, mfu: float = ASSUMED_MFU, peak: float = A100_PEAK, measured: dict | None = None) -> BenchTable:
    measured = measured or {}
    table = BenchTable("budget", "Compute budget of the paper's tables at full size (A100 GPU-hours)",
                       ["table", "run", "model", "dataset", "strategy", "epochs", "T_max", "train clips", "frames/clip", "LM tokens/clip",
                        "TFLOP/clip", "vision % FLOPs", "PFLOP total", "GPU-h", "basis"])
    totals: dict[str, float] = {}
    for run in paper_runs():
        facts = DATASETS[run.dataset]
        shape = clip_shape(run.model, run.dataset, run.t_max)
        f = train_flops(_dims(run.model), shape, run.strategy)
        total = f["total"] * facts.train_clips * run.epochs
        use_mfu, basis = mfu, f"projected from FLOPs at assumed MFU {mfu}"
        if run.model in measured:
            use_mfu, dev = measured[run.model]
            basis = f"FLOPs at MFU {use_mfu:.3f} measured on {dev}"
        hours = total / (peak * use_mfu) / 3600
        totals[run.table] = totals.get(run.table, 0.0) + hours
        vision = f["vision"] + (_vision_attention(run.model, shape, run.strategy))
        table.add(table=run.table, run=run.label, model=run.model, dataset=facts.label, strategy=run.strategy, epochs=run.epochs, T_max=run.t_max,
                  **{"train clips": facts.train_clips, "frames/clip": min(facts.mean_frames, run.t_max), "LM tokens/clip": shape.lm_tokens,
                     "TFLOP/clip": f["total"] / 1e12, "vision % FLOPs": 100 * vision / f["total"], "PFLOP total": total / 1e15,
                     "GPU-h": hours, "basis": basis})
    for name, hours in totals.items():
        table.add(table=name, run="total", **{"GPU-h": hours})
    table.add(table="all", run="total", **{"GPU-h": sum(totals.values())})
    table.notes += [
        f"GPU-h = TFLOP/clip x train clips x epochs / ({peak / 1e12:.0f} TFLOP/s A100 dense bf16 x MFU) / 3600 — a projection, not a measurement"
        + ("" if measured else f" (no GPU run here: MFU {mfu} is assumed)"),
        "FLOPs/clip: 6N trained / 4N frozen on the backward path / 2N frozen forward-only matmul params per token + attention "
        "(slt_nb.bench.flops); real configs of slt_nb.bench.real_configs; gradient-checkpointing recomputation not included",
        f"frames/clip = min(Table 2 mean frames, T_max) (upper bound); LM tokens = visual + {TEXT_TOKENS} text (+{SMOLVLM_TEXT_PER_FRAME}/frame SmolVLM2)",
        "Table 8 runs are 5 epochs (its caption); 'vision then LM' is counted as 5 epochs per stage (not stated); Table 9 as Sec 4.3's 10 epochs",
        "vision % FLOPs: the frozen tower's share under LoRA — what caching its features once would save in every later epoch",
        "Tables 4-7 and 10-16 reuse Table 3's predictions (no training); generation (dev/test, <=128 tokens) is not counted",
    ] + [f"{d.label}: {d.train_clips:,} train clips, {d.mean_frames} mean frames — {d.source}" for d in DATASETS.values()]
    return table


def _vision_attention(model: str, shape: SampleShape, strategy: str) -> float:
    from .flops import ATTN_FACTOR, STRATEGIES, attention_flops_forward

    return ATTN_FACTOR[STRATEGIES[strategy]["vision"]] * attention_flops_forward(_dims(model), shape)["vision"]
