"""Render a gloss sequence as a video clip of a procedural 2D signer (numpy + PIL).

The signer (background, torso, head, two arms with skin-coloured hands) is drawn at twice the
output resolution and box-filtered down (anti-aliasing). Each frame is cropped from a slightly
larger canvas at a drifting, shaking offset (camera jitter). Pixel noise is sparse (a few
percent of the pixels, plus a per-frame brightness flicker) so that PNG frames stay small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..errors import SLTInputError
from .pose import DOMINANT, Body, Track, hand_track
from .signer import Signer
from .signs import HAND_SHAPES, SHAPES, SignBook

SUPERSAMPLE = 2  # drawing resolution / output resolution
NOISE_FRACTION = 0.02  # share of pixels that get sensor noise
NOISE_SIGMA = 6.0  # strength of that noise, in grey levels
FLICKER_SIGMA = 1.0  # per-frame brightness change, in grey levels
MIN_SIZE = 16


def _shade(rgb: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(int(min(255, v * f)) for v in rgb)  # type: ignore[return-value]


def _draw_body(signer: Signer, body: Body, size: tuple[int, int]) -> Image.Image:
    """The static part of a frame: background, torso, neck, head with hair and face."""
    img = Image.new("RGB", size, signer.background)
    d = ImageDraw.Draw(img)
    r, cx, hy, sy, sw = body.head_r, body.cx, body.head_y, body.shoulder_y, body.shoulder_w
    bottom = size[1]
    d.polygon([(cx - sw, sy), (cx + sw, sy), (cx + 1.08 * sw, bottom), (cx - 1.08 * sw, bottom)], fill=signer.clothes)
    for side in (-1, 1):
        x, y = body.shoulder(side)
        d.ellipse((x - 0.35 * r, y - 0.3 * r, x + 0.35 * r, y + 0.5 * r), fill=signer.clothes)
    d.rectangle((cx - 0.38 * r, hy + 0.5 * r, cx + 0.38 * r, sy + 0.2 * r), fill=_shade(signer.skin, 0.85))
    d.ellipse((cx - 1.07 * r, hy - 1.25 * r, cx + 1.07 * r, hy + 0.45 * r), fill=signer.hair)
    d.ellipse((cx - r, hy - 0.95 * r, cx + r, hy + 1.15 * r), fill=signer.skin)
    for side in (-1, 1):
        ex = cx + side * 0.4 * r
        d.ellipse((ex - 0.11 * r, hy - 0.15 * r, ex + 0.11 * r, hy + 0.07 * r), fill=(30, 25, 25))
    d.line((cx - 0.3 * r, hy + 0.6 * r, cx + 0.3 * r, hy + 0.6 * r), fill=_shade(signer.skin, 0.6), width=max(1, int(0.1 * r)))
    return img


def _draw_hand(d: ImageDraw.ImageDraw, shape: str, x: float, y: float, unit: float, rot: float, mirror: bool, skin) -> None:
    """Draw one hand shape (signs.HAND_SHAPES) centred at (x, y), skin-coloured with a darker outline."""
    dark = _shade(skin, 0.55)
    ca, sa = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    m = -1.0 if mirror else 1.0
    line_w = max(1, round(unit * 0.06))

    def pt(px: float, py: float) -> tuple[float, float]:
        px *= m
        return x + unit * (px * ca - py * sa), y + unit * (px * sa + py * ca)

    for prim in HAND_SHAPES[shape]:
        kind = prim[0]
        if kind == "disc":
            cx, cy = pt(prim[1], prim[2])
            rr = prim[3] * unit
            d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=skin, outline=dark, width=line_w)
        elif kind == "rect":
            x0, y0, x1, y1 = prim[1:]
            d.polygon([pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1)], fill=skin, outline=dark, width=line_w)
        elif kind == "finger":
            a, b, w = pt(*prim[1:3]), pt(*prim[3:5]), prim[5] * unit
            d.line((a, b), fill=dark, width=round(w + 2 * line_w))
            d.line((a, b), fill=skin, width=max(1, round(w)))
            tip = w / 2
            d.ellipse((b[0] - tip, b[1] - tip, b[0] + tip, b[1] + tip), fill=skin, outline=dark, width=line_w)
        else:  # "ring" / "arc": an outline of width w
            cx, cy = pt(prim[1], prim[2])
            rr, w = prim[3] * unit, prim[4] * unit
            box_out = (cx - rr - line_w, cy - rr - line_w, cx + rr + line_w, cy + rr + line_w)
            box_in = (cx - rr, cy - rr, cx + rr, cy + rr)
            if kind == "ring":
                d.ellipse(box_out, outline=dark, width=round(w + 2 * line_w))
                d.ellipse(box_in, outline=skin, width=max(1, round(w)))
            else:
                a0, a1 = prim[5], prim[6]
                if mirror:
                    a0, a1 = 180 - a1, 180 - a0
                d.arc(box_out, a0 + rot, a1 + rot, fill=dark, width=round(w + 2 * line_w))
                d.arc(box_in, a0 + rot, a1 + rot, fill=skin, width=max(1, round(w)))


def _draw_arms_and_hands(d: ImageDraw.ImageDraw, signer: Signer, body: Body, track: Track, t: int) -> None:
    """Non-dominant arm first (behind), then the dominant one; each hand on top of its arm."""
    sleeve, outline = _shade(signer.clothes, 1.35), _shade(signer.clothes, 0.5)
    width = max(2, round(0.5 * body.head_r))
    for h in (1, 0):
        side = DOMINANT if h == 0 else -DOMINANT
        elbow, hand = body.elbow(side, tuple(track.xy[t, h]))
        joints = [body.shoulder(side), elbow, hand]
        d.line(joints, fill=outline, width=width + 2, joint="curve")
        d.line(joints, fill=sleeve, width=width, joint="curve")
        shape = SHAPES[track.shape[t, h]]
        _draw_hand(d, shape, hand[0], hand[1], body.hand * track.scale[t, h], track.rot[t, h], h == 1, signer.skin)


def _camera_path(n: int, rng: np.random.Generator, limit: int) -> np.ndarray:
    """(n, 2) integer canvas offsets: a slow linear drift plus smoothed shake, within +-limit."""
    drift = np.linspace(0.0, 1.0, n)[:, None] * rng.uniform(-1.5, 1.5, 2) * SUPERSAMPLE
    shake = rng.normal(0.0, 0.5 * SUPERSAMPLE, (n + 2, 2))
    shake = (shake[:-2] + shake[1:-1] + shake[2:]) / 3  # (n, 2)
    return np.clip(np.round(drift + shake), -limit, limit).astype(np.int64)


def _check_size(width, height) -> None:
    for name, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < MIN_SIZE:
            raise SLTInputError(f"{name} must be an integer >= {MIN_SIZE}, got {v!r}")


def _track(glosses: Sequence[str], signer: Signer, rng: np.random.Generator, width: int, height: int, book: SignBook | None):
    """(body, camera margin, hand track) of a clip: the first draws of ``rng`` in :func:`render_clip`."""
    if not glosses:
        raise SLTInputError("cannot render an empty gloss sequence")
    _check_size(width, height)
    s = SUPERSAMPLE
    margin = s * max(2, math.ceil(0.03 * height))  # room for the camera to move
    body = Body.of(signer, width * s, height * s, margin, margin)
    return body, margin, hand_track(list(glosses), signer, body, book if book is not None else SignBook(), rng)


def clip_length(glosses: Sequence[str], signer: Signer, rng: np.random.Generator, width: int, height: int, book: SignBook | None = None) -> int:
    """The frame count T of ``render_clip`` with the same arguments (``rng`` in the same state), without drawing:
    a writer that names clips by their duration (OpenASL's ``<yid>-<start>-<end>``) knows it before rendering."""
    return len(_track(glosses, signer, rng, width, height, book)[2])


def render_empty(signer: Signer, rng: np.random.Generator, width: int, height: int, n_frames: int) -> np.ndarray:
    """A clip of the signer's studio with nobody in it: uint8 (n_frames, height, width, 3).

    The signer's backdrop with a picture on the wall and a table in front, the same camera drift
    and shake and the same sensor noise as :func:`render_clip`: only the person is missing (iSign
    has such clips, and its Appendix A cleaning drops them by pose estimation).
    """
    _check_size(width, height)
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 1:
        raise SLTInputError(f"n_frames must be a positive integer, got {n_frames!r}")
    s = SUPERSAMPLE
    margin = s * max(2, math.ceil(0.03 * height))
    w, h = width * s + 2 * margin, height * s + 2 * margin
    img = Image.new("RGB", (w, h), signer.background)
    d = ImageDraw.Draw(img)
    x0, y0 = rng.uniform(0.1, 0.5) * w, rng.uniform(0.12, 0.3) * h
    d.rectangle((x0, y0, x0 + 0.3 * w, y0 + 0.22 * h), fill=_shade(signer.background, 0.75), outline=_shade(signer.clothes, 0.8), width=s)
    d.rectangle((0, 0.72 * h, w, h), fill=_shade((150, 110, 70), rng.uniform(0.7, 1.2)))  # a wooden table in front
    shift = _camera_path(int(n_frames), rng, margin)
    frames = np.empty((int(n_frames), height, width, 3), dtype=np.uint8)
    for t in range(int(n_frames)):
        cx, cy = margin + int(shift[t, 0]), margin + int(shift[t, 1])
        frames[t] = np.asarray(img.crop((cx, cy, cx + width * s, cy + height * s)).reduce(s))
    return _add_noise(frames, rng)


def render_clip(
    glosses: Sequence[str], signer: Signer, rng: np.random.Generator, width: int, height: int, book: SignBook | None = None
) -> np.ndarray:
    """Render ``glosses`` signed by ``signer``: uint8 array of shape (T, height, width, 3).

    ``book`` maps glosses to signs (default: an empty :class:`SignBook`, i.e. every gloss gets
    its preferred sign). T depends on the number of glosses, their durations and the tempo.
    """
    body, margin, track = _track(glosses, signer, rng, width, height, book)
    s = SUPERSAMPLE
    shift = _camera_path(len(track), rng, margin)  # (T, 2)
    base = _draw_body(signer, body, (width * s + 2 * margin, height * s + 2 * margin))
    frames = np.empty((len(track), height, width, 3), dtype=np.uint8)  # (T, H, W, 3)
    for t in range(len(track)):
        img = base.copy()
        _draw_arms_and_hands(ImageDraw.Draw(img), signer, body, track, t)
        x0, y0 = margin + int(shift[t, 0]), margin + int(shift[t, 1])
        frames[t] = np.asarray(img.crop((x0, y0, x0 + width * s, y0 + height * s)).reduce(s))
    return _add_noise(frames, rng)


def _add_noise(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sparse sensor noise and brightness flicker on (T, H, W, 3) uint8 frames."""
    out = frames.astype(np.float32) + rng.normal(0.0, FLICKER_SIGMA, (len(frames), 1, 1, 1)).astype(np.float32)
    hit = np.nonzero(rng.random(frames.shape[:3]) < NOISE_FRACTION)  # indices into (T, H, W)
    out[hit] += rng.normal(0.0, NOISE_SIGMA, (len(hit[0]), 3)).astype(np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
