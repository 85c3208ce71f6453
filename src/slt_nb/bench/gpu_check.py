"""GPU readiness check (``make gpu-check``, ``benchmarks/gpu_check.py``): one command, one time budget.

Per model (SmolVLM2-2.2B and Qwen2.5-VL-3B from random weights on CUDA; the tiny models in the CPU
smoke mode), two sections, each guarded (a failure is recorded and the next section runs) and
each writing every table again when it ends, so a run cut short keeps what it measured:

* ``train``: the paper's recipe against the optimised candidates (:mod:`.gpu_train`) at T_max
  frames on the same clips and groups, under a memory cap (CUDA); the fastest candidate that fits
  is *the* optimised recipe. Samples/s, LM tokens/s, MFU, peak memory, the losses step by step;
* ``generation``: greedy decoding of the same clips in one batch vs one clip at a time
  (:func:`.gpu_data.time_generation`): clips/s and whether the texts are identical.

Tables (CSV + Markdown under one header: device, versions, attention, command): ``gpu_targets``
(each target: measured, threshold, met), ``gpu_sections``, ``gpu_train``, ``gpu_train_losses``,
``gpu_generation``, ``gpu_generation_texts``.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field

from .tables import BenchTable

TARGET_SPEEDUP, TARGET_MFU, TARGET_PEAK_GB, TARGET_GEN = 3.0, 0.45, 40.0, 10.0
GROUP = 4  # clips per optimizer step (the paper's 1 x 4)


@dataclass
class Settings:
    device: str
    models: list[str]
    out: str | None
    steps: int
    warmup: int
    clips: int
    gen_clips: int
    gen_batch: int
    max_new_tokens: int
    t_max: int
    height: int
    width: int
    budget_s: float
    mem_cap_gb: float | None
    seed: int = 0
    lr: float | None = None
    start: float = field(default_factory=time.monotonic)


class Report:
    """The six tables, filled section by section and written after each one."""

    def __init__(self, s: Settings, header: dict):
        self.s = s
        self.targets = BenchTable("gpu_targets", "GPU readiness: targets", ["target", "model", "measured", "threshold", "met"])
        self.sections = BenchTable("gpu_sections", "GPU readiness: sections", ["section", "model", "status", "seconds", "detail"])
        self.train = BenchTable("gpu_train", f"LoRA training at T_max={s.t_max}: the paper's recipe vs optimised candidates", [
            "model", "recipe", "micro-batch x accum.", "grad. ckpt", "loss head", "attention", "steps (timed)", "samples/s", "LM tokens/s",
            "padding %", "peak mem GB", "model TFLOP/sample", "MFU", "loss step 1", "loss last", "max |Δloss| vs paper", "speed-up", "chosen", "note"])
        self.losses = BenchTable("gpu_train_losses", "Optimizer-step losses, the paper's recipe and the chosen optimised one (same data, same init)",
                                 ["model", "step", "paper", "optimised", "Δ"])
        self.generation = BenchTable("gpu_generation", "Greedy generation: one batch vs one clip at a time (same clips)", [
            "model", "batch size", "clips", "clips/s", "generated tokens/s", "collate s/clip", "speed-up", "identical to batch 1",
            "common prefix %", "distinct outputs", "attention"])
        self.texts = BenchTable("gpu_generation_texts", "Generated texts, batch 1 vs batched, clip by clip",
                                ["model", "clip", "same", "batch 1", "batched"])
        self.all = [self.targets, self.sections, self.train, self.losses, self.generation, self.texts]
        for t in self.all:
            t.header = header

    def write(self) -> None:
        self.targets.rows = target_rows(self)
        if self.s.out is not None:
            for t in self.all:
                t.write(self.s.out)


def _speedups(rows: list[dict]) -> dict:
    return {r["model"]: r for r in rows if r.get("chosen") is True}


def target_rows(rep: Report) -> list[dict]:
    """One row per target and model: what was measured, the threshold, met or not (— where not measured)."""
    rows = []
    met = lambda v, ok: None if v is None else ok  # noqa: E731
    chosen = _speedups(rep.train.rows)
    for model in dict.fromkeys(r["model"] for r in rep.train.rows):
        c = chosen.get(model, {})
        sp, peak_gb, m = c.get("speed-up"), c.get("peak mem GB"), c.get("MFU")
        rows.append({"target": f"optimised ≥ {TARGET_SPEEDUP:g}x the paper recipe's samples/s", "model": model, "measured": sp,
                     "threshold": TARGET_SPEEDUP, "met": met(sp, sp is not None and sp >= TARGET_SPEEDUP)})
        rows.append({"target": f"{rep.s.t_max}-frame optimised recipe peak memory ≤ {TARGET_PEAK_GB:g} GB", "model": model, "measured": peak_gb,
                     "threshold": TARGET_PEAK_GB, "met": met(peak_gb, peak_gb is not None and peak_gb <= TARGET_PEAK_GB)})
        if "smolvlm" in model:  # the target names SmolVLM2-2.2B (the tiny SmolVLM stands in for it in the CPU mode)
            rows.append({"target": f"MFU ≥ {TARGET_MFU:.0%} (optimised)", "model": model, "measured": m, "threshold": TARGET_MFU,
                         "met": met(m, m is not None and m >= TARGET_MFU)})
    for r in rep.generation.rows:
        if r["batch size"] != 1:
            sp = r.get("speed-up")
            rows.append({"target": f"batched generation ≥ {TARGET_GEN:g}x one clip at a time (clips/s)", "model": r["model"], "measured": sp,
                         "threshold": TARGET_GEN, "met": met(sp, sp is not None and sp >= TARGET_GEN)})
    return rows


def _loss_note(a: list[float], b: list[float]) -> float | None:
    from .train_step import loss_agreement

    n = min(len(a), len(b))
    return loss_agreement(a[:n], b[:n])[0] if n else None


def _train_rows(rep: Report, spec: str, results: dict):
    """(Re)write ``spec``'s rows of the training and losses tables from ``results`` (recipe -> result); the chosen recipe."""
    from .gpu_train import PAPER

    rep.train.rows = [r for r in rep.train.rows if r["model"] != spec]
    rep.losses.rows = [r for r in rep.losses.rows if r["model"] != spec]
    ref = results.get(PAPER, {})
    fits = [(rec, r) for rec, r in results.items() if rec is not PAPER and r.get("samples_per_s")]
    best = max(fits, key=lambda x: x[1]["samples_per_s"])[0] if fits else None
    for rec, r in results.items():
        ok = "samples_per_s" in r and r["samples_per_s"] is not None
        row = {"model": spec, "recipe": rec.name, "micro-batch x accum.": f"{rec.micro_batch} x {rec.grad_accum}",
               "grad. ckpt": rec.gradient_checkpointing, "loss head": "answer-only" if rec.answer_only_head else "model's own",
               "chosen": (rec is best) if rec is not PAPER else None,
               "note": r.get("oom") and f"out of memory under the cap: {r['oom']}" or r.get("error") or r.get("skipped")}
        if ok:
            sp = r["samples_per_s"] / ref["samples_per_s"] if ref.get("samples_per_s") else None
            row.update({"attention": r["attention"], "steps (timed)": f"{r['steps']} ({r['timed']})", "samples/s": r["samples_per_s"],
                        "LM tokens/s": r["tokens_per_s"], "padding %": 100 * r["padding"], "peak mem GB": r["peak_gb"],
                        "model TFLOP/sample": r["flops"] / r["samples"] / 1e12, "MFU": r["mfu"], "loss step 1": r["losses"][0],
                        "loss last": r["losses"][-1], "max |Δloss| vs paper": _loss_note(ref.get("losses", []), r["losses"]) if rec is not PAPER else None,
                        "speed-up": sp if rec is not PAPER else 1.0})
        rep.train.add(**row)
    if best is not None and ref.get("losses"):
        for i, (a, b) in enumerate(zip(ref["losses"], results[best]["losses"]), 1):
            rep.losses.add(model=spec, step=i, paper=a, optimised=b, **{"Δ": b - a})
    return best


