"""Data path: decoding only the sampled frames, and collating, against the model's appetite.

* :func:`decode_table` — for each corpus, the paper's sampler (Sec 3.3, ``sample_indices``) +
  ``decode_frames`` of only those frames (PIL for PNG folders, decord ``get_batch`` for mp4)
  against decoding every frame of the clip: frames/s, clips/s, frames touched.
* :func:`collate_table` — ``VideoCollator`` (train mode: chat template, processor, answer-only
  labels) over manifest rows, i.e. decode + collate, in samples/s on this process's threads,
  against the model's training step: the tiny models' measured CPU step (paper configuration:
  micro-batch 1, LoRA), and the real checkpoints' GPU step projected from FLOPs (the real
  processor's output shapes, :mod:`.flops`) at an assumed MFU of the paper's A100. The ratio
  loader/step must stay well above 1: ``train/sft.py`` loads with ``dataloader_num_workers=0``,
  so the loader's time adds to every step instead of overlapping it.
"""

from __future__ import annotations

from ..progress import tqdm

from ..data.frames import decode_frames, sample_indices
from .tables import BenchTable

ASSUMED_MFU = 0.35  # assumed model FLOPs utilisation of a real GPU run (not measured here)


def _clock():
    from .environment import step_clock

    return step_clock("cpu")[0]


def time_decode(samples, t_max: int, mode: str) -> dict:
    """Decode each clip's sampled frames (``mode="sampled"``) or all of them (``"all"``)."""
    clock = _clock()
    frames, t0 = 0, clock()
    for s in samples:
        idx = sample_indices(s.n_frames, t_max) if mode == "sampled" else list(range(s.n_frames))
        arr = decode_frames(s.source, s.source_kind, idx, start=s.start, end=s.end, sample=s.id)  # (len(idx), H, W, 3)
        frames += arr.shape[0]
    secs = clock() - t0
    return {"clips": len(samples), "frames": frames, "seconds": secs}


def decode_table(corpora: list[tuple[str, list]], t_max: int = 64, repeats: int = 2) -> BenchTable:
    """``corpora``: (label, samples) pairs. Rows: sampled vs all frames per corpus (best of ``repeats``,
    the two modes interleaved so that a burst of load elsewhere on the machine hits both)."""
    table = BenchTable("data_decode", f"Decoding the sampled frames (T_max={t_max}) vs every frame",
                       ["corpus", "format", "resolution", "clips", "mean frames/clip", "mode", "frames decoded", "frames/s", "clips/s", "clip speed-up"])
    for label, samples in tqdm(corpora, desc="decode", unit="corpus"):
        s0 = samples[0]
        arr = decode_frames(s0.source, s0.source_kind, [0], start=s0.start, end=s0.end)  # (1, H, W, 3): the resolution
        runs = {"all": [], "sampled": []}
        for _ in range(repeats):
            for mode in runs:
                runs[mode].append(time_decode(samples, t_max, mode))
        res = {mode: min(rs, key=lambda r: r["seconds"]) for mode, rs in runs.items()}
        for mode in ("sampled", "all"):
            r = res[mode]
            table.add(corpus=label, format="PNG folder (PIL)" if s0.source_kind == "frames" else "mp4 (decord)",
                      resolution=f"{arr.shape[2]}x{arr.shape[1]}", clips=r["clips"], **{"mean frames/clip": sum(s.n_frames for s in samples) / len(samples)},
                      mode=mode, **{"frames decoded": r["frames"], "frames/s": r["frames"] / r["seconds"], "clips/s": r["clips"] / r["seconds"],
                                    "clip speed-up": res["all"]["seconds"] / r["seconds"]})
    table.notes += [f"sampled = the paper's sampler (Sec 3.3): min(T, {t_max}) frames per clip, f_i = frames[floor((i+1)T/T_max) - 1]; "
                    "all = every frame of the clip decoded (what a loader that decodes, then samples, pays)",
                    "mp4: decord seeks to the key frame before each requested frame, so skipping frames saves less than with one file per frame",
                    "timed by " + _clock_how(),
                    "real-resolution rows: the synthetic clips resized to the dataset's frame size and re-encoded (PNG level 1 / H.264 CRF 14)"]
    return table


def time_loader(collator, rows: list[dict], repeats: int = 1) -> float:
    """Samples/s of ``collator`` over ``rows`` one at a time (manifest rows: decoding included)."""
    clock = _clock()
    collator(rows[:1])  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        for r in rows:
            collator([r])
        best = min(best, clock() - t0)
    return len(rows) / best


