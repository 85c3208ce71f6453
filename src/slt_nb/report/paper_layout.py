"""Tables 3, 4 and 5 in the paper's printed layout, beside the long form the notebooks also write.

The paper prints Table 3 as one block of rows per dataset (a row per model) with the dev and the
test scores side by side (BLEU-1..4, ROUGE-L under "Dev Set" and under "Test Set"), and Tables 4-5
as a row per model with one column per dataset. The long form (one row per dataset x model x
split, with the bootstrap intervals) is the canonical, machine-readable table; these are the same
numbers rearranged, so a reader can lay ours over the paper's page.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

METRICS3 = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L")  # Table 3's columns, in the paper's order
SPLIT_LABELS = {"dev": "Dev", "test": "Test"}  # the paper's "Dev Set" / "Test Set" headers


def _in_order(values: Sequence) -> list:
    """Unique values in first-seen order."""
    return list(dict.fromkeys(values))


def table3_layout(long: pd.DataFrame, *, splits: Sequence[str] = ("dev", "test"), model_col: str = "Model") -> pd.DataFrame:
    """Table 3 as the paper prints it: ``Dataset, Model, Dev BLEU-1 .. Dev ROUGE-L, Test BLEU-1 .. Test ROUGE-L``.

    ``long``: one row per dataset x model x split with columns ``Dataset``, ``model_col``, ``Split``
    and :data:`METRICS3` (other columns, e.g. the intervals, are left out). Rows keep the order in
    which datasets and models first appear; a split a model lacks is empty (NaN), never dropped.
    Raises ``KeyError`` naming a missing column. Source: the small-VLM paper's Table 3.
    """
    need = ["Dataset", model_col, "Split", *METRICS3]
    missing = [c for c in need if c not in long.columns]
    if missing:
        raise KeyError(f"Table 3 long form lacks column(s) {missing}; has {list(long.columns)}")
    rows = []
    for ds in _in_order(long["Dataset"]):
        part = long[long["Dataset"] == ds]
        for model in _in_order(part[model_col]):
            row = {"Dataset": ds, "Model": model}
            for split in splits:
                hit = part[(part[model_col] == model) & (part["Split"] == split)]
                for m in METRICS3:
                    row[f"{SPLIT_LABELS.get(split, split)} {m}"] = hit[m].iloc[0] if len(hit) else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


def by_dataset_layout(long: pd.DataFrame, value: str, *, model_col: str = "Model") -> pd.DataFrame:
    """Tables 4-5 as the paper prints them: a row per model, a column per dataset, cells ``value``.

    ``long``: one row per dataset x model with columns ``Dataset``, ``model_col`` and ``value``.
    Models in first-seen order; a dataset a model was not scored on is empty (NaN). Raises
    ``KeyError`` naming a missing column. Source: the small-VLM paper's Tables 4 (PGER) and 5 (TSR).
    """
    missing = [c for c in ("Dataset", model_col, value) if c not in long.columns]
    if missing:
        raise KeyError(f"long form lacks column(s) {missing}; has {list(long.columns)}")
    datasets = _in_order(long["Dataset"])
    rows = []
    for model in _in_order(long[model_col]):
        part = long[long[model_col] == model]
        row = {"Model": model}
        for ds in datasets:
            hit = part[part["Dataset"] == ds]
            row[ds] = hit[value].iloc[0] if len(hit) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
