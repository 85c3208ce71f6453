"""Data path: sampled-frame decoding vs decoding every frame; loader (decode + collate) vs training step.

Corpora (generated under --data, cached): synthetic PHOENIX (PNG folders) and How2Sign (mp4) at
the generator's default sizes, plus copies at the real datasets' frame sizes (PHOENIX 210x260 PNG,
How2Sign 1280x720 mp4).

    python benchmarks/bench_data_path.py
"""

from __future__ import annotations

from slt_nb.bench import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--t-max", type=int, default=64, help="frame budget T_max (paper: 64)")
    p.add_argument("--clips", type=int, default=8, help="clips per corpus for decoding (and for the tiny loaders)")
    p.add_argument("--real-clips", type=int, default=3, help="clips per real-resolution corpus / real-size processor")
    p.add_argument("--mfu", type=float, default=None, help="assumed MFU of the projected real GPU step (default: data_path.ASSUMED_MFU)")
    args = p.parse_args(argv)
    cli.start(args)

    from pathlib import Path

    from slt_nb.bench.corpus import ensure_corpus, load_samples, rescaled_copy
    from slt_nb.bench.data_path import ASSUMED_MFU, collate_table, decode_table, real_loader_row, tiny_loader_row
    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import emit
    from slt_nb.train.prompts import prompt_for

    mfu = args.mfu or ASSUMED_MFU
    quiet = args.quiet
    phoenix = load_samples(ensure_corpus(args.data, "phoenix", seed=args.seed, progress=not quiet), "phoenix", "train")[: args.clips]
    how2sign = load_samples(ensure_corpus(args.data, "how2sign", n_train=12, n_dev=2, n_test=2, seed=args.seed, progress=not quiet),
                            "how2sign", "train")[: args.clips]
    phoenix_real = rescaled_copy(phoenix[: args.real_clips], Path(args.data) / "real-res" / "phoenix-210x260", 210, 260)
    how2sign_real = rescaled_copy(how2sign[: args.real_clips], Path(args.data) / "real-res" / "how2sign-1280x720", 1280, 720)

    decode = decode_table([("synthetic PHOENIX", phoenix), ("synthetic How2Sign", how2sign),
                           ("PHOENIX size", phoenix_real), ("How2Sign size", how2sign_real)], t_max=args.t_max)
    header = machine_header("cpu")
    decode.header = header
    emit(decode, cli.out_dir(args))

    prompt_de, prompt_en = prompt_for("phoenix").text, prompt_for("how2sign").text
    tiny = [tiny_loader_row(fam, phoenix, prompt_de, args.t_max) for fam in ("smolvlm", "qwen2_5_vl")]
    real = [real_loader_row(name, samples, prompt, args.t_max, mfu=mfu)
            for name in ("smolvlm2-2.2b", "smolvlm2-500m", "qwen2.5-vl-3b")
            for samples, prompt in ((phoenix_real, prompt_de), (how2sign_real, prompt_en))]
    collate = collate_table(tiny, real, mfu=mfu)
    collate.header = header
    emit(collate, cli.out_dir(args), header=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
