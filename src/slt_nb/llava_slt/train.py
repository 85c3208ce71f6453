"""One training loop for the three stages: AdamW + one-cycle cosine schedule, run through
``accelerate.Accelerator`` so ``accelerate launch`` spreads it over several GPUs (one CPU process
here), and stage folders that are written atomically and skipped when already finished.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from ..errors import SLTInputError
from ..io import write_json
from .config import TrainConfig

DONE = "done.json"


def accelerator():
    """An ``Accelerator`` (GPUs when present; several processes under ``accelerate launch``/``torchrun``).

    Unused parameters are allowed under DDP: stage 3 does not use the co-embedding head, and DINOv2's
    mask token never trains.
    """
    from accelerate import Accelerator, DistributedDataParallelKwargs

    return Accelerator(cpu=not torch.cuda.is_available(), kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])


def index_loader(n: int, batch_size: int, collate: Callable, *, shuffle: bool, seed: int) -> DataLoader:
    """Batches of sample indices turned into tensors by ``collate`` (data already in memory)."""
    if n == 0:
        raise SLTInputError("no training samples")
    g = torch.Generator().manual_seed(seed)
    return DataLoader(list(range(n)), batch_size=max(1, min(batch_size, n)), shuffle=shuffle, generator=g, collate_fn=collate)


def fit(module: torch.nn.Module, params: list, loader: DataLoader, tc: TrainConfig, step: Callable, *, accel=None, label: str = "") -> list[dict]:
    """Train ``params`` (the trainable subset of ``module``) for ``tc.epochs``; returns per-step logs.

    ``step(module, batch)`` returns a dict of scalar tensors with at least ``loss``.
    """
    params = [p for p in params if p.requires_grad]
    if not params:
        raise SLTInputError(f"{label or 'stage'}: nothing to train (every parameter is frozen)")
    accel = accel or accelerator()
    opt = torch.optim.AdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)
    total = max(1, tc.epochs * len(loader))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc.lr, total_steps=total, pct_start=tc.pct_start, anneal_strategy="cos")
    module, opt, loader, sched = accel.prepare(module, opt, loader, sched)
    logs, k = [], 0
    for epoch in range(tc.epochs):
        module.train()
        for batch in loader:
            out = step(module, batch)
            accel.backward(out["loss"])
            if tc.grad_clip:
                accel.clip_grad_norm_(params, tc.grad_clip)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            k += 1
            logs.append({"stage": label, "epoch": epoch + 1, "step": k, "lr": sched.get_last_lr()[0],
                         **{n: float(v.detach()) for n, v in out.items()}})
    module.eval()
    return logs


def read_done(stage_dir: str | Path) -> dict | None:
    path = Path(stage_dir) / DONE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def _dist():
    """(is_main, barrier) of the current launch: one process without ``accelerate launch``."""
    from accelerate import PartialState

    state = PartialState(cpu=not torch.cuda.is_available())  # cpu=True: torchrun/accelerate launch on CPUs use gloo
    return state.is_main_process, state.wait_for_everyone


def run_stage(stage_dir: str | Path, key: str, work: Callable[[Path], dict], *, force: bool = False) -> dict:
    """Run ``work(tmp_dir)`` unless ``stage_dir`` already finished with the same ``key``.

    ``work`` writes its checkpoint files into ``tmp_dir`` and returns a JSON-able summary; the
    folder then replaces ``stage_dir`` in one rename (a crash leaves the old stage or none),
    with ``done.json`` (key, summary, seconds) written last. Returns the summary plus
    ``skipped`` (True when the finished stage was reused). Under ``accelerate launch`` every
    process trains (the loops are data-parallel) and only the main process publishes the folder.
    """
    stage_dir = Path(stage_dir)
    is_main, barrier = _dist()
    done = read_done(stage_dir)
    barrier()  # every process has decided before the main one may replace the folder
    if done and done.get("key") == key and not force:
        return {**done, "skipped": True}
    stage_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stage_dir.name}.", dir=stage_dir.parent))
    try:
        t0 = time.perf_counter()
        summary = work(tmp)
        info = {"key": key, "stage": stage_dir.name, "seconds": round(time.perf_counter() - t0, 2), **summary}
        if is_main:
            write_json(tmp / DONE, info)
            if stage_dir.exists():
                old = stage_dir.with_name(f".{stage_dir.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(stage_dir, old)
                os.replace(tmp, stage_dir)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, stage_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    barrier()
    return {**info, "skipped": False}


def save_modules(path: str | Path, **modules: torch.nn.Module) -> None:
    """State dicts of named modules in one safetensors file (``name.param`` keys)."""
    from safetensors.torch import save_file

    state = {f"{name}.{k}": v.detach().cpu().clone().contiguous() for name, m in modules.items() for k, v in m.state_dict().items()}
    save_file(state, str(path))


def load_modules(path: str | Path, **modules: torch.nn.Module) -> None:
    from safetensors.torch import load_file

    if not Path(path).is_file():
        raise SLTInputError("checkpoint not found", file=path, hint="run the earlier stage first (notebook 07)")
    state = load_file(str(path))
    for name, m in modules.items():
        sub = {k[len(name) + 1 :]: v for k, v in state.items() if k.startswith(name + ".")}
        m.load_state_dict(sub)
