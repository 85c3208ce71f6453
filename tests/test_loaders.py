"""The real-format loaders read tiny fixtures in each released layout (tests/realfmt.py)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import realfmt as rf

from slt_nb.data.annotations import read_table
from slt_nb.data.csl_daily import read_labels
from slt_nb.data.loaders import LOADERS, load_dataset
from slt_nb.errors import SLTInputError

PARENT_DIR = {"phoenix": "PHOENIX-2014-T", "how2sign": "How2Sign", "openasl": "OpenASL", "csl-daily": "CSL-Daily"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One fixture tree per dataset, written once: {name: (parent folder, expected samples)}."""
    top = tmp_path_factory.mktemp("real")
    trees = {
        "phoenix": (top / "phoenix", rf.write_phoenix(top / "phoenix")),
        "how2sign": (top / "how2sign", rf.write_how2sign(top / "how2sign" / "How2Sign")),
        "openasl": (top / "openasl", rf.write_openasl(top / "openasl" / "OpenASL")),
        "csl-daily": (top / "csl-daily", rf.write_csl_daily(top / "csl-daily")),
        "isign": (top / "isign", None),
    }
    rows = {f"u{i}": f"sentence number {i}" for i in range(10)}
    rf.write_isign(top / "isign", rows)
    return trees


