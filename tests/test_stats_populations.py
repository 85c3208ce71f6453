"""Tables 2 and 6 count, per dataset, the clips the paper's row counts (issue 15, fidelity: the audit found
every row on the train split, while the paper's iSign row is the release before cleaning and its OpenASL
row exceeds the train split)."""

from __future__ import annotations

import json

import pytest
import realfmt as rf

from slt_nb.data.manifest import Sample, write_manifest
from slt_nb.data.populations import PAPER_POPULATIONS, describe, population_rows, populations_for
from slt_nb.data.prepare import prepare_all
from slt_nb.errors import SLTInputError
from slt_nb.params_check import problem, schema_of
from slt_nb.report import stats_tables

# split -> number of clips; every clip has 10 frames per split index + 1 and the text "w<split> x"
SIZES = {"train": 4, "dev": 2, "test": 3}
FILTERED = [  # iSign rows the paper's cleaning removed: (id, text, n_frames)
    ("f1", "nan", 400),
    ("f2", "a rare sentence", 50),
    ("f3", "no person here", None),  # its clip could not be counted
]


def _records(tmp_path) -> list[dict]:
    records = []
    for name in ("phoenix", "how2sign", "openasl", "isign", "csl-daily"):
        manifests = {}
        for k, (split, n) in enumerate(SIZES.items()):
            samples = [Sample(id=f"{name}-{split}-{i}", dataset=name, split=split, source="x", source_kind="frames", n_frames=10 * (k + 1),
                              fps=25.0, text=f"w{split} x") for i in range(n)]
            manifests[split] = str(write_manifest(samples, tmp_path / f"{name}.{split}.jsonl"))
        filtered = None
        if name == "isign":
            path = tmp_path / "isign.filtered.jsonl"
            path.write_text("".join(json.dumps({"id": i, "text": t, "n_frames": n, "reason": "r"}) + "\n" for i, t, n in FILTERED), encoding="utf-8")
            filtered = str(path)
        records.append({"name": name, "label": name.upper(), "manifests": manifests, "filtered": filtered})
    return records


# dataset -> (Table 2 population, videos counted, uncounted clips, avg frames), (Table 6 population, tokens)
# train: 4 clips x 10 frames; dev: 2 x 20; test: 3 x 30; all: 9 clips, (40 + 40 + 90) / 9 = 18.89 frames
EXPECTED = {
    "phoenix": (("train", 4, 0, 10.0), ("train", 8)),  # paper 7,096 = train; 99,081 tokens = train
    "how2sign": (("train", 4, 0, 10.0), ("test", 6)),  # paper 31,047 = train clips; 41,421 tokens = test split's size
    "openasl": (("all", 9, 0, 18.89), ("all", 18)),  # paper 97,233 > train split (96,476)
    "isign": (("release", 11, 1, round((170 + 450) / 11, 2)), ("release", 18 + 1 + 3 + 3)),  # 127,237 = release before cleaning
    "csl-daily": (("train", 4, 0, 10.0), ("train", 4 * 7)),  # not in the paper; counted in characters ("wtrain x": 7)
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_row_on_the_papers_population(tmp_path, name):
    records = _records(tmp_path)
    (pop2, videos, uncounted, avg), (pop6, tokens) = EXPECTED[name]
    label = name.upper()
    t2 = stats_tables.table2(records).set_index("Dataset").loc[label]
    assert (t2["Population"], t2["Total videos"], t2["Uncounted clips"], t2["Avg. frame count"]) == (describe(pop2), videos, uncounted, avg)
    t6 = stats_tables.table6(records).set_index("Dataset").loc[label]
    assert (t6["Population"], t6["No. of tokens"]) == (describe(pop6), tokens)


def test_paper_readings_and_their_evidence():
    # the paper's numbers against the known split sizes decide each reading; each says why
    assert {d: p for d, (p, _) in PAPER_POPULATIONS["table2"].items()} == {"phoenix": "train", "how2sign": "train", "openasl": "all", "isign": "release", "csl-daily": "train"}
    assert {d: p for d, (p, _) in PAPER_POPULATIONS["table6"].items()} == {"phoenix": "train", "how2sign": "test", "openasl": "all", "isign": "release", "csl-daily": "train"}
    assert "127,237" in PAPER_POPULATIONS["table2"]["isign"][1] and "96,476" in PAPER_POPULATIONS["table2"]["openasl"][1]


def test_notes_signature_and_overrides(tmp_path):
    records = _records(tmp_path)
    notes = stats_tables.population_notes("table2", records)
    assert notes[3] == f"Population of ISIGN: release, before cleaning — {PAPER_POPULATIONS['table2']['isign'][1]}."
    field = stats_tables.population_field("table2", records, {"isign": "train+dev"})
    assert field == "phoenix=train,how2sign=train,openasl=all,isign=train+dev,csl-daily=train"
    assert stats_tables.table2_signature(field, 300, 64).startswith("population:phoenix=train,")
    assert populations_for("table6", {"how2sign": "train"})["how2sign"] == ("train", "set in params")
    t2 = stats_tables.table2(records, populations={"isign": "train+dev"}).set_index("Dataset").loc["ISIGN"]
    assert (t2["Population"], t2["Total videos"]) == ("train + dev splits", 6)


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"isign": "trainn"}, r"table2 population of isign = 'trainn' is not a population"),
        ({"isgn": "train"}, r"unknown dataset 'isgn'"),
    ],
)
def test_bad_population_is_one_clear_error(tmp_path, overrides, match):
    with pytest.raises(SLTInputError, match=match):
        stats_tables.table2(_records(tmp_path), populations=overrides)


def test_empty_population_is_an_error_not_a_row_of_zeros(tmp_path):
    records = _records(tmp_path)
    records[0]["manifests"].pop("dev")
    with pytest.raises(SLTInputError, match=r"population 'dev' of dataset 'PHOENIX' holds no clips"):
        population_rows(records[0], "dev")


@pytest.mark.parametrize(
    "value,ok",
    [({"isign": "release"}, True), ({"openasl": "train+dev+test"}, True), ({"isign": "all"}, True),
     ({"isign": "trian"}, False), ({"isign": "release+train"}, False), ({"phoenix14": "train"}, False)],
)
def test_params_rule(value, ok):
    for name in ("table2_populations", "table6_populations"):
        assert (problem(value, schema_of(name, {name: {}})) is None) == ok


def test_isign_loader_writes_the_rows_the_cleaning_removed(tmp_path):
    # 5 rows: one invalid text (video present), one missing video, three valid; the subset keeps 2 of the 3
    rf.write_isign(tmp_path / "isign", {"a": "The train is late.", "b": "Please sit down.", "c": "Good morning.", "bad": "nan", "gone": "No clip."},
                   missing={"gone"})
    spec = {"name": "isign", "root": str(tmp_path / "isign"),
            "options": {"person_detector": "none", "n_rare": 1, "n_rest": 1, "split_fractions": {"train": 1, "dev": 0, "test": 0}}}
    (record,) = prepare_all([spec], tmp_path / "m", seed=0)
    rows = [json.loads(line) for line in (tmp_path / "m" / "isign.filtered.jsonl").read_text().splitlines()]
    assert sorted((r["id"], r["reason"]) for r in rows)[0] == ("bad", "invalid_translation")
    assert sorted(r["reason"] for r in rows) == ["invalid_translation", "not_in_vocab_subset"]
    assert all(r["n_frames"] > 0 for r in rows)
    release = population_rows(record, "release")
    assert sorted(r.id for r in release) == ["a", "b", "bad", "c"]  # the whole release on disk; "gone" has no clip
    assert len(population_rows(record, "all")) == 2
