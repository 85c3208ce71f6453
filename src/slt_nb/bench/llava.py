"""LLaVA-SLT stages: clips/s and peak memory of each stage, with the clips in memory and streamed from disk.

Runs the stages' own functions (:mod:`slt_nb.llava_slt.stage1` ... ``stage3``) on the benchmark's synthetic PHOENIX
corpus at the sizes of :class:`Sizes` (tiny on the CPU; ``--vit dinov2-base --frame-size 336 --resize 384 --t-max 64
--batch-size 128 --backbone-chunk 64`` gives stage 2 at the paper's sizes with random weights on a GPU) and measures,
per stage: wall seconds, training clips per second (clips x epochs / seconds; decoding: clips / seconds), the peak
memory (:class:`~slt_nb.bench.environment.PeakMemory`: CUDA max allocated, or the CPU's resident high-water mark
above the start) and the stage's own estimate (:mod:`slt_nb.llava_slt.memory`).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .tables import BenchTable

VITS = {"tiny": {"hidden": 48, "layers": 1, "heads": 4, "patch": 8, "mlp_ratio": 2},
        "dinov2-base": {"hidden": 768, "layers": 12, "heads": 12, "patch": 14, "mlp_ratio": 4}}  # random weights, DINOv2-base's shapes


@dataclass(frozen=True)
class Sizes:
    t_max: int = 16
    frame_size: int = 32
    resize: int | None = None
    vit: str = "tiny"
    batch_size: int = 8
    micro_batch_size: int | None = None
    backbone_chunk: int | None = None
    epochs: int = 1


def _configs(z: Sizes, augment: bool):
    from slt_nb.llava_slt.config import llm_config, stage1_config, stage2_config, stage3_config
    from slt_nb.llava_slt.frames import AUGMENT_PAPER

    tc = {"epochs": z.epochs, "batch_size": z.batch_size, "micro_batch_size": z.micro_batch_size, "backbone_chunk": z.backbone_chunk}
    enc = {"vit": VITS[z.vit], "frame_size": z.frame_size, "resize": z.resize if augment else None, "augment": AUGMENT_PAPER if augment else None,
           "dim": 64, "local_depth": 2, "sentence_depth": 2}
    return (llm_config({"hidden": 64, "layers": 2, "heads": 4, "intermediate": 128, "vocab_size": 512}), stage1_config({"train": tc}),
            stage2_config({"encoder": enc, "train": tc}),
            stage3_config({"train": tc, "full_tune": tc, "full_tune_parts": ["connector", "llm", "temporal", "backbone"], "max_new_tokens": 16}))


def _measure(device: str, fn):
    """(result, seconds, peak MiB, the memory-estimate line(s) the stage printed)."""
    import torch

    from .environment import PeakMemory

    lines: list[str] = []
    with PeakMemory(device) as pm:
        t0 = time.perf_counter()
        out = fn(lines.append)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
    return out, seconds, pm.peak_mib, [ln for ln in lines if ln.startswith("memory estimate")]


def _estimate_mib(lines: list[str]) -> float | None:
    import re

    vals = [float(m.group(1)) for ln in lines if (m := re.search(r"= ([0-9.e+-]+) GB", ln))]
    return max(vals) * 1e9 / 2**20 if vals else None


def llava_table(samples: dict, z: Sizes, device: str = "cpu", work: str | Path | None = None) -> BenchTable:
    """One row per (stage, where the clips are): see the module docstring. ``samples``: {split: manifest samples}."""
    import torch

    from slt_nb.llava_slt.data import load_clipset
    from slt_nb.llava_slt.llm import load_llm
    from slt_nb.llava_slt.stage1 import llm_location, run_stage1
    from slt_nb.llava_slt.stage2 import load_encoder, run_stage2
    from slt_nb.llava_slt.stage3 import build_model, run_stage3, translate

    t = BenchTable("llava_stages", "LLaVA-SLT stages: clips/s and peak memory",
                   ["stage", "clips", "augment", "clips in", "seconds", "clips/s", "peak MiB", "estimate MiB"])
    work = Path(work or tempfile.mkdtemp(prefix="bench-llava-"))
    sides = {False: z.frame_size, True: z.resize or z.frame_size}  # stored side without / with augmentation (then cropped per batch)
    sets = {(mode, aug): {sp: load_clipset(s, t_max=z.t_max, frame_size=sides[aug], crop="center", cache_gb=None if mode == "memory" else 0)
                          for sp, s in samples.items()} for mode, aug in (("memory", False), ("streamed", False), ("streamed", True))}
    n_train = len(samples["train"])

    def row(stage, mode, augment, clips, seconds, peak, est):
        t.add(**{"stage": stage, "clips": clips, "augment": augment, "clips in": mode, "seconds": round(seconds, 2), "clips/s": clips / seconds,
                 "peak MiB": None if peak is None else round(peak), "estimate MiB": None if est is None else round(est)})

    llm, s1, _, _ = _configs(z, False)
    done1, sec, peak, est = _measure(device, lambda log: run_stage1(samples["train"], samples["dev"], "phoenix", llm, s1, work / "stage1", force=True,
                                                                     device=device, log=log))
    row("1 continued pretraining (texts)", "-", False, n_train * z.epochs, sec, peak, _estimate_mib(est))
    for mode, augment in (("memory", False), ("streamed", False), ("streamed", True)):
        _, _, s2, s3 = _configs(z, augment)
        cs = sets[mode, augment]
        sdir = work / f"stage2-{mode}-{augment}"
        _, sec, peak, est = _measure(device, lambda log: run_stage2(cs["train"], cs["dev"], s2, sdir, force=True, device=device, log=log))
        row("2 visual contrastive", mode, augment, n_train * z.epochs, sec, peak, _estimate_mib(est))
        enc, _ = load_encoder(sdir)
        lm, tok = load_llm(llm_location(work / "stage1", done1))
        model = build_model(enc, lm, tok, "phoenix", s3).to(device)
        _, sec, peak, est = _measure(device, lambda log: run_stage3(model, tok, cs["train"], s3, work / f"stage3-{mode}-{augment}", "k", force=True,
                                                                     log=log))
        row("3 connector + full-tuning", mode, augment, 2 * n_train * z.epochs, sec, peak, _estimate_mib(est))
        _, sec, peak, _ = _measure(device, lambda log: translate(model, tok, cs["test"], max_new_tokens=s3.max_new_tokens))
        row("3 greedy decoding (test)", mode, False, len(cs["test"]), sec, peak, None)
        del model
        if device == "cuda":
            torch.cuda.empty_cache()
    t.notes = [f"sizes: {z}",
               "clips in: memory = the split decoded once (the embedded default); streamed = decoded from the PNG files per batch (the real path).",
               "augment: App. C's input processing in training (resize, random crop, jitter, rotation, flip; frames.AUGMENT_PAPER): "
               "stage 3 can then not reuse backbone features computed once and encodes every batch.",
               "peak MiB: CUDA max allocated, or on the CPU the resident high-water mark above the stage's start (whole process); "
               "estimate MiB: the largest estimate the stage printed (device memory; on the CPU it is not a bound on RSS).",
               "stage 3 clips = connector epochs + full-tuning epochs; one run per row, no warm-up: the first row pays the imports."]
    return t
