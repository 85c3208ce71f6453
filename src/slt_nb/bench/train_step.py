"""Training step: the paper's configuration against an optimised one, same model, same data.

The real code path: :class:`~slt_nb.train.collate.VideoCollator` (train mode, answer-only labels)
on decoded manifest clips, :func:`~slt_nb.models.load.apply_lora` (LoRA r=64 on the LM's
attention + MLP projections, connector trained as ``modules_to_save``, vision frozen), AdamW, and
a manual loop doing what the HF Trainer does per optimizer step: micro-batches, loss summed over
the step's answer tokens and divided by their count (``num_items_in_batch``, the Trainer's
gradient-accumulation loss since transformers 4.46), gradient clipping at 1.0, one AdamW step.

* ``paper``: micro-batch 1 x gradient accumulation 4 (Sec 4.3); bf16 + FlashAttention-2 (SDPA if
  not installed) and gradient checkpointing (``sft_config``'s GPU default) on CUDA;
* ``paper+vision no_grad``: the paper's with only the vision change, to isolate it;
* ``optimised``: the same 4 samples as one micro-batch (length-grouped: :mod:`.grouping`), the
  frozen vision tower's forward under ``torch.no_grad``, no gradient checkpointing.

Both start from the same weights (a copy of one model, LoRA initialised under the same seed)
with LoRA dropout 0 (so the two paths are deterministic) and see the same groups in the same
order: the two loss curves must agree up to float rounding (``max |Δloss|``). On CPU the models
run in fp32 (bf16 matmuls on CPU are emulated and slower) and SDPA.
"""

from __future__ import annotations

import copy
import statistics
from dataclasses import dataclass

from ..progress import tqdm

from ..models.registry import get_family
from .environment import PeakMemory, mfu, step_clock
from .flops import batch_shape, model_dims, train_flops

IGNORE_INDEX = -100


@dataclass(frozen=True)
class StepConfig:
    name: str
    micro_batch: int
    grad_accum: int
    vision_no_grad: bool
    gradient_checkpointing: bool
    description: str


def configs(cuda: bool) -> list[StepConfig]:
    """The configurations compared: the paper's, the paper's with the frozen vision tower under
    ``no_grad`` (isolates that change), the optimised one. Gradient checkpointing follows
    ``sft_config`` (on for CUDA) except in the optimised configuration."""
    gc = ", grad. checkpointing" if cuda else ""
    return [StepConfig("paper", 1, 4, False, cuda, "batch 1 x grad. accum. 4 (Sec 4.3)" + gc),
            StepConfig("paper+vision no_grad", 1, 4, True, cuda, "the paper's, frozen vision forward under torch.no_grad" + gc),
            StepConfig("optimised", 4, 1, True, False, "micro-batch 4 (length-grouped) x accum. 1, frozen vision under no_grad")]


def frozen_under_no_grad(module) -> int:
    """Run every submodule of ``module`` whose parameters are all frozen under ``torch.no_grad``;
    recurse into the ones holding a trainable parameter (Qwen's trained merger lives inside its
    vision tower). Parameter-free modules (activations, rotary tables) are left alone: one inside
    a trained part (the merger's GELU) must pass gradients on. Returns how many were wrapped."""
    import torch
    import torch.nn as nn

    params = list(module.parameters())
    if not params:
        return 0
    if isinstance(module, (nn.ModuleList, nn.ModuleDict)) or any(p.requires_grad for p in params):
        return sum(frozen_under_no_grad(child) for child in module.children())
    inner = module.forward

    def forward(*args, **kwargs):
        with torch.no_grad():
            return inner(*args, **kwargs)

    module.forward = forward
    return 1


