"""LLaVA-SLT stages: clips/s and peak memory per stage, clips in memory vs streamed from disk, with and without augmentation.

CPU at tiny size by default (seconds); on a GPU node e.g. stage 2 at the paper's sizes with random DINOv2-base weights:

    python benchmarks/bench_llava.py
    python benchmarks/bench_llava.py --device cuda --vit dinov2-base --frame-size 336 --resize 384 --t-max 64 --batch-size 128 --backbone-chunk 64
"""

from __future__ import annotations

from slt_nb.bench import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--clips", type=int, default=16, help="training clips of the synthetic PHOENIX corpus")
    p.add_argument("--t-max", type=int, default=16)
    p.add_argument("--frame-size", type=int, default=32)
    p.add_argument("--resize", type=int, default=40, help="side before the crop when augmenting (App. C: 384 for 336)")
    p.add_argument("--vit", default="tiny", choices=["tiny", "dinov2-base"])
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--micro-batch-size", type=int, default=None)
    p.add_argument("--backbone-chunk", type=int, default=None)
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args(argv)
    cli.start(args)

    from slt_nb.bench.corpus import ensure_corpus, load_samples
    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.llava import Sizes, llava_table
    from slt_nb.bench.tables import emit

    root = ensure_corpus(args.data, "phoenix", n_train=args.clips, n_dev=4, n_test=8, seed=args.seed, progress=not args.quiet)
    samples = {sp: load_samples(root, "phoenix", sp) for sp in ("train", "dev", "test")}
    sizes = Sizes(args.t_max, args.frame_size, args.resize, args.vit, args.batch_size, args.micro_batch_size, args.backbone_chunk, args.epochs)
    table = llava_table(samples, sizes, args.device)
    table.header = machine_header(args.device)
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
