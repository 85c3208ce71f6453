"""The clips a dataset's cleaning dropped, as frame strips (the small-VLM paper's Figure 2).

Figure 2 of the paper shows frames of an iSign video with no person in it, the kind of clip its
Appendix A cleaning removes with a pose detector. :func:`dropped_rows` reads the rows that
01_data_prep recorded as filtered (``<manifest_dir>/<dataset>.filtered.jsonl``, written by
:func:`slt_nb.data.prepare.prepare_all`), :func:`dropped_strip` draws a few frames of each.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..errors import SLTInputError

NO_PERSON = "no_person_detected"  # the iSign filter of App. A behind Figure 2 (slt_nb.data.isign)


def dropped_rows(record: dict, reason: str = NO_PERSON) -> list[dict]:
    """Rows of ``record``'s filtered file (a dataset record of ``datasets.json``) dropped for ``reason``, in file order.

    Each row: ``id``, ``text``, ``n_frames``, ``reason``, ``source``, ``source_kind``. No filtered file
    (nothing was filtered): ``[]``. Raises :class:`SLTInputError` naming the file and line of a row that is
    not JSON, or a row without ``source`` (a file written before the strip existed: rerun 01_data_prep).
    """
    path = record.get("filtered")
    if not path:
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SLTInputError(f"not a JSON line ({exc.msg})", file=path, line=line_no, hint="rerun 01_data_prep") from None
            if row.get("reason") != reason:
                continue
            if "source" not in row:
                raise SLTInputError("filtered row has no 'source' (written by an older slt-nb)", file=path, line=line_no, hint="rerun 01_data_prep")
            rows.append(row)
    return rows


def dropped_strip(rows: list[dict], *, title: str, k: int = 3, frames_per_clip: int = 6):
    """A figure with one row per clip (the first ``k`` of ``rows``) of ``frames_per_clip`` evenly spaced frames.

    Frames are decoded with :func:`slt_nb.data.frames.decode_frames` (uint8 (n, H, W, 3)); each row is
    labelled with the clip id and its (kept) translation. Raises ``ValueError`` for no rows, and
    :class:`SLTInputError` for a clip that cannot be decoded. Source: the small-VLM paper's Figure 2.
    """
    from ..data.frames import decode_frames

    rows = rows[:k]
    if not rows:
        raise ValueError("no dropped clips to show")
    fig, axes = plt.subplots(len(rows), frames_per_clip, figsize=(1.5 * frames_per_clip, 1.9 * len(rows)), squeeze=False)
    for r, (row, ax_row) in enumerate(zip(rows, axes)):
        n = int(row["n_frames"] or 1)
        idx = np.linspace(0, n - 1, min(frames_per_clip, n)).round().astype(int).tolist()
        frames = decode_frames(row["source"], row.get("source_kind", "video"), idx, sample=row["id"])  # (len(idx), H, W, 3)
        for c, ax in enumerate(ax_row):
            ax.axis("off")
            if c < len(frames):
                ax.imshow(frames[c])
                ax.set_title(f"#{idx[c]}", fontsize=7)
        text = row["text"] if len(row["text"]) <= 60 else row["text"][:57] + "..."
        ax_row[0].text(0, -0.35, f"{row['id']}: \"{text}\"", transform=ax_row[0].transAxes, fontsize=8, ha="left", va="top")
    fig.suptitle(f"{title}\n(#: frame index in the clip; the translation the cleaning dropped with it)", fontsize=10)
    fig.tight_layout()
    return fig


def strip_path_name(dataset: str) -> str:
    """File name of the strip for ``dataset``: ``figure2_no_person_<dataset>.png``."""
    return f"figure2_no_person_{dataset}.png"


def dropped_strip_for(record: dict, out_dir: str | Path, *, k: int = 3, frames_per_clip: int = 6) -> Path | None:
    """Draw and save the no-person strip of one dataset record; ``None`` (nothing written) when its cleaning
    dropped no clip for lack of a person. Returns the PNG's path."""
    from . import figures

    rows = dropped_rows(record)
    if not rows:
        return None
    fig = dropped_strip(rows, k=k, frames_per_clip=frames_per_clip,
                        title=f"{record['label']}: {min(k, len(rows))} of the {len(rows)} clips the person filter (App. A) dropped")
    return figures.save(fig, Path(out_dir) / strip_path_name(record["name"]))
