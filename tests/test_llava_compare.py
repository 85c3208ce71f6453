"""Notebook 09's join of LLaVA-SLT (08) with the small VLMs and the baseline (03), from the prediction files alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.llava_slt import compare
from slt_nb.llava_slt.tables import write_prompting_table, write_table5_qualitative

REPO = Path(__file__).resolve().parents[1]
H = "run0000000aa"  # this run's params hash
REFS = ["heute regen im norden .", "morgen sonne im süden .", "abends wind an der küste ."]


def _write(path: Path, model: str, preds: list[str], params_hash: str = H, split: str = "test") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"c{i}", "dataset": "phoenix", "split": split, "reference": r, "prediction": p, "model": model, "params_hash": params_hash}
            for i, (r, p) in enumerate(zip(REFS, preds))]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def results(tmp_path):
    _write(tmp_path / "predictions" / "llava_slt-tiny.phoenix.test.jsonl", "llava_slt-tiny", REFS)  # 08: ours
    _write(tmp_path / "controls" / "llava_slt-tiny.phoenix.test.jsonl", "llava_slt-tiny", ["guten abend ."] * 3)  # 08: shuffled video
    _write(tmp_path / "predictions" / "llava_slt-tiny-linear_connector.phoenix.test.jsonl", "llava_slt-tiny-linear_connector", REFS)  # 08: a variant
    _write(tmp_path / "predictions" / "smolvlm-tiny.phoenix.test.jsonl", "smolvlm-tiny", [REFS[0], "morgen regen .", "wind ."])  # 03
    _write(tmp_path / "predictions" / "qwen2_5_vl-tiny.phoenix.test.jsonl", "qwen2_5_vl-tiny", ["regen ."] * 3)  # 03
    _write(tmp_path / "predictions" / "other_model.phoenix.test.jsonl", "other_model", REFS, params_hash="anotherrun00")  # another run's file
    return tmp_path


# (files 03 wrote besides the small VLMs, expected system order, expected baseline answer)
CASES = [
    ("with 03's baseline", {"baseline": "guten abend liebe zuschauer ."},
     ["llava_slt-tiny", "llava_slt-tiny (shuffled video)", "baseline", "qwen2_5_vl-tiny", "smolvlm-tiny"], "guten abend liebe zuschauer ."),
    ("no baseline from 03: built from the train texts", {},
     ["llava_slt-tiny", "llava_slt-tiny (shuffled video)", "qwen2_5_vl-tiny", "smolvlm-tiny", "baseline"], "sonne ."),
]


@pytest.mark.parametrize("name, extra, order, baseline", CASES, ids=[c[0] for c in CASES])
def test_systems_for_dataset_joins_this_runs_files(results, name, extra, order, baseline):
    for model, answer in extra.items():
        _write(results / "predictions" / f"{model}.phoenix.test.jsonl", model, [answer] * 3)
    systems, kinds, others = compare.systems_for_dataset(results, "phoenix", "test", model="llava_slt-tiny", llm_id="tiny",
                                                         train_texts=["regen .", "sonne .", "sonne ."], params_hash=H)
    assert list(systems) == order  # ours, our control, then 03's files (sorted) -- never another run's, never our variants
    assert set(others) == set(order) - {"llava_slt-tiny", "llava_slt-tiny (shuffled video)"}
    assert [r["prediction"] for r in systems["baseline"]] == [baseline] * 3
    assert [r["id"] for r in systems["baseline"]] == ["c0", "c1", "c2"]
    assert kinds == {"llava_slt-tiny": "LLaVA-SLT (ours; LLM tiny)", "llava_slt-tiny (shuffled video)": compare.CONTROL_KIND,
                     "baseline": compare.BASELINE_KIND, "qwen2_5_vl-tiny": compare.SMALL_VLM_KIND, "smolvlm-tiny": compare.SMALL_VLM_KIND}
    assert [r["prediction"] for r in systems["llava_slt-tiny (shuffled video)"]] == ["guten abend ."] * 3


@pytest.mark.parametrize("missing, writer_named", [("controls", "08_llava_slt_tuning"), ("predictions", "08_llava_slt_tuning")])
def test_a_missing_llava_file_names_the_file_and_the_notebook_to_run(results, missing, writer_named):
    (results / missing / "llava_slt-tiny.phoenix.test.jsonl").unlink()
    with pytest.raises(SLTInputError) as err:
        compare.systems_for_dataset(results, "phoenix", "test", model="llava_slt-tiny", llm_id="tiny", train_texts=["a ."], params_hash=H)
    assert f"{missing}/llava_slt-tiny.phoenix.test.jsonl" in str(err.value) and writer_named in str(err.value)


def test_ours_from_another_run_is_refused(results):
    _write(results / "controls" / "llava_slt-tiny.phoenix.test.jsonl", "llava_slt-tiny", REFS, params_hash="anotherrun00")
    with pytest.raises(SLTInputError, match="another run"):
        compare.systems_for_dataset(results, "phoenix", "test", model="llava_slt-tiny", llm_id="tiny", train_texts=["a ."], params_hash=H)


def test_table5_picks_the_strongest_other_system_and_table9_needs_two_prompting_variants(results, tmp_path):
    systems, _, others = compare.systems_for_dataset(results, "phoenix", "test", model="llava_slt-tiny", llm_id="tiny",
                                                     train_texts=["regen ."], params_hash=H)
    out = tmp_path / "tables"
    prov = dict(params_file=None, params_hash=H, notebook="test")
    assert write_table5_qualitative(systems["llava_slt-tiny"], others, "phoenix", "PHOENIX", out, provenance=prov) == ["llava_slt_table5_qualitative_phoenix"]
    header = (out / "llava_slt_table5_qualitative_phoenix.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",smolvlm-tiny")  # smolvlm-tiny gets one sentence right: the strongest other system
    assert write_table5_qualitative(systems["llava_slt-tiny"], {}, "phoenix", "PHOENIX", out, provenance=prov) == []
    main = systems["llava_slt-tiny"]
    assert write_prompting_table({"main": main}, "phoenix", "PHOENIX", out, provenance=prov) == []
    assert write_prompting_table({"main": main, "no_prompting": others["qwen2_5_vl-tiny"]}, "phoenix", "PHOENIX", out,
                                 provenance=prov) == ["llava_slt_table9_prompting_phoenix"]


def test_llava_tuning_does_not_wait_for_the_small_vlms():
    """08 trains beside 03 (both cores busy); only 09, which joins their predictions, waits for both."""
    from slt_nb.runner import dependencies, list_notebooks

    deps = dependencies(list_notebooks(REPO / "notebooks"))
    assert deps["08_llava_slt_tuning"] == ["07_llava_slt_pretrain"]
    assert set(deps["09_llava_slt_comparison"]) == {"03_finetune", "08_llava_slt_tuning"}
