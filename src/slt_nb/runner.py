"""Run the notebooks headlessly: jupytext (.py, percent format) -> ipynb -> papermill -> executed ipynb + HTML.

``slt-nb reproduce [--params FILE] [--only NAME ...]`` executes ``notebooks/NN_*.py`` in order
with the params file's overrides (each notebook gets only the parameters it declares), writes
``results/notebooks/NN_name.{ipynb,html}``, records each notebook's wall time and rebuilds the
results index ``results/README.md``.

With ``--jobs N`` up to N notebooks run at once, each in its own process and kernel, as soon as the
notebooks it reads from have finished: a notebook runs after every lower-numbered one unless its
jupytext header names its inputs (``slt_nb: {after: [01_data_prep]}``). The tables do not depend on
the order (every notebook reads only what its ``after`` list writes); only the wall times do.
A notebook whose header says ``gpu: true`` trains on the GPU: with G GPUs visible at most G of them
run at once, each pinned to its own GPU (``CUDA_VISIBLE_DEVICES``) — on a one-GPU node they take turns
while CPU notebooks run beside them — unless ``share_gpu`` (``--share-gpu``) asks otherwise. Without a
GPU the notebooks share one set of CPU slots, one per core (:mod:`slt_nb.cpu_slots`, ``--cpu-slots``): each
training run, prediction pass and LLaVA-SLT stage holds one while it computes, the notebook with the
longest remaining chain of recorded CPU seconds first.

**Each params file owns its results.** The run writes into the ``results_dir`` (and reads the
``manifest_dir``) that its params give — ``params/paper.yaml`` sets ``results/paper`` and
``data/paper/manifests`` — and records its owner in ``<folder>/params.json``; a run of another params
file into a folder it does not own is refused before anything runs. Every output is stamped with the
run's params hash, and every reader takes only what carries its own run's hash
(:func:`slt_nb.metrics.predictions.run_predictions`), never whatever lies in a folder.

**A notebook's outputs are published only if it succeeds** (:mod:`slt_nb.staging`): it runs against a
copy of the results folder, and only when it exits 0 are the files it wrote moved into place, its
executed notebook, its wall time (``runtimes.json``, updated under a lock on the folder, so two runs at
once keep both entries), its CPU time (``cpu_times.json``, the same way; :func:`slt_nb.execute.cpu_seconds`)
and the owner record written. A failure leaves the results folder as it was
but for ``notebooks/<name>.failed.ipynb`` (git-ignored), and names the notebook, the cell and the error.
The workers (``--jobs``) and kernels die with the runner (:mod:`slt_nb.workers`).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from . import __version__
from .cpu_slots import PRIORITY_ENV, SLOTS_ENV, slots_spec
from .errors import SLTInputError
from .execute import CPU_TIMES, declared_parameters, execute, failure, read_runtimes, record_runtime, stable_notebook, to_html, to_ipynb
from .io import file_lock, with_path, write_text
from .notebook_graph import critical_paths, dependencies, headers, list_notebooks, select
from .ownership import OWNED_DIRS, claim, stageable
from .params import OPERATIONAL, hashed, literal_default, load_params, params_for, params_hash
from .params_check import check_params
from .progress import PROGRESS_LOG
from .paths import project_root, resolve
from .staging import Stage, discard, open_stage, publish


def run_hash(declared: dict[str, dict[str, str]], overrides: dict) -> str:
    """The params hash of a run: every notebook's defaults + the overrides, :data:`~slt_nb.params.OPERATIONAL`
    parameters left out (they choose what runs, not what a result is)."""
    defaults = {nb: {k: v for k, v in d.items() if k not in OPERATIONAL} for nb, d in declared.items()}
    return params_hash({"version": __version__, "defaults": defaults, "overrides": hashed(overrides)})


def effective(name: str, declared: dict[str, dict[str, str]], overrides: dict):
    """The value a parameter takes in this run: the override, else the notebooks' (shared) default."""
    if name in overrides:
        return overrides[name]
    found = {d[name] for d in declared.values() if name in d}
    if len(found) > 1:
        raise SLTInputError(f"notebooks declare {name} with different defaults: {sorted(found)}", hint="give it one default in every notebook")
    return literal_default(found.pop()) if found else None


