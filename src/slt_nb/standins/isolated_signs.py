"""The isolated-sign clips of the tiny base's vision stage: rendered once per lexicon, cached on disk.

:func:`render_isolated` renders every gloss of a synthetic corpus's lexicon ``reps`` times with
:mod:`slt_nb.synth` (the corpus's signers, frame size and sign book), each clip sampled to at most
``t_max`` frames (Sec 3.3 sampler). The vision stages of both families and of every tiny size
need the same clips, and the notebooks build them in separate worker processes; rendering takes
~10 CPU s per lexicon (1,240 clips at the default sizes), reading the cache back ~1 s. So with a
``cache_dir`` the clips are kept in one file per (signs, reps, t_max) — the frames zlib-compressed
(level 1: ~40 MB for the default PHOENIX lexicon instead of 457 MB raw), behind one JSON header
line — written atomically under a file lock (two workers asking at once: one renders, the other
reads). A file that does not read back exactly (damaged, truncated, another key) is rendered
again and replaced, never used.

:func:`render_identity` says when two corpora render alike: the lexicon's signs, the signers,
the frame size, the sign durations and a fingerprint of the renderer's source code (a changed
renderer invalidates every cache built on its clips).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..io import file_lock, write_bytes

if TYPE_CHECKING:
    from .base_spec import SynthSetup

CACHE_VERSION = 1


def lexicon(setup: SynthSetup):
    """(sorted glosses, SignBook) of a synthetic corpus, built as :mod:`slt_nb.synth.write` builds them."""
    from ..synth import Grammar, SignBook

    vocab = Grammar(setup.lang, setup.zipf_s).vocabulary()
    return vocab, SignBook(vocab, (setup.min_sign_frames, setup.max_sign_frames))


@lru_cache(maxsize=1)
def renderer_fingerprint() -> str:
    """Hash of the source files of :mod:`slt_nb.synth` (what draws a sign)."""
    from .. import synth

    h = hashlib.sha256()
    for p in sorted(Path(synth.__file__).parent.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:12]


def render_identity(setup: SynthSetup) -> dict:
    """What the rendered isolated signs depend on: the lexicon and its signs, the signers (count and
    seed), the frame size, the sign durations and the renderer's code. Two corpora with the same
    identity render every isolated clip identically (the language code and the sentence statistics
    do not enter)."""
    vocab, book = lexicon(setup)
    signs = hashlib.sha256(json.dumps([asdict(book[g]) for g in vocab], sort_keys=True).encode()).hexdigest()[:16]
    return {"signs": signs, "lexicon": len(vocab), "signers": [setup.n_signers, setup.seed], "frame": [setup.width, setup.height],
            "sign_frames": [setup.min_sign_frames, setup.max_sign_frames], "renderer": renderer_fingerprint()}


def _render(setup: SynthSetup, reps: int, t_max: int) -> tuple[tuple[str, ...], tuple]:
    from ..data.frames import sample_indices
    from ..synth import make_signers, render_clip

    vocab, book = lexicon(setup)
    signers = make_signers(setup.n_signers, np.random.default_rng([setup.seed, 2]))  # synth.write's signer stream
    clips = []
    for i in range(reps * len(vocab)):
        k, r = i % len(vocab), i // len(vocab)
        frames = render_clip([vocab[k]], signers[r % len(signers)], np.random.default_rng([setup.seed, 100, i]), setup.width, setup.height, book)
        idx = sample_indices(len(frames), t_max)
        clips.append((frames[idx], tuple(idx), len(frames), k))
    return tuple(vocab), tuple(clips)


def _encode(key: dict, vocab, clips) -> bytes:
    frames = np.concatenate([c[0] for c in clips]) if clips else np.zeros((0, 1, 1, 3), np.uint8)
    head = {"key": key, "vocab": list(vocab), "shape": list(frames.shape), "clips": [[len(c[0]), c[2], c[3], list(c[1])] for c in clips]}
    return json.dumps(head, sort_keys=True).encode() + b"\n" + zlib.compress(np.ascontiguousarray(frames).tobytes(), 1)


def _decode(data: bytes, key: dict):
    """(vocab, clips) of a cache file, or None if it is not exactly what ``key`` asks for."""
    try:
        cut = data.index(b"\n")
        head = json.loads(data[:cut])
        if head.get("key") != json.loads(json.dumps(key, sort_keys=True)):
            return None
        shape = tuple(head["shape"])
        raw = zlib.decompress(data[cut + 1:])
        if len(raw) != int(np.prod(shape)) or sum(c[0] for c in head["clips"]) != shape[0]:
            return None
        frames = np.frombuffer(raw, dtype=np.uint8).reshape(shape)
        clips, at = [], 0
        for n, total, k, idx in head["clips"]:
            if len(idx) != n:
                return None
            clips.append((frames[at:at + n], tuple(idx), int(total), int(k)))
            at += n
        return tuple(head["vocab"]), tuple(clips)
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


@lru_cache(maxsize=1)
def render_isolated(setup: SynthSetup, reps: int, t_max: int, cache_dir: str | None = None) -> tuple[tuple[str, ...], tuple]:
    """(lexicon, clips): ``reps`` renderings of every gloss, each clip ``(frames (T<=t_max, H, W, 3)
    uint8, sampled indices, total frames, gloss index)``, signers cycled. Kept in memory (one setup:
    both families of a process share it) and, with ``cache_dir``, on disk (see the module docstring;
    the frames read back are read-only arrays)."""
    if cache_dir is None:
        return _render(setup, reps, t_max)
    key = {"version": CACHE_VERSION, "identity": render_identity(setup), "reps": int(reps), "t_max": int(t_max)}
    name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"{name}.signs"
    with file_lock(Path(cache_dir) / f".{name}.lock"):
        got = _decode(path.read_bytes(), key) if path.is_file() else None
        if got is None:
            got = _render(setup, reps, t_max)
            write_bytes(path, _encode(key, *got))
    return got
