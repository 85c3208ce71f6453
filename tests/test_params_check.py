"""The parameter checks (slt_nb.params_check, slt_nb.params_schema): the schema agrees with the notebooks
and the code, good values pass, the interactive path checks as the runner does, and bad config files
(params YAML, ``python -m slt_nb.train.run`` JSON) are one line naming the file."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.params import load_params, load_params_sourced
from slt_nb.params_check import cell_defaults, check_params, defaults_of, derive, describe, merge, problem, schema_of
from slt_nb.params_schema import RULES
from slt_nb.provenance import declared
from slt_nb.notebook_graph import list_notebooks
from slt_nb.params import RESERVED

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table():
    return declared(REPO)


@pytest.fixture(scope="module")
def notebooks():
    return list_notebooks(REPO / "notebooks")


@pytest.fixture(scope="module")
def defaults(table, notebooks):
    return defaults_of(table, notebooks)


# ---- the schema agrees with the notebooks -------------------------------------------------------

def test_every_rule_names_a_declared_parameter(table):
    names = set().union(*(set(t) for t in table.values())) - RESERVED
    assert sorted(set(RULES) - names) == []


def test_every_default_and_every_shipped_params_file_passes(table, notebooks, defaults):
    bad = {n: problem(v, schema_of(n, defaults)) for n, v in defaults.items()}
    assert {n: p for n, p in bad.items() if p} == {}
    for f in sorted((REPO / "params").glob("*.yaml")):
        check_params(table, load_params(f), notebooks=notebooks, params_file=f)


def test_a_none_default_has_a_rule_that_gives_its_type(defaults):
    untyped = [n for n, v in defaults.items() if v is None and "type" not in schema_of(n, defaults) and "anyOf" not in schema_of(n, defaults)]
    assert untyped == []


def test_a_parameter_has_one_type_in_every_notebook(table, notebooks):
    types: dict[str, set] = {}
    for nb in notebooks:
        for name, value in cell_defaults(nb).items():
            if name in table[nb.stem] and value is not None:
                types.setdefault(name, set()).add(derive(value).get("type"))
    assert {n: t for n, t in types.items() if len(t) > 1} == {}


def test_multi_line_defaults_are_read_in_full(notebooks):
    """papermill keeps only the first line of a default (``{"encoder": {``); the cell is parsed instead."""
    cell = cell_defaults(next(nb for nb in notebooks if nb.stem.startswith("07")))
    assert cell["llava_stage2"]["train"]["epochs"] == 20 and cell["llava_llm"]["id"] == "tiny"


def test_closed_llava_parameters_have_the_config_dataclass_fields(defaults):
    from slt_nb.llava_slt import config as c

    pairs = [("llava_llm", c.LLMConfig), ("llava_stage1", c.Stage1Config), ("llava_stage2", c.Stage2Config), ("llava_stage3", c.Stage3Config)]
    for name, cls in pairs:
        assert set(defaults[name]) == {f.name for f in dataclasses.fields(cls)}, name
        for field, sub in ((f, c.NESTED[cls, f]) for f in defaults[name] if (cls, f) in c.NESTED):
            assert set(defaults[name][field]) == {f.name for f in dataclasses.fields(sub)}, f"{name}.{field}"


def test_enumerations_agree_with_the_code_that_reads_them():
    """Each list in the schema is the one its consumer accepts (heavier imports: one test)."""
    from transformers.trainer_utils import SchedulerType
    from transformers.training_args import OptimizerNames

    from slt_nb.llava_slt.connector import CONNECTORS
    from slt_nb.llava_slt.frames import AUGMENT_KEYS
    from slt_nb.llava_slt.llm import TINY_ARCHS
    from slt_nb.metrics.bootstrap import METRICS
    from slt_nb.metrics.pger import TAGGERS
    from slt_nb.params_schema import AUGMENT, BASE_SPEC, BOOT_METRICS, LLAVA_LLM, LLAVA_STAGE3, LR_SCHEDULERS, OPTIMIZERS, TAGGER
    from slt_nb.standins.pretrain import BaseSpec

    assert LR_SCHEDULERS == [s.value for s in SchedulerType]
    assert OPTIMIZERS == [o.value for o in OptimizerNames]
    assert BOOT_METRICS == list(METRICS)
    assert set(BASE_SPEC["properties"]) == {f.name for f in dataclasses.fields(BaseSpec)}
    assert set(AUGMENT["properties"]) == set(AUGMENT_KEYS)
    assert LLAVA_LLM["properties"]["arch"]["enum"] == sorted(TINY_ARCHS)
    assert sorted(LLAVA_STAGE3["properties"]["connector"]["enum"]) == sorted(CONNECTORS)
    assert all(not problem(t, TAGGER) for t in TAGGERS)


# ---- good values pass, the engine's pieces --------------------------------------------------------

@pytest.mark.parametrize(
    "good",
    [
        {"t_max": 1}, {"ft_cpu_threads": None}, {"ft_datasets": None}, {"ft_datasets": ["phoenix", "how2sign"]},
        {"ft_learning_rate": 1.0e-4}, {"ft_learning_rate": {"smolvlm": 1.0e-4}}, {"ft_epochs": 2.5}, {"ft_warmup_ratio": 0},
        {"ft_gradient_checkpointing": True}, {"ft_precision": "bf16"}, {"abl_only": "table8-256M-full"}, {"abl_only": ["a", "b"]},
        {"tagger": "flair:/models/upos.pt"}, {"embedder": "sentence-transformers/x"}, {"tokenizers": {"csl-daily": "chars"}},
        {"llava_stage2": {"signcl": {"margin": "dynamic"}}}, {"llava_stage3": {"full_tune": None, "patience": 5}},
        {"llava_llm": {"lora": {"r": 8, "alpha": 16}}}, {"ft_base_pretraining": {"reps": 2}},
        {"datasets": [{"name": "phoenix", "root": "/data/phoenix"}, {"name": "how2sign", "root": "/data/h2s", "options": {"mode": "clips"}}]},
    ],
)
def test_good_values_pass(table, notebooks, good):
    check_params(table, good, notebooks=notebooks, set_params=good)


def test_a_relation_names_the_default_it_breaks(table, notebooks):
    """Only How2Sign prepared: the ablations' default dataset (PHOENIX) would fail in 04; said before 01 runs.
    (ft_datasets / llava_datasets default to None: the paper's datasets among the prepared ones.)"""
    only_h2s = {"datasets": [{"name": "how2sign", "root": "/data/h2s"}]}
    with pytest.raises(SLTInputError, match=r"^parameter abl_dataset = 'phoenix' \(the notebooks' default\): expected a dataset that 01_data_prep"):
        check_params(table, only_h2s, notebooks=notebooks, set_params=only_h2s)
    fixed = {**only_h2s, "abl_dataset": "how2sign"}
    check_params(table, fixed, notebooks=notebooks, set_params=fixed)


def test_derive_is_strict_about_types():
    schema = derive({"n": 1, "x": 0.5, "flag": False, "names": ["a"], "sub": {"k": "v"}}, closed=True)
    assert schema["properties"]["n"] == {"type": "integer"} and schema["properties"]["x"] == {"type": "number"}
    assert schema["additionalProperties"] is False and schema["properties"]["sub"]["additionalProperties"] is False
    cases = [("n", True), ("n", 1.0), ("x", True), ("x", math.inf), ("flag", 0), ("names", "a"), ("names", [1]), ("sub", {"k": "v", "j": 1})]
    for key, value in cases:
        assert problem({key: value}, schema), (key, value)
    assert not problem({"n": 2, "x": 1, "names": ("a", "b")}, schema)  # an int is a number; a tuple is a list


def test_merge_and_describe():
    merged = merge({"type": "integer", "properties": {"a": {"type": "string"}}}, {"minimum": 1, "properties": {"a": {"enum": ["x"]}}})
    assert merged == {"type": "integer", "minimum": 1, "properties": {"a": {"type": "string", "enum": ["x"]}}}
    assert merge({"type": "integer"}, {"$derive": False, "enum": ["x"]}) == {"enum": ["x"]}
    assert describe({"type": ["integer", "null"], "minimum": 1}) == "an integer >= 1 or null"
    assert describe({"type": "array", "items": {"enum": ["train"]}}) == "a list (each item one of 'train')"


# ---- the interactive path checks as the runner does -----------------------------------------------

def test_an_edit_in_a_notebook_run_by_hand_is_checked(tmp_path, monkeypatch):
    from slt_nb.provenance import this_run

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "02_stats.py").write_text(
        '# %% tags=["parameters"]\nt_max = 64  # frames\nstats_split = "train"\nparams_file = None\nparams_hash = None\n')
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text("t_max: 64\n")
    monkeypatch.setenv("SLT_NB_ROOT", str(tmp_path))
    assert this_run("02_stats", None, None, {"t_max": 32, "stats_split": "dev"})[0] == "params/default.yaml + edited in 02_stats: stats_split, t_max"
    with pytest.raises(SLTInputError, match=r"^parameter t_max = -1 \(edited in 02_stats\): expected an integer >= 1$"):
        this_run("02_stats", None, None, {"t_max": -1, "stats_split": "train"})
    with pytest.raises(SLTInputError, match=r"stats_split = 'trainn' \(edited in 02_stats\)"):
        this_run("02_stats", None, None, {"t_max": 64, "stats_split": "trainn"})
    (tmp_path / "params" / "default.yaml").write_text("t_max: 0\n")
    with pytest.raises(SLTInputError, match=r"default\.yaml:1: parameter t_max = 0"):
        this_run("02_stats", None, None, {"t_max": 64, "stats_split": "train"})


# ---- the params YAML loader -----------------------------------------------------------------------

def test_merge_keys_may_be_replaced_and_sources_are_recorded(tmp_path):
    (tmp_path / "a.yaml").write_text("base: &b {lr: 1.0}\nt_max: 8\nx:\n  <<: *b\n  lr: 2.0\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n\nseed: 3\n")
    values, where = load_params_sourced(tmp_path / "b.yaml")
    assert values == {"base": {"lr": 1.0}, "t_max": 8, "x": {"lr": 2.0}, "seed": 3}
    assert where["t_max"] == (tmp_path / "a.yaml", 2) and where["seed"] == (tmp_path / "b.yaml", 3)


# ---- python -m slt_nb.train.run CONFIG.json --------------------------------------------------------

@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"family": "smolvlm",\n "model": tiny}', r"c\.json:2: not JSON \(Expecting value, column 11\)"),
        (b'{"family": "sm\xf6lvlm"}', r"c\.json: not UTF-8 text \(invalid start byte at byte 14\)"),
        (b'["smolvlm"]', r"c\.json: the run config must be a JSON object of RunConfig fields, got list"),
        (b'{"family": "smolvlm"}', r"c\.json: missing run config field\(s\) \['model', 'dataset'\]"),
        (b'{"family": "smolvlm", "model": "tiny", "dataset": "phoenix", "epoch": 1}', r"c\.json: unknown run config keys \['epoch'\]"),
        (None, r"c\.json: cannot read the run config \(No such file or directory\)"),
    ],
)
def test_a_bad_run_config_is_one_line_naming_the_file(tmp_path, capsys, content, message):
    from slt_nb.train.run import main

    path = tmp_path / "c.json"
    if content is not None:
        path.write_bytes(content)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err


def test_a_good_run_config_is_read(tmp_path):
    from slt_nb.train.run_config import read_run_config

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"family": "smolvlm", "model": "tiny", "dataset": "phoenix", "t_max": 8}))
    cfg = read_run_config(path)
    assert (cfg.family, cfg.model, cfg.dataset, cfg.t_max) == ("smolvlm", "tiny", "phoenix", 8)
