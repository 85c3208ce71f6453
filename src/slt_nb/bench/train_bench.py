"""Assemble the training-step benchmark: corpus -> models -> both configurations -> two tables.

``train_step`` (one row per model x configuration: samples/s, LM tokens/s, padding, peak memory,
model FLOPs per sample, MFU, loader/step ratio, losses, speed-up) and ``train_step_losses`` (the
first losses of both configurations side by side, step by step).

Models: ``tiny:<family>`` (the offline tiny models, CPU, fp32) or a real checkpoint name of
:data:`~slt_nb.bench.real_configs.REAL_MODELS` (random weights from the real config, bf16, CUDA
only: FlashAttention-2 where ``flash_attn`` is installed, else SDPA).
"""

from __future__ import annotations

import importlib.util
import time

from ..progress import tqdm

from ..errors import SLTInputError
from .environment import step_clock
from .flops import model_dims
from .grouping import length_grouped, padding_fraction, random_groups
from .tables import BenchTable
from .train_step import configs, loss_agreement, run_config

TINY_LR = 1e-3  # tiny random models: a larger step so 50 steps visibly train (the notebooks' tiny default does the same)


def parse_model(spec: str) -> tuple[str, str]:
    """``"tiny:smolvlm"`` -> ("smolvlm", "tiny"); ``"smolvlm2-2.2b"`` -> ("smolvlm", "smolvlm2-2.2b")."""
    from ..models.registry import get_family
    from .real_configs import get_real

    if spec.startswith("tiny:"):
        return get_family(spec.split(":", 1)[1]).name, "tiny"
    return get_real(spec).family, spec


def build_base(spec: str, texts: list[str], device: str, seed: int):
    """(family, model, processor, dtype, attention implementation) of a model spec, randomly initialised."""
    import torch

    family, size = parse_model(spec)
    if size == "tiny":
        from ..standins.tiny import make_tiny

        model, processor = make_tiny(family, texts, seed=seed)
        return family, model.to(device), processor, torch.float32, "sdpa"
    if device != "cuda":
        raise SLTInputError(f"real-size model {spec!r} needs --device cuda", hint="on CPU use the tiny models (tiny:smolvlm, tiny:qwen2_5_vl)")
    from ..standins.tiny import train_tokenizer
    from .real_configs import build_model, real_processor

    attn = "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"
    tok = train_tokenizer(texts, family)
    torch.manual_seed(seed)
    model = build_model(spec, tokenizer=tok, device="cuda", dtype=torch.bfloat16, attn_implementation=attn)
    return family, model, real_processor(spec, tok), torch.bfloat16, attn


def decode_examples(samples, prompt: str, t_max: int, clock=time.perf_counter) -> tuple[list[dict], float]:
    """Collator inputs with the sampled frames decoded once (reused by every configuration); seconds per sample by ``clock``."""
    from ..train.collate import materialise, rows_from_samples

    t0 = clock()
    examples = [materialise(r, t_max) for r in rows_from_samples(samples, prompt)]
    return examples, (clock() - t0) / len(examples)


