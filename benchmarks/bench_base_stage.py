"""The tiny base-model stage for several datasets: one vision stage per dataset (before) vs one shared by datasets whose signs render alike (now).

The embedded default fine-tunes both families on several synthetic corpora; those made with the
same generator settings (lexicon, signers, frame size) render every isolated sign alike, so the
vision stage of the tiny base (slt_nb.standins.vision_stage) is the same for all of them. This builds
the bases of ``--datasets`` such corpora (same signs, other sentences) for both families twice in
one run: each dataset in its own cache (what every dataset paid before the stage was shared) and
all in one cache, and prints the CPU seconds (this process, one thread) side by side.

    python benchmarks/bench_base_stage.py [--datasets 3] [--reps 2 --vision-epochs 2]
"""

from __future__ import annotations

import time

from slt_nb.bench import cli

FAMILIES = ("smolvlm", "qwen2_5_vl")


def corpora(root, n: int, seed: int) -> list[dict]:
    """``n`` How2Sign-format English corpora with the same generator settings but other sentences
    (a different number of training clips each), as the default's English datasets would be."""
    from slt_nb.data.prepare import prepare_all

    out = []
    for i in range(n):
        spec = {"name": "how2sign", "root": str(root / f"en{i}"), "synth": {"lang": "en", "n_train": 24 + 4 * i, "n_dev": 1, "n_test": 1,
                                                                             "max_glosses": 6}}
        out.append({**prepare_all([spec], root / f"m{i}", seed=seed)[0], "name": "how2sign"})
    return out


def build_all(records: list[dict], runs_dirs: list, spec: dict) -> dict:
    """CPU seconds of building every base (both families) of ``records``, the i-th in ``runs_dirs[i]``."""
    from slt_nb.standins.pretrain import ensure_base, read_base_info
    from slt_nb.standins.vision_stage import render_isolated

    render_isolated.cache_clear()  # each phase renders the isolated signs itself (once: they are the same for every corpus)
    cpu = {fam: 0.0 for fam in FAMILIES}
    stages = set()
    for fam in FAMILIES:
        for rec, runs in zip(records, runs_dirs):
            t0 = time.process_time()
            base = ensure_base(fam, rec, spec=spec, runs_dir=runs, progress=False)
            cpu[fam] += time.process_time() - t0
            stages.add((str(runs), read_base_info(base)["stages"]["vision"]["folder"]))
    return {"cpu": cpu, "vision_stages": len(stages)}


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--datasets", type=int, default=3, help="corpora with the same signs (the default: How2Sign, OpenASL, iSign)")
    p.add_argument("--reps", type=int, default=2, help="isolated renderings per gloss (the default's base: 8)")
    p.add_argument("--vision-epochs", type=int, default=2, help="vision-stage epochs (the default's base: 8)")
    p.add_argument("--text-steps", type=int, default=60, help="language-stage steps (the default's base: 300)")
    p.add_argument("--t-max", type=int, default=16, help="frames per isolated sign in the vision stage (BaseSpec.vision_t_max)")
    args = p.parse_args(argv)
    cli.start(args)

    import tempfile
    from pathlib import Path

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import BenchTable, emit

    root = Path(args.data) / "base_stage"
    records = corpora(root, args.datasets, args.seed)
    spec = {"reps": args.reps, "vision_epochs": args.vision_epochs, "text_steps": args.text_steps, "vision_t_max": args.t_max}
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        before = build_all(records, [Path(tmp) / f"alone{i}" for i in range(len(records))], spec)
        now = build_all(records, [Path(tmp) / "shared"] * len(records), spec)
    table = BenchTable("base_stage_sharing", f"Tiny base models of {args.datasets} corpora with the same signs, both families: CPU seconds",
                       ["family", "vision stages before", "vision stages now", "CPU s before", "CPU s now", "now / before"])
    for fam in FAMILIES:
        b, n = before["cpu"][fam], now["cpu"][fam]
        table.add(**{"family": fam, "vision stages before": args.datasets, "vision stages now": 1, "CPU s before": b, "CPU s now": n, "now / before": n / b})
    total_b, total_n = sum(before["cpu"].values()), sum(now["cpu"].values())
    table.add(**{"family": "both", "vision stages before": before["vision_stages"], "vision stages now": now["vision_stages"], "CPU s before": total_b,
                 "CPU s now": total_n, "now / before": total_n / total_b})
    table.notes = [f"base sizes: reps {args.reps}, vision epochs {args.vision_epochs}, text steps {args.text_steps} (the default: 8, 8, 300), T_max {args.t_max}",
                   "before: each dataset in its own runs folder, so each builds its vision stage as every dataset did before it was shared; "
                   "now: one runs folder, the first dataset builds the stage and the others load it",
                   "the language stage (per dataset: its own tokenizer and transcripts) is paid by every dataset either way",
                   "the isolated signs are rendered once per phase in this one process (before, the notebooks' workers rendered them once per base)"]
    table.header = machine_header("cpu")
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
