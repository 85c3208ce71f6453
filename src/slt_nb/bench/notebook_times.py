"""Whole pipeline: each notebook's wall time, as the runner recorded it.

``slt-nb reproduce`` (:func:`slt_nb.runner.reproduce`) times every notebook it executes and
writes ``results/runtimes.json`` (notebook -> seconds); :func:`slt_nb.report.index.write_index`
lists the same times in ``results/README.md`` ("Executed notebooks"). This benchmark only reads
and prints them, with the total: it never re-runs the notebooks.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SLTInputError
from .tables import BenchTable


def read_runtimes(path: str | Path) -> dict[str, float]:
    """notebook -> seconds from ``runtimes.json``; a missing file is an empty record."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SLTInputError(f"not JSON ({exc})", file=path) from None
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
        raise SLTInputError("expected an object of notebook -> seconds", file=path)
    return {str(k): float(v) for k, v in data.items()}


def notebook_table(runtimes_path: str | Path, index_path: str | Path | None = None) -> BenchTable:
    times = read_runtimes(runtimes_path)
    table = BenchTable("pipeline", "Whole pipeline: wall time of each notebook (last `make reproduce`)", ["notebook", "wall time (s)", "share %"])
    total = sum(times.values())
    for nb in sorted(times):
        table.add(notebook=nb, **{"wall time (s)": times[nb], "share %": 100 * times[nb] / total if total else None})
    if times:
        table.add(notebook="total", **{"wall time (s)": total, "share %": 100.0})
        table.notes.append(f"from {runtimes_path}, written by slt-nb reproduce (runner.reproduce) as each notebook finished")
    else:
        table.notes.append(f"no {runtimes_path} yet: run `make reproduce` first")
    if index_path is not None:
        listed = Path(index_path).is_file() and "| wall time (s) |" in Path(index_path).read_text(encoding="utf-8")
        table.notes.append(f"{index_path} {'lists' if listed else 'does not list (yet)'} these wall times (report.index.write_index)")
    return table
