"""Run one notebook headlessly and record it: jupytext (.py) -> ipynb, papermill, HTML, wall times.

The pieces of :func:`slt_nb.runner.reproduce` that touch one notebook: its conversion and parameters,
its execution in a kernel (in the runner or in a worker process), the error naming its cell when it
fails, its rendering and its wall time in ``runtimes.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import SLTInputError
from .io import file_lock, write_json, write_text
from .staging import Stage

RUNTIMES = "runtimes.json"  # in the results folder: notebook -> wall time (s) of its last successful run
CPU_TIMES = "cpu_times.json"  # in the results folder: notebook -> CPU time (s, user + system) of its last successful run


def to_ipynb(py_path: Path, out_path: Path) -> Path:
    """Convert a jupytext percent-format notebook to .ipynb (with a python3 kernelspec and cell ids ``cell-000``, ...)."""
    import jupytext

    nb = jupytext.read(py_path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):  # deterministic cell ids (nbformat draws random ones): the same bytes run to run
        cell["id"] = f"cell-{i:03d}"
    jupytext.write(nb, out_path, fmt="ipynb")
    return out_path


def declared_parameters(ipynb: Path) -> dict[str, str]:
    """name -> default expression of the notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill

    info = papermill.inspect_notebook(str(ipynb))
    return {name: spec["default"] for name, spec in info.items()}


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended and been waited for (their own
    waited-for children included: POSIX ``getrusage`` RUSAGE_SELF + RUSAGE_CHILDREN). Around one notebook run in a runner
    worker (one notebook at a time), the difference is the notebook's CPU time: papermill here, the kernel and every
    worker pool the kernel started and shut down. Not available on Windows (returns 0.0)."""
    try:
        import resource
    except ImportError:
        return 0.0
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def execute(src: str, dst: str, params: dict, kernel: str, cwd: str, gpu: str | None = None, env: dict | None = None,
            kernel_log: str | None = None) -> tuple[str, object, str, str, float]:
    """Run one notebook with papermill (in one of the runner's worker processes): ("ok" | "failed", cell, error name, error
    value, CPU seconds of the run: :func:`cpu_seconds`).
    ``gpu``: the GPU index its kernel may see (``CUDA_VISIBLE_DEVICES``); ``env``: more variables for the kernel (its
    stage); the kernel inherits this process's environment, set for the call only. ``kernel_log``: the kernel process's
    own stderr (its logging, not the cells' output, which papermill records) goes there instead of the terminal."""
    import papermill

    env = {**(env or {}), **({"CUDA_VISIBLE_DEVICES": gpu} if gpu is not None else {})}
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    saved_fd = None
    if kernel_log:
        import sys

        sys.stderr.flush()
        saved_fd = os.dup(2)
        with open(kernel_log, "a", encoding="utf-8") as log:
            os.dup2(log.fileno(), 2)
    cpu0 = cpu_seconds()
    try:
        papermill.execute_notebook(src, dst, parameters=params, kernel_name=kernel, cwd=cwd, progress_bar=False, log_output=False)
    except papermill.PapermillExecutionError as exc:
        return "failed", exc.exec_count, exc.ename, exc.evalue, cpu_seconds() - cpu0
    except Exception as exc:  # noqa: BLE001 (the kernel died or did not start: reported with the notebook's name)
        return "failed", None, type(exc).__name__, str(exc), cpu_seconds() - cpu0
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return "ok", None, "", "", cpu_seconds() - cpu0


VOLATILE_CELL_KEYS = ("execution",)  # Jupyter's iopub/shell timestamps
VOLATILE_PAPERMILL_KEYS = ("start_time", "end_time", "duration")


def stable_notebook(text: str, root: str | Path) -> str:
    """An executed notebook as published: no wall-clock timestamps or durations in its metadata (papermill's,
    Jupyter's ``execution``; timings live in ``runtimes.json``), and paths under the project ``root`` written
    relative to it, so that the same params give the same bytes on any machine.
    ``text``: the .ipynb JSON; returns it re-serialised as nbformat writes it (indent 1, sorted keys)."""
    nb = json.loads(text)
    for i, cell in enumerate(nb.get("cells", [])):  # papermill's injected-parameters cell gets a random id
        if "id" in cell:
            cell["id"] = f"cell-{i:03d}"
    for meta in [nb.get("metadata", {})] + [c.get("metadata", {}) for c in nb.get("cells", [])]:
        for key in VOLATILE_CELL_KEYS:
            meta.pop(key, None)
        pm = meta.get("papermill")
        if isinstance(pm, dict):
            for key in VOLATILE_PAPERMILL_KEYS:
                pm.pop(key, None)
            pm.pop("input_path", None)
            pm.pop("output_path", None)
    out = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    base = str(Path(root).resolve()).rstrip("/")
    return out.replace(base + "/", "").replace(json.dumps(base)[1:-1], ".")


def to_html(nb_path: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(nb_path, as_version=4))
    write_text(html_path, body)


def failure(nb: Path, cell, ename: str, evalue: str, executed: Path, failed: Path, stage: Stage) -> SLTInputError:
    """The error for a notebook that failed: its name, the cell (papermill's execution count) and the error, paths
    as published; its executed notebook (with the traceback) is kept as ``failed`` when it can be written."""
    saved = False
    if executed.exists():
        try:
            write_text(failed, stage.to_final(executed.read_text(encoding="utf-8")))
            saved = True
        except OSError:  # a full disk or a read-only folder: the message still names the notebook, cell and error
            pass
    where = f" in cell {cell}" if cell is not None else ""
    hint = "nothing it wrote was published" + (f"; the executed notebook with the traceback is {failed}" if saved else "")
    return SLTInputError(f"notebook {nb.name} failed{where}: {ename}: {evalue}", hint=hint)


def read_runtimes(results_dir: Path, *, file: str = RUNTIMES) -> dict[str, float]:
    """``<results_dir>/runtimes.json`` (notebook -> wall seconds; ``file=CPU_TIMES``: CPU seconds); {} when absent."""
    path = results_dir / file
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except json.JSONDecodeError as exc:
        raise SLTInputError(f"not valid JSON ({exc.msg})", file=path, line=exc.lineno, hint="delete it: the next run rewrites it") from None


def record_runtime(results_dir: Path, stem: str, seconds: float, *, file: str = RUNTIMES) -> dict[str, float]:
    """Set one notebook's wall time in ``runtimes.json`` (or its CPU time: ``file=CPU_TIMES``): read, update and
    write under an exclusive lock on the results folder, so concurrent ``reproduce`` runs (other notebooks) keep
    each other's entries. Returns every recorded time of that file."""
    results_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(results_dir):
        runtimes = read_runtimes(results_dir, file=file)
        runtimes[stem] = round(seconds, 1)
        write_json(results_dir / file, runtimes)
    return runtimes
