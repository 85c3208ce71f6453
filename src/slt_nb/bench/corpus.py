"""The benchmarks' own small synthetic corpus (``data/bench/``), independent of ``make reproduce``.

:func:`ensure_corpus` writes a PHOENIX-format (PNG frame folders) or How2Sign-format (mp4)
corpus with :func:`slt_nb.synth.generate` (cached by its stamp: a second call returns at once)
and :func:`load_samples` reads it back through the real loaders. Sentences have at least
``min_glosses`` glosses so that most clips are longer than T_max = 64 frames, as in PHOENIX-2014T
(median 112 frames). :func:`rescaled_copy` re-encodes clips at a real dataset's resolution
(PHOENIX 210 x 260 PNG, How2Sign 1280 x 720 mp4) by resizing the rendered frames: rendering at
that size directly is slow, and decoding cost depends on the resolution and the codec.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..errors import SLTInputError

BENCH_DATA = "data/bench"
LANG = {"phoenix": "de", "how2sign": "en"}


def ensure_corpus(out_dir: str | Path, fmt: str, *, n_train: int = 48, n_dev: int = 4, n_test: int = 16, min_glosses: int = 8,
                  seed: int = 0, progress: bool = True) -> Path:
    """Generate (or reuse) the corpus; returns the folder to hand to the loader."""
    from ..synth import generate

    out_dir = Path(out_dir) / f"{fmt}-s{seed}-g{min_glosses}-n{n_train}"
    generate(out_dir, fmt, LANG[fmt], seed, n_train=n_train, n_dev=n_dev, n_test=n_test, min_glosses=min_glosses, workers=1, progress=progress)
    return out_dir / "PHOENIX-2014-T" if fmt == "phoenix" else out_dir


def load_samples(root: str | Path, fmt: str, split: str | None = None) -> list:
    """Manifest samples of a corpus written by :func:`ensure_corpus` (one split, or all)."""
    import contextlib
    import io

    from ..data.loaders import load_dataset

    with contextlib.redirect_stderr(io.StringIO()):  # the loader's frame-count progress bar
        samples = load_dataset(fmt, root).samples
    samples = [s for s in samples if split is None or s.split == split]
    if not samples:
        raise SLTInputError(f"no {split or ''} samples in the benchmark corpus", file=root)
    return samples


def rescaled_copy(samples, out_dir: str | Path, width: int, height: int) -> list:
    """Copies of ``samples`` with every frame resized to ``width`` x ``height`` (same format as the source:
    PNG folder or H.264 mp4), cached under ``out_dir``; returns samples pointing at the copies."""
    import numpy as np
    from PIL import Image

    from ..data.frames import decode_frames
    from ..synth import formats

    out_dir = Path(out_dir)
    stamp = out_dir / "stamp.json"
    want = {"ids": [s.id for s in samples], "size": [width, height]}
    fresh = not (stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == want)
    copies = []
    for s in samples:
        is_video = s.source_kind == "video"
        dest = out_dir / (f"{s.id}.mp4" if is_video else s.id)
        if fresh:
            frames = decode_frames(s.source, s.source_kind, list(range(s.n_frames)), start=s.start, end=s.end, sample=s.id)  # (T, h, w, 3)
            big = [Image.fromarray(f).resize((width, height), Image.BICUBIC) for f in frames]
            arr = np.stack([np.asarray(b) for b in big])  # (T, height, width, 3)
            if is_video:
                formats.write_mp4(dest, arr, int(round(s.fps or 25)))
            else:
                formats.write_png_frames(dest, arr)
        copies.append(dataclasses.replace(s, source=str(dest), start=None, end=None))
    if fresh:
        from ..io import write_json

        write_json(stamp, want)
    return copies
