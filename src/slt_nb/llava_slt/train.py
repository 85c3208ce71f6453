"""One training loop for the three stages: AdamW + one-cycle cosine schedule, run through
``accelerate.Accelerator`` so ``accelerate launch`` spreads it over several GPUs (one CPU process
here). Its batches come from :mod:`.batches`; each stage's folder is written atomically and skipped
when already finished (:mod:`.stage_dirs`).

Precision is decided as for fine-tuning (:mod:`slt_nb.train.device`): ``auto`` is ``bf16-mixed``
on a CUDA GPU with bf16 (the parameters that train are cast to fp32 before the optimizer exists,
frozen ones keep the dtype they were loaded in, e.g. ``llm.dtype: bfloat16``; the loss is computed
under ``torch.autocast`` in bf16) and ``fp32`` on CPU, where nothing changes. ``bf16-pure`` trains
bf16 weights. A finished stage is reused only under the same precision (:func:`stage_key`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader

from ..errors import SLTInputError
from ..train.device import Attention, Precision, autocast, describe, precision_of, reset_accelerate_state
from .batches import accumulation_groups, micro_batch
from .config import TrainConfig

def accelerator(device: torch.device | str | None = None):
    """An ``Accelerator`` (GPUs when present; several processes under ``accelerate launch``/``torchrun``);
    ``device``: a CPU device keeps it on the CPU even where a GPU exists.

    Unused parameters are allowed under DDP: stage 3 does not use the co-embedding head, and DINOv2's
    mask token never trains. accelerate's own mixed precision stays off (``fit`` autocasts itself,
    from its ``precision``), whatever an earlier Trainer in this process left in accelerate's state
    or an ``accelerate launch --mixed_precision`` flag says.
    """
    from accelerate import Accelerator, DistributedDataParallelKwargs

    reset_accelerate_state(None)
    cpu = not torch.cuda.is_available() or (device is not None and torch.device(device).type == "cpu")
    return Accelerator(cpu=cpu, mixed_precision="no", kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])


def resolve_precision(precision: str | Precision = "auto") -> Precision:
    """A :class:`~slt_nb.train.device.Precision` from a name (``auto``, ``bf16-mixed``, ``bf16-pure``, ``fp32``) on this machine."""
    return precision if isinstance(precision, Precision) else precision_of(precision)


def stage_key(key: str, precision: str | Precision = "auto") -> str:
    """A stage's key with its precision: unchanged under fp32 (the CPU default keeps its keys), else
    ``<key>.<precision>`` so a bf16 stage never reuses an fp32 one (or the reverse)."""
    prec = resolve_precision(precision)
    return key if prec.name == "fp32" else f"{key}.{prec.name}"


def _attention(module: torch.nn.Module) -> Attention | None:
    """The attention implementation of the first transformers model inside ``module`` (None if there is none)."""
    for m in module.modules():
        impl = getattr(getattr(m, "config", None), "_attn_implementation", None)
        if impl:
            return Attention(impl, "as the model is loaded")
    return None


def set_checkpointing(modules, on: bool) -> None:
    """Gradient checkpointing of transformers models (non-reentrant: works with frozen embeddings); the KV cache off while on."""
    for m in modules:
        if on:
            m.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            m.config.use_cache = False
        elif getattr(m, "is_gradient_checkpointing", False):
            m.gradient_checkpointing_disable()
            m.config.use_cache = True


def fit(module: torch.nn.Module, params: list, loader: DataLoader, tc: TrainConfig, step: Callable, *, accel=None, label: str = "",
        precision: str | Precision = "auto", log=print, weight: Callable | None = None, checkpointing=(), on_epoch: Callable | None = None,
        device: torch.device | str | None = None) -> list[dict]:
    """Train ``params`` (the trainable subset of ``module``) for ``tc.epochs``; returns per-step logs.

    ``step(module, batch)`` returns a dict of scalar tensors with at least ``loss``; it runs under
    bf16 autocast for a bf16 ``precision``, whose trainable dtype ``params`` are cast to first
    (fp32 under ``bf16-mixed``; a no-op for the fp32 weights of the CPU default). ``log`` (main
    process only; None: silent) gets one line: the precision and attention of this loop.

    Micro-batches: with ``tc.micro_batch_size`` the loader (:func:`.batches.train_loader`) yields micro-batches and
    ``batch_size / micro`` consecutive ones make one optimizer step (the same clips as one whole batch): each micro-batch's loss is
    weighted by ``weight(batch)`` (default: its clips; stages 1 and 3 pass their target tokens, so
    the step's gradient is that of the whole batch's token-mean loss) and the summed gradients are
    divided by the total weight (over all processes) before clipping. With whole batches the step is
    the plain ``backward(loss)`` of before. ``checkpointing``: transformers models whose gradient
    checkpointing ``tc.gradient_checkpointing`` switches on for the loop. ``on_epoch(epoch)`` runs
    after every epoch; returning True stops training (early stopping).
    """
    params = [p for p in params if p.requires_grad]
    if not params:
        raise SLTInputError(f"{label or 'stage'}: nothing to train (every parameter is frozen)")
    prec = resolve_precision(precision)
    accel = accel or accelerator(device)
    if log is not None and accel.is_main_process:
        log(f"{label or 'stage'}: {describe(prec, _attention(module))}")
    for p in params:
        if p.dtype != prec.trainable_dtype:
            p.data = p.data.to(prec.trainable_dtype)
    accum = tc.batch_size // micro_batch(tc)  # micro-batches per optimizer step (1: whole batches, the plain step)
    opt = torch.optim.AdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)
    total = max(1, tc.epochs * -(-len(loader) // accum))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc.lr, total_steps=total, pct_start=one_cycle_pct(tc.pct_start, total), anneal_strategy="cos")
    module, opt, loader, sched = accel.prepare(module, opt, loader, sched)
    weight = weight or batch_len
    set_checkpointing(checkpointing, tc.gradient_checkpointing)
    logs, k = [], 0
    try:
        for epoch in range(tc.epochs):
            module.train()
            for group in accumulation_groups(loader, accum):
                if accum == 1:
                    with autocast(prec, accel.device.type):
                        out = step(module, group[0])
                    accel.backward(out["loss"])
                    vals = {n: float(v.detach()) for n, v in out.items()}
                else:
                    vals = _accumulate(module, params, group, step, weight, prec, accel)
                if tc.grad_clip:
                    accel.clip_grad_norm_(params, tc.grad_clip)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                k += 1
                logs.append({"stage": label, "epoch": epoch + 1, "step": k, "lr": sched.get_last_lr()[0], **vals})
            if on_epoch is not None and on_epoch(epoch + 1):
                break
    finally:
        set_checkpointing(checkpointing, False)
    module.eval()
    return logs


def batch_len(batch: dict) -> int:
    """Samples in a batch dict: the length of its first value."""
    return len(next(iter(batch.values())))


def _accumulate(module, params, group, step, weight, prec, accel) -> dict:
    """Backward of every micro-batch of ``group`` weighted by ``weight``; gradients divided by the total weight; the weighted mean of the outputs."""
    import contextlib

    ws = [float(weight(b)) for b in group]
    total = float(accel.reduce(torch.tensor(sum(ws), device=accel.device), reduction="sum")) / accel.num_processes
    vals: dict[str, float] = {}
    for j, (b, w) in enumerate(zip(group, ws)):
        sync = j == len(group) - 1
        with (contextlib.nullcontext() if sync or accel.num_processes == 1 else accel.no_sync(module)):
            with autocast(prec, accel.device.type):
                out = step(module, b)
            accel.backward(out["loss"] * w)
        for n, v in out.items():
            vals[n] = vals.get(n, 0.0) + float(v.detach()) * w / max(sum(ws), 1e-12)
    for p in params:
        if p.grad is not None:
            p.grad.div_(max(total, 1e-12))
    return vals


def one_cycle_pct(pct_start: float, total: int) -> float:
    """``pct_start`` unless torch's ``OneCycleLR`` would divide by zero with it: its warm-up ends at step
    ``pct_start * total - 1``, and a warm-up of exactly one step (0.1 x 10, 0.25 x 4) or one that leaves no
    annealing step is degenerate. Then two warm-up steps (``2 / total``), or none for one or two steps."""
    warm = pct_start * total
    if abs(warm - 1) > 1e-9 and warm < total - 1e-9:
        return pct_start
    return 2 / total if total > 2 else 0.5 / total
