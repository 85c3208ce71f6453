"""Training step: samples/s, tokens/s, peak memory, MFU — paper configuration vs optimised, same data.

CPU (default): the tiny models of both families, fp32.
GPU: ``--device cuda --size real``: SmolVLM2-2.2B, SmolVLM2-500M and Qwen2.5-VL-3B with random
weights from their real configs (bf16, FlashAttention-2 where installed, else SDPA).

    python benchmarks/bench_train_step.py                      # tiny, CPU, 50 steps
    python benchmarks/bench_train_step.py --device cuda --size real --steps 20
"""

from __future__ import annotations

from slt_nb.bench import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--size", choices=("tiny", "real"), default="tiny", help="real: the checkpoints' configs, random weights (CUDA only)")
    p.add_argument("--models", nargs="+", help="model specs (default: tiny:smolvlm tiny:qwen2_5_vl, or the three real checkpoints)")
    p.add_argument("--steps", type=int, default=50, help="optimizer steps of 4 clips per configuration (the loss curves compared)")
    p.add_argument("--t-max", type=int, default=64, help="frame budget T_max (paper: 64)")
    p.add_argument("--n-train", type=int, default=48, help="training clips of the benchmark corpus (cycled through epochs)")
    args = p.parse_args(argv)
    cli.start(args)

    from slt_nb.bench.corpus import ensure_corpus, load_samples
    from slt_nb.bench.environment import machine_header, peak_flops, resolve_device
    from slt_nb.bench.tables import emit
    from slt_nb.bench.train_bench import train_step_tables
    from slt_nb.errors import SLTInputError
    from slt_nb.train.prompts import prompt_for

    device = resolve_device(args.device)
    if args.size == "real" and device != "cuda":
        raise SLTInputError("--size real needs --device cuda (real-size models on CPU would take hours per step)",
                            hint="on CPU use the default --size tiny")
    models = args.models or (["tiny:smolvlm", "tiny:qwen2_5_vl"] if args.size == "tiny" else ["smolvlm2-2.2b", "smolvlm2-500m", "qwen2.5-vl-3b"])
    root = ensure_corpus(args.data, "phoenix", n_train=args.n_train, seed=args.seed, progress=not args.quiet)
    samples = load_samples(root, "phoenix", "train")
    peak, peak_how = peak_flops(device)
    table, losses = train_step_tables(models, samples, prompt_for("phoenix").text, device=device, steps=args.steps, t_max=args.t_max,
                                      seed=args.seed, peak=peak, progress=not args.quiet)
    header = machine_header(device, extra={"peak FLOP/s for MFU": peak_how, "corpus": f"{len(samples)} synthetic PHOENIX-format train clips ({root})"})
    table.header = losses.header = header
    emit(table, cli.out_dir(args))
    emit(losses, cli.out_dir(args), max_rows=12, header=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
