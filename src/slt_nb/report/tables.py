"""Write a results table as CSV (canonical), Markdown and LaTeX, with a metadata sidecar.

Every table carries its provenance: the params file and hash of the run that made it and
the signature of how its numbers were computed (tokenizer, thresholds, versions), printed
under the table in Markdown and LaTeX and stored in ``<name>.meta.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ..io import write_json, write_text


@dataclass
class TableMeta:
    name: str  # file stem, e.g. "table2_frame_stats"
    caption: str
    paper_ref: str | None = None  # e.g. "Table 2 of Can Small VLMs Translate Sign Language..."
    signature: str = ""
    params_file: str | None = None
    params_hash: str | None = None
    notebook: str | None = None
    notes: list[str] = field(default_factory=list)


def _footer(meta: TableMeta) -> list[str]:
    lines = []
    if meta.signature:
        lines.append(f"Signature: `{meta.signature}`")
    lines.append(f"Params: `{meta.params_file or 'notebook defaults'}` (hash `{meta.params_hash or 'n/a'}`)")
    lines.extend(meta.notes)
    return lines


def to_markdown(ours: pd.DataFrame, meta: TableMeta, paper: pd.DataFrame | None = None) -> str:
    parts = [f"**{meta.caption}**", "", "Ours:", "", ours.to_markdown(index=False), ""]
    if paper is not None:
        parts += [f"Paper ({meta.paper_ref}):", "", paper.to_markdown(index=False), ""]
    parts += [line + "  " for line in _footer(meta)]
    return "\n".join(parts).rstrip() + "\n"


def _latex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}")):
        s = s.replace(a, b)
    return s


def to_latex(ours: pd.DataFrame, meta: TableMeta, paper: pd.DataFrame | None = None) -> str:
    def body(df: pd.DataFrame) -> str:
        cols = "l" + "r" * (len(df.columns) - 1)
        rows = [" & ".join(_latex_escape(str(c)) for c in df.columns) + r" \\", r"\midrule"]
        for rec in df.itertuples(index=False):
            rows.append(" & ".join(_latex_escape(str(v)) for v in rec) + r" \\")
        return "\n".join([rf"\begin{{tabular}}{{{cols}}}", r"\toprule", *rows, r"\bottomrule", r"\end{tabular}"])

    parts = [r"\begin{table}[t]", r"\centering", body(ours)]
    if paper is not None:
        parts += [r"\par\smallskip", rf"\textit{{Paper ({_latex_escape(meta.paper_ref or '')}):}}\par", body(paper)]
    footer = " ".join(_latex_escape(x.replace("`", "")) for x in _footer(meta))
    parts += [rf"\caption{{{_latex_escape(meta.caption)} {{\footnotesize {footer}}}}}", rf"\label{{tab:{meta.name}}}", r"\end{table}"]
    return "\n".join(parts) + "\n"


def write_table(ours: pd.DataFrame, meta: TableMeta, out_dir: str | Path, paper: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``<name>.csv`` (ours, canonical), ``.md``, ``.tex`` and ``.meta.json`` atomically."""
    out_dir = Path(out_dir)
    paths = {
        "csv": write_text(out_dir / f"{meta.name}.csv", ours.to_csv(index=False)),
        "md": write_text(out_dir / f"{meta.name}.md", to_markdown(ours, meta, paper)),
        "tex": write_text(out_dir / f"{meta.name}.tex", to_latex(ours, meta, paper)),
    }
    if paper is not None:
        paths["paper_csv"] = write_text(out_dir / f"{meta.name}.paper.csv", paper.to_csv(index=False))
    paths["meta"] = write_json(out_dir / f"{meta.name}.meta.json", asdict(meta))
    return paths
