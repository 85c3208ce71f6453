"""CPU time per training step when more training processes run than there are cores (what `make reproduce --jobs 2` does).

`make reproduce` runs two notebooks at once, and 03/04/08 each train in two worker processes (``ft_jobs``,
``llava_jobs``), so up to four single-threaded training processes share the two cores. This benchmark runs
the same tiny SmolVLM training loop (forward, backward, AdamW; batch 4, 16 frames, LoRA dropout as 03) in
1, 2, ... N processes at once and prints each configuration's CPU seconds per step and the steps per second
of all of them together, side by side. CPU time that grows with the number of processes is lost to the
sharing itself (context switches, caches), on top of the waiting. The rows "k processes, c CPU slots" run the
same k processes, each taking a slot (:mod:`slt_nb.cpu_slots`, what ``slt-nb reproduce --jobs N`` hands its
notebooks) for every chunk of its steps, as a fine-tuning run holds one for its whole training.

    python benchmarks/bench_oversubscription.py [--steps 48] [--max-procs 4]
"""

from __future__ import annotations

import time

from slt_nb.bench import cli


CHUNKS = 4  # with slots: a slot is taken for each quarter of a process's steps (a "run")


def _worker(run_dir: str, manifest_dir: str, steps: int, threads: int, seed: int, start_at: float, slots: str | None = None) -> tuple[float, float]:
    """In a spawned process: ``steps`` optimizer steps of the tiny SmolVLM (LoRA on the LM + connector) on cycled
    batches; returns (CPU seconds, wall seconds) of the timed steps. Waits until ``start_at`` so all start together.
    ``slots``: a ``SLT_NB_CPU_SLOTS`` value; each of :data:`CHUNKS` chunks of the steps then runs inside a CPU slot."""
    from contextlib import nullcontext

    import torch

    from slt_nb.cpu_slots import cpu_slot

    from slt_nb.bench.train_step import lora_model_and_batches

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model, batches = lora_model_and_batches(run_dir, manifest_dir)
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=1e-4)
    model.train()

    def step(b):
        model(**b).loss.backward()
        opt.step()
        opt.zero_grad()

    step(batches[0])  # warm-up, not timed
    time.sleep(max(0.0, start_at - time.time()))
    c0, t0 = time.process_time(), time.perf_counter()
    bounds = [steps * k // CHUNKS for k in range(CHUNKS + 1)]
    for lo, hi in zip(bounds, bounds[1:]):
        with cpu_slot(slots, 0) if slots else nullcontext():
            for i in range(lo, hi):
                step(batches[i % len(batches)])
    return time.process_time() - c0, time.perf_counter() - t0


def _concurrent(n: int, args, run_dir: str, manifest_dir: str, slots: str | None = None) -> list[tuple[float, float]]:
    from slt_nb.workers import worker_pool

    with worker_pool(n) as ex:
        start_at = time.time() + 20.0  # after every process has loaded its model and batches
        futs = [ex.submit(_worker, run_dir, manifest_dir, args.steps, args.threads, args.seed + i, start_at, slots) for i in range(n)]
        return [f.result() for f in futs]


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=48, help="timed optimizer steps per process")
    p.add_argument("--max-procs", type=int, default=4, help="run 1 .. this many processes at once")
    args = p.parse_args(argv)
    cli.start(args)

    import os
    from pathlib import Path

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import BenchTable, emit
    from slt_nb.data.prepare import prepare_all
    from slt_nb.train.run import train_run
    from slt_nb.train.run_config import RunConfig

    root = Path(args.data) / "oversubscription"
    spec = {"name": "phoenix", "root": str(root / "synth"), "synth": {"lang": "de", "n_train": 32, "n_dev": 2, "n_test": 2}}
    prepare_all([spec], root / "manifests", seed=args.seed)
    cfg = RunConfig(family="smolvlm", model="tiny", dataset="phoenix", t_max=16, max_steps=1, learning_rate=2e-3, per_device_train_batch_size=4,
                    gradient_accumulation_steps=1, save_steps=10_000, cache_examples=True, seed=args.seed, progress=False,
                    runs_dir=str(root / "runs"), manifest_dir=str(root / "manifests"), base={"reps": 2, "vision_epochs": 1, "text_steps": 30})
    res = train_run(cfg)  # builds the base and a 1-step run to load (not timed)
    cores = len(os.sched_getaffinity(0))
    table = BenchTable("oversubscription", f"Tiny SmolVLM training steps (batch 4, 16 frames, {args.threads} thread each) in k processes at once on {cores} cores",
                       ["processes", "CPU s/step (mean)", "CPU s/step vs 1 process", "steps/s (all processes)", "steps/s vs processes = cores"])
    import tempfile

    from slt_nb.cpu_slots import slots_spec

    rows = {}
    for n in range(1, args.max_procs + 1):
        out = _concurrent(n, args, str(res.run_dir), str(root / "manifests"))
        rows[str(n)] = out
    for n in range(cores + 1, args.max_procs + 1):  # the same processes, at most `cores` of them computing at once
        with tempfile.TemporaryDirectory(prefix="slots-") as tmp:
            rows[f"{n}, {cores} CPU slots"] = _concurrent(n, args, str(res.run_dir), str(root / "manifests"), slots=slots_spec(tmp, cores))
    summary = {k: (sum(c for c, _ in out) / (len(out) * args.steps), len(out) * args.steps / max(w for _, w in out)) for k, out in rows.items()}
    base_cpu, at_cores = summary["1"][0], summary[str(min(cores, args.max_procs))][1]
    for k, (cpu, rate) in summary.items():
        table.add(**{"processes": k, "CPU s/step (mean)": cpu, "CPU s/step vs 1 process": cpu / base_cpu,
                     "steps/s (all processes)": rate, "steps/s vs processes = cores": rate / at_cores})
    table.notes = ["each process: its own model and batches, started together after loading; CPU time is the process's own (time.process_time)",
                   "make reproduce --jobs 2 with ft_jobs / llava_jobs 2 would run up to 4 such processes on the default's 2 cores; "
                   "it hands its notebooks as many CPU slots as cores (slt_nb.cpu_slots), as in the rows with slots",
                   f"with slots: each process takes a slot for each of its {CHUNKS} chunks of steps, as a fine-tuning run does for its training"]
    table.header = machine_header("cpu")
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
