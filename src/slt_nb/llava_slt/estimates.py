"""The :mod:`memory` estimate of each stage from the modules it is about to train (exact parameter counts and
dtypes, sizes from their configs) and its configuration; :func:`guard` prints it and refuses what cannot fit.

Each ``stageN`` function takes the micro-batch and checkpointing as arguments, so :func:`memory.fitting_micro`
can try smaller settings for the error message.
"""

from __future__ import annotations

from dataclasses import replace

from . import memory
from .config import TrainConfig


def _count(module, trainable: bool | None = None, lora: bool | None = None) -> int:
    return sum(p.numel() for n, p in module.named_parameters()
               if (trainable is None or p.requires_grad == trainable) and (lora is None or ("lora_" in n) == lora))


def _base(model):
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def lm_dims(model) -> memory.LMDims:
    """Sizes of a transformers causal LM (adapters excluded)."""
    c = _base(model).config
    kv = c.hidden_size // c.num_attention_heads * (getattr(c, "num_key_value_heads", None) or c.num_attention_heads)
    return memory.LMDims(c.hidden_size, c.num_hidden_layers, c.intermediate_size, c.vocab_size, kv, _count(model, lora=False))


def vit_dims(backbone) -> memory.ViTDims:
    """Sizes of a DINOv2 backbone (its MLP is ``mlp_ratio`` x hidden wide; adapters excluded)."""
    c = _base(backbone).config
    return memory.ViTDims(c.hidden_size, c.num_hidden_layers, int(c.hidden_size * c.mlp_ratio), c.patch_size, _count(backbone, lora=False))


def _bytes(module) -> int:
    p = next(module.parameters())
    return p.element_size()


def _lm_parts(llm, trains: bool) -> list[memory.Part]:
    lora = _count(llm, lora=True)
    base = _count(llm, lora=False)
    return [memory.Part("llm", base, base if trains and not lora else 0, _bytes(llm)), memory.Part("llm lora", lora, lora if trains else 0)]


def _encoder_parts(enc, backbone: bool, temporal: bool) -> list[memory.Part]:
    bb, lora, tmp = _count(enc.backbone, lora=False), _count(enc.backbone, lora=True), sum(p.numel() for p in enc.temporal_parameters())
    return [memory.Part("backbone", bb, bb if backbone and not lora else 0), memory.Part("backbone lora", lora, lora if backbone else 0),
            memory.Part("temporal", tmp, tmp if temporal else 0)]


def runtime(tc: TrainConfig, micro: int | None, checkpointing: bool) -> TrainConfig:
    return replace(tc, micro_batch_size=micro, gradient_checkpointing=checkpointing)


def stage1(model, tc: TrainConfig, seq_len: int, precision: str) -> memory.Estimate:
    """Continued pretraining of ``model`` (LoRA-wrapped: its adapters train, else every weight)."""
    from .batches import micro_batch

    lm, m = lm_dims(model), micro_batch(tc)
    _, act = memory.precision_bytes(precision)
    return memory.estimate("stage 1 (continued pretraining)", _lm_parts(model, True),
                           memory.lm_activations(lm, m * seq_len, grad=True, checkpointing=tc.gradient_checkpointing, act_bytes=act),
                           precision, f"{m} x {seq_len} tokens per forward")


def _encoder_acts(enc, micro: int, t_max: int, *, backbone: str, temporal: bool, chunk: int | None, act: int) -> float:
    """``backbone``: "trains" (per batch, with gradients), "frozen" (per batch, no gradients) or "cached" (features computed once)."""
    c = enc.cfg
    out = memory.temporal_activations(c.dim, c.mlp_ratio, c.local_depth, c.sentence_depth, micro, t_max, c.downsample, trains=temporal, act_bytes=act)
    if backbone != "cached":
        out += memory.vit_activations(vit_dims(enc.backbone), c.frame_size, micro * t_max, trains=backbone == "trains", chunk=chunk, act_bytes=act)
    return out


def stage2(enc, head, tc: TrainConfig, t_max: int, precision: str, *, backbone: str) -> memory.Estimate:
    """Contrastive pretraining of ``enc`` (+ the CLIP head); ``backbone`` as in :func:`_encoder_acts`."""
    from .batches import micro_batch

    m = micro_batch(tc)
    _, act = memory.precision_bytes(precision)
    n_head = sum(p.numel() for p in head.parameters())
    parts = _encoder_parts(enc, backbone == "trains", True) + [memory.Part("clip head", n_head, n_head)]
    acts = _encoder_acts(enc, m, t_max, backbone=backbone, temporal=True, chunk=tc.backbone_chunk, act=act)
    return memory.estimate("stage 2 (visual contrastive)", parts, acts, precision,
                           f"{m} clips x {t_max} frames of {enc.cfg.frame_size}^2 per forward, backbone {backbone}, chunk {tc.backbone_chunk}")


def stage3(model, tc: TrainConfig, parts, t_max: int, seq_len: int, precision: str, *, backbone: str, label: str) -> memory.Estimate:
    """Stage 3 training ``parts`` (connector, llm, temporal, backbone) of ``model`` (:class:`stage3.VLTModel`)."""
    from .batches import micro_batch

    m = micro_batch(tc)
    _, act = memory.precision_bytes(precision)
    conn = sum(p.numel() for p in model.connector.parameters())
    ps = (_encoder_parts(model.encoder, "backbone" in parts, "temporal" in parts) + _lm_parts(model.llm, "llm" in parts)
          + [memory.Part("connector", conn, conn if "connector" in parts else 0)])
    acts = (memory.lm_activations(lm_dims(model.llm), m * seq_len, grad=True, checkpointing=tc.gradient_checkpointing, act_bytes=act)
            + _encoder_acts(model.encoder, m, t_max, backbone=backbone, temporal="temporal" in parts, chunk=tc.backbone_chunk, act=act))
    return memory.estimate(label, ps, acts, precision, f"{m} clips x {seq_len} LLM tokens per forward, backbone {backbone}")


def guard(make, tc: TrainConfig, budget, *, key: str, where: str, log, hint: str, suggest=None) -> memory.Estimate:
    """Print ``make(micro, checkpointing)`` for ``tc``'s settings; refuse above ``budget``, naming what fits under ``key``
    (``suggest()``, else a micro-batch: :func:`memory.fitting_micro`)."""
    from .batches import micro_batch

    return memory.check(make(micro_batch(tc), tc.gradient_checkpointing), budget, where=where, log=log, hint=hint,
                        suggest=suggest or (lambda: memory.fitting_micro(make, tc.batch_size, budget, key)))
