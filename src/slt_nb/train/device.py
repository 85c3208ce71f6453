"""Device, precision and attention choices of a run (paper Sec 4.3: bf16 and FlashAttention-2 on GPU).

Used by both fine-tuning (:mod:`slt_nb.train.run`) and LLaVA-SLT (:mod:`slt_nb.llava_slt.train`).
The decisions are plain functions of what was asked and what the machine offers
(:func:`decide_precision`, :func:`decide_attention`), so a table of cases tests them; the
``*_of`` wrappers feed them this machine's facts.

**Precision** (``precision``):

==============  ==================  ==================  =====================  =====================================
name            frozen weights      trainable weights   compute                when
==============  ==================  ==================  =====================  =====================================
``auto``        = ``bf16-mixed`` on a CUDA GPU with bf16, else ``fp32`` (the CPU default, unchanged)
``bf16-mixed``  bf16                fp32                bf16 autocast          Sec 4.3 "all computations in bf16"
``bf16-pure``   bf16                bf16                bf16 autocast          the literal reading: bf16 weights too
``fp32``        fp32                fp32                fp32                   CPU
==============  ==================  ==================  =====================  =====================================

``bf16`` is accepted as another name of ``bf16-mixed``. Why mixed by default: an AdamW step of
``lr`` moves a weight by about ``lr``, and a bf16 weight of magnitude ``w`` can only move by
``w * 2**-8``; at the paper's learning rates (1e-4, 1e-5) most bf16 updates round away (measured
with these settings on CPU: tests/test_precision.py). PEFT already keeps LoRA adapters in fp32
(``autocast_adapter_dtype``), but a ``modules_to_save`` copy (the connector) and fully trained
weights keep their module's dtype; :func:`cast_trainable` puts them in fp32 before the optimizer
exists. Every choice works on CPU too (bf16 autocast runs there), so tests can run "the CUDA
settings on CPU" with ``precision="bf16-mixed"``.

**Attention** (``attn_implementation``): ``auto`` = FlashAttention-2 (Sec 4.3) on CUDA where
transformers finds a usable ``flash-attn`` (:func:`transformers.utils.is_flash_attn_2_available`)
and the compute is bf16; otherwise SDPA (on CPU: transformers' default, which is SDPA). Any other
value is passed to transformers as given.

:func:`describe` is the one line a run prints about both.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Protocol


class DeviceChoices(Protocol):
    """What a run asks of the machine: the fields of :class:`slt_nb.train.run.RunConfig` this module reads
    (a protocol, so that this module imports nothing from the run it serves: no import cycle)."""

    precision: str
    attn_implementation: str | None
    gradient_checkpointing: bool | str

OOM_HINT = ("lower t_max (e.g. 32), keep per_device_batch_size 1 with grad_accumulation 4, enable gradient_checkpointing, "
            "train in bf16 with FlashAttention-2 / SDPA, or use a larger GPU; the run resumes from its last checkpoint")

PRECISIONS = ("auto", "bf16-mixed", "bf16-pure", "fp32")
PRECISION_ALIASES = {"bf16": "bf16-mixed"}
FLASH = "flash_attention_2"
GPU_EXTRA = "pip install --no-build-isolation -r requirements-gpu.txt (build steps in that file)"


def on_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# ---- precision ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Precision:
    """A resolved precision: ``name`` is ``bf16-mixed``, ``bf16-pure`` or ``fp32``; ``why`` says how it was chosen."""

    name: str
    why: str = ""

    @property
    def autocast(self) -> bool:
        """Whether forward passes run under bf16 autocast (the Trainer's ``bf16`` flag)."""
        return self.name != "fp32"

    @property
    def load_dtype(self):
        """The dtype weights are loaded in (the frozen ones keep it)."""
        import torch

        return torch.float32 if self.name == "fp32" else torch.bfloat16

    @property
    def trainable_dtype(self):
        """The dtype of the weights the optimizer updates."""
        import torch

        return torch.bfloat16 if self.name == "bf16-pure" else torch.float32

    def label(self) -> str:
        return f"{self.name} ({self.why})" if self.why else self.name


def check_precision(name: str) -> str:
    """The canonical name of ``name`` (``auto``, ``bf16-mixed``, ``bf16-pure``, ``fp32``; ``bf16`` = ``bf16-mixed``); raises on others."""
    name = PRECISION_ALIASES.get(name, name) if isinstance(name, str) else name
    if name not in PRECISIONS:
        from ..errors import SLTInputError

        raise SLTInputError(f"unknown precision {name!r}",
                            hint=f"expected one of {list(PRECISIONS)} ('bf16' = 'bf16-mixed'): auto = bf16-mixed on CUDA, fp32 on CPU")
    return name


_SETTINGS = {"bf16-mixed": "trainable fp32, compute bf16", "bf16-pure": "weights and compute bf16", "fp32": "weights and compute fp32"}


def decide_precision(asked: str, *, cuda: bool, bf16_supported: bool) -> Precision:
    """The :class:`Precision` for ``asked`` on a machine with (``cuda``) or without a GPU whose bf16 support is ``bf16_supported``."""
    name = check_precision(asked)
    if name == "auto":
        if cuda and bf16_supported:
            return Precision("bf16-mixed", f"auto on CUDA: {_SETTINGS['bf16-mixed']}")
        if cuda:
            return Precision("fp32", "auto: this GPU has no bf16")
        return Precision("fp32", "auto on CPU")
    if name != "fp32" and cuda and not bf16_supported:
        from ..errors import SLTInputError

        raise SLTInputError(f"precision {asked!r} needs bf16, which this GPU does not support", hint="use precision 'fp32' (or 'auto')")
    return Precision(name, f"asked{'' if cuda else ' on CPU'}: {_SETTINGS[name]}")


def _bf16_supported() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def precision_of(cfg_or_name: DeviceChoices | str) -> Precision:
    """:func:`decide_precision` on this machine, for a :class:`~slt_nb.train.run.RunConfig` or a precision name."""
    asked = cfg_or_name if isinstance(cfg_or_name, str) else cfg_or_name.precision
    return decide_precision(asked, cuda=on_cuda(), bf16_supported=_bf16_supported())


def cast_trainable(module, dtype) -> list[str]:
    """Cast every parameter with ``requires_grad`` to ``dtype`` (before the optimizer exists; frozen
    ones keep their dtype). Returns the names of the parameters that changed dtype."""
    changed = []
    for name, p in module.named_parameters():
        if p.requires_grad and p.dtype != dtype:
            p.data = p.data.to(dtype)
            changed.append(name)
    return changed


def autocast(prec: Precision, device_type: str = "cpu"):
    """``torch.autocast`` in bf16 for a bf16 precision (for training loops of our own), else a no-op context."""
    import torch

    return torch.autocast(device_type=device_type, dtype=torch.bfloat16) if prec.autocast else nullcontext()


def dtype_counts(module, *, trainable: bool) -> dict[str, int]:
    """{dtype name: parameter count} of the trainable (or frozen) parameters of ``module``."""
    out: dict[str, int] = {}
    for p in module.parameters():
        if p.requires_grad == trainable:
            k = str(p.dtype).replace("torch.", "")
            out[k] = out.get(k, 0) + p.numel()
    return out


# ---- attention ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    """A resolved attention choice: ``impl`` is passed to ``from_pretrained`` (None: transformers' default)."""

    impl: str | None
    why: str = ""

    @property
    def name(self) -> str:
        return self.impl or "sdpa"

    def label(self) -> str:
        return f"{self.name} ({self.why})" if self.why else self.name


def decide_attention(asked: str | None, *, cuda: bool, precision: Precision | str, flash_available: bool, flash_installed: bool | None = None) -> Attention:
    """The :class:`Attention` for ``asked`` (``auto`` or an implementation name). ``flash_available``:
    transformers finds a usable flash-attn (package >= 2.1 and a GPU); ``flash_installed``: the
    package is present at all (only for the message; default ``flash_available``)."""
    name = precision.name if isinstance(precision, Precision) else check_precision(precision)
    installed = flash_available if flash_installed is None else flash_installed
    if asked in (None, "auto"):
        if not cuda:
            return Attention(None, "auto on CPU: transformers' default")
        if name == "fp32":
            return Attention("sdpa", "auto: FlashAttention-2 needs bf16 compute, precision is fp32")
        if flash_available:
            return Attention(FLASH, "auto on CUDA: flash-attn installed")
        if installed:
            return Attention("sdpa", f"auto: flash-attn is installed but transformers cannot use it (needs flash-attn >= 2.1 built for this CUDA); {GPU_EXTRA}")
        return Attention("sdpa", f"auto: flash-attn not installed; {GPU_EXTRA}")
    if asked == FLASH and not flash_available:
        from ..errors import SLTInputError

        where = "flash-attn is installed but unusable here" if installed else "flash-attn is not installed"
        raise SLTInputError(f"attn_implementation {FLASH!r} asked, but {where}" + ("" if cuda else " (it needs a CUDA GPU)"),
                            hint=f"on a CUDA node: {GPU_EXTRA}; or use 'auto' / 'sdpa'")
    return Attention(asked, "asked")


def attention_of(cfg: DeviceChoices | str | None, precision: Precision | None = None) -> Attention:
    """:func:`decide_attention` on this machine, for a run config (its ``attn_implementation`` and
    precision) or an implementation name."""
    import importlib.util

    from transformers.utils import is_flash_attn_2_available

    if isinstance(cfg, (str, type(None))):
        asked = cfg
    else:
        asked = cfg.attn_implementation
        precision = precision or precision_of(cfg)
    precision = precision or precision_of("auto")
    return decide_attention(asked, cuda=on_cuda(), precision=precision, flash_available=is_flash_attn_2_available(),
                            flash_installed=importlib.util.find_spec("flash_attn") is not None)


def describe(precision: Precision, attention: Attention | None = None) -> str:
    """The line a run prints: ``precision: bf16-mixed (auto on CUDA: ...) | attention: sdpa (auto: ...)``."""
    line = f"precision: {precision.label()}"
    return line if attention is None else f"{line} | attention: {attention.label()}"


# ---- accelerate -----------------------------------------------------------------------------------


def reset_accelerate_state(precision: Precision | None = None) -> None:
    """Forget the mixed-precision setting an earlier run left in this process; call it at the start of a run.

    Two things leak from one run to the next: accelerate's ``AcceleratorState`` is a singleton whose
    ``mixed_precision`` the first Trainer (or Accelerator) of a process fixes, and transformers'
    ``TrainingArguments`` writes ``ACCELERATE_MIXED_PRECISION=bf16`` into the environment and, for a
    later fp32 run, keeps what it finds there. A bf16 run followed by an fp32 run then computes the
    fp32 run under bf16 autocast and fails on mixed dtypes. Both are reset here; the environment
    variable is set to the run's own choice (``bf16`` or ``no``: the run's ``precision`` decides,
    not an ``accelerate launch --mixed_precision`` flag). The ``PartialState`` (which process this
    is, the process group) is kept: it does not depend on the run, and a distributed launch needs it.
    """
    import os

    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    os.environ["ACCELERATE_MIXED_PRECISION"] = "bf16" if precision is not None and precision.autocast else "no"


def gradient_checkpointing_of(cfg: DeviceChoices) -> bool:
    return on_cuda() if cfg.gradient_checkpointing == "auto" else bool(cfg.gradient_checkpointing)


def is_oom(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    msg = str(exc).lower()
    return isinstance(exc, (RuntimeError, MemoryError)) and ("out of memory" in msg or "not enough memory" in msg or isinstance(exc, MemoryError))
