"""A fine-tuning run's configuration: :class:`RunConfig` (what a run depends on), :class:`RunResult` (what
:func:`slt_nb.train.run.train_run` returns), the model names the tables use, and how the notebooks derive runs
from their parameters (:func:`plan_runs`, :func:`per_family`) or a JSON file (:func:`read_run_config`).

Values left ``None`` come from the family's paper recipe in :mod:`slt_nb.models.registry` (Sec 4.3:
LoRA r/alpha/dropout, learning rate, schedule, batch 1 x accumulation 4, 10 epochs, T_max 64).
Executing a run is :mod:`slt_nb.train.run`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from ..errors import SLTInputError
from ..models.registry import ModelFamily, get_family
from .device import check_precision
from .sft import fused_loss
from .strategy import DEFAULT_STRATEGY, get_strategy

OPERATIONAL = ("save_steps", "save_total_limit", "logging_steps", "cache_examples", "progress", "runs_dir", "manifest_dir")  # not hashed


@dataclass(frozen=True)
class RunConfig:
    """A fine-tuning run. ``None`` = the family's paper value (Sec 4.3, :mod:`slt_nb.models.registry`)."""

    family: str
    model: str  # "tiny" | "tiny-s" | "tiny-xs" (slt_nb.standins.tiny.TINY_SCALES) | hub id | local checkpoint folder
    dataset: str  # a dataset prepared by 01_data_prep
    t_max: int | None = None  # frame budget T_max (Sec 4.3: 64)
    epochs: float | None = None  # Sec 4.3: 10
    learning_rate: float | None = None  # Sec 4.3: 1e-4 SmolVLM2, 1e-5 Qwen2.5-VL
    lr_scheduler_type: str | None = None  # Sec 4.3: cosine for Qwen2.5-VL; SmolVLM2 unstated (HF default linear)
    optim: str | None = None  # Sec 4.3: AdamW
    per_device_train_batch_size: int | None = None  # Sec 4.3: 1
    gradient_accumulation_steps: int | None = None  # Sec 4.3: 4
    lora_r: int | None = None  # Sec 4.3: 64
    lora_alpha: int | None = None  # Sec 4.3: 64
    lora_dropout: float | None = None  # Sec 4.3: 0.1 SmolVLM2, 0.05 Qwen2.5-VL
    warmup_ratio: float = 0.0  # not stated: HF default
    weight_decay: float = 0.0  # not stated: HF default
    max_grad_norm: float = 1.0  # not stated: HF default
    seed: int = 0
    max_steps: int = -1  # > 0 overrides epochs (tests, smoke runs)
    max_train_samples: int | None = None  # first N training clips only (tests, smoke runs)
    precision: str = "auto"  # "auto": bf16-mixed on CUDA (Sec 4.3), fp32 on CPU | "bf16-mixed" (= "bf16") | "bf16-pure" | "fp32" (slt_nb.train.device)
    attn_implementation: str = "auto"  # "auto": flash_attention_2 where installed on CUDA (Sec 4.3), else sdpa
    gradient_checkpointing: bool | str = "auto"  # "auto": on CUDA
    base: dict = field(default_factory=dict)  # tiny models only: BaseSpec overrides (slt_nb.standins.pretrain)
    strategy: str = "lora_lm"  # which parts train (slt_nb.train.strategy; Table 8): lora_lm (Sec 3.4), full, lm_only, vision_only, vision_then_lm
    sequential_split: float = 0.5  # vision_then_lm: share of the epochs for the vision stage (not stated in the paper)
    loss_impl: str = "auto"  # "auto": TRL's tiled LM head on CUDA, the model's own cross-entropy on CPU (same loss; slt_nb.train.sft.fused_loss)
    # operational: not part of the hash
    save_steps: int = 100  # checkpoint every N optimizer steps
    save_total_limit: int = 2  # checkpoints kept
    logging_steps: int = 10  # loss logged (TensorBoard, trainer_state.json) every N steps
    cache_examples: bool = False  # keep encoded clips in RAM across epochs (tiny models; never for 64 frames at 384 px)
    progress: bool = True  # progress bars
    runs_dir: str = "runs"
    manifest_dir: str = "data/manifests"

    def resolved(self) -> RunConfig:
        """A copy with every ``None`` replaced by the family's paper value; checked."""
        fam = get_family(self.family)
        t, lo = fam.train, fam.lora
        defaults = {"t_max": t.t_max, "epochs": t.num_train_epochs, "learning_rate": t.learning_rate, "lr_scheduler_type": t.lr_scheduler_type,
                    "optim": t.optim, "per_device_train_batch_size": t.per_device_train_batch_size,
                    "gradient_accumulation_steps": t.gradient_accumulation_steps, "lora_r": lo.r, "lora_alpha": lo.alpha, "lora_dropout": lo.dropout}
        cfg = replace(self, family=fam.name, **{k: v for k, v in defaults.items() if getattr(self, k) is None})
        for name in ("t_max", "per_device_train_batch_size", "gradient_accumulation_steps", "lora_r", "save_steps", "save_total_limit", "logging_steps"):
            v = getattr(cfg, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise SLTInputError(f"{name} must be a positive integer, got {v!r}")
        for name in ("epochs", "learning_rate", "lora_alpha"):
            v = getattr(cfg, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise SLTInputError(f"{name} must be a positive number, got {v!r}")
        if not 0 <= cfg.lora_dropout < 1:
            raise SLTInputError(f"lora_dropout must be in [0, 1), got {cfg.lora_dropout!r}")
        cfg = replace(cfg, precision=check_precision(cfg.precision))  # "bf16" -> "bf16-mixed"
        if not str(cfg.model).strip():
            raise SLTInputError("empty model", hint=f"'tiny' or one of {list(fam.hub_ids)} or a local folder")
        get_strategy(cfg.strategy)
        fused_loss(cfg.loss_impl, False)  # validates the name
        if isinstance(cfg.sequential_split, bool) or not isinstance(cfg.sequential_split, (int, float)) or not 0 < cfg.sequential_split < 1:
            raise SLTInputError(f"sequential_split must be in (0, 1), got {cfg.sequential_split!r}")
        return cfg

    def hashed(self) -> dict:
        """The fields a run's hash covers. ``strategy``, ``sequential_split`` and ``loss_impl`` came later:
        at their defaults (or where they do not apply) they are left out, so earlier runs keep their hashes."""
        out = {k: v for k, v in asdict(self).items() if k not in OPERATIONAL}
        if out["strategy"] == DEFAULT_STRATEGY:
            del out["strategy"]
        if out["loss_impl"] == "auto":
            del out["loss_impl"]
        if self.strategy != "vision_then_lm":
            del out["sequential_split"]
        return out

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SLTInputError(f"unknown run config keys {unknown}", hint=f"known: {sorted(known)}")
        return cls(**d)


@dataclass
class RunResult:
    config: RunConfig
    run_dir: Path
    status: str  # "finished" (trained now) | "skipped" (finished before) | "interrupted" | "pending" (train=False, not trained)
    hash: str
    base_model: str
    model_name: str
    log_history: list = field(default_factory=list)
    trainable: dict = field(default_factory=dict)
    seconds: float = 0.0
    model: object = field(default=None, repr=False)  # the trained PEFT model, with train_run(keep_model=True)
    processor: object = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("finished", "skipped")


def model_name(family: str | ModelFamily, model: str, strategy: str = DEFAULT_STRATEGY) -> str:
    """The model's name in predictions files and tables: ``<family>-<tiny size>`` or ``<family>-<checkpoint
    name>`` (``smolvlm-SmolVLM2-2.2B-Instruct``), ``+<strategy>`` for a strategy other than the paper's
    (``smolvlm-tiny-s+lm_only``); the family prefix is what the metrics tables group by."""
    fam = get_family(family)
    name = f"{fam.name}-{Path(str(model).rstrip('/')).name}"
    return name if strategy == DEFAULT_STRATEGY else f"{name}+{strategy}"


def per_family(value, family: str):
    """A notebook parameter given either as one value or as {family: value} (a non-empty dict whose
    keys are all family names)."""
    from ..models.registry import FAMILIES

    if isinstance(value, dict) and value and set(value) <= set(FAMILIES):
        if family not in value:
            raise SLTInputError(f"no value for family {family!r} in {value!r}", hint="give one value, or one per family")
        return value[family]
    return value


def plan_runs(families, models: dict, datasets, **recipe) -> list[RunConfig]:
    """One :class:`RunConfig` per dataset x family (dataset-major: the tiny bases of one dataset
    share their rendered signs). ``recipe`` values may be per family (``{family: value}``)."""
    out = []
    for ds in datasets:
        for fam in families:
            kw = {k: per_family(v, fam) for k, v in recipe.items()}
            out.append(RunConfig(family=get_family(fam).name, model=str(per_family(models, fam)), dataset=ds, **kw))
    return out


def read_run_config(path: str | Path) -> RunConfig:
    """The :class:`RunConfig` in a JSON file (``python -m slt_nb.train.run CONFIG.json``): an object of
    RunConfig fields, UTF-8. An unreadable, non-UTF-8 or non-JSON file, another JSON value, a missing or
    unknown field is one :class:`SLTInputError` naming the file (and the line / byte where it can)."""
    import dataclasses

    path = Path(path)
    example = 'e.g. {"family": "smolvlm", "model": "tiny", "dataset": "phoenix"}'
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")  # byte offsets as in the file (a BOM is allowed)
    except OSError as exc:
        raise SLTInputError(f"cannot read the run config ({exc.strerror})", file=path) from None
    except UnicodeDecodeError as exc:
        raise SLTInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, hint="save the run config as UTF-8 JSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SLTInputError(f"not JSON ({exc.msg}, column {exc.colno})", file=path, line=exc.lineno, hint=f"a JSON object of RunConfig fields, {example}") from None
    if not isinstance(data, dict):
        raise SLTInputError(f"the run config must be a JSON object of RunConfig fields, got {type(data).__name__}", file=path, hint=example)
    missing = [f.name for f in fields(RunConfig) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in data]
    if missing:
        raise SLTInputError(f"missing run config field(s) {missing}", file=path, hint=example)
    try:
        return RunConfig.from_dict(data)
    except SLTInputError as exc:
        raise SLTInputError(exc.problem, file=path, hint=exc.hint) from None


# The fine-tuning recipe 03_finetune and 04_ablations share: notebook parameter -> RunConfig field (both
# notebooks declare these names with the same defaults, so one params file changes both).
RECIPE_PARAMS = {
    "t_max": "t_max", "ft_epochs": "epochs", "ft_learning_rate": "learning_rate", "ft_lr_scheduler": "lr_scheduler_type", "ft_optimizer": "optim",
    "ft_batch_size": "per_device_train_batch_size", "ft_grad_accumulation": "gradient_accumulation_steps", "ft_lora_r": "lora_r",
    "ft_lora_alpha": "lora_alpha", "ft_lora_dropout": "lora_dropout", "ft_warmup_ratio": "warmup_ratio", "ft_weight_decay": "weight_decay",
    "seed": "seed", "ft_precision": "precision", "ft_attn_implementation": "attn_implementation",
    "ft_gradient_checkpointing": "gradient_checkpointing", "ft_base_pretraining": "base", "ft_save_steps": "save_steps",
    "ft_save_total_limit": "save_total_limit", "ft_logging_steps": "logging_steps", "ft_cache_examples": "cache_examples",
    "ft_runs_dir": "runs_dir", "manifest_dir": "manifest_dir",
}


def recipe_from_params(params: dict, family: str | None = None, *, exclude: tuple[str, ...] = ()) -> dict:
    """RunConfig keyword arguments from a notebook's parameters (``globals()``: every name of
    :data:`RECIPE_PARAMS`), minus the fields in ``exclude``; with ``family``, per-family values
    (``{family: value}``) are picked for it (:func:`per_family`), else they are left for :func:`plan_runs`.
    Raises :class:`SLTInputError` naming the parameters missing from ``params``."""
    missing = [name for name in RECIPE_PARAMS if name not in params]
    if missing:
        raise SLTInputError(f"the fine-tuning recipe needs the notebook parameters {missing}", hint="declare them in the parameters cell, as 03_finetune does")
    out = {field_: params[name] for name, field_ in RECIPE_PARAMS.items() if field_ not in exclude}
    return out if family is None else {k: per_family(v, family) for k, v in out.items()}


def runs_frame(configs: list[RunConfig]):
    """One row per run, its recipe resolved (the family's paper values filled in): what a notebook shows before training."""
    import pandas as pd

    return pd.DataFrame([{"family": c.family, "model": c.model, "dataset": c.dataset, "t_max": c.t_max, "epochs": c.epochs, "lr": c.learning_rate,
                          "schedule": c.lr_scheduler_type, "batch x accum": f"{c.per_device_train_batch_size} x {c.gradient_accumulation_steps}",
                          "LoRA r/alpha/dropout": f"{c.lora_r}/{c.lora_alpha}/{c.lora_dropout}"} for c in (c.resolved() for c in configs)])
