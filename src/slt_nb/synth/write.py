"""Generate the synthetic corpus on disk in a released dataset format, deterministically.

The plan (sentences, names, signers; :mod:`.planning`, which documents the random streams) is
drawn first, then every clip is rendered from its own stream ``[seed, CLIPS, k, i]`` (in worker
processes when there are many) and written where the format puts it (:mod:`.catalog`), then the
annotation files are written.

A finished dataset root holds ``.synth.json`` (format, language, seed, config, package
version), written last; a run with the same stamp returns at once. While generating, a
``.synth.partial`` marker says the tree is ours and may be replaced.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
from ..progress import tqdm

from .. import __version__
from ..data.frames import DECORD_BAD_WIDTHS  # decord 0.6.0 decodes these as 4 channels (measured there)
from ..errors import SLTInputError
from ..io import write_json
from ..workers import worker_pool
from .catalog import DEFAULT_FPS, DEFAULT_LANG, DEFAULT_SIZE, FORMATS
from .formats import Clip, Format
from .grammar import LANGS, Grammar
from .media import MP4_OPTIONS, WRITERS, write_mp4
from .planning import CLIPS, PLAN_KEYS, SIGNERS
from .render import MIN_SIZE, clip_length, render_clip, render_empty
from .signer import Signer, make_signers
from .signs import SignBook

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_FPS", "DEFAULT_LANG", "DEFAULT_SIZE", "FORMATS", "STAMP", "SynthConfig", "dataset_root", "generate"]

STAMP, PARTIAL = ".synth.json", ".synth.partial"
EXTRA_FIELDS = ("n_no_signer", "n_invalid_text")  # only for formats with ``has_extras`` (iSign)
EXTRA_SHARE = 0.02  # their default: this share of the signed rows each, at least one


@dataclass(frozen=True)
class SynthConfig:
    """Sizes of the corpus. ``None`` means the format's default (see ``DEFAULT_SIZE``/``DEFAULT_FPS``).

    Sentences whose gloss count is outside [min_glosses, max_glosses] are redrawn; a sign lasts
    between min_sign_frames and max_sign_frames frames at tempo 1 (signers scale it 0.8-1.3x).
    iSign only: ``n_no_signer`` clips without a signer and ``n_invalid_text`` rows without a valid
    translation beside the ``n_train + n_dev + n_test`` good rows (``None``: 2 % of those each,
    at least one; see :mod:`.fmt_isign`).
    """

    n_train: int = 400
    n_dev: int = 50
    n_test: int = 50
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    n_signers: int = 5
    min_glosses: int = 1
    max_glosses: int = 20
    min_sign_frames: int = 6
    max_sign_frames: int = 10
    zipf_s: float = 1.1
    n_no_signer: int | None = None
    n_invalid_text: int | None = None

    def resolved(self, fmt: str) -> SynthConfig:
        """A copy with the format's defaults filled in, checked."""
        spec = FORMATS[fmt]
        w, h = spec.size
        cfg = replace(self, width=self.width or w, height=self.height or h, fps=self.fps or spec.fps)
        for name in EXTRA_FIELDS:
            v = getattr(cfg, name)
            if not spec.has_extras:
                if v not in (None, 0):
                    raise SLTInputError(f"{name} is an iSign option (rows its cleaning drops), not one of {fmt!r}", hint=f"leave {name} unset")
                cfg = replace(cfg, **{name: 0})
            elif v is None:
                cfg = replace(cfg, **{name: max(1, round(EXTRA_SHARE * (cfg.n_train + cfg.n_dev + cfg.n_test)))})
            elif isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise SLTInputError(f"{name} must be a non-negative integer, got {v!r}")
        for f in fields(cfg):
            v = getattr(cfg, f.name)
            if f.name in EXTRA_FIELDS:
                continue
            if f.name == "zipf_s":
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                    raise SLTInputError(f"zipf_s must be a positive number, got {v!r}")
            elif isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise SLTInputError(f"{f.name} must be a positive integer, got {v!r}")
        if cfg.width < MIN_SIZE or cfg.height < MIN_SIZE:
            raise SLTInputError(f"width and height must be at least {MIN_SIZE} pixels, got {cfg.width}x{cfg.height}")
        if spec.media == "mp4" and (cfg.width % 2 or cfg.height % 2):
            raise SLTInputError(f"mp4 clips (yuv420p) need an even width and height, got {cfg.width}x{cfg.height}")
        if spec.media == "mp4" and cfg.width in DECORD_BAD_WIDTHS:
            raise SLTInputError(
                f"decord misreads mp4s {cfg.width} pixels wide (as 4-channel frames, dmlc/decord#336)",
                hint=f"choose another width; these fail: {sorted(DECORD_BAD_WIDTHS)}",
            )
        if cfg.min_glosses > cfg.max_glosses or cfg.min_sign_frames > cfg.max_sign_frames:
            raise SLTInputError("min_glosses/min_sign_frames must not exceed max_glosses/max_sign_frames")
        if cfg.min_sign_frames < 3:
            raise SLTInputError(f"min_sign_frames must be at least 3, got {cfg.min_sign_frames}")
        return replace(cfg, **{f.name: (float if f.name == "zipf_s" else int)(getattr(cfg, f.name)) for f in fields(cfg)})

    def n_clips(self, split: str) -> int:
        return {"train": self.n_train, "dev": self.n_dev, "test": self.n_test}[split]


