"""Synthetic corpus: CPU per clip of rendering and of each x264 preset, side by side (what 01_data_prep spends).

The same rendered clips (How2Sign-style English, 80x96, the default's size) are encoded with each
preset through the generator's own writer (slt_nb.synth.media.write_mp4 with its options swapped),
then decoded back with the loaders' decoder; CPU time of this process and of the ffmpeg children.

    python benchmarks/bench_synth.py [--clips 24]
"""

from __future__ import annotations

from slt_nb.bench import cli

PRESETS = ("fast", "ultrafast")  # "fast": the generator's setting until Dec 2026; "ultrafast": now (slt_nb.synth.media.MP4_OPTIONS)


def _cpu() -> float:
    import os

    t = os.times()
    return t.user + t.system + t.children_user + t.children_system  # ffmpeg runs as a child process


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=24, help="clips rendered and encoded with each preset")
    args = p.parse_args(argv)
    cli.start(args)

    import tempfile
    from pathlib import Path
    from unittest import mock

    import numpy as np

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import BenchTable, emit
    from slt_nb.data.frames import decode_frames
    from slt_nb.synth import media
    from slt_nb.synth.grammar import Grammar
    from slt_nb.synth.render import render_clip
    from slt_nb.synth.signer import make_signers
    from slt_nb.synth.signs import SignBook

    grammar = Grammar("en", 1.1)
    book, signers = SignBook(grammar.vocabulary(), (6, 10)), make_signers(5, np.random.default_rng(args.seed))
    rng = np.random.default_rng(args.seed)
    vocab = grammar.vocabulary()
    t0 = _cpu()
    clips = [render_clip([vocab[j] for j in rng.integers(0, len(vocab), 8)], signers[i % 5], np.random.default_rng([args.seed, i]), 80, 96, book)
             for i in range(args.clips)]  # each (T, 96, 80, 3) uint8
    render_ms = (_cpu() - t0) / args.clips * 1000
    table = BenchTable("synth_encode", "Synthetic corpus: CPU per clip, rendering and x264 presets (80x96, 8 signs)",
                       ["step", "preset", "ms CPU / clip", "KB / clip", "decode ms / clip", "encode speed-up"])
    table.add(**{"step": "render", "preset": "—", "ms CPU / clip": render_ms})
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for preset in PRESETS:
            options = tuple(preset if o in PRESETS else o for o in media.MP4_OPTIONS)  # the generator's options, this preset
            paths = [Path(tmp) / f"{preset}-{i}.mp4" for i in range(args.clips)]
            with mock.patch.object(media, "MP4_OPTIONS", options):
                t0 = _cpu()
                for path, frames in zip(paths, clips):
                    media.write_mp4(path, frames, 24)
                enc = (_cpu() - t0) / args.clips * 1000
            t0 = _cpu()
            for path, frames in zip(paths, clips):
                decode_frames(path, "video", list(range(len(frames))))
            dec = (_cpu() - t0) / args.clips * 1000
            base = base or enc
            table.add(**{"step": "encode mp4", "preset": preset, "ms CPU / clip": enc, "KB / clip": sum(p.stat().st_size for p in paths) / args.clips / 1024,
                         "decode ms / clip": dec, "encode speed-up": base / enc})
    table.notes = [f"{args.clips} clips of 8 random How2Sign-lexicon signs each; CRF 14, yuv420p, one x264 thread (slt_nb.synth.media.MP4_OPTIONS)",
                   "CPU = this process + its ffmpeg children (os.times); decode: every frame with the loaders' decord path",
                   "01_data_prep renders and encodes every clip of the three mp4 corpora (How2Sign, OpenASL, iSign: ~1,500 clips in the default)"]
    table.header = machine_header("cpu")
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
