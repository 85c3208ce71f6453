"""Which samples share an optimizer step: length-grouped groups, and what padding they cost.

:func:`length_grouped` follows the idea of transformers' ``LengthGroupedSampler``: shuffle
(seeded), cut into mega-batches of ``mega`` groups, sort each mega-batch by length (longest
first) and cut it into groups, so a group's samples have similar lengths and a padded
micro-batch wastes little; over epochs every sample is used equally often. Both training
configurations of :mod:`.train_step` get the same groups, so their losses can be compared step
by step: the paper's configuration runs a group as ``grad_accum`` micro-batches of 1, the
optimised one as one padded micro-batch.
"""

from __future__ import annotations

import numpy as np


def length_grouped(lengths: list[int], n_groups: int, group_size: int, *, mega: int = 8, seed: int = 0) -> list[list[int]]:
    """``n_groups`` groups of ``group_size`` sample indices, cycling through epochs of ``lengths``."""
    if group_size > len(lengths):
        raise ValueError(f"group size {group_size} exceeds the {len(lengths)} samples")
    rng = np.random.default_rng(seed)
    groups: list[list[int]] = []
    while len(groups) < n_groups:
        perm = rng.permutation(len(lengths)).tolist()
        perm = perm[: len(perm) - len(perm) % group_size]  # drop the last incomplete group of the epoch
        chunk = mega * group_size
        for start in range(0, len(perm), chunk):
            block = sorted(perm[start:start + chunk], key=lambda i: -lengths[i])
            groups += [block[j:j + group_size] for j in range(0, len(block), group_size)]
    return groups[:n_groups]


def random_groups(n_samples: int, n_groups: int, group_size: int, *, seed: int = 0) -> list[list[int]]:
    """Groups in plain shuffled order (no length grouping), for the padding comparison."""
    rng = np.random.default_rng(seed)
    out: list[list[int]] = []
    while len(out) < n_groups:
        perm = rng.permutation(n_samples).tolist()
        out += [perm[j:j + group_size] for j in range(0, len(perm) - group_size + 1, group_size)]
    return out[:n_groups]


def padding_fraction(lengths: list[int], groups: list[list[int]]) -> float:
    """Share of the padded tokens of micro-batches made of ``groups`` that are padding."""
    real = sum(lengths[i] for g in groups for i in g)
    padded = sum(len(g) * max(lengths[i] for i in g) for g in groups)
    return 1 - real / padded if padded else 0.0