@dataclass(frozen=True)
class _Task:
    """Everything a worker needs to render and write one clip."""

    media: str  # png | jpg | mp4
    path: Path
    glosses: tuple[str, ...]  # () with ``empty``
    signer: Signer
    book: SignBook
    stream: tuple[int, ...]
    width: int
    height: int
    fps: int
    empty: bool = False  # the studio without the signer, ``n_frames`` long
    n_frames: int = 0


def _render_and_write(task: _Task) -> int:
    """Render one clip, write it as PNG/JPEG frames or mp4; return its frame count."""
    rng = np.random.default_rng(list(task.stream))
    if task.empty:
        frames = render_empty(task.signer, rng, task.width, task.height, task.n_frames)
    else:
        frames = render_clip(task.glosses, task.signer, rng, task.width, task.height, task.book)
    if task.media == "mp4":
        write_mp4(task.path, frames, task.fps)
    else:
        WRITERS[task.media](task.path, frames)
    return len(frames)  # frames: (T, H, W, 3)


def dataset_root(out_dir: str | Path, fmt: str) -> Path:
    """Where a format's tree starts: ``<out>/PHOENIX-2014-T``, ``<out>/CSL-Daily`` or ``<out>`` (the others)."""
    return FORMATS[fmt].root(out_dir)


def _clear(root: Path, spec: Format) -> None:
    """Remove a previous generation; refuse to touch a tree that slt-nb did not write."""
    existing = [p for p in spec.generated_paths(root) if p.exists()]
    if existing and not (root / STAMP).exists() and not (root / PARTIAL).exists():
        raise SLTInputError(
            "exists but was not written by `slt-nb synth` (no .synth.json)", file=existing[0],
            hint="choose another --out folder or delete it yourself",
        )  # fmt: skip
    for p in existing:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    (root / STAMP).unlink(missing_ok=True)


def _render_all(tasks: list[_Task], workers: int | None, desc: str, progress: bool) -> Iterator[int]:
    """Frame counts of the clips, in task order, rendered by ``workers`` processes (default:
    the available cores, at most 8, for 64 clips or more; else in this process)."""
    if workers is None:
        workers = min(8, len(os.sched_getaffinity(0))) if len(tasks) >= 64 else 1
    with tqdm(total=len(tasks), desc=desc, unit="clip", disable=not progress) as bar:
        if workers == 1:
            for task in tasks:
                yield _render_and_write(task)
                bar.update()
            return
        # fork, not spawn: spawn re-imports __main__ and so fails from unguarded scripts; workers use no torch
        # the workers die with this process and leave Ctrl-C to it (slt_nb.workers): a killed run stops rendering
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with worker_pool(workers, start_method=method) as pool:
            for n in pool.map(_render_and_write, tasks, chunksize=4):
                yield n
                bar.update()


