"""CSL-Daily: a label file, a split file and one frame folder per clip.

Layout of the release::

    sentence_label/csl2020ct_v2.pkl   {'info': [{'name', 'label_gloss', 'label_char', 'label_word', 'length', 'signer'?}, ...], ...}
    sentence_label/split_1.txt        name|split lines (a 'name|split' header line may be present)
    sentences/frames_512x512/<name>/  frame images

The text is the characters (``label_char``) joined without spaces (CSL-Daily is scored at
character level), the gloss the glosses joined with spaces, the signer the record's ``signer``
when it has one. The release ships frames only:
25 fps is an assumption (the capture rate reported for CSL-Daily), not read from a file.

Security: the label file is a pickle from the internet, and the stock unpickler runs whatever
code a pickle asks for. It is read with :class:`DataOnlyUnpickler`, which refuses every global
(dicts, lists, str, int, float need none), so a malicious file cannot run code. A file that does
need a global (say numpy) is refused with its name; convert it once, in an environment you
trust, to ``csl2020ct_v2.json`` with the same structure, which is used whenever present.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Sequence

from ..errors import SLTInputError
from .annotations import Candidate, build_samples, find_dataset_dir, option_path, read_table, select_splits
from .manifest import SPLITS, Sample, normalise_split
from .row_issues import RowError, RowIssues

FPS = 25.0
LABELS = "sentence_label"
LABEL_JSON = "csl2020ct_v2.json"
LABEL_PKL = "csl2020ct_v2.pkl"
CONVERT_HINT = f"if you trust the file, convert it once to {LABEL_JSON} (same structure, arrays as lists) beside it; the JSON is preferred when present"


class DataOnlyUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global, so loading cannot import or call anything."""

    def __init__(self, fh, path: Path) -> None:
        super().__init__(fh, encoding="utf-8")
        self.path = path

    def find_class(self, module: str, name: str):
        raise SLTInputError(
            f"the pickle asks for the global {module}.{name}; downloaded pickles are never allowed globals (they can run code)",
            file=self.path,
            hint=CONVERT_HINT,
        )


def read_labels(folder: Path) -> tuple[Path, list[dict]]:
    """The label records and the file they came from (the JSON sidecar if present, else the pickle)."""
    path = folder / LABEL_JSON
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SLTInputError(f"not valid JSON ({exc.msg})", file=path, line=exc.lineno, hint="fix the file or delete it to use the pickle") from None
    else:
        path = folder / LABEL_PKL
        if not path.is_file():
            raise SLTInputError(f"label file not found (nor {LABEL_JSON})", file=path, hint="check the dataset root in params")
        try:
            with path.open("rb") as fh:
                data = DataOnlyUnpickler(fh, path).load()
        except SLTInputError:
            raise
        except Exception as exc:  # pickle raises many types on a corrupt file
            raise SLTInputError(f"unreadable pickle ({type(exc).__name__}: {exc})", file=path, hint=CONVERT_HINT) from None
    records = data.get("info") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        shape = f"a dict with keys {sorted(map(str, data))[:10]}" if isinstance(data, dict) else type(data).__name__
        raise SLTInputError(
            f"expected a list of label records (top level or under 'info'), found {shape}", file=path, hint="is this CSL-Daily's csl2020ct_v2 label file?"
        )
    return path, records


def load_csl_daily(
    root: str | Path,
    splits: Sequence[str] = SPLITS,
    *,
    split_file: str = "split_1.txt",
    frames_dir: str | Path | None = None,
    progress: bool = True,
    notes: list[str] | None = None,
    issues: RowIssues | None = None,
) -> list[Sample]:
    """Samples of CSL-Daily.

    ``root`` is the folder holding ``sentence_label/`` or its parent. ``frames_dir`` defaults to
    ``sentences/frames_512x512`` (relative to the dataset folder). Bad rows and label records:
    :mod:`.row_issues` (all collected; missing frame folders dropped and counted, the rest one
    error). Label records that no split lists are not loaded; their count (and a few names) is
    added to ``notes``.
    """
    issues = issues if issues is not None else RowIssues("csl-daily")
    base = find_dataset_dir(root, LABELS, names=("CSL-Daily", "csl-daily", "CSL_Daily"))
    frames = option_path(base, frames_dir, "sentences/frames_512x512")
    label_path, records = read_labels(base / LABELS)
    by_name = _index(label_path, records, issues)
    wanted = select_splits(splits)
    candidates, assigned = [], set()
    for row in read_table(base / LABELS / split_file, ("name", "split"), delimiter="|", header="optional", issues=issues):
        with issues.collect():
            name = row.values["name"].strip()
            split = normalise_split(row.values["split"], file=row.file, line=row.line, sample=name)
            if name not in by_name:
                raise row.error(
                    f"no label record for this clip in {label_path.name}",
                    sample=name,
                    hint="the split file and the label file must come from the same release",
                    reason="unlabelled_clip",
                )
            assigned.add(name)
            if split not in wanted:
                continue
            number, rec = by_name[name]
            fields = dict(
                id=name,
                dataset="csl-daily",
                split=split,
                source=str(frames / name),
                source_kind="frames",
                fps=FPS,
                text=_joined(label_path, number, rec, "label_char", ""),
                gloss=_joined(label_path, number, rec, "label_gloss", " ", required=False),
                signer=None if rec.get("signer") is None else str(rec["signer"]),
            )
            candidates.append(Candidate(row, fields))
    unassigned = [n for n in by_name if n not in assigned]
    if unassigned and notes is not None:
        notes.append(f"csl-daily: {len(unassigned)} label records are in no split of {split_file} (not loaded; e.g. {', '.join(unassigned[:3])})")
    samples = build_samples(candidates, desc="csl-daily: counting frames", issues=issues, progress=progress)
    issues.check()
    return samples


def _index(path: Path, records: list[dict], issues: RowIssues) -> dict[str, tuple[int, dict]]:
    """name -> (1-based record number, record); a record without a name or with a repeated one is recorded in ``issues``."""
    out: dict[str, tuple[int, dict]] = {}
    for number, rec in enumerate(records, 1):
        name = str(rec.get("name") or "").strip()
        if not name:
            issues.add(RowError(f"label record {number} has no 'name'", reason="bad_label", file=path, hint="every record needs the clip's folder name"))
        elif name in out:
            issues.add(
                RowError(
                    f"duplicate id in label records {out[name][0]} and {number}",
                    reason="duplicate_id",
                    file=path,
                    sample=name,
                    hint="ids must be unique within a dataset",
                )
            )
        else:
            out[name] = (number, rec)
    return out


def _joined(path: Path, number: int, rec: dict, key: str, sep: str, required: bool = True) -> str | None:
    """A label field (a list of tokens or a string) as one string."""
    value = rec.get(key)
    text = sep.join(map(str, value)) if isinstance(value, (list, tuple)) else str(value or "")
    if not text.strip():
        if required:
            raise RowError(
                f"label record {number}: empty or missing {key!r} (no translation)",
                reason="empty_translation",
                file=path,
                sample=rec.get("name"),
                hint="every clip needs a reference translation",
            )
        return None
    return text
