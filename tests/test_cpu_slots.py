"""CPU slots (slt_nb.cpu_slots): at most n holders across processes, priority, release on death, the runner's env."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slt_nb import cpu_slots
from slt_nb.cpu_slots import PRIORITY_ENV, SLOTS_ENV, cpu_slot, parse_spec, slots_spec
from slt_nb.errors import SLTInputError

SRC = str(Path(__file__).resolve().parents[1] / "src")

# A process that takes a slot, logs "<tag> got <monotonic>" / "<tag> off <monotonic>", holds it for HOLD seconds.
HOLDER = """
import sys, time
sys.path.insert(0, {src!r})
from slt_nb.cpu_slots import cpu_slot
spec, prio, tag, hold, log = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
with cpu_slot(spec, prio):
    with open(log, "a") as f:
        f.write(f"{{tag}} got {{time.monotonic()}}\\n")
    time.sleep(hold)
    with open(log, "a") as f:
        f.write(f"{{tag}} off {{time.monotonic()}}\\n")
"""


def _holder(tmp_path, spec, prio, tag, hold):
    script = tmp_path / "holder.py"
    if not script.exists():
        script.write_text(HOLDER.format(src=SRC))
    return subprocess.Popen([sys.executable, str(script), spec, str(prio), tag, str(hold), str(tmp_path / "log.txt")])


def _events(tmp_path):
    out = []
    for line in (tmp_path / "log.txt").read_text().splitlines():
        tag, what, t = line.split()
        out.append((float(t), what, tag))
    return sorted(out)


def _wait_for(tmp_path, n, timeout=20.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (tmp_path / "log.txt").exists() and sum(" got " in ln for ln in (tmp_path / "log.txt").read_text().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} holders got a slot in {timeout} s")


@pytest.mark.parametrize("spec, expected", [
    ("/tmp/slots:2", (Path("/tmp/slots"), 2)),
    ("/tmp/a:b/slots:16", (Path("/tmp/a:b/slots"), 16)),  # the last colon separates the count
    ("/tmp/slots", None),
    ("/tmp/slots:0", None),
    ("/tmp/slots:-1", None),
    ("/tmp/slots:two", None),
    (":2", None),
    ("", None),
])
def test_parse_spec(spec, expected):
    if expected is None:
        with pytest.raises(SLTInputError, match=SLOTS_ENV):
            parse_spec(spec)
    else:
        assert parse_spec(spec) == expected


@pytest.mark.parametrize("n", [0, -1, True, 1.5])
def test_slots_spec_refuses_a_non_positive_count(n):
    with pytest.raises(SLTInputError, match="positive integer"):
        slots_spec("/tmp/x", n)


def test_without_the_env_it_does_nothing(monkeypatch):
    monkeypatch.delenv(SLOTS_ENV, raising=False)
    with cpu_slot() as held:
        assert held is False
        assert cpu_slots._held["depth"] == 0


@pytest.mark.parametrize("n, holders", [(1, 3), (2, 4)])
def test_never_more_holders_than_slots(tmp_path, n, holders):
    spec = slots_spec(tmp_path / "slots", n)
    procs = [_holder(tmp_path, spec, 0, f"p{i}", 1.0) for i in range(holders)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    live, most = 0, 0
    for _, what, _ in _events(tmp_path):
        live += 1 if what == "got" else -1
        most = max(most, live)
    assert most == n
    assert sum(1 for e in _events(tmp_path) if e[1] == "got") == holders


def test_a_higher_priority_waiter_goes_first(tmp_path):
    spec = slots_spec(tmp_path / "slots", 1)
    with cpu_slot(spec, 0):  # this process holds the only slot until both waiters are registered
        low = _holder(tmp_path, spec, 10, "low", 0.1)
        high = _holder(tmp_path, spec, 500, "high", 0.1)
        t0 = time.monotonic()
        while len(list((tmp_path / "slots").glob("wait-*"))) < 2:
            assert time.monotonic() - t0 < 30, "the two waiters never registered"
            time.sleep(0.05)
    for p in (low, high):
        assert p.wait(timeout=60) == 0
    assert [tag for _, what, tag in _events(tmp_path) if what == "got"] == ["high", "low"]


def test_a_killed_holder_frees_its_slot_and_a_dead_waiter_is_ignored(tmp_path):
    spec = slots_spec(tmp_path / "slots", 1)
    stuck = _holder(tmp_path, spec, 0, "stuck", 600)
    _wait_for(tmp_path, 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ghost = tmp_path / "slots" / f"wait-999.0-{dead.pid}"  # a waiter that died before it got a slot
    ghost.touch()
    os.kill(stuck.pid, signal.SIGKILL)
    stuck.wait()
    t0 = time.monotonic()
    with cpu_slot(spec, 1.0) as held:
        assert held and cpu_slots._held["depth"] == 1
    assert time.monotonic() - t0 < 5
    assert not ghost.exists()
    assert cpu_slots._held["depth"] == 0


def test_nested_slots_in_one_process_hold_one_slot(tmp_path):
    spec = slots_spec(tmp_path / "slots", 1)  # one slot: a second acquisition would wait forever
    with cpu_slot(spec, 0):
        with cpu_slot(spec, 0) as again:
            assert again is True and cpu_slots._held["depth"] == 2
        assert cpu_slots._held["depth"] == 1
    assert cpu_slots._held["depth"] == 0
    assert not list((tmp_path / "slots").glob("wait-*"))


@pytest.mark.parametrize("raw", ["soon", "-3"])
def test_a_bad_priority_is_named(tmp_path, monkeypatch, raw):
    monkeypatch.setenv(PRIORITY_ENV, raw)
    with pytest.raises(SLTInputError, match="priority|not a number"):
        with cpu_slot(slots_spec(tmp_path / "slots", 1)):
            pass


def _depth_probe(*args, **kwargs):
    return cpu_slots._held["depth"]


@pytest.mark.parametrize("module, inner, call", [
    ("slt_nb.train.run", "_train_run", lambda m: m.train_run(object(), train=True)),
    ("slt_nb.train.predict", "_predict_run", lambda m: m.predict_run(object(), out_dir="x")),
    ("slt_nb.llava_slt.pipeline", "_pretrain", lambda m: m.pretrain({}, run_dir="x", t_max=1, llm=None, stage1=None, stage2=None)),
    ("slt_nb.llava_slt.pipeline", "_tune_variant", lambda m: m.tune_variant("main", None, pre={}, clips={}, record={}, run_dir="x",
                                                                             splits=("test",), seed=0, force=False, controls=None,
                                                                             precision="fp32", device="cpu", memory_budget_gb=None)),
])
def test_every_unit_of_heavy_compute_holds_a_slot(tmp_path, monkeypatch, module, inner, call):
    import importlib

    mod = importlib.import_module(module)
    monkeypatch.setattr(mod, inner, _depth_probe)
    monkeypatch.setenv(SLOTS_ENV, slots_spec(tmp_path / "slots", 1))
    assert call(mod) == 1  # the work ran inside a slot
    monkeypatch.delenv(SLOTS_ENV)
    assert call(mod) == 0


def test_train_run_that_only_looks_holds_no_slot(tmp_path, monkeypatch):
    import slt_nb.train.run as run

    monkeypatch.setattr(run, "_train_run", _depth_probe)
    monkeypatch.setenv(SLOTS_ENV, slots_spec(tmp_path / "slots", 1))
    assert run.train_run(object(), train=False) == 0


ENV_NB = ('# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n#     name: python3\n{extra}# ---\n\n'
          '# %% tags=["parameters"]\nout = "out"  # where to write\n\n# %%\nimport os\nfrom pathlib import Path\nPath(out).mkdir(exist_ok=True)\n'
          '(Path(out) / "{name}.txt").write_text(os.environ.get("{slots}", "-") + " " + os.environ.get("{prio}", "-"))\n')


@pytest.mark.parametrize("jobs, slots, expect", [
    (2, None, "auto"),  # the cores
    (2, 3, 3),
    (2, 0, None),
    (1, None, None),  # one notebook at a time: nothing to share
])
def test_runner_hands_every_notebook_the_slots_and_its_priority(tmp_path, jobs, slots, expect):
    from slt_nb.runner import reproduce

    (tmp_path / "notebooks").mkdir()
    for name, extra in (("01_a", ""), ("02_b", "#   slt_nb:\n#     after: [01_a]\n"), ("03_c", "#   slt_nb:\n#     after: [01_a]\n")):
        (tmp_path / "notebooks" / f"{name}.py").write_text(ENV_NB.format(extra=extra, name=name, slots=SLOTS_ENV, prio=PRIORITY_ENV))
    reproduce(None, root=tmp_path, jobs=jobs, cpu_slots=slots)
    got = {n: (tmp_path / "out" / f"{n}.txt").read_text().split() for n in ("01_a", "02_b", "03_c")}
    if expect is None:
        assert all(v == ["-", "-"] for v in got.values()), got
        return
    n = len(os.sched_getaffinity(0)) if expect == "auto" else expect
    specs = {v[0] for v in got.values()}
    assert len(specs) == 1 and parse_spec(specs.pop())[1] == n  # one folder shared by every notebook
    prio = {k: float(v[1]) for k, v in got.items()}
    assert prio["01_a"] > prio["02_b"] > 0 and prio["01_a"] > prio["03_c"] > 0  # the chain through 01 is the longest


def test_runner_refuses_negative_slots(tmp_path):
    from slt_nb.runner import reproduce

    with pytest.raises(SLTInputError, match="cpu_slots"):
        reproduce(None, root=tmp_path, jobs=2, cpu_slots=-1)
