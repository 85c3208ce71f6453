"""The paper's frame sampler (Sec 3.3) with known values, and decoding only the sampled frames."""

import json

import numpy as np
import pytest

from slt_nb.data.frames import count_frames, decode_frames, sample_indices, segment_range
from slt_nb.errors import SLTInputError

# (T, T_max, expected indices) — worked by hand from f_i = floor((i+1)·T/T_max) − 1.
SAMPLER_CASES = [
    (10, 4, [1, 4, 6, 9]),
    (100, 3, [32, 65, 99]),
    (128, 64, list(range(1, 128, 2))),
    (65, 64, list(range(0, 63)) + [64]),
    (64, 64, list(range(64))),  # T <= T_max: every frame
    (5, 64, [0, 1, 2, 3, 4]),
    (1, 1, [0]),
    (7, 1, [6]),
    (475, 64, [((i + 1) * 475) // 64 - 1 for i in range(64)]),  # PHOENIX's longest clip
]


@pytest.mark.parametrize("total,t_max,expected", SAMPLER_CASES)
def test_sampler_known_values(total, t_max, expected):
    assert sample_indices(total, t_max) == expected


@pytest.mark.parametrize("total,t_max", [(10, 4), (475, 64), (1000, 256), (300, 7)])
def test_sampler_properties(total, t_max):
    idx = sample_indices(total, t_max)
    assert len(idx) == t_max
    assert idx[-1] == total - 1  # the last frame is always kept
    assert all(b > a for a, b in zip(idx, idx[1:]))  # strictly increasing: no duplicates
    assert 0 <= idx[0]


@pytest.mark.parametrize("total,t_max", [(0, 4), (-3, 4), (10, 0), (10, -1), (2.5, 4), (10, True)])
def test_sampler_rejects_bad_input(total, t_max):
    with pytest.raises(SLTInputError):
        sample_indices(total, t_max)


def test_cli_sample_frames(capsys):
    from slt_nb.cli import main

    assert main(["sample-frames", "--total", "10", "--max", "4"]) == 0
    assert json.loads(capsys.readouterr().out) == [1, 4, 6, 9]


def test_decode_frame_folder_only_requested(ramp_folder):
    assert count_frames(ramp_folder, "frames") == (10, None)
    frames = decode_frames(ramp_folder, "frames", [1, 4, 6, 9])
    assert frames.shape == (4, 32, 32, 3) and frames.dtype == np.uint8
    full = decode_frames(ramp_folder, "frames", list(range(10)))
    assert np.array_equal(frames, full[[1, 4, 6, 9]])


def test_decode_video_sampled(ramp_video):
    n, fps = count_frames(ramp_video, "video")
    assert n == 40 and fps == pytest.approx(25.0)
    frames = decode_frames(ramp_video, "video", [0, 20, 39])
    assert frames.shape[0] == 3
    means = frames.reshape(3, -1).mean(axis=1)
    assert means[0] < means[1] < means[2]  # the brightness ramp: the right frames came back


def test_decode_video_segment(ramp_video):
    # seconds 0.4-1.2 at 25 fps = frames 10..29
    assert segment_range(40, 25.0, 0.4, 1.2) == (10, 20)
    assert segment_range(40, 25.0, 1.0, 99.0) == (25, 15)  # clipped at the video's end
    assert count_frames(ramp_video, "video", start=0.4, end=1.2)[0] == 20
    seg = decode_frames(ramp_video, "video", [0], start=0.4, end=1.2)
    whole = decode_frames(ramp_video, "video", [10])
    assert np.abs(seg.astype(int) - whole.astype(int)).max() <= 2


@pytest.mark.parametrize(
    "make,kind,match",
    [
        (lambda p: p / "missing", "frames", "frame folder not found"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "frames", "no images"),
        (lambda p: p / "missing.mp4", "video", "video file not found"),
        (lambda p: (p / "bad.mp4").write_bytes(b"not a video at all") and p / "bad.mp4", "video", "corrupt"),
    ],
)
def test_bad_clips_name_the_file(tmp_path, make, kind, match):
    path = make(tmp_path)
    with pytest.raises(SLTInputError, match=match) as err:
        count_frames(path, kind, sample="clip-7")
    assert str(path) in str(err.value) and "clip-7" in str(err.value)


def test_index_out_of_range(ramp_folder):
    with pytest.raises(SLTInputError, match="outside"):
        decode_frames(ramp_folder, "frames", [10])
