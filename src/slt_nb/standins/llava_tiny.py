"""LLaVA-SLT's embedded default models: a tiny LLM and a tiny DINOv2-architecture ViT, built here.

Nothing can be downloaded on the CPU default, so ``llm.id: tiny`` and ``encoder.backbone: tiny``
(:mod:`slt_nb.llava_slt.config`) build randomly initialised models of the real architectures: the
LLM (Llama or Qwen2, :data:`slt_nb.llava_slt.llm.TINY_ARCHS`) with the stand-ins' offline BPE
tokenizer (:func:`slt_nb.standins.tiny.train_tokenizer`), the ViT with DINOv2's classes. A GPU run
with hub ids never imports this module (:mod:`slt_nb.llava_slt.stage1` and
:func:`slt_nb.llava_slt.encoder.build_backbone` import it only for ``tiny``).
"""

from __future__ import annotations

import torch

from ..errors import SLTInputError
from ..llava_slt.config import EncoderConfig, LLMConfig
from ..llava_slt.llm import CHATML, TINY_ARCHS


def build_tiny_llm(cfg: LLMConfig, texts: list[str], *, seed: int = 0):
    """(model, tokenizer): a randomly initialised tiny LLM of family ``cfg.arch`` (Llama or Qwen2) and a BPE
    tokenizer trained on ``texts``."""
    import transformers

    from .tiny import train_tokenizer

    tok = train_tokenizer(texts, "qwen2_5_vl", vocab_size=cfg.vocab_size)  # ChatML special tokens, eos <|im_end|>
    tok.chat_template = CHATML
    ids = tok.convert_tokens_to_ids
    if cfg.arch not in TINY_ARCHS:
        raise SLTInputError(f"unknown tiny LLM family {cfg.arch!r}", hint=f"choose from {sorted(TINY_ARCHS)}")
    config_cls, model_cls = (getattr(transformers, n) for n in TINY_ARCHS[cfg.arch])
    conf = config_cls(vocab_size=len(tok), hidden_size=cfg.hidden, intermediate_size=cfg.intermediate, num_hidden_layers=cfg.layers,
                       num_attention_heads=cfg.heads, num_key_value_heads=cfg.heads, max_position_embeddings=1024, tie_word_embeddings=True,
                       bos_token_id=None, eos_token_id=ids("<|im_end|>"), pad_token_id=ids("<|endoftext|>"), attn_implementation="sdpa")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(conf)
    model.generation_config.eos_token_id = ids("<|im_end|>")
    model.generation_config.pad_token_id = ids("<|endoftext|>")
    return model, tok


def tiny_backbone(cfg: EncoderConfig):
    """(model, mean, std): a randomly initialised DINOv2-architecture ViT of ``cfg.vit``'s sizes (hidden,
    layers, heads, patch, mlp_ratio; image_size default ``cfg.frame_size``), inputs normalised with 0.5 / 0.5."""
    from transformers import Dinov2Config, Dinov2Model

    v = cfg.vit
    model = Dinov2Model(Dinov2Config(hidden_size=v["hidden"], num_hidden_layers=v["layers"], num_attention_heads=v["heads"],
                                     intermediate_size=v["hidden"] * v.get("mlp_ratio", 2), image_size=v.get("image_size") or cfg.frame_size,
                                     patch_size=v["patch"], attn_implementation="sdpa"))
    return model, (0.5,) * 3, (0.5,) * 3
