"""Clips of one dataset split for the LLaVA-SLT stages: held in memory when small, streamed from disk otherwise.

A :class:`ClipSet` holds one split: ids, texts, glosses, the valid length of every clip and its
frames. The paper's sampler picks at most ``t_max`` frames per clip
(``slt_nb.data.frames.sample_indices``; LLaVA-SLT states no frame budget); each frame is made
square and resized to the *stored* side (:func:`frames.square`: ``resize`` or ``frame_size``) and
kept as uint8. :meth:`ClipSet.batch` turns clips into what an encoder wants (:func:`frames.prepare`:
crop to ``frame_size``, training augmentation), padded to the longest clip of the batch.

Where the frames live (:func:`load_clipset`, ``cache_gb``):

* **in memory** when the split's decoded size (N x t_max x 3 x side^2 bytes) is at most ``cache_gb``:
  one uint8 tensor (N, t_max, 3, side, side), decoded once and cached on disk as one safetensors file
  keyed by the manifest content and the preprocessing (the embedded default: 400 clips of 32 frames
  of 32^2 are 39 MB);
* **streamed** otherwise: :class:`FrameSource` decodes the clips of each batch from the dataset's own
  files when the batch is built (in ``DataLoader`` workers on CUDA: :attr:`ClipSet.workers`); nothing
  of the split is held but the lengths. PHOENIX-2014T train at 64 frames of 384^2 would be 201 GB.

Both give the same frames (the same decoding and resizing), so results do not depend on the choice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import SLTInputError
from ..io import atomic_path
from ..params import params_hash
from .frames import FrameSpec, clip_generator, prepare, square  # noqa: F401 - square: this module's public name before frames.py

CACHE_VERSION = 1
DEFAULT_CACHE_GB = 4.0  # a split up to this size is decoded once and held in memory (and cached on disk)


class FrameSource:
    """Frames decoded on demand from manifest samples: ``clip(i)`` is uint8 (length_i, 3, side, side).

    Indexing like a (N, t_max, 3, side, side) tensor decodes only the clips selected by the first index
    (``frames[:1, :n]`` decodes one clip), so code written for the in-memory tensor keeps working."""

    def __init__(self, samples, t_max: int, side: int, crop: str) -> None:
        from ..data.frames import sample_indices

        self.samples, self.t_max, self.side, self.crop = list(samples), int(t_max), int(side), crop
        self.lengths = torch.tensor([len(sample_indices(s.n_frames, self.t_max)) for s in self.samples], dtype=torch.long)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.samples), self.t_max, 3, self.side, self.side))

    def __len__(self) -> int:
        return len(self.samples)

    def clip(self, i: int) -> torch.Tensor:
        from ..data.frames import load_clip

        clip, _ = load_clip(self.samples[i], self.t_max)  # (<= t_max, H, W, 3)
        return square(torch.from_numpy(clip), self.side, self.crop)

    def __getitem__(self, key) -> torch.Tensor:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) else (key, ())
        picked = torch.arange(len(self))[first]
        one = picked.ndim == 0
        out = torch.zeros(1 if one else len(picked), *self.shape[1:], dtype=torch.uint8)
        for j, i in enumerate(picked.reshape(-1).tolist()):
            c = self.clip(i)
            out[j, : len(c)] = c
        if one:
            return out[0][rest] if rest else out[0]
        return out[(slice(None), *rest)] if rest else out


@dataclass
class ClipSet:
    dataset: str
    split: str
    ids: list[str]
    texts: list[str]
    glosses: list[str | None]
    frames: torch.Tensor | FrameSource  # uint8 (N, T, 3, S, S) zero-padded after each clip's length, or a streaming source
    lengths: torch.Tensor  # (N,) valid frames
    workers: int = 0  # DataLoader workers for batches of this set (streaming on CUDA); 0: in the main process

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def streamed(self) -> bool:
        return isinstance(self.frames, FrameSource)

    @property
    def side(self) -> int:
        return int(self.frames.shape[-1])

    def clip(self, i: int) -> torch.Tensor:
        """uint8 (length_i, 3, side, side): the stored frames of clip ``i``."""
        if self.streamed:
            return self.frames.clip(i)
        return self.frames[i, : int(self.lengths[i])]

    def batch(self, idx, spec: FrameSpec | None = None, *, train: bool = False, epoch: int = 0, seed: int = 0) -> torch.Tensor:
        """uint8 (B, n, 3, S, S) of clips ``idx`` prepared for ``spec`` (None: as stored), n = their longest length.
        ``train``: with the spec's augmentation, drawn per clip from (``seed``, ``epoch``, clip index)."""
        idx = [int(i) for i in idx]
        n = int(self.lengths[idx].max())
        if not self.streamed and (spec is None or (spec.stored == spec.frame_size == self.side and not (train and spec.random()))):
            return self.frames[torch.tensor(idx), :n]  # the stored frames are what the encoder wants
        clips = [self.clip(i) for i in idx]
        if spec is not None:
            clips = [prepare(c, spec, train=train, generator=clip_generator(seed, epoch, i)) for c, i in zip(clips, idx)]
        out = torch.zeros(len(idx), n, *clips[0].shape[1:], dtype=torch.uint8)
        for j, c in enumerate(clips):
            out[j, : len(c)] = c
        return out


