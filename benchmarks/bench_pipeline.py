"""Whole pipeline: each notebook's wall time as `slt-nb reproduce` recorded it (results/runtimes.json).

Reads, never re-runs: the runner (slt_nb.runner.reproduce) writes the times as each notebook
finishes and results/README.md lists them (slt_nb.report.index.write_index).

    python benchmarks/bench_pipeline.py [--runtimes results/runtimes.json]
"""

from __future__ import annotations

from slt_nb.bench import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--runtimes", default="results/runtimes.json")
    p.add_argument("--index", default="results/README.md")
    args = p.parse_args(argv)
    cli.start(args)

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.notebook_times import notebook_table
    from slt_nb.bench.tables import emit

    table = notebook_table(args.runtimes, args.index)
    table.header = machine_header("cpu", extra={"note": "the header names the machine this table was printed on; the times are the last reproduce run's"})
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
