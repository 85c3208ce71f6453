"""Table 8-9 ablations: what trains under each strategy, the grid derived from params, staged runs,
the worker pool, the tables (paper Sec 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_phoenix_project

from slt_nb.errors import SLTInputError
from slt_nb.models.load import apply_lora, trainable_report
from slt_nb.models.registry import get_family
from slt_nb.models.load import param_counts
from slt_nb.standins.tiny import TINY_SCALES, make_tiny, tiny_sizes
from slt_nb.report import ablation_tables as abt
from slt_nb.report import paper_metrics
from slt_nb.train.ablations import TABLE8_CELLS, select_cells, table8_cells, table9_cells
from slt_nb.train.run_config import RunConfig
from slt_nb.train.run_plan import ADAPTER_DIR, first_stage, read_run
from slt_nb.train.run import train_run
from slt_nb.train.strategy import STRATEGIES, check_trainable, get_strategy, set_trainable

CORPUS = ["am tag regen im norden .", "morgen sonne im süden .", "nachts klar und kalt ."]
PARTS = ("lora", "connector", "vision_tower", "language_model", "other")

# (family, strategy) -> the parts with trainable parameters. Qwen2.5-VL ties its output head to the
# embeddings, so "other" has nothing of its own there; its connector (model.visual.merger) lives
# inside the vision tower and must stay frozen under "vision only".
EXPECTED = [
    ("smolvlm", "full", {"vision_tower", "connector", "language_model", "other"}),
    ("smolvlm", "lm_only", {"connector", "language_model", "other"}),
    ("smolvlm", "vision_only", {"vision_tower"}),
    ("smolvlm", "lora_lm", {"lora", "connector"}),
    ("qwen2_5_vl", "full", {"vision_tower", "connector", "language_model"}),
    ("qwen2_5_vl", "lm_only", {"connector", "language_model"}),
    ("qwen2_5_vl", "vision_only", {"vision_tower"}),
    ("qwen2_5_vl", "lora_lm", {"lora", "connector"}),
]


@pytest.mark.parametrize("fam,strategy,parts", EXPECTED)
def test_exactly_these_modules_train_under_each_strategy(fam, strategy, parts):
    model, _ = make_tiny(fam, CORPUS, seed=0, size="tiny-xs")
    f = get_family(fam)
    if strategy == "lora_lm":
        model = apply_lora(model, fam)
        report = check_trainable(model, fam, strategy)
    else:
        report = set_trainable(model, fam, strategy)
    assert {p for p in PARTS if report[p] > 0} == parts
    assert report == trainable_report(model, fam)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    if strategy == "vision_only":
        assert all(n.startswith(f.vision_tower + ".") and not n.startswith(f.connector + ".") for n in names)
    if strategy == "lm_only":
        assert all(n.startswith((f.language_model + ".", f.connector + ".", "lm_head.")) for n in names)
        assert not any(n.startswith(f.vision_tower + ".") and not n.startswith(f.connector + ".") for n in names)
    if strategy == "full":
        assert report["frozen"] == 0


def test_a_wrong_trainable_set_is_refused():
    model, _ = make_tiny("smolvlm", CORPUS, seed=0, size="tiny-xs")
    set_trainable(model, "smolvlm", "lm_only")
    with pytest.raises(SLTInputError, match="should be frozen"):
        check_trainable(model, "smolvlm", "vision_only")
    with pytest.raises(SLTInputError, match="nothing trains"):
        check_trainable(model, "smolvlm", "full")


@pytest.mark.parametrize("bad,call", [
    ("lora_everything", lambda b: get_strategy(b)),
    ("huge", lambda b: tiny_sizes(b)),
    ("1B", lambda b: table8_cells([[b, "full"]], {"256M": "tiny-xs"}, dataset="phoenix", epochs=1)),
    ("frozen", lambda b: table8_cells([["256M", b]], {"256M": "tiny-xs"}, dataset="phoenix", epochs=1)),
    ("nope", lambda b: RunConfig(family="smolvlm", model="tiny", dataset="phoenix", strategy=b).resolved()),
])
def test_unknown_strategy_or_size_names_the_allowed_values(bad, call):
    with pytest.raises(SLTInputError) as err:
        call(bad)
    text = str(err.value)
    assert repr(bad) in text
    assert "lora_lm" in text or "tiny-xs" in text or "256M" in text


def test_tiny_sizes_grow_and_keep_the_default():
    counts = [param_counts(make_tiny("smolvlm", CORPUS, size=s)[0])["total"] for s in ("tiny-xs", "tiny-s", "tiny")]
    assert counts == sorted(counts) and len(set(counts)) == 3
    assert tiny_sizes("tiny")["text"]["hidden_size"] == 64 and set(TINY_SCALES) == {"tiny", "tiny-s", "tiny-xs"}


def test_grid_is_derived_from_params_and_hashes_stay_compatible():
    sizes = {"256M": "tiny-xs", "500M": "tiny-s", "2.2B": "tiny"}
    recipe = dict(t_max=16, learning_rate=2e-3, per_device_train_batch_size=4, gradient_accumulation_steps=1)
    cells = table8_cells(TABLE8_CELLS, sizes, dataset="phoenix", epochs=4, **recipe)
    assert [c.id for c in cells] == ["table8-256M-full", "table8-500M-lm_only", "table8-500M-vision_only", "table8-500M-vision_then_lm",
                                     "table8-500M-lora_lm", "table8-2_2B-lora_lm"]
    assert [c.config.model for c in cells] == ["tiny-xs", "tiny-s", "tiny-s", "tiny-s", "tiny-s", "tiny"]
    # every cell is the shared recipe plus its size and strategy, nothing else
    main = {k: v for k, v in RunConfig(family="smolvlm", model="x", dataset="phoenix", epochs=4, **recipe).__dict__.items() if k not in ("model", "strategy")}
    for c in cells:
        assert {k: v for k, v in c.config.__dict__.items() if k not in ("model", "strategy")} == main
    t9 = table9_cells([16, 64], model="tiny", dataset="phoenix", epochs=8, **{k: v for k, v in recipe.items() if k != "t_max"})
    assert [(c.id, c.config.t_max, c.config.family) for c in t9] == [("table9-t16", 16, "qwen2_5_vl"), ("table9-t64", 64, "qwen2_5_vl")]
    assert [c.id for c in select_cells(cells + t9, ["table9-t64"])] == ["table9-t64"]
    with pytest.raises(SLTInputError, match="known cells"):
        select_cells(cells, ["table8-9B-full"])
    # the main recipe hashes exactly as before strategies existed; other strategies hash their choice
    main = RunConfig(family="smolvlm", model="tiny", dataset="phoenix")
    assert "strategy" not in main.hashed() and "sequential_split" not in main.hashed()
    seq = RunConfig(family="smolvlm", model="tiny", dataset="phoenix", strategy="vision_then_lm")
    assert seq.hashed()["strategy"] == "vision_then_lm" and seq.hashed()["sequential_split"] == 0.5
    one = first_stage(seq.resolved())
    assert one.strategy == "vision_only" and one.epochs == 5  # half of the paper's 10


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("ablproj")
    manifests, bases = tiny_phoenix_project(root, family_sizes={"smolvlm": "tiny-xs"}, text_steps=10)
    return root, manifests, bases["smolvlm"]


def _cfg(project, sub, **kw):
    root, manifests, base = project
    d = dict(family="smolvlm", model=str(base), dataset="phoenix", t_max=6, max_steps=4, per_device_train_batch_size=2, gradient_accumulation_steps=1,
             learning_rate=2e-3, save_steps=100, logging_steps=1, progress=False, runs_dir=str(root / sub), manifest_dir=str(manifests))
    return RunConfig(**{**d, **kw})


def test_vision_then_lm_is_two_cached_runs_and_reloads(project):
    from slt_nb.train.load_run import load_for_inference

    cfg = _cfg(project, "seq", strategy="vision_then_lm")
    assert train_run(cfg, train=False).status == "pending"  # nothing trained yet, nothing built
    res = train_run(cfg)
    assert res.status == "finished" and res.model_name.endswith("+vision_then_lm")
    info = read_run(res.run_dir)
    assert info["weights"] == "full_model" and info["strategy"] == "vision_then_lm"
    stage1 = (res.run_dir / info["base_model"]).resolve()  # the LM stage starts from the vision stage's weights
    assert stage1.name == ADAPTER_DIR and read_run(stage1.parent)["strategy"] == "vision_only"
    assert read_run(stage1.parent)["max_steps"] == 2 and info["max_steps"] == 2  # the 4 steps split 0.5 : 0.5
    assert res.trainable["vision_tower"] == 0 and res.trainable["language_model"] > 0
    again = train_run(cfg)
    assert again.status == "skipped" and again.run_dir == res.run_dir
    model, _, fam = load_for_inference(res.run_dir)
    assert type(model).__name__ == fam.model_class and not hasattr(model, "peft_config")


def test_worker_pool_trains_what_this_process_trains(project):
    from slt_nb.train.parallel import train_many

    runs = {"full": _cfg(project, "pool", strategy="full"), "lora": _cfg(project, "pool", strategy="lora_lm")}
    pooled = train_many(runs, jobs=2, log_dir=project[0] / "logs", progress=False)
    assert {k: r.status for k, r in pooled.items()} == {"full": "finished", "lora": "finished"}
    assert (project[0] / "logs" / "full.log").is_file()
    here = train_run(_cfg(project, "here", strategy="full"))
    a = (pooled["full"].run_dir / ADAPTER_DIR / "model.safetensors").read_bytes()
    b = (here.run_dir / ADAPTER_DIR / "model.safetensors").read_bytes()
    assert a == b  # same seed, one thread each: bit-identical weights
    assert train_many(runs, jobs=2, log_dir=project[0] / "logs", progress=False)["full"].status == "skipped"


def _write_preds(path: Path, refs, hyps):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": f"s{i}", "dataset": "phoenix", "split": "test", "reference": r, "prediction": h}) + "\n"
                            for i, (r, h) in enumerate(zip(refs, hyps))))


def test_tables_in_the_paper_layout_with_missing_cells_listed(tmp_path):
    sizes = {"256M": "tiny-xs", "500M": "tiny-s", "2.2B": "tiny"}
    cells = table8_cells(TABLE8_CELLS, sizes, dataset="phoenix", epochs=4) + table9_cells([16, 64], model="tiny", dataset="phoenix")
    refs = ["am tag regen im norden .", "morgen sonne im süden ."]
    for c in cells[:5] + cells[6:7]:
        _write_preds(abt.predictions_path(tmp_path, c), refs, refs if c.strategy == "lora_lm" else ["regen", "sonne"])
    t8, missing8 = abt.table8(cells, tmp_path)
    assert missing8 == ["table8-2_2B-lora_lm"]
    assert list(t8.columns[:3]) == ["Model Size", "Model (ours)", "Fine-tuning Strategy"]
    assert list(t8["Fine-tuning Strategy"]) == [STRATEGIES[s].label for _, s in TABLE8_CELLS[:5]]
    assert t8.loc[4, "BLEU-4"] == 100.0 and t8.loc[0, "BLEU-4"] < 100.0
    t9, missing9 = abt.table9(cells, tmp_path)
    assert list(t9["Max Frames"]) == [16] and missing9 == ["table9-t64"]
    p8 = paper_metrics.table8()
    assert list(p8["Fine-tuning Strategy"]) == ["Full", "LM only", "Vision model only", "Vision then LM", "LoRA for LM", "LoRA for LM"]
    assert p8.loc[5, "BLEU-4"] == 6.5134 and paper_metrics.table9().loc[0, "BLEU-1"] == 7.8711
    fig = abt.figure(t8, t9, p8, paper_metrics.table9())
    assert len(fig.axes) == 2 and isinstance(t8, pd.DataFrame)


def test_paper_params_name_the_papers_checkpoints_and_budgets():
    import yaml

    from slt_nb.train.ablations import PAPER_SIZES, TABLE9_BUDGETS

    paper = yaml.safe_load((Path(__file__).resolve().parents[1] / "params" / "paper.yaml").read_text())
    assert paper["abl_sizes"] == PAPER_SIZES and paper["abl_epochs"] == 5 and tuple(paper["abl_frame_budgets"]) == TABLE9_BUDGETS
    assert set(PAPER_SIZES.values()) == set(get_family("smolvlm").hub_ids)
    assert [(s, k) for s, k, *_ in paper_metrics.TABLE8] == list(TABLE8_CELLS)


def test_file_lock_excludes_another_process(tmp_path):
    import subprocess
    import sys

    from slt_nb.io import file_lock

    probe = ("import fcntl, sys; fh = open(sys.argv[1], 'a')\n"
             "try:\n    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\nexcept BlockingIOError:\n    print('held')")
    lock = tmp_path / "locks" / "run.lock"
    with file_lock(lock):
        assert subprocess.run([sys.executable, "-c", probe, str(lock)], capture_output=True, text=True).stdout.strip() == "held"
    assert subprocess.run([sys.executable, "-c", probe, str(lock)], capture_output=True, text=True).stdout.strip() == "free"


@pytest.mark.parametrize("ours,paper,tau,best", [
    ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 1.0, "c"),
    ([3.0, 2.0, 1.0], [10.0, 20.0, 30.0], -1.0, "a"),
])
def test_agreement_with_the_papers_order(ours, paper, tau, best):
    keys = ["cell"]
    out = abt.agreement(pd.DataFrame({"cell": list("abc"), "BLEU-4": ours}), pd.DataFrame({"cell": list("abc"), "BLEU-4": paper}), keys)
    assert out == {"cells": 3, "kendall_tau": tau, "best (ours)": best, "best (paper)": "c"}
    assert list(abt.by_budget_ratio(pd.DataFrame({"Max Frames": [64, 256]}))["Budget"]) == ["1x", "4x"]