def train_section(rep: Report, spec: str, ctx: dict, deadline: float, peak: float | None) -> str:
    import torch

    from ..models.registry import get_family
    from ..train.collate import CachedVideoCollator
    from .gpu_train import PAPER, optimised_candidates, try_recipe
    from .grouping import length_grouped, padding_fraction, random_groups

    s, family, processor = rep.s, ctx["family"], ctx["processor"]
    clips, collator, cache = ctx["clips"], CachedVideoCollator(processor, family, train=True, t_max=s.t_max), {}

    def collate(idx: tuple) -> dict:
        if idx not in cache:
            cache[idx] = collator([clips[i] for i in idx])
        return cache[idx]

    lengths = [int(collate((i,))["input_ids"].shape[1]) for i in range(len(clips))]  # LM tokens per clip
    groups = length_grouped(lengths, s.steps, GROUP, seed=s.seed)
    lr = s.lr or (1e-3 if spec.startswith("tiny:") else get_family(family).train.learning_rate)  # tiny random models: a larger step
    cuda = s.device == "cuda"
    cap = cuda and s.mem_cap_gb
    if cap:
        torch.cuda.set_per_process_memory_fraction(min(1.0, s.mem_cap_gb * 1e9 / torch.cuda.get_device_properties(0).total_memory))
    results = {}
    plan = [PAPER] + optimised_candidates(GROUP, cuda)
    fitted_no_gc = False
    try:
        for i, recipe in enumerate(plan):
            if fitted_no_gc and not recipe.gradient_checkpointing:
                continue  # a smaller micro-batch only adds accumulation steps once a larger one fits
            left = sum(1 for r in plan[i:] if r.gradient_checkpointing or not fitted_no_gc)
            if time.monotonic() > deadline:
                results[recipe] = {"skipped": "time budget spent"}
                continue
            sub = time.monotonic() + (deadline - time.monotonic()) / max(1, min(left, 3))
            results[recipe] = r = try_recipe(ctx["make_model"], family, recipe, collate, groups, device=s.device, dtype=ctx["dtype"], lr=lr,
                                             seed=s.seed, warmup=s.warmup, peak=peak, deadline=sub)
            if recipe is not PAPER and r.get("samples_per_s") and not recipe.gradient_checkpointing:
                fitted_no_gc = True
            _train_rows(rep, spec, results)
            rep.write()  # a run cut short keeps every recipe finished so far
    finally:
        if cap:
            torch.cuda.set_per_process_memory_fraction(1.0)
    best = _train_rows(rep, spec, results)
    rand = padding_fraction(lengths, random_groups(len(lengths), s.steps, GROUP, seed=s.seed))
    rep.train.notes.append(f"{spec}: {len(clips)} clips of {min(lengths)}-{max(lengths)} LM tokens; padding of length-grouped groups of {GROUP} "
                           f"{100 * padding_fraction(lengths, groups):.1f}% (random groups {100 * rand:.1f}%); optimised = "
                           f"{best.name if best else 'none fitted'}; LR {lr:g}")
    errors = [r["error"] for r in results.values() if "error" in r]
    if errors and not any(r.get("samples_per_s") for r in results.values()):
        raise RuntimeError(f"every recipe failed: {errors[0]}")
    return f"optimised = {best.name if best else 'none fitted'}" + (f"; {len(errors)} recipe(s) failed: {errors[0]}" if errors else "")


