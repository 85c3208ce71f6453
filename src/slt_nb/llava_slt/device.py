"""Where LLaVA-SLT's forward passes run, how many loader workers feed them, and how much memory they may take.

Every forward pass -- the stage-1 dev LM loss, stage-2 features and retrieval, the text encoder,
stage-3 features, training and decoding, also of stages that finished earlier -- runs on
:func:`resolve_device`: ``auto`` is this process's accelerate device (``cuda:<local rank>`` under
``accelerate launch`` / ``torchrun``, ``cuda`` on one GPU, else the CPU); ``cpu`` or ``cuda[:i]``
name one.
"""

from __future__ import annotations

import gc
import os

import torch

from ..errors import SLTInputError

MAX_WORKERS = 8  # loader workers on CUDA: decoding 64 PNG/JPEG frames per clip keeps a few cores busy per GPU step


def resolve_device(asked: str | torch.device | None = "auto") -> torch.device:
    """The device of ``asked`` (see the module docstring); a CUDA device on a machine without one is an error."""
    if isinstance(asked, torch.device):
        return asked
    if asked in (None, "auto"):
        if not torch.cuda.is_available():
            return torch.device("cpu")
        from accelerate import PartialState

        return PartialState().device
    try:
        dev = torch.device(asked)
    except RuntimeError:
        raise SLTInputError(f"unknown device {asked!r}", hint="'auto', 'cpu', 'cuda' or 'cuda:<index>'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SLTInputError(f"device {asked!r} asked but no CUDA GPU is available", hint="use 'auto' or 'cpu'")
    return dev


def loader_workers(device: torch.device, streamed: bool, asked: int | None = None) -> int:
    """DataLoader workers: ``asked`` if given; else none for clips in memory or on the CPU (the cores compute there), and
    on CUDA min(8, usable CPUs - 1) for streamed clips (decoding overlaps the GPU step)."""
    if asked is not None:
        return int(asked)
    if not streamed or device.type != "cuda":
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(MAX_WORKERS, cpus - 1))


def memory_budget(device: torch.device, asked_gb: float | None = None) -> int | None:
    """Bytes a stage may take on ``device``: ``asked_gb`` if given, else a CUDA device's total memory; None on the
    CPU (no check: the estimate is printed only)."""
    if asked_gb is not None:
        return int(asked_gb * 1e9)
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    return None


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def release() -> None:
    """Give freed tensors back (between stages and variants: one model on the GPU at a time)."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
