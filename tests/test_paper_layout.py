"""Tables 3-5 rearranged into the paper's printed layout: known values in, known cells out."""

import math

import pandas as pd
import pytest

from slt_nb.report import paper_metrics
from slt_nb.report.paper_layout import METRICS3, by_dataset_layout, table3_layout


def _long3(rows):
    return pd.DataFrame([{"Dataset": d, "Model": m, "Split": s, **dict(zip(METRICS3, v))} for d, m, s, v in rows])


def test_table3_layout_puts_dev_and_test_side_by_side():
    long = _long3([
        ("A", "m1", "dev", (1, 2, 3, 4, 5)), ("A", "m1", "test", (6, 7, 8, 9, 10)),
        ("A", "m2", "test", (11, 12, 13, 14, 15)),  # no dev row: empty cells, not dropped
        ("B", "m1", "dev", (16, 17, 18, 19, 20)), ("B", "m1", "test", (21, 22, 23, 24, 25)),
    ])
    wide = table3_layout(long)
    assert list(wide.columns) == ["Dataset", "Model", *[f"Dev {m}" for m in METRICS3], *[f"Test {m}" for m in METRICS3]]
    assert wide[["Dataset", "Model"]].values.tolist() == [["A", "m1"], ["A", "m2"], ["B", "m1"]]
    assert wide.loc[0, "Dev BLEU-4"] == 4 and wide.loc[0, "Test ROUGE-L"] == 10
    assert math.isnan(wide.loc[1, "Dev BLEU-1"]) and wide.loc[1, "Test BLEU-1"] == 11
    assert wide.loc[2, "Test BLEU-4"] == 24


def test_table3_layout_of_the_papers_own_long_form_matches_its_page():
    wide = table3_layout(paper_metrics.table3())
    assert len(wide) == 8  # 4 datasets x 2 models, as printed
    row = wide[(wide["Dataset"] == "PHOENIX-2014T") & (wide["Model"] == "SmolVLM2")].iloc[0]
    assert (row["Dev BLEU-4"], row["Test BLEU-4"], row["Test ROUGE-L"]) == (7.80, 8.44, 24.51)  # Table 3, first row


@pytest.mark.parametrize(
    "rows, model, expected",
    [
        ([("A", "m1", 0.5), ("B", "m1", 0.25), ("A", "m2", 0.1)], "m1", {"A": 0.5, "B": 0.25}),
        ([("A", "m1", 0.5), ("B", "m1", 0.25), ("A", "m2", 0.1)], "m2", {"A": 0.1, "B": float("nan")}),
    ],
)
def test_by_dataset_layout(rows, model, expected):
    long = pd.DataFrame([{"Dataset": d, "Model": m, "PGER": v} for d, m, v in rows])
    wide = by_dataset_layout(long, "PGER")
    assert list(wide.columns) == ["Model", "A", "B"]
    got = wide[wide["Model"] == model].iloc[0]
    for ds, v in expected.items():
        assert (math.isnan(got[ds]) and math.isnan(v)) or got[ds] == v


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="PGER"):
        by_dataset_layout(pd.DataFrame({"Dataset": ["A"], "Model": ["m"]}), "PGER")
    with pytest.raises(KeyError, match="Split"):
        table3_layout(pd.DataFrame({"Dataset": ["A"], "Model": ["m"]}))
