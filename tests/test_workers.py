"""Workers die with their parent (slt_nb.workers); Ctrl-C or SIGTERM of ``slt-nb reproduce`` is one line.

Each test starts a real process tree and kills its root: a pool (spawn, as for training; fork, as the synth
renderer's real pool), and ``slt-nb reproduce`` whose kernel runs a pool of its own (a notebook that trains
in workers), with its notebooks in worker processes (``--jobs 2``) or in the runner (``--jobs 1``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

POOL_SCRIPT = textwrap.dedent('''
    import os, sys, time
    from pathlib import Path

    def sleeper(task):
        Path(sys.argv[1]).write_text(str(os.getpid()))
        time.sleep(120)
        return 0

    if __name__ == "__main__":
        if sys.argv[2] == "synth":  # the synth writer's own pool (fork), its task swapped for one that sleeps
            import slt_nb.synth.write as w
            w._render_and_write = sleeper
            list(w._render_all([None] * 4, workers=2, desc="", progress=False))
        else:
            from slt_nb.workers import worker_pool
            with worker_pool(1, start_method=sys.argv[2]) as ex:
                ex.submit(sleeper, None).result()
''')


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by whoever adopted it, counts as gone)."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.time()
    while not (path.exists() and path.read_text().strip()):
        assert proc.poll() is None, f"exited with {proc.returncode} before {path.name} appeared"
        assert time.time() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


def _gone_within(pids, seconds: float) -> list[int]:
    t0 = time.time()
    while any(_alive(p) for p in pids) and time.time() - t0 < seconds:
        time.sleep(0.1)
    alive = [p for p in pids if _alive(p)]
    for p in alive:  # do not leave them behind when the test fails
        os.kill(p, signal.SIGKILL)
    return alive


@pytest.mark.parametrize("method", ["spawn", "synth"])
def test_a_pool_worker_dies_with_its_killed_parent(tmp_path, method):
    script, pid_file = tmp_path / "pool.py", tmp_path / "worker.pid"
    script.write_text(POOL_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), str(pid_file), method])  # no pipes: a surviving worker would hold them
    _wait_for(pid_file, parent)
    worker = int(pid_file.read_text())
    children = _children(parent.pid)  # the busy worker, an idle one, the resource tracker
    assert worker in children
    parent.kill()  # kill -9: no handler, no cleanup in the parent
    parent.wait(10)
    assert _gone_within(children, 5) == []


NOTEBOOK = '''# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
value = 1

# %%
import os, time
from pathlib import Path
from slt_nb.workers import worker_pool

with worker_pool(1) as ex:  # as 03/04 train in workers
    pids = [os.getpid(), ex.submit(os.getpid).result()]
    ex.submit(time.sleep, 120)
    Path("pids.txt").write_text(" ".join(map(str, pids)))
    time.sleep(120)
'''


@pytest.mark.parametrize(
    "jobs, sig, rc, last_line",
    [
        (2, signal.SIGKILL, -signal.SIGKILL, None),
        (1, signal.SIGINT, 130, "slt-nb reproduce: interrupted"),
        (2, signal.SIGTERM, 143, "slt-nb reproduce: terminated"),
    ],
    ids=["jobs2-kill-9", "jobs1-ctrl-c", "jobs2-sigterm"],
)
def test_reproduce_killed_or_interrupted_leaves_no_process_and_one_line(tmp_path, jobs, sig, rc, last_line):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_sleep.py").write_text(NOTEBOOK)
    env = {**os.environ, "SLT_NB_ROOT": str(tmp_path)}
    err_file = tmp_path / "stderr.txt"  # a file, not a pipe: processes left behind would keep a pipe open
    run = subprocess.Popen([sys.executable, "-m", "slt_nb", "reproduce", "--params", "", "--jobs", str(jobs)], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=err_file.open("w"), start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal, not a background job
    _wait_for(tmp_path / "pids.txt", run)
    kernel, trainer = map(int, (tmp_path / "pids.txt").read_text().split())
    tree = [*_children(run.pid), kernel, *_children(kernel)]  # the runner's workers, the kernel, its pool's worker
    assert trainer in tree
    if sig == signal.SIGINT:
        os.killpg(run.pid, sig)  # Ctrl-C reaches the terminal's whole foreground process group
    else:
        os.kill(run.pid, sig)
    try:
        assert run.wait(60) == rc
    finally:
        assert _gone_within(tree, 5) == []
    if last_line:
        err = err_file.read_text()
        lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip() and not line.startswith("notebooks:")]
        assert lines == [last_line]  # no traceback, from the runner, its workers or the kernel