def generate(
    out_dir: str | Path,
    fmt: str,
    lang: str | None = None,
    seed: int = 0,
    *,
    config: SynthConfig | None = None,
    workers: int | None = None,
    progress: bool = True,
    **sizes,
) -> Path:
    """Write the synthetic corpus in format ``fmt`` (:data:`FORMATS`: phoenix, how2sign, openasl, isign,
    csl-daily) with lexicon ``lang`` (:data:`~.grammar.LEXICONS`; default: the format's own) under
    ``out_dir``; return the dataset root (what the format's loader reads).

    ``sizes`` override fields of ``config`` (see :class:`SynthConfig`). ``workers`` processes
    render in parallel (see :func:`_render_all`); the output does not depend on it. A tree
    stamped with the same format, language, seed, config and version is left as it is.
    Raises :class:`SLTInputError` for a bad argument (nothing written) or a foreign tree in the way.
    """
    if fmt not in FORMATS:
        raise SLTInputError(f"unknown format {fmt!r}", hint=f"expected one of {list(FORMATS)}")
    spec = FORMATS[fmt]
    lang = spec.lang if lang is None else lang
    if lang not in LANGS:
        raise SLTInputError(f"unknown language {lang!r}", hint=f"expected one of {list(LANGS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SLTInputError(f"seed must be a non-negative integer, got {seed!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers <= 0):
        raise SLTInputError(f"workers must be a positive integer, got {workers!r}")
    unknown = set(sizes) - {f.name for f in fields(SynthConfig)}
    if unknown:
        raise SLTInputError(f"unknown size options {sorted(unknown)}", hint=f"expected some of {[f.name for f in fields(SynthConfig)]}")
    cfg = replace(config or SynthConfig(), **sizes).resolved(fmt)
    root = spec.root(out_dir)
    config_stamp = {k: v for k, v in asdict(cfg).items() if spec.has_extras or k not in EXTRA_FIELDS}  # others' stamps as before
    stamp = {"generator": "slt-nb synth", "version": __version__, "format": fmt, "lang": lang, "seed": int(seed), "config": config_stamp,
             **({"mp4": list(MP4_OPTIONS)} if spec.media == "mp4" else {})}  # another encoding: another tree
    try:
        if json.loads((root / STAMP).read_text(encoding="utf-8")) == stamp:
            log.info("synthetic %s corpus in %s is up to date", fmt, root)
            return root
    except (OSError, ValueError):
        pass
    grammar = Grammar(lang, cfg.zipf_s)
    book = SignBook(grammar.vocabulary(), (cfg.min_sign_frames, cfg.max_sign_frames))
    signers = make_signers(cfg.n_signers, np.random.default_rng([seed, SIGNERS]))
    plan = spec.plan(grammar, int(seed), cfg)
    keys = [key for key in PLAN_KEYS if key in plan]
    streams = {id(c): (int(seed), CLIPS, PLAN_KEYS.index(key), i) for key in keys for i, c in enumerate(plan[key])}
    if spec.needs_lengths:  # named by their duration: count the frames first (cheap, nothing drawn)
        for c in (c for key in keys for c in plan[key] if not c.empty):
            c.n_frames = clip_length(c.glosses, signers[c.signer], np.random.default_rng(list(streams[id(c)])), cfg.width, cfg.height, book)
        spec.name_clips(plan, cfg.fps)
    _clear(root, spec)
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / PARTIAL, stamp)
    clips: list[Clip] = [c for key in keys for c in plan[key]]
    tasks = [
        _Task(spec.media, spec.clip_path(root, c), tuple(c.glosses), signers[c.signer], book, streams[id(c)], cfg.width, cfg.height, cfg.fps,
              c.empty, c.n_frames)
        for c in clips
    ]  # fmt: skip
    for clip, n in zip(clips, _render_all(tasks, workers, desc=f"synth {fmt}/{lang}", progress=progress)):
        if clip.n_frames and n != clip.n_frames:  # clip_length and render_clip disagree: a bug here, not bad input
            raise RuntimeError(f"{clip.name}: rendered {n} frames, planned {clip.n_frames}")
        clip.n_frames = n
    spec.write_annotations(root, plan, [s.name for s in signers], cfg.fps)
    write_json(root / STAMP, stamp)
    (root / PARTIAL).unlink()
    return root
