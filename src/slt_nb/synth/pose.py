"""Where the hands are in every frame: body landmarks, sign keyframes, transitions, rest pose.

Coordinates are pixels of the drawing canvas (y down). The signer's dominant (right) hand is
on the image left; two-handed signs mirror it about the body's midline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .signer import Signer
from .signs import SHAPES, SignBook, motion

DOMINANT = -1  # image-x direction of the dominant side


@dataclass(frozen=True)
class Body:
    """Landmarks of one signer on a canvas (pixels)."""

    cx: float  # body midline
    head_y: float
    head_r: float
    shoulder_y: float
    shoulder_w: float  # half the shoulder width
    arm: float  # upper arm = forearm length
    hand: float  # size of one hand unit (see signs.HAND_SHAPES)

    @classmethod
    def of(cls, signer: Signer, width: float, height: float, x0: float = 0.0, y0: float = 0.0) -> Body:
        """Landmarks for a ``width`` x ``height`` frame whose top-left corner is at (x0, y0)."""
        u = height
        head_y, head_r = y0 + 0.22 * u, signer.head * u
        return cls(
            cx=x0 + width / 2 + signer.x_shift * u,
            head_y=head_y,
            head_r=head_r,
            shoulder_y=head_y + head_r + 0.075 * u,
            shoulder_w=signer.shoulder * u,
            arm=signer.arm * u,
            hand=1.05 * head_r,
        )

    def shoulder(self, side: int) -> tuple[float, float]:
        return self.cx + side * self.shoulder_w, self.shoulder_y

    def location(self, name: str) -> tuple[float, float]:
        """Dominant-hand position of a sign location."""
        r, sw, d = self.head_r, self.shoulder_w, DOMINANT
        x, y = {
            "forehead": (0.3 * r, self.head_y - 0.7 * r),
            "cheek": (1.35 * r, self.head_y + 0.2 * r),
            "chin": (0.1 * r, self.head_y + 1.35 * r),
            "chest": (0.35 * sw, self.shoulder_y + 0.9 * r),
            "shoulder": (-0.6 * sw, self.shoulder_y + 0.3 * r),
            "stomach": (0.2 * sw, self.shoulder_y + 2.6 * r),
            "side_low": (1.25 * sw, self.shoulder_y + 2.2 * r),
            "side_high": (1.25 * sw, self.head_y - 0.2 * r),
            "front": (0.75 * sw, self.shoulder_y + 1.6 * r),
        }[name]
        return self.cx + d * x, y

    def rest(self) -> tuple[float, float]:
        return self.cx + DOMINANT * 0.85 * self.shoulder_w, self.shoulder_y + 3.8 * self.head_r

    def elbow(self, side: int, hand: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
        """(elbow, reachable hand) for a hand target, elbow bent outwards and down (two-link IK)."""
        sx, sy = self.shoulder(side)
        dx, dy = hand[0] - sx, hand[1] - sy
        dist = math.hypot(dx, dy)
        reach = 1.98 * self.arm
        if dist > reach:
            dx, dy, dist = dx * reach / dist, dy * reach / dist, reach
        dist = max(dist, 1e-6)
        base = math.atan2(dy, dx)
        bend = math.acos(min(1.0, dist / (2 * self.arm)))
        options = [(sx + self.arm * math.cos(base + b), sy + self.arm * math.sin(base + b)) for b in (bend, -bend)]
        elbow = max(options, key=lambda e: side * (e[0] - sx) + 0.5 * (e[1] - sy))
        return elbow, (sx + dx, sy + dy)


@dataclass
class Track:
    """Per-frame state of both hands: index 0 dominant, 1 non-dominant.

    xy: (T, 2, 2) positions; scale, rot: (T, 2); shape: (T, 2) indices into SHAPES.
    """

    xy: np.ndarray
    scale: np.ndarray
    rot: np.ndarray
    shape: np.ndarray

    def __len__(self) -> int:
        return len(self.xy)


# One hand state: (x, y, scale, rotation in degrees, shape index).
_State = tuple[float, float, float, float, int]


def _rest_states(body: Body) -> tuple[_State, _State]:
    x, y = body.rest()
    flat = SHAPES.index("flat")
    return (x, y, 1.0, 180.0, flat), (2 * body.cx - x, y, 1.0, 180.0, flat)


def _blend(a: _State, b: _State, t: float) -> _State:
    """Interpolate position, scale and rotation; the hand shape switches half-way."""
    x, y, scale, rot = (p + t * (q - p) for p, q in zip(a[:4], b[:4]))
    return x, y, scale, rot, (a if t < 0.5 else b)[4]


def hand_track(glosses: list[str], signer: Signer, body: Body, book: SignBook, rng: np.random.Generator) -> Track:
    """Frames of rest -> sign 1 -> transition -> ... -> sign n -> rest; length grows with
    the number of glosses and the signer's tempo."""
    rest = _rest_states(body)
    frames: list[tuple[_State, _State]] = [rest] * round(rng.integers(3, 7) * signer.tempo)
    n_trans = max(2, round(3 * signer.tempo))

    def go_to(target: tuple[_State, _State]) -> None:
        start = frames[-1]
        for k in range(1, n_trans + 1):
            a = 0.5 - 0.5 * math.cos(math.pi * k / (n_trans + 1))  # eased 0 -> 1
            frames.append((_blend(start[0], target[0], a), _blend(start[1], target[1], a)))

    for gloss in glosses:
        sign = book[gloss]
        n = max(3, round(sign.frames * signer.tempo * rng.uniform(0.9, 1.1)))
        lx, ly = body.location(sign.location)
        if sign.two_handed and abs(lx - body.cx) < body.head_r:
            lx += DOMINANT * 0.7 * body.head_r  # keep the two hands apart near the midline
        shape = SHAPES.index(sign.shape)
        poses = []
        for k in range(n):
            m = motion(sign.movement, k / (n - 1))
            x, y = lx + m.dx * body.head_r, ly + m.dy * body.head_r
            dom = (x, y, m.scale, m.rot, shape)
            other = (2 * body.cx - x, y, m.scale, -m.rot, shape) if sign.two_handed else rest[1]
            poses.append((dom, other))
        go_to(poses[0])
        frames.extend(poses)
    go_to(rest)
    frames.extend([rest] * round(rng.integers(3, 7) * signer.tempo))

    arr = np.asarray(frames, dtype=np.float64)  # (T, 2 hands, 5)
    return Track(xy=arr[:, :, :2], scale=arr[:, :, 2], rot=arr[:, :, 3], shape=arr[:, :, 4].astype(np.int64))
