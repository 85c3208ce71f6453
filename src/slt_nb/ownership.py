"""Which params file's run owns a results or manifest folder, and which folder a run writes.

**Each params file owns its results.** A run writes into the ``results_dir`` (and reads the
``manifest_dir``) its params give and records its owner in ``<folder>/params.json``; a run of another
params file into a folder it does not own is refused before anything runs (:func:`claim`).
Used by :func:`slt_nb.runner.reproduce` and ``slt-nb`` (:mod:`slt_nb.cli`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import SLTInputError
from .io import write_json
from .params import load_params
from .paths import project_root, resolve

OWNER_FILE = "params.json"  # in a results / manifest folder: the params file whose run owns it
OWNED_DIRS = ("results_dir", "manifest_dir")  # the folders a run writes that another params file's run must not share


def results_dir_of(params_file: str | Path | None, set_params: dict | None = None, root: str | Path | None = None) -> Path:
    """The results folder a run of ``params_file`` (+ ``set_params``) writes: its ``results_dir``, else ``results/``
    (every notebook's default)."""
    root = Path(root) if root else project_root()
    overrides = {**load_params(resolve(params_file, root) if params_file else None), **(set_params or {})}
    return resolve(overrides.get("results_dir") or "results", root)


def claim(folder: Path, params_file: str | None, phash: str, what: str, record: bool = True) -> None:
    """Refuse to write into ``folder`` when another params file's run owns it; else (``record``) record this run
    as its owner (``params.json``). Ownership follows the params file; its hash may change (an edited file)."""
    owner_path = folder / OWNER_FILE
    if owner_path.is_file():
        try:
            owner = json.loads(owner_path.read_text(encoding="utf-8")).get("params_file")
        except (OSError, json.JSONDecodeError, AttributeError):
            raise SLTInputError("unreadable owner record", file=owner_path, hint="delete it if this folder holds nothing you need") from None
        if owner != params_file:
            name = Path(params_file).stem if params_file else "mine"
            if folder.resolve() in (resolve(f"results/{name}").resolve(), resolve(f"data/{name}/manifests").resolve()):
                name = f"{name}-{phash[:6]}"  # the obvious name is the folder in question (a copy ran first under it)
            raise SLTInputError(
                f"{what} {folder} holds the outputs of {owner or 'the notebook defaults'}; a run of {params_file or 'the notebook defaults'} "
                "would mix its tables with them",
                file=owner_path,
                hint=f"give this params file its own folders, e.g. results_dir: results/{name} and manifest_dir: data/{name}/manifests; "
                     f"or run the params file that owns them; or, if the outputs of {owner or 'the notebook defaults'} there are not wanted, "
                     f"delete {owner_path}",
            )
    if record:
        write_json(owner_path, {"params_file": params_file, "params_hash": phash})


def stageable(results_dir: Path, root: Path, manifest_dir: Path | None) -> None:
    """Each notebook runs against a copy of ``results_dir`` (:mod:`slt_nb.staging`): refuse one that holds the
    project or the manifests (whose records name their files by absolute path)."""
    real = Path(os.path.realpath(results_dir))
    for what, inner in (("the project", root), ("manifest_dir", manifest_dir)):
        if inner is not None and Path(os.path.realpath(inner)).is_relative_to(real):
            raise SLTInputError(f"results_dir {results_dir} holds {what} ({inner})",
                                hint="give results_dir a folder of its own, e.g. results or results/<name>")
