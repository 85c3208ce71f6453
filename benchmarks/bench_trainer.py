"""Through the real training code (slt_nb.train.run.train_run, TRL SFTTrainer + PEFT): which head computes the loss, and torch.compile.

The CPU default computes the loss with the model's own LM head and cross-entropy (``loss_impl="model"``)
instead of TRL's tiled log-prob head (``"trl_fused"``, kept on CUDA where it saves the (batch, seq,
vocab) logits), and only at the answer positions (``logits_to_keep``; before: at every position).
This benchmark trains the same tiny run all three ways from the same base and data and prints
s/step and the largest loss difference; ``--compile`` also times ``torch.compile`` (dynamic
shapes) on a manual loop over the same batches: its compile time against the steps it saves.

    python benchmarks/bench_trainer.py [--steps 60] [--compile]
"""

from __future__ import annotations

import time

from slt_nb.bench import cli


def _train(root, impl: str, steps: int, seed: int, *, every_position: bool = False):
    from contextlib import nullcontext
    from unittest import mock

    from slt_nb.train import sft
    from slt_nb.train.run import train_run
    from slt_nb.train.run_config import RunConfig

    cfg = RunConfig(family="smolvlm", model="tiny", dataset="phoenix", t_max=16, max_steps=steps, learning_rate=2e-3, per_device_train_batch_size=4,
                    gradient_accumulation_steps=1, lora_dropout=0.0, logging_steps=1, save_steps=10_000, cache_examples=True, seed=seed,
                    loss_impl=impl, progress=False, runs_dir=str(root / "runs"), manifest_dir=str(root / "manifests"),
                    base={"reps": 2, "vision_epochs": 1, "text_steps": 30})
    train_run(cfg, train=True)  # builds the base (not timed)
    with mock.patch.object(sft, "_takes_logits_to_keep", lambda model: False) if every_position else nullcontext():
        t0, c0 = time.perf_counter(), time.process_time()
        res = train_run(cfg, force=True)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return res, seconds, cpu, [h["loss"] for h in res.log_history if "loss" in h]


def _compile_rows(res, steps: int) -> list[dict]:
    """Manual loop (forward, backward, AdamW) over ``steps`` collated batches: eager vs torch.compile."""
    import torch

    from slt_nb.bench.train_step import lora_model_and_batches

    rows = []
    for mode in ("eager", "torch.compile(dynamic=True)"):
        model, batches = lora_model_and_batches(res.run_dir, res.config.manifest_dir, n_batches=steps)  # the paper's trainable set: LoRA on the LM + the connector
        model.train()
        opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=1e-4)
        run = torch.compile(model, dynamic=True) if mode != "eager" else model
        t0 = time.perf_counter()
        first = None
        for i, b in enumerate(batches):
            run(**b).loss.backward()
            opt.step()
            opt.zero_grad()
            if i == 0:
                first = time.perf_counter() - t0
        steady = (time.perf_counter() - t0 - first) / (steps - 1)
        rows.append({"configuration": mode, "first step s": first, "steady s/step": steady})
    eager = rows[0]["steady s/step"]
    for r in rows:
        saved = eager - r["steady s/step"]
        r["break-even steps"] = (r["first step s"] - rows[0]["first step s"]) / saved if saved > 0 else None
    return rows


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60, help="optimizer steps per configuration")
    p.add_argument("--compile", action="store_true", help="also time torch.compile (minutes: compilation)")
    args = p.parse_args(argv)
    cli.start(args)

    from pathlib import Path

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import BenchTable, emit
    from slt_nb.data.prepare import prepare_all

    root = Path(args.data) / "trainer"
    spec = {"name": "phoenix", "root": str(root / "synth"), "synth": {"lang": "de", "n_train": 4 * args.steps, "n_dev": 2, "n_test": 2,
                                                                       "width": 48, "height": 56, "max_glosses": 8}}
    prepare_all([spec], root / "manifests", seed=args.seed)
    table = BenchTable("trainer_loss_head", "Training through train_run (TRL SFTTrainer + LoRA, tiny SmolVLM, 16 frames, batch 4): loss head",
                       ["loss_impl", "steps", "s/step", "CPU s/step", "samples/s", "first loss", "last loss", "max |Δloss| vs trl_fused"])
    runs = {"trl_fused": _train(root, "trl_fused", args.steps, args.seed),
            "model, every position (before)": _train(root, "model", args.steps, args.seed, every_position=True),
            "model, answer positions (now)": _train(root, "model", args.steps, args.seed)}
    ref = runs["trl_fused"][3]
    for impl, (_res, seconds, cpu, losses) in runs.items():
        table.add(**{"loss_impl": impl, "steps": len(losses), "s/step": seconds / args.steps, "CPU s/step": cpu / args.steps,
                     "samples/s": 4 * args.steps / seconds,
                     "first loss": losses[0], "last loss": losses[-1], "max |Δloss| vs trl_fused": max(abs(a - b) for a, b in zip(losses, ref))})
    table.notes = ["s/step includes the first epoch's decoding (cache_examples) and the trainer's own work; LoRA dropout 0 so all see the same masks",
                   "CPU s/step: this process's CPU time (steadier than the wall time on a shared machine)",
                   "the CPU default (loss_impl auto) is 'model' (answer positions: logits_to_keep, slt_nb.train.sft); on CUDA it is 'trl_fused'"]
    table.header = machine_header("cpu")
    emit(table, cli.out_dir(args))
    if args.compile:
        ctable = BenchTable("trainer_compile", "torch.compile on the tiny SmolVLM training step (manual loop, same batches)",
                            ["configuration", "first step s", "steady s/step", "break-even steps"])
        for row in _compile_rows(runs["model, answer positions (now)"][0], min(args.steps, 60)):
            ctable.add(**row)
        ctable.notes = ["break-even: steps after which the compile time is paid back by the faster steady step; the default's runs have 400-800 steps"]
        ctable.header = machine_header("cpu")
        emit(ctable, cli.out_dir(args), header=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
