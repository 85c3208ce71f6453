"""Generate the synthetic corpus on disk in a released dataset format, deterministically.

Random streams (``numpy.random.default_rng([seed, stream, ...])``), one per purpose and split,
so that splits never share draws and each clip renders the same in any process:

* ``[seed, 0, k]``: sentences of split ``k`` (0 train, 1 dev, 2 test);
* ``[seed, 1, k, i]``: rendering of clip ``i`` of split ``k``;
* ``[seed, 2]``: the signers;
* ``[seed, 3, k]``: names, signer per group, How2Sign timing of split ``k``.

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
from tqdm.auto import tqdm

from .. import __version__
from ..errors import SLTInputError
from ..io import write_json, write_text
from ..workers import worker_pool
from . import formats
from .formats import FORMATS, Clip
from .grammar import LANGS, Grammar
from .render import MIN_SIZE, render_clip
from .signer import Signer, make_signers
from .signs import SignBook

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
DEFAULT_LANG = {"phoenix": "de", "how2sign": "en"}
DEFAULT_SIZE = {"phoenix": (80, 96), "how2sign": (96, 96)}  # (width, height): PHOENIX is portrait 210x260
DEFAULT_FPS = {"phoenix": 25, "how2sign": 24}
STAMP, PARTIAL = ".synth.json", ".synth.partial"
DECORD_BAD_WIDTHS = frozenset({16, 24, 48, 72})  # decord 0.6.0 decodes these as 4 channels (tested 16..328)
_SENTENCES, _CLIPS, _SIGNERS, _NAMES = range(4)
_MAX_REDRAWS = 1000


@dataclass(frozen=True)
class SynthConfig:
    """Sizes of the corpus. ``None`` means the format's default (see ``DEFAULT_SIZE``/``DEFAULT_FPS``).

    Sentences whose gloss count is outside [min_glosses, max_glosses] are redrawn; a sign lasts
    between min_sign_frames and max_sign_frames frames at tempo 1 (signers scale it 0.8-1.3x).
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

    def resolved(self, fmt: str) -> SynthConfig:
        """A copy with the format's defaults filled in, checked."""
        w, h = DEFAULT_SIZE[fmt]
        cfg = replace(self, width=self.width or w, height=self.height or h, fps=self.fps or DEFAULT_FPS[fmt])
        for f in fields(cfg):
            v = getattr(cfg, f.name)
            if f.name == "zipf_s":
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                    raise SLTInputError(f"zipf_s must be a positive number, got {v!r}")
            elif isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise SLTInputError(f"{f.name} must be a positive integer, got {v!r}")
        if cfg.width < MIN_SIZE or cfg.height < MIN_SIZE:
            raise SLTInputError(f"width and height must be at least {MIN_SIZE} pixels, got {cfg.width}x{cfg.height}")
        if fmt == "how2sign" and (cfg.width % 2 or cfg.height % 2):
            raise SLTInputError(f"How2Sign mp4s (yuv420p) need an even width and height, got {cfg.width}x{cfg.height}")
        if fmt == "how2sign" and cfg.width in DECORD_BAD_WIDTHS:
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

    fmt: str
    path: Path
    glosses: tuple[str, ...]
    signer: Signer
    book: SignBook
    stream: tuple[int, ...]
    width: int
    height: int
    fps: int


def _render_and_write(task: _Task) -> int:
    """Render one clip, write it as PNG frames or mp4; return its frame count."""
    frames = render_clip(task.glosses, task.signer, np.random.default_rng(list(task.stream)), task.width, task.height, task.book)
    if task.fmt == "phoenix":
        formats.write_png_frames(task.path, frames)
    else:
        formats.write_mp4(task.path, frames, task.fps)
    return len(frames)  # frames: (T, H, W, 3)


def dataset_root(out_dir: str | Path, fmt: str) -> Path:
    """Where a format's tree starts: ``<out>/PHOENIX-2014-T`` or ``<out>`` (How2Sign)."""
    return Path(out_dir) / formats.PHOENIX_ROOT if fmt == "phoenix" else Path(out_dir)


