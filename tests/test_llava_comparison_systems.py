"""slt_nb.llava_slt.report.comparison_systems: which systems notebook 08 compares LLaVA-SLT with, in what order."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from slt_nb.llava_slt.report import comparison_systems


def _write(folder, model: str, prediction: str, params_hash: str = "h") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    row = {"id": "a", "reference": "ein satz .", "prediction": prediction, "dataset": "phoenix", "split": "test", "model": model,
           "params_hash": params_hash}
    (folder / f"{model}.phoenix.test.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")


@dataclass
class Clips:  # what the comparison reads of a llava_slt.data.ClipSet
    texts: list[str]
    ids: list[str]
    dataset: str
    split: str

    def __len__(self) -> int:
        return len(self.ids)


def _clips():
    return {"train": Clips(["b .", "a .", "b ."], ["t1", "t2", "t3"], "phoenix", "train"), "test": Clips(["ein satz ."], ["a"], "phoenix", "test")}


OURS = [{"id": "a", "reference": "ein satz .", "prediction": "ein satz ."}]
SHUF = [{"id": "a", "reference": "ein satz .", "prediction": "b ."}]

# files in the predictions folder -> (systems in order, the baseline's prediction)
CASES = {
    "03 wrote the small VLMs and the baseline": (
        [("smolvlm-tiny", "ein ."), ("baseline", "b ."), ("llava_slt-tiny-linear_connector", "x ."), ("qwen2_5_vl-tiny", "satz .")],
        ["llava_slt-tiny", "llava_slt-tiny (shuffled video)", "baseline", "qwen2_5_vl-tiny", "smolvlm-tiny"],
        "b .",
    ),
    "no baseline file: the majority training sentence": (
        [("smolvlm-tiny", "ein .")],
        ["llava_slt-tiny", "llava_slt-tiny (shuffled video)", "smolvlm-tiny", "baseline"],
        "b .",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_systems_kinds_and_baseline(tmp_path, name):
    files, order, baseline = CASES[name]
    for model, pred in files:
        _write(tmp_path, model, pred)
    _write(tmp_path, "smolvlm-other-run", "z .", params_hash="other")  # another run's file: never compared
    systems, kinds, others = comparison_systems(OURS, SHUF, _clips(), model="llava_slt-tiny", llm_id="tiny", pred_dir=tmp_path,
                                                dataset="phoenix", split="test", params_hash="h")
    assert list(systems) == order and list(kinds) == order
    assert list(others) == order[2:]  # our own variants (llava_slt-*) are not "other systems"
    assert systems["llava_slt-tiny"] is OURS and systems["llava_slt-tiny (shuffled video)"] is SHUF
    assert [r["prediction"] for r in systems["baseline"]] == [baseline]
    assert kinds["llava_slt-tiny"] == "LLaVA-SLT (ours; LLM tiny)" and kinds["baseline"] == "majority sentence (train)"
    assert kinds["smolvlm-tiny"] == "small VLM (fine-tuned)"
