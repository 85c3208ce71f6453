"""A notebook's outputs are published only if it succeeds (slt_nb.staging); concurrent runs keep each other's
records; a full disk or an unwritable folder is one line naming the final path, the notebook and the cell."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.paths import STAGE_ENV, resolve
from slt_nb.runner import reproduce
from slt_nb.staging import open_stage, publish

HEADER = "# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n#     name: python3\n# ---\n\n"
# writes a table (four files) and a figure-like file through the package's atomic writers, reads them back, then
# runs ``then``: the failure under test (validation cannot catch any of them: the parameters are fine)
WRITER = HEADER + '''# %% tags=["parameters"]
value = 1  # what the table holds
then = ""  # code run after the table is written
results_dir = "results"
params_hash = None

# %%
import pandas as pd
from slt_nb.io import write_text
from slt_nb.paths import resolve
from slt_nb.report.tables import TableMeta, write_table

out = resolve(results_dir)
write_table(pd.DataFrame({"value": [value]}), TableMeta(name="t1", caption="t1", params_hash=params_hash, notebook="01_write"), out / "tables")
assert (out / "tables" / "t1.csv").read_text() == f"value\\n{value}\\n"  # a notebook reads its own writes
print(out / "tables" / "t1.csv")

# %%
exec(then)
write_text(out / "extra.txt", "written after then")
'''
READER = HEADER + '''# %% tags=["parameters"]
results_dir = "results"

# %%
from slt_nb.io import write_text
from slt_nb.paths import resolve

seen = (resolve(results_dir) / "tables" / "t1.csv").read_text()  # what 01_write published
write_text(resolve(results_dir) / "seen.txt", seen)
'''


def _project(root: Path, **notebooks: str) -> Path:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    for name, text in notebooks.items():
        (root / "notebooks" / f"{name}.py").write_text(text)
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


ENOSPC = "import os, errno\ndef full(*a, **k): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\nos.replace = full"  # a write without a name
READ_ONLY = ("import tempfile\ndef ro(*a, dir=None, **k): raise PermissionError(13, 'Permission denied', f'{dir}/.extra.txt.x1y2.tmp')\n"
             "tempfile.mkstemp = ro")  # what mkstemp says in a read-only folder (root ignores chmod, so it is simulated)


@pytest.mark.parametrize(
    "then, wants, names_file",
    [
        ("raise RuntimeError('boom mid-way')", ["in cell 4", "RuntimeError: boom mid-way"], None),
        (ENOSPC, ["in cell 4", "OSError: [Errno 28] No space left on device"], "extra.txt"),
        (READ_ONLY, ["in cell 4", "PermissionError: [Errno 13] Permission denied"], "extra.txt"),
    ],
    ids=["raises", "disk-full", "read-only"],
)
def test_a_failing_notebook_publishes_nothing(tmp_path, then, wants, names_file):
    root = _project(tmp_path, **{"01_write": WRITER, "02_read": READER})
    reproduce(None, root=root)  # a first, successful run: 02 reads what 01 published
    results = root / "results"
    assert (results / "seen.txt").read_text() == "value\n1\n"
    executed = (results / "notebooks" / "01_write.ipynb").read_text()
    # the published path (relative to the project, as every published notebook writes it), not the stage's
    assert "results/tables/t1.csv" in executed and "/stage/" not in executed and str(root) not in executed
    before = _tree(results)

    with pytest.raises(SLTInputError) as err:
        reproduce(None, root=root, set_params={"value": 2, "then": then})
    failed = results / "notebooks" / "01_write.failed.ipynb"  # the executed notebook with the traceback (git-ignored)
    assert failed.is_file() and "/stage/" not in failed.read_text()
    failed.unlink()
    assert _tree(results) == before  # byte for byte, tables, owner record, runtimes and index included
    msg = str(err.value)
    assert "notebook 01_write.py failed" in msg and "nothing it wrote was published" in msg and "\n" not in msg
    for want in wants:
        assert want in msg
    if names_file:
        assert f"'{results / names_file}'" in msg and ".tmp" not in msg and "/stage/" not in msg  # the final path, not a temporary one


@pytest.mark.parametrize(
    "error",
    [lambda folder, prefix: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),  # a full disk: no name
     lambda folder, prefix: PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.path.join(folder, f"{prefix}q1w2.tmp"))],  # read-only
    ids=["disk-full", "read-only"],
)
def test_publish_is_all_or_nothing_and_names_the_target(tmp_path, monkeypatch, error):
    """Runner side: a read-only results folder or a full disk while publishing leaves it as it was."""
    root = _project(tmp_path, **{"01_write": WRITER})
    reproduce(None, root=root)
    results = root / "results"
    before = _tree(results)
    real = tempfile.mkstemp
    calls: list = []

    def mkstemp(*a, dir=None, prefix="", **k):
        if dir is not None and Path(dir).is_relative_to(results):
            calls.append(dir)
            if len(calls) == 3:  # the third file to publish: two temporary files already written beside their targets
                raise error(dir, prefix)
        return real(*a, dir=dir, prefix=prefix, **k)

    monkeypatch.setattr("slt_nb.staging.tempfile.mkstemp", mkstemp)
    with pytest.raises(OSError) as err:
        reproduce(None, root=root, set_params={"value": 3})
    assert _tree(results) == before and not list(results.rglob("*.tmp"))
    msg = str(err.value)
    assert err.value.errno == error("", "").errno and "publishing the outputs of notebook 01_write.py" in msg
    assert f"'{results}/" in msg and ".tmp" not in msg and "\n" not in msg


def test_concurrent_stages_publish_only_their_own_changes(tmp_path):
    final = tmp_path / "results"
    (final / "tables").mkdir(parents=True)
    for name in ("a", "b", "gone"):
        (final / "tables" / f"{name}.csv").write_text(name)
    one, two = open_stage(final, tmp_path / "s1"), open_stage(final, tmp_path / "s2")  # two notebooks running side by side
    (one.path / "tables" / "a.csv").write_text("a by one")
    (one.path / "new" / "deep").mkdir(parents=True)
    (one.path / "new" / "deep" / "n.txt").write_text("new by one")
    (two.path / "tables" / "b.csv").write_text("b by two")
    (two.path / "tables" / "gone.csv").unlink()
    publish(one)
    publish(two)  # two's copy of a.csv is the old one, but two did not write it: one's stays
    assert _tree(final) == {"tables/a.csv": b"a by one", "tables/b.csv": b"b by two", "new/deep/n.txt": b"new by one"}


def test_resolve_maps_the_results_folder_into_the_stage_only_under_the_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("SLT_NB_ROOT", str(tmp_path))
    monkeypatch.delenv(STAGE_ENV, raising=False)
    assert resolve("results/tables") == tmp_path / "results" / "tables"  # JupyterLab: written directly
    monkeypatch.setenv(STAGE_ENV, json.dumps({str(tmp_path / "results"): "/stage/x"}))
    assert [resolve(p) for p in ("results/tables", "results", "results2/t", "data/manifests")] == [
        Path("/stage/x/tables"), Path("/stage/x"), tmp_path / "results2" / "t", tmp_path / "data" / "manifests"]


BARRIER = HEADER + '''# %% tags=["parameters"]
other = ""  # the notebook that must be running at the same time

# %%
import time
from pathlib import Path
Path("{name}.started").write_text("")
t0 = time.time()
while not Path(f"{{other}}.started").exists():
    assert time.time() - t0 < 120, "the other run never started"
    time.sleep(0.1)
'''


def test_two_runs_at_once_keep_both_wall_times(tmp_path):
    root = _project(tmp_path, **{"01_a": BARRIER.format(name="01_a"), "02_b": BARRIER.format(name="02_b")})
    env = {**os.environ, "SLT_NB_ROOT": str(root)}
    runs = [subprocess.Popen([sys.executable, "-m", "slt_nb", "reproduce", "--params", "", "--only", nb, "--set", f"other={other}"],
                             cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for nb, other in (("01_a", "02_b"), ("02_b", "01_a"))]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    assert set(json.loads((root / "results" / "runtimes.json").read_text())) == {"01_a", "02_b"}
    index = (root / "results" / "README.md").read_text()
    assert "| 01_a |" in index and "| 02_b |" in index


@pytest.mark.parametrize(
    "sets, what",
    [({"results_dir": "."}, "holds the project"), ({"results_dir": "out", "manifest_dir": "out/manifests"}, "holds manifest_dir")],
)
def test_a_results_folder_that_cannot_be_staged_is_refused_before_any_notebook(tmp_path, sets, what):
    root = _project(tmp_path, **{"01_write": WRITER.replace('results_dir = "results"\n', 'results_dir = "results"\nmanifest_dir = "data/manifests"\n')})
    with pytest.raises(SLTInputError, match=what):
        reproduce(None, root=root, set_params=sets)
    assert not (root / "out").exists() and not (root / "results").exists()


def test_published_notebooks_hold_no_timestamps_ids_or_machine_paths(tmp_path):
    """The same params give the same executed-notebook bytes: papermill/Jupyter timings dropped, cell ids by
    position, paths under the project root written relative to it (issue 14: byte-stable results)."""
    from slt_nb.execute import stable_notebook

    root = tmp_path / "proj"
    nb = {"cells": [{"cell_type": "code", "id": "a1b2c3", "metadata": {"execution": {"iopub.status.busy": "2026-12-05T20:00:00Z"},
                                                                       "papermill": {"duration": 1.5, "start_time": "x", "end_time": "y", "status": "completed"}},
                     "outputs": [{"name": "stdout", "output_type": "stream", "text": [f"saved {root}/results/figures/a.png\n", f"root {root}\n"]}],
                     "source": "x", "execution_count": 1}],
          "metadata": {"papermill": {"duration": 9.0, "start_time": "s", "end_time": "e", "input_path": "/tmp/x.ipynb", "parameters": {"a": 1}}},
          "nbformat": 4, "nbformat_minor": 5}
    one = stable_notebook(json.dumps(nb), root)
    nb["cells"][0]["id"], nb["metadata"]["papermill"]["duration"] = "zz9", 99.0
    assert stable_notebook(json.dumps(nb), root) == one
    out = json.loads(one)
    assert out["cells"][0]["id"] == "cell-000" and "execution" not in out["cells"][0]["metadata"]
    assert out["cells"][0]["metadata"]["papermill"] == {"status": "completed"} and out["metadata"]["papermill"] == {"parameters": {"a": 1}}
    assert out["cells"][0]["outputs"][0]["text"] == ["saved results/figures/a.png\n", "root .\n"] and str(root) not in one
