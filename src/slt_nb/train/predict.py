"""Predictions of a finished fine-tuning run on its dataset's splits (paper Sec 4.3: greedy, <= 128 tokens)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SLTInputError
from .run_config import RunResult
from .run_plan import dataset_record


def predict_run(result: RunResult, splits=("dev", "test"), *, out_dir: str | Path, batch_size: int = 8, max_new_tokens: int = 128,
                params_hash: str | None = None, shuffled_video_dir: str | Path | None = None, progress: bool = True,
                name: str | None = None) -> dict:
    """Greedy predictions of a finished run on ``splits`` -> ``<out_dir>/<name>.<dataset>.<split>.jsonl``
    (:func:`slt_nb.train.generate.generate_predictions`; ``name`` defaults to the run's model name).
    ``shuffled_video_dir``: also decode the last split with every clip's video replaced by the next
    clip's (a control: how much of the score comes from the video). Returns {split or
    "<split>-shuffled-video": path}. Holds a CPU slot while it decodes (:mod:`slt_nb.cpu_slots`)."""
    from ..cpu_slots import cpu_slot

    with cpu_slot():
        return _predict_run(result, splits, out_dir=out_dir, batch_size=batch_size, max_new_tokens=max_new_tokens, params_hash=params_hash,
                            shuffled_video_dir=shuffled_video_dir, progress=progress, name=name)


def _predict_run(result: RunResult, splits, *, out_dir, batch_size: int, max_new_tokens: int, params_hash, shuffled_video_dir, progress: bool,
                 name: str | None) -> dict:
    from dataclasses import replace as dc_replace

    from ..data.prepare import load_split
    from .generate import generate_predictions
    from .load_run import load_for_inference
    from .prompts import prompt_for

    if not result.finished:
        raise SLTInputError("the run has no final adapter yet", file=result.run_dir, hint="call train_run again to resume it")
    cfg = result.config
    record = dataset_record(cfg.dataset, cfg.manifest_dir)
    model, processor, fam = load_for_inference(result.run_dir)
    prompt = prompt_for(cfg.dataset, allow_non_paper=True).text
    out = {}
    kw = {"prompt": prompt, "t_max": cfg.t_max, "batch_size": batch_size, "max_new_tokens": max_new_tokens, "model_name": result.model_name,
          "params_hash": params_hash, "progress": progress}
    for split in splits:
        samples = load_split(record, split)
        if not samples:
            continue
        path = Path(out_dir) / f"{name or result.model_name}.{cfg.dataset}.{split}.jsonl"
        generate_predictions(model, processor, fam, samples, out_path=path, **kw)
        out[split] = path
    if shuffled_video_dir is not None and out:
        split = list(out)[-1]
        samples = load_split(record, split)
        video = [{"source": s.source, "source_kind": s.source_kind, "n_frames": s.n_frames, "fps": s.fps, "start": s.start, "end": s.end} for s in samples]
        swapped = [dc_replace(s, **video[(i + 1) % len(samples)]) for i, s in enumerate(samples)]
        path = Path(shuffled_video_dir) / f"{name or result.model_name}.{cfg.dataset}.{split}.jsonl"
        generate_predictions(model, processor, fam, swapped, out_path=path, **kw)
        out[f"{split}-shuffled-video"] = path
    return out


def _predict_one(result: RunResult, kwargs: dict, log_path: str) -> dict:
    """In a worker: :func:`predict_run` with stdout/stderr sent to ``log_path``."""
    from ..workers import output_to

    with output_to(log_path):
        return predict_run(result, **{**kwargs, "progress": False})


MIN_CLIPS_FOR_WORKERS = 2000  # below this many clips to decode, in-process: the default's tiny models decode a clip in ~8 ms of CPU
# (03's 10 runs x 150 clips: 12 CPU-s in one process), a worker costs ~5 CPU-s to start (torch + transformers + TRL + PEFT), so
# 2 workers paid ~10 CPU-s to save ~6 s of wall time, and with CPU slots (slt_nb.cpu_slots) another notebook has the other core anyway


def _clips_to_decode(results: dict[str, RunResult], kwargs: dict) -> int:
    """Clips :func:`predict_run` would decode for all ``results`` with ``kwargs`` (the shuffled-video control counted)."""
    from ..data.prepare import load_split

    total = 0
    for r in results.values():
        record = dataset_record(r.config.dataset, r.config.manifest_dir)
        sizes = [len(load_split(record, split)) for split in kwargs.get("splits", ("dev", "test"))]
        total += sum(sizes) + (sizes[-1] if kwargs.get("shuffled_video_dir") is not None and sizes else 0)
    return total


def predict_many(results: dict[str, RunResult], *, jobs: int = 1, threads: int = 1, log_dir: str | Path = "runs/logs", progress: bool = True,
                 name_by_id: bool = False, **kwargs) -> dict[str, dict]:
    """:func:`predict_run` for every finished run of ``results`` ({id: result}) with the same ``kwargs``; returns {id: its paths}.

    Fewer than :data:`MIN_CLIPS_FOR_WORKERS` clips in all: in this process (starting workers would cost more).
    ``name_by_id``: each run's files are named by its id (``name=id``, as 04's cells), else by its model name.
    ``jobs == 1``: one after the other here; else ``jobs`` worker processes with ``threads`` CPU threads each
    (:func:`slt_nb.train.parallel._init_worker`), logs in ``<log_dir>/<id>.predict.log``. Greedy decoding of one
    run does not depend on the process it runs in (same thread count), so the files are the same either way.
    A run that fails raises :class:`SLTInputError` naming its log."""
    from ..progress import tqdm

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SLTInputError(f"jobs must be a positive integer, got {jobs!r}")
    per_run = {k: {**kwargs, **({"name": k} if name_by_id else {})} for k in results}  # predict_run's keyword arguments per run
    if jobs == 1 or len(results) <= 1 or _clips_to_decode(results, kwargs) < MIN_CLIPS_FOR_WORKERS:
        return {k: predict_run(r, progress=progress, **per_run[k]) for k, r in results.items()}
    import os

    import torch

    from ..workers import worker_pool
    from .parallel import _init_worker

    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    gpus = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    out = {}
    with worker_pool(min(jobs, len(results)), initializer=_init_worker, initargs=(threads, gpus, os.environ.get("SLT_NB_ROOT"))) as ex, \
            tqdm(total=len(results), desc=f"predictions ({min(jobs, len(results))} workers)", unit="run", disable=not progress) as bar:
        futures = {k: ex.submit(_predict_one, r, per_run[k], str(log_dir / f"{k}.predict.log")) for k, r in results.items()}
        for k, fut in futures.items():
            try:
                out[k] = fut.result()
            except Exception as exc:  # noqa: BLE001 (the worker's error, or its death)
                raise SLTInputError(f"predictions of run {k} failed: {type(exc).__name__}: {exc}", file=log_dir / f"{k}.predict.log",
                                    hint="fix the error, then re-run") from None
            bar.update()
    return out
