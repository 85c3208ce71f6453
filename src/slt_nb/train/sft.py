"""TRL ``SFTTrainer`` settings for the paper's recipe (Sec 4.3), with the video traps closed.

* ``remove_unused_columns=False``: the rows hold frames and text, not model inputs; the
  collator (:class:`~slt_nb.train.collate.VideoCollator`) makes the inputs.
* ``dataset_kwargs={"skip_prepare_dataset": True}``: TRL's preparation knows only image
  columns and would tokenise/truncate text without the video.
* ``max_length=None``: TRL's default 1024 truncates; 64 frames of SmolVLM2-2.2B are ~5-6k tokens.
  (The collator raises on over-long examples instead of truncating.)
* ``bf16`` (the Trainer's bf16 autocast) by default only on CUDA (TRL defaults to bf16=True);
  :func:`slt_nb.train.run.build_trainer` sets it from the run's precision
  (:mod:`slt_nb.train.device`) and casts the trainable parameters to fp32 under ``bf16-mixed``
  after TRL has built the PEFT model (a ``modules_to_save`` copy keeps its module's bf16
  otherwise). FlashAttention-2 is a model-loading choice (``load_model_and_processor(...,
  attn_implementation=...)``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..models.registry import ModelFamily, get_family

LOSS_IMPLS = ("auto", "trl_fused", "model")


def fused_loss(loss_impl: str, cuda: bool) -> bool:
    """Whether the loss goes through TRL's tiled LM head (``trl_fused``) or the model's own head and
    cross-entropy (``model``). ``auto``: TRL's on CUDA (it never builds the (batch, seq, vocab) logits:
    memory at 64 frames x 49k vocabulary), the model's on CPU, where the tiles cost ~28% of a tiny
    model's step for the same losses (measured: identical logged losses, 0.135 -> 0.098 s/step)."""
    if loss_impl not in LOSS_IMPLS:
        from ..errors import SLTInputError

        raise SLTInputError(f"unknown loss_impl {loss_impl!r}", hint=f"expected one of {list(LOSS_IMPLS)}")
    return cuda if loss_impl == "auto" else loss_impl == "trl_fused"


def answer_positions(labels):
    """(positions, targets) of the loss on a right- or left-padded batch: the sequence positions ``t`` whose
    next token is supervised in at least one row (1-D, ascending), and ``labels[:, t + 1]`` there, (B, K).
    The LM head's logits are needed there only: the answer is ~10 tokens of SmolVLM's ~320 at 16 frames."""
    shifted = labels[:, 1:]
    keep = (shifted != -100).any(0).nonzero().squeeze(1)
    return keep, shifted[:, keep].contiguous()


def _takes_logits_to_keep(model) -> bool:
    base = getattr(model, "module", model)  # DDP
    base = base.get_base_model() if hasattr(base, "get_base_model") else base  # PEFT
    return _forward_has(type(base), "logits_to_keep")


@lru_cache(maxsize=None)
def _forward_has(cls, name: str) -> bool:
    import inspect

    return name in inspect.signature(cls.forward).parameters


def trainer_class(fused: bool):
    """``SFTTrainer``, or (``fused=False``) a subclass whose loss is ``transformers.Trainer``'s: the model's
    own cross-entropy over the answer tokens, normalised by the batch's label tokens as TRL's. TRL's
    entropy / token-accuracy logs are then not written; the loss is the same.

    The model's head computes logits at the answer positions only (:func:`answer_positions`, passed as
    ``logits_to_keep`` with the matching ``shift_labels``, which the model's ``ForCausalLMLoss`` takes as
    they are): the same cross-entropy terms over the same tokens and normaliser, without the (B, L, vocab)
    logits of every prompt and visual token. Measured on the tiny SmolVLM (batch 4, 16 frames, ~320 tokens):
    forward + backward 76 -> 53 ms per step, loss equal to 1e-7 (``benchmarks/bench_trainer.py``). A model
    whose forward has no ``logits_to_keep`` gets Trainer's loss over every position."""
    from transformers import Trainer
    from trl import SFTTrainer

    if fused:
        return SFTTrainer

    class ModelLossSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.get("labels")
            if labels is not None and _takes_logits_to_keep(model):
                keep, targets = answer_positions(labels)
                inputs = {**inputs, "logits_to_keep": keep, "shift_labels": targets}  # outputs.logits: (B, K, vocab)
            return Trainer.compute_loss(self, model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)

    return ModelLossSFTTrainer


def loader_workers(cuda: bool) -> dict:
    """DataLoader workers: none on CPU (the tiny models' loader is 1-4x faster than their step and a
    worker would take the only other core), on CUDA ``min(8, cores - 1)`` persistent workers with
    prefetch: benchmarks/bench_data_path.py projects one core's decode + processor at 0.15-0.6x the
    real models' A100 step at 384-512 px, so the GPU would wait for a single-process loader."""
    import os

    n = min(8, max(0, (os.cpu_count() or 1) - 1)) if cuda else 0
    return {"dataloader_num_workers": n, **({"dataloader_persistent_workers": True, "dataloader_prefetch_factor": 2} if n else {})}


def sft_config(family: str | ModelFamily, output_dir: str | Path, *, cuda: bool | None = None, **overrides):
    """A ``trl.SFTConfig`` with the family's paper hyper-parameters; ``overrides`` win.

    ``cuda``: whether training runs on a GPU (default: ``torch.cuda.is_available()``); decides
    bf16 (Sec 4.3) and gradient checkpointing (TRL's default; pointless on the tiny CPU models).
    """
    import torch
    from trl import SFTConfig

    fam = get_family(family)
    t = fam.train
    if cuda is None:
        cuda = torch.cuda.is_available()
    kw = dict(
        output_dir=str(output_dir),
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler_type,
        optim=t.optim,
        per_device_train_batch_size=t.per_device_train_batch_size,
        per_device_eval_batch_size=t.per_device_train_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        num_train_epochs=t.num_train_epochs,
        bf16=bool(cuda and t.bf16),
        fp16=False,
        gradient_checkpointing=bool(cuda),
        remove_unused_columns=False,
        dataset_kwargs={"skip_prepare_dataset": True},
        max_length=None,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        dataloader_pin_memory=bool(cuda),
        **loader_workers(cuda),
    )
    kw.update(overrides)
    return SFTConfig(**kw)


def make_trainer(model, processor, family: str | ModelFamily, train_rows, config, *, eval_rows=None, peft: bool = True, **collator_kw):
    """An ``SFTTrainer`` over rows of :func:`~slt_nb.train.collate.make_example` dicts.

    ``peft=True`` passes the family's LoRA config (LoRA on the LM, connector in
    ``modules_to_save``); pass ``peft=False`` for a model already wrapped with ``apply_lora``.
    """
    from trl import SFTTrainer

    from ..models.load import lora_config
    from .collate import VideoCollator

    fam = get_family(family)
    return SFTTrainer(
        model=model,
        args=config,
        data_collator=VideoCollator(processor, fam, train=True, **collator_kw),
        train_dataset=train_rows,
        eval_dataset=eval_rows,
        processing_class=processor,
        peft_config=lora_config(fam) if peft else None,
    )