def generation_section(rep: Report, spec: str, ctx: dict, deadline: float) -> str:
    from .gpu_data import attention_ran, spread_weights, time_generation, warm_up_generation
    from .gpu_train import free_memory

    s, family, processor = rep.s, ctx["family"], ctx["processor"]
    clips = ctx["clips"][: s.gen_clips]
    model = spread_weights(ctx["make_model"](), seed=s.seed).eval()
    attn = attention_ran(model)
    try:
        warm_up_generation(model, processor, family, clips, t_max=s.t_max)
        runs = {bs: time_generation(model, processor, family, clips, t_max=s.t_max, batch_size=bs, max_new_tokens=s.max_new_tokens,
                                    deadline=deadline if bs == 1 else None) for bs in (s.gen_batch, 1)}
    finally:
        del model
        free_memory()
    rate = {bs: r["clips"] / r["seconds"] for bs, r in runs.items()}
    one, many = runs[1]["texts"], runs[s.gen_batch]["texts"]
    common = [c for c in many if c in one]
    same = sum(one[c] == many[c] for c in common)
    prefix = 100 * sum(len(os.path.commonprefix([one[c], many[c]])) for c in common) / max(1, sum(max(len(one[c]), len(many[c])) for c in common))
    for bs in (1, s.gen_batch):
        r = runs[bs]
        rep.generation.add(**{"model": spec, "batch size": bs, "clips": r["clips"], "clips/s": rate[bs],
                              "generated tokens/s": rate[bs] * s.max_new_tokens, "collate s/clip": r["collate_s_per_clip"],
                              "speed-up": rate[bs] / rate[1], "identical to batch 1": f"{same}/{len(common)}",
                              "common prefix %": prefix,
                              "distinct outputs": len(set(r["texts"].values())), "attention": attn})
    for c in sorted(common):
        shown = lambda t: t[:120].replace("\n", "\\n")  # noqa: E731 - one table row per clip
        rep.texts.add(model=spec, clip=c, same=one[c] == many[c], **{"batch 1": shown(one[c]), "batched": shown(many[c])})
    return f"{same}/{len(common)} identical, speed-up {rate[s.gen_batch] / rate[1]:.2f}x"


