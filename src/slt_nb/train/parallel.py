"""Several training runs at once: a pool of ``jobs`` worker processes (one CPU thread or one GPU each).

Used by the notebooks for their independent runs (03's families, 04's ablation cells). A worker is
a fresh Python process (``spawn``) that imports the training stack once and then trains run after
run, its output going to ``<log_dir>/<id>.log``; it dies with this process (:mod:`slt_nb.workers`).
Runs that would build the same tiny base model (:mod:`slt_nb.standins.pretrain`), or the same shared
vision stage (datasets whose signs render alike), are not started together: the first builds it, the
others wait and then reuse it. Finished runs are recognised in this process first (``train_run(train=False)``)
and need no worker. The results are then read back here, so the caller gets the same
:class:`~slt_nb.train.run.RunResult` as from an in-process :func:`~slt_nb.train.run.train_run`;
every run seeds itself, so one thread in a worker trains exactly what one thread here would.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, replace
from pathlib import Path

from ..errors import SLTInputError
from .run import train_run
from .run_config import RunConfig, RunResult


def _base_group(cfg: RunConfig) -> tuple:
    """Runs of one group build (and then share) one tiny base model, or one vision stage: datasets whose
    signs render alike share it (:func:`slt_nb.standins.vision_stage.render_identity`), others group by name."""
    return (cfg.family, cfg.model, _signs_of(cfg), cfg.seed, json.dumps(cfg.base, sort_keys=True), cfg.runs_dir)  # a base serves every T_max


def _signs_of(cfg: RunConfig) -> str:
    from ..models.registry import is_tiny

    if not is_tiny(cfg.model):
        return f"dataset:{cfg.dataset}"  # a checkpoint builds no base: nothing to share, and no stand-in code to import
    from ..standins.base_spec import synth_setup
    from ..standins.vision_stage import render_identity
    from .run_plan import dataset_record

    try:
        setup = synth_setup(dataset_record(cfg.dataset, cfg.manifest_dir))
    except SLTInputError:
        setup = None  # not prepared (yet): train_run names the problem
    return json.dumps(render_identity(setup), sort_keys=True) if setup else f"dataset:{cfg.dataset}"


def _init_worker(threads: int, gpus, root: str | None) -> None:
    """Per worker, before torch is imported: its CPU threads, its GPU (round robin), the project root."""
    import multiprocessing as mp

    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[k] = str(threads)
    if gpus:
        ident = mp.current_process()._identity
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus[(ident[0] - 1) % len(gpus)] if ident else gpus[0])
    if root:
        os.environ["SLT_NB_ROOT"] = root
    import torch

    torch.set_num_threads(threads)


def _train_one(cfg_dict: dict, force: bool, log_path: str) -> tuple[str, float]:
    """In a worker: train one run with stdout/stderr (file descriptors 1 and 2) sent to ``log_path``."""
    from ..workers import output_to

    t0 = time.perf_counter()
    with output_to(log_path):
        try:
            res = train_run(RunConfig(**cfg_dict), force=force)
        except Exception as exc:  # noqa: BLE001 (reported to the parent as text: exceptions need not pickle)
            import traceback

            traceback.print_exc()
            return "failed", f"{type(exc).__name__}: {exc}"
    return res.status, time.perf_counter() - t0


def train_many(runs: dict[str, RunConfig], *, jobs: int = 1, force: bool = False, threads: int = 1, log_dir: str | Path = "runs/logs",
               progress: bool = True, desc: str = "runs") -> dict[str, RunResult]:
    """Train every run of ``runs`` ({id: config}; finished ones are skipped) and return {id: RunResult}.
    ``jobs == 1``: one after the other in this process; else a pool of ``jobs`` workers."""
    from ..progress import tqdm

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SLTInputError(f"jobs must be a positive integer, got {jobs!r}")
    if jobs == 1:
        return {k: train_run(c, force=force) for k, c in tqdm(runs.items(), desc=desc, unit="run", disable=not progress)}
    done = {} if force else {k: train_run(c, train=False) for k, c in runs.items()}  # finished runs need no worker
    todo = {k: c for k, c in runs.items() if force or not done[k].finished}
    ran = _pool(todo, jobs=min(jobs, len(todo)), force=force, threads=threads, log_dir=Path(log_dir), progress=progress, desc=desc) if todo else {}
    out = {}
    for k, c in runs.items():
        r = train_run(c, train=False) if k in ran else done[k]
        if not r.finished:
            raise SLTInputError(f"run {k} has no finished result after training", file=Path(log_dir) / f"{k}.log")
        status, seconds = ran.get(k, (r.status, r.seconds))
        out[k] = replace(r, status=status, seconds=seconds)
    return out


def _pool(runs: dict[str, RunConfig], *, jobs: int, force: bool, threads: int, log_dir: Path, progress: bool, desc: str) -> dict[str, tuple[str, float]]:
    from concurrent.futures import FIRST_COMPLETED, wait

    import torch
    from ..progress import tqdm

    from ..workers import worker_pool

    log_dir.mkdir(parents=True, exist_ok=True)
    gpus = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    pending, running, results = list(runs), {}, {}
    started, built = set(), set()
    # fresh interpreters (spawn: no forked torch / CUDA state) that die with this process (a killed notebook or runner)
    with worker_pool(jobs, initializer=_init_worker, initargs=(threads, gpus, os.environ.get("SLT_NB_ROOT"))) as ex, \
            tqdm(total=len(runs), desc=f"{desc} ({jobs} workers)", unit="run", disable=not progress) as bar:
        while pending or running:
            for k in list(pending):
                if len(running) >= jobs:
                    break
                g = _base_group(runs[k])
                if g in started and g not in built:
                    continue  # another run is building this base
                pending.remove(k)
                started.add(g)
                cfg = {**asdict(runs[k]), "progress": False}
                running[ex.submit(_train_one, cfg, force, str(log_dir / f"{k}.log"))] = (k, g)
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                k, g = running.pop(fut)
                built.add(g)
                try:
                    status, info = fut.result()
                except Exception as exc:  # the worker died (e.g. killed for memory)
                    status, info = "failed", f"worker process failed: {type(exc).__name__}: {exc}"
                if status == "failed":
                    for other in running:
                        other.cancel()
                    log = log_dir / f"{k}.log"
                    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-12:]) if log.is_file() else ""
                    raise SLTInputError(f"run {k} failed: {info}\n{tail}", file=log, hint="fix the error, then re-run: finished runs are skipped")
                results[k] = (status, info)
                bar.update()
    return results
