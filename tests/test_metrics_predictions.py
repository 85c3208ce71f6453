"""Strict reading of predictions JSONL: every bad input names the file and the line."""

from __future__ import annotations

import json

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.metrics.predictions import parse_predictions, read_predictions

GOOD = {"id": "a", "dataset": "phoenix", "split": "test", "reference": "im süden regnet es .", "prediction": "im süden .", "model": "m", "params_hash": "h"}


def _line(**kw) -> str:
    return json.dumps({**GOOD, **kw}, ensure_ascii=False)


def test_reads_valid_file_in_order(tmp_path):
    p = tmp_path / "m.phoenix.test.jsonl"
    p.write_text(_line(id="a") + "\n\n" + _line(id=7, prediction="") + "\n", encoding="utf-8")
    recs = read_predictions(p)
    assert [r.id for r in recs] == ["a", "7"]  # integer ids become strings; blank line skipped
    assert recs[1].prediction == "" and recs[1].line == 3
    assert recs[0].reference == "im süden regnet es ." and recs[0].dataset == "phoenix"


# (file content, line named in the error, words the message must contain)
BAD = [
    ("", None, ["empty"]),
    ("\n  \n", None, ["empty"]),
    (_line() + "\n{not json\n", 2, ["not valid JSON"]),
    ('[1, 2]\n', 1, ["JSON object"]),
    (json.dumps({"id": "a", "prediction": "x"}) + "\n", 1, ["missing", "reference"]),
    (json.dumps({"id": "a", "reference": "x"}) + "\n", 1, ["missing", "prediction"]),
    (json.dumps({"reference": "x", "prediction": "y"}) + "\n", 1, ["missing", "id"]),
    (_line(id="a") + "\n" + _line(id="b") + "\n" + _line(id="a") + "\n", 3, ["duplicate id", "first on line 1"]),
    (_line(prediction=None) + "\n", 1, ["prediction must be a string"]),
    (_line(reference="  ") + "\n", 1, ["empty reference"]),
    (_line(id=True) + "\n", 1, ["id must be"]),
    (_line(dataset=3) + "\n", 1, ["dataset must be"]),
]


@pytest.mark.parametrize("content,line,words", BAD)
def test_bad_input_is_named(tmp_path, content, line, words):
    p = tmp_path / "bad.jsonl"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(SLTInputError) as ei:
        read_predictions(p)
    msg = str(ei.value)
    assert str(p) in msg
    if line is not None:
        assert f"{p}:{line}" in msg and ei.value.line == line
    for w in words:
        assert w in msg


def test_missing_file(tmp_path):
    with pytest.raises(SLTInputError, match="not found"):
        read_predictions(tmp_path / "nope.jsonl")


def test_parse_in_memory_rows():
    recs = parse_predictions([GOOD, {**GOOD, "id": "b"}])
    assert len(recs) == 2
    with pytest.raises(SLTInputError, match="<records>:2.*duplicate"):
        parse_predictions([GOOD, GOOD])