def run_check(s: Settings, header: dict, peak: float | None, *, prompt: str, log=print) -> Report:
    """Every section in turn under the time budget; the tables are rewritten after each one."""
    from .gpu_data import model_factory, synthetic_clips

    rep = Report(s, header)
    notes_common(rep)
    plan = [(sec, spec) for spec in s.models for sec in ("train", "generation")]
    weight = {"train": 2.0, "generation": 1.0}
    ctx_by_model: dict[str, dict] = {}
    for k, (sec, spec) in enumerate(plan):
        t0 = time.monotonic()
        left = s.start + s.budget_s - t0
        deadline = t0 + left * weight[sec] / sum(weight[p] for p, _ in plan[k:])
        log(f"[gpu-check] {sec} {spec}: {left:.0f} s of the budget left, this section until +{deadline - t0:.0f} s", flush=True)
        if left <= 0:
            rep.sections.add(section=sec, model=spec, status="skipped", seconds=0.0, detail="time budget spent")
            rep.write()
            continue
        try:
            if spec not in ctx_by_model:
                clips = synthetic_clips(s.clips, prompt, t_max=s.t_max, height=s.height, width=s.width, seed=s.seed)
                family, processor, make_model, dtype, attn = model_factory(spec, [c["answer"] for c in clips], s.device, s.seed)
                ctx_by_model[spec] = dict(clips=clips, family=family, processor=processor, make_model=make_model, dtype=dtype, attn=attn)
            ctx = ctx_by_model[spec]
            detail = train_section(rep, spec, ctx, deadline, peak) if sec == "train" else generation_section(rep, spec, ctx, deadline)
            rep.sections.add(section=sec, model=spec, status="ok", seconds=time.monotonic() - t0, detail=detail)
        except Exception as exc:  # noqa: BLE001 - one section's failure must not lose the others
            traceback.print_exc()
            rep.sections.add(section=sec, model=spec, status="failed", seconds=time.monotonic() - t0,
                             detail=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
        rep.write()
        log(f"[gpu-check] {sec} {spec}: {rep.sections.rows[-1]['status']} in {time.monotonic() - t0:.1f} s", flush=True)
    return rep


def notes_common(rep: Report) -> None:
    s = rep.s
    cap = f"{s.mem_cap_gb:g} GB (torch.cuda.set_per_process_memory_fraction)" if s.device == "cuda" and s.mem_cap_gb else "none"
    rep.train.notes += [
        f"{s.steps} optimizer steps of {GROUP} clips per recipe (fewer if the time budget ran out: 'steps (timed)'), the first {s.warmup} untimed; "
        "samples/s and tokens/s from the median step time (forward + backward + optimizer; collation excluded and cached)",
        "recipes (slt_nb.bench.gpu_train): paper = micro-batch 1 x accum. 4, gradient checkpointing, the model's own loss over full logits; "
        "optimised = length-grouped micro-batch, frozen vision under no_grad, LM head at the answer positions only, fused AdamW (CUDA), "
        "gradient checkpointing off unless marked +GC; the fastest candidate that fits the memory cap is chosen",
        "both: frozen weights bf16 on CUDA (fp32 on CPU), trainable LoRA + connector kept fp32 under bf16 autocast; LoRA r=64 alpha=64 "
        "dropout 0 on the LM attention + MLP; same init, same groups; loss = answer-token sum / count (num_items_in_batch)",
        f"memory cap while training: {cap}; peak mem = torch.cuda.max_memory_allocated (weights included; GB = 1e9 bytes) on CUDA, "
        "the process's resident-set high-water mark on CPU (weights included)",
        "MFU = model FLOPs (slt_nb.bench.flops: 6N trained, 4N frozen with gradients flowing, 2N frozen vision, + attention; "
        "checkpointing recompute not counted) / step time / the device peak in the header",
    ]
    rep.generation.notes += [
        f"greedy (num_beams=1, KV cache, left padding, longest first): the steps of train.generate.generate_batch (gpu_data.generate_texts), exactly {s.max_new_tokens} "
        "new tokens per clip (min_new_tokens = max_new_tokens) among the tokens the offline tokenizer knows; weights re-drawn "
        "N(0, (2.4/sqrt(fan_in))^2) (gpu_data.spread_weights) so outputs depend on the clip",
        "clips/s: generation only (each batch collated once beforehand: 'collate s/clip', which a DataLoader overlaps with the GPU)",
        "identical = the same text clip by clip as batch size 1; in bf16 the logits of a batch of 1 and of B can differ in the last "
        "bits and flip a near-tie (train/generate.py), so fewer than all identical on CUDA is not by itself a bug; common prefix % = characters "
        "before the first difference over the longer text, summed over the clips (where a flip happens)",
    ]
    if s.device != "cuda":
        for t in rep.all:
            t.notes.append("CPU smoke mode: tiny models, fp32, so that the command and its tables are tested; the targets are GPU figures "
                           "and 'met' means nothing here")
