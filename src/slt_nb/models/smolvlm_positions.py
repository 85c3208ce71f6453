"""SmolVLM vision patch positions without a Python loop per frame: same integers, less CPU.

transformers' ``SmolVLMVisionEmbeddings.forward`` (4.57.6) gives each patch of each image a
position id by looping over the images in Python: per image it counts the valid patch rows and
columns, buckets their fractional coordinates (NaViT-style, so a padded or smaller image maps onto
the ``num_patches_per_side``² position grid) and scatters them into the image's valid patches. A
video is one image per frame, so a SmolVLM step pays that loop for every frame of every clip: 64
frames per clip at the paper's T_max (Sec 4.3), and in the tiny models' vision stage
(:mod:`slt_nb.standins.vision_stage`) about a quarter of its CPU time (``make bench``:
``bench_smolvlm_positions``).

:func:`embeddings_forward` computes the same position ids once per distinct (rows, columns) shape
in the batch -- one shape for a batch of video frames -- with the library's own operations in the
library's order (float ``arange`` / count, ``* (1 - 1e-6)``, ``bucketize(right=True)``), then places
them with one masked assignment per shape, in the order the library's loop fills them. The result is
the library's, bit for bit (``tests/test_smolvlm_positions.py`` compares both on padded, partial and
mixed batches, forward and backward).

:func:`ensure_fast_positions` installs it on the class only after checking, on a probe batch of
mixed shapes, that the class's own ``forward`` gives exactly the same embeddings; if the library
changed (a different algorithm, another signature), it leaves the library alone. It changes no
number, so unlike the correctness fixes of :mod:`slt_nb.models.mrope` it is not part of any run's key.
"""

from __future__ import annotations

_ORIGINAL = "_slt_nb_positions_original"  # attribute on the installed forward: the library's function
_STATE: dict[type, str] = {}  # embeddings class -> "fast" | "library"


def position_ids(patch_attention_mask, num_patches_per_side: int, dtype):
    """(B, rows * cols) int64 position ids of the patches of ``patch_attention_mask`` (B, rows, cols) bool.

    Per image: ``n_h`` = valid rows (of its first column), ``n_w`` = valid columns (of its first row);
    row i gets bucket ``bucketize(i / n_h * (1 - 1e-6), boundaries, right=True)``, column j likewise,
    position = bucket_h * ``num_patches_per_side`` + bucket_w, written into the valid patches in
    row-major order; padding patches stay 0. ``dtype``: the pixel values' float dtype, in which the
    library computes the coordinates. Source: transformers ``SmolVLMVisionEmbeddings.forward`` (4.57.6).
    Raises ``RuntimeError`` (as the library's loop would) when an image's valid patches are not n_h * n_w.
    """
    import torch

    mask = patch_attention_mask
    device = mask.device
    batch, rows, cols = mask.shape
    boundaries = torch.arange(1 / num_patches_per_side, 1.0, 1 / num_patches_per_side, device=device)
    out = torch.full((batch, rows * cols), 0, device=device)
    n_h, n_w = mask[:, :, 0].sum(1), mask[:, 0, :].sum(1)  # (B,), (B,)
    flat = mask.reshape(batch, -1)  # (B, rows * cols)
    shapes = torch.stack([n_h, n_w], 1)  # (B, 2)
    for shape in torch.unique(shapes, dim=0):
        h, w = shape[0], shape[1]  # 0-d tensors, as in the library's loop
        fh = torch.arange(h, device=device, dtype=dtype) / h * (1 - 1e-6)
        fw = torch.arange(w, device=device, dtype=dtype) / w * (1 - 1e-6)
        bh = torch.bucketize(fh, boundaries, right=True)
        bw = torch.bucketize(fw, boundaries, right=True)
        ids = (bh[:, None] * num_patches_per_side + bw).flatten()  # (h * w,)
        rows_of_shape = (shapes == shape).all(1).nonzero().flatten()
        sub = flat[rows_of_shape]  # (k, rows * cols)
        if bool((sub.sum(1) != ids.numel()).any()):
            raise RuntimeError(f"an image has {int(sub.sum(1).max())} valid patches but {int(h)} x {int(w)} valid rows x columns")
        block = out[rows_of_shape]
        block[sub] = ids.repeat(len(rows_of_shape))  # row-major within each image, images in batch order
        out[rows_of_shape] = block
    return out


def embeddings_forward(self, pixel_values, patch_attention_mask):
    """Drop-in ``SmolVLMVisionEmbeddings.forward``: (B, 3, H, W) pixels + (B, H/p, W/p) bool patch mask ->
    (B, H/p * W/p, embed_dim) patch embeddings + position embeddings (:func:`position_ids`)."""
    embeddings = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)  # (B, patches, D)
    ids = position_ids(patch_attention_mask, self.num_patches_per_side, pixel_values.dtype)  # (B, patches)
    return embeddings + self.position_embedding(ids)


def _probe(cls):
    """A bare embeddings module of ``cls`` (16 px, 4 px patches) and a batch mixing full, partial and padded images."""
    import torch
    from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = cls(SmolVLMVisionConfig(hidden_size=8, image_size=16, patch_size=4, num_channels=3))
        pixels = torch.randn(5, 3, 16, 16)
    mask = torch.zeros(5, 4, 4, dtype=torch.bool)
    for i, (h, w) in enumerate([(4, 4), (3, 4), (4, 4), (2, 3), (1, 1)]):
        mask[i, :h, :w] = True
    return module, pixels, mask


def library_agrees(cls) -> bool:
    """Whether :func:`embeddings_forward` gives exactly what ``cls.forward`` (the library's) gives on :func:`_probe`."""
    import torch

    original = getattr(cls.forward, _ORIGINAL, cls.forward)
    try:
        module, pixels, mask = _probe(cls)
        with torch.no_grad():
            return torch.equal(original(module, pixels, mask), embeddings_forward(module, pixels, mask))
    except Exception:  # another signature or internals: keep the library's
        return False


def ensure_fast_positions() -> str:
    """Install :func:`embeddings_forward` on transformers' ``SmolVLMVisionEmbeddings`` if it agrees with the
    library's (:func:`library_agrees`); idempotent. Returns ``"fast"`` or ``"library"`` (left alone)."""
    from transformers.models.smolvlm import modeling_smolvlm

    cls = modeling_smolvlm.SmolVLMVisionEmbeddings
    if cls not in _STATE:
        if library_agrees(cls):
            original = cls.forward

            def forward(self, pixel_values, patch_attention_mask):
                return embeddings_forward(self, pixel_values, patch_attention_mask)

            setattr(forward, _ORIGINAL, original)
            forward.__doc__ = embeddings_forward.__doc__
            cls.forward = forward
            _STATE[cls] = "fast"
        else:
            _STATE[cls] = "library"
    return _STATE[cls]
