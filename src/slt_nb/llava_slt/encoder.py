"""The hierarchical visual encoder (Sec 3.2, Fig. 4): frame level -> word level -> sentence level.

* **frame level**: a ViT backbone's [cls] token per frame (paper: DINOv2 ViT-B/14 distilled, LoRA
  r=8 alpha=16; default: a randomly initialised DINOv2-architecture ViT of tiny size, trained
  fully), projected to ``dim``;
* **word level**: a local-attention transformer (each frame attends to frames within
  ``local_radius``; paper depth 4), then nearest-neighbour temporal downsampling by ``downsample``
  (4): word k is frame 4k, so T frames give **ceil(T / 4)** words;
* **sentence level**: a full-attention transformer (paper depth 8) over a learned query token
  followed by the words; the query token's output, projected to the co-embedding (768), is the
  sentence vector aligned with the text by the CLIP loss.

Where the extracted paper text is silent (it is cut inside Sec 3.2) the choices are ours: pre-norm
blocks with rotary position embeddings (the paper cites RoFormer [90] in Sec 3.2), GELU MLP,
the local window, the widths. ``local_depth=0`` removes the local-attention transformer: the
projected frame features go straight to downsampling and the sentence transformer (Tab. 7 row 1;
the downsampling is kept so the LLM receives as many visual tokens as in the full model).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import SLTInputError
from .config import EncoderConfig

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def rotary(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding on (B, H, N, Dh) with positions (N,) (rotate-half form)."""
    dh = x.shape[-1]
    inv = 1.0 / (10000 ** (torch.arange(0, dh, 2, device=x.device, dtype=torch.float32) / dh))
    ang = positions.to(torch.float32)[:, None] * inv[None, :]  # (N, Dh/2)
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1).to(x.dtype), torch.cat([ang.sin(), ang.sin()], -1).to(x.dtype)
    x1, x2 = x[..., : dh // 2], x[..., dh // 2 :]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Block(nn.Module):
    """Pre-norm transformer block with rotary self-attention and a boolean attention mask."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % heads or (dim // heads) % 2:
            raise SLTInputError(f"dim {dim} must split into {heads} heads of even width")
        self.heads, self.dropout = heads, dropout
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # mask: (B, 1, N, N), True = attend
        B, N, D = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, N, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        pos = torch.arange(N, device=x.device)
        q, k = rotary(q, pos), rotary(k, pos)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        x = x + self.out(a.transpose(1, 2).reshape(B, N, D))
        return x + self.mlp(self.norm2(x))


def attention_mask(lengths: torch.Tensor, n: int, radius: int | None = None) -> torch.Tensor:
    """(B, 1, n, n) bool: key j is valid (j < length) and, with ``radius``, |i - j| <= radius.

    The diagonal is always allowed so padded query rows stay finite (they are ignored later).
    """
    idx = torch.arange(n, device=lengths.device)
    valid = idx[None, :] < lengths[:, None]  # (B, n)
    m = valid[:, None, :].expand(-1, n, -1)
    if radius is not None:
        m = m & ((idx[:, None] - idx[None, :]).abs() <= radius)[None]
    return (m | torch.eye(n, dtype=torch.bool, device=lengths.device)[None])[:, None]


@dataclass
class EncoderOutput:
    frames: torch.Tensor  # (B, T, dim) projected frame-level features
    word_frames: torch.Tensor  # (B, T, dim) local-attention output at frame rate (= frames without local attention)
    words: torch.Tensor  # (B, W, dim) word-level tokens, W = ceil(T / downsample)
    word_lengths: torch.Tensor  # (B,) valid words per clip = ceil(length / downsample)
    sentence_tokens: torch.Tensor  # (B, W, dim) words after the sentence transformer's penultimate layer
    sentence: torch.Tensor  # (B, coembed_dim) the query token's output, projected


def build_backbone(cfg: EncoderConfig):
    """(module mapping pixel_values (N, 3, S, S) -> (N, C) [cls] features, C, mean, std)."""
    if cfg.backbone == "tiny":  # the embedded default: a randomly initialised DINOv2-architecture ViT (stand-in)
        from ..standins.llava_tiny import tiny_backbone

        model, mean, std = tiny_backbone(cfg)
    else:  # a pretrained DINOv2 by hub id or local path (needs the hub or a local copy)
        from transformers import AutoModel

        model = AutoModel.from_pretrained(cfg.backbone)
        mean, std = IMAGENET_MEAN, IMAGENET_STD
        if cfg.lora:
            from peft import LoraConfig, get_peft_model

            lc = LoraConfig(r=cfg.lora["r"], lora_alpha=cfg.lora["alpha"], lora_dropout=cfg.lora.get("dropout", 0.0),
                            target_modules=cfg.lora.get("target_modules", ["query", "value"]))
            model = get_peft_model(model, lc)
    return model, model.config.hidden_size, mean, std


class HierarchicalEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        if cfg.downsample < 1:
            raise SLTInputError(f"downsample must be >= 1, got {cfg.downsample}")
        self.cfg = cfg
        self.backbone, c, mean, std = build_backbone(cfg)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        d = cfg.dim
        self.frame_proj = nn.Sequential(nn.Linear(c, d), nn.LayerNorm(d))
        self.local = nn.ModuleList(Block(d, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.local_depth))
        self.query = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.sentence_blocks = nn.ModuleList(Block(d, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.sentence_depth))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.coembed_dim)

    # ---- frame level ----------------------------------------------------------------------
    chunk: int | None = None  # frames per backbone forward (runtime: TrainConfig.backbone_chunk); None: all at once

    def backbone_trains(self) -> bool:
        return any(p.requires_grad for p in self.backbone.parameters())

    def _cls(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 (M, 3, S, S) -> (M, C) [cls] features (normalised here, so a checkpoint keeps only the uint8 input)."""
        px = (frames.float() / 255.0 - self.mean) / self.std
        return self.backbone(pixel_values=px).pooler_output  # the [cls] token (after the final norm)

    def frame_features(self, frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """uint8 frames (B, T, 3, S, S) -> backbone [cls] features (B, T, C); only valid frames are encoded.

        With :attr:`chunk`, ``chunk`` frames per backbone forward; when the backbone trains, each chunk is
        activation-checkpointed (only its uint8 input is kept; the forward is recomputed in the backward pass),
        so the backbone's activation memory is one chunk's whatever the batch. A frozen backbone runs without
        autograd (nothing upstream of it trains)."""
        B, T = frames.shape[:2]
        valid = torch.arange(T, device=frames.device)[None] < lengths.to(frames.device)[:, None]
        x = frames[valid]
        grad = torch.is_grad_enabled() and self.backbone_trains()
        with torch.set_grad_enabled(grad):
            if self.chunk is None or self.chunk >= len(x):
                out = self._cls(x)
            else:
                from torch.utils.checkpoint import checkpoint

                parts = [x[i : i + self.chunk] for i in range(0, len(x), self.chunk)]
                out = torch.cat([checkpoint(self._cls, p, use_reentrant=False) if grad else self._cls(p) for p in parts])
        feats = out.new_zeros(B, T, out.shape[-1])
        feats[valid] = out
        return feats

    # ---- word and sentence level ----------------------------------------------------------------
    def temporal(self, feats: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """Backbone features (B, T, C) -> the word and sentence levels."""
        lengths = lengths.to(feats.device)
        B, T, _ = feats.shape
        x = self.frame_proj(feats)
        frames = x
        if self.local:
            m = attention_mask(lengths, T, self.cfg.local_radius)
            for blk in self.local:
                x = blk(x, m)
        word_frames = x
        r = self.cfg.downsample
        words = word_frames[:, ::r]  # nearest neighbour: word k <- frame r*k
        word_lengths = torch.div(lengths + r - 1, r, rounding_mode="floor")  # ceil(length / r)
        s = torch.cat([self.query.expand(B, -1, -1), words], 1)
        m = attention_mask(word_lengths + 1, s.shape[1])
        penultimate = s
        for i, blk in enumerate(self.sentence_blocks):
            if i == len(self.sentence_blocks) - 1:
                penultimate = s
            s = blk(s, m)
        sentence = self.head(self.norm(s[:, 0]))
        return EncoderOutput(frames, word_frames, words, word_lengths, penultimate[:, 1:], sentence)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        return self.temporal(self.frame_features(frames, lengths), lengths)

    def temporal_parameters(self):
        """Everything but the frame backbone (the parts a frozen-backbone run trains)."""
        return [p for n, p in self.named_parameters() if not n.startswith("backbone.")]


def word_count(n_frames: int, downsample: int = 4) -> int:
    """Words the hierarchy gives for ``n_frames`` frames: ceil(n / downsample)."""
    return -(-int(n_frames) // int(downsample))
