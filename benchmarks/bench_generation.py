"""Generation: batched greedy decoding (left padding, KV cache) vs one clip at a time — speed and identical outputs.

Tiny models of both families (random weights, spread so outputs depend on the clip; fp32, CPU) on the benchmark corpus's test clips,
through slt_nb.train.generate.generate_predictions.

    python benchmarks/bench_generation.py [--clips 16 --batch-size 8 --max-new-tokens 64]
"""

from __future__ import annotations

from slt_nb.bench import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--t-max", type=int, default=64, help="frame budget T_max (paper: 64)")
    p.add_argument("--clips", type=int, default=16, help="test clips translated")
    p.add_argument("--batch-size", type=int, default=8, help="the batched run's batch size (against 1)")
    p.add_argument("--max-new-tokens", type=int, default=64, help="generation limit (paper: 128)")
    args = p.parse_args(argv)
    cli.start(args)

    from tqdm.auto import tqdm

    from slt_nb.bench.corpus import ensure_corpus, load_samples
    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.generation import generation_rows, generation_table, spread_weights
    from slt_nb.bench.tables import emit
    from slt_nb.standins.tiny import make_tiny
    from slt_nb.train.prompts import prompt_for

    root = ensure_corpus(args.data, "phoenix", seed=args.seed, progress=not args.quiet)
    train, test = load_samples(root, "phoenix", "train"), load_samples(root, "phoenix", "test")[: args.clips]
    rows = []
    for fam in tqdm(("smolvlm", "qwen2_5_vl"), desc="generation", unit="model", disable=args.quiet):
        model, processor = make_tiny(fam, [s.text for s in train], seed=args.seed)
        rows += generation_rows(f"tiny:{fam}", spread_weights(model, seed=args.seed).eval(), processor, fam, test, prompt_for("phoenix").text, t_max=args.t_max,
                                batch_sizes=(1, args.batch_size), max_new_tokens=args.max_new_tokens)
    table = generation_table(rows, t_max=args.t_max, max_new_tokens=args.max_new_tokens)
    table.header = machine_header("cpu")
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
