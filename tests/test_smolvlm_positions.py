"""slt_nb.models.smolvlm_positions: the vectorised SmolVLM patch positions equal the library's loop, bit for bit."""

from __future__ import annotations

import pytest
import torch

from slt_nb.models import smolvlm_positions as sp


def _library_cls():
    from transformers.models.smolvlm import modeling_smolvlm

    return modeling_smolvlm.SmolVLMVisionEmbeddings


def _library_forward():
    cls = _library_cls()
    return getattr(cls.forward, sp._ORIGINAL, cls.forward)


def _module(image_size: int, patch: int, hidden: int = 8):
    from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig

    torch.manual_seed(0)
    return _library_cls()(SmolVLMVisionConfig(hidden_size=hidden, image_size=image_size, patch_size=patch, num_channels=3))


def _mask(side: int, shapes: list[tuple[int, int]]):
    m = torch.zeros(len(shapes), side, side, dtype=torch.bool)
    for i, (h, w) in enumerate(shapes):
        m[i, :h, :w] = True
    return m


# (image side px, patch px, valid (rows, cols) of each image's patch grid)
CASES = {
    "video frames, all full": (32, 8, [(4, 4)] * 6),
    "one partial shape": (32, 8, [(3, 4)] * 3),
    "mixed shapes and a full image": (32, 8, [(4, 4), (3, 4), (4, 2), (1, 1), (4, 4), (3, 4)]),
    "an image with no valid patch": (32, 8, [(4, 4), (0, 0)]),
    "real SmolVLM2 grid (384 px, 14 px patches): PHOENIX-like 23 x 27": (384, 14, [(23, 27), (27, 27), (23, 27)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_embeddings_and_gradients_as_library(name):
    side, patch, shapes = CASES[name]
    module = _module(side, patch)
    grid = side // patch
    torch.manual_seed(1)
    pixels = torch.randn(len(shapes), 3, side, side)
    mask = _mask(grid, shapes)

    lib = _library_forward()(module, pixels, mask)
    lib.square().sum().backward()
    lib_grads = [p.grad.clone() for p in module.parameters()]
    module.zero_grad()

    fast = sp.embeddings_forward(module, pixels, mask)
    fast.square().sum().backward()
    assert torch.equal(lib, fast)
    for a, p in zip(lib_grads, module.parameters()):
        assert torch.equal(a, p.grad)


def test_position_ids_known_values():
    # 2 x 2 valid patches of a 4 x 4 grid (num_patches_per_side 4): coordinates 0, 0.5 * (1 - 1e-6) fall in
    # buckets 0, 1 of the boundaries 0.25, 0.5, 0.75; placed at flat positions 0, 1, 4, 5; padding stays 0
    mask = _mask(4, [(2, 2)])
    ids = sp.position_ids(mask, 4, torch.float32)
    assert ids.tolist() == [[0, 1, 0, 0, 4, 5, 0, 0] + [0] * 8]


def test_non_rectangular_mask_filled_in_row_major_order_like_the_library():
    module = _module(32, 8)
    mask = torch.zeros(1, 4, 4, dtype=torch.bool)
    mask[0, 0, 0] = mask[0, 1, 0] = mask[0, 0, 1] = mask[0, 3, 3] = True  # n_h 2 (column 0), n_w 2 (row 0): 4 valid, not a rectangle
    pixels = torch.randn(1, 3, 32, 32)
    assert torch.equal(_library_forward()(module, pixels, mask), sp.embeddings_forward(module, pixels, mask))


def test_inconsistent_mask_raises_as_the_library_does():
    module = _module(32, 8)
    mask = _mask(4, [(2, 2)])
    mask[0, 3, 3] = True  # 5 valid patches for 2 x 2 rows x columns
    pixels = torch.randn(1, 3, 32, 32)
    with pytest.raises(RuntimeError):
        _library_forward()(module, pixels, mask)
    with pytest.raises(RuntimeError):
        sp.embeddings_forward(module, pixels, mask)


def test_installed_through_the_family_and_left_alone_when_the_library_differs():
    from slt_nb.models.registry import get_family

    get_family("smolvlm").resolve_classes()
    cls = _library_cls()
    assert sp.ensure_fast_positions() == "fast"
    assert getattr(cls.forward, sp._ORIGINAL, None) is not None  # installed, the library's function kept

    class Changed(cls):  # a library whose algorithm differs: the probe must refuse to replace it
        def forward(self, pixel_values, patch_attention_mask):
            return sp.embeddings_forward(self, pixel_values, patch_attention_mask) + 1.0

    assert sp.library_agrees(Changed) is False
