"""GPU readiness, training: the paper's recipe against the optimised one, both written out here.

What both recipes share (so the loss curves can be compared step by step): the same initial
weights (a fresh copy of one model per recipe), LoRA r=64 alpha=64 on the LM's attention + MLP
projections with dropout 0 under the same seed, the connector trained (``modules_to_save``), the
vision tower frozen, the same groups of 4 clips per optimizer step in the same order, AdamW at a
constant LR, clipping at 1.0, and the loss = the step's summed answer-token losses over their
count (the HF Trainer's ``num_items_in_batch``). On CUDA the frozen weights are bf16 and the
trainable ones (LoRA, connector) are kept in fp32 under bf16 autocast (fp32 master weights and
AdamW state; the matmuls run in bf16); on CPU everything is fp32.

* ``paper``: micro-batch 1 x gradient accumulation 4 (Sec 4.3), gradient checkpointing
  (``sft_config``'s GPU default), the model's own loss (full ``(batch, seq, vocab)`` logits),
  the frozen vision tower's forward as autograd sees it;
* ``optimised mb x acc``: length-grouped micro-batch ``mb``, the frozen vision forward under
  ``torch.no_grad``, the LM head applied only at the supervised positions (logits of the answer
  tokens only: what TRL's tiled head saves, without TRL), fused AdamW on CUDA, and gradient
  checkpointing off (``+GC``: on). :func:`optimised_candidates` lists them; the caller runs them
  under a memory cap and keeps the fastest one that fits.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from dataclasses import dataclass

from ..models.registry import get_family
from .environment import PeakMemory, mfu
from .flops import batch_shape, train_flops
from .train_step import IGNORE_INDEX, _to_device, frozen_under_no_grad


@dataclass(frozen=True)
class Recipe:
    name: str
    micro_batch: int
    grad_accum: int
    gradient_checkpointing: bool
    vision_no_grad: bool
    answer_only_head: bool
    fused_adamw: bool

    def describe(self) -> str:
        parts = [f"micro-batch {self.micro_batch} x accum. {self.grad_accum}", "grad. checkpointing" if self.gradient_checkpointing else "no grad. checkpointing",
                 "vision under no_grad" if self.vision_no_grad else "vision tracked by autograd",
                 "answer-only LM head" if self.answer_only_head else "model's own loss (full logits)"]
        return ", ".join(parts + (["fused AdamW"] if self.fused_adamw else []))


PAPER = Recipe("paper", 1, 4, True, False, False, False)


def optimised_candidates(group: int, cuda: bool) -> list[Recipe]:
    """No gradient checkpointing from the largest micro-batch down (the first that fits ends the
    chain: a smaller one only adds accumulation steps), then the largest micro-batch with it."""
    out, mb = [], group
    while mb >= 1:
        out.append(Recipe(f"optimised {mb}x{group // mb}", mb, group // mb, False, True, True, cuda))
        mb //= 2
    out.append(Recipe(f"optimised {group}x1 +GC", group, 1, True, True, True, cuda))
    return out


def is_oom(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return type(exc).__name__ == "OutOfMemoryError" or (isinstance(exc, RuntimeError) and "out of memory" in msg)


def free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def answer_only_loss(model, batch: dict, n_items: int):
    """Cross-entropy of the supervised positions only: the inner model's hidden states, the LM head
    at the positions whose next label is not -100, the loss summed in fp32 over ``n_items``.
    The same value as the model's own loss (``num_items_in_batch``), without the full logits."""
    import torch.nn.functional as F

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    hidden = base.model(**inputs, use_cache=False).last_hidden_state  # (B, S, d)
    target = batch["labels"][:, 1:]  # position i predicts token i + 1
    keep = target != IGNORE_INDEX
    logits = base.lm_head(hidden[:, :-1][keep]).float()  # (n, vocab)
    return F.cross_entropy(logits, target[keep], reduction="sum") / n_items


