"""Input processing of LLaVA-SLT's frames (App. C): square, resize, crop, augment -- uint8 in, uint8 out.

App. C: "input sequences are initially centrally cropped as squares and resized to 384^2, and
randomly/centrally cropped to achieve a final resolution of 336^2 during the training/inference
phases ... (224^2: an intermediate resizing to 256^2) ... color jitter, frame rotations, and
horizontal flips ... consistently applied across all frames within the video sequences".

* :func:`square` (decode time, cached): central square crop (``crop="center"``; ``"none"`` squashes
  the frame instead) and antialiased bilinear resize to the *stored* side (``resize`` or ``frame_size``).
* :func:`prepare` (per batch): resize the stored frames when the encoder wants another side (an
  encoder variant at a lower resolution), then rotation (at the resized side, before the crop, so
  the crop hides most of the corners it leaves), the crop to ``frame_size`` (random in training
  with ``random_crop``, else central), horizontal flip, colour jitter (brightness, contrast,
  saturation, in that order). One draw per clip: every frame of a clip gets the same crop, angle,
  flip and jitter. The draws come from a generator seeded by (seed, epoch, clip index), so a batch
  is the same whichever loader worker builds it. The magnitudes are ours (the paper names the
  augmentations only): :data:`AUGMENT_PAPER`.

With ``resize`` unset (= ``frame_size``) and no augmentation, :func:`prepare` returns its input
unchanged: that is the embedded default, whose frames are exactly what they were before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import SLTInputError

AUGMENT_KEYS = {"random_crop": False, "color_jitter": 0.0, "rotation": 0.0, "hflip": 0.0}
# ours (App. C names the augmentations, not their strength): random 336 crop of 384, +-20% brightness/contrast/saturation,
# +-10 degrees rotation, flip with p = 0.5
AUGMENT_PAPER = {"random_crop": True, "color_jitter": 0.2, "rotation": 10.0, "hflip": 0.5}


def square(frames: torch.Tensor, size: int, crop: str) -> torch.Tensor:
    """uint8 (T, H, W, 3) -> uint8 (T, 3, size, size): central square crop (``crop="center"``) or none, then resize."""
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


@dataclass(frozen=True)
class FrameSpec:
    """What an encoder wants: ``frame_size`` after cropping ``resize`` (None: no crop), and the training augmentation."""

    frame_size: int
    resize: int | None = None
    augment: dict | None = None

    @classmethod
    def of(cls, enc_cfg) -> FrameSpec:
        """The spec of an :class:`~slt_nb.llava_slt.config.EncoderConfig` (checked)."""
        spec = cls(enc_cfg.frame_size, enc_cfg.resize, dict(enc_cfg.augment) if enc_cfg.augment else None)
        spec.check()
        return spec

    @property
    def stored(self) -> int:
        """The side frames are decoded to (and cached at)."""
        return self.resize or self.frame_size

    def options(self) -> dict:
        return {**AUGMENT_KEYS, **(self.augment or {})}

    def random(self) -> bool:
        """Whether training frames differ between epochs (then frozen-backbone features cannot be computed once)."""
        o = self.options()
        return bool((o["random_crop"] and self.stored > self.frame_size) or o["color_jitter"] or o["rotation"] or o["hflip"])

    def check(self) -> None:
        unknown = sorted(set(self.augment or {}) - set(AUGMENT_KEYS))
        if unknown:
            raise SLTInputError(f"unknown augmentation(s) {unknown}", hint=f"allowed: {sorted(AUGMENT_KEYS)}, e.g. {AUGMENT_PAPER}")
        if self.resize is not None and self.resize < self.frame_size:
            raise SLTInputError(f"resize {self.resize} is smaller than frame_size {self.frame_size}",
                                hint="resize is the side before the crop (App. C: 384 for 336); null: no crop")
        if self.resize is not None and self.resize > 1.25 * self.frame_size:
            import warnings

            warnings.warn(f"resize {self.resize} for frame_size {self.frame_size}: the crop keeps {100 * (self.frame_size / self.resize) ** 2:.0f}% "
                          f"of the frame (App. C: 384 for 336, 256 for 224); does a variant change frame_size without resize?", stacklevel=3)
        o = self.options()
        if not (0 <= o["hflip"] <= 1 and 0 <= o["color_jitter"] < 1 and o["rotation"] >= 0):
            raise SLTInputError(f"augmentation out of range: {self.augment}", hint="hflip: probability 0-1; color_jitter: 0 <= j < 1; rotation: degrees >= 0")


def clip_generator(seed: int, epoch: int, index: int) -> torch.Generator:
    """The generator of one clip's augmentation draws (independent of batch composition and loader workers)."""
    return torch.Generator().manual_seed(((int(seed) * 1_000_003 + int(epoch)) * 1_000_003 + int(index)) % (2**63 - 1))


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g))


def rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    """float (T, 3, S, S) rotated by ``degrees`` counter-clockwise about the centre (bilinear, zeros outside)."""
    a = math.radians(degrees)
    theta = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]], dtype=x.dtype).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def jitter(x: torch.Tensor, brightness: float, contrast: float, saturation: float) -> torch.Tensor:
    """float (T, 3, S, S) in 0-255: brightness (scale), contrast (about each frame's grey mean), saturation (about the grey image)."""
    x = (x * brightness).clamp(0, 255)
    grey = lambda t: (0.299 * t[:, 0] + 0.587 * t[:, 1] + 0.114 * t[:, 2]).unsqueeze(1)  # noqa: E731 - ITU-R 601 luma
    mean = grey(x).mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - mean) * contrast + mean).clamp(0, 255)
    g = grey(x)
    return ((x - g) * saturation + g).clamp(0, 255)


def prepare(clip: torch.Tensor, spec: FrameSpec, *, train: bool, generator: torch.Generator | None = None) -> torch.Tensor:
    """uint8 (T, 3, R0, R0) stored frames -> uint8 (T, 3, frame_size, frame_size) for the encoder (see the module docstring).

    ``train`` applies the augmentation options (drawn from ``generator``); at test time the crop is central."""
    o = spec.options() if train else dict(AUGMENT_KEYS)
    side, s = spec.stored, spec.frame_size
    if clip.shape[-1] == s and side == s and not (o["color_jitter"] or o["rotation"] or o["hflip"]):
        return clip  # nothing to do: the embedded default's path
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    x = clip.float()
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    if o["rotation"]:
        x = rotate(x, _uniform(g, -o["rotation"], o["rotation"]))
    if side > s:
        if o["random_crop"]:
            top, left = (int(torch.randint(0, side - s + 1, (), generator=g)) for _ in range(2))
        else:
            top = left = (side - s) // 2
        x = x[..., top : top + s, left : left + s]
    if o["hflip"] and float(torch.rand((), generator=g)) < o["hflip"]:
        x = x.flip(-1)
    if o["color_jitter"]:
        j = o["color_jitter"]
        x = jitter(x, *(_uniform(g, 1 - j, 1 + j) for _ in range(3)))
    return x.round().clamp(0, 255).to(torch.uint8)
