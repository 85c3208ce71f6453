"""The synthetic OpenASL, iSign and CSL-Daily corpora: written by `slt-nb synth`, read back by the real loaders."""

from __future__ import annotations

import collections
import csv
import hashlib
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from slt_nb.data.clean import is_valid_translation
from slt_nb.data.csl_daily import DataOnlyUnpickler
from slt_nb.data.frames import count_frames
from slt_nb.data.loaders import load_dataset
from slt_nb.data.manifest import DATASETS
from slt_nb.data.prepare import prepare_all
from slt_nb.errors import SLTInputError
from slt_nb.synth import FORMATS, LANGS, Grammar, SignBook, generate, make_signers, render_clip, render_empty
from slt_nb.synth.render import clip_length

TINY = {"n_train": 6, "n_dev": 2, "n_test": 2, "width": 40, "height": 48, "n_signers": 3}
ISIGN_BAD = {"n_no_signer": 2, "n_invalid_text": 3}
CJK = r"[\u4e00-\u9fff]"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slt_nb", *args], capture_output=True, text=True, timeout=300)


def synth_args(fmt: str, out: Path, seed: int = 3) -> list[str]:
    sizes = {**TINY, **(ISIGN_BAD if fmt == "isign" else {})}
    return ["synth", "--out", str(out), "--format", fmt, "--seed", str(seed), *(a for k, v in sizes.items() for a in (f"--{k.replace('_', '-')}", str(v)))]


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> dict[str, Path]:
    """The three corpora written by `slt-nb synth` (each format's default lexicon), {format: printed root}."""
    out = tmp_path_factory.mktemp("corpora")
    roots = {}
    for fmt in ("openasl", "isign", "csl-daily"):
        r = cli(*synth_args(fmt, out / fmt))
        assert r.returncode == 0, r.stderr
        roots[fmt] = Path(r.stdout.strip().splitlines()[-1])
    return roots


@pytest.fixture(scope="module")
def loaded(trees):
    return {fmt: load_dataset(fmt, root, progress=False) for fmt, root in trees.items()}


# ---------------------------------------------------------------- every format through its real loader

# format, dataset folder, samples per split after loading, rows dropped by reason
# iSign: 10 good rows, split by the loader's seeded 86/7/7 (dev and test: round(0.07 * 10) = 1 each)
EXPECTED = [
    ("openasl", "openasl", {"train": 6, "dev": 2, "test": 2}, {}),
    ("isign", "isign", {"train": 8, "dev": 1, "test": 1}, {"invalid_translation": 3, "no_person_detected": 2}),
    ("csl-daily", "CSL-Daily", {"train": 6, "dev": 2, "test": 2}, {}),
]


@pytest.mark.parametrize("fmt, folder, counts, drops", EXPECTED)
def test_written_by_slt_nb_synth_and_read_by_the_real_loader(trees, loaded, fmt, folder, counts, drops):
    assert trees[fmt].name == folder
    result = loaded[fmt]
    assert dict(collections.Counter(s.split for s in result.samples)) == counts
    assert result.drops.counts == drops
    assert all(s.dataset == fmt and s.n_frames >= 10 and s.fps == 25 and s.text for s in result.samples)
    for s in result.samples[:3]:  # the counted frames are the clip's
        assert count_frames(s.source, s.source_kind, sample=s.id)[0] == s.n_frames


def test_formats_are_the_loaders_datasets():
    assert list(FORMATS) == list(DATASETS)
    from slt_nb.cli import SYNTH_LANGS

    assert SYNTH_LANGS == LANGS


# ---------------------------------------------------------------- OpenASL


