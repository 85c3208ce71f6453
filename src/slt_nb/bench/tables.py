"""A benchmark's table: printed to the terminal, written as CSV + Markdown under a machine header.

``results/benchmarks/<name>.csv`` starts with ``# key: value`` header lines (read it with
``pandas.read_csv(path, comment="#")``); ``<name>.md`` has the same header as a list, the table
and the notes (formulas, assumptions). Both are written atomically (:func:`slt_nb.io.write_text`).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..io import write_text


def fmt(value, digits: int = 3) -> str:
    """A cell as text: floats to ``digits`` significant figures (large ones as integers), None as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 10 ** digits):
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass
class BenchTable:
    """Rows of one benchmark (dicts with the same keys, in ``columns`` order) and the notes under it."""

    name: str  # file stem under results/benchmarks/
    title: str
    columns: list[str]
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)

    def add(self, **row) -> dict:
        unknown = set(row) - set(self.columns)
        if unknown:
            raise KeyError(f"{self.name}: unknown columns {sorted(unknown)}")
        self.rows.append(row)
        return row

    def column(self, key: str) -> list:
        return [r.get(key) for r in self.rows]

    def markdown_table(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "|".join("---" for _ in self.columns) + "|"]
        for r in self.rows:
            lines.append("| " + " | ".join(fmt(r.get(c)).replace("|", "\\|") for c in self.columns) + " |")
        return "\n".join(lines)

    def text(self, max_rows: int | None = None) -> str:
        """A fixed-width rendering for the terminal (``max_rows``: the first and last rows only)."""
        rows = self.rows
        if max_rows is not None and len(rows) > max_rows:
            rows = rows[: max_rows // 2] + [{c: "..." for c in self.columns}] + rows[-(max_rows - max_rows // 2):]
        cells = [[fmt(r.get(c)) for c in self.columns] for r in rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        line = lambda vals: "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(vals, widths)))  # noqa: E731
        out = [self.title, "=" * len(self.title), line(self.columns), line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        out += [f"  * {n}" for n in self.notes]
        return "\n".join(out)

    def markdown(self) -> str:
        head = [f"- **{k}**: `{v}`" if k == "command" else f"- **{k}**: {v}" for k, v in self.header.items()]
        notes = [f"- {n}" for n in self.notes]
        return "\n".join([f"# {self.title}", "", *head, "", self.markdown_table(), "", *notes, ""])

    def csv(self) -> str:
        buf = io.StringIO()
        for k, v in self.header.items():
            buf.write(f"# {k}: {v}\n")
        writer = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for r in self.rows:
            writer.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in self.columns})
        return buf.getvalue()

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``<out_dir>/<name>.csv`` and ``.md`` atomically; return their paths."""
        out_dir = Path(out_dir)
        return {"csv": write_text(out_dir / f"{self.name}.csv", self.csv()), "md": write_text(out_dir / f"{self.name}.md", self.markdown())}


def emit(table: BenchTable, out_dir: str | Path | None, *, max_rows: int | None = None, header: bool = True) -> dict[str, Path]:
    """Print the table (the header first, unless ``header=False``) and write it unless ``out_dir`` is None."""
    if header:
        print("\n".join(f"# {k}: {v}" for k, v in table.header.items()))
    print(table.text(max_rows))
    if out_dir is None:
        return {}
    paths = table.write(out_dir)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return paths