def prepare(model, family: str, recipe: Recipe, seed: int):
    """LoRA-wrap ``model`` as the recipe says; trainable parameters in fp32. Returns (peft model, trainable params)."""
    import torch

    from ..models.load import apply_lora

    fam = get_family(family)
    torch.manual_seed(seed)
    model = apply_lora(model, fam, lora_dropout=0.0)
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        if p.dtype != torch.float32:
            p.data = p.data.float()  # fp32 master weights (the connector copy is bf16 like the model it came from)
    model.config.use_cache = False
    model.train()
    if recipe.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if recipe.vision_no_grad:
        frozen_under_no_grad(model.get_base_model().get_submodule(fam.vision_tower))
    return model, params


def train_recipe(make_model, family: str, recipe: Recipe, collate, groups: list[list[int]], *, device: str, dtype, lr: float, seed: int,
                 warmup: int = 2, peak: float | None = None, deadline: float | None = None) -> dict:
    """Train a fresh LoRA copy over ``groups`` (optimizer steps of sample indices) with ``recipe``.

    ``collate(indices) -> batch`` (cached by the caller: collation is not timed). Stops early at
    ``deadline`` (``time.monotonic()``) once one step after the warm-up is timed. Returns losses,
    median-based step time, samples, FLOPs, tokens, padding, peak memory (weights included), MFU,
    the model's matmul dims and the attention implementation it loaded with.
    """
    import torch

    from .flops import model_dims
    from .gpu_data import attention_ran

    on_cuda = device == "cuda"
    autocast = torch.autocast(device, dtype=dtype) if dtype != torch.float32 else contextlib.nullcontext()  # bf16 weights: bf16 matmuls, fp32 master
    sync = torch.cuda.synchronize if on_cuda else (lambda: None)
    with PeakMemory(device, absolute=True) as mem:
        base = make_model()
        dims, attention, config = model_dims(base, family), attention_ran(base), base.config
        model, params = prepare(base, family, recipe, seed)
        del base
        opt = torch.optim.AdamW(params, lr=lr, **({"fused": True} if recipe.fused_adamw else {}))
        losses, times, samples, flops, tokens, padded = [], [], 0, 0.0, 0.0, 0
        for step, group in enumerate(groups):
            batches = [collate(tuple(group[i:i + recipe.micro_batch])) for i in range(0, len(group), recipe.micro_batch)]
            n_items = sum(int((b["labels"][:, 1:] != IGNORE_INDEX).sum()) for b in batches)
            sync()
            t0 = time.perf_counter()
            loss = 0.0
            for b in batches:
                inputs = _to_device(b, device, dtype)
                with autocast:
                    out = answer_only_loss(model, inputs, n_items) if recipe.answer_only_head else \
                        model(**inputs, num_items_in_batch=n_items).loss
                out.backward()
                loss += float(out.detach())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            sync()
            losses.append(loss)
            if step >= warmup:
                times.append(time.perf_counter() - t0)
                samples += len(group)
                for b in batches:
                    shape = batch_shape(b, config, family)
                    flops += train_flops(dims, shape)["total"]
                    tokens += shape.lm_tokens
                    padded += b["input_ids"].numel()
            if deadline is not None and times and time.monotonic() > deadline:
                break
        del model, opt, params
    step_s = statistics.median(times) * len(times) if times else float("nan")  # robust to bursts of other load
    return {"losses": losses, "steps": len(losses), "timed": len(times), "step_s": step_s, "samples": samples, "flops": flops,
            "tokens": tokens, "padding": 1 - tokens / padded if padded else 0.0, "peak_gb": None if mem.peak_mib is None else mem.peak_mib * 2**20 / 1e9,
            "peak_how": mem.how, "mfu": mfu(flops, step_s, peak), "samples_per_s": samples / step_s if times else None,
            "tokens_per_s": tokens / step_s if times else None, "dims": dims, "attention": attention}


def try_recipe(*args, **kwargs) -> dict:
    """:func:`train_recipe`, with a failure as a result: ``{"oom": message}`` for out of memory (this
    recipe does not fit), ``{"error": message}`` otherwise (traceback printed); memory freed either way."""
    import traceback

    result = None
    try:
        result = train_recipe(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - one recipe's failure must not lose the others
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        if is_oom(exc):
            result = {"oom": first}
        else:
            traceback.print_exc()
            result = {"error": f"{type(exc).__name__}: {first}"}
    free_memory()  # the traceback (and the model it held) is gone once the except block is left
    return result