def reproduce(params_file: str | Path | None = None, only: list[str] | None = None, *, root: str | Path | None = None, kernel: str = "python3",
              jobs: int = 1, set_params: dict | None = None, gpus: int | None = None, share_gpu: bool = False,
              cpu_slots: int | None = None) -> dict:
    """Execute the notebooks, up to ``jobs`` at once (see the module docstring); returns {notebook:
    seconds}. ``set_params``: overrides on top of the params file's (``--set``; part of the params hash
    unless operational). ``gpus``: GPUs visible (None: ``torch.cuda.device_count()`` when ``jobs > 1``);
    ``share_gpu``: let ``gpu: true`` notebooks run beside each other anyway. ``cpu_slots``: at most that many
    runs/stages compute at once across all notebooks (:mod:`slt_nb.cpu_slots`); None: the CPU cores when
    ``jobs > 1`` and no notebook trains on a GPU, else no limit; 0: no limit. A failing notebook stops the
    run with its name and cell and publishes nothing it wrote; the notebooks that finished before it, or
    were running beside it and succeed, keep (publish) their outputs."""
    from concurrent.futures import FIRST_COMPLETED, wait

    from .report.index import write_index
    from .workers import worker_pool

    if cpu_slots is not None and (isinstance(cpu_slots, bool) or not isinstance(cpu_slots, int) or cpu_slots < 0):
        raise SLTInputError(f"cpu_slots must be a non-negative integer, got {cpu_slots!r}", hint="the CPU cores (e.g. 2), or 0 for no limit")
    root = Path(root) if root else project_root()
    params_path = resolve(params_file, root) if params_file else None
    overrides = {**load_params(params_path), **(set_params or {})}
    notebooks = list_notebooks(root / "notebooks")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SLTInputError(f"jobs must be a positive integer, got {jobs!r}")

    # Kernels inherit the environment: notebooks resolve relative paths against this root.
    os.environ["SLT_NB_ROOT"] = str(root.resolve())
    with tempfile.TemporaryDirectory(prefix="slt-nb-") as tmp:
        inputs = {nb.stem: to_ipynb(nb, Path(tmp) / f"{nb.stem}.ipynb") for nb in notebooks}
        declared = {stem: declared_parameters(path) for stem, path in inputs.items()}
        check_params(declared, overrides, notebooks=notebooks, params_file=params_path, set_params=set_params)  # before anything is written
        phash = run_hash(declared, overrides)
        rel_params = str(params_path.relative_to(root)) if params_path and params_path.is_relative_to(root) else (str(params_path) if params_path else None)
        owned = {name: resolve(value, root) for name in OWNED_DIRS if (value := effective(name, declared, overrides)) is not None}
        results_dir = owned.get("results_dir", root / "results")  # notebooks that declare none: the project's results/
        stageable(results_dir, root, owned.get("manifest_dir"))
        for name, folder in owned.items():
            claim(folder, rel_params, phash, name, record=name != "results_dir")  # the results folder's: with its first published outputs
        out_dir = results_dir / "notebooks"
        runtimes = read_runtimes(results_dir)
        chosen = select(notebooks, only)
        heads = headers(chosen)
        after = dependencies(chosen, heads)
        on_gpu = {nb.stem for nb in chosen if heads[nb.stem].get("gpu")}
        if jobs > 1 and gpus is None and on_gpu:
            import torch

            gpus = torch.cuda.device_count()
        gpu_slots = [str(i) for i in range(gpus or 0)]  # free GPU indices for gpu notebooks (jobs > 1)
        if cpu_slots is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)  # the cores this process may use
            cpu_slots = cores if jobs > 1 and not gpu_slots else 0
        slots_env = {SLOTS_ENV: slots_spec(Path(tmp) / "cpu-slots", cpu_slots)} if cpu_slots else {}

        def submit(run, nb, gpu=None):
            """Stage the results folder (now: after the notebooks it reads from have published) and start ``nb``."""
            names = set(declared[nb.stem])
            params = params_for(names, overrides)
            params.update({k: v for k, v in (("params_file", rel_params), ("params_hash", phash)) if k in names})
            executed = Path(tmp) / f"{nb.stem}.executed.ipynb"
            try:
                stage = open_stage(os.path.realpath(results_dir), Path(tmp) / "stage" / nb.stem)
            except OSError as exc:
                raise with_path(exc, exc.filename or results_dir, force=True, note=f"staging the results folder for notebook {nb.name}") from None
            progress = root / "runs" / "logs" / f"{nb.stem}.progress.log"  # progress bars: here, not in the saved notebook
            progress.parent.mkdir(parents=True, exist_ok=True)
            progress.write_text("", encoding="utf-8")
            env = {**stage.env(), PROGRESS_LOG: str(progress), "TQDM_DISABLE": "1", **slots_env}  # TQDM_DISABLE: third-party bars (tqdm's env override)
            if slots_env:
                env[PRIORITY_ENV] = f"{work[nb.stem]:.1f}"  # its runs take a free CPU slot before those of shorter chains
            return run(execute, str(inputs[nb.stem]), str(executed), params, kernel, str(root), gpu, env,
                       str(Path(tmp) / f"{nb.stem}.kernel.log")), executed, stage

        def finish(nb, outcome, executed: Path, seconds: float, stage: Stage) -> None:
            """Publish a notebook that succeeded; report one that failed (its outputs are dropped with its stage)."""
            try:
                status, cell, ename, evalue, cpu = outcome
                if status != "ok":
                    raise failure(nb, cell, ename, stage.to_final(str(evalue)), executed, out_dir / f"{nb.stem}.failed.ipynb", stage)
                try:
                    publish(stage)
                    if "results_dir" in owned:
                        claim(results_dir, rel_params, phash, "results_dir")
                    write_text(out_dir / f"{nb.stem}.ipynb", stable_notebook(stage.to_final(executed.read_text(encoding="utf-8")), root))
                    to_html(out_dir / f"{nb.stem}.ipynb", out_dir / f"{nb.stem}.html")
                    (out_dir / f"{nb.stem}.failed.ipynb").unlink(missing_ok=True)
                    runtimes.update(record_runtime(results_dir, nb.stem, seconds))
                    record_runtime(results_dir, nb.stem, cpu, file=CPU_TIMES)
                except OSError as exc:
                    raise with_path(exc, exc.filename or results_dir, force=True, note=f"publishing the outputs of notebook {nb.name}") from None
            finally:
                discard(stage)

        priority = critical_paths(after, runtimes)  # an earlier run's wall times; unknown ones count 1 s
        # CPU slots share out CPU time, so their priority is the chain of CPU seconds (an earlier run's; else its wall time):
        # wall times recorded under slots include the time a notebook waited for one
        work = critical_paths(after, {**runtimes, **read_runtimes(results_dir, file=CPU_TIMES)})

        def startable(pending, running_gpu: int) -> list:
            """Ready notebooks, longest remaining chain of wall times first (then in order), at most one per GPU
            for the gpu ones (none without GPUs: they then train on the CPU; any number with share_gpu)."""
            out, gpu_budget = [], len(gpu_slots) - running_gpu
            for nb in sorted(pending, key=lambda nb: (-priority[nb.stem] if jobs > 1 else 0, nb.stem)):  # jobs 1: in order
                if not set(after[nb.stem]) <= done:
                    continue
                if nb.stem in on_gpu and gpu_slots and not share_gpu:
                    if gpu_budget <= 0:
                        continue
                    gpu_budget -= 1
                out.append(nb)
            return out

        # Every notebook runs in a worker process (one kernel each), also with jobs == 1: the runner only waits,
        # so Ctrl-C or SIGTERM kills the workers (and so their kernels) and leaves one line, not papermill's traces.
        done: set[str] = set()
        running, pending, first_error = {}, list(chosen), None
        def report(nb: Path, status: str, seconds: float) -> None:  # one line per notebook, as it ends
            print(f"slt-nb reproduce: [{len(done) + (status != 'ok')}/{len(chosen)}] {nb.stem}: {status}, {seconds:.1f} s", flush=True)

        with worker_pool(jobs) as ex:
            while running or (pending and first_error is None):
                if first_error is None:  # after a failure no notebook starts; the running ones finish and publish
                    if not running and not any(set(after[nb.stem]) <= done for nb in pending):
                        raise SLTInputError("the notebooks' slt_nb.after lists form a cycle: " + ", ".join(nb.stem for nb in pending))
                    busy_gpus = [r[3] for r in running.values() if r[3] is not None]
                    n_gpu = sum(1 for (nb, *_r) in running.values() if nb.stem in on_gpu)
                    for nb in startable(pending, n_gpu)[: jobs - len(running)]:
                        pending.remove(nb)
                        gpu = None
                        if nb.stem in on_gpu and not share_gpu and len(gpu_slots) > 1:
                            gpu = next(g for g in gpu_slots if g not in busy_gpus)
                            busy_gpus.append(gpu)
                        fut, executed, stage = submit(ex.submit, nb, gpu)
                        running[fut] = (nb, executed, time.perf_counter(), gpu, stage)
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in finished:
                    nb, executed, t0, _gpu, stage = running.pop(fut)
                    try:
                        outcome = fut.result()
                    except Exception as exc:  # noqa: BLE001 (the worker died, e.g. killed for memory)
                        outcome = ("failed", None, type(exc).__name__, f"worker process failed: {exc}", 0.0)
                    seconds = time.perf_counter() - t0
                    try:
                        finish(nb, outcome, executed, seconds, stage)
                    except (SLTInputError, OSError) as exc:
                        report(nb, "FAILED", seconds)
                        first_error = first_error or exc
                        continue
                    done.add(nb.stem)
                    report(nb, "ok", seconds)
        if first_error is not None:
            raise first_error
    results_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(results_dir):  # another run may have recorded its notebooks meanwhile: index them all
        runtimes = read_runtimes(results_dir)
        write_index(results_dir, params_file=rel_params, params_hash=phash, runtimes=runtimes, cpu_times=read_runtimes(results_dir, file=CPU_TIMES))
    return runtimes
