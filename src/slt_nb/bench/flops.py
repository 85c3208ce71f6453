"""Model FLOPs of one training sample, from the model's matmul parameters and the sample's shape.

Matmul parameters ``N`` of a part = weights + biases of its ``nn.Linear`` / ``nn.Conv*`` modules
(embedding look-ups and norms cost no matmul FLOPs; a tied LM head counts as the matmul it is).
A matmul with ``N`` parameters costs ``2N`` FLOPs per token forward, ``2N`` more for the input
gradient and ``2N`` more for the weight gradient. So, per token a part is applied to:

* trained part (connector, LoRA adapters, full fine-tuning): ``6N`` (the standard 6N);
* frozen part that gradients must flow through to reach a trained part upstream (the LM's base
  weights under LoRA: the connector and the early LoRA layers need the gradient): ``4N``;
* frozen part with nothing trainable upstream (the vision tower under LoRA): ``2N``, forward only.

Attention scores add, per layer, ``4 d n^2`` FLOPs forward for ``n`` bidirectional tokens
(QK^T and AV, ``d`` = heads x head_dim) and ``2 d S^2`` for a causal LM sequence of ``S`` tokens
(the causal half; PaLM's ``12 L d T`` per token counts the full square), times 3 where gradients
flow through them (backward = 2x forward). SmolVLM's SigLIP attends within a frame; Qwen2.5-VL's
ViT within a temporal pair of frames in its full-attention blocks and within 8 x 8-patch windows
(112 px) elsewhere. Units: vision matmuls per patch, connector per LM visual token, LM per LM
token (unpadded: padding is waste, not model FLOPs). MFU = model FLOPs / time / peak FLOP/s.
Gradient-checkpointing recomputation is not model FLOPs (it lowers MFU).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SLTInputError
from ..models.registry import ModelFamily, get_family

# part -> role under each fine-tuning strategy (paper Sec 3.4 / Table 8)
STRATEGIES: dict[str, dict[str, str]] = {
    "lora": {"vision": "frozen_forward", "connector": "trained", "lm": "frozen_backprop"},  # the paper's recipe (+ LoRA adapters)
    "full": {"vision": "trained", "connector": "trained", "lm": "trained"},
    "lm_only": {"vision": "frozen_forward", "connector": "trained", "lm": "trained"},  # connector trained with the LM (Sec 6)
    "vision_only": {"vision": "trained", "connector": "frozen_backprop", "lm": "frozen_backprop"},
}
MATMUL_FACTOR = {"trained": 6, "frozen_backprop": 4, "frozen_forward": 2}
ATTN_FACTOR = {"trained": 3, "frozen_backprop": 3, "frozen_forward": 1}


@dataclass(frozen=True)
class ModelDims:
    """Matmul parameters per part and the attention widths a FLOPs count needs."""

    vision: int
    connector: int
    lm: int  # LM layers + LM head
    lora: int  # LoRA adapter parameters at the family's rank (0: no LoRA)
    lm_layers: int
    lm_attn_dim: int  # heads x head_dim of the LM's queries
    vision_layers: int
    vision_attn_dim: int
    vision_full_layers: int  # layers attending over the whole frame (pair); the rest use windows

    @property
    def total(self) -> int:
        return self.vision + self.connector + self.lm


@dataclass(frozen=True)
class SampleShape:
    """What one sample (or a batch, summed) puts through the model."""

    patches: float  # vision patches (Qwen: patches of frame pairs)
    visual_tokens: float  # LM tokens that hold visual features (after pixel shuffle / 2x2 merge)
    lm_tokens: float  # LM sequence length, padding excluded
    attn_span: float  # patches attending to each other in a full-attention vision layer
    window_span: float  # ... in a windowed vision layer (= attn_span where there are none)
    lm_attn_sq: float | None = None  # sum of S^2 over the sequences (default lm_tokens^2: one sequence)


def _matmul_params(module) -> int:
    return sum(p.numel() for p in (module.weight, getattr(module, "bias", None)) if p is not None)


def model_dims(model, family: str | ModelFamily, *, lora_r: int | None = None) -> ModelDims:
    """:class:`ModelDims` of an unwrapped transformers model (real, tiny or on the ``meta`` device).

    ``lora_r``: count the family's LoRA adapters at this rank (default: the family's, Sec 4.3 r=64);
    0 for none. LoRA on a ``d_in -> d_out`` projection adds ``r (d_in + d_out)`` parameters.
    """
    import torch.nn as nn

    fam = get_family(family)
    r = fam.lora.r if lora_r is None else lora_r
    parts = {"vision": 0, "connector": 0, "lm": 0}
    lora = 0
    for name, mod in model.named_modules():
        if not isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            continue
        if ".lora_" in name or "modules_to_save" in name:
            raise SLTInputError("model_dims needs the model before PEFT wrapping", hint="call it before apply_lora")
        n = _matmul_params(mod)
        if name.startswith(fam.connector + "."):
            parts["connector"] += n
        elif name.startswith(fam.vision_tower + "."):
            parts["vision"] += n
        else:  # the language model and the LM head
            parts["lm"] += n
        if isinstance(mod, nn.Linear) and re.fullmatch(fam.lora.target_regex, name):
            lora += r * (mod.in_features + mod.out_features)
    cfg = model.config
    text, vis = cfg.text_config, cfg.vision_config
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    vis_layers = getattr(vis, "num_hidden_layers", None) or vis.depth
    full = getattr(vis, "fullatt_block_indexes", None)
    return ModelDims(vision=parts["vision"], connector=parts["connector"], lm=parts["lm"], lora=lora, lm_layers=text.num_hidden_layers,
                     lm_attn_dim=text.num_attention_heads * head_dim, vision_layers=vis_layers, vision_attn_dim=vis.hidden_size,
                     vision_full_layers=len(full) if full is not None else vis_layers)


def attention_flops_forward(dims: ModelDims, shape: SampleShape) -> dict[str, float]:
    """Forward attention-score FLOPs: vision (bidirectional, per frame / pair / window) and LM (causal)."""
    full, windowed = dims.vision_full_layers, dims.vision_layers - dims.vision_full_layers
    vision = 4 * dims.vision_attn_dim * shape.patches * (full * shape.attn_span + windowed * shape.window_span)
    sq = shape.lm_tokens**2 if shape.lm_attn_sq is None else shape.lm_attn_sq
    return {"vision": vision, "lm": 2 * dims.lm_layers * dims.lm_attn_dim * sq}


def train_flops(dims: ModelDims, shape: SampleShape, strategy: str = "lora") -> dict[str, float]:
    """Model FLOPs of one training step over ``shape``, by part, and their ``total``.

    ``strategy``: a key of :data:`STRATEGIES` (``"lora"``: the paper's LoRA-on-LM recipe).
    """
    if strategy not in STRATEGIES:
        raise SLTInputError(f"unknown fine-tuning strategy {strategy!r}", hint=f"expected one of {sorted(STRATEGIES)}")
    roles = STRATEGIES[strategy]
    units = {"vision": shape.patches, "connector": shape.visual_tokens, "lm": shape.lm_tokens}
    out = {part: MATMUL_FACTOR[roles[part]] * getattr(dims, part) * units[part] for part in units}
    out["lora"] = 6 * dims.lora * shape.lm_tokens if strategy == "lora" else 0.0
    attn = attention_flops_forward(dims, shape)
    out["attention"] = ATTN_FACTOR[roles["vision"]] * attn["vision"] + ATTN_FACTOR[roles["lm"]] * attn["lm"]
    out["total"] = sum(out.values())
    return out


def forward_flops(dims: ModelDims, shape: SampleShape) -> float:
    """Forward-only FLOPs (inference prefill) of ``shape``."""
    attn = attention_flops_forward(dims, shape)
    return 2 * (dims.vision * shape.patches + dims.connector * shape.visual_tokens + dims.lm * shape.lm_tokens) + attn["vision"] + attn["lm"]


def batch_shape(batch: dict, model_config, family: str | ModelFamily) -> SampleShape:
    """The :class:`SampleShape` of a collated batch (sums over its samples), read from the tensors.

    SmolVLM: ``pixel_values`` (B, F, 3, H, W), all-zero frames are the collator's padding (the model
    drops them); patches = (H / patch)^2 per frame, LM visual tokens = patches / scale^2.
    Qwen2.5-VL: ``video_grid_thw`` (B, 3) = (pairs, rows, cols) per sample.
    """
    fam = get_family(family)
    lengths = batch["attention_mask"].sum(dim=1).double()  # (B,) unpadded LM lengths
    vis = model_config.vision_config
    if "pixel_values" in batch:
        pv = batch["pixel_values"]  # (B, F, 3, H, W)
        frames = int((pv.flatten(2) != 0).any(dim=-1).sum())
        per_frame = (pv.shape[-1] // vis.patch_size) * (pv.shape[-2] // vis.patch_size)
        patches, visual, span, window = frames * per_frame, frames * per_frame // model_config.scale_factor**2, per_frame, per_frame
    elif "video_grid_thw" in batch:
        thw = batch["video_grid_thw"].double()  # (B, 3)
        per_pair = thw[:, 1] * thw[:, 2]
        patches = float((thw[:, 0] * per_pair).sum())
        visual = patches / vis.spatial_merge_size**2
        span = float((thw[:, 0] * per_pair * per_pair).sum()) / patches  # patch-weighted mean span
        window = min((vis.window_size // vis.patch_size) ** 2, span)
    else:
        raise SLTInputError(f"a {fam.name} batch without visual inputs: keys {sorted(batch)}")
    return SampleShape(patches=float(patches), visual_tokens=float(visual), lm_tokens=float(lengths.sum()), attn_span=float(span),
                       window_span=float(window), lm_attn_sq=float((lengths**2).sum()))
