"""Stage folders of LLaVA-SLT: written atomically, reused when finished with the same key.

:func:`run_stage` runs a stage's work into a temporary folder and renames it into place with
``done.json`` (key, summary, seconds) last, so a crash leaves the old stage or none; a finished stage
with the same key (and precision, :func:`slt_nb.llava_slt.train.stage_key`) is skipped. Checkpoints
are safetensors files of named modules (:func:`save_modules` / :func:`load_modules`).
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

from ..errors import SLTInputError
from ..io import write_json
from ..train.device import Precision
from .train import stage_key

DONE = "done.json"


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


def run_stage(stage_dir: str | Path, key: str, work: Callable[[Path], dict], *, force: bool = False, precision: str | Precision = "auto") -> dict:
    """Run ``work(tmp_dir)`` unless ``stage_dir`` already finished with the same ``key`` (with the
    ``precision`` the stage trains in: :func:`stage_key`).

    ``work`` writes its checkpoint files into ``tmp_dir`` and returns a JSON-able summary; the
    folder then replaces ``stage_dir`` in one rename (a crash leaves the old stage or none),
    with ``done.json`` (key, summary, seconds) written last. Returns the summary plus
    ``skipped`` (True when the finished stage was reused). Under ``accelerate launch`` every
    process trains (the loops are data-parallel) and only the main process publishes the folder.
    """
    stage_dir = Path(stage_dir)
    key = stage_key(key, precision)
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