def _plan(fmt: str, grammar: Grammar, seed: int, cfg: SynthConfig) -> dict[str, list[Clip]]:
    """Sentences, names and signers of every clip, in order (no rendering)."""
    plan: dict[str, list[Clip]] = {}
    groups: set[str] = set()
    number = 0  # PHOENIX clip number, unique over all splits
    p_signer = 1 / np.sqrt(np.arange(1, cfg.n_signers + 1))  # some signers sign more than others
    for k, split in enumerate(SPLITS):
        srng, nrng = np.random.default_rng([seed, _SENTENCES, k]), np.random.default_rng([seed, _NAMES, k])
        clips: list[Clip] = []
        while len(clips) < cfg.n_clips(split):
            group = formats.phoenix_group(nrng) if fmt == "phoenix" else formats.how2sign_group(nrng)
            if group in groups and fmt == "how2sign":
                continue  # VIDEO_IDs are unique
            groups.add(group)
            signer = int(nrng.choice(cfg.n_signers, p=p_signer / p_signer.sum()))
            camera, first = int(nrng.choice([1, 2, 3, 5, 8])), int(nrng.integers(0, 10))
            domain = grammar.draw_domain(srng)  # a broadcast / video keeps to one topic
            for j in range(min(int(nrng.integers(2, 9)), cfg.n_clips(split) - len(clips))):
                text, glosses = _draw_sentence(grammar, srng, domain, cfg)
                number += 1
                if fmt == "phoenix":
                    clips.append(Clip(split, formats.phoenix_name(group, number), group, signer, text, glosses))
                else:
                    video_name, sentence_id, name = formats.how2sign_names(group, camera, first + j)
                    gap = float(nrng.uniform(2.0, 30.0) if j == 0 else nrng.uniform(0.3, 4.0))
                    clips.append(Clip(split, name, group, signer, text, glosses, video_name, sentence_id, gap))
        plan[split] = clips
    return plan


def _draw_sentence(grammar: Grammar, rng: np.random.Generator, domain: str, cfg: SynthConfig) -> tuple[str, list[str]]:
    """A sentence whose gloss count is within the configured range."""
    for _ in range(_MAX_REDRAWS):
        s = grammar.sentence(rng, domain)
        if cfg.min_glosses <= len(s.glosses) <= cfg.max_glosses:
            return s.text, s.glosses
    raise SLTInputError(
        f"the {grammar.lang!r} grammar makes no sentences with {cfg.min_glosses}-{cfg.max_glosses} glosses",
        hint="widen min_glosses/max_glosses",
    )


def _clear(root: Path, fmt: str) -> None:
    """Remove a previous generation; refuse to touch a tree that slt-nb did not write."""
    existing = [p for p in formats.generated_paths(root, fmt) if p.exists()]
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
    """Write the synthetic corpus in format ``fmt`` ('phoenix' or 'how2sign') and language
    ``lang`` ('de' or 'en'; default: the format's own) under ``out_dir``; return the dataset root.

    ``sizes`` override fields of ``config`` (see :class:`SynthConfig`). ``workers`` processes
    render in parallel (see :func:`_render_all`); the output does not depend on it. A tree
    stamped with the same format, language, seed, config and version is left as it is.
    """
    if fmt not in FORMATS:
        raise SLTInputError(f"unknown format {fmt!r}", hint=f"expected one of {list(FORMATS)}")
    lang = DEFAULT_LANG[fmt] if lang is None else lang
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
    root = dataset_root(out_dir, fmt)
    stamp = {"generator": "slt-nb synth", "version": __version__, "format": fmt, "lang": lang, "seed": int(seed), "config": asdict(cfg)}
    try:
        if json.loads((root / STAMP).read_text(encoding="utf-8")) == stamp:
            log.info("synthetic %s corpus in %s is up to date", fmt, root)
            return root
    except (OSError, ValueError):
        pass
    grammar = Grammar(lang, cfg.zipf_s)
    book = SignBook(grammar.vocabulary(), (cfg.min_sign_frames, cfg.max_sign_frames))
    signers = make_signers(cfg.n_signers, np.random.default_rng([seed, _SIGNERS]))
    plan = _plan(fmt, grammar, int(seed), cfg)
    _clear(root, fmt)
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / PARTIAL, stamp)
    tasks = [
        _Task(fmt, formats.clip_path(root, fmt, split, c.name), tuple(c.glosses), signers[c.signer], book,
              (int(seed), _CLIPS, k, i), cfg.width, cfg.height, cfg.fps)
        for k, split in enumerate(SPLITS) for i, c in enumerate(plan[split])
    ]  # fmt: skip
    clips = [c for split in SPLITS for c in plan[split]]
    for clip, n in zip(clips, _render_all(tasks, workers, desc=f"synth {fmt}/{lang}", progress=progress)):
        clip.n_frames = n

    for split in SPLITS:
        if fmt == "phoenix":
            text = formats.phoenix_csv(plan[split], [s.name for s in signers])
        else:
            text = formats.how2sign_csv(plan[split], cfg.fps)
        write_text(formats.annotation_path(root, fmt, split), text)
    write_json(root / STAMP, stamp)
    (root / PARTIAL).unlink()
    return root
