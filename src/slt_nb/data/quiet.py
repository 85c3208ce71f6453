"""Silence what native decoders print on stderr: ffmpeg inside decord, mediapipe's TFLite/absl logging.

These libraries write to file descriptor 2 from C/C++ (``[h264 @ 0x...] Invalid NAL unit size``,
``INFO: Created TensorFlow Lite XNNPACK delegate``, ``W0000 ... inference_feedback_manager.cc``),
past Python's ``sys.stderr``, so neither ``warnings`` filters nor ``contextlib.redirect_stderr``
reach them, and the lines land before our one-line error (or in a notebook's output).
:func:`quiet_native_stderr` points descriptor 2 at ``os.devnull`` around the native call and back
afterwards. What went wrong is still reported: the library raises, and the caller turns that into an
:class:`~slt_nb.errors.SLTInputError` naming the clip.

Descriptor 2 belongs to the whole process, so the redirection is reference-counted under a lock:
overlapping uses (threads) share one redirection, set by the first to enter and undone by the last
to leave. Python code inside the block must not print to stderr meanwhile; wrap only the native call.
Set ``SLT_NB_DECODER_LOG=1`` to see the decoders' own lines (debugging).
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

ENV_SHOW = "SLT_NB_DECODER_LOG"

_lock = threading.Lock()
_depth = 0
_saved: int | None = None


def _flush_stderr() -> None:
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _enter() -> None:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _flush_stderr()
            try:
                saved = os.dup(2)
            except OSError:  # no descriptor 2 (a daemon): nothing to silence
                saved = None
            if saved is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(null, 2)
                finally:
                    os.close(null)
            _saved = saved
        _depth += 1


def _leave() -> None:
    global _depth, _saved
    with _lock:
        _depth -= 1
        if _depth == 0 and _saved is not None:
            _flush_stderr()
            os.dup2(_saved, 2)
            os.close(_saved)
            _saved = None


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Within the block, whatever native code writes to file descriptor 2 is discarded (see the module docstring)."""
    if os.environ.get(ENV_SHOW, "").strip() not in ("", "0"):
        yield
        return
    _enter()
    try:
        yield
    finally:
        _leave()
