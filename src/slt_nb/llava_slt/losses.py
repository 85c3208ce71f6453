"""The two contrastive losses of visual pretraining (Sec 3.2, Eq. 2): L_CL = L_CLIP + lambda * L_SignCL.

**CLIP** (Radford et al. 2021): symmetric cross-entropy over the cosine-similarity matrix of
L2-normalised video and text embeddings, scaled by ``logit_scale`` (= 1/temperature):

    logits = s * V T^T;   L = (CE(logits, targets) + CE(logits^T, targets)) / 2

With ``text_ids``, clips whose texts are identical are all positives of each other (the target
row is uniform over them) instead of false negatives -- PHOENIX repeats sentences such as
"guten abend liebe zuschauer ." (ours; the paper does not say how it treats duplicates).

**SignCL** (Ye et al. 2024, "Improving gloss-free SLT by reducing representation density"; the
public repo JinhuiYE/SignCL defines it): for an anchor frame i of one clip, the neighbouring
frames i-1, i+1 are positives and frames j with |j - i| > margin are negatives; with the L1
distance d and a pivot D (32 by default)

    l_i = mean_pos softplus(d(x_i, x_p) - D) + mean_neg softplus(D - d(x_i, x_n))

Positives are pulled within ~D, negatives pushed beyond ~D. Ours differs from the repo's loop in
being deterministic given a ``torch.Generator``, in skipping padding, and in averaging: the positive
and negative terms are each averaged over the anchors that have any, then added (``scale="mean"``).
The repo sums per-anchor terms (each a mean over the batch) and divides by ``B * (T - 4)``: the loss
is then the per-anchor mean divided by the batch size B, which ``scale="reference"`` reproduces
(with lambda = 1e-2 the SignCL term weighs B times less than under "mean"). The repo's training
scripts (examples/GFSLT-VLP/train_*_SignCL.py) also set the margin per batch from the frames per
text token, :func:`dynamic_margin`. ``n_pos``/``n_neg`` = 0 uses every positive/negative (what the
hand-checked tests use).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..errors import SLTInputError

CLIP_INIT_SCALE = math.log(1 / 0.07)  # CLIP's initial temperature 0.07
CLIP_MAX_SCALE = math.log(100.0)  # CLIP clamps the logit scale at 100


def clip_loss(video: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor | float, text_ids=None) -> torch.Tensor:
    """Symmetric CLIP loss of (B, D) video and text embeddings (normalised here).

    ``logit_scale`` is the multiplier itself (CLIP's ``exp(t)``), e.g. 1.0 or 1/0.07.
    ``text_ids``: optional (B,) ids; equal ids are treated as positives of each other.
    """
    if video.ndim != 2 or video.shape != text.shape:
        raise SLTInputError(f"clip_loss needs two (B, D) tensors of the same shape, got {tuple(video.shape)} and {tuple(text.shape)}")
    v = F.normalize(video, dim=-1)
    t = F.normalize(text, dim=-1)
    logits = logit_scale * v @ t.T
    if text_ids is None:
        target = torch.arange(len(v), device=v.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
    ids = torch.as_tensor(text_ids, device=v.device)
    same = (ids[:, None] == ids[None, :]).float()
    target = same / same.sum(1, keepdim=True)  # symmetric: rows and columns are the same sets
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def _pick(mask: torch.Tensor, k: int, generator) -> torch.Tensor:
    """Keep at most ``k`` True entries per row of a (N, N) bool mask, chosen at random (k=0: all)."""
    if k <= 0:
        return mask
    noise = torch.rand(mask.shape, generator=generator, device="cpu").to(mask.device)
    score = torch.where(mask, noise, torch.full_like(noise, -1.0))
    kth = score.topk(min(k, mask.shape[1]), dim=1).values[:, -1:]
    return mask & (score >= kth)


def dynamic_margin(n_frames: int, n_text_tokens: int, n_negative: int = 30) -> int:
    """The SignCL margin of the reference training scripts (JinhuiYE/SignCL, train_vlp_SignCL.py):
    ``max(10, int((T // L + 1) * 2.3)) * 2`` frames for T frames and L text tokens (the batch's padded
    maxima), capped at ``(T - n_negative) / 2`` so that negatives remain; never below 1."""
    if n_frames < 1 or n_text_tokens < 1:
        raise SLTInputError(f"dynamic_margin needs positive frame and token counts, got {n_frames} and {n_text_tokens}")
    margin = max(10, int((n_frames // n_text_tokens + 1) * 2.3)) * 2
    return max(1, min(margin, int((n_frames - n_negative) / 2)))


def signcl_loss(
    x: torch.Tensor,
    lengths=None,
    *,
    max_distance: float = 32.0,
    margin: int = 20,
    n_pos: int = 0,
    n_neg: int = 0,
    generator: torch.Generator | None = None,
    scale: str = "mean",
) -> torch.Tensor:
    """SignCL on a (B, T, D) sequence (see the module docstring); ``lengths``: valid frames per clip.
    ``scale``: "mean" (ours) or "reference" (divided by B as the public code does)."""
    if scale not in ("mean", "reference"):
        raise SLTInputError(f"unknown SignCL scale {scale!r}", hint="choose 'mean' or 'reference'")
    if x.ndim != 3:
        raise SLTInputError(f"signcl_loss needs a (B, T, D) tensor, got shape {tuple(x.shape)}")
    if margin < 1:
        raise SLTInputError(f"the SignCL margin must be >= 1 frame, got {margin}", hint="negatives are frames farther than the margin")
    B, T, _ = x.shape
    lengths = torch.full((B,), T, dtype=torch.long) if lengths is None else torch.as_tensor(lengths, dtype=torch.long).cpu()
    idx = torch.arange(T)
    gap = (idx[:, None] - idx[None, :]).abs()
    pos_terms, neg_terms = [], []
    for b in range(B):
        n = int(lengths[b])
        if n < 2:
            continue
        d = torch.cdist(x[b, :n], x[b, :n], p=1)  # (n, n) L1 distances
        g = gap[:n, :n].to(x.device)
        pos = _pick(g == 1, n_pos, generator)
        neg = _pick(g > margin, n_neg, generator)
        has_pos, has_neg = pos.any(1), neg.any(1)
        if has_pos.any():
            lp = (F.softplus(d - max_distance) * pos).sum(1) / pos.sum(1).clamp(min=1)
            pos_terms.append(lp[has_pos])
        if has_neg.any():
            ln = (F.softplus(max_distance - d) * neg).sum(1) / neg.sum(1).clamp(min=1)
            neg_terms.append(ln[has_neg])
    zero = x.sum() * 0.0  # keeps the graph when a batch has no pairs (all clips too short)
    lp = torch.cat(pos_terms).mean() if pos_terms else zero
    ln = torch.cat(neg_terms).mean() if neg_terms else zero
    return (lp + ln) / (B if scale == "reference" else 1)
