"""What a notebook stamps its outputs with: the params file and the params hash of its run.

Under ``slt-nb reproduce`` the runner injects both. Stepping through a notebook in JupyterLab nobody
does, so :func:`this_run` computes them: the run is ``params/default.yaml``'s (the embedded default,
what ``make reproduce`` runs), and a parameter edited in the notebook's ``parameters`` cell counts as
an override of it — the hash is then exactly the one ``slt-nb reproduce --params params/default.yaml
--set NAME=VALUE …`` would give, and the label names the edits. Readers match outputs by that hash
(:mod:`slt_nb.metrics.predictions`), so an interactive notebook reads what the reproduction (or an
interactive run with the same parameters) wrote, and nothing else. An edited run writes its outputs
under ``<results_dir>/interactive/<hash>/`` (:func:`redirect_results`), never over the reproduction's.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

DEFAULT_PARAMS = "params/default.yaml"


@lru_cache(maxsize=4)
def _declared(root: str, stamp: tuple) -> dict[str, dict[str, str]]:
    """{notebook: {parameter: default expression}} of every notebook under ``root`` (``stamp``: mtimes, the cache key)."""
    from .execute import declared_parameters, to_ipynb
    from .notebook_graph import list_notebooks

    with tempfile.TemporaryDirectory(prefix="slt-nb-prov-") as tmp:
        return {nb.stem: declared_parameters(to_ipynb(nb, Path(tmp) / f"{nb.stem}.ipynb")) for nb in list_notebooks(Path(root) / "notebooks")}


def declared(root: str | Path) -> dict[str, dict[str, str]]:
    """Every notebook's declared parameters and their default expressions (cached while no notebook changes)."""
    from .notebook_graph import list_notebooks

    nbs = list_notebooks(Path(root) / "notebooks")
    return _declared(str(root), tuple((nb.name, nb.stat().st_mtime_ns) for nb in nbs))


def edits(notebook: str, namespace: dict, table: dict[str, dict[str, str]], cell: dict | None = None) -> dict:
    """The parameters of ``notebook`` whose value in ``namespace`` differs from the cell's default.
    ``cell``: the cell's defaults read in full (:func:`slt_nb.params_check.cell_defaults`), for the
    defaults that span several lines (``table`` holds only their first line)."""
    from .params import RESERVED, literal_default

    if notebook not in table:
        from .errors import SLTInputError

        raise SLTInputError(f"unknown notebook {notebook!r}", hint="choose from " + ", ".join(sorted(table)))
    out = {}
    for name, expr in table[notebook].items():
        if name in RESERVED or name not in namespace:
            continue
        default = (cell or {}).get(name, literal_default(expr))
        if namespace[name] != default and not (isinstance(default, str) and default == expr):  # a non-literal default is not compared
            out[name] = namespace[name]
    return out


def this_run(notebook: str, params_file: str | None, params_hash: str | None, namespace: dict) -> tuple[str, str]:
    """(params file label, params hash) for ``notebook``'s outputs (see the module docstring).

    ``params_file`` / ``params_hash``: the values of the notebook's own parameters (set by the runner,
    None when run interactively); ``namespace``: the notebook's ``globals()``. Under the runner they are
    returned unchanged (the runner checked the parameters); else the parameters are checked as the runner
    would (:func:`slt_nb.params_check.check_params`): a bad edit is an error naming it."""
    if params_hash is not None:
        return params_file, params_hash
    from .notebook_graph import list_notebooks
    from .params import load_params
    from .params_check import cell_defaults, check_params
    from .paths import project_root
    from .runner import run_hash

    root = project_root()
    table = declared(root)
    default_file = root / DEFAULT_PARAMS
    notebooks = list_notebooks(root / "notebooks")
    cell = next((cell_defaults(nb) for nb in notebooks if nb.stem == notebook), None)
    changed = edits(notebook, namespace, table, cell)
    params_file = default_file if default_file.is_file() else None
    overrides = {**load_params(params_file), **changed}
    check_params(table, overrides, notebooks=notebooks, params_file=params_file, edited=(notebook, set(changed)))  # as slt-nb reproduce does
    label = DEFAULT_PARAMS + (f" + edited in {notebook}: {', '.join(sorted(changed))}" if changed else "")
    digest = run_hash(table, overrides)
    if changed:
        redirect_results(notebook, namespace, table, digest)
    return label, digest


INTERACTIVE = "interactive"  # <results_dir>/interactive/<params hash>/: what an edited notebook writes in JupyterLab


def redirect_results(notebook: str, namespace: dict, table: dict[str, dict[str, str]], digest: str) -> str | None:
    """An interactive run with edited parameters writes to ``<results_dir>/interactive/<hash>/`` instead of
    ``results_dir`` itself, so that ``results/`` stays exactly what ``slt-nb reproduce`` wrote and its index
    describes (an unedited run has the reproduction's hash and writes the same files there). Sets
    ``namespace["results_dir"]`` (when the notebook has that parameter at its default) and returns the new value."""
    from .params import literal_default

    expr = table.get(notebook, {}).get("results_dir")
    if expr is None or namespace.get("results_dir") != literal_default(expr):
        return None  # no such parameter, or the user chose another place already
    target = f"{namespace['results_dir'].rstrip('/')}/{INTERACTIVE}/{digest}"
    namespace["results_dir"] = target
    print(f"{notebook}: edited parameters: this run's outputs go to {target}/ (results/ keeps what slt-nb reproduce wrote)")
    return target
