"""The tiny models' shipped vision stages (slt_nb.standins.shipped): intact, current with the code and the default, and used
instead of training only when their key is the very key the stage would be trained under."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slt_nb.standins import shipped
from slt_nb.standins.base_spec import BaseSpec, SynthSetup
from slt_nb.standins import vision_stage
from slt_nb.standins.vision_stage import VISION_INFO, VISION_WEIGHTS, _hash, copy_stage, ensure_vision_stage, shipped_stage, vision_key

REPO = Path(__file__).resolve().parents[1]
INDEX = shipped.read_index()


def _default_notebook_value(notebook: str, name: str):
    import tempfile

    from slt_nb.execute import declared_parameters, to_ipynb
    from slt_nb.params import literal_default

    with tempfile.TemporaryDirectory() as tmp:
        return literal_default(declared_parameters(to_ipynb(REPO / "notebooks" / f"{notebook}.py", Path(tmp) / f"{notebook}.ipynb"))[name])


def _default_setups() -> dict[str, SynthSetup]:
    """The synthetic corpus settings of notebook 01's default datasets, as slt-nb synth stamps them (synth.write)."""
    from dataclasses import asdict

    from slt_nb.standins.base_spec import setup_from_config
    from slt_nb.synth.write import SynthConfig

    out = {}
    for spec in _default_notebook_value("01_data_prep", "datasets"):
        synth = dict(spec.get("synth") or {})
        lang = synth.pop("lang")
        out[spec["name"]] = setup_from_config(lang, 0, asdict(SynthConfig(**synth).resolved(spec["name"])))
    return out


def test_every_shipped_stage_is_intact_and_small():
    folders = sorted(p.name for p in vision_stage.SHIPPED_VISION.iterdir() if p.is_dir())
    assert folders == sorted(INDEX) and len(folders) >= 12
    total = 0
    for name in folders:
        info = json.loads((vision_stage.SHIPPED_VISION / name / VISION_INFO).read_text(encoding="utf-8"))
        assert info["hash"] == _hash(info["key"]) and name.endswith("." + info["hash"])
        assert name.split(".")[0] == info["family"] + ("" if info["size"] == "tiny" else "-" + info["size"])
        total += (vision_stage.SHIPPED_VISION / name / VISION_WEIGHTS).stat().st_size
    assert total < 5 * 2**20  # safetensors only; ~2 MB


def test_the_default_finds_a_current_shipped_stage_for_every_base_it_builds():
    """03 fine-tunes both families on Table 3's four datasets and CSL-Daily; 04 adds the two smaller SmolVLM sizes on PHOENIX. Each of their
    vision stages must be shipped under today's key; if this fails, the renderer, the tiny sizes or BaseSpec changed:
    run `make standins STANDINS_ARGS=--ship` (or `python -m slt_nb.standins.shipped --from-runs runs` after make reproduce)."""
    from slt_nb.data.benchmarks import FINETUNE_DATASETS

    setups, spec = _default_setups(), BaseSpec()
    wanted = [(fam, "tiny", ds) for fam in ("smolvlm", "qwen2_5_vl") for ds in FINETUNE_DATASETS]
    wanted += [("smolvlm", size, "phoenix") for size in _default_notebook_value("04_ablations", "abl_sizes").values() if size != "tiny"]
    assert len(wanted) == 12
    for fam, size, ds in wanted:
        h = _hash(vision_key(fam, setups[ds], spec, seed=0, size=size))
        name = f"{fam}{'' if size == 'tiny' else '-' + size}.{h}"
        assert shipped_stage(name, h) is not None, f"no current shipped vision stage for {fam} {size} on {ds} ({name})"


@pytest.fixture
def small_stage(tmp_path):
    """A tiny-xs SmolVLM vision stage trained once (1 rendering per sign, 1 epoch) and shipped in a temporary folder."""
    setup = _default_setups()["phoenix"]
    spec = BaseSpec(reps=1, vision_epochs=1)
    built, was_built = ensure_vision_stage("smolvlm", setup, spec, runs_dir=tmp_path / "a", size="tiny-xs", progress=False, shipped=False)
    assert was_built
    ship = tmp_path / "shipped"
    copy_stage(built, ship / built.name)
    return setup, spec, built, ship


def test_a_shipped_stage_is_copied_not_trained(small_stage, tmp_path, monkeypatch):
    setup, spec, built, ship = small_stage
    monkeypatch.setattr(vision_stage, "SHIPPED_VISION", ship)
    monkeypatch.setattr(vision_stage, "_build", lambda *a, **k: pytest.fail("trained although a shipped stage has the key"))
    got, was_built = ensure_vision_stage("smolvlm", setup, spec, runs_dir=tmp_path / "b", size="tiny-xs", progress=False)
    assert not was_built and got.name == built.name
    assert (got / VISION_WEIGHTS).read_bytes() == (built / VISION_WEIGHTS).read_bytes()


@pytest.mark.parametrize("change", ["seed", "spec", "size", "not shipped"])
def test_another_key_or_shipped_false_trains(small_stage, tmp_path, monkeypatch, change):
    setup, spec, built, ship = small_stage
    monkeypatch.setattr(vision_stage, "SHIPPED_VISION", ship)
    calls = []
    monkeypatch.setattr(vision_stage, "_build", lambda *a, **k: calls.append(a))
    kw = dict(seed=0, size="tiny-xs", shipped=True)
    if change == "seed":
        kw["seed"] = 1
    elif change == "spec":
        spec = BaseSpec(reps=1, vision_epochs=2)
    elif change == "size":
        kw["size"] = "tiny-s"
    else:
        kw["shipped"] = False
    ensure_vision_stage("smolvlm", setup, spec, runs_dir=tmp_path / "c", progress=False, **kw)
    assert len(calls) == 1


def test_a_damaged_shipped_stage_is_not_used(small_stage, tmp_path, monkeypatch):
    setup, spec, built, ship = small_stage
    (ship / built.name / VISION_INFO).write_text("{", encoding="utf-8")
    monkeypatch.setattr(vision_stage, "SHIPPED_VISION", ship)
    assert shipped_stage(built.name, built.name.split(".")[-1]) is None
