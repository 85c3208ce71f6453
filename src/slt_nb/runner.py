"""Run the notebooks headlessly: jupytext (.py, percent format) -> ipynb -> papermill -> executed ipynb + HTML.

``slt-nb reproduce [--params FILE] [--only NAME ...]`` executes ``notebooks/NN_*.py`` in order
with the params file's overrides (each notebook gets only the parameters it declares), writes
``results/notebooks/NN_name.{ipynb,html}``, records each notebook's wall time and rebuilds the
results index ``results/README.md``.

With ``--jobs N`` up to N notebooks run at once, each in its own process and kernel, as soon as the
notebooks it reads from have finished: a notebook runs after every lower-numbered one unless its
jupytext header names its inputs (``slt_nb: {after: [01_data_prep]}``). The tables do not depend on
the order (every notebook reads only what its ``after`` list writes); only the wall times do.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

from . import __version__
from .errors import SLTInputError
from .io import write_json, write_text
from .params import check_known, load_params, params_for, params_hash
from .paths import project_root, resolve

NOTEBOOK_RE = re.compile(r"^\d\d_[a-z0-9_]+\.py$")
RESERVED = {"params_file", "params_hash"}  # injected by the runner into every notebook that declares them


def list_notebooks(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    found = sorted(p for p in folder.glob("*.py") if NOTEBOOK_RE.match(p.name))
    if not found:
        raise SLTInputError("no notebooks found", file=folder, hint="expected files like 01_data_prep.py")
    return found


def to_ipynb(py_path: Path, out_path: Path) -> Path:
    """Convert a jupytext percent-format notebook to .ipynb (with a python3 kernelspec)."""
    import jupytext

    nb = jupytext.read(py_path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    jupytext.write(nb, out_path, fmt="ipynb")
    return out_path


def dependencies(notebooks: list[Path]) -> dict[str, list[str]]:
    """stem -> the stems it runs after: its header's ``slt_nb.after`` (prefixes like ``03`` allowed), else
    every lower-numbered notebook. Only notebooks in ``notebooks`` count (``--only`` runs a subset; a
    project copy may hold only some notebooks)."""
    import jupytext

    stems = [nb.stem for nb in notebooks]
    out = {}
    for i, nb in enumerate(notebooks):
        after = (jupytext.read(nb).metadata.get("slt_nb") or {}).get("after")
        if after is None:
            out[nb.stem] = stems[:i]
            continue
        deps = []
        for name in after:
            name = f"{name:02d}" if isinstance(name, int) else str(name)  # YAML reads [01] as the number 1
            if not re.fullmatch(r"\d\d(_[a-z0-9_]+)?", name):
                raise SLTInputError(f"{name!r} in slt_nb.after is not a notebook name", file=nb, hint="e.g. 01_data_prep or 01")
            deps += [s for s in stems if s == name or s.startswith(f"{name}_")]  # absent: not selected, or not in this project
        out[nb.stem] = deps
    return out


def _execute(src: str, dst: str, params: dict, kernel: str, cwd: str) -> tuple[str, object, str, str]:
    """Run one notebook with papermill (in a worker process when ``jobs > 1``): ("ok" | "failed", cell, error name, error value)."""
    import papermill

    try:
        papermill.execute_notebook(src, dst, parameters=params, kernel_name=kernel, cwd=cwd, progress_bar=False, log_output=False)
    except papermill.PapermillExecutionError as exc:
        return "failed", exc.exec_count, exc.ename, exc.evalue
    return "ok", None, "", ""


def declared_parameters(ipynb: Path) -> dict[str, str]:
    """name -> default expression of the notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill

    info = papermill.inspect_notebook(str(ipynb))
    return {name: spec["default"] for name, spec in info.items()}


def select(notebooks: list[Path], only: list[str] | None) -> list[Path]:
    if not only:
        return notebooks
    chosen = []
    for name in only:
        match = [nb for nb in notebooks if nb.stem == name or nb.stem.startswith(f"{name}_") or nb.stem.split("_", 1)[-1] == name]
        if not match:
            raise SLTInputError(f"unknown notebook {name!r}", hint="choose from " + ", ".join(nb.stem for nb in notebooks))
        chosen.extend(m for m in match if m not in chosen)
    return sorted(chosen)


def _html(nb_path: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(nb_path, as_version=4))
    write_text(html_path, body)