def _to_device(batch: dict, device: str, dtype) -> dict:
    out = {}
    for k, v in batch.items():
        v = v.to(device, non_blocking=True)
        if k.startswith("pixel_values") and v.is_floating_point():
            v = v.to(dtype)
        out[k] = v
    return out


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def run_config(base_model, family: str, cfg: StepConfig, collator, examples: list[dict], groups: list[list[int]], *, device: str, dtype,
               lr: float, seed: int, warmup: int = 2, peak: float | None = None, progress: bool = True) -> dict:
    """Train a fresh LoRA copy of ``base_model`` over ``groups`` with ``cfg``; timings, FLOPs, losses."""
    import contextlib

    import torch

    from ..models.load import apply_lora

    fam = get_family(family)
    dims = model_dims(base_model, fam)
    torch.manual_seed(seed)
    model = apply_lora(copy.deepcopy(base_model), fam, lora_dropout=0.0).to(device)
    model.config.use_cache = False
    model.train()
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if cfg.vision_no_grad:
        frozen_under_no_grad(model.get_base_model().get_submodule(fam.vision_tower))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr)
    autocast = torch.autocast("cuda", dtype=dtype) if device == "cuda" and dtype != torch.float32 else contextlib.nullcontext()
    clock, _ = step_clock(device)
    losses, step_times, collate_s, flops, tokens, padded, samples = [], [], 0.0, 0.0, 0.0, 0.0, 0
    with PeakMemory(device) as mem:
        for step, group in enumerate(tqdm(groups, desc=f"{family} {cfg.name}", unit="step", disable=not progress, leave=False)):
            t0 = clock()
            micro = [group[i:i + cfg.micro_batch] for i in range(0, len(group), cfg.micro_batch)]
            batches = [collator([examples[i] for i in mb]) for mb in micro]  # input_ids (b, L_max), labels (b, L_max), visual tensors
            t_collate = clock() - t0
            n_items = sum(int((b["labels"][:, 1:] != IGNORE_INDEX).sum()) for b in batches)  # answer tokens the loss averages over
            _sync(device)
            t1 = clock()
            loss = 0.0
            for b in batches:
                with autocast:
                    out = model(**_to_device(b, device, dtype), num_items_in_batch=n_items)
                out.loss.backward()
                loss += float(out.loss.detach())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            _sync(device)
            losses.append(loss)
            if step >= warmup:
                step_times.append(clock() - t1)
                collate_s += t_collate
                samples += len(group)
                for b in batches:
                    shape = batch_shape(b, base_model.config, fam)
                    flops += train_flops(dims, shape)["total"]
                    tokens += shape.lm_tokens
                    padded += b["input_ids"].numel()
    del model, opt
    # median step time x steps: robust to bursts of other load on a shared machine
    step_s = statistics.median(step_times) * len(step_times) if step_times else float("nan")
    return {"losses": losses, "step_s": step_s, "collate_s": collate_s, "samples": samples, "flops": flops, "tokens": tokens,
            "padding": 1 - tokens / padded if padded else 0.0, "peak_mib": mem.peak_mib, "peak_how": mem.how,
            "mfu": mfu(flops, step_s, peak), "dims": dims}


def loss_agreement(a: list[float], b: list[float]) -> tuple[float, float]:
    """(max |a - b|, Pearson correlation) of two loss curves of equal length."""
    import numpy as np

    x, y = np.asarray(a, float), np.asarray(b, float)
    corr = float(np.corrcoef(x, y)[0, 1]) if len(x) > 1 and x.std() > 0 and y.std() > 0 else float("nan")
    return float(np.abs(x - y).max()), corr


def lora_model_and_batches(run_dir, manifest_dir, *, dataset: str = "phoenix", batch: int = 4, t_max: int = 16, n_batches: int | None = None):
    """A finished run's model (merged) with fresh LoRA (:func:`~slt_nb.models.load.apply_lora`: the paper's trainable set) and
    ``n_batches`` (None: all whole ones) train-mode batches of ``batch`` clips of ``dataset``'s train split at ``t_max`` frames,
    collated by :class:`~slt_nb.train.collate.VideoCollator` with the dataset's prompt. For manual training loops in benchmarks."""
    from ..data.prepare import load_prepared, load_split
    from ..models.load import apply_lora
    from ..train.collate import VideoCollator
    from ..train.load_run import load_for_inference
    from ..train.prompts import prompt_for

    model, processor, fam = load_for_inference(run_dir, merge=True)
    model = apply_lora(model, fam)
    record = next(r for r in load_prepared(manifest_dir) if r["name"] == dataset)
    samples = load_split(record, "train")
    col = VideoCollator(processor, fam, train=True, t_max=t_max)
    prompt = prompt_for(dataset).text
    n = len(samples) // batch if n_batches is None else n_batches
    return model, [col([{**s.to_dict(), "prompt": prompt} for s in samples[i * batch:(i + 1) * batch]]) for i in range(n)]
