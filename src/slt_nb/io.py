"""Atomic writes: a result file is either the old one or the complete new one, never half-written."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .errors import SLTInputError


def with_path(exc: OSError, path: str | Path, *, tmp: str | Path | None = None, force: bool = False, note: str | None = None) -> OSError:
    """``exc`` (same class, same errno) naming ``path``, the file the user asked for, instead of a temporary
    file or nothing: ``[Errno 28] No space left on device (note): '/…/results/tables/table2.csv'``.

    The name is replaced when ``force``, when ``exc`` names none (a failed ``write``) or when it names
    ``tmp``; an error about another file (an input that could not be read) keeps its name."""
    names = {str(n) for n in (exc.filename, exc.filename2) if n is not None}
    if exc.errno is None or not (force or exc.filename is None or (tmp is not None and str(tmp) in names)):
        return exc
    return type(exc)(exc.errno, (exc.strerror or os.strerror(exc.errno)) + (f" ({note})" if note else ""), str(path))


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it over ``path`` on success.

    Raises ``OSError`` naming ``path`` (not the temporary file) when the folder cannot be written, the
    disk is full (``ENOSPC``, raised by a ``write`` without any name) or the rename fails."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only or missing folder: the error names the temporary file or the folder
        raise with_path(exc, path, force=True) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():  # mkstemp creates 0600; give the result the usual umask-based mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    except OSError as exc:
        raise with_path(exc, path, tmp=tmp_path) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (a file, created if missing, or a folder), held for the ``with``
    block; blocks until free. Serialises processes that would build the same thing (a training run, a base
    model), e.g. two notebooks or two batch jobs sharing ``runs/``, or update one record (``runtimes.json``).
    POSIX ``flock``; released if the process dies."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a folder locks itself (no lock file among the results); a file is created if missing
    fd = os.open(path, os.O_RDONLY) if path.is_dir() else os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` whole (a checkpoint
    folder is either the old one or the complete new one)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise with_path(exc, path, force=True) from None
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except OSError as exc:  # name the file in the final folder, not in the temporary one
        name = Path(str(exc.filename)) if exc.filename is not None else None
        inside = name is not None and name.is_relative_to(tmp)
        raise with_path(exc, path / name.relative_to(tmp) if inside else path, tmp=name if inside else tmp) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(path: str | Path, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows]
    return write_text(path, "".join(line + "\n" for line in lines))


def iter_json_objects(lines: Iterable[str], file) -> Iterator[tuple[int, dict]]:
    """(1-based line number, object) for each non-blank line of a JSONL stream.

    A line that is not JSON, or not a JSON object, is an :class:`SLTInputError` naming the file and line.
    """
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SLTInputError(f"not valid JSON ({exc.msg}, column {exc.colno})", file=file, line=lineno) from None
        if not isinstance(rec, dict):
            raise SLTInputError(f"expected a JSON object, got {type(rec).__name__}", file=file, line=lineno)
        yield lineno, rec
