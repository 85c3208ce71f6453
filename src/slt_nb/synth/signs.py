"""The sign inventory: what each gloss looks like (hand shape, location, movement, hands).

Every gloss of a vocabulary gets its own combination of

* hand shape: one of :data:`SHAPES` (drawn by :func:`hand_primitives`),
* location: one of :data:`LOCATIONS` (where the dominant hand is, relative to the body),
* movement: one of :data:`MOVEMENTS` (how the hand moves while signing),

plus one- or two-handedness and a base duration. Combination ``i`` is
``(SHAPES[i % 8], LOCATIONS[i % 9], MOVEMENTS[i % 7])``: 8, 9 and 7 are coprime, so the
504 combinations are all different and neighbouring ones differ in all three parameters.
A gloss's preferred combination is ``crc32(gloss) % 504``; a :class:`SignBook` built for a
vocabulary resolves clashes by probing, so no two glosses of the vocabulary look the same.
Everything is a function of the gloss strings (``zlib.crc32``, never Python's ``hash``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

SHAPES = ("fist", "flat", "spread", "point", "vee", "ring", "cee", "horns")
LOCATIONS = ("forehead", "cheek", "chin", "chest", "shoulder", "stomach", "side_low", "side_high", "front")
MOVEMENTS = ("static", "up_down", "side_side", "circle", "approach", "twist", "diagonal")
N_COMBOS = len(SHAPES) * len(LOCATIONS) * len(MOVEMENTS)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class Sign:
    """How one gloss is signed; ``frames`` is its duration at tempo 1."""

    gloss: str
    shape: str
    location: str
    movement: str
    two_handed: bool
    frames: int


@dataclass(frozen=True)
class Motion:
    """Hand offset (in head radii), scale factor and rotation (degrees) at one moment of a sign."""

    dx: float
    dy: float
    scale: float
    rot: float


def motion(movement: str, p: float) -> Motion:
    """The movement's offset at phase ``p`` in [0, 1] of the sign."""
    s, c = math.sin(2 * math.pi * p), math.cos(2 * math.pi * p)
    if movement == "static":
        return Motion(0.0, 0.0, 1.0, 0.0)
    if movement == "up_down":
        return Motion(0.0, 0.9 * math.sin(4 * math.pi * p), 1.0, 0.0)
    if movement == "side_side":
        return Motion(0.9 * math.sin(4 * math.pi * p), 0.0, 1.0, 0.0)
    if movement == "circle":
        return Motion(0.8 * c, 0.8 * s, 1.0, 0.0)
    if movement == "approach":  # towards the camera: the hand grows
        return Motion(0.0, 0.0, 1.0 + 0.7 * math.sin(math.pi * p), 0.0)
    if movement == "twist":
        return Motion(0.0, 0.0, 1.0, 75.0 * math.sin(3 * math.pi * p))
    if movement == "diagonal":
        return Motion(1.6 * p - 0.8, 0.8 - 1.6 * p, 1.0, 0.0)
    raise ValueError(f"unknown movement {movement!r}")


def combo(i: int) -> tuple[str, str, str]:
    """Shape, location and movement of combination ``i`` (0 <= i < N_COMBOS)."""
    return SHAPES[i % len(SHAPES)], LOCATIONS[i % len(LOCATIONS)], MOVEMENTS[i % len(MOVEMENTS)]


class SignBook:
    """Gloss -> :class:`Sign`, collision-free over ``vocabulary``.

    ``frame_range`` bounds the base duration of a sign (frames at tempo 1). A gloss outside
    the vocabulary gets its preferred combination (it may then look like a vocabulary sign).
    """

    def __init__(self, vocabulary: Iterable[str] = (), frame_range: tuple[int, int] = (6, 10)) -> None:
        vocab = sorted(set(vocabulary), key=lambda g: (_crc(g), g))
        if len(vocab) > N_COMBOS:
            raise ValueError(f"at most {N_COMBOS} distinct signs, vocabulary has {len(vocab)}")
        self.frame_range = frame_range
        self._index: dict[str, int] = {}
        taken: set[int] = set()
        for g in vocab:
            i = _crc(g) % N_COMBOS
            while i in taken:
                i = (i + 1) % N_COMBOS
            taken.add(i)
            self._index[g] = i

    def __getitem__(self, gloss: str) -> Sign:
        i = self._index.get(gloss, _crc(gloss) % N_COMBOS)
        shape, location, movement = combo(i)
        h = _crc("sign:" + gloss)
        lo, hi = self.frame_range
        return Sign(gloss, shape, location, movement, two_handed=h % 3 == 0, frames=lo + (h >> 2) % (hi - lo + 1))


# Hand drawing primitives in hand units (palm at the origin, fingers up = -y):
#   ("disc", x, y, r)            filled circle
#   ("rect", x0, y0, x1, y1)     filled rounded rectangle
#   ("finger", x0, y0, x1, y1, w) thick line
#   ("ring", x, y, r, w)         circle outline of width w
#   ("arc", x, y, r, w, a0, a1)  open circle outline from angle a0 to a1 (degrees)
def _fingers(angles: Iterable[float], length: float, width: float = 0.2, base: float = 0.15) -> list[tuple]:
    out = []
    for a in angles:
        ca, sa = math.cos(math.radians(a)), math.sin(math.radians(a))
        out.append(("finger", base * ca, base * sa, length * ca, length * sa, width))
    return out


HAND_SHAPES: dict[str, list[tuple]] = {
    "fist": [("disc", 0.0, 0.0, 0.45)],
    "flat": [("rect", -0.3, -0.95, 0.3, 0.35)],
    "spread": [("disc", 0.0, 0.0, 0.33)] + _fingers((-165, -125, -95, -65, -30), 0.8, 0.17),
    "point": [("disc", 0.0, 0.1, 0.36)] + _fingers((-88,), 1.0, 0.22),
    "vee": [("disc", 0.0, 0.1, 0.36)] + _fingers((-112, -68), 0.95, 0.2),
    "ring": [("ring", 0.0, -0.1, 0.45, 0.2)],
    "cee": [("arc", 0.0, -0.1, 0.48, 0.22, 40, 320)],
    "horns": [("disc", 0.0, 0.1, 0.36)] + _fingers((-160, -25), 0.8, 0.2),
}
