"""Notebook 01's package function: datasets -> manifests, drop reports and datasets.json."""

from __future__ import annotations

import json

import pytest
import realfmt as rf

from slt_nb.data.manifest import read_manifest
from slt_nb.data.prepare import load_prepared, prepare_all
from slt_nb.errors import SLTInputError


def test_real_formats_to_manifests_with_isign_drops(tmp_path):
    rf.write_phoenix(tmp_path / "phoenix")
    rf.write_isign(tmp_path / "isign", {"p1": "The train is late.", "p2": "Please sit down.", "e1": "Nobody.", "bad": "nan"},
                   people={"p1", "p2"}, missing={"bad"})
    specs = [
        {"name": "phoenix", "root": str(tmp_path / "phoenix")},
        {"name": "isign", "root": str(tmp_path / "isign"),
         "options": {"person_detector": "mediapipe-pose", "split_fractions": {"train": 1, "dev": 0, "test": 0}}},
    ]
    records = prepare_all(specs, tmp_path / "manifests", seed=0)
    assert [r["label"] for r in records] == ["PHOENIX-2014T", "iSign"]
    assert load_prepared(tmp_path / "manifests") == records
    train = read_manifest(tmp_path / "manifests" / "isign.train.jsonl")
    assert sorted(s.id for s in train) == ["p1", "p2"]
    drops = json.loads((tmp_path / "manifests" / "isign.drops.json").read_text())
    assert drops["counts"] == {"invalid_translation": 1, "no_person_detected": 1}
    assert records[1]["drops"]["total"] == 2
    assert records[0]["counts"]["train"] == len(read_manifest(tmp_path / "manifests" / "phoenix.train.jsonl"))


@pytest.mark.parametrize(
    "specs,match",
    [
        ([], "no datasets configured"),
        ([{"name": "phoenix"}], "missing 'root'"),
        ([{"name": "phoenix14", "root": "x"}], "unknown dataset 'phoenix14'"),
        ([{"name": "phoenix", "root": "x", "rot": 1}], "unknown keys"),
        ([{"name": "phoenix", "root": "x"}, {"name": "phoenix", "root": "y"}], "configured twice"),
    ],
)
def test_bad_dataset_specs(tmp_path, specs, match):
    with pytest.raises(SLTInputError, match=match):
        prepare_all(specs, tmp_path / "m")


def test_not_prepared_yet(tmp_path):
    with pytest.raises(SLTInputError, match="01_data_prep"):
        load_prepared(tmp_path)
