"""Publish a notebook's outputs only when it succeeds: stage them, then move them into place.

While ``slt-nb reproduce`` runs a notebook, its results folder is redirected to a **stage**: a private
copy of the folder taken when the notebook starts. Every path that goes through
:func:`slt_nb.paths.resolve` (as every notebook and the package resolve ``results_dir``) and lies under
the results folder is mapped into the stage (environment variable ``SLT_NB_STAGE``, inherited by the
kernel and its workers), so the notebook reads what earlier notebooks published and what it wrote
itself, and writes only into the stage. When it exits 0 the runner :func:`publish` es the files it
added, changed or deleted — against the copy, so a notebook that ran beside it (``--jobs``) or another
``reproduce`` publishing into the same folder keeps its files — each file atomically (every new file is
written beside its target first, then all are renamed). When it fails the stage is deleted and the
results folder is as it was, byte for byte.

In JupyterLab nothing is staged (no ``SLT_NB_STAGE``): a notebook writes its results directly.
Subfolders that hold a ``params.json`` are another params file's results (``results/paper``) and are
neither copied nor published; ``notebooks/`` is the runner's own (executed notebooks).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .io import with_path
from .paths import STAGE_ENV
SKIP_TOP = ("notebooks",)  # the runner's own: executed notebooks, written after the notebook succeeded
OWNER_FILE = "params.json"


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_ino, st.st_size, st.st_mtime_ns  # an atomic rewrite changes the inode, an in-place one the mtime


def _files(top: Path, skip_top: tuple[str, ...] = ()) -> dict[str, Path]:
    """relative POSIX path -> file, under ``top``: not the ``skip_top`` folders, nor subfolders owned by
    another run (a ``params.json`` of their own), nor hidden folders (``.ipynb_checkpoints``)."""
    out: dict[str, Path] = {}
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here == top and d in skip_top)
                         and not (here / d / OWNER_FILE).is_file())
        for name in files:
            out[(here / name).relative_to(top).as_posix()] = here / name
    return out


@dataclass
class Stage:
    """A notebook's stage: ``final`` (the results folder), ``path`` (its copy), ``snapshot`` (relative path ->
    the copy's file signature right after copying: what the notebook found)."""

    final: Path
    path: Path
    snapshot: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The environment that maps the results folder into this stage (for the kernel)."""
        return {STAGE_ENV: json.dumps({str(self.final): str(self.path)})}

    def to_final(self, text: str) -> str:
        """``text`` (an executed notebook, an error message) with the stage's paths as the published paths."""
        return text.replace(str(self.path), str(self.final))


def open_stage(final: str | Path, path: str | Path) -> Stage:
    """Copy the results folder ``final`` (absolute) into the new folder ``path``; raises ``OSError``
    naming the file that could not be copied (e.g. a full disk)."""
    final, path = Path(os.path.abspath(final)), Path(os.path.abspath(path))
    path.mkdir(parents=True)
    stage = Stage(final, path)
    if final.is_dir():
        for rel, src in _files(final, SKIP_TOP).items():
            dst = path / rel
            try:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
            except OSError as exc:
                raise with_path(exc, dst, tmp=dst) from None  # a full disk names the stage's file: where the space is missing
            stage.snapshot[rel] = _signature(dst.stat())
    return stage


def publish(stage: Stage) -> list[Path]:
    """Move what the notebook changed from the stage into the results folder; returns the published
    paths (deleted ones included). Every new file is first written beside its target (a full disk or a
    read-only folder fails here, naming the target, and the results folder is left as it was), then
    renamed over it."""
    found = _files(stage.path)
    changed = [rel for rel, p in found.items() if stage.snapshot.get(rel) != _signature(p.stat())]
    deleted = [rel for rel in stage.snapshot if rel not in found]
    written: list[tuple[Path, Path]] = []  # (temporary file beside the target, target)
    made: list[Path] = []  # folders created for new files
    try:
        for rel in sorted(changed):
            target = stage.final / rel
            try:
                for folder in reversed([target.parent, *target.parent.parents]):
                    if not folder.exists():
                        folder.mkdir()
                        made.append(folder)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                os.close(fd)
                written.append((Path(tmp), target))
                shutil.copyfile(found[rel], tmp)
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            except OSError as exc:
                raise with_path(exc, target, force=True) from None  # the target, not its temporary file
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    for tmp, target in written:
        os.replace(tmp, target)
    for rel in deleted:
        (stage.final / rel).unlink(missing_ok=True)
    return [t for _, t in written] + [stage.final / rel for rel in deleted]


def discard(stage: Stage) -> None:
    """Delete the stage (after a failure, or once published)."""
    shutil.rmtree(stage.path, ignore_errors=True)
