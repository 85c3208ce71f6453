"""One error type for bad input, always naming where the problem is."""

from __future__ import annotations

import re
from pathlib import Path

# torch's DataLoader re-raises a worker's exception as ``type(exc)(msg)`` with msg = "Caught <Type> in DataLoader
# worker process N.\nOriginal Traceback ...": the whole worker traceback inside one message (torch/_utils.py
# ExceptionWrapper.reraise). :func:`_unwrap_worker` keeps the worker's own one-line message instead.
_WORKER = re.compile(r"\ACaught (\w+) (in [^\n]*?)\.?\nOriginal Traceback", re.S)


def _unwrap_worker(problem: str) -> str:
    m = _WORKER.match(problem) if isinstance(problem, str) else None
    if m is None:
        return problem
    last = [ln for ln in problem.splitlines() if ln.strip()][-1]
    head = re.match(rf"\A[\w.]*{m.group(1)}: (.*)\Z", last)
    return f"{head.group(1) if head else last.strip()} [{m.group(2)}]"


class SLTInputError(ValueError):
    """Bad input: a message that names the file, the line and the sample, and what to do.

    The CLI turns it into a one-line reason and a non-zero exit; notebooks show it as is.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        sample: str | None = None,
        hint: str | None = None,
    ) -> None:
        problem = _unwrap_worker(problem)
        self.problem, self.file, self.line, self.sample, self.hint = problem, file, line, sample, hint
        where = []
        if file is not None:
            where.append(f"{file}" + (f":{line}" if line is not None else ""))
        elif line is not None:
            where.append(f"line {line}")
        if sample is not None:
            where.append(f"sample {sample!r}")
        msg = (", ".join(where) + ": " if where else "") + problem
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)
