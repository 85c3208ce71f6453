"""Greedy, batched inference with a fine-tuned adapter (paper Sec 4.3) and predictions as JSONL.

:func:`~slt_nb.train.load_run.load_for_inference` turns a run directory (``runs/<hash>/``: ``run.json`` naming the
family and base model, a PEFT adapter saved with ``save_pretrained`` — safetensors, the
connector in ``modules_to_save`` — and the processor saved beside it) into an eval-mode model.
:func:`generate_predictions` decodes manifest samples: the paper's frame sampler (T_max),
greedy decoding (``do_sample=False``, ``num_beams=1``, no repetition penalty: a fresh
``GenerationConfig``, not the checkpoint's sampling defaults), at most 128 new tokens, the KV
cache, batches padded on the **left**; one JSONL row per sample.

Batching does not change the text (``tests/test_generate.py`` checks it on both families,
transformers 4.57.6, float32):

* left padding: ``generate`` derives ``position_ids`` from the attention mask (cumsum), so
  every sample's text positions start at 0 whatever its padding;
* Qwen2.5-VL's M-RoPE: ``get_rope_index`` (with video times kept fractional: :mod:`slt_nb.models.mrope`)
  computes the (t, h, w) positions from the unpadded
  tokens of each row and ``rope_deltas = max_pos + 1 - padded_len``; decoding steps use
  ``cache_position + rope_deltas``, so a padded row continues exactly where its unpadded
  twin would. ``video_grid_thw`` / ``second_per_grid_ts`` are per sample;
* SmolVLM2: the collator runs the processor per sample (its own "series of N frames" intro)
  and pads the frame axis with all-zero frames, which the model drops before the vision
  encoder, so no padding frame reaches the image tokens.

No fallback (grouping equal-length inputs) is needed for either family: in float32 the logits
of a padded batch are bit-identical to one-by-one (checked over 24 clips x 32 tokens at batch
sizes 1, 8, 24). In bfloat16 (the paper's GPU setting) the logits move by up to one bf16 ulp
(~0.004 on the tiny models) with the batch's shape, and greedy decoding then flips only at
exact or near ties: the tiny random models, whose logits are flat, differed on 1-3 of 24 clips.
That is rounding, not a position bug, and grouping equal lengths would not remove it (unpadded
rows of a mixed batch differ too). Load in float32 (``load_for_inference(..., dtype=torch.float32)``)
or use ``batch_size=1`` where bit-identical text across batch sizes matters more than speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import SLTInputError
from ..models.registry import ModelFamily, get_family

ROW_KEYS = ("id", "dataset", "split", "reference", "prediction", "model", "params_hash")  # one predictions JSONL line


# ---- generation ----------------------------------------------------------------------------


def greedy_config(processor, family: str | ModelFamily, max_new_tokens: int = 128, *, model=None):
    """A fresh ``GenerationConfig``: greedy (Sec 4.3), KV cache, stop at the end of the turn.

    Built from scratch (``use_model_defaults=False`` when generating) so a checkpoint's own
    sampling defaults (Qwen2.5-VL-Instruct: temperature, top_p, repetition_penalty) never apply.
    """
    from transformers import GenerationConfig

    fam = get_family(family)
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens <= 0:
        raise SLTInputError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    tok = processor.tokenizer
    eos = [tok.convert_tokens_to_ids(fam.end_of_turn)]
    extra = [tok.eos_token_id]
    if model is not None and getattr(model, "generation_config", None) is not None:  # e.g. Qwen2.5-VL: <|im_end|> and <|endoftext|>
        gen_eos = model.generation_config.eos_token_id
        extra += gen_eos if isinstance(gen_eos, list) else [gen_eos]
    eos += [t for t in dict.fromkeys(extra) if t is not None and t not in eos]
    pad = tok.pad_token_id if tok.pad_token_id is not None else eos[0]
    return GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, use_cache=True, eos_token_id=eos,
                            pad_token_id=pad, bos_token_id=tok.bos_token_id, repetition_penalty=1.0)


def _vision_dtype(model, fam: ModelFamily):
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return next(base.get_submodule(fam.vision_tower).parameters()).dtype
    except (AttributeError, StopIteration):
        return next(base.parameters()).dtype


def _model_device(model):
    return next(model.parameters()).device


def _is_oom(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    msg = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in msg or "not enough memory" in msg)


def _free_accelerator_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def generate_batch(model, processor, family: str | ModelFamily, examples: list[dict], *, max_new_tokens: int = 128,
                   generation_config=None, collator=None) -> list[str]:
    """Texts generated for :func:`~slt_nb.train.collate.make_example` dicts or manifest rows, one
    left-padded batch; only the new tokens, cut at the end of the turn, special tokens and
    surrounding whitespace stripped."""
    import torch

    from .collate import VideoCollator

    fam = get_family(family)
    collator = collator or VideoCollator(processor, fam, train=False, padding_side="left")
    gen_cfg = generation_config or greedy_config(processor, fam, max_new_tokens, model=model)
    batch = collator(examples)
    device, vdtype = _model_device(model), _vision_dtype(model, fam)
    inputs = {}
    for key, val in batch.items():
        if isinstance(val, torch.Tensor):
            val = val.to(device)
            if key.startswith("pixel_values") and val.is_floating_point():
                val = val.to(vdtype)
        inputs[key] = val
    with torch.inference_mode():
        out = model.generate(**inputs, generation_config=gen_cfg, use_model_defaults=False)
    new = out[:, inputs["input_ids"].shape[1]:].tolist()  # decode only the generated tokens
    stops = set(gen_cfg.eos_token_id if isinstance(gen_cfg.eos_token_id, list) else [gen_cfg.eos_token_id])
    texts = []
    for ids in new:
        cut = next((i for i, t in enumerate(ids) if t in stops), len(ids))
        texts.append(processor.tokenizer.decode(ids[:cut], skip_special_tokens=True).strip())
    return texts


def _as_sample(s):
    from ..data.manifest import Sample

    if isinstance(s, Sample):
        return s
    if isinstance(s, dict):
        from dataclasses import fields

        names = {f.name for f in fields(Sample)}
        return Sample(**{k: v for k, v in s.items() if k in names})
    raise SLTInputError(f"expected manifest Samples (or their dicts), got {type(s).__name__}")


def length_order(samples: Sequence, t_max: int) -> list[int]:
    """Indices of ``samples``, longest (most sampled frames) first; ties keep input order.

    The frame count after sampling fixes the number of visual tokens, and the prompt is the same
    for every sample, so this sorts by input length without decoding anything.
    """
    return sorted(range(len(samples)), key=lambda i: (-min(int(samples[i].n_frames), int(t_max)), i))


def generate_predictions(model, processor, family: str | ModelFamily, samples: Sequence, *, prompt, t_max: int, batch_size: int = 8,
                         max_new_tokens: int = 128, model_name: str, params_hash: str | None = None, out_path: str | Path | None = None,
                         progress: bool = True) -> list[dict]:
    """Greedy predictions for manifest ``samples`` (``Sample`` objects or their dicts).

    Frames: the paper's sampler with budget ``t_max`` (decoded batch by batch, never all at
    once). Batches of ``batch_size`` samples of similar length (sorted longest first), left
    padded; the output is in input order: one row ``{id, dataset, split, reference,
    prediction, model, params_hash}`` per sample. ``out_path``: also written as JSONL,
    atomically. On CUDA out-of-memory a batch is split in halves and retried (same text:
    batching does not change results); a single sample that does not fit is an error.
    ``prompt``: the Table 16 prompt text (a :class:`~slt_nb.train.prompts.Prompt` works too).
    """
    from ..progress import tqdm

    from ..io import write_jsonl
    from .collate import VideoCollator, rows_from_samples

    fam = get_family(family)
    prompt_text = getattr(prompt, "text", prompt)
    if not isinstance(prompt_text, str) or not prompt_text.strip():
        raise SLTInputError(f"empty or missing prompt {prompt!r}", hint="use slt_nb.train.prompts.prompt_for(dataset).text")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise SLTInputError(f"batch_size must be a positive integer, got {batch_size!r}")
    samples = [_as_sample(s) for s in samples]
    if not samples:
        raise SLTInputError("no samples to translate", file=out_path, hint="check the manifest and split")
    collator = VideoCollator(processor, fam, train=False, padding_side="left", t_max=t_max)
    gen_cfg = greedy_config(processor, fam, max_new_tokens, model=model)
    order = length_order(samples, t_max)
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    was_training = model.training
    model.eval()  # LoRA dropout off
    preds: dict[int, str] = {}

    def run(idx: list[int]) -> None:
        texts = None
        try:
            texts = generate_batch(model, processor, fam, rows_from_samples([samples[i] for i in idx], prompt_text),
                                   generation_config=gen_cfg, collator=collator)
        except Exception as exc:
            if not _is_oom(exc):
                raise
        if texts is not None:
            preds.update(zip(idx, texts))
            return
        _free_accelerator_memory()  # outside the except block: the traceback no longer holds the batch's tensors
        if len(idx) == 1:
            raise SLTInputError(f"out of memory generating for one clip ({min(samples[idx[0]].n_frames, t_max)} frames)",
                                sample=samples[idx[0]].id,
                                hint="lower t_max, load the model in bfloat16, use FlashAttention-2 / SDPA, or a larger GPU")
        half = len(idx) // 2  # batching does not change the text, so smaller batches give the same predictions
        run(idx[:half])
        run(idx[half:])

    try:
        with tqdm(batches, desc=f"generate {model_name}", unit="batch", disable=not progress) as bar:
            for idx in bar:
                run(idx)
                bar.set_postfix(clips=len(preds))
    finally:
        model.train(was_training)
    rows = [dict(zip(ROW_KEYS, (s.id, s.dataset, s.split, s.text, preds[i], model_name, params_hash))) for i, s in enumerate(samples)]
    if out_path is not None:
        write_jsonl(out_path, rows)
    return rows
