"""Configurations of the three LLaVA-SLT stages as plain dataclasses (data, not if-chains).

Every field has the embedded (tiny) default; :data:`PAPER` lists the values the paper states,
with their section, so ``params/paper.yaml`` can set them. A variant (an ablation) is the same
config with a few fields replaced (:func:`with_overrides`); unknown keys are an error.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from ..errors import SLTInputError
from ..params import params_hash


@dataclass(frozen=True)
class TrainConfig:
    """AdamW + one-cycle cosine schedule (Sec 3.2 / 3.3)."""

    epochs: int = 1
    batch_size: int = 32
    lr: float = 1e-3  # maximum learning rate of the one-cycle schedule
    weight_decay: float = 0.0
    pct_start: float = 0.1  # share of steps spent warming up; the paper does not state it (ours)
    grad_clip: float = 1.0  # ours; the paper does not state one
    micro_batch_size: int | None = None  # clips per forward pass; gradients accumulate to batch_size (None: the whole batch at once)
    gradient_checkpointing: bool = False  # recompute the LLM's layer activations in the backward pass (less memory, ~30% more time)
    backbone_chunk: int | None = None  # frames per frame-backbone forward (a trained backbone is checkpointed per chunk); None: all at once


@dataclass(frozen=True)
class EncoderConfig:
    """The hierarchical visual encoder (Sec 3.2, Fig. 4): frame -> word -> sentence."""

    backbone: str = "tiny"  # "tiny": random-init DINOv2-architecture ViT; else a hub id / path (paper: facebook/dinov2-base)
    vit: dict = field(default_factory=lambda: {"hidden": 48, "layers": 1, "heads": 4, "patch": 8, "mlp_ratio": 2, "image_size": None})  # tiny ViT only; image_size: the side its position embeddings are laid out for (None: frame_size; other sides are interpolated)
    lora: dict | None = None  # LoRA on a hub backbone, e.g. {"r": 8, "alpha": 16} (Sec 3.2); None: train it fully
    train_backbone: bool = True  # tiny: trained from scratch in stage 2; hub: only its LoRA
    frame_size: int = 32  # square input side (paper 336, App. C)
    crop: str = "none"  # "none": squash the frame to a square; "center": centre-crop a square first (App. C)
    resize: int | None = None  # side the square frame is resized to before cropping frame_size (App. C: 384 for 336, 256 for 224); None: frame_size
    augment: dict | None = None  # training-time augmentation (App. C), keys of frames.AUGMENT_KEYS, e.g. frames.AUGMENT_PAPER; None: off
    dim: int = 64  # width of the word- and sentence-level transformers (paper silent)
    heads: int = 4
    mlp_ratio: int = 2
    local_depth: int = 2  # word-level local-attention transformer (paper: 4); 0 = no local attention (Tab. 7 row 1)
    local_radius: int = 4  # each frame attends to frames within +-radius (paper silent)
    downsample: int = 4  # nearest-neighbour temporal downsampling step (Sec 3.2): word i = frame 4i
    sentence_depth: int = 2  # sentence-level full-attention transformer (paper: 8)
    coembed_dim: int = 64  # CLIP co-embedding (paper: 768)
    dropout: float = 0.0


@dataclass(frozen=True)
class SignCLConfig:
    """SignCL inner contrastive loss (Ye et al. 2024; public repo JinhuiYE/SignCL, SignCL.py)."""

    weight: float = 1e-2  # lambda of Eq. 2 (Sec 3.2)
    max_distance: float = 32.0  # the softplus pivot on the L1 distance (SignCL default)
    margin: int | str = 8  # negatives: |j - i| > margin frames; "dynamic": the reference training scripts' schedule from frames per text token (losses.dynamic_margin); ours: 8 at 32 frames
    n_pos: int = 2  # positives sampled per anchor among i-1, i+1 (SignCL default)
    n_neg: int = 4  # negatives sampled per anchor (SignCL default); 0 = all
    on: str = "word_frames"  # which sequence it regularises: "word_frames" (local-attention output, frame rate) | "words"
    scale: str = "mean"  # "mean": per-anchor average (ours); "reference": the repo's, which also divides by the batch size (losses.signcl_loss)


@dataclass(frozen=True)
class TextEncoderConfig:
    kind: str = "bow"  # "bow": offline hashed bag-of-n-grams stand-in; "hf": a hub encoder (paper: mBART, Sec 3.2)
    id: str | None = None  # hub id / path for kind="hf", e.g. "facebook/mbart-large-cc25"; "stage1": this dataset's stage-1 LLM (an autoregressive LLM as supervisor, Tab. 7 row 6)
    dim: int = 512  # output width of the bow stand-in
    ngrams: int = 2


@dataclass(frozen=True)
class LLMConfig:
    id: str = "tiny"  # "tiny": a Llama built and trained here; else a hub id (paper PHOENIX: meta-llama/Llama-3.1-8B-Instruct)
    arch: str = "llama"  # the tiny LLM's family: "llama" | "qwen2" (Tab. 6 row 6: another base LLM)
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    intermediate: int = 128
    vocab_size: int = 1024  # tiny byte-level BPE
    lora: dict | None = None  # LoRA for stage 1 / the full-tuning on a hub LLM
    dtype: str = "float32"  # weights of a hub LLM ("bfloat16" for an 8B model on one GPU)


@dataclass(frozen=True)
class Stage1Config:
    """Linguistic continued pretraining (Sec 3.1): next-token prediction on the domain corpus."""

    enabled: bool = True  # the paper skips it for PHOENIX (no German corpus, Sec 4.2); on the default it runs
    gloss_text_pairs: bool = True  # Tab. 6 row 1
    sentences: bool = True  # Tab. 6 row 2 (web & books; here: the training sentences)
    corpus: str | None = None  # a UTF-8 text file, one document per line, added to the corpus (the paper's CSL-Corpus is not public)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=12, batch_size=32, lr=3e-3, weight_decay=0.0))  # paper silent


@dataclass(frozen=True)
class Stage2Config:
    """Visual contrastive pretraining (Sec 3.2): L = L_CLIP + lambda * L_SignCL (Eq. 2)."""

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    text: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    signcl: SignCLConfig = field(default_factory=SignCLConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=20, batch_size=32, lr=2e-3, weight_decay=1e-5))  # paper: 200 ep, bs 128, lr 2e-4
    backbone_from: str | None = None  # reuse (frozen) the frame backbone of this stage-2 variant (budget on the default)


@dataclass(frozen=True)
class Stage3Config:
    """Visual language tuning (Sec 3.3)."""

    encoder_variant: str = "main"  # which stage-2 encoder
    llm_variant: str = "main"  # which stage-1 LLM (Tab. 6 variants)
    connector: str = "mlp"  # "mlp" (two-layer, Sec 3.3) | "linear" (Tab. 8 row 2)
    features: str = "word"  # "word" | "sentence" (penultimate layer of the sentence transformer, Tab. 8 row 1)
    prompting: str = "full"  # "full" (task + format) | "task" (Tab. 8 row 3) | "none" (Tab. 8 row 4)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=10, batch_size=32, lr=1e-3, weight_decay=1e-3))
    full_tune: TrainConfig | None = field(default_factory=lambda: TrainConfig(epochs=1, batch_size=32, lr=1e-5, weight_decay=1e-3))
    full_tune_parts: tuple = ("connector", "llm", "temporal")  # + "backbone" on real runs (LoRA)
    max_new_tokens: int = 40
    patience: int | None = None  # phase A: stop after this many epochs without a better dev BLEU and keep the best (Sec 3.3); None: train.epochs fixed


# The ablations of the default (Tab. 6-8): stage-1 LLM variants, stage-2 encoder variants and stage-3 tuning variants
# (each tuning variant names the LLM / encoder it uses). Encoder variants that keep the main ViT start from the main
# encoder's trained frame backbone (frozen) on the CPU default -- in the paper all start from the same pretrained
# DINOv2 -- params/paper.yaml drops "backbone_from".
LLM_VARIANTS = {
    "no_cpt": {"stage1": {"enabled": False}},  # Tab. 6 row 0
    "gloss_text_only": {"stage1": {"sentences": False}},  # Tab. 6 row 1
    "larger": {"llm": {"hidden": 96, "heads": 6, "intermediate": 192}},  # Tab. 6 row 4
    "other_family": {"llm": {"arch": "qwen2"}},  # Tab. 6 row 6
}
ENCODER_VARIANTS = {
    "no_local_attention": {"encoder": {"local_depth": 0}, "backbone_from": "main"},  # Tab. 7 row 1
    "smaller_backbone": {"encoder": {"vit": {"hidden": 24, "heads": 2}}},  # Tab. 7 row 2
    "lower_resolution": {"encoder": {"frame_size": 24}, "backbone_from": "main"},  # Tab. 7 row 3
    "text_supervisor_llm": {"text": {"kind": "hf", "id": "stage1"}, "backbone_from": "main"},  # Tab. 7 row 6
}
ABLATIONS = {
    "llm_no_cpt": {"llm_variant": "no_cpt"},  # Tab. 6 row 0
    "llm_gloss_text_only": {"llm_variant": "gloss_text_only"},  # Tab. 6 row 1
    "llm_larger": {"llm_variant": "larger"},  # Tab. 6 row 4
    "llm_other_family": {"llm_variant": "other_family"},  # Tab. 6 row 6
    "no_local_attention": {"encoder_variant": "no_local_attention"},  # Tab. 7 row 1
    "smaller_backbone": {"encoder_variant": "smaller_backbone"},  # Tab. 7 row 2
    "lower_resolution": {"encoder_variant": "lower_resolution"},  # Tab. 7 row 3
    "text_supervisor_llm": {"encoder_variant": "text_supervisor_llm"},  # Tab. 7 row 6
    "sentence_features": {"features": "sentence"},  # Tab. 8 row 1
    "linear_connector": {"connector": "linear"},  # Tab. 8 row 2
    "task_prompt_only": {"prompting": "task"},  # Tab. 8 row 3
    "no_prompting": {"prompting": "none"},  # Tab. 8 row 4
}

# The values the paper states (Sec 3.2, 3.3, 4.2); None: the paper is silent, keep the default.
PAPER = {
    "stage2.encoder.backbone": ("facebook/dinov2-base", "Sec 3.2: DINOv2 ViT-B/14 (distilled), [cls] token"),
    "stage2.encoder.lora": ({"r": 8, "alpha": 16}, "Sec 3.2: LoRA rank 8, alpha 16"),
    "stage2.encoder.frame_size": (336, "Sec 3.2 / App. C: 336^2 (resize 384, crop 336)"),
    "stage2.encoder.crop": ("center", "App. C: central square crop"),
    "stage2.encoder.local_depth": (4, "Sec 3.2: local-attention transformer depth 4"),
    "stage2.encoder.downsample": (4, "Sec 3.2: nearest-neighbour downsampling, step 4"),
    "stage2.encoder.sentence_depth": (8, "Sec 3.2: full-attention transformer depth 8"),
    "stage2.encoder.coembed_dim": (768, "Sec 3.2: CLIP co-embedding 768"),
    "stage2.text.kind": ("hf", "Sec 3.2: pretrained text encoder of mBART [75]"),
    "stage2.text.id": ("facebook/mbart-large-cc25", "Sec 3.2: mBART (multilingual)"),
    "stage2.signcl.weight": (1e-2, "Sec 3.2: lambda = 1e-2"),
    "stage2.train.epochs": (200, "Sec 3.2: 200 epochs"),
    "stage2.train.batch_size": (128, "Sec 3.2: batch 128"),
    "stage2.train.lr": (2e-4, "Sec 3.2: max lr 2e-4, one-cycle cosine"),
    "stage2.train.weight_decay": (1e-5, "Sec 3.2: AdamW wd 1e-5"),
    "stage3.connector": ("mlp", "Sec 3.3: two-layer MLP (LLaVA-1.5)"),
    "stage3.train.batch_size": (64, "Sec 3.3: batch 64"),
    "stage3.train.lr": (1e-3, "Sec 3.3: max lr 1e-3, one-cycle cosine"),
    "stage3.train.weight_decay": (1e-3, "Sec 3.3: AdamW wd 1e-3"),
    "stage3.full_tune.lr": (1e-5, "Sec 3.3: further full-tuning with lr 1e-5"),
    "llm.id": ("meta-llama/Llama-3.1-8B-Instruct", "Sec 4.2 (PHOENIX); CSL-Daily: Qwen2.5-7B/14B-Instruct (Tab. 6)"),
    "stage1.enabled": (False, "Sec 4.2: skipped for PHOENIX (no German corpus); on for CSL-Daily"),
}


def _build(cls, data, where: str):
    """A dataclass from a (nested) mapping; unknown keys raise with their dotted path."""
    if isinstance(data, cls):
        return data
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SLTInputError(f"{where} must be a mapping, got {type(data).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SLTInputError(f"unknown key(s) {unknown} in {where}", hint=f"allowed: {sorted(known)}")
    kwargs = {}
    for name, value in data.items():
        sub = NESTED.get((cls, name))
        kwargs[name] = _build(sub, value, f"{where}.{name}") if sub else (tuple(value) if isinstance(value, list) and name.endswith("parts") else value)
    return cls(**kwargs)


NESTED = {
    (Stage1Config, "train"): TrainConfig,
    (Stage2Config, "encoder"): EncoderConfig,
    (Stage2Config, "text"): TextEncoderConfig,
    (Stage2Config, "signcl"): SignCLConfig,
    (Stage2Config, "train"): TrainConfig,
    (Stage3Config, "train"): TrainConfig,
    (Stage3Config, "full_tune"): TrainConfig,
}


def to_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


def merge(base: dict, overrides: dict | None, where: str = "config") -> dict:
    """``base`` with ``overrides`` merged in recursively (mappings merge, other values replace)."""
    out = dict(base)
    for k, v in (overrides or {}).items():
        if k not in out:
            raise SLTInputError(f"unknown key {k!r} in {where}", hint=f"allowed: {sorted(out)}")
        out[k] = merge(out[k], v, f"{where}.{k}") if isinstance(out[k], dict) and isinstance(v, dict) else v
    return out


def with_overrides(cfg, overrides: dict | None, where: str = "config"):
    """A copy of the dataclass ``cfg`` with (nested) ``overrides`` applied; unknown keys are an error."""
    return _build(type(cfg), merge(to_dict(cfg), overrides, where), where)


def stage1_config(d: dict | None = None) -> Stage1Config:
    """The stage-1 config: ``d`` (possibly partial, nested) over the defaults."""
    return with_overrides(Stage1Config(), d, "stage1")


def stage2_config(d: dict | None = None) -> Stage2Config:
    return with_overrides(Stage2Config(), d, "stage2")


def stage3_config(d: dict | None = None) -> Stage3Config:
    return with_overrides(Stage3Config(), d, "stage3")


def llm_config(d: dict | None = None) -> LLMConfig:
    return with_overrides(LLMConfig(), d, "llm")


PARTS = ("llm", "stage1", "stage2", "stage3")


def for_dataset(per_dataset: dict | None, dataset: str, part: str, base):
    """``base`` (the shared config of ``part``: llm, stage1, stage2 or stage3) with the overrides that
    ``per_dataset[dataset][part]`` gives. The paper configures each benchmark apart (Sec 4.2: on PHOENIX-2014T
    Llama-3.1-8B-Instruct without continued pretraining; on CSL-Daily Qwen2.5-7B after it); params say so
    in ``llava_per_dataset``. Unknown parts or keys are an error naming their path."""
    if per_dataset is None:
        return base
    if not isinstance(per_dataset, dict) or not all(isinstance(v, dict) for v in per_dataset.values()):
        raise SLTInputError("llava_per_dataset must map dataset names to {part: overrides}", hint=f"parts: {list(PARTS)}")
    for ds, parts in per_dataset.items():
        unknown = sorted(set(parts) - set(PARTS))
        if unknown:
            raise SLTInputError(f"unknown part(s) {unknown} in llava_per_dataset.{ds}", hint=f"allowed: {list(PARTS)}")
    if part not in PARTS:
        raise SLTInputError(f"unknown part {part!r}", hint=f"allowed: {list(PARTS)}")
    return with_overrides(base, per_dataset.get(dataset, {}).get(part), f"llava_per_dataset.{dataset}.{part}")


# Fields that choose how a stage runs, not what it computes: never part of a stage's key.
RUNTIME_ONLY = {(TrainConfig, "gradient_checkpointing"), (TrainConfig, "backbone_chunk")}
# Fields added later: hashed only away from this value, so stages finished before they existed keep their keys.
HASH_NEUTRAL = {(TrainConfig, "micro_batch_size"): None, (EncoderConfig, "resize"): None, (EncoderConfig, "augment"): None,
                (Stage3Config, "patience"): None}


def hashed(cfg):
    """``to_dict(cfg)`` without :data:`RUNTIME_ONLY` fields and :data:`HASH_NEUTRAL` fields at their neutral value."""
    if not dataclasses.is_dataclass(cfg):
        return cfg
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if (type(cfg), f.name) in RUNTIME_ONLY or ((type(cfg), f.name) in HASH_NEUTRAL and v == HASH_NEUTRAL[type(cfg), f.name]):
            continue
        out[f.name] = hashed(v) if dataclasses.is_dataclass(v) else copy.deepcopy(v)
    return out


def config_hash(*parts) -> str:
    """Hash of configs (dataclasses or JSON-able values): the key that lets a finished stage be skipped (:func:`hashed`)."""
    return params_hash([hashed(p) for p in parts])
