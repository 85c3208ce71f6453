"""Clips as tensors for the LLaVA-SLT stages, decoded once and cached (safetensors).

A :class:`ClipSet` holds one dataset split: the paper's sampler picks at most ``t_max`` frames
per clip (``slt_nb.data.frames.sample_indices``; LLaVA-SLT does not state a frame budget), each
frame is made square (``crop="center"``: central square crop as App. C; ``"none"``: squashed)
and resized to ``frame_size`` (antialiased bilinear), and kept as uint8 (N, t_max, 3, S, S)
with the valid length of every clip. The cache file is keyed by the manifest content and the
preprocessing, so a changed manifest or size is decoded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import SLTInputError
from ..io import atomic_path
from ..params import params_hash

CACHE_VERSION = 1


@dataclass
class ClipSet:
    dataset: str
    split: str
    ids: list[str]
    texts: list[str]
    glosses: list[str | None]
    frames: torch.Tensor  # uint8 (N, T, 3, S, S), zero-padded after each clip's length
    lengths: torch.Tensor  # (N,) valid frames

    def __len__(self) -> int:
        return len(self.ids)


def square(frames: torch.Tensor, size: int, crop: str) -> torch.Tensor:
    """uint8 (T, H, W, 3) -> uint8 (T, 3, size, size)."""
    x = frames.permute(0, 3, 1, 2).float()
    if crop == "center":
        h, w = x.shape[-2:]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        x = x[..., top : top + s, left : left + s]
    elif crop != "none":
        raise SLTInputError(f"unknown crop {crop!r}", hint="choose 'none' or 'center'")
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8)


def _key(samples, t_max: int, size: int, crop: str) -> str:
    return params_hash([CACHE_VERSION, t_max, size, crop, [(s.id, s.source, s.n_frames, s.start, s.end, s.text) for s in samples]])


def load_clipset(samples, *, t_max: int, frame_size: int, crop: str = "none", cache_dir: str | Path | None = None) -> ClipSet:
    """The clips of ``samples`` (one dataset split of manifest :class:`Sample` s), from the cache when present."""
    from safetensors.torch import load_file, save_file

    from ..data.frames import load_clip

    samples = list(samples)
    if not samples:
        raise SLTInputError("no samples to load", hint="is the split empty in the manifests?")
    ds, split = samples[0].dataset, samples[0].split
    path = Path(cache_dir) / f"{ds}.{split}.{_key(samples, t_max, frame_size, crop)}.safetensors" if cache_dir else None
    if path is not None and path.is_file():
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            meta = json.loads(fh.metadata()["clips"])
        t = load_file(str(path))
        return ClipSet(ds, split, meta["ids"], meta["texts"], meta["glosses"], t["frames"], t["lengths"])
    frames = torch.zeros(len(samples), t_max, 3, frame_size, frame_size, dtype=torch.uint8)
    lengths = torch.zeros(len(samples), dtype=torch.long)
    for i, s in enumerate(samples):
        clip, _ = load_clip(s, t_max)  # (<= t_max, H, W, 3)
        frames[i, : len(clip)] = square(torch.from_numpy(clip), frame_size, crop)
        lengths[i] = len(clip)
    cs = ClipSet(ds, split, [s.id for s in samples], [s.text for s in samples], [s.gloss for s in samples], frames, lengths)
    if path is not None:
        meta = json.dumps({"ids": cs.ids, "texts": cs.texts, "glosses": cs.glosses}, ensure_ascii=False)
        with atomic_path(path) as tmp:
            save_file({"frames": frames, "lengths": lengths}, str(tmp), metadata={"clips": meta})
    return cs


def majority_sentence(texts: list[str]) -> str:
    """The most frequent training sentence (ties: the first seen) -- the majority baseline's answer."""
    if not texts:
        raise SLTInputError("no training sentences for the majority baseline")
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    return max(counts, key=lambda t: counts[t])  # dicts keep insertion order: max returns the first of a tie
