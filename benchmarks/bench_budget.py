"""Compute budget: projected A100 GPU-hours of every paper table (Tables 3, 8, 9) at full size.

From model FLOPs per clip (real configs, slt_nb.bench.flops) at an assumed MFU — or at the MFU
measured by a CUDA run of bench_train_step.py --size real, when its table is present.

    python benchmarks/bench_budget.py [--mfu 0.35] [--measured results/benchmarks/train_step.csv]
"""

from __future__ import annotations

from slt_nb.bench import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--mfu", type=float, default=None, help="assumed MFU (default: budget.ASSUMED_MFU)")
    p.add_argument("--measured", default=None, help="train_step.csv of a CUDA real-size run (default: <out>/train_step.csv)")
    args = p.parse_args(argv)
    cli.start(args)

    from pathlib import Path

    from slt_nb.bench.budget import ASSUMED_MFU, budget_table, measured_mfu
    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import emit

    measured = measured_mfu(args.measured or Path(args.out) / "train_step.csv")
    table = budget_table(mfu=args.mfu or ASSUMED_MFU, measured=measured)
    table.header = machine_header("cpu", extra={"basis": "measured MFU: " + ", ".join(f"{k} {v[0]:.3f} on {v[1]}" for k, v in measured.items())
                                                if measured else f"projected from FLOPs at assumed MFU {args.mfu or ASSUMED_MFU} (no GPU measurement)"})
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
