"""The ablation grid of Sec 6: model size x fine-tuning strategy (Table 8) and frame budget (Table 9).

Every cell is one training run whose :class:`~slt_nb.train.run.RunConfig` is derived from the
notebook's parameters (the shared recipe of ``03_finetune`` plus what the cell varies), so runs are
cached by config hash like any other: a finished cell is skipped, ``force`` retrains. A Table 9
cell with 03's frame budget *is* 03's run (same hash), as the paper's Table 9 64-frame row is its
Table 3 Qwen2.5-VL test row (BLEU-1 7.87, BLEU-4 2.78).

:func:`train_cells` runs the cells one after the other in this process, or ``jobs`` at a time in
a pool of worker processes (:mod:`slt_nb.train.parallel`: one CPU thread or one GPU each).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SLTInputError
from .parallel import train_many
from .run_config import RunConfig, RunResult
from .strategy import STRATEGIES, get_strategy

# Table 8's rows as the paper prints them: (model size, strategy) (Sec 6).
TABLE8_CELLS = (("256M", "full"), ("500M", "lm_only"), ("500M", "vision_only"), ("500M", "vision_then_lm"), ("500M", "lora_lm"), ("2.2B", "lora_lm"))
# The paper's size labels -> SmolVLM2 checkpoints (Sec 6; hub ids in slt_nb.models.registry).
PAPER_SIZES = {"256M": "HuggingFaceTB/SmolVLM2-256M-Video-Instruct", "500M": "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
               "2.2B": "HuggingFaceTB/SmolVLM2-2.2B-Instruct"}
TABLE9_BUDGETS = (64, 256)  # Table 9: Qwen2.5-VL fine-tuned with T_max 64 and 256


@dataclass(frozen=True)
class Cell:
    """One cell of the grid: which table, what it varies, and its run."""

    id: str  # e.g. "table8-500M-lm_only", "table9-t64" (file-name safe)
    table: str  # "Table 8" | "Table 9"
    size: str | None  # Table 8: the paper's size label
    strategy: str
    t_max: int
    config: RunConfig


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(text))


def table8_cells(cells, sizes: dict, *, family: str = "smolvlm", dataset: str, epochs, **recipe) -> list[Cell]:
    """Table 8's cells: one run per (size label, strategy) in ``cells``, the model of a size from
    ``sizes`` ({label: "tiny-xs" | hub id | folder}), ``epochs`` (paper: 5) and the shared recipe."""
    out = []
    for pair in cells:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise SLTInputError(f"a Table 8 cell is [size, strategy], got {pair!r}", hint=f"e.g. {list(TABLE8_CELLS[1])}")
        size, strategy = str(pair[0]), str(pair[1])
        if size not in sizes:
            raise SLTInputError(f"unknown model size {size!r} in the Table 8 cells", hint=f"expected one of {list(sizes)} (abl_sizes)")
        get_strategy(strategy)
        cfg = RunConfig(family=family, model=str(sizes[size]), dataset=dataset, epochs=epochs, strategy=strategy, **recipe)
        out.append(Cell(f"table8-{_safe(size)}-{strategy}", "Table 8", size, strategy, int(recipe.get("t_max") or 64), cfg))
    return _unique(out)


def table9_cells(budgets, *, family: str = "qwen2_5_vl", model: str, dataset: str, **recipe) -> list[Cell]:
    """Table 9's cells: the main recipe (LoRA for LM) at each frame budget T_max in ``budgets``."""
    out = []
    for t in budgets:
        if isinstance(t, bool) or not isinstance(t, int) or t <= 0:
            raise SLTInputError(f"a frame budget must be a positive integer, got {t!r}", hint=f"e.g. {list(TABLE9_BUDGETS)} (Table 9)")
        cfg = RunConfig(family=family, model=str(model), dataset=dataset, **{**recipe, "t_max": t})
        out.append(Cell(f"table9-t{t}", "Table 9", None, "lora_lm", t, cfg))
    return _unique(out)


def _unique(cells: list[Cell]) -> list[Cell]:
    seen = set()
    for c in cells:
        if c.id in seen:
            raise SLTInputError(f"the ablation grid lists cell {c.id!r} twice")
        seen.add(c.id)
    return cells


def select_cells(cells: list[Cell], only) -> list[Cell]:
    """``cells`` whose id is in ``only`` (None: all); an unknown id lists the known ones."""
    if only is None:
        return list(cells)
    only = [only] if isinstance(only, str) else list(only)
    known = {c.id for c in cells}
    unknown = [o for o in only if o not in known]
    if unknown:
        raise SLTInputError(f"unknown ablation cells {unknown}", hint=f"known cells: {sorted(known)}")
    return [c for c in cells if c.id in set(only)]


def trainable_table(cells: list[Cell], results: dict[str, RunResult]) -> list[dict]:
    """One row per trained cell: the trainable-parameter count by part (what each strategy trains)."""
    rows = []
    for c in cells:
        r = results.get(c.id)
        if r is None:
            continue
        t = r.trainable or {}
        trainable = sum(v for k, v in t.items() if k != "frozen")
        rows.append({"cell": c.id, "model": c.config.model, "strategy": STRATEGIES[c.strategy].label, "T_max": c.t_max, **t,
                     "trainable": trainable, "trainable %": round(100 * trainable / max(1, trainable + t.get("frozen", 0)), 2)})
    return rows


# ---- running the cells -------------------------------------------------------------------------


def train_cells(cells: list[Cell], *, jobs: int = 1, force: bool = False, threads: int = 1, log_dir: str | Path = "runs/logs",
                progress: bool = True) -> dict[str, RunResult]:
    """Train every cell (finished ones are skipped), ``jobs`` at a time (:func:`slt_nb.train.parallel.train_many`);
    {cell id: RunResult}."""
    return train_many({c.id: c.config for c in cells}, jobs=jobs, force=force, threads=threads, log_dir=log_dir, progress=progress,
                      desc="ablation cells")
