"""Clips that cannot be decoded: `slt-nb stats --decode` lists every one, decoding errors are one line
naming the clip, and the decoders' own stderr lines are silenced (issue 13, item 4 and "Bad input gets one line")."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from realfmt import phoenix_csv, phoenix_frames, phoenix_row, write_phoenix, write_pngs
from slt_nb.cli import main
from slt_nb.data.decode_check import check_decodable
from slt_nb.data.frames import DECORD_MIN_SAFE_WIDTH, decode_frames, list_frame_files
from slt_nb.data.manifest import Sample
from slt_nb.errors import SLTInputError

CASES = Path(__file__).parent / "data" / "cases"
OPENASL_IDS = {"yt0000001.mp4": "yt0000001-00:00:01.000-00:00:05.000", "yt0000003-corrupt.mp4": "yt0000003-00:00:20.000-00:00:24.000"}


@pytest.fixture
def openasl_case(tmp_path):
    """The case `openasl-corrupt-packets` as released: the TSV and clips/<vid>.mp4 (the second one's packets fail)."""
    root = tmp_path / "openasl"
    (root / "clips").mkdir(parents=True)
    shutil.copy(CASES / "openasl-corrupt-packets" / "openasl-v1.0.tsv", root)
    for stored, vid in OPENASL_IDS.items():
        shutil.copy(CASES / "openasl-corrupt-packets" / "clips" / stored, root / "clips" / f"{vid}.mp4")
    return root


def _mp4(path: Path, width: int, n: int = 4, height: int = 32) -> Path:
    """An n-frame H.264 mp4 exactly ``width`` pixels wide (no macro-block rounding)."""
    import imageio.v3 as iio

    iio.imwrite(path, np.full((n, height, width, 3), 100, np.uint8), fps=25, codec="libx264", macro_block_size=1,
                pixelformat="yuv420p", ffmpeg_log_level="error")
    return path


def _stats(capsys, *args):
    rc = main(["stats", *args])
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.startswith("slt-nb stats:")]
    return rc, cap.out, lines


def test_openasl_corrupt_packets_fail_stats_decode(openasl_case, capsys):
    # without --decode the clip is counted from its index (100 frames), as before: a count, not a check
    rc, out, _ = _stats(capsys, "--dataset", "openasl", "--root", str(openasl_case), "--split", "test")
    assert rc == 0 and '"total_videos": 2' in out
    rc, out, lines = _stats(capsys, "--dataset", "openasl", "--root", str(openasl_case), "--split", "test", "--decode")
    assert rc == 2 and out == ""
    assert len(lines) == 2, lines  # one line for the bad clip, one summary
    bad, summary = lines
    assert "openasl-v1.0.tsv:3" in bad and "yt0000003-00:00:20.000-00:00:24.000" in bad  # file, row, sample
    assert "corrupt video data: the decoder rejected a packet" in bad
    assert "yt0000001" not in bad
    assert "1 of 2 clips cannot be decoded" in summary


def _bad_phoenix(root: Path) -> dict:
    """A PHOENIX tree whose train split holds one good clip and four broken ones: -> (line, sample, needle)."""
    base = root / "PHOENIX-2014-T"
    write_phoenix(root)
    csv = phoenix_csv(base, "train")
    broken = {}

    def add(name, n, needle, spoil):
        line = len(csv.read_text(encoding="utf-8").splitlines()) + 1
        csv.write_text(csv.read_text(encoding="utf-8") + phoenix_row(name) + "\n", encoding="utf-8")
        folder = write_pngs(phoenix_frames(base, "train", name), n)
        spoil(folder)
        broken[name] = (line, needle)

    png = (lambda f, i: f / f"images{i:04d}.png")
    add("empty-1", 5, "empty file (0 bytes)", lambda f: png(f, 2).write_bytes(b""))
    add("fake-2", 5, "not a readable image", lambda f: png(f, 3).write_text("not a png", encoding="utf-8"))
    add("truncated-3", 5, "not a readable image", lambda f: png(f, 5).write_bytes(png(f, 5).read_bytes()[:40]))
    add("sizes-4", 5, "frame images differ in size: images0001.png is 32x32 px, images0004.png is 16x24 px",
        lambda f: Image.fromarray(np.zeros((24, 16, 3), np.uint8)).save(png(f, 4)))
    return broken


def test_broken_frame_images_fail_stats_decode_each_named(tmp_path, capsys):
    broken = _bad_phoenix(tmp_path)
    rc, out, _ = _stats(capsys, "--dataset", "phoenix", "--root", str(tmp_path))
    assert rc == 0 and '"total_videos": 6' in out  # counted, not decoded
    rc, out, lines = _stats(capsys, "--dataset", "phoenix", "--root", str(tmp_path), "--decode")
    assert rc == 2 and out == ""
    assert len(lines) == len(broken) + 1, lines
    for (name, (line, needle)), msg in zip(broken.items(), lines):
        assert f"PHOENIX-2014-T.train.corpus.csv:{line}" in msg and f"sample {name!r}" in msg and needle in msg, msg
    assert "4 of 6 clips cannot be decoded" in lines[-1]