def _key(samples, t_max: int, size: int, crop: str) -> str:
    return params_hash([CACHE_VERSION, t_max, size, crop, [(s.id, s.source, s.n_frames, s.start, s.end, s.text) for s in samples]])


def split_bytes(n_clips: int, t_max: int, side: int) -> int:
    """Bytes of a split held in memory: N x t_max x 3 x side^2 (uint8)."""
    return int(n_clips) * int(t_max) * 3 * int(side) ** 2


def load_clipset(samples, *, t_max: int, frame_size: int, crop: str = "none", cache_dir: str | Path | None = None,
                 cache_gb: float | None = DEFAULT_CACHE_GB, workers: int = 0) -> ClipSet:
    """The clips of ``samples`` (one dataset split of manifest :class:`Sample` s) stored at side ``frame_size``.

    In memory (from the cache file when present) when the split takes at most ``cache_gb`` (None: always), else
    streamed (0: always) with ``workers`` loader workers; see the module docstring."""
    from safetensors.torch import load_file, save_file

    samples = list(samples)
    if not samples:
        raise SLTInputError("no samples to load", hint="is the split empty in the manifests?")
    ds, split = samples[0].dataset, samples[0].split
    meta = ([s.id for s in samples], [s.text for s in samples], [s.gloss for s in samples])
    if cache_gb is not None and split_bytes(len(samples), t_max, frame_size) > cache_gb * 1e9:
        source = FrameSource(samples, t_max, frame_size, crop)
        return ClipSet(ds, split, *meta, source, source.lengths, workers=workers)
    path = Path(cache_dir) / f"{ds}.{split}.{_key(samples, t_max, frame_size, crop)}.safetensors" if cache_dir else None
    if path is not None and path.is_file():
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            m = json.loads(fh.metadata()["clips"])
        t = load_file(str(path))
        return ClipSet(ds, split, m["ids"], m["texts"], m["glosses"], t["frames"], t["lengths"])
    source = FrameSource(samples, t_max, frame_size, crop)
    frames = torch.zeros(source.shape, dtype=torch.uint8)
    lengths = torch.zeros(len(samples), dtype=torch.long)
    for i in range(len(samples)):
        clip = source.clip(i)
        frames[i, : len(clip)] = clip
        lengths[i] = len(clip)
    cs = ClipSet(ds, split, *meta, frames, lengths)
    if path is not None:
        m = json.dumps({"ids": cs.ids, "texts": cs.texts, "glosses": cs.glosses}, ensure_ascii=False)
        with atomic_path(path) as tmp:
            save_file({"frames": frames, "lengths": lengths}, str(tmp), metadata={"clips": m})
    return cs


def majority_sentence(texts: list[str]) -> str:
    """The most frequent training sentence (ties: the first seen) -- the majority baseline's answer."""
    if not texts:
        raise SLTInputError("no training sentences for the majority baseline")
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    return max(counts, key=lambda t: counts[t])
