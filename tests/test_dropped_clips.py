"""The Figure 2 strip: the no-person rows of a filtered file, drawn; bad files named by line."""

import json

import numpy as np
import pytest

from slt_nb.errors import SLTInputError
from slt_nb.report.dropped_clips import dropped_rows, dropped_strip, dropped_strip_for
from slt_nb.synth.media import write_mp4


def _clip(path, n, value):
    frames = np.full((n, 32, 96, 3), value, dtype=np.uint8)  # (T, H, W, 3)
    write_mp4(path, frames, fps=25)
    return str(path)


def _record(tmp_path, rows):
    f = tmp_path / "isign.filtered.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return {"name": "isign", "label": "iSign (synthetic)", "filtered": str(f)}


@pytest.mark.parametrize(
    "reasons, expected_ids",
    [
        (["no_person_detected", "invalid_translation", "no_person_detected"], ["c0", "c2"]),
        (["invalid_translation"], []),
        ([], []),
    ],
)
def test_rows_of_one_reason_in_file_order(tmp_path, reasons, expected_ids):
    rows = [{"id": f"c{i}", "text": "t", "n_frames": 8, "reason": r, "source": "x.mp4", "source_kind": "video"} for i, r in enumerate(reasons)]
    assert [r["id"] for r in dropped_rows(_record(tmp_path, rows))] == expected_ids


def test_no_filtered_file_means_no_rows():
    assert dropped_rows({"name": "phoenix", "filtered": None}) == []


def test_bad_line_and_old_rows_are_named(tmp_path):
    f = tmp_path / "isign.filtered.jsonl"
    f.write_text('{"id": "a", "reason": "no_person_detected", "source": "x"}\n{oops\n', encoding="utf-8")
    with pytest.raises(SLTInputError, match=r"filtered.jsonl:2: not a JSON line"):
        dropped_rows({"filtered": str(f)})
    f.write_text('{"id": "a", "text": "t", "n_frames": 4, "reason": "no_person_detected"}\n', encoding="utf-8")
    with pytest.raises(SLTInputError, match="rerun 01_data_prep"):
        dropped_rows({"filtered": str(f)})


def test_strip_has_a_row_per_clip_and_the_frames(tmp_path):
    rows = [{"id": f"c{i}", "text": f"sentence {i}", "n_frames": 10, "reason": "no_person_detected",
             "source": _clip(tmp_path / f"c{i}.mp4", 10, 40 * i), "source_kind": "video"} for i in range(4)]
    fig = dropped_strip(rows, title="t", k=3, frames_per_clip=5)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 15  # 3 clips x 5 frames
    assert images[5].images[0].get_array().mean() == pytest.approx(40, abs=3)  # second clip's frames (value 40)
    path = dropped_strip_for(_record(tmp_path, rows), tmp_path / "fig", k=2, frames_per_clip=3)
    assert path.name == "figure2_no_person_isign.png" and path.stat().st_size > 0
    assert dropped_strip_for(_record(tmp_path, []), tmp_path / "fig") is None


def test_a_missing_clip_is_an_input_error_naming_it(tmp_path):
    rows = [{"id": "gone", "text": "t", "n_frames": 5, "reason": "no_person_detected", "source": str(tmp_path / "gone.mp4"), "source_kind": "video"}]
    with pytest.raises(SLTInputError, match="gone"):
        dropped_strip(rows, title="t")
