"""At most one compute-heavy process per CPU core across every notebook of a ``slt-nb reproduce --jobs N`` run.

With ``--jobs 2`` on a 2-core machine, two notebooks each train in two worker processes: four
single-threaded processes share two cores, and each unit of work then costs ~1.2-1.3x the CPU time
it costs alone (``benchmarks/bench_oversubscription.py``; 03/04/07 measured 1.25-1.30x in a full run).
The runner (:func:`slt_nb.runner.reproduce`) therefore hands every notebook a folder of ``n`` slots
(``SLT_NB_CPU_SLOTS=<folder>:<n>``, ``n`` = the CPU cores, only when nothing trains on a GPU) and the
notebook's critical-path seconds as its priority (``SLT_NB_CPU_PRIORITY``); each unit of heavy
compute — a fine-tuning run (:func:`slt_nb.train.run.train_run`), a prediction pass, a LLaVA-SLT
stage or tuning variant — runs inside :func:`cpu_slot`, which blocks until one of the ``n`` slots is free.

- A slot is a POSIX ``flock`` on ``slot-<i>.lock``: the kernel releases it when the process dies, so a
  killed worker never keeps one.
- Re-entrant per process: a nested :func:`cpu_slot` (a run that trains its vision stage first) holds
  the one slot its process already has. Pools must not be started while holding a slot whose workers
  wait for slots (every caller here takes the slot inside the worker, not around the pool).
- Priority: a waiter takes a free slot only if no live waiter has a higher priority (the notebook
  with the longer remaining chain of wall times: 03's runs before 04's cells). Waiters register as
  ``wait-<priority>-<pid>`` files; a dead waiter's file is ignored and removed.
- Without ``SLT_NB_CPU_SLOTS`` (a notebook run by hand, ``--jobs 1``, a GPU node) :func:`cpu_slot`
  does nothing.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import SLTInputError

SLOTS_ENV = "SLT_NB_CPU_SLOTS"
PRIORITY_ENV = "SLT_NB_CPU_PRIORITY"
POLL_SECONDS = 0.1  # how often a waiter looks for a free slot (each look: a few syscalls)

_held = {"depth": 0}  # this process's nesting depth (a slot is held while > 0)


def slots_spec(folder: str | Path, n: int) -> str:
    """The ``SLT_NB_CPU_SLOTS`` value for ``n`` slots in ``folder``. Raises SLTInputError for ``n`` < 1."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SLTInputError(f"CPU slots must be a positive integer, got {n!r}", hint="e.g. --cpu-slots 2 (the cores), or 0 for none")
    return f"{Path(folder)}:{n}"


def parse_spec(spec: str) -> tuple[Path, int]:
    """``(folder, n)`` of a ``SLT_NB_CPU_SLOTS`` value ``<folder>:<n>``; SLTInputError names a malformed one."""
    folder, sep, n = spec.rpartition(":")
    if not sep or not folder or not n.isdigit() or int(n) < 1:
        raise SLTInputError(f"{SLOTS_ENV}={spec!r} is not <folder>:<slots>", hint=f"unset {SLOTS_ENV}, or e.g. /tmp/slots:2")
    return Path(folder), int(n)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _outranked(folder: Path, priority: float, me: Path) -> bool:
    """True when a live waiter other than ``me`` has a higher priority; removes dead waiters' files."""
    for f in folder.glob("wait-*"):
        if f == me:
            continue
        try:
            _, prio, pid = f.name.split("-", 2)
            prio, pid = float(prio), int(pid)
        except ValueError:
            continue
        if not _alive(pid):
            f.unlink(missing_ok=True)
            continue
        if prio > priority:
            return True
    return False


def _try_slots(folder: Path, n: int) -> int | None:
    """An open fd holding one of the ``n`` slot locks, or None when all are taken."""
    import fcntl

    for i in range(n):
        fd = os.open(folder / f"slot-{i}.lock", os.O_WRONLY | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd
    return None


@contextmanager
def cpu_slot(spec: str | None = None, priority: float | None = None) -> Iterator[bool]:
    """Hold one CPU slot for the ``with`` block (blocks until one is free); yields True when a slot is
    held, False when slots are off. ``spec``: ``<folder>:<n>`` (default: ``$SLT_NB_CPU_SLOTS``; unset: no
    limit); ``priority``: higher goes first (default ``$SLT_NB_CPU_PRIORITY``, else 0). Re-entrant per process.
    Raises SLTInputError for a malformed spec or priority."""
    import fcntl

    spec = os.environ.get(SLOTS_ENV) if spec is None else spec
    if not spec:
        yield False
        return
    if _held["depth"] > 0:  # this process holds its slot already
        _held["depth"] += 1
        try:
            yield True
        finally:
            _held["depth"] -= 1
        return
    folder, n = parse_spec(spec)
    if priority is None:
        raw = os.environ.get(PRIORITY_ENV, "0")
        try:
            priority = float(raw)
        except ValueError:
            raise SLTInputError(f"{PRIORITY_ENV}={raw!r} is not a number", hint="unset it, or e.g. 300") from None
    if priority < 0:
        raise SLTInputError(f"CPU-slot priority must be >= 0, got {priority!r}")
    folder.mkdir(parents=True, exist_ok=True)
    me = folder / f"wait-{priority:.1f}-{os.getpid()}"
    fd = None
    try:
        me.touch()
        while fd is None:
            if not _outranked(folder, priority, me):
                fd = _try_slots(folder, n)
            if fd is None:
                time.sleep(POLL_SECONDS)
    finally:
        me.unlink(missing_ok=True)
    _held["depth"] = 1
    try:
        yield True
    finally:
        _held["depth"] = 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
