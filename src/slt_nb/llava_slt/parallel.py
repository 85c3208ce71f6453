"""Stage-3 tuning variants in worker processes (notebook 08's ``llava_jobs`` on the CPU).

The variants of Tab. 6-8 are independent: each builds a fresh model from 07's folders, seeds itself
(:func:`slt_nb.llava_slt.pipeline.tune_variant`) and writes its own ``stage3-<variant>/`` folder. A
worker is a fresh Python process (``spawn``; it dies with this process, :mod:`slt_nb.workers`) with
this process's torch thread count, so it computes exactly what the variant computes here; it reads the clips from the cache that the parent has just
written, and returns its summary, its predictions and its log lines, which are printed here in the
variants' order (the notebook's output does not depend on which worker finished first).
"""

from __future__ import annotations

import os

from ..errors import SLTInputError
from .config import Stage3Config


def _variant_in_worker(name: str, cfg: Stage3Config, opts: dict) -> tuple[str, object, list[str]]:
    """In a worker: one variant, its stdout/stderr (progress bars) to ``<dataset>/logs/stage3-<variant>.log``.
    Returns ``("ok", (summary, predictions), log lines)`` or ``("failed", traceback text, log lines)``."""
    from ..workers import output_to
    from .pipeline import dataset_dir, read_pretrain, tune_variant, tuning_clips

    lines: list[str] = []
    logs = dataset_dir(opts["run_dir"], opts["record"]["name"]) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with output_to(logs / f"stage3-{name}.log"):
        try:
            pre = read_pretrain(opts["run_dir"], opts["record"]["name"])
            clips = tuning_clips(pre, {name: cfg}, **opts)
            return "ok", tune_variant(name, cfg, pre=pre, clips=clips, log=lines.append, **opts), lines
        except Exception:  # noqa: BLE001 (reported to the parent as text: exceptions need not pickle)
            import traceback

            return "failed", traceback.format_exc(), lines


def tune_variants_in_pool(cfgs: dict[str, Stage3Config], opts: dict, *, jobs: int, log=print) -> dict[str, tuple[dict, dict]]:
    """``{variant: (done-summary, predictions)}`` for every variant of ``cfgs``, trained by ``min(jobs, len(cfgs))``
    spawned workers; ``opts``: the keyword arguments of :func:`~slt_nb.llava_slt.pipeline.tune_variant` but ``pre``,
    ``clips`` and ``log``. Raises :class:`SLTInputError` naming the first variant that failed, with its traceback's end;
    finished variants keep their folders, so a re-run skips them."""
    from concurrent.futures import FIRST_COMPLETED, wait

    import torch
    from ..progress import tqdm

    from ..train.parallel import _init_worker
    from ..workers import worker_pool

    threads = torch.get_num_threads()
    n = min(jobs, len(cfgs))
    done: dict[str, tuple[str, object, list[str]]] = {}
    with worker_pool(n, initializer=_init_worker, initargs=(threads, [], os.environ.get("SLT_NB_ROOT"))) as ex, \
            tqdm(total=len(cfgs), desc=f"stage 3 variants ({n} workers)", unit="variant") as bar:
        running = {ex.submit(_variant_in_worker, name, cfg, opts): name for name, cfg in cfgs.items()}  # in order: main first
        while running:
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                name = running.pop(fut)
                try:
                    done[name] = fut.result()
                except Exception as exc:  # the worker died (e.g. killed for memory)
                    done[name] = ("failed", f"worker process failed: {type(exc).__name__}: {exc}", [])
                if done[name][0] == "failed":
                    for other in running:
                        other.cancel()
                    tail = "\n".join(str(done[name][1]).splitlines()[-8:])
                    raise SLTInputError(f"stage-3 variant {name!r} failed in a worker:\n{tail}",
                                        hint="fix the error and re-run: finished variants are skipped (llava_jobs = 1 runs them in this process)")
                bar.update()
    out = {}
    for name in cfgs:  # the variants' order, not the finishing order
        _, result, lines = done[name]
        for line in lines:
            log(line)
        out[name] = result
    return out
