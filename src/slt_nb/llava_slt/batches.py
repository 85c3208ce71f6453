"""Batches of the LLaVA-SLT stages: shuffled sample indices (with their epoch) that a stage's collate
function turns into tensors, and micro-batches that :func:`slt_nb.llava_slt.train.fit` accumulates to
the configured batch size (App. C's batches on a smaller GPU)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader

from ..errors import SLTInputError
from .config import TrainConfig


class Draw(list):
    """The sample indices of one batch (a list) and the ``epoch`` they were drawn in (for per-epoch augmentation)."""

    epoch: int = 0


class _Indices(torch.utils.data.Dataset):
    """0..n-1 with the current epoch (``set_epoch``: accelerate's prepared loader calls it before every pass)."""

    def __init__(self, n: int) -> None:
        self.n, self.epoch = n, 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[int, int]:
        return int(i), self.epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)


class _Collate:
    def __init__(self, collate: Callable) -> None:
        self.collate = collate

    def __call__(self, items):
        d = Draw(i for i, _ in items)
        d.epoch = items[0][1] if items else 0
        return self.collate(d)


def index_loader(n: int, batch_size: int, collate: Callable, *, shuffle: bool, seed: int, workers: int = 0) -> DataLoader:
    """Batches of sample indices (a :class:`Draw`) turned into tensors by ``collate``, which loads what it needs
    (tensors in memory, or clips streamed from disk in ``workers`` worker processes)."""
    if n == 0:
        raise SLTInputError("no training samples")
    g = torch.Generator().manual_seed(seed)
    extra = {"num_workers": workers, "pin_memory": torch.cuda.is_available(), "prefetch_factor": 2} if workers else {}
    return DataLoader(_Indices(n), batch_size=max(1, min(batch_size, n)), shuffle=shuffle, generator=g, collate_fn=_Collate(collate), **extra)


def micro_batch(tc: TrainConfig) -> int:
    """Clips per forward pass: ``micro_batch_size`` (at most ``batch_size``, and dividing it), else ``batch_size``."""
    if tc.micro_batch_size is None or tc.micro_batch_size >= tc.batch_size:
        return tc.batch_size
    if tc.micro_batch_size < 1 or tc.batch_size % tc.micro_batch_size:
        raise SLTInputError(f"micro_batch_size {tc.micro_batch_size} must divide batch_size {tc.batch_size}",
                            hint="e.g. a power of two for a power-of-two batch size")
    return tc.micro_batch_size


def train_loader(n: int, tc: TrainConfig, collate: Callable, *, seed: int, workers: int = 0) -> DataLoader:
    """The shuffled training loader of ``tc``: micro-batches, which :func:`fit` accumulates to ``batch_size``."""
    return index_loader(n, micro_batch(tc), collate, shuffle=True, seed=seed, workers=workers)


def accumulation_groups(loader, accum: int):
    """Consecutive micro-batches of one epoch, ``accum`` at a time (the last group may be shorter)."""
    group = []
    for b in loader:
        group.append(b)
        if len(group) == accum:
            yield group
            group = []
    if group:
        yield group