def train_step_tables(models: list[str], samples, prompt: str, *, device: str = "cpu", steps: int = 50, t_max: int = 64, seed: int = 0,
                      lr: float | None = None, peak: float | None = None, progress: bool = True) -> tuple[BenchTable, BenchTable]:
    """Run both configurations for every model spec; return (summary table, losses table)."""
    from ..train.collate import VideoCollator

    table = BenchTable("train_step", f"Training step at T_max={t_max}: paper configuration vs optimised ({device})",
                       ["model", "config", "micro-batch x accum.", "samples/s", "LM tokens/s", "padding %", "peak mem MiB", "model TFLOP/sample",
                        "MFU", "loader/step", "loss step 1", f"loss step {steps}", "max |Δloss| vs paper", "loss corr.", "speed-up"])
    losses = BenchTable("train_step_losses", f"First {steps} optimizer-step losses of both configurations (same data, same init)",
                        ["model", "step", "paper", "optimised", "Δ"])
    clock, clock_how = step_clock(device)
    examples, decode_s = decode_examples(samples, prompt, t_max, clock)
    for spec in tqdm(models, desc="train-step models", unit="model", disable=not progress):
        family, base, processor, dtype, attn = build_base(spec, [s.text for s in samples], device, seed)
        dims = model_dims(base, family)
        collator = VideoCollator(processor, family, train=True, t_max=t_max)
        lengths = [int(collator([ex])["input_ids"].shape[1]) for ex in examples]  # LM tokens per sample
        cfgs = configs(device == "cuda")
        group = cfgs[0].micro_batch * cfgs[0].grad_accum
        groups = length_grouped(lengths, steps, group, seed=seed)
        results = {}
        for cfg in cfgs:
            try:
                results[cfg.name] = run_config(base, family, cfg, collator, examples, groups, device=device, dtype=dtype,
                                               lr=lr or (TINY_LR if spec.startswith("tiny:") else None) or _paper_lr(family), seed=seed,
                                               peak=peak, progress=progress)
            except Exception as exc:  # a GPU out-of-memory is a result (this configuration does not fit), not a crash
                if "out of memory" not in str(exc).lower():
                    raise
                results[cfg.name] = None
                table.notes.append(f"{spec} {cfg.name}: out of memory ({str(exc).splitlines()[0][:120]})")
        ref = results.get("paper")
        for cfg in cfgs:
            r = results[cfg.name]
            if r is None:
                table.add(model=spec, config=cfg.name, **{"micro-batch x accum.": f"{cfg.micro_batch} x {cfg.grad_accum}"})
                continue
            sps = r["samples"] / r["step_s"]
            loader = 1 / (decode_s + r["collate_s"] / r["samples"])
            dloss, corr = loss_agreement(ref["losses"], r["losses"]) if ref is not None else (None, None)
            table.add(model=spec, config=cfg.name, **{
                "micro-batch x accum.": f"{cfg.micro_batch} x {cfg.grad_accum}", "samples/s": sps, "LM tokens/s": r["tokens"] / r["step_s"],
                "padding %": 100 * r["padding"], "peak mem MiB": r["peak_mib"], "model TFLOP/sample": r["flops"] / r["samples"] / 1e12,
                "MFU": r["mfu"], "loader/step": loader / sps, "loss step 1": r["losses"][0], f"loss step {steps}": r["losses"][-1],
                "max |Δloss| vs paper": dloss, "loss corr.": corr,
                "speed-up": sps / (ref["samples"] / ref["step_s"]) if ref is not None else None})
        if ref is not None and results.get("optimised") is not None:
            for i, (a, b) in enumerate(zip(ref["losses"], results["optimised"]["losses"]), 1):
                losses.add(model=spec, step=i, paper=a, optimised=b, **{"Δ": b - a})
        table.notes.append(f"{spec}: {attn} attention, {str(dtype).replace('torch.', '')}; padding of random groups of {group} "
                           f"{100 * padding_fraction(lengths, random_groups(len(lengths), steps, group, seed=seed)):.1f}% vs length-grouped "
                           f"{100 * padding_fraction(lengths, groups):.1f}%; matmul params vision {dims.vision:,} / connector "
                           f"{dims.connector:,} / LM {dims.lm:,} / LoRA {dims.lora:,}")
        del base
    table.notes += [
        "configs: " + "; ".join(f"{c.name} = {c.description}" for c in configs(device == "cuda")),
        "both configurations: same initial weights, same groups of 4 clips per optimizer step in the same order, LoRA dropout 0, "
        "loss = sum of the step's answer-token losses / their count (HF Trainer's num_items_in_batch), clip 1.0, AdamW, constant LR",
        f"samples/s and tokens/s: forward + backward + optimizer step only (collation excluded), from the median step time by "
        f"{clock_how}, first 2 steps excluded as warm-up; LM tokens = unpadded sequence lengths",
        "model FLOPs (slt_nb.bench.flops): 6N per token for trained matmul params (connector, LoRA), 4N for frozen params gradients "
        "flow through (LM base weights), 2N for frozen forward-only params (vision tower), + attention scores (causal LM 2dS^2/layer, "
        "vision 4dn^2 per frame/window, x3 where gradients flow); MFU = model FLOPs / step time / peak",
        "loader/step = samples/s of decode (sampled frames) + collate, one process, over training samples/s: below 1 the loader is the bottleneck",
        "peak memory: " + ("CUDA max_memory_allocated (weights included)" if device == "cuda" else
                           "resident-set high-water mark above the start of the configuration; for the tiny models it is "
                           "dominated by allocator caching and run order (the first configuration pays the first-time allocations)"),
    ]
    if device == "cpu":
        table.notes.append("CPU: fp32 (the paper's bf16 is a GPU setting), SDPA; tiny models, so absolute rates say nothing about the real "
                           f"models; the LR is {TINY_LR} for the tiny random models (paper: 1e-4 SmolVLM2, 1e-5 Qwen2.5-VL)")
    return table, losses


def _paper_lr(family: str) -> float:
    from ..models.registry import get_family

    return get_family(family).train.learning_rate
