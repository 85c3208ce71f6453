"""The public command line, run as a user would (python -m slt_nb ...)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from slt_nb.data.loaders import load_dataset
from slt_nb.data.stats import dataset_stats


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slt_nb", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def synth_roots(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    roots = {}
    for fmt, lang, size in (("phoenix", "de", ("40", "48")), ("how2sign", "en", ("40", "48"))):
        r = cli("synth", "--out", str(out / fmt), "--format", fmt, "--lang", lang, "--seed", "3",
                "--n-train", "6", "--n-dev", "2", "--n-test", "2", "--width", size[0], "--height", size[1])
        assert r.returncode == 0, r.stderr
        roots[fmt] = r.stdout.strip().splitlines()[-1]
    return roots


STATS_KEYS = {"total_videos", "avg_frames", "over_300", "tokens", "unique_tokens", "freq_lt_10", "freq_gt_100"}


@pytest.mark.parametrize("dataset", ["phoenix", "how2sign"])
def test_stats_prints_table2_and_table6_json(synth_roots, dataset):
    r = cli("stats", "--dataset", dataset, "--root", synth_roots[dataset])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert STATS_KEYS <= out.keys()
    assert out["total_videos"] == 6 and out["split"] == "train"
    # the CLI agrees with the library on the same files
    samples = [s for s in load_dataset(dataset, synth_roots[dataset], splits=("train",)).samples]
    expected = dataset_stats(samples)
    assert {k: out[k] for k in STATS_KEYS} == {k: expected[k] for k in STATS_KEYS}


def test_stats_dev_split_alias(synth_roots):
    r = cli("stats", "--dataset", "how2sign", "--root", synth_roots["how2sign"], "--split", "val")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total_videos"] == 2


def test_synth_is_deterministic(tmp_path):
    args = ["--format", "how2sign", "--lang", "de", "--seed", "5", "--n-train", "2", "--n-dev", "1", "--n-test", "1", "--width", "40", "--height", "48"]
    a, b = cli("synth", "--out", str(tmp_path / "a"), *args), cli("synth", "--out", str(tmp_path / "b"), *args)
    assert a.returncode == b.returncode == 0
    for csv in ("how2sign_realigned_train.csv", "how2sign_realigned_val.csv"):
        assert (tmp_path / "a" / csv).read_bytes() == (tmp_path / "b" / csv).read_bytes()


BAD = [
    (["stats", "--dataset", "phoenix", "--root", "/nonexistent/phoenix"], "/nonexistent/phoenix"),
    (["stats", "--dataset", "openasl", "--root", "{tmp}"], "openasl"),
    (["stats", "--dataset", "phoenix", "--root", "{tmp}", "--split", "holdout"], "holdout"),
    (["sample-frames", "--total", "0", "--max", "4"], "positive integer"),
    (["sample-frames", "--total", "10", "--max", "x"], "positive integer"),
    (["synth", "--out", "{tmp}/x", "--format", "phoenix", "--lang", "fr"], "invalid choice"),
    (["synth", "--out", "{tmp}/y", "--format", "how2sign", "--lang", "en", "--width", "48"], "48"),
    (["reproduce", "--params", "/nonexistent/params.yaml"], "params file not found"),
]


@pytest.mark.parametrize("args,needle", BAD)
def test_bad_input_exits_nonzero_with_one_line(tmp_path, args, needle):
    r = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], cwd=tmp_path)
    assert r.returncode != 0
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
    err_lines = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(err_lines) == 1, r.stderr


def test_score_prints_one_json_object(tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text(
        '{"id": "a", "dataset": "phoenix", "reference": "am tag scheint im süden die sonne .", "prediction": "am tag scheint im süden die sonne ."}\n'
        '{"id": "b", "dataset": "phoenix", "reference": "morgen regnet es im norden .", "prediction": ""}\n'
    )
    r = cli("score", "--predictions", str(preds), "--embedder", "none")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"bleu1", "bleu2", "bleu3", "bleu4", "rougeL", "tsr", "tsr_recall", "pger", "n", "signatures"} <= out.keys()
    assert out["n"] == 2 and out["lang"] == "de"
    assert out["rougeL"] == pytest.approx(0.5)  # identical sentence 1.0, empty prediction 0.0
    assert out["signatures"]["bleu4"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert "tagger:hanta" in out["signatures"]["pger"]


@pytest.mark.parametrize(
    "content,needle",
    [("", "empty"), ('{"id": "a"\n', ":1"), ('{"id": "a", "reference": "x"}\n', "prediction"),
     ('{"id": "a", "reference": "x", "prediction": "y"}\n{"id": "a", "reference": "x", "prediction": "y"}\n', ":2")],
)
def test_score_bad_predictions(tmp_path, content, needle):
    preds = tmp_path / "bad.jsonl"
    preds.write_text(content)
    r = cli("score", "--predictions", str(preds), "--embedder", "none", "--tagger", "none")
    assert r.returncode == 2 and needle in r.stderr and "bad.jsonl" in r.stderr and "Traceback" not in r.stderr