def test_openasl_table(trees, loaded):
    root = trees["openasl"]
    lines = (root / "openasl-v1.0.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["vid", "yid", "start", "end", "raw-text", "tokenized-text", "gloss", "split"]
    rows = [dict(zip(lines[0].split("\t"), line.split("\t"))) for line in lines[1:]]
    assert len(rows) == 10 and {r["split"] for r in rows} == {"train", "valid", "test"}
    assert [r["vid"] for r in rows] == sorted(r["vid"] for r in rows)
    stamp = r"\d\d:\d\d:\d\d\.\d\d\d"
    for r in rows:
        assert r["vid"] == f"{r['yid']}-{r['start']}-{r['end']}" and ":" in r["vid"] and len(r["yid"]) == 11
        assert re.fullmatch(stamp, r["start"]) and re.fullmatch(stamp, r["end"]) and r["start"] < r["end"]
        assert r["raw-text"][0].isupper() and r["tokenized-text"] == r["tokenized-text"].lower()
        assert r["gloss"] == r["gloss"].upper() and (root / "clips" / f"{r['vid']}.mp4").is_file()
    seconds = {s.id: s.n_frames / s.fps for s in loaded["openasl"].samples}  # the name holds the clip's duration
    for r in rows:
        h, m, sec = (float(x) for x in r["end"].split(":"))
        h0, m0, sec0 = (float(x) for x in r["start"].split(":"))
        assert abs((h - h0) * 3600 + (m - m0) * 60 + sec - sec0 - seconds[r["vid"]]) < 0.002


# ---------------------------------------------------------------- iSign


def test_isign_cleaning_drops_and_counts_the_bad_rows(trees, loaded):
    root = trees["isign"]
    with open(root / "iSign_v1.1.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["uid", "text"] and len(rows) == 10 + 3 + 2
    assert all(re.fullmatch(r"[0-9a-f]{12}-\d+", r["uid"]) and (root / "videos" / f"{r['uid']}.mp4").is_file() for r in rows)
    invalid = {r["uid"] for r in rows if not is_valid_translation(r["text"])}
    drops = loaded["isign"].drops
    assert set(drops.reasons["invalid_translation"]) == invalid and len(invalid) == 3
    no_signer = set(drops.reasons["no_person_detected"])
    assert len(no_signer) == 2 and not no_signer & invalid
    assert all(is_valid_translation(r["text"]) for r in rows if r["uid"] in no_signer)  # a sentence, but nobody signs it
    assert drops.notes["person_detector"].startswith("mediapipe-pose")  # the real path's detector
    kept = {s.id for s in loaded["isign"].samples}
    assert kept == {r["uid"] for r in rows} - invalid - no_signer


def test_an_empty_studio_has_no_person_and_the_signer_has_one():
    from slt_nb.data.person import make_detector

    pose = make_detector("mediapipe-pose")
    signers = make_signers(3, np.random.default_rng(0))
    book = SignBook(Grammar("en-in").vocabulary())
    for k, s in enumerate(signers):
        assert not pose.has_person(render_empty(s, np.random.default_rng(k), 96, 96, 5))
        assert pose.has_person(render_clip(["GOOD", "MORNING"], s, np.random.default_rng(k), 96, 96, book)[::10])


# ---------------------------------------------------------------- CSL-Daily

QUESTION_WORDS = {"什么", "哪里", "多少", "怎么样"}


def test_csl_daily_labels_are_chinese_with_glosses_in_sign_order(trees, loaded):
    labels = trees["csl-daily"] / "sentence_label"
    with open(labels / "csl2020ct_v2.pkl", "rb") as fh:
        data = DataOnlyUnpickler(fh, labels).load()  # plain dicts, lists, str, int: no global needed
    assert set(data) == {"info", "gloss_map", "char_map", "word_map"} and len(data["info"]) == 10
    samples = {s.id: s for s in loaded["csl-daily"].samples}
    for rec in data["info"]:
        text = "".join(rec["label_char"])
        assert re.fullmatch(rf"({CJK}|[。？，])+", text) and "".join(rec["label_word"]) == text
        assert all(re.fullmatch(rf"{CJK}+", g) for g in rec["label_gloss"])
        assert re.fullmatch(r"S\d{6}_P\d{4}_T00", rec["name"]) and rec["signer"] == int(rec["name"][9:13])
        folder = trees["csl-daily"] / "sentences" / "frames_512x512" / rec["name"]
        assert sorted(p.name for p in folder.iterdir()) == [f"{i:06d}.jpg" for i in range(rec["length"])]
        s = samples[rec["name"]]
        assert (s.text, s.gloss, s.n_frames, s.signer) == (text, " ".join(rec["label_gloss"]), rec["length"], str(rec["signer"]))


def test_csl_sign_order():
    """Over many sentences: question words and 没有 close the gloss sequence, the place comes before 去,
    and the gloss order differs from the word order in most sentences."""
    g, rng = Grammar("zh"), np.random.default_rng(0)
    sentences = [g.sentence(rng) for _ in range(2000)]
    places = {f[0] for key, fillers in g._lex.CATEGORIES.items() if key.endswith(".place") for f in fillers}
    checked = collections.Counter()
    for s in sentences:
        assert sorted(s.glosses) == sorted(s.spoken)
        if QUESTION_WORDS & set(s.glosses) or "没有" in s.glosses:
            assert s.glosses[-1] in QUESTION_WORDS | {"没有"} or s.glosses[-2:] == ["有", "吗"], s
            checked["question/negation"] += 1
        if "去" in s.glosses and (found := [i for i, x in enumerate(s.glosses) if x in places]):
            assert found[0] < s.glosses.index("去"), s
            checked["place before 去"] += 1
    assert min(checked.values()) > 100 and np.mean([s.glosses != s.spoken for s in sentences]) > 0.6


def test_csl_daily_splits_come_from_split_1_txt(trees, tmp_path):
    import shutil

    copy = tmp_path / "CSL-Daily"
    shutil.copytree(trees["csl-daily"], copy)
    split_file = copy / "sentence_label" / "split_1.txt"
    lines = split_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "name|split" and collections.Counter(line.split("|")[1] for line in lines[1:]) == {"train": 6, "dev": 2, "test": 2}
    moved = lines[1].split("|")[0]
    split_file.write_text("\n".join([lines[0], f"{moved}|test", *lines[2:]]) + "\n", encoding="utf-8")
    samples = load_dataset("csl-daily", copy, progress=False).samples
    assert {s.id: s.split for s in samples}[moved] == "test"
    assert dict(collections.Counter(s.split for s in samples)) == {"train": 5, "dev": 2, "test": 3}


# ---------------------------------------------------------------- determinism, sizes, the other entry points

ANNOTATIONS = {"openasl": ["openasl-v1.0.tsv"], "isign": ["iSign_v1.1.csv"], "csl-daily": ["sentence_label/csl2020ct_v2.pkl", "sentence_label/split_1.txt"]}


@pytest.mark.parametrize("fmt", list(ANNOTATIONS))
def test_same_seed_same_annotation_bytes(tmp_path, trees, fmt):
    sizes = {**TINY, **(ISIGN_BAD if fmt == "isign" else {})}
    again = generate(tmp_path / "a", fmt, seed=3, workers=2, progress=False, **sizes)  # another process pool, same bytes
    other = generate(tmp_path / "b", fmt, seed=4, progress=False, **sizes)
    for name in ANNOTATIONS[fmt]:
        digest = hashlib.sha256((trees[fmt] / name).read_bytes()).hexdigest()
        assert hashlib.sha256((again / name).read_bytes()).hexdigest() == digest
        assert (other / name).read_bytes() != (trees[fmt] / name).read_bytes()


@pytest.mark.parametrize("glosses", [["HELLO"], ["今天", "我", "面馆", "去"], ["PRESIDENT", "LAW", "SIGN", "YESTERDAY", "WILL"]])
def test_clip_length_is_the_rendered_length(glosses):
    signer = make_signers(2, np.random.default_rng(1))[1]
    for seed in range(3):
        n = clip_length(glosses, signer, np.random.default_rng(seed), 40, 48)
        assert n == len(render_clip(glosses, signer, np.random.default_rng(seed), 40, 48))


@pytest.mark.parametrize(
    "fmt, options, message",
    [
        ("phoenix", {"n_no_signer": 1}, "iSign option"),
        ("csl-daily", {"n_invalid_text": 2}, "iSign option"),
        ("isign", {"n_no_signer": -1}, "non-negative integer"),
        ("isign", {"n_invalid_text": 1.5}, "non-negative integer"),
        ("openasl", {"width": 48}, "decord misreads"),
    ],
)
def test_bad_sizes_are_named(tmp_path, fmt, options, message):
    with pytest.raises(SLTInputError, match=message):
        generate(tmp_path, fmt, progress=False, **{**TINY, **options})
    assert not any(tmp_path.iterdir())


def test_only_isign_stamps_the_isign_options(tmp_path):
    import json

    for fmt, expected in (("phoenix", set()), ("isign", {"n_no_signer", "n_invalid_text"})):
        root = generate(tmp_path / fmt, fmt, progress=False, **{**TINY, "n_train": 2, "n_dev": 1, "n_test": 1})
        config = json.loads((root / ".synth.json").read_text())["config"]
        assert {"n_no_signer", "n_invalid_text"} & set(config) == expected  # earlier PHOENIX/How2Sign stamps stay valid


def test_prepare_generates_every_format_from_a_params_entry(tmp_path):
    """Notebook 01's path: a dataset entry with ``synth`` (format = the dataset name) is generated, then loaded."""
    sizes = {**TINY, "n_train": 4}
    specs = [{"name": n, "root": str(tmp_path / n), "synth": dict(sizes)} for n in ("openasl", "csl-daily")]
    specs.append({"name": "isign", "root": str(tmp_path / "isign"), "synth": {**sizes, "n_train": 10, **ISIGN_BAD}})
    records = {r["name"]: r for r in prepare_all(specs, tmp_path / "manifests", seed=0)}
    assert records["openasl"]["counts"] == records["csl-daily"]["counts"] == {"train": 4, "dev": 2, "test": 2}
    assert records["isign"]["counts"] == {"train": 12, "dev": 1, "test": 1}
    assert records["isign"]["drops"]["counts"] == {"invalid_translation": 3, "no_person_detected": 2}
    assert all(r["synthetic"] and r["label"].endswith("(synthetic)") for r in records.values())


def test_the_rehearsal_trees_are_the_synthetic_corpus(tmp_path):
    from slt_nb.standins.trees import write_trees

    roots = write_trees(tmp_path, n_train=2, n_dev=1, n_test=1)
    for name, root in roots.items():
        result = load_dataset(name, root, progress=False)
        assert len(result.samples) == (8 if name == "isign" else 4)
        assert result.drops.counts == ({"invalid_translation": 1, "no_person_detected": 1} if name == "isign" else {})
    assert write_trees(tmp_path, n_train=2, n_dev=1, n_test=1) == roots  # stamped: nothing written again


@pytest.mark.parametrize("lang", ["en-news", "en-in", "zh"])
def test_new_lexicons_fit_the_sign_inventory_and_their_domains(lang):
    g = Grammar(lang)
    book = SignBook(g.vocabulary())
    assert len({(book[x].shape, book[x].location, book[x].movement) for x in g.vocabulary()}) == len(g.vocabulary())
    rng = np.random.default_rng(0)
    for domain in g.domains:
        assert len({g.sentence(rng, domain).text for _ in range(50)}) > 20
