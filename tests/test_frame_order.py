"""Frame folders are read in frame-number order (natural sort), or refused when the names cannot say it (issue 13, item 2)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from slt_nb.data.frame_order import name_key, order_frame_files
from slt_nb.data.frames import count_frames, decode_frames, list_frame_files
from slt_nb.errors import SLTInputError

CASE = Path(__file__).parent / "data" / "cases" / "frames-unpadded-names"  # frame1.png ... frame12.png, pixel value 10 x n


def test_translate_reads_the_unpadded_case_in_frame_order():
    """The field case: `slt-nb translate` with T_max 4 read frames 11, 3, 6, 9; right: 3, 6, 9, 12."""
    from slt_nb.translate import load_user_clip

    ex = load_user_clip(CASE, 4, "prompt")
    assert ex["frames_indices"] == [2, 5, 8, 11] and ex["total_frames"] == 12
    assert [int(f[0, 0, 0]) for f in ex["frames"]] == [30, 60, 90, 120]


def test_every_frame_of_the_case_in_order():
    assert [p.name for p in list_frame_files(CASE)] == [f"frame{i}.png" for i in range(1, 13)]
    frames = decode_frames(CASE, "frames", list(range(12)))
    assert frames[:, 0, 0, 0].tolist() == [10 * i for i in range(1, 13)]


# names (in the order the folder lists them) -> frame order
ORDER_CASES = [
    (["frame10.png", "frame2.png", "frame1.png"], ["frame1.png", "frame2.png", "frame10.png"]),
    (["images0003.png", "images0001.png", "images0002.png"], ["images0001.png", "images0002.png", "images0003.png"]),  # PHOENIX: unchanged
    (["000010.jpg", "000009.jpg", "000100.jpg"], ["000009.jpg", "000010.jpg", "000100.jpg"]),  # CSL-Daily style
    (["9.png", "10.png", "100.png", "11.png"], ["9.png", "10.png", "11.png", "100.png"]),
    (["clip3_f10.png", "clip3_f9.png"], ["clip3_f9.png", "clip3_f10.png"]),  # a constant number before the frame number
    (["s2_f1.png", "s1_f2.png", "s1_f1.png"], ["s1_f1.png", "s1_f2.png", "s2_f1.png"]),  # several numbers: tuple order
    (["f2.jpg", "f1.png", "f10.webp"], ["f1.png", "f2.jpg", "f10.webp"]),  # the suffix is not part of the name
    (["only.png"], ["only.png"]),  # one image: in order, numbered or not
]


@pytest.mark.parametrize("names,expected", ORDER_CASES)
def test_natural_order(names, expected):
    assert [p.name for p in order_frame_files([Path("clip") / n for n in names])] == expected


# names that do not give one order -> words of the error
REFUSED_CASES = [
    (["frame1.png", "img2.png"], "different name patterns"),  # mixed prefixes
    (["Frame1.png", "frame2.png"], "different name patterns"),  # case differs
    (["frame1.png", "frame2.png", "frame.png"], "different name patterns"),  # a name without a number among numbered ones
    (["frame1.png", "frame1a.png"], "different name patterns"),
    (["img01.png", "img1.png"], "same frame number"),  # the same number, padded differently
    (["frame1.png", "frame1.jpg"], "same frame number"),  # the same frame in two formats
    (["a.png", "b.png"], "none of the 2 images carries a frame number"),
]


@pytest.mark.parametrize("names,needle", REFUSED_CASES)
def test_ambiguous_names_are_refused_naming_the_folder(tmp_path, names, needle):
    for n in names:
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / n)
    with pytest.raises(SLTInputError, match=needle) as err:
        count_frames(tmp_path, "frames", sample="clip-1")
    msg = str(err.value)
    assert str(tmp_path) in msg and "clip-1" in msg and "\n" not in msg
    with pytest.raises(SLTInputError, match=needle):
        decode_frames(tmp_path, "frames", [0])


def test_hidden_files_are_not_frames(tmp_path):
    shutil.copytree(CASE, tmp_path / "clip")
    (tmp_path / "clip" / "._frame1.png").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    assert count_frames(tmp_path / "clip", "frames") == (12, None)


def test_name_key():
    assert name_key("frame12") == (("frame", ""), (12,))
    assert name_key("images0001") == (("images", ""), (1,))
    assert name_key("a") == (("a",), ())


def test_training_checks_the_frame_order_before_it_starts(tmp_path):
    """check_sources (before any training step) lists folders as every reader does: an unorderable one stops it."""
    from slt_nb.data.manifest import Sample
    from slt_nb.train.run_plan import check_sources

    shutil.copytree(CASE, tmp_path / "ok")
    shutil.copytree(CASE, tmp_path / "bad")
    shutil.copy(CASE / "frame1.png", tmp_path / "bad" / "frame01.png")
    mk = lambda name: Sample(id=name, dataset="phoenix", split="train", source=str(tmp_path / name), source_kind="frames", n_frames=12, fps=25.0, text="a .")
    check_sources([mk("ok")])
    with pytest.raises(SLTInputError, match="'frame01.png' and 'frame1.png' carry the same frame number"):
        check_sources([mk("ok"), mk("bad")])
