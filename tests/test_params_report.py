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


def test_index_one_title_figures_beside_their_tables(tmp_path):
    """results/README.md: each table's caption once, each figure with its caption right after the table it
    belongs to (dataset-suffixed names too), a figure of no known table under "More figures"."""
    for name, caption in (("table2_frame_stats", "Table 2: stats"), ("table14_top_predicted_np_phoenix", "Table 14: NPs")):
        meta = TableMeta(name=name, caption=caption, paper_ref="x", signature="s", params_file=None, params_hash="h1", notebook="02")
        write_table(pd.DataFrame([{"Dataset": "d", "n": 1}]), meta, tmp_path / "tables")
    (tmp_path / "figures").mkdir()
    for stem in ("clip_lengths", "vocab_bias_predicted_vs_train", "mystery"):
        (tmp_path / "figures" / f"{stem}.png").write_bytes(b"png")
    index = write_index(tmp_path, params_file=None, params_hash="h1", runtimes={}).read_text()
    assert index.count("Table 2: stats") == 1 and index.count("Table 14: NPs") == 1
    t2, t14, more = index.index("### Table 2: stats"), index.index("### Table 14: NPs"), index.index("## More figures")
    assert t2 < index.index("figures/clip_lengths.png") < t14 < index.index("figures/vocab_bias_predicted_vs_train.png") < more
    assert index.index("figures/mystery.png") > more and "*Figure `clip_lengths.png`: Frames per clip" in index


WIDE = """**t**

| Dataset         | Split   |   BLEU-1 | BLEU-1 95% CI   |   BLEU-4 | BLEU-4 95% CI   |
|:----------------|:--------|---------:|:----------------|---------:|:----------------|
| PHOENIX (synth) | dev     |    56.88 | 49.31-64.08     |    30.32 | 22.90-38.18     |
| PHOENIX (synth) | test    |    54.94 | 46.72-62.14     |    27.91 | 19.75-36.17     |

Signature: `x`"""


@pytest.mark.parametrize("width, parts, first_header", [
    (200, 1, "| Dataset         | Split   |   BLEU-1 |"),  # fits: kept byte for byte
    (70, 2, "| Dataset         | Split | BLEU-1 | BLEU-1 95% CI | BLEU-4 |"),
    (50, 4, "| Dataset         | Split | BLEU-1 |"),
])
def test_wide_tables_split_into_column_groups_that_repeat_the_row_keys(width, parts, first_header):
    from slt_nb.report.index import split_wide_tables

    out = split_wide_tables(WIDE, max_width=width)
    tables = [blk for blk in out.split("\n\n") if blk.startswith("|")]
    assert len(tables) == parts and out.startswith("**t**") and out.endswith("Signature: `x`")
    assert tables[0].splitlines()[0].startswith(first_header)
    for t in tables:  # every part says which row it is, and every value is still there once
        rows = t.splitlines()
        assert rows[0].startswith("| Dataset") and "| Split" in rows[0] and all(len(r) <= max(width, len(rows[0])) for r in rows)
        assert all(r.startswith("| PHOENIX (synth) | dev") or r.startswith("| PHOENIX (synth) | test") for r in rows[2:])
    cells = " ".join(out.split())
    assert all(cells.count(v) == 1 for v in ("56.88", "22.90-38.18", "19.75-36.17", "27.91"))
