"""Generation: batched greedy decoding against one clip at a time, speed and identical outputs.

The prediction path of :func:`slt_nb.train.generate.generate_predictions`, batch by batch: the
paper's sampler, :func:`~slt_nb.train.generate.length_order` (longest first), left-padded
batches through :func:`~slt_nb.train.generate.generate_batch` with the greedy config of
:func:`~slt_nb.train.generate.greedy_config` (``num_beams=1``, ``do_sample=False``, KV cache) —
with ``min_new_tokens = max_new_tokens``: the random tiny models would otherwise stop at once on
some clips (Qwen) and run to the limit on others, so every clip decodes exactly that many tokens
and both runs do the same work. Batch size 1 and batch size B on the same clips and model
(float32 on CPU) must give identical text, clip by clip (what ``tests/test_generate.py`` asserts;
here the result of the check is reported beside the speed). Timings include decoding the
sampled frames and collating, as a real prediction run does.

A random model at the usual init (std 0.02) emits one token over and over whatever the clip,
which would make the identity check vacuous; :func:`spread_weights` re-draws the matrices with
std 0.3 so greedy outputs depend on the input (the table reports how many distinct texts came out).
"""

from __future__ import annotations

from .tables import BenchTable


def spread_weights(model, std: float = 0.3, seed: int = 0):
    """Re-draw every weight matrix of ``model`` from N(0, std^2) (seeded), in place; returns the model."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=gen) * std)
    return model


def generate_all(model, processor, family: str, samples, prompt: str, *, t_max: int, batch_size: int, max_new_tokens: int) -> list[str]:
    """Texts for ``samples`` in input order, ``batch_size`` clips per left-padded batch, exactly ``max_new_tokens`` each."""
    from ..train.collate import VideoCollator, rows_from_samples
    from ..train.generate import generate_batch, greedy_config, length_order

    cfg = greedy_config(processor, family, max_new_tokens, model=model)
    cfg.min_new_tokens = max_new_tokens  # fixed work per clip (see the module docstring)
    collator = VideoCollator(processor, family, train=False, padding_side="left", t_max=t_max)
    order = length_order(samples, t_max)
    preds: dict[int, str] = {}
    model.eval()
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        texts = generate_batch(model, processor, family, rows_from_samples([samples[j] for j in idx], prompt), generation_config=cfg, collator=collator)
        preds.update(zip(idx, texts))
    return [preds[i] for i in range(len(samples))]


def generation_rows(spec: str, model, processor, family: str, samples, prompt: str, *, t_max: int, batch_sizes=(1, 8),
                    max_new_tokens: int = 64) -> list[dict]:
    """One row per batch size: clips/s, generated tokens/s, identical to the first batch size or not."""
    from .environment import step_clock

    clock = step_clock("cpu" if next(model.parameters()).device.type == "cpu" else "cuda")[0]
    preds, times = {}, {}
    generate_all(model, processor, family, samples[:1], prompt, t_max=t_max, batch_size=1, max_new_tokens=2)  # warm-up
    for bs in batch_sizes:
        t0 = clock()
        preds[bs] = generate_all(model, processor, family, samples, prompt, t_max=t_max, batch_size=bs, max_new_tokens=max_new_tokens)
        times[bs] = clock() - t0
    out, base = [], batch_sizes[0]
    n_tokens = len(samples) * max_new_tokens
    for bs in batch_sizes:
        same = sum(a == b for a, b in zip(preds[bs], preds[base]))
        out.append({"model": spec, "batch size": bs, "clips": len(samples), "clips/s": len(samples) / times[bs],
                    "generated tokens/s": n_tokens / times[bs], "speed-up": times[base] / times[bs],
                    f"identical to batch {base}": f"{same}/{len(samples)}", "distinct outputs": len(set(preds[bs]))})
    return out


def generation_table(rows: list[dict], *, t_max: int, max_new_tokens: int, base: int = 1) -> BenchTable:
    table = BenchTable("generation", f"Greedy generation: batched (left padding, KV cache) vs one clip at a time (T_max={t_max})",
                       ["model", "batch size", "clips", "clips/s", "generated tokens/s", "speed-up", f"identical to batch {base}", "distinct outputs"])
    for r in rows:
        table.add(**r)
    table.notes += [f"generate_batch per length-ordered batch (generate_predictions' path): greedy, num_beams=1, KV cache, left padding, "
                    f"exactly {max_new_tokens} new tokens per clip (min_new_tokens = max_new_tokens; paper limit: 128)",
                    "tiny models with weights re-drawn N(0, 0.3^2) (spread_weights) so that outputs depend on the clip; "
                    "distinct outputs = different texts among the clips",
                    "timings include decoding the sampled frames and collating (the whole prediction path), float32 on CPU, "
                    "process CPU time with 1 torch thread (unaffected by other load), else wall time",
                    "identical = the same text clip by clip as batch size 1 (in bf16 on a GPU the logits may move by one ulp with the "
                    "batch shape and flip near-ties: see train/generate.py)"]
    return table
