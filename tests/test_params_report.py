"""Params files, the params hash, table writers and the results index."""

import json

import pandas as pd
import pytest

from slt_nb.errors import SLTInputError
from slt_nb.params import check_known, load_params, params_for, params_hash
from slt_nb.report.index import write_index
from slt_nb.report.signature import signature
from slt_nb.report.tables import TableMeta, write_table


def test_load_params(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("seed: 3\nt_max: 16\n")
    assert load_params(p) == {"seed": 3, "t_max": 16}
    assert load_params(None) == {}
    (tmp_path / "empty.yaml").write_text("")
    assert load_params(tmp_path / "empty.yaml") == {}


@pytest.mark.parametrize(
    "content,match",
    [("- a\n- b\n", "mapping"), ("seed: [1,\n", "invalid YAML"), ("bad-name: 1\n", "identifiers")],
)
def test_load_params_bad(tmp_path, content, match):
    p = tmp_path / "bad.yaml"
    p.write_text(content)
    with pytest.raises(SLTInputError, match=match) as err:
        load_params(p)
    assert "bad.yaml" in str(err.value)


def test_missing_params_file(tmp_path):
    with pytest.raises(SLTInputError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def test_unknown_key_is_an_error():
    declared = {"01_data_prep": {"seed", "datasets"}, "02_frame_statistics": {"t_max"}}
    check_known({"seed": 1, "t_max": 8}, declared)
    with pytest.raises(SLTInputError, match="t_maxx"):
        check_known({"t_maxx": 8}, declared)
    assert params_for({"seed"}, {"seed": 1, "t_max": 8}) == {"seed": 1}


def test_params_hash_stable_and_sensitive():
    a = params_hash({"b": 1, "a": [1, 2]})
    assert a == params_hash({"a": [1, 2], "b": 1})  # key order does not matter
    assert a != params_hash({"a": [1, 2], "b": 2})
    assert len(a) == 12


def test_signature_format():
    sig = signature(split="train", tok="words", skip=None)
    assert sig.startswith("split:train|tok:words|slt-nb:")
    assert "skip" not in sig


def test_write_table_and_index(tmp_path):
    ours = pd.DataFrame([{"Dataset": "PHOENIX-2014T (synthetic)", "Total videos": 3}])
    paper = pd.DataFrame([{"Dataset": "PHOENIX-2014T", "Total videos": 7096}])
    meta = TableMeta(name="table2_x", caption="Table 2: test", paper_ref="Table 2", signature="split:train|slt-nb:0", params_file="params/default.yaml", params_hash="abc123", notebook="02")
    paths = write_table(ours, meta, tmp_path / "tables", paper=paper)
    assert pd.read_csv(paths["csv"]).to_dict("records") == ours.to_dict("records")  # CSV holds ours only
    md = paths["md"].read_text()
    assert "7096" in md and "synthetic" in md and "split:train|slt-nb:0" in md and "abc123" in md
    tex = paths["tex"].read_text()
    assert r"\begin{tabular}" in tex and r"\_" not in "PHOENIX" and "PHOENIX-2014T (synthetic)" in tex
    assert json.loads(paths["meta"].read_text())["params_hash"] == "abc123"
    index = write_index(tmp_path, params_file="params/default.yaml", params_hash="abc123", runtimes={"02": 1.5}).read_text()
    assert "Table 2: test" in index and "7096" in index and "| 02 | 1.5 |" in index
