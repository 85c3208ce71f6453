"""Device, precision and attention choices of a run (paper Sec 4.3: bf16 and FlashAttention-2 on GPU)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import RunConfig

OOM_HINT = ("lower t_max (e.g. 32), keep per_device_batch_size 1 with grad_accumulation 4, enable gradient_checkpointing, "
            "train in bf16 with FlashAttention-2 / SDPA, or use a larger GPU; the run resumes from its last checkpoint")


def on_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def precision_of(cfg: RunConfig) -> tuple[bool, object]:
    """(bf16 autocast, model dtype)."""
    import torch

    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and on_cuda() and torch.cuda.is_bf16_supported())
    return bf16, (torch.bfloat16 if bf16 else torch.float32)


def attention_of(cfg: RunConfig) -> str | None:
    if cfg.attn_implementation != "auto":
        return cfg.attn_implementation
    if on_cuda():
        try:
            import flash_attn  # noqa: F401

            return "flash_attention_2"
        except ImportError:
            return "sdpa"
    return None  # transformers' default (sdpa)


def gradient_checkpointing_of(cfg: RunConfig) -> bool:
    return on_cuda() if cfg.gradient_checkpointing == "auto" else bool(cfg.gradient_checkpointing)


def is_oom(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    msg = str(exc).lower()
    return isinstance(exc, (RuntimeError, MemoryError)) and ("out of memory" in msg or "not enough memory" in msg or isinstance(exc, MemoryError))