def time_train_step(model, batches: list[dict], params) -> float:
    """Samples/s of forward + backward + AdamW step over ``batches`` (micro-batch 1 each), after one warm-up."""
    import torch

    opt = torch.optim.AdamW(params, lr=1e-4)
    model.train()

    def step(b):
        model(**b).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    clock = _clock()
    step(batches[0])
    t0 = clock()
    for b in batches:
        step(b)
    return len(batches) / (clock() - t0)


def collate_table(tiny_rows: list[dict], real_rows: list[dict], *, mfu: float = ASSUMED_MFU, peak: float = 312e12) -> BenchTable:
    """Assemble the loader-vs-step table from :func:`tiny_loader_row` / :func:`real_loader_row` results."""
    table = BenchTable("data_collate", "Loader (decode + collate) vs training step",
                       ["model", "frames in", "tokens/sample", "loader samples/s", "step samples/s", "step source", "loader/step ratio"])
    for r in tiny_rows + real_rows:
        table.add(**r)
    table.notes += ["timed by " + _clock_how(), "loader = VideoCollator(train=True) on manifest rows: decode the sampled frames, chat template, processor, labels; "
                    "one process at the torch threads of the header (sft_config loads with dataloader_num_workers=0)",
                    "tiny step = forward + backward + AdamW of the tiny model with LoRA (r=64) + trainable connector, micro-batch 1, fp32 on this CPU",
                    f"real step = projected, not measured: model FLOPs of the real processor's sample shape (6N trained / 4N frozen on the "
                    f"backward path / 2N frozen forward-only, + attention) / ({peak / 1e12:.0f} TFLOP/s A100 bf16 x assumed MFU {mfu})",
                    "real processors: the checkpoints' frame sizes (SmolVLM2-2.2B 384 px, 500M 512 px, Qwen2.5-VL 128-768 x 28^2 px) around the "
                    "offline tiny tokenizer (real text tokenisation differs by a few tokens per frame)"]
    return table


def tiny_loader_row(family: str, samples, prompt: str, t_max: int, n_step: int = 6) -> dict:
    """Measured loader and CPU step rates of the tiny ``family`` model on ``samples``."""
    from ..models.load import apply_lora
    from ..standins.tiny import make_tiny
    from ..train.collate import VideoCollator, rows_from_samples

    model, processor = make_tiny(family, [s.text for s in samples])
    rows = rows_from_samples(samples, prompt)
    collator = VideoCollator(processor, family, train=True, t_max=t_max)
    loader = time_loader(collator, rows)
    batches = [collator([r]) for r in rows[:n_step]]
    model = apply_lora(model, family)
    step = time_train_step(model, batches, [p for p in model.parameters() if p.requires_grad])
    frames = min(samples[0].n_frames, t_max)
    return {"model": f"tiny {family}", "frames in": f"{frames} x {_res(samples[0])}", "tokens/sample": int(batches[0]["input_ids"].shape[1]),
            "loader samples/s": loader, "step samples/s": step, "step source": "measured, CPU fp32", "loader/step ratio": loader / step}


def real_loader_row(name: str, samples, prompt: str, t_max: int, *, mfu: float = ASSUMED_MFU, peak: float = 312e12) -> dict:
    """Measured loader rate with ``name``'s real processor; the GPU step projected from FLOPs."""
    from ..standins.tiny import train_tokenizer
    from ..train.collate import VideoCollator, rows_from_samples
    from .flops import batch_shape, model_dims, train_flops
    from .real_configs import build_model, get_real, real_processor

    rm = get_real(name)
    processor = real_processor(name, train_tokenizer([s.text for s in samples], rm.family))
    rows = rows_from_samples(samples, prompt)
    collator = VideoCollator(processor, rm.family, train=True, t_max=t_max)
    loader = time_loader(collator, rows)
    batch = collator(rows[:1])
    model = build_model(name)  # meta device: shapes only
    flops = train_flops(model_dims(model, rm.family), batch_shape(batch, model.config, rm.family))["total"]
    step = peak * mfu / flops
    return {"model": f"{name} processor", "frames in": f"{min(samples[0].n_frames, t_max)} x {_res(samples[0])}",
            "tokens/sample": int(batch["input_ids"].shape[1]), "loader samples/s": loader, "step samples/s": step,
            "step source": f"projected A100 @ MFU {mfu}", "loader/step ratio": loader / step}


def _clock_how() -> str:
    from .environment import step_clock

    return step_clock("cpu")[1]


def _res(sample) -> str:
    arr = decode_frames(sample.source, sample.source_kind, [0], start=sample.start, end=sample.end)  # (1, H, W, 3)
    return f"{arr.shape[2]}x{arr.shape[1]}"
