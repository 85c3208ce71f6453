"""The fine-tuning recipe notebooks 03 and 04 pass to their runs: notebook parameters -> RunConfig fields."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.models.load import hub_offline_if_local
from slt_nb.train.run_config import RECIPE_PARAMS, RunConfig, plan_runs, recipe_from_params, runs_frame

REPO = Path(__file__).resolve().parents[1]
PARAMS = {name: f"<{name}>" for name in RECIPE_PARAMS} | {
    "ft_learning_rate": {"smolvlm": 2e-3, "qwen2_5_vl": 1e-3}, "ft_lora_dropout": {"smolvlm": 0.1, "qwen2_5_vl": 0.05},
    "ft_epochs": 8, "t_max": 16, "unrelated": 1,
}

# (family, exclude, field -> expected value; absent fields are checked to be left out)
CASES = [
    (None, (), {"learning_rate": {"smolvlm": 2e-3, "qwen2_5_vl": 1e-3}, "epochs": 8, "t_max": 16, "optim": "<ft_optimizer>", "base": "<ft_base_pretraining>"}),
    ("smolvlm", (), {"learning_rate": 2e-3, "lora_dropout": 0.1, "epochs": 8, "manifest_dir": "<manifest_dir>"}),
    ("qwen2_5_vl", ("epochs", "t_max"), {"learning_rate": 1e-3, "lora_dropout": 0.05, "epochs": None, "t_max": None}),
]


@pytest.mark.parametrize("family, exclude, want", CASES)
def test_recipe_from_params_maps_and_picks_per_family(family, exclude, want):
    got = recipe_from_params(PARAMS, family, exclude=exclude)
    for k, v in want.items():
        assert got.get(k) == v, k
    assert "unrelated" not in got and set(got) == set(RECIPE_PARAMS.values()) - set(exclude)


def test_every_recipe_field_is_a_run_config_field_and_a_parameter_of_03_and_04(tmp_path):
    from slt_nb.execute import declared_parameters, to_ipynb

    assert set(RECIPE_PARAMS.values()) <= {f.name for f in fields(RunConfig)}
    for nb in ("03_finetune", "04_ablations"):
        declared = declared_parameters(to_ipynb(REPO / "notebooks" / f"{nb}.py", tmp_path / f"{nb}.ipynb"))
        assert set(RECIPE_PARAMS) <= set(declared), nb


def test_a_missing_parameter_is_named():
    params = {k: v for k, v in PARAMS.items() if k != "ft_lora_r"}
    with pytest.raises(SLTInputError, match="ft_lora_r"):
        recipe_from_params(params)


def test_runs_frame_shows_the_resolved_recipe():
    recipe = {k: v for k, v in recipe_from_params(PARAMS).items() if not (isinstance(v, str) and v.startswith("<"))}
    configs = plan_runs(["smolvlm", "qwen2_5_vl"], {"smolvlm": "tiny", "qwen2_5_vl": "tiny"}, ["phoenix"], **recipe)
    frame = runs_frame(configs)
    assert list(frame["family"]) == ["smolvlm", "qwen2_5_vl"] and list(frame["lr"]) == [2e-3, 1e-3]
    assert list(frame["batch x accum"]) == ["1 x 4", "1 x 4"]  # not in the recipe here: the family's paper values (Sec 4.3)


@pytest.mark.parametrize("models, local", [
    ({"smolvlm": "tiny", "qwen2_5_vl": "tiny-s"}, True),
    (["tiny", "<tmp>"], True),  # a local checkpoint folder
    ({"smolvlm": "HuggingFaceTB/SmolVLM2-2.2B-Instruct"}, False),
    ("tiny", True),
])
def test_hub_offline_only_when_every_model_is_local(monkeypatch, tmp_path, models, local):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    if isinstance(models, list):
        models = [str(tmp_path) if m == "<tmp>" else m for m in models]
    assert hub_offline_if_local(models) is local
    assert (os.environ.get("HF_HUB_OFFLINE") == "1") is local
