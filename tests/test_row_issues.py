"""Every loader reports every bad row at once, and drops (and counts) what the field drops (issue 13).

Table-driven over the five loaders on the tiny release-format trees of tests/realfmt.py, plus the
two How2Sign cases of the issue (tests/data/cases/): rows whose clip the release lacks, and
realigned segments past the end of their video.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import realfmt as rf

from slt_nb.data.csl_daily import read_labels
from slt_nb.data.loaders import load_dataset
from slt_nb.data.manifest import read_manifest
from slt_nb.data.prepare import prepare_all
from slt_nb.data.row_issues import LIST_LIMIT
from slt_nb.errors import SLTInputError

CASES = Path(__file__).parent / "data" / "cases"
PARENT_DIR = {"phoenix": "PHOENIX-2014-T", "how2sign": "How2Sign", "openasl": "OpenASL", "csl-daily": "CSL-Daily"}
OPTS = {"isign": {"person_detector": "none"}}  # no pose model needed to test the row checks


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    top = tmp_path_factory.mktemp("rows")
    rf.write_phoenix(top / "phoenix")
    rf.write_how2sign(top / "how2sign" / "How2Sign")
    rf.write_openasl(top / "openasl" / "OpenASL")
    rf.write_csl_daily(top / "csl-daily")
    rf.write_isign(top / "isign", {f"u{i}": f"sentence number {i}" for i in range(10)})
    return top


@pytest.fixture
def tree(pristine, tmp_path):
    """tree(name) -> the dataset folder of a fresh, mutable copy."""

    def copy(name: str) -> Path:
        shutil.copytree(pristine / name, tmp_path / name)
        return tmp_path / name / PARENT_DIR[name] if name in PARENT_DIR else tmp_path / name

    return copy


def load(name: str, base: Path, **opts):
    return load_dataset(name, base, progress=False, **OPTS.get(name, {}), **opts)


def _csl_add_records(base: Path, *records: dict) -> None:
    rf.write_csl_labels(base, read_labels(base / "sentence_label")[1] + list(records))


# --- several fatal rows: one error that lists every one ------------------------------------------
# each mutation returns [(line or None, sample)] of the bad rows and the expected "reason: count" summary


def _many_phoenix(base):
    csv = rf.phoenix_csv(base, "train")
    rows = [(rf.append(csv, "broken|row"), "broken"), (rf.append(csv, rf.phoenix_row("blank-1", text=" ")), "blank-1")]
    rows.append((rf.append(csv, rf.phoenix_row("train_nested-1")), "train_nested-1"))
    return rows, "duplicate_id: 1, empty_translation: 1, malformed_row: 1"


def _many_how2sign(base):
    csv = rf.how2sign_csv(base, "train")
    rows = [(rf.append(csv, "only\ttwo"), "only"), (rf.append(csv, rf.how2sign_row("s_9-1-rgb_front", text="")), "s_9-1-rgb_front")]
    rf.how2sign_clip(base, "train", "vidA_0-5-rgb_front").write_bytes(b"\x00not an mp4" * 50)
    return [*rows, (2, "vidA_0-5-rgb_front")], "empty_translation: 1, malformed_row: 1, unreadable_clip: 1"


def _many_openasl(base):
    tsv = base / "openasl-v1.0.tsv"
    rows = [(rf.append(tsv, rf.openasl_row("odd-00:00:03", split="holdout")), "odd-00:00:03"), (rf.append(tsv, rf.openasl_row("blank-00:00:01", text=" ")), "blank-00:00:01")]
    vid = "abcDEF12345-00:01:02.000-00:01:04.500"
    (base / "clips" / f"{vid}.mp4").write_bytes(b"")
    return [*rows, (3, vid)], "empty_translation: 1, unknown_split: 1, unreadable_clip: 1"


def _many_isign(base):
    csv = base / "iSign_v1.1.csv"
    rows = [(rf.append(csv, 'u99,"a",extra'), "u99"), (rf.append(csv, rf.isign_row("u4", "again")), "u4")]
    (base / "videos" / "u3.mp4").write_bytes(b"garbage" * 100)
    return [*rows, (5, "u3")], "duplicate_id: 1, malformed_row: 1, unreadable_clip: 1"


def _many_csl(base):
    split = base / "sentence_label" / "split_1.txt"
    _csl_add_records(base, rf.csl_record("S000011_P0000_T00", "好", ["好"]))
    (base / "sentences" / "frames_512x512" / "S000011_P0000_T00").mkdir()
    rows = [(rf.append(split, "S9|train|extra"), "S9"), (rf.append(split, "S999999_P0000_T00|test"), "S999999_P0000_T00")]
    rows.append((rf.append(split, "S000011_P0000_T00|dev"), "S000011_P0000_T00"))
    return rows, "malformed_row: 1, unlabelled_clip: 1, unreadable_clip: 1"


MANY = {"phoenix": _many_phoenix, "how2sign": _many_how2sign, "openasl": _many_openasl, "isign": _many_isign, "csl-daily": _many_csl}


@pytest.mark.parametrize("name", list(MANY))
def test_every_bad_row_is_listed_in_one_error(tree, name):
    base = tree(name)
    rows, reasons = MANY[name](base)
    with pytest.raises(SLTInputError) as err:
        load(name, base)
    msg = str(err.value)
    assert msg.startswith(f"{len(rows)} bad rows in {name} ({reasons}): "), msg
    for line, sample in rows:
        assert f":{line}, sample {sample!r}" in msg, msg
    assert "\n" not in msg and err.value.hint


def test_a_long_list_is_truncated_with_a_count(tree):
    base = tree("phoenix")
    csv = rf.phoenix_csv(base, "dev")
    lines = [rf.append(csv, f"broken{i}|row") for i in range(LIST_LIMIT + 3)]
    with pytest.raises(SLTInputError) as err:
        load("phoenix", base)
    msg = str(err.value)
    assert msg.startswith(f"{LIST_LIMIT + 3} bad rows in phoenix (malformed_row: {LIST_LIMIT + 3})") and msg.endswith("... and 3 more (fix the row or remove it)"), msg
    assert f":{lines[LIST_LIMIT - 1]}," in msg and f":{lines[LIST_LIMIT]}," not in msg


# --- rows the field drops: left out and counted by default, one error when strict ------------------


def _missing_phoenix(base):
    csv = rf.phoenix_csv(base, "test")
    return [(rf.append(csv, rf.phoenix_row(n)), n) for n in ("ghost-1", "ghost-2")]


def _missing_how2sign(base):
    csv = rf.how2sign_csv(base, "dev")
    return [(rf.append(csv, rf.how2sign_row(n)), n) for n in ("ghost_0-1-rgb_front", "ghost_1-1-rgb_front")]


def _missing_openasl(base):
    tsv = base / "openasl-v1.0.tsv"
    return [(rf.append(tsv, rf.openasl_row(n, split=sp)), n) for n, sp in (("ghost-00:00:01", "train"), ("ghost-00:00:02", "valid"))]


def _missing_isign(base):
    csv = base / "iSign_v1.1.csv"
    return [(rf.append(csv, rf.isign_row(n, f"a sentence for {n}")), n) for n in ("ghost1", "ghost2")]


def _missing_csl(base):
    split = base / "sentence_label" / "split_1.txt"
    names = ("S000020_P0000_T00", "S000021_P0000_T00")
    _csl_add_records(base, *(rf.csl_record(n, "好", ["好"]) for n in names))
    return [(rf.append(split, f"{n}|train"), n) for n in names]


MISSING = {"phoenix": _missing_phoenix, "how2sign": _missing_how2sign, "openasl": _missing_openasl, "isign": _missing_isign, "csl-daily": _missing_csl}


@pytest.mark.parametrize("name", list(MISSING))
def test_missing_clips_are_dropped_and_counted_or_listed_when_strict(tree, name):
    base = tree(name)
    kept = {s.id for s in load(name, base).samples}
    rows = MISSING[name](base)
    result = load(name, base)
    assert {s.id for s in result.samples} == kept
    assert result.drops.reasons == {"missing_clip": [s for _, s in rows]}
    assert any(f"dropped 2 row(s): missing_clip 2 (e.g. {rows[0][1]}, {rows[1][1]})" in n for n in result.notes), result.notes
    with pytest.raises(SLTInputError) as err:
        load(name, base, strict=True)
    msg = str(err.value)
    assert msg.startswith(f"2 bad rows in {name} (missing_clip: 2)"), msg
    assert all(f":{line}, sample {sample!r}" in msg for line, sample in rows), msg
    assert "without strict" in err.value.hint


# --- the issue's How2Sign cases --------------------------------------------------------------------
# how2sign-missing-clips: 3 rows, only vidB_0's clip shipped (30 frames, 25 fps).
# how2sign-realigned-past-end: one 50-frame 25 fps video (2 s); rows at 0.2-1.0 s (20 frames),
# 1.6-2.2 s (frames 40..49: clipped to 10), 2.4-2.9 s and 3.0-3.3 s (wholly past the end).

H2S_CASES = [
    ("how2sign-missing-clips", {}, {"vidB_0-1-rgb_front": 30}, "missing_clip", {3: "vidB_1-1-rgb_front", 4: "vidB_2-1-rgb_front"}),
    ("how2sign-realigned-past-end", {"mode": "realigned"}, {"vidA_0-1-rgb_front": 20, "vidA_1-1-rgb_front": 10}, "segment_past_end",
     {4: "vidA_2-1-rgb_front", 5: "vidA_3-1-rgb_front"}),
]


@pytest.mark.parametrize("case,opts,frames,reason,bad", H2S_CASES, ids=[c[0] for c in H2S_CASES])
def test_how2sign_cases_drop_and_count_or_name_every_bad_row(case, opts, frames, reason, bad):
    result = load_dataset("how2sign", CASES / case, splits=("train",), progress=False, **opts)
    assert {s.id: s.n_frames for s in result.samples} == frames
    assert result.drops.to_dict()["counts"] == {reason: 2} and result.drops.reasons[reason] == list(bad.values())
    with pytest.raises(SLTInputError) as err:
        load_dataset("how2sign", CASES / case, splits=("train",), progress=False, strict=True, **opts)
    msg = str(err.value)
    assert msg.startswith(f"2 bad rows in how2sign ({reason}: 2)"), msg
    assert all(f"how2sign_realigned_train.csv:{line}, sample {sid!r}" in msg for line, sid in bad.items()), msg


# --- control characters in a translation: removed and counted, an error when strict -----------------


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _nul_csl(base):
    records = read_labels(base / "sentence_label")[1]
    records[1]["label_char"] = list("谢谢\x00你\x1b")
    rf.write_csl_labels(base, records)


NUL = [  # (dataset, mutate, sample, cleaned text)
    ("phoenix", lambda b: _replace(rf.phoenix_csv(b, "train"), "im süden regen .", "im süden\x00 regen .\x07"), "train_nested-1", "im süden regen ."),
    ("how2sign", lambda b: _replace(rf.how2sign_csv(b, "train"), "Then he sat down.", "Then he\x00 sat\x1b down."), "vidA_1-5-rgb_front", "Then he sat down."),
    ("openasl", lambda b: _replace(b / "openasl-v1.0.tsv", "\tWeather today.\t", "\tWeather\x00 today.\x7f\t"), "zzzYYY00000-00:00:00.500-00:00:01.500", "Weather today."),
    ("isign", lambda b: _replace(b / "iSign_v1.1.csv", "sentence number 3", "sentence\x00 number 3\x00"), "u3", "sentence number 3"),
    ("csl-daily", _nul_csl, "S000001_P0001_T00", "谢谢你"),
]


@pytest.mark.parametrize("name,mutate,sample,text", NUL, ids=[n[0] for n in NUL])
def test_control_characters_are_removed_and_counted(tree, name, mutate, sample, text):
    base = tree(name)
    mutate(base)
    result = load(name, base)
    assert {s.id: s.text for s in result.samples}[sample] == text
    assert not any(ch in s.text for s in result.samples for ch in "\x00\x07\x1b\x7f")
    assert result.drops.cleaned == {"control_characters": [sample]} and result.drops.total == 0
    with pytest.raises(SLTInputError, match=rf"sample {sample!r}: text holds control characters U\+0000"):
        load(name, base, strict=True)


def _h2s_case_tree(case: str, dst: Path) -> Path:
    """A copy of a How2Sign case (train only) with header-only val and test CSVs, as prepare loads all splits."""
    shutil.copytree(CASES / case, dst)
    for split in ("dev", "test"):
        rf.how2sign_csv(dst, split).write_text(rf.H2S_HEADER + "\n", encoding="utf-8")
    return dst


def test_prepare_writes_clean_manifests_and_every_drop_report(tmp_path):
    root = _h2s_case_tree("how2sign-missing-clips", tmp_path / "h2s")
    csv = root / "how2sign_realigned_train.csv"
    _replace(csv, "show you a knot.", "show you\x00 a knot.")
    spec = {"name": "how2sign", "root": str(root)}
    with pytest.raises(SLTInputError, match="3 bad rows in how2sign"):
        prepare_all([spec], tmp_path / "strict", strict=True)
    assert not (tmp_path / "strict").exists()  # nothing written by a failed load
    (record,) = prepare_all([spec], tmp_path / "m")
    assert record["counts"] == {"train": 1, "dev": 0, "test": 0}
    assert (record["drops"]["counts"], record["drops"]["cleaned"]) == ({"missing_clip": 2}, {"control_characters": 1})
    assert [s.text for s in read_manifest(tmp_path / "m" / "how2sign.train.jsonl")] == ["Hi, I am going to show you a knot."]
    report = json.loads((tmp_path / "m" / "how2sign.drops.json").read_text(encoding="utf-8"))
    assert report["ids"] == {"missing_clip": ["vidB_1-1-rgb_front", "vidB_2-1-rgb_front"]} and report["cleaned"] == {"control_characters": ["vidB_0-1-rgb_front"]}


def test_prepare_loads_every_dataset_before_writing_any(tmp_path):
    ok = _h2s_case_tree("how2sign-missing-clips", tmp_path / "ok")
    bad = tmp_path / "bad"
    rf.write_phoenix(bad)
    rf.append(rf.phoenix_csv(bad / "PHOENIX-2014-T", "train"), "broken|row")
    specs = [{"name": "how2sign", "root": str(ok)}, {"name": "phoenix", "root": str(bad)}]
    with pytest.raises(SLTInputError, match="malformed|expected 7 fields"):
        prepare_all(specs, tmp_path / "m")
    assert not (tmp_path / "m").exists()


# --- slt-nb stats prints the loader's notes and drop report on stderr -------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slt_nb", *args], capture_output=True, text=True, timeout=300)


def test_stats_prints_notes_on_stderr_and_strict_fails_on_drops(tree, tmp_path):
    base = tree("csl-daily")
    _csl_add_records(base, rf.csl_record("S000099_P0000_T00", "好", ["好"]))  # a label record in no split
    r = cli("stats", "--dataset", "csl-daily", "--root", str(base))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total_videos"] == 2
    assert "slt-nb stats: note: csl-daily: 1 label records are in no split of split_1.txt (not loaded; e.g. S000099_P0000_T00)" in r.stderr

    root = str(CASES / "how2sign-missing-clips")
    r = cli("stats", "--dataset", "how2sign", "--root", root)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["total_videos"], out["dropped"]) == (1, {"missing_clip": 2})
    assert "note: how2sign: dropped 2 row(s): missing_clip 2 (e.g. vidB_1-1-rgb_front, vidB_2-1-rgb_front)" in r.stderr
    r = cli("stats", "--dataset", "how2sign", "--root", root, "--strict")
    assert r.returncode == 2 and r.stdout == ""
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "2 bad rows in how2sign (missing_clip: 2)" in errors[0] and "'vidB_1-1-rgb_front'" in errors[0] and "'vidB_2-1-rgb_front'" in errors[0]


def test_strict_must_be_a_boolean(tree):
    with pytest.raises(SLTInputError, match="strict must be true or false, got 'yes'"):
        load("phoenix", tree("phoenix"), strict="yes")

