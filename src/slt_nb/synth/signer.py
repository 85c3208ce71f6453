"""Signers: appearance, body proportions and tempo of the people who sign the corpus."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SLTInputError

RGB = tuple[int, int, int]

# Real signers: skin-coloured hands, mostly dark plain clothing, a plain backdrop.
_SKIN = ((255, 219, 172), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (110, 70, 45), (233, 190, 160))
_CLOTHES = ((25, 30, 45), (20, 20, 22), (55, 55, 60), (70, 20, 30), (20, 50, 35), (35, 45, 90))
_BACKGROUND = ((170, 170, 165), (120, 140, 160), (200, 190, 170), (110, 150, 120), (185, 195, 205), (140, 130, 150))
_HAIR = ((30, 20, 15), (70, 45, 25), (200, 170, 110), (130, 130, 130), (140, 60, 30), (15, 15, 15))


@dataclass(frozen=True)
class Signer:
    """One signer. Proportions are fractions of the frame height; ``tempo`` multiplies the
    number of frames of every sign (> 1: slower signing, longer clips)."""

    name: str
    skin: RGB
    hair: RGB
    clothes: RGB
    background: RGB
    head: float  # head radius
    shoulder: float  # half the shoulder width
    arm: float  # length of the upper arm and of the forearm
    tempo: float
    x_shift: float  # horizontal offset of the body from the frame centre


def _jitter(rgb: RGB, rng: np.random.Generator, amount: int) -> RGB:
    return tuple(int(v) for v in np.clip(np.asarray(rgb) + rng.integers(-amount, amount + 1, 3), 0, 255))  # type: ignore[return-value]


def make_signers(n: int, rng: np.random.Generator) -> list[Signer]:
    """``n`` distinct signers named ``Signer01`` ...; palettes are cycled in a shuffled order."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise SLTInputError(f"n_signers must be a positive integer, got {n!r}")
    perms = [rng.permutation(len(p)) for p in (_SKIN, _CLOTHES, _BACKGROUND, _HAIR)]
    signers = []
    for k in range(n):
        skin, clothes, bg, hair = (p[perm[k % len(p)]] for p, perm in zip((_SKIN, _CLOTHES, _BACKGROUND, _HAIR), perms))
        signers.append(
            Signer(
                name=f"Signer{k + 1:02d}",
                skin=_jitter(skin, rng, 10),
                hair=_jitter(hair, rng, 10),
                clothes=_jitter(clothes, rng, 8),
                background=_jitter(bg, rng, 12),
                head=float(rng.uniform(0.085, 0.105)),
                shoulder=float(rng.uniform(0.20, 0.245)),
                arm=float(rng.uniform(0.19, 0.225)),
                tempo=float(rng.uniform(0.8, 1.3)),
                x_shift=float(rng.uniform(-0.04, 0.04)),
            )
        )
    return signers
