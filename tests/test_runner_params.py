"""Params files own their results: extends, the hash's operational parameters, folder ownership,
readers that take only their own run's files, and GPU notebooks that never share a GPU."""

from __future__ import annotations

import json
import shutil

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.params import load_params
from slt_nb.runner import reproduce, run_hash

HEADER = "# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n#     name: python3\n{extra}# ---\n\n"
BODY = """# %% tags=["parameters"]
value = 1  # a number
results_dir = "results"  # where the outputs go
manifest_dir = "data/manifests"  # an owned folder too
abl_only = None  # operational
params_hash = None  # set by the runner

# %%
import json, time
from pathlib import Path
t0 = time.time()
time.sleep({sleep})
out = Path(results_dir) / "tables"
out.mkdir(parents=True, exist_ok=True)
(out / "{name}.meta.json").write_text(json.dumps({{"name": "{name}", "caption": "{name}", "notebook": "{name}", "params_hash": params_hash}}))
(out / "{name}.md").write_text(str(value))
(Path(results_dir) / "{name}.times").write_text(f"{{t0}} {{time.time()}}")
"""


def _nb(root, name, after=None, gpu=False, sleep=0.0):
    extra = ""
    if after is not None or gpu:
        extra = "#   slt_nb:\n" + (f"#     after: [{', '.join(after)}]\n" if after is not None else "") + ("#     gpu: true\n" if gpu else "")
    (root / "notebooks").mkdir(exist_ok=True)
    (root / "notebooks" / f"{name}.py").write_text(HEADER.format(extra=extra) + BODY.format(name=name, sleep=sleep))


# ---- extends ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "files, want",
    [
        ({"a.yaml": "seed: 1\nt_max: 64\n", "b.yaml": "extends: a.yaml\nt_max: 8\n"}, {"seed": 1, "t_max": 8}),  # child wins
        ({"a.yaml": "x: [1, 2]\n", "sub/b.yaml": "extends: ../a.yaml\nx: [3]\n"}, {"x": [3]}),  # relative to the child; lists replaced
        ({"a.yaml": "x: 1\n", "b.yaml": "extends: a.yaml\ny: 2\n", "c.yaml": "extends: b.yaml\nz: 3\n"}, {"x": 1, "y": 2, "z": 3}),  # chains
    ],
)
def test_extends_merges_top_level_keys(tmp_path, files, want):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert load_params(tmp_path / list(files)[-1]) == want


@pytest.mark.parametrize(
    "files, match",
    [
        ({"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"}, "cycle"),
        ({"a.yaml": "extends: nope.yaml\n"}, "not found"),
        ({"a.yaml": "extends: [x.yaml]\n"}, "one params file"),
    ],
)
def test_extends_errors_name_the_file(tmp_path, files, match):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(SLTInputError, match=match) as err:
        load_params(tmp_path / "a.yaml")
    assert "a.yaml" in str(err.value)


def test_operational_parameters_do_not_change_the_hash():
    declared = {"01_a": {"value": "1", "abl_only": "None", "ft_jobs": "1"}}
    base = run_hash(declared, {"value": 2})
    assert run_hash(declared, {"value": 2, "abl_only": ["table8-256M-full"], "ft_jobs": 4}) == base
    assert run_hash(declared, {"value": 3}) != base


# ---- ownership, stamping, the index --------------------------------------------------------------

def test_a_params_file_owns_its_folders(tmp_path):
    _nb(tmp_path, "01_a")
    (tmp_path / "p.yaml").write_text("value: 2\n")
    (tmp_path / "q.yaml").write_text("value: 3\n")
    reproduce("p.yaml", root=tmp_path)
    owner = json.loads((tmp_path / "results" / "params.json").read_text())
    assert owner["params_file"] == "p.yaml"
    before = (tmp_path / "results" / "tables" / "01_a.md").read_text()
    with pytest.raises(SLTInputError, match=r"holds the outputs of p.yaml.*results_dir: results/q .*delete .*params.json"):
        reproduce("q.yaml", root=tmp_path)
    assert (tmp_path / "results" / "tables" / "01_a.md").read_text() == before == "2"  # nothing of q's run was written
    (tmp_path / "q.yaml").write_text("value: 3\nresults_dir: results/q\nmanifest_dir: data/q/manifests\n")
    reproduce("q.yaml", root=tmp_path)
    assert (tmp_path / "results" / "q" / "tables" / "01_a.md").read_text() == "3"
    (tmp_path / "p.yaml").write_text("value: 4\n")  # the same params file, edited: still its owner
    reproduce("p.yaml", root=tmp_path)
    assert (tmp_path / "results" / "tables" / "01_a.md").read_text() == "4"


