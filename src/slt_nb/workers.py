"""Worker processes that die with their parent, and pools of them that stop at once when interrupted.

Every process pool in slt-nb (the runner's notebooks, :mod:`slt_nb.train.parallel`'s training runs,
:mod:`slt_nb.llava_slt.parallel`'s stage-3 variants, :mod:`slt_nb.synth.write`'s clip renderers) is
made by :func:`worker_pool`, whose workers first run :func:`die_with_parent`:

- **they die with their parent.** On Linux the kernel sends them ``SIGKILL`` when the process that
  started them exits, however it exits (``kill -9``, ``SIGTERM``, a crash): ``prctl(PR_SET_PDEATHSIG)``
  (man 2 prctl), set through ``ctypes``. Without it a killed ``slt-nb reproduce`` left its training
  workers running their runs to the end and then idling at ~1.1 GB each, and its render workers
  writing clips. A papermill kernel needs nothing more: ipykernel polls its parent once a second and
  exits when it is gone (``JPY_PARENT_PID``, set by jupyter_client), and its own pools are these.
  The signal follows the *thread* that started the worker: submit to a pool from a thread that lives
  as long as the pool (the main thread, as everywhere here).
- **Ctrl-C is their parent's business.** A terminal's ``SIGINT`` reaches the whole foreground process
  group; workers ignore it (no traceback per worker), the parent gets ``KeyboardInterrupt`` and
  :func:`worker_pool` kills its workers instead of waiting for their tasks.

Elsewhere than Linux :func:`die_with_parent` does nothing (returns False).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Terminated(KeyboardInterrupt):
    """``SIGTERM`` arrived (see :func:`stop_on_sigterm`): unwinds like Ctrl-C, so pools are killed and stages deleted."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def stop_on_sigterm() -> None:
    """Turn ``SIGTERM`` into :class:`Terminated` in this (main) thread: a terminated command cleans up as an
    interrupted one does (its workers are killed by :func:`worker_pool`, not left to their parent-death signal)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGKILL) -> bool:
    """Have the OS send ``sig`` to this process when its parent exits (Linux ``PR_SET_PDEATHSIG``).

    ``parent_pid``: the parent this process was started by; if it has already exited (the signal would
    never come), this process gets ``sig`` now. Returns True when armed, False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent_pid is not None and os.getppid() != parent_pid:  # the parent died before prctl: too late for the signal
        os.kill(os.getpid(), sig)
    return True


def _init(parent_pid: int, initializer: Callable | None, initargs: tuple) -> None:
    """Every pool worker's first step: die with the parent, leave Ctrl-C to it, then the pool's own initializer."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and kill the workers now (their tasks are abandoned). The executor has no
    public handle on its processes before Python 3.14 (``kill_workers``): CPython keeps them in ``_processes``."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.kill()
    for p in procs:
        p.join(5)


@contextmanager
def worker_pool(max_workers: int, *, start_method: str = "spawn", initializer: Callable | None = None,
                initargs: tuple = ()) -> Iterator[ProcessPoolExecutor]:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of ``max_workers`` processes (``start_method``:
    ``spawn`` for fresh interpreters, ``fork`` where no torch/CUDA state is inherited), each of which
    dies with this process and ignores ``SIGINT``; ``initializer(*initargs)`` then runs in it.

    Leaving the block normally or with an ``Exception`` waits for the running tasks (as the executor
    does); leaving it with ``KeyboardInterrupt``, ``SystemExit`` or ``GeneratorExit`` kills the workers."""
    pool = ProcessPoolExecutor(max_workers, mp_context=mp.get_context(start_method), initializer=_init,
                               initargs=(os.getpid(), initializer, initargs))
    try:
        yield pool
    except Exception:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    except BaseException:
        stop(pool)
        raise
    pool.shutdown(wait=True)


@contextmanager
def output_to(log_path: str | os.PathLike) -> Iterator[None]:
    """In a worker: file descriptors 1 and 2 (Python's and native libraries' output, progress bars) go to
    ``log_path`` (truncated) inside the block, and are restored after it."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, old in zip((1, 2), saved):
                os.dup2(old, fd)
                os.close(old)