@pytest.fixture
def tree(pristine, tmp_path):
    """A fresh, mutable copy of one dataset's tree: tree(name) -> dataset folder."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(pristine[name][0], dst)
        return dst / PARENT_DIR[name] if name in PARENT_DIR else dst

    return copy


def by_id(samples):
    return {s.id: s for s in samples}


@pytest.mark.parametrize("name", ["phoenix", "how2sign", "openasl", "csl-daily"])
@pytest.mark.parametrize("given", ["dataset folder", "parent folder"])
def test_loader_reads_its_release_layout(pristine, name, given):
    parent, expected = pristine[name]
    root = parent / PARENT_DIR[name] if given == "dataset folder" else parent
    samples = by_id(load_dataset(name, root).samples)
    assert set(samples) == set(expected)
    for sid, exp in expected.items():
        s = samples[sid]
        assert (s.dataset, s.split, s.n_frames, s.text) == (name, exp[0], exp[1], exp[2])
        if name in ("phoenix", "csl-daily", "openasl"):
            assert s.gloss == exp[3]
        if name == "phoenix":
            assert s.signer == exp[4] and s.fps == 25.0 and s.source_kind == "frames"
        if name in ("how2sign", "openasl"):
            assert s.source_kind == "video" and s.fps == pytest.approx(25.0) and s.start is None


def test_phoenix_uses_the_nested_folder_of_the_video_column(pristine):
    s = by_id(load_dataset("phoenix", pristine["phoenix"][0]).samples)["train_nested-1"]
    assert s.source.endswith(os.path.join("train", "train_nested-1", "1"))


def test_splits_are_normalised_and_selected(pristine):
    samples = load_dataset("openasl", pristine["openasl"][0], splits=("valid",)).samples
    assert [s.split for s in samples] == ["dev"]
    assert {s.split for s in load_dataset("how2sign", pristine["how2sign"][0], splits=["val", "test"]).samples} == {"dev", "test"}


def test_how2sign_realigned_segments_count_their_frames_and_report_clipping(pristine):
    parent, expected = pristine["how2sign"]
    result = load_dataset("how2sign", parent, mode="realigned")
    samples = by_id(result.samples)
    assert {sid: s.n_frames for sid, s in samples.items()} == {sid: exp[3] for sid, exp in expected.items()}
    clipped = samples["vidA_1-5-rgb_front"]
    assert (clipped.start, clipped.end) == (0.4, 1.0) and clipped.source.endswith("raw_videos/vidA-5-rgb_front.mp4")
    assert any("1 of 4 realigned segments" in n and "vidA_1-5-rgb_front" in n for n in result.notes)


def test_isign_full_release_gets_a_seeded_split(pristine):
    opts = dict(person_detector="none", split_fractions={"train": 0.6, "val": 0.2, "test": 0.2})
    first = load_dataset("isign", pristine["isign"][0], **opts)
    again = load_dataset("isign", pristine["isign"][0], **opts)
    assert [(s.id, s.split) for s in first.samples] == [(s.id, s.split) for s in again.samples]
    assert sorted(s.split for s in first.samples) == ["dev"] * 2 + ["test"] * 2 + ["train"] * 6
    assert all(s.n_frames == 8 and s.text.startswith("sentence number") for s in first.samples)
    other = load_dataset("isign", pristine["isign"][0], seed=1, **opts)
    assert [(s.id, s.split) for s in other.samples] != [(s.id, s.split) for s in first.samples]


def test_isign_uses_the_subset_release_split_csvs(tmp_path):
    rf.write_isign_release(tmp_path, {"train": {"a1": 3, "a2": 4}, "dev": {"b1": 5}, "test": {"c1": 6}})
    result = load_dataset("isign", tmp_path, person_detector="none")
    assert {(s.id, s.split, s.n_frames) for s in result.samples} == {("a1", "train", 3), ("a2", "train", 4), ("b1", "dev", 5), ("c1", "test", 6)}
    assert "no vocabulary subset" in result.drops.notes["subset"]


def test_registry_and_load_dataset_errors(tmp_path):
    assert set(LOADERS) == {"phoenix", "how2sign", "openasl", "isign", "csl-daily"}
    with pytest.raises(SLTInputError, match="unknown dataset 'phoenix14'.*allowed: phoenix, how2sign"):
        load_dataset("phoenix14", tmp_path)
    with pytest.raises(SLTInputError, match="nowhere.*set datasets\\[\\].root in params"):
        load_dataset("phoenix", tmp_path / "nowhere")
    with pytest.raises(SLTInputError, match="unknown option.*'modus'.*allowed: splits, mode"):
        load_dataset("how2sign", tmp_path, modus="clips")
    with pytest.raises(SLTInputError, match="unknown How2Sign mode 'cut'"):
        load_dataset("how2sign", tmp_path, mode="cut")


def test_read_table_tracks_physical_lines_of_quoted_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('uid,text\na,"two\nlines"\n\nb,"x, y"\n', encoding="utf-8")
    rows = read_table(path, ("uid", "text"), delimiter=",", quoted=True)
    assert [(r.line, r.values["uid"], r.values["text"]) for r in rows] == [(2, "a", "two\nlines"), (5, "b", "x, y")]


# --- bad input: every case names the file, the line or the sample, and what to do ------------


def _phoenix(case):
    def mutate(base: Path):
        csv = rf.phoenix_csv(base, "train")
        if case == "missing annotation":
            rf.phoenix_csv(base, "dev").unlink()
            return "PHOENIX-2014-T.dev.corpus.csv", None
        if case == "malformed row":
            return csv.name, (rf.append(csv, "broken|row"), "broken")
        if case == "empty translation":
            return csv.name, (rf.append(csv, rf.phoenix_row("blank-1", text="   ")), "blank-1")
        if case == "missing media":
            return csv.name, (rf.append(csv, rf.phoenix_row("ghost-2")), "ghost-2")
        if case == "zero frames":
            rf.phoenix_frames(base, "train", "empty-3").mkdir(parents=True)
            return csv.name, (rf.append(csv, rf.phoenix_row("empty-3")), "empty-3")
        if case == "duplicate id":
            return csv.name, (rf.append(csv, rf.phoenix_row("train_nested-1")), "train_nested-1")

    return mutate


def _how2sign(case):
    def mutate(base: Path):
        csv = rf.how2sign_csv(base, "train")
        if case == "missing annotation":
            rf.how2sign_csv(base, "test").unlink()
            return "how2sign_realigned_test.csv", None
        if case == "malformed row":
            return csv.name, (rf.append(csv, "only\ttwo"), "only")
        if case == "empty translation":
            return csv.name, (rf.append(csv, rf.how2sign_row("s_9-1-rgb_front", text="")), "s_9-1-rgb_front")
        if case == "missing media":
            return csv.name, (rf.append(csv, rf.how2sign_row("ghost_0-1-rgb_front")), "ghost_0-1-rgb_front")
        if case == "corrupt video":
            rf.how2sign_clip(base, "train", "vidA_0-5-rgb_front").write_bytes(b"\x00not an mp4" * 50)
            return "vidA_0-5-rgb_front.mp4", (2, "vidA_0-5-rgb_front")
        if case == "past the end":  # a realigned segment wholly past the end of its 20-frame video
            return csv.name, (rf.append(csv, rf.how2sign_row("late_0-5-rgb_front", start=2.0, end=3.0)), "late_0-5-rgb_front")
        if case == "duplicate id":
            return csv.name, (rf.append(csv, rf.how2sign_row("vidA_1-5-rgb_front")), "vidA_1-5-rgb_front")
        if case == "bad number":
            return csv.name, (rf.append(csv, rf.how2sign_row("nan_0-5-rgb_front", start="abc")), "nan_0-5-rgb_front")

    return mutate


def _openasl(case):
    def mutate(base: Path):
        tsv = base / "openasl-v1.0.tsv"
        if case == "missing annotation":
            tsv.unlink()
            return tsv.name, None
        if case == "malformed row":
            return tsv.name, (rf.append(tsv, "x:1\tonly three\tfields"), "x:1")
        if case == "empty translation":
            return tsv.name, (rf.append(tsv, rf.openasl_row("blank-00:00:01", text=" ")), "blank-00:00:01")
        if case == "missing media":
            return tsv.name, (rf.append(tsv, rf.openasl_row("ghost-00:00:02")), "ghost-00:00:02")
        if case == "corrupt video":
            vid = "abcDEF12345-00:01:02.000-00:01:04.500"
            (base / "clips" / f"{vid}.mp4").write_bytes(b"")
            return tsv.name, (3, vid)
        if case == "duplicate id":
            return tsv.name, (rf.append(tsv, rf.openasl_row("zzzYYY00000-00:00:00.500-00:00:01.500", split="test")), "zzzYYY00000-00:00:00.500-00:00:01.500")
        if case == "unknown split":
            return tsv.name, (rf.append(tsv, rf.openasl_row("odd-00:00:03", split="holdout")), "odd-00:00:03")

    return mutate


def _isign(case):
    def mutate(base: Path):
        csv = base / "iSign_v1.1.csv"
        if case == "missing annotation":
            csv.unlink()
            return csv.name, None
        if case == "malformed row":
            return csv.name, (rf.append(csv, 'u99,"a",extra'), "u99")
        if case == "missing media":
            return csv.name, (rf.append(csv, rf.isign_row("ghost", "a sentence with no video")), "ghost")
        if case == "corrupt video":
            (base / "videos" / "u3.mp4").write_bytes(b"garbage" * 100)
            return csv.name, (5, "u3")
        if case == "duplicate id":
            return csv.name, (rf.append(csv, rf.isign_row("u4", "again")), "u4")

    return mutate


def _csl(case):
    def mutate(base: Path):
        labels = base / "sentence_label"
        split = labels / "split_1.txt"
        if case == "missing annotation":
            (labels / "csl2020ct_v2.pkl").unlink()
            return "csl2020ct_v2.pkl", None
        if case == "malformed row":
            return split.name, (rf.append(split, "S9|train|extra"), "S9")
        if case == "empty translation":
            recs = read_labels(labels)[1] + [rf.csl_record("S000009_P0009_T00", "", ["X"])]
            rf.write_csl_labels(base, recs)
            rf.append(split, "S000009_P0009_T00|train")
            return "csl2020ct_v2.pkl", (None, "S000009_P0009_T00")
        if case == "missing media":
            rf.write_csl_labels(base, read_labels(labels)[1] + [rf.csl_record("S000010_P0000_T00", "好", ["好"])])
            return split.name, (rf.append(split, "S000010_P0000_T00|test"), "S000010_P0000_T00")
        if case == "zero frames":
            rf.write_csl_labels(base, read_labels(labels)[1] + [rf.csl_record("S000011_P0000_T00", "好", ["好"])])
            (base / "sentences" / "frames_512x512" / "S000011_P0000_T00").mkdir()
            return split.name, (rf.append(split, "S000011_P0000_T00|dev"), "S000011_P0000_T00")
        if case == "duplicate id":
            return split.name, (rf.append(split, "S000001_P0001_T00|test"), "S000001_P0001_T00")
        if case == "unlabelled clip":
            return split.name, (rf.append(split, "S999999_P0000_T00|test"), "S999999_P0000_T00")

    return mutate


# Rows the field drops (a missing clip, a segment past the end) are errors only in strict mode
# (test_row_issues.py checks they are dropped and counted by default).
STRICT = {"missing media", "past the end"}


def _opts(case: str, **opts) -> dict:
    return {**opts, "strict": True} if case in STRICT else opts


BAD_INPUT = [
    *[("phoenix", c, _phoenix(c), _opts(c)) for c in ("missing annotation", "malformed row", "empty translation", "missing media", "zero frames", "duplicate id")],
    *[
        ("how2sign", c, _how2sign(c), _opts(c))
        for c in ("missing annotation", "malformed row", "empty translation", "missing media", "corrupt video", "duplicate id")
    ],
    *[("how2sign", c, _how2sign(c), _opts(c, mode="realigned")) for c in ("past the end", "bad number")],
    *[
        ("openasl", c, _openasl(c), _opts(c))
        for c in ("missing annotation", "malformed row", "empty translation", "missing media", "corrupt video", "duplicate id", "unknown split")
    ],
    *[("isign", c, _isign(c), _opts(c, person_detector="none")) for c in ("missing annotation", "malformed row", "missing media", "corrupt video", "duplicate id")],
    *[
        ("csl-daily", c, _csl(c), _opts(c))
        for c in ("missing annotation", "malformed row", "empty translation", "missing media", "zero frames", "duplicate id", "unlabelled clip")
    ],
]


@pytest.mark.parametrize("name,case,mutate,opts", BAD_INPUT, ids=[f"{n}-{c}" for n, c, _, _ in BAD_INPUT])
def test_bad_input_names_file_line_and_sample(tree, name, case, mutate, opts):
    base = tree(name)
    file_name, where = mutate(base)
    with pytest.raises(SLTInputError) as err:
        load_dataset(name, base, **opts)
    msg = str(err.value)
    assert file_name in msg, msg
    if where is not None:
        line, sample = where
        if line is not None:
            assert f":{line}" in msg, msg
        assert repr(sample) in msg, msg
    assert err.value.hint, f"no hint on what to do: {msg}"


# --- CSL-Daily's pickle is never trusted ------------------------------------------------------


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_label_pickle_is_refused_without_running(tree, tmp_path):
    base = tree("csl-daily")
    marker = tmp_path / "pwned"
    pkl = base / "sentence_label" / "csl2020ct_v2.pkl"
    pkl.write_bytes(pickle.dumps({"info": [_Exploit(marker)]}))
    with pytest.raises(SLTInputError, match=r"csl2020ct_v2\.pkl.*global (posix|os)\.system.*convert it once to csl2020ct_v2\.json"):
        load_dataset("csl-daily", base)
    assert not marker.exists()


def test_json_sidecar_is_preferred_over_the_pickle(tree, tmp_path):
    base = tree("csl-daily")
    labels = base / "sentence_label"
    _, records = read_labels(labels)
    (labels / "csl2020ct_v2.pkl").write_bytes(pickle.dumps({"info": [_Exploit(tmp_path / "pwned")]}))
    records[0]["label_char"] = list("改过的句子")
    (labels / "csl2020ct_v2.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    samples = by_id(load_dataset("csl-daily", base).samples)
    assert samples["S000000_P0000_T00"].text == "改过的句子"
    assert not (tmp_path / "pwned").exists()
