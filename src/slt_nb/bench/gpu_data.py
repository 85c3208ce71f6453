"""GPU readiness, inputs: synthetic clips, the models (random weights), and greedy generation timed.

Nothing is read from disk or a hub: the clips are seeded random frames (at PHOENIX-2014T's
210 x 260 by default, sampled to ``t_max``; a quarter of them shorter, so length grouping and
left padding have work to do) with random German weather-report sentences as answers; the
tokenizer is the offline byte-level BPE of :mod:`slt_nb.standins.tiny` trained on them; the models
are the tiny ones (CPU smoke mode) or the real architectures of :mod:`.real_configs` with random
weights (CUDA: bf16, FlashAttention-2 where ``flash_attn`` is installed, else SDPA) around the
real processors' frame geometry. Only torch, transformers, peft, numpy, PIL and tqdm are needed.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import time
import types

import numpy as np

WORDS = ("morgen regen sonne wind nord sued ost west kalt warm wolke schnee gewitter nebel frost temperatur grad heute nacht tag "
         "region kueste berg see freundlich trocken schauer maessig stark frisch himmel bewoelkt sonnig mild").split()


def _words_en(n: int) -> str:
    ones = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    tens = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
    if n < 20:
        return ones[n]
    if n < 100:
        return tens[n // 10] + ("" if n % 10 == 0 else "-" + ones[n % 10])
    head = ones[n // 100] + " hundred"
    return head if n % 100 == 0 else f"{head} and {_words_en(n % 100)}"


def ensure_num2words() -> bool:
    """The tiny SmolVLM tokenizer's boilerplate spells frame counts with ``num2words``; where that
    package is missing (a bare GPU node) put in an English stand-in for 0..999 (the same spelling
    as num2words' for those). Returns whether the stand-in was installed."""
    if "num2words" in sys.modules or importlib.util.find_spec("num2words") is not None:
        return False
    mod = types.ModuleType("num2words")
    mod.num2words = lambda n, lang="en", **_: _words_en(int(n))
    sys.modules["num2words"] = mod
    return True


def synthetic_clips(n: int, prompt: str, *, t_max: int, height: int, width: int, seed: int = 0) -> list[dict]:
    """``n`` collator inputs (:func:`~slt_nb.train.collate.make_example`): seeded random frames, ids ``clip000``..."""
    from ..train.collate import make_example

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = t_max if rng.random() < 0.75 else int(rng.integers(max(2, t_max // 2), t_max))
        t = max(2, t - t % 2)  # even: Qwen pairs frames
        total = int(rng.integers(t, 2 * t + 1))  # the clip the frames were sampled from
        idx = np.linspace(0, total - 1, t).round().astype(int).tolist()
        frames = rng.integers(0, 256, size=(t, height, width, 3), dtype=np.uint8)
        answer = " ".join(rng.choice(WORDS, size=int(rng.integers(6, 17))).tolist())
        out.append(make_example(frames, prompt, answer, fps=25.0, frames_indices=idx, total_frames=total, id=f"clip{i:03d}"))
    return out


def transformers_major() -> int:
    import transformers

    return int(transformers.__version__.split(".")[0])


def _metadata_kwargs(metas: list[dict]) -> dict:
    return {"video_metadata": metas}


def compat_family(name: str):
    """The :class:`~slt_nb.models.registry.ModelFamily`, adapted to the installed transformers: from
    5.0 on the Qwen2.5-VL processor takes the sampled frame rate from ``video_metadata``
    (``sampled_fps`` = sampled frames / total frames x fps, what the registry computes) and refuses
    the per-video ``fps`` list that 4.57 needs, so both families pass the metadata there."""
    import dataclasses

    from ..models.registry import get_family

    fam = get_family(name)
    return dataclasses.replace(fam, video_kwargs=_metadata_kwargs) if transformers_major() >= 5 else fam


def model_factory(spec: str, texts: list[str], device: str, seed: int):
    """(family, processor, make_model, dtype, attention asked for) of ``tiny:<family>`` or a real model
    name; ``make_model()`` returns a fresh model with the same random weights every call. ``family``
    is the :class:`~slt_nb.models.registry.ModelFamily` of :func:`compat_family`."""
    import torch

    from .train_bench import parse_model

    ensure_num2words()
    name, size = parse_model(spec)
    family = compat_family(name)
    if size == "tiny":
        from ..standins.tiny import make_tiny

        base, processor = make_tiny(name, texts, seed=seed)
        base = base.to(device)
        return family, processor, (lambda: copy.deepcopy(base)), torch.float32, base.config._attn_implementation
    from ..standins.tiny import train_tokenizer
    from .real_configs import build_model, real_processor

    attn = "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"
    tok = train_tokenizer(texts, name)

    def make_model():
        torch.manual_seed(seed)
        return build_model(spec, tokenizer=tok, device=device, dtype=torch.bfloat16, attn_implementation=attn)

    return family, real_processor(spec, tok), make_model, torch.bfloat16, attn


def attention_ran(model) -> str:
    """The attention implementation the model's text and vision configs hold after loading."""
    cfg = model.config
    text = getattr(getattr(cfg, "text_config", None), "_attn_implementation", None)
    vision = getattr(getattr(cfg, "vision_config", None), "_attn_implementation", None)
    top = getattr(cfg, "_attn_implementation", None)
    return f"{text or top} (LM) / {vision or top} (vision)"


def spread_weights(model, gain: float = 2.4, seed: int = 0):
    """Re-draw every weight matrix from N(0, (gain / sqrt(fan_in))^2) on its own device (seeded), so a
    random model's greedy output depends on the clip (at the usual init it repeats one token). For the
    tiny models' 64-wide layers this is :func:`.generation.spread_weights`' std 0.3."""
    import torch

    gens = {}
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() < 2:
                continue
            if p.device not in gens:
                gens[p.device] = torch.Generator(device=p.device).manual_seed(seed)
            std = gain / float(np.sqrt(p[0].numel()))
            p.copy_(torch.randn(p.shape, generator=gens[p.device], device=p.device) * std)
    return model


def _known_tokens_only(n: int):
    """A logits processor that keeps generation to the first ``n`` token ids (one slice per step)."""
    from transformers import LogitsProcessor, LogitsProcessorList

    class KnownTokensOnly(LogitsProcessor):
        def __call__(self, input_ids, scores):
            scores[:, n:] = float("-inf")
            return scores

    return LogitsProcessorList([KnownTokensOnly()])


def generate_texts(model, processor, family, batch: dict, cfg) -> list[str]:
    """:func:`~slt_nb.train.generate.generate_batch` on an already collated batch, step for step
    (visual tensors in the vision tower's dtype, greedy ``cfg``, only the new tokens decoded, cut at
    the first stop token), except that ``use_model_defaults=False`` is passed only where generate
    takes it (transformers < 5; 5.x dropped it, and a config built from scratch is used as is), and
    that a real-size model only emits ids the offline tokenizer can decode."""
    import torch

    from ..train.generate import _model_device, _vision_dtype

    device, vdtype = _model_device(model), _vision_dtype(model, family)
    inputs = {k: (v.to(device).to(vdtype) if k.startswith("pixel_values") and v.is_floating_point() else v.to(device)) for k, v in batch.items()}
    extra = {"use_model_defaults": False} if transformers_major() < 5 else {}
    known = len(processor.tokenizer)
    if model.get_output_embeddings().weight.shape[0] > known:  # a real-size vocabulary around the small offline tokenizer
        extra["logits_processor"] = _known_tokens_only(known)
    with torch.inference_mode():
        out = model.generate(**inputs, generation_config=cfg, **extra)
    stops = set(cfg.eos_token_id if isinstance(cfg.eos_token_id, list) else [cfg.eos_token_id])
    texts = []
    for ids in out[:, inputs["input_ids"].shape[1]:].tolist():
        cut = next((i for i, t in enumerate(ids) if t in stops), len(ids))
        texts.append(processor.tokenizer.decode(ids[:cut], skip_special_tokens=True).strip())
    return texts


def time_generation(model, processor, family: str, clips: list[dict], *, t_max: int, batch_size: int, max_new_tokens: int,
                    deadline: float | None = None) -> dict:
    """Greedy texts of ``clips`` in batches of ``batch_size`` (longest first, left padding), exactly
    ``max_new_tokens`` each (:func:`generate_texts`). Collation runs once beforehand and is reported apart. Stops at ``deadline``
    after a finished batch. Returns texts by clip id, seconds, clips done, collate seconds per clip."""
    import torch

    from ..train.collate import VideoCollator
    from ..train.generate import greedy_config

    cfg = greedy_config(processor, family, max_new_tokens, model=model)
    cfg.min_new_tokens = max_new_tokens  # the same work per clip whatever the random model says
    collator = VideoCollator(processor, family, train=False, padding_side="left", t_max=t_max)
    order = sorted(clips, key=lambda ex: (-len(ex["frames"]), ex["id"]))  # longest first, as generate_predictions
    t0 = time.perf_counter()
    batches = [(order[i:i + batch_size], collator(order[i:i + batch_size])) for i in range(0, len(order), batch_size)]
    collate_s = time.perf_counter() - t0
    model.eval()
    sync = torch.cuda.synchronize if next(model.parameters()).is_cuda else (lambda: None)
    texts, done, seconds = {}, 0, 0.0
    for b, batch in batches:
        sync()
        t0 = time.perf_counter()
        out = generate_texts(model, processor, family, batch, cfg)
        sync()
        seconds += time.perf_counter() - t0
        texts.update({ex["id"]: t for ex, t in zip(b, out)})
        done += len(b)
        if deadline is not None and time.monotonic() > deadline:
            break
    return {"texts": texts, "seconds": seconds, "clips": done, "collate_s_per_clip": collate_s / len(clips)}


def warm_up_generation(model, processor, family: str, clips: list[dict], *, t_max: int) -> None:
    """One short generation (2 tokens) so the timed runs see warm kernels and allocator."""
    time_generation(model, processor, family, clips[:1], t_max=t_max, batch_size=1, max_new_tokens=2)
