"""One error type for bad input, always naming where the problem is."""

from __future__ import annotations

from pathlib import Path


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
