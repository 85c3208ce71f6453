"""GPU readiness in one command: the paper's LoRA recipe vs the optimised one, and batched generation.

On a GPU node (no network, random weights from the real configs; finishes inside --budget-s):

    make gpu-check                                # = python benchmarks/gpu_check.py -> results/benchmarks/gpu/
    python3 benchmarks/gpu_check.py --budget-s 420 --out /some/dir

SmolVLM2-2.2B and Qwen2.5-VL-3B at 64 frames: samples/s, LM tokens/s, MFU, peak memory and the
losses of both recipes on the same data; batched vs one-by-one greedy generation (clips/s,
identical text); the attention implementation that ran; each target with met / not met.
Without CUDA it runs the same sections on the tiny models (a smoke test, ~30 s) and writes to
results/benchmarks/gpu-cpu-smoke/ (never over the GPU results).

Needs only torch, transformers (4.57 or 5.x), peft, numpy, pillow, tokenizers, tqdm (torchvision
for the video processors); uses .venv's python where there is one (Makefile), else python3, and
finds the package in src/ when it is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

T0 = time.monotonic()  # the time budget counts from here

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ("torch", "transformers", "peft", "numpy", "PIL", "tokenizers", "tqdm", "torchvision")


def _missing() -> list[str]:
    return [m for m in NEEDED if importlib.util.find_spec(m) is None]


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto", help="auto: cuda where available")
    p.add_argument("--size", choices=("auto", "real", "tiny"), default="auto", help="auto: real on cuda, tiny on cpu")
    p.add_argument("--models", nargs="+", help="default: smolvlm2-2.2b qwen2.5-vl-3b (real) or tiny:smolvlm tiny:qwen2_5_vl")
    p.add_argument("--out", help="default: results/benchmarks/gpu (cuda, real) or results/benchmarks/gpu-cpu-smoke")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--budget-s", type=float, help="seconds for the whole run from start-up (default 420 real, 120 tiny)")
    p.add_argument("--steps", type=int, help="optimizer steps of 4 clips per recipe (default 8 real, 5 tiny)")
    p.add_argument("--warmup", type=int, help="untimed first steps (default 2 real, 1 tiny)")
    p.add_argument("--clips", type=int, help="training clips (default 16 real, 8 tiny)")
    p.add_argument("--gen-clips", type=int, help="clips translated (default 16 real, 4 tiny)")
    p.add_argument("--gen-batch", type=int, help="the batched run's batch size (default: all the clips at once)")
    p.add_argument("--max-new-tokens", type=int, help="new tokens per clip (default 64 real, 8 tiny)")
    p.add_argument("--t-max", type=int, default=64, help="frames per clip (paper: 64)")
    p.add_argument("--frame-size", default=None, help="HxW of the synthetic frames (default 210x260 real = PHOENIX-2014T, 32x40 tiny)")
    p.add_argument("--mem-cap-gb", type=float, default=40.0, help="CUDA memory cap while training (0: none); the recipe target is 40 GB")
    p.add_argument("--lr", type=float, help="default: the paper's (1e-4 SmolVLM2, 1e-5 Qwen2.5-VL); 1e-3 for the tiny models")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's on cuda, 1 on cpu)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    missing = _missing()
    if missing:
        print(f"gpu-check: missing Python packages {missing} for {sys.executable}; install them (requirements.txt) "
              "or run with a python that has them", file=sys.stderr)
        return 2
    if importlib.util.find_spec("slt_nb") is None:
        sys.path.insert(0, str(ROOT / "src"))
    import logging
    import warnings

    import torch

    warnings.filterwarnings("ignore")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from slt_nb.bench.environment import configure, machine_header, peak_flops
    from slt_nb.bench.gpu_check import Settings, run_check
    from slt_nb.bench.tables import emit
    from slt_nb.train.prompts import prompt_for

    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if device == "cuda" and not torch.cuda.is_available():
        print("gpu-check: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    real = (device == "cuda") if args.size == "auto" else args.size == "real"
    if real and device != "cuda":
        print("gpu-check: the real-size models need CUDA; use --size tiny on CPU", file=sys.stderr)
        return 2
    pick = lambda value, r, t: value if value is not None else (r if real else t)  # noqa: E731
    configure(args.threads if args.threads is not None else (None if device == "cuda" else 1), args.seed)
    h, w = (int(x) for x in pick(args.frame_size, "210x260", "32x40").lower().split("x"))
    clips = pick(args.clips, 16, 8)
    gen_clips = min(clips, pick(args.gen_clips, 16, 4))
    out = args.out or str(ROOT / "results" / "benchmarks" / ("gpu" if real else "gpu-cpu-smoke"))
    s = Settings(device=device, models=args.models or (["smolvlm2-2.2b", "qwen2.5-vl-3b"] if real else ["tiny:smolvlm", "tiny:qwen2_5_vl"]),
                 out=None if args.no_write else out, steps=pick(args.steps, 8, 5), warmup=pick(args.warmup, 2, 1), clips=clips,
                 gen_clips=gen_clips, gen_batch=max(2, args.gen_batch or gen_clips), max_new_tokens=pick(args.max_new_tokens, 64, 8), t_max=args.t_max,
                 height=h, width=w, budget_s=pick(args.budget_s, 420.0, 120.0), mem_cap_gb=args.mem_cap_gb or None, seed=args.seed, lr=args.lr,
                 start=T0)
    peak, peak_how = peak_flops(device)
    import peft
    import transformers

    trl = importlib.util.find_spec("trl") is not None
    header = machine_header(device, extra={
        "mode": ("real architectures, random weights, bf16" if real else "tiny models, fp32 (CPU smoke mode)"),
        "peft / trl": f"{peft.__version__} / {'installed, not used' if trl else 'not installed (not needed)'}",
        "flash_attn": "installed" if importlib.util.find_spec("flash_attn") else "not installed: SDPA",
        "peak FLOP/s for MFU": peak_how,
        "inputs": f"{s.clips} synthetic clips of up to {s.t_max} random {h}x{w} frames (seed {s.seed}), random German sentences",
        "time budget": f"{s.budget_s:g} s"})
    print(f"[gpu-check] {device}, {'real' if real else 'tiny'} models {s.models} -> {s.out}", flush=True)
    rep = run_check(s, header, peak, prompt=prompt_for("phoenix").text)
    print("\n".join(f"# {k}: {v}" for k, v in header.items()))
    for t in (rep.train, rep.losses, rep.generation, rep.texts, rep.sections, rep.targets):  # the targets last: the end of the output
        emit(t, None, max_rows=12, header=False)
    if s.out:
        print(f"[gpu-check] wrote {len(rep.all)} tables (csv + md) to {s.out}")
    return 1 if any(r["status"] == "failed" for r in rep.sections.rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
