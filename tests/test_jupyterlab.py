"""JupyterLab as a user meets it: .py notebooks open as notebooks, and an unchanged notebook saves byte-identical.

Both go through what Lab itself uses: the Jupyter server's settings API (the double-click viewer) and
Jupytext's contents manager (Ctrl+S), with the project's configs/jupyterlab/overrides.json and jupytext.toml.
"""

from __future__ import annotations

import json
import shutil
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from jupytext_roundtrip import roundtrip  # noqa: E402
from lab_check import _free_port, _start_lab  # noqa: E402


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab server as `make lab` starts it (the venv's jupyter, repo root), on a free local port
    (the same start-up as tools/lab_check.py)."""
    port, token = _free_port(), "slt-nb-test"
    proc = _start_lab(port, token)
    base = f"http://127.0.0.1:{port}"
    try:
        yield lambda path: json.loads(urllib.request.urlopen(f"{base}{path}?token={token}", timeout=10).read())
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_double_click_opens_py_notebooks_as_notebooks(lab):
    s = lab("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    # overrides.json becomes the schema default; a user's own setting (none here) would win over it
    assert s["schema"]["properties"]["defaultViewers"]["default"]["python"] == "Jupytext Notebook"
    assert s["settings"].get("defaultViewers", {}).get("python", "Jupytext Notebook") == "Jupytext Notebook"
    contents = lab("/api/contents/notebooks/02_frame_statistics.py")
    assert contents["type"] == "notebook"  # jupytext's contents manager serves the .py as a notebook
    assert any("parameters" in c["metadata"].get("tags", []) for c in contents["content"]["cells"])


def test_every_notebook_saves_byte_identical():
    assert roundtrip(ROOT, check=True) == []


@pytest.mark.parametrize("edit, why", [
    (("display_name: Python 3 (ipykernel)", "display_name: Python 3"), "kernel display name"),
    (("#     after:\n#     - 01_data_prep\n", "#     after: [01_data_prep]  # inputs\n"), "flow list with a comment"),
])
def test_a_header_lab_would_rewrite_is_caught(tmp_path, edit, why):
    shutil.copy2(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    nb = tmp_path / "notebooks" / "02_frame_statistics.py"
    text = nb.read_text(encoding="utf-8")
    assert edit[0] in text, why
    nb.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    assert roundtrip(tmp_path, check=True) == ["02_frame_statistics.py"]
