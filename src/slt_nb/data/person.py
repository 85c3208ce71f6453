"""Is anybody in this video? The iSign no-person filter (paper Appendix A: "pose estimation").

A :class:`PersonDetector` looks at a few frames of a clip, ``(T, H, W, 3)`` uint8 RGB, and says
whether a person is visible in any of them. Choices (the ``person_detector`` parameter):

* ``mediapipe-pose``: MediaPipe's BlazePose (pose detection + full landmark model), the kind of
  pose estimation the paper names. Its model files ship inside the ``mediapipe`` 0.10.14 wheel
  (``mediapipe/modules/pose_detection``, ``pose_landmark/pose_landmark_full.tflite``): no
  download, runs offline on CPU. Later mediapipe releases (0.10.30+) ship no models and dropped
  this API. 0.10.14 declares ``protobuf<5``; it runs with protobuf 6.x once two methods
  protobuf 5 removed are restored (done here); protobuf 7 does not work.
* ``standin-skin-motion``: NOT a person detector, a documented stand-in for environments
  without mediapipe: a clip "has a person" when skin-coloured pixels (a fixed YCrCb range)
  cover a minimum share of the frames and move between frames. Fooled by skin-coloured moving
  things and by signers in unusual lighting; its name goes into the drop report so no result
  built on it passes for the paper's filter.
* ``none``: no filter (said so in the report notes).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import SLTInputError
from .quiet import quiet_native_stderr

MEDIAPIPE_HINT = (
    "install the mediapipe release that ships its pose model: "
    "`pip install --no-deps mediapipe==0.10.14 flatbuffers` with protobuf>=6.31,<7 "
    "(or set person_detector to 'standin-skin-motion' or 'none')"
)


class PersonDetector(Protocol):
    """What the iSign cleaning needs from a detector."""

    name: str

    def has_person(self, frames: np.ndarray) -> bool:
        """True if a person is visible in any of ``frames`` (T, H, W, 3) uint8 RGB."""
        ...


def _import_mediapipe():
    """Import mediapipe 0.10.x with its protobuf-4 era calls mapped onto protobuf 5/6."""
    try:
        from google.protobuf import message_factory, symbol_database

        def get_prototype(self, descriptor):
            return message_factory.GetMessageClass(descriptor)

        for cls in (symbol_database.SymbolDatabase, message_factory.MessageFactory):
            if not hasattr(cls, "GetPrototype"):
                cls.GetPrototype = get_prototype
        import mediapipe as mp

        return mp, mp.solutions.pose
    except (ImportError, AttributeError) as exc:
        raise SLTInputError(f"the mediapipe pose detector is not available ({type(exc).__name__}: {exc})", hint=MEDIAPIPE_HINT) from None


WARM_UP_SIDE = 64  # pixels of the blank image that opens mediapipe's graph quietly


class MediaPipePose:
    """BlazePose from the mediapipe wheel; a frame has a person when pose landmarks are found."""

    def __init__(self, min_confidence: float = 0.5) -> None:
        mp, pose = _import_mediapipe()
        try:
            with quiet_native_stderr():  # mediapipe's absl/TFLite lines (XNNPACK delegate, feedback manager) go to fd 2
                self._pose = pose.Pose(static_image_mode=True, model_complexity=1, min_detection_confidence=min_confidence)
                # The graph opens its TFLite model on a thread of its own after Pose() returns, and prints then; one
                # image run here waits for that, inside the quiet block. Static-image mode keeps no state between images.
                self._pose.process(np.zeros((WARM_UP_SIDE, WARM_UP_SIDE, 3), np.uint8))
        except (AttributeError, RuntimeError) as exc:  # protobuf 7 / a broken install fail here
            from google.protobuf import __version__ as protobuf_version

            raise SLTInputError(
                f"mediapipe {mp.__version__} with protobuf {protobuf_version} could not build its pose graph ({exc})", hint=MEDIAPIPE_HINT
            ) from None
        self.name = f"mediapipe-pose (BlazePose full, mediapipe {mp.__version__}, min confidence {min_confidence})"

    def has_person(self, frames: np.ndarray) -> bool:
        with quiet_native_stderr():
            return any(self._pose.process(np.ascontiguousarray(f)).pose_landmarks is not None for f in frames)


class SkinMotionStandIn:
    """Stand-in (not a person detector): skin-coloured pixels that move.

    Skin is ``135 <= Cr <= 180``, ``85 <= Cb <= 135``, ``Y >= 60`` (BT.601 YCrCb, 8-bit). A clip
    passes when the median share of skin pixels over the frames is at least ``min_skin`` and,
    with two or more frames, the mean luma change between consecutive frames over pixels that
    are skin in either frame is at least ``min_motion`` grey levels.
    """

    def __init__(self, min_skin: float = 0.005, min_motion: float = 1.0) -> None:
        self.min_skin, self.min_motion = min_skin, min_motion
        self.name = f"standin-skin-motion (NOT pose estimation; skin >= {min_skin:.1%}, motion >= {min_motion})"

    def has_person(self, frames: np.ndarray) -> bool:
        rgb = frames.astype(np.float32)  # (T, H, W, 3)
        y = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # (T, H, W)
        cr = (rgb[..., 0] - y) * 0.713 + 128
        cb = (rgb[..., 2] - y) * 0.564 + 128
        skin = (cr >= 135) & (cr <= 180) & (cb >= 85) & (cb <= 135) & (y >= 60)
        if np.median(skin.mean(axis=(1, 2))) < self.min_skin:
            return False
        if len(frames) < 2:
            return True
        moving = skin[1:] | skin[:-1]
        change = np.abs(np.diff(y, axis=0))[moving]
        return bool(change.size) and float(change.mean()) >= self.min_motion


DETECTORS = {"mediapipe-pose": MediaPipePose, "standin-skin-motion": SkinMotionStandIn}


def make_detector(name: str) -> PersonDetector | None:
    """The detector called ``name``, or ``None`` for ``'none'`` (filter disabled)."""
    if name == "none":
        return None
    if name not in DETECTORS:
        raise SLTInputError(f"unknown person detector {name!r}", hint=f"allowed: {', '.join([*DETECTORS, 'none'])}")
    return DETECTORS[name]()