def test_the_index_shows_only_this_runs_tables(tmp_path):
    _nb(tmp_path, "01_a")
    _nb(tmp_path, "02_b")
    (tmp_path / "p.yaml").write_text("value: 2\n")
    reproduce("p.yaml", root=tmp_path)
    (tmp_path / "p.yaml").write_text("value: 5\n")  # a new version of the params; only 02 re-run
    reproduce("p.yaml", only=["02_b"], root=tmp_path)
    index = (tmp_path / "results" / "README.md").read_text()
    assert "### 02_b" in index and "### 01_a" not in index
    assert "Not shown: 1 table(s)" in index and "`01_a`" in index


# ---- readers take only their own run's files -----------------------------------------------------

def _pred(path, model, params_hash, prediction="ein satz ."):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": "a", "reference": "ein satz .", "prediction": prediction, "dataset": "phoenix", "split": "test",
                                "model": model, "params_hash": params_hash}) + "\n")


def test_readers_take_only_files_of_their_run(tmp_path):
    from slt_nb.llava_slt.report import other_systems
    from slt_nb.metrics.predictions import read_predictions, run_predictions
    from slt_nb.report.prediction_files import find_predictions

    _pred(tmp_path / "smolvlm-SmolVLM2-2.2B-Instruct.phoenix.test.jsonl", "smolvlm-SmolVLM2-2.2B-Instruct", "mine")
    _pred(tmp_path / "smolvlm-tiny.phoenix.test.jsonl", "smolvlm-tiny", "default")  # the default's file, committed beside it
    mine, others = run_predictions(tmp_path, "mine")
    assert [p.name for p in mine] == ["smolvlm-SmolVLM2-2.2B-Instruct.phoenix.test.jsonl"] and others == {"default": ["smolvlm-tiny.phoenix.test.jsonl"]}
    assert [f.model for f in find_predictions(tmp_path, params_hash="mine")] == ["smolvlm-SmolVLM2-2.2B-Instruct"]
    assert list(other_systems(tmp_path, "phoenix", "test", params_hash="mine")) == ["smolvlm-SmolVLM2-2.2B-Instruct"]
    with pytest.raises(SLTInputError, match=r"no predictions found of this run \(params hash other\).*default: 1, mine: 1"):
        find_predictions(tmp_path, params_hash="other")
    with pytest.raises(SLTInputError, match="written by another run"):
        read_predictions(tmp_path / "smolvlm-tiny.phoenix.test.jsonl", params_hash="mine")
    (tmp_path / "mixed.phoenix.test.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "reference": "x", "prediction": "x", "params_hash": h}) for i, h in (("a", "one"), ("b", "two"))) + "\n")
    with pytest.raises(SLTInputError, match="several runs"):
        run_predictions(tmp_path, "mine")


def test_an_ablation_cell_is_done_only_with_its_runs_predictions(tmp_path):
    from slt_nb.report import ablation_tables as abt
    from slt_nb.train.ablations import table8_cells

    cells = table8_cells([["256M", "full"], ["500M", "lm_only"]], {"256M": "tiny-xs", "500M": "tiny-s"}, family="smolvlm", dataset="phoenix", epochs=1)
    for c in cells:  # both cells' files exist, written by another run (the default's)
        _pred(abt.predictions_path(tmp_path, c), c.id, "default")
    _pred(abt.predictions_path(tmp_path, cells[0]), cells[0].id, "mine")  # one cell of this run
    t8, missing = abt.table8(cells, tmp_path, params_hash="mine")
    assert len(t8) == 1 and missing == [cells[1].id]


# ---- GPU notebooks take turns on one GPU ---------------------------------------------------------

def _times(root, name):
    a, b = (root / "results" / f"{name}.times").read_text().split()
    return float(a), float(b)


def test_gpu_notebooks_never_share_one_gpu(tmp_path):
    _nb(tmp_path, "01_a", after=[], gpu=True, sleep=2)
    _nb(tmp_path, "02_b", after=[], gpu=True, sleep=2)
    _nb(tmp_path, "03_c", after=[], sleep=2)
    reproduce(None, root=tmp_path, jobs=3, gpus=1)
    a, b, c = (_times(tmp_path, n) for n in ("01_a", "02_b", "03_c"))
    assert a[1] <= b[0] or b[1] <= a[0]  # the two GPU notebooks one after the other
    assert any(c[0] < g[1] and g[0] < c[1] for g in (a, b))  # the CPU notebook ran beside one of them
    reproduce(None, root=tmp_path, jobs=3, gpus=1, share_gpu=True)  # asked: side by side
    a, b = _times(tmp_path, "01_a"), _times(tmp_path, "02_b")
    assert a[0] < b[1] and b[0] < a[1]


def test_ablation_summaries_take_an_empty_grid():
    """A batch job that ran only Table 8 cells leaves Table 9 empty: the figure and the agreement still work."""
    import pandas as pd

    from slt_nb.report import ablation_tables as abt
    from slt_nb.report import paper_metrics

    empty = pd.DataFrame()
    assert abt.agreement(abt.by_budget_ratio(empty), abt.by_budget_ratio(paper_metrics.table9()), ["Budget"])["cells"] == 0
    assert abt.agreement(empty, paper_metrics.table8(), ["Model Size", "Fine-tuning Strategy"])["kendall_tau"] is None
    assert abt.figure(empty, empty, paper_metrics.table8(), paper_metrics.table9()) is not None


def test_an_interactive_notebook_is_stamped_as_reproduce_would(tmp_path, monkeypatch):
    """JupyterLab runs set no params: this_run gives params/default.yaml's hash (the runner's), and names edits."""
    from slt_nb.provenance import this_run

    _nb(tmp_path, "01_a")
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text("value: 1\n")
    reproduce("params/default.yaml", root=tmp_path)
    stamped = json.loads((tmp_path / "results" / "params.json").read_text())["params_hash"]
    monkeypatch.setenv("SLT_NB_ROOT", str(tmp_path))
    assert this_run("01_a", None, None, {"value": 1}) == ("params/default.yaml", stamped)
    label, edited = this_run("01_a", None, None, {"value": 2})
    assert label == "params/default.yaml + edited in 01_a: value" and edited != stamped
    assert edited == run_hash({"01_a": {"value": "1", "results_dir": '"results"', "manifest_dir": '"data/manifests"', "abl_only": "None",
                                         "params_hash": "None"}}, {"value": 2})
    assert this_run("01_a", "p.yaml", "abc", {"value": 9}) == ("p.yaml", "abc")  # under the runner: as given


@pytest.mark.parametrize("namespace, results_dir", [
    ({"value": 1, "results_dir": "results"}, "results"),  # unedited: the reproduction's hash and place
    ({"value": 2, "results_dir": "results"}, "results/interactive/{hash}"),  # edited: its own place, results/ untouched
    ({"value": 2, "results_dir": "mine"}, "mine"),  # the user chose a place: kept
])
def test_an_edited_interactive_run_writes_to_its_own_place(tmp_path, monkeypatch, namespace, results_dir):
    from slt_nb.provenance import this_run

    _nb(tmp_path, "01_a")
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text("value: 1\n")
    monkeypatch.setenv("SLT_NB_ROOT", str(tmp_path))
    ns = dict(namespace)
    _, digest = this_run("01_a", None, None, ns)
    assert ns["results_dir"] == results_dir.format(hash=digest)


def test_a_copy_that_ran_first_is_named_and_the_original_gets_a_way_out(tmp_path):
    """A copy of a params file (same results_dir) that runs first owns the folder; the original is then refused
    with a hint that does not suggest the very folder in conflict."""
    _nb(tmp_path, "01_a")
    (tmp_path / "paper.yaml").write_text("value: 2\nresults_dir: results/paper\nmanifest_dir: data/paper/manifests\n")
    shutil.copy(tmp_path / "paper.yaml", tmp_path / "mine.yaml")
    reproduce("mine.yaml", root=tmp_path)
    with pytest.raises(SLTInputError) as err:
        reproduce("paper.yaml", root=tmp_path)
    msg = str(err.value)
    assert "holds the outputs of mine.yaml" in msg and "results_dir: results/paper-" in msg and "results_dir: results/paper " not in msg


@pytest.mark.parametrize(
    "after, seconds, want",
    [
        ({"01": [], "02": ["01"], "03": ["01"]}, {"01": 5, "02": 10, "03": 2}, {"01": 15, "02": 10, "03": 2}),
        # the small-VLM / LLaVA-SLT shape: 03 and 07 feed 08; 04 is long but nothing waits for it
        ({"03": [], "04": [], "07": [], "08": ["03", "07"], "06": ["08"]}, {"03": 189, "04": 292, "07": 177, "08": 193, "06": 4},
         {"03": 386, "04": 292, "07": 374, "08": 197, "06": 4}),
        ({"01": [], "02": ["01"]}, {}, {"01": 2, "02": 1}),  # never timed: 1 s each
    ],
)
def test_critical_paths_rank_the_ready_notebooks(after, seconds, want):
    from slt_nb.notebook_graph import critical_paths

    assert critical_paths(after, seconds) == want
