"""The runner's notebook order (slt_nb.after) and --set overrides."""

from __future__ import annotations

import re

import pytest

from slt_nb.cli import main as cli_main
from slt_nb.errors import SLTInputError
from slt_nb.notebook_graph import dependencies, list_notebooks
from slt_nb.runner import reproduce

HEADER = "# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n#     name: python3\n{extra}# ---\n\n"
BODY = '# %% tags=["parameters"]\nvalue = 1  # a number\nout = "out"  # where to write\n\n# %%\nfrom pathlib import Path\nPath(out).mkdir(exist_ok=True)\n' \
       '(Path(out) / "{name}.txt").write_text(str(value))\n'


def _nb(root, name, after=None):
    extra = "" if after is None else "#   slt_nb:\n#     after: [" + ", ".join(after) + "]\n"
    (root / "notebooks").mkdir(exist_ok=True)
    (root / "notebooks" / f"{name}.py").write_text(HEADER.format(extra=extra) + BODY.format(name=name))


def test_dependencies_default_to_every_earlier_notebook(tmp_path):
    _nb(tmp_path, "01_a")
    _nb(tmp_path, "02_b")
    _nb(tmp_path, "03_c", after=["01"])
    _nb(tmp_path, "04_d", after=["03_c", "02_b"])
    deps = dependencies(list_notebooks(tmp_path / "notebooks"))
    assert deps == {"01_a": [], "02_b": ["01_a"], "03_c": ["01_a"], "04_d": ["03_c", "02_b"]}
    # --only: dependencies outside the selection are not waited for
    assert dependencies(list_notebooks(tmp_path / "notebooks")[2:]) == {"03_c": [], "04_d": ["03_c"]}


def test_malformed_dependency_and_cycle_are_refused(tmp_path):
    _nb(tmp_path, "01_a", after=["data prep"])
    with pytest.raises(SLTInputError, match="not a notebook name"):
        dependencies(list_notebooks(tmp_path / "notebooks"))
    _nb(tmp_path, "01_a", after=["02_b"])
    _nb(tmp_path, "02_b")
    with pytest.raises(SLTInputError, match="cycle"):
        reproduce(None, root=tmp_path, jobs=2)


def test_two_jobs_run_every_notebook_and_set_overrides_the_params(tmp_path, monkeypatch, capfd):
    _nb(tmp_path, "01_a")
    _nb(tmp_path, "02_b", after=["01_a"])
    _nb(tmp_path, "03_c", after=["01_a"])
    (tmp_path / "p.yaml").write_text("value: 5\n")
    runtimes = reproduce("p.yaml", root=tmp_path, jobs=2, set_params={"value": 7})
    assert set(runtimes) == {"01_a", "02_b", "03_c"}
    assert [(tmp_path / "out" / f"{n}.txt").read_text() for n in ("01_a", "02_b", "03_c")] == ["7", "7", "7"]
    monkeypatch.setenv("SLT_NB_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    capfd.readouterr()
    assert cli_main(["reproduce", "--params", "p.yaml", "--only", "02_b", "--set", "value=12"]) == 0
    assert (tmp_path / "out" / "02_b.txt").read_text() == "12"
    out, err = capfd.readouterr()  # one line per notebook (name, status, seconds), then where the results are; no kernel chatter
    lines = out.strip().splitlines()
    assert len(lines) == 2 and re.fullmatch(r"slt-nb reproduce: \[1/1\] 02_b: ok, \d+\.\d s", lines[0]), out
    assert re.fullmatch(r"slt-nb reproduce: done in \d+ s; results: results/README.md", lines[1]) and "Kernel" not in out + err
    assert cli_main(["reproduce", "--params", "p.yaml", "--only", "02_b", "--set", "value=[1, 2]"]) == 2  # not the default's type (int)
    assert cli_main(["reproduce", "--only", "02_b", "--set", "novalue"]) == 2


BURN = '''# %% tags=["parameters"]
burn = 0.0  # CPU seconds spent by the kernel, and as many by a process it starts

# %%
import subprocess
import sys
import time

SPIN = "import time, sys\\nt0 = time.process_time()\\nwhile time.process_time() - t0 < float(sys.argv[1]): pass"
subprocess.run([sys.executable, "-c", SPIN, str(burn)], check=True)
t0 = time.process_time()
while time.process_time() - t0 < burn:
    pass
'''


def test_cpu_time_counts_the_kernel_and_its_workers(tmp_path):
    """cpu_times.json: each notebook's CPU seconds, its kernel's worker processes included (what a 2-core budget is spent on)."""
    import json

    (tmp_path / "notebooks").mkdir()
    for name, burn in (("01_idle", 0.0), ("02_busy", 0.8)):
        (tmp_path / "notebooks" / f"{name}.py").write_text(HEADER.format(extra="") + BURN.replace("burn = 0.0", f"burn = {burn}"))
    reproduce(None, root=tmp_path, jobs=1)
    cpu = json.loads((tmp_path / "results" / "cpu_times.json").read_text())
    assert set(cpu) == {"01_idle", "02_busy"}
    assert cpu["02_busy"] - cpu["01_idle"] > 1.2, cpu  # 0.8 s in the kernel + 0.8 s in its child process (either alone: 0.8)
    index = (tmp_path / "results" / "README.md").read_text()
    assert "| notebook | wall time (s) | CPU time (s) |" in index and f"| 02_busy |" in index
    assert f"together {round(cpu['01_idle'] + cpu['02_busy'], 1)} s" in index
