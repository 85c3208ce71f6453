"""slt_nb.progress: bars into the runner's log file (never the notebook's stderr) in headless runs, tqdm.auto otherwise."""

from __future__ import annotations

import pytest

from slt_nb.progress import PROGRESS_LOG, tqdm


@pytest.mark.parametrize("tqdm_disable", [None, "1"])
def test_headless_bars_go_to_the_log_file(tmp_path, monkeypatch, capfd, tqdm_disable):
    log = tmp_path / "logs" / "02_frame_statistics.progress.log"
    monkeypatch.setenv(PROGRESS_LOG, str(log))
    if tqdm_disable:
        monkeypatch.setenv("TQDM_DISABLE", tqdm_disable)  # what the runner sets for third-party bars
    assert sum(tqdm(range(5), desc="clips", unit="clip")) == 10
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = log.read_text(encoding="utf-8")
    assert "clips" in text and "5/5" in text


def test_interactive_bars_are_tqdm_auto(monkeypatch, capfd):
    monkeypatch.delenv(PROGRESS_LOG, raising=False)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    bar = tqdm(range(3), desc="x")
    assert type(bar).__module__.startswith("tqdm")
    list(bar)
    assert "3/3" in capfd.readouterr().err


def test_callers_can_still_disable(tmp_path, monkeypatch):
    log = tmp_path / "p.log"
    monkeypatch.setenv(PROGRESS_LOG, str(log))
    list(tqdm(range(3), disable=True))
    assert not log.exists() or log.read_text() == ""


@pytest.mark.parametrize("rel, want", [("data/synth/phoenix", "data/synth/phoenix"), (".", "."), (None, None)])
def test_paths_are_shown_relative_to_the_project(tmp_path, rel, want):
    from slt_nb.paths import shown

    target = tmp_path / rel if rel is not None else tmp_path.parent / "elsewhere"
    assert shown(target, root=tmp_path) == (want if want is not None else str(target))
