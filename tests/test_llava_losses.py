"""LLaVA-SLT's two contrastive losses on inputs whose answer is known by hand."""

from __future__ import annotations

import math

import pytest
import torch

from slt_nb.errors import SLTInputError
from slt_nb.llava_slt.losses import clip_loss, signcl_loss


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_signcl_hand_computed_on_a_line():
    # 1-D embeddings 0, 32, 64 (L1 distances 32 between neighbours, 64 across), pivot D = 32, margin 1:
    # positives (|i-j| = 1) all at distance 32 -> softplus(32 - 32) = ln 2 for every anchor;
    # negatives (|i-j| > 1): only the pair (0, 2) at distance 64 -> softplus(32 - 64) = softplus(-32).
    x = torch.tensor([[[0.0], [32.0], [64.0]]])
    got = signcl_loss(x, max_distance=32.0, margin=1)
    assert got.item() == pytest.approx(math.log(2) + softplus(-32.0), abs=1e-6)


def test_signcl_hand_computed_two_dims_and_padding():
    # Clip 1 (4 frames, 2-D): e0=(0,0), e1=(10,0), e2=(10,20), e3=(40,20); D = 32, margin 2.
    # Positive pairs (anchor-wise means): d01=10, d12=20, d23=30
    #   anchor 0: sp(10-32); anchor 1: (sp(10-32)+sp(20-32))/2; anchor 2: (sp(20-32)+sp(30-32))/2; anchor 3: sp(30-32)
    # Negatives (|i-j| > 2): only (0, 3), d03 = 40+20 = 60 -> anchors 0 and 3: sp(32-60) each.
    # Clip 2 is padding beyond its length 1: it has no pairs and must not count.
    a = torch.tensor([[0.0, 0.0], [10.0, 0.0], [10.0, 20.0], [40.0, 20.0]])
    x = torch.stack([a, torch.full_like(a, 1e3)])
    got = signcl_loss(x, torch.tensor([4, 1]), max_distance=32.0, margin=2)
    sp = softplus
    pos = (sp(-22) + (sp(-22) + sp(-12)) / 2 + (sp(-12) + sp(-2)) / 2 + sp(-2)) / 4
    neg = sp(-28)
    assert got.item() == pytest.approx(pos + neg, rel=1e-6)


def test_signcl_pulls_neighbours_and_pushes_far_frames():
    x = torch.randn(2, 12, 8, requires_grad=True)
    loss = signcl_loss(x, max_distance=32.0, margin=3, n_pos=2, n_neg=4, generator=torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss) and x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(SLTInputError, match="margin"):
        signcl_loss(x, margin=0)


def test_clip_loss_two_by_two_known_value():
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # matched: logits = s * I -> each row's CE = log(1 + e^-s); shuffled: logits = s * (1 - I) -> log(1 + e^s)
    for s in (1.0, 2.5):
        assert clip_loss(v, v, s).item() == pytest.approx(math.log1p(math.exp(-s)), abs=1e-6)
        assert clip_loss(v, v.flip(0), s).item() == pytest.approx(math.log1p(math.exp(s)), abs=1e-6)


def test_clip_loss_matched_lower_than_shuffled_and_duplicates_are_positives():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(8, 16, generator=g)
    v = t + 0.1 * torch.randn(8, 16, generator=g)
    perm = torch.roll(torch.arange(8), 1)
    assert clip_loss(v, t, 10.0) < clip_loss(v[perm], t, 10.0)
    # two clips with the same sentence: swapping them costs nothing when they are marked as the same text
    t2 = t.clone()
    t2[1] = t2[0]
    ids = torch.tensor([0, 0, 2, 3, 4, 5, 6, 7])
    swapped = v.clone()
    swapped[[0, 1]] = swapped[[1, 0]]
    assert clip_loss(swapped, t2, 10.0, ids).item() == pytest.approx(clip_loss(v, t2, 10.0, ids).item(), rel=1e-5)
    with pytest.raises(SLTInputError, match="same shape"):
        clip_loss(v, t[:, :3], 1.0)


@pytest.mark.parametrize(
    "frames, tokens, want",
    [
        (200, 20, 50),  # int((200 // 20 + 1) * 2.3) = 25 -> 50, under the cap (200 - 30) / 2 = 85
        (64, 16, 17),  # max(10, int(5 * 2.3) = 11) * 2 = 22, capped at (64 - 30) / 2 = 17
        (300, 10, 135),  # max(10, int(31 * 2.3) = 71) * 2 = 142, capped at 135
        (40, 40, 5),  # max(10, 2) * 2 = 20, capped at (40 - 30) / 2 = 5
        (20, 5, 1),  # the cap goes negative: at least 1
    ],
)
def test_dynamic_margin_is_the_reference_schedule(frames, tokens, want):
    from slt_nb.llava_slt.losses import dynamic_margin

    expected = max(1, min(max(10, int((frames // tokens + 1) * 2.3)) * 2, int((frames - 30) / 2)))  # train_vlp_SignCL.py, verbatim
    assert dynamic_margin(frames, tokens) == expected == want


def test_reference_scale_divides_the_mean_by_the_batch_size():
    from slt_nb.llava_slt.losses import signcl_loss

    x = torch.randn(3, 12, 5, generator=torch.Generator().manual_seed(0)) * 10
    mean = signcl_loss(x, margin=3, scale="mean")
    ref = signcl_loss(x, margin=3, scale="reference")
    assert torch.allclose(ref, mean / 3)
    with pytest.raises(SLTInputError, match="scale"):
        signcl_loss(x, margin=3, scale="sum")
