"""Issue 13: a bad parameter is refused before any notebook runs, and leaves every file as it was.

``slt-nb reproduce --only 02_frame_statistics --set t_max=-1`` used to exit 2 only after the notebook had
rewritten 8 files, and ``--set stats_split=trainn`` overwrote Tables 2 and 6 with zero rows. Here the
project's own notebooks run (their ``parameters`` cells are the types), in a copy of the project whose
results/ holds an earlier run's files: each bad value must be an error naming the parameter, its value and
where it was given, and no file may be written, touched or added.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from slt_nb.cli import main
from slt_nb.errors import SLTInputError
from slt_nb.runner import reproduce

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project's notebooks and params with an earlier run's results/ and manifests."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copytree(REPO / "params", root / "params")
    owner = json.dumps({"params_file": "params/default.yaml", "params_hash": "0123456789ab"})
    for rel, text in {
        "results/params.json": owner,
        "results/runtimes.json": '{"02_frame_statistics": 3.0}',
        "results/tables/table2.md": "| Dataset | Videos |\n| PHOENIX | 7096 |\n",
        "results/tables/table6.md": "| Dataset | rare |\n",
        "results/notebooks/02_frame_statistics.ipynb": "{}",
        "data/manifests/params.json": owner,
        "data/manifests/phoenix.train.jsonl": "{}\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def snapshot(root: Path) -> dict:
    """{file: (size, mtime_ns, sha256)} of every file under ``root``."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"t_max": -1}, r"^parameter t_max = -1 \(--set\): expected an integer >= 1$"),  # the case
        ({"stats_split": "trainn"}, r"^parameter stats_split = 'trainn' \(--set\): expected one of 'train', 'dev', 'test'$"),  # the case
        ({"t_max": "64"}, r"t_max = '64' \(--set\): expected an integer"),  # text for a number
        ({"t_max": 16.0}, r"t_max = 16.0 .*expected an integer"),  # a float for an integer
        ({"long_threshold": True}, r"long_threshold = True .*expected an integer >= 0"),  # a bool is not an integer
        ({"seed": None}, r"seed = None .*expected an integer >= 0"),  # None where the default is not None
        ({"tokenizers": {"phoenix": "bytes"}}, r"tokenizers\.phoenix = 'bytes' .*one of 'words', 'chars'"),
        ({"ft_datasets": ["phoenixx"]}, r"ft_datasets\[0\] = 'phoenixx' .*one of 'phoenix', 'how2sign', 'openasl', 'isign', 'csl-daily'"),
        ({"abl_dataset": "PHOENIX"}, r"abl_dataset = 'PHOENIX' .*one of 'phoenix'"),
        ({"ft_learning_rate": "1e-4"}, r"ft_learning_rate = '1e-4' .*a number > 0.*write it with a dot, e\.g\. 1\.0e-4"),
        ({"ft_lora_dropout": {"smolvlm": 1.5}}, r"ft_lora_dropout\.smolvlm = 1\.5 .*a number >= 0 and < 1"),
        ({"ft_epochs": 0}, r"ft_epochs = 0 .*a number > 0"),
        ({"alpha": 1.5}, r"alpha = 1\.5 .*a number > 0 and < 1"),
        ({"alpha": float("nan")}, r"alpha = nan .*a number"),
        ({"n_boot": 0}, r"n_boot = 0 .*an integer >= 1"),
        ({"semantic_splits": ["tst"]}, r"semantic_splits\[0\] = 'tst'"),
        ({"ft_precision": "bf32"}, r"ft_precision = 'bf32'.*'bf16-mixed'"),
        ({"llava_stage2": {"train": {"lr": 0}}}, r"llava_stage2\.train\.lr = 0 .*a number > 0"),
        ({"llava_stage3": {"connectr": "mlp"}}, r"llava_stage3 = .*unknown key\(s\) \['connectr'\]"),
        ({"llava_per_dataset": {"phoenix": {"stage3": {"prompting": "some"}}}}, r"llava_per_dataset\.phoenix\.stage3\.prompting = 'some'"),
        ({"abl_cells": [["999M", "full"]]}, r"abl_cells\[0\]\[0\] = '999M' .*sizes of abl_sizes"),
        ({"datasets": [{"name": "phoenix"}]}, r"datasets\[0\] = .*'root' is a required property"),
        ({"datasets": [{"name": "phoenix", "root": "data/synth/phoenix", "synth": {"lang": "de"}}], "ft_datasets": ["how2sign"]},
         r"ft_datasets\[0\] = 'how2sign' \(--set\): expected a dataset that 01_data_prep prepares"),
        ({"t_maxx": 8}, r"^unknown parameter\(s\) \['t_maxx'\] \(--set\)"),
    ],
)
def test_a_bad_parameter_is_refused_before_anything_is_written(project, bad, message):
    before = snapshot(project)
    with pytest.raises(SLTInputError, match=message) as err:
        reproduce("params/default.yaml", only=["02_frame_statistics"], root=project, set_params=bad)
    assert "\n" not in str(err.value)
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "files, message",
    [
        ({"bad.yaml": "seed: 0\nt_max: -1\n"}, r"bad\.yaml:2: parameter t_max = -1: expected an integer >= 1"),
        ({"bad.yaml": "seed: 0\n\nt_maxx: 8\n"}, r"bad\.yaml:3: unknown parameter\(s\) \['t_maxx'\]"),
        ({"base.yaml": "seed: 0\n\nstats_split: trainn\n", "bad.yaml": "extends: base.yaml\nt_max: 8\n"},
         r"base\.yaml:3: parameter stats_split = 'trainn': expected one of"),  # named where it was given: the parent
        ({"bad.yaml": "seed: 0\nt_max: 8\nt_max: -1\n"}, r"bad\.yaml:3: duplicate key 't_max' \(first given at line 2\)"),
        ({"bad.yaml": "llava_stage2:\n  train:\n    lr: 1.0e-3\n    lr: 2.0e-3\n"}, r"bad\.yaml:4: duplicate key 'lr' \(first given at line 3\)"),
        ({"base.yaml": "seed: 0\nseed: 1\n", "bad.yaml": "extends: base.yaml\n"}, r"base\.yaml:2: duplicate key 'seed'"),
        ({"bad.yaml": b"seed: 0\nstats_split: tr\xe4in\n"}, r"bad\.yaml: not UTF-8 text \(invalid continuation byte at byte 23\)"),
        ({"bad.yaml": "seed: 0\x00\n"}, r"bad\.yaml: invalid YAML: unacceptable character #x0000 at character 7"),
    ],
)
def test_a_bad_params_file_is_refused_with_file_and_line(project, files, message):
    for name, content in files.items():
        path = project / "params" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    try:
        before = snapshot(project)
        with pytest.raises(SLTInputError, match=message) as err:
            reproduce("params/bad.yaml", only=["02_frame_statistics"], root=project)
        assert "\n" not in str(err.value)
        assert snapshot(project) == before
    finally:
        for name in files:
            (project / "params" / name).unlink()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--set", "t_max=-1"], "slt-nb reproduce: error: parameter t_max = -1 (--set): expected an integer >= 1\n"),
        (["--set", "stats_split=trainn"], "slt-nb reproduce: error: parameter stats_split = 'trainn' (--set): expected one of 'train', 'dev', 'test'\n"),
        (["--set", "t_max=[1"], "slt-nb reproduce: error: invalid YAML value in --set t_max=[1 (expected ',' or ']', but got '<stream end>')\n"),
        (["--set", "tokenizers={phoenix: words, phoenix: chars}"], "slt-nb reproduce: error: duplicate key 'phoenix' (first given at line 1)"),
    ],
)
def test_the_cli_prints_one_line_and_exits_2(project, monkeypatch, capsys, argv, message):
    monkeypatch.setenv("SLT_NB_ROOT", str(project))
    before = snapshot(project)
    assert main(["reproduce", "--only", "02_frame_statistics", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert snapshot(project) == before