def reproduce(params_file: str | Path | None = None, only: list[str] | None = None, *, root: str | Path | None = None, kernel: str = "python3",
              jobs: int = 1, set_params: dict | None = None) -> dict:
    """Execute the notebooks, up to ``jobs`` at once (see the module docstring); returns {notebook:
    seconds}. ``set_params``: overrides on top of the params file's (``--set``; part of the params hash).
    A failing notebook stops the run with its name and cell."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from tqdm.auto import tqdm

    from .report.index import write_index

    root = Path(root) if root else project_root()
    params_path = resolve(params_file, root) if params_file else None
    overrides = {**load_params(params_path), **(set_params or {})}
    notebooks = list_notebooks(root / "notebooks")
    out_dir = root / "results" / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    runtimes_path = root / "results" / "runtimes.json"
    runtimes = json.loads(runtimes_path.read_text()) if runtimes_path.exists() else {}

    # Kernels inherit the environment: notebooks resolve relative paths against this root.
    os.environ["SLT_NB_ROOT"] = str(root.resolve())
    with tempfile.TemporaryDirectory(prefix="slt-nb-") as tmp:
        inputs = {nb.stem: to_ipynb(nb, Path(tmp) / f"{nb.stem}.ipynb") for nb in notebooks}
        declared = {stem: declared_parameters(path) for stem, path in inputs.items()}
        check_known(overrides, {k: set(v) - RESERVED for k, v in declared.items()}, file=params_path)
        # The hash covers every notebook's defaults and the overrides: change either and it changes.
        phash = params_hash({"version": __version__, "defaults": declared, "overrides": overrides})
        rel_params = str(params_path.relative_to(root)) if params_path and params_path.is_relative_to(root) else (str(params_path) if params_path else None)
        chosen = select(notebooks, only)
        after = dependencies(chosen)
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise SLTInputError(f"jobs must be a positive integer, got {jobs!r}")

        def submit(run, nb):
            names = set(declared[nb.stem])
            params = params_for(names, overrides)
            params.update({k: v for k, v in (("params_file", rel_params), ("params_hash", phash)) if k in names})
            executed = Path(tmp) / f"{nb.stem}.executed.ipynb"
            return run(_execute, str(inputs[nb.stem]), str(executed), params, kernel, str(root)), executed

        def finish(nb, outcome, executed, seconds):
            status, cell, ename, evalue = outcome
            if status != "ok":
                failed = out_dir / f"{nb.stem}.failed.ipynb"
                if executed.exists():
                    write_text(failed, executed.read_text(encoding="utf-8"))
                raise SLTInputError(f"notebook {nb.name} failed in cell {cell}: {ename}: {evalue}",
                                    hint=f"the executed notebook with the traceback is {failed}")
            runtimes[nb.stem] = round(seconds, 1)
            write_text(out_dir / f"{nb.stem}.ipynb", executed.read_text(encoding="utf-8"))
            _html(out_dir / f"{nb.stem}.ipynb", out_dir / f"{nb.stem}.html")
            (out_dir / f"{nb.stem}.failed.ipynb").unlink(missing_ok=True)
            write_json(runtimes_path, runtimes)

        with tqdm(total=len(chosen), desc="notebooks", unit="nb") as bar:
            if jobs == 1:
                for nb in chosen:
                    t0 = time.perf_counter()
                    outcome, executed = submit(lambda f, *a: f(*a), nb)
                    finish(nb, outcome, executed, time.perf_counter() - t0)
                    bar.update()
            else:
                done, running, pending = set(), {}, list(chosen)
                with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
                    while pending or running:
                        if not running and not any(set(after[nb.stem]) <= done for nb in pending):
                            raise SLTInputError("the notebooks' slt_nb.after lists form a cycle: " + ", ".join(nb.stem for nb in pending))
                        for nb in [nb for nb in pending if set(after[nb.stem]) <= done][: jobs - len(running)]:
                            pending.remove(nb)
                            fut, executed = submit(ex.submit, nb)
                            running[fut] = (nb, executed, time.perf_counter())
                        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                        for fut in finished:
                            nb, executed, t0 = running.pop(fut)
                            try:
                                finish(nb, fut.result(), executed, time.perf_counter() - t0)
                            except BaseException:
                                for other in running:
                                    other.cancel()
                                raise
                            done.add(nb.stem)
                            bar.update()
    write_index(root / "results", params_file=rel_params, params_hash=phash, runtimes=runtimes)
    return runtimes
