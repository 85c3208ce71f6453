"""Predictions of a finished fine-tuning run on its dataset's splits (paper Sec 4.3: greedy, <= 128 tokens)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SLTInputError
from .run import RunResult, dataset_record


def predict_run(result: RunResult, splits=("dev", "test"), *, out_dir: str | Path, batch_size: int = 8, max_new_tokens: int = 128,
                params_hash: str | None = None, shuffled_video_dir: str | Path | None = None, progress: bool = True,
                name: str | None = None) -> dict:
    """Greedy predictions of a finished run on ``splits`` -> ``<out_dir>/<name>.<dataset>.<split>.jsonl``
    (:func:`slt_nb.train.generate.generate_predictions`; ``name`` defaults to the run's model name).
    ``shuffled_video_dir``: also decode the last split with every clip's video replaced by the next
    clip's (a control: how much of the score comes from the video). Returns {split or
    "<split>-shuffled-video": path}."""
    from dataclasses import replace as dc_replace

    from ..data.prepare import load_split
    from .generate import generate_predictions, load_for_inference
    from .prompts import prompt_for

    if not result.finished:
        raise SLTInputError("the run has no final adapter yet", file=result.run_dir, hint="call train_run again to resume it")
    cfg = result.config
    record = dataset_record(cfg.dataset, cfg.manifest_dir)
    model, processor, fam = load_for_inference(result.run_dir)
    prompt = prompt_for(cfg.dataset, allow_non_paper=True).text
    out = {}
    kw = {"prompt": prompt, "t_max": cfg.t_max, "batch_size": batch_size, "max_new_tokens": max_new_tokens, "model_name": result.model_name,
          "params_hash": params_hash, "progress": progress}
    for split in splits:
        samples = load_split(record, split)
        if not samples:
            continue
        path = Path(out_dir) / f"{name or result.model_name}.{cfg.dataset}.{split}.jsonl"
        generate_predictions(model, processor, fam, samples, out_path=path, **kw)
        out[split] = path
    if shuffled_video_dir is not None and out:
        split = list(out)[-1]
        samples = load_split(record, split)
        video = [{"source": s.source, "source_kind": s.source_kind, "n_frames": s.n_frames, "fps": s.fps, "start": s.start, "end": s.end} for s in samples]
        swapped = [dc_replace(s, **video[(i + 1) % len(samples)]) for i, s in enumerate(samples)]
        path = Path(shuffled_video_dir) / f"{name or result.model_name}.{cfg.dataset}.{split}.jsonl"
        generate_predictions(model, processor, fam, swapped, out_path=path, **kw)
        out[f"{split}-shuffled-video"] = path
    return out