def test_stats_decode_passes_good_data_and_says_what_it_read(tmp_path, capsys):
    write_phoenix(tmp_path)
    import json

    for args, read, frames in ((["--decode"], "the frames the sampler picks at t_max 64", 9), (["--decode", "all"], "every frame", 9),
                               (["--decode", "--t-max", "2"], "the frames the sampler picks at t_max 2", 4)):
        rc, out, lines = _stats(capsys, "--dataset", "phoenix", "--root", str(tmp_path), *args)
        assert rc == 0 and lines == []
        assert json.loads(out)["decoded"] == {"clips": 2, "frames": frames, "failed_clips": 0, "frames_read": read}


def test_sampled_mode_reads_only_what_the_run_reads(tmp_path):
    """A broken frame the sampler skips does not fail ``sampled``; ``all`` finds it."""
    folder = write_pngs(tmp_path / "clip", 10)
    (folder / "images0001.png").write_bytes(b"")  # sample_indices(10, 4) == [1, 4, 6, 9]: frame 0 is never read
    s = Sample(id="c", dataset="phoenix", split="train", source=str(folder), source_kind="frames", n_frames=10, fps=25.0, text="a .")
    assert check_decodable([s], frames="sampled", t_max=4, progress=False).failures == []
    fails = check_decodable([s], frames="all", t_max=4, progress=False).failures
    assert len(fails) == 1 and "images0001.png" in str(fails[0]) and "empty file" in str(fails[0])


def test_frame_folder_of_two_sizes_is_one_line_naming_folder_and_sizes(tmp_path):
    folder = write_pngs(tmp_path / "clip", 3)
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(folder / "images0003.png")
    with pytest.raises(SLTInputError) as err:
        decode_frames(folder, "frames", [0, 1, 2], sample="clip-9")
    msg = str(err.value)
    assert msg.startswith(f"{folder}, sample 'clip-9': frame images differ in size: images0001.png is 32x32 px, images0003.png is 30x20 px")
    assert "\n" not in msg


@pytest.mark.parametrize("width", [48, 72, 16])
def test_video_width_decord_misreads_gets_our_message(tmp_path, width):
    path = _mp4(tmp_path / "narrow.mp4", width)
    with pytest.raises(SLTInputError) as err:
        decode_frames(path, "video", [0, 3], sample="n")
    msg = str(err.value)
    assert f"width {width} px not supported by the decoder" in msg and f"at least {DECORD_MIN_SAFE_WIDTH} px" in msg and str(path) in msg


@pytest.mark.parametrize("width", [DECORD_MIN_SAFE_WIDTH + 1, 96])  # widths at and above the minimum decode (yuv420p: even widths)
def test_widths_from_the_minimum_decode(tmp_path, width):
    path = _mp4(tmp_path / "ok.mp4", width)
    assert decode_frames(path, "video", [0, 3]).shape == (2, 32, width, 3)


def test_decoder_chatter_is_silenced(openasl_case, capfd):
    clip = openasl_case / "clips" / "yt0000003-00:00:20.000-00:00:24.000.mp4"
    with pytest.raises(SLTInputError, match="corrupt video data"):
        decode_frames(clip, "video", list(range(0, 100, 10)), sample="x")
    err = capfd.readouterr().err
    assert "h264" not in err and "NAL" not in err, err  # ffmpeg's "[h264 @ 0x...] Invalid NAL unit size" lines


def test_mediapipe_chatter_is_silenced(capfd):
    from slt_nb.data.person import MediaPipePose

    MediaPipePose().has_person(np.zeros((2, 64, 64, 3), np.uint8))
    err = capfd.readouterr().err
    assert "XNNPACK" not in err and "inference_feedback_manager" not in err, err


def test_a_mediapipe_detector_that_is_made_but_not_used_prints_nothing_later(capfd):
    """The parent of the person-looking workers makes a detector and never runs it: mediapipe opens its graph on a
    thread of its own after Pose() returns, and printed the XNNPACK line into 01's notebook then."""
    import time

    from slt_nb.data.person import MediaPipePose

    MediaPipePose()
    time.sleep(0.5)
    err = capfd.readouterr().err
    assert "XNNPACK" not in err and "inference_feedback_manager" not in err, err


def test_quiet_native_stderr_restores_fd2_and_nests(capfd):
    import os

    from slt_nb.data.quiet import quiet_native_stderr

    with quiet_native_stderr():
        os.write(2, b"native chatter\n")
        with quiet_native_stderr():
            os.write(2, b"nested chatter\n")
        os.write(2, b"still inside\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_dataloader_worker_error_stays_one_line(tmp_path):
    """A decode error in a DataLoader worker comes back as torch's "Caught ... Original Traceback" text: one line here."""
    import torch

    folder = write_pngs(tmp_path / "clip", 2)
    (folder / "images0002.png").write_bytes(b"")

    class Clips(torch.utils.data.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return torch.from_numpy(decode_frames(folder, "frames", [0, 1], sample="w-1"))

    with pytest.raises(SLTInputError) as err:
        next(iter(torch.utils.data.DataLoader(Clips(), num_workers=1, multiprocessing_context="fork")))
    msg = str(err.value)
    assert "\n" not in msg and "Traceback" not in msg
    assert "images0002.png" in msg and "sample 'w-1'" in msg and "empty file (0 bytes)" in msg and "DataLoader worker process 0" in msg


def test_list_frame_files_shared_by_readers():
    """The ordering is the one every reader uses (count, decode, translate): the unpadded case has 12 frames in order."""
    assert [p.stem for p in list_frame_files(CASES / "frames-unpadded-names")][-3:] == ["frame10", "frame11", "frame12"]
