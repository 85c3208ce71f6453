"""Stand-ins of the small-VLM paper's checkpoints: SmolVLM2 (three sizes) and Qwen2.5-VL-3B-Instruct.

Each builder writes the files of a hub repo of that checkpoint into a folder (config.json with the real
``architectures``, safetensors weights, generation config, tokenizer, processor configs, chat template)
for :mod:`slt_nb.standins.hub_cache`. The models are those of :mod:`slt_nb.standins.tiny`: the **same
classes** (``SmolVLMForConditionalGeneration`` + ``SmolVLMProcessor``, ``Qwen2_5_VLForConditionalGeneration``
+ ``Qwen2_5_VLProcessor``), the same special tokens, randomly initialised from ``seed``. What differs from
the real checkpoints is size only: hidden widths, depths, a 1,024-token byte-level BPE vocabulary
trained on the fixed text :data:`TEXT` below (never on a dataset) and tiny frames (SmolVLM 32 px,
Qwen2.5-VL 56 px). Weights are stored in bfloat16 like the real repos'; Qwen2.5-VL-3B is sharded in two
files like the real one. The saved chat template is the one the real checkpoint renders videos with
(the project passes its own explicit template anyway, see :mod:`slt_nb.models.chat_templates`).

The three SmolVLM2 sizes keep the real order (256M < 500M < 2.2B) so Table 8's size axis means something
in the rehearsal: :data:`SMOLVLM2_SIZES` maps them to the tiny sizes tiny-xs < tiny-s < tiny.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SLTInputError

# Fixed text the stand-in tokenizers are trained on (German weather forecasts and PHOENIX-style glosses,
# English instructions, a little Chinese): byte-level BPE encodes any other text too, just in more tokens.
TEXT: tuple[str, ...] = (
    "und nun die wettervorhersage für morgen, samstag den vierten mai.",
    "am tag wechselhaft mit regen im süden, im norden scheint die sonne.",
    "morgen früh ist es vielerorts neblig, später lockern die wolken auf.",
    "in der nacht sinken die temperaturen auf werte um den gefrierpunkt.",
    "der wind weht schwach bis mäßig aus westlichen richtungen.",
    "im bergland fällt schnee, an den küsten gibt es stürmische böen.",
    "die höchstwerte liegen zwischen zwölf und achtzehn grad.",
    "am wochenende wird es wieder freundlicher und deutlich wärmer.",
    "Guten Abend, liebe Zuschauer. Übermorgen wird es größer und heißer.",
    "MORGEN REGEN SUED SONNE NORD",
    "TEMPERATUR MINUS ZWEI BIS SIEBEN GRAD",
    "WOCHENENDE FREUNDLICH WARM WIND SCHWACH",
    "Hi, I'm going to show you how to tie a simple knot.",
    "First, fold the paper in half and press the edge firmly.",
    "Now add two cups of flour and stir it slowly for a minute.",
    "Make sure the strings are tight before you start playing.",
    "Today we will talk about how to take care of your bike.",
    "Keep your back straight and breathe in deeply, then relax.",
    "That's it, and now you know how to do it yourself.",
    "The weather will be sunny tomorrow with a light breeze from the west.",
    "今天天气很好，我们去公园散步吧。",
    "我明天要去医院看病。",
    "请问火车站怎么走？",
    "谢谢你的帮助，再见。",
)

# Table 8's SmolVLM2 sizes -> the tiny sizes of slt_nb.standins.tiny.TINY_SCALES (same order of size).
SMOLVLM2_SIZES: dict[str, str] = {
    "HuggingFaceTB/SmolVLM2-256M-Video-Instruct": "tiny-xs",
    "HuggingFaceTB/SmolVLM2-500M-Video-Instruct": "tiny-s",
    "HuggingFaceTB/SmolVLM2-2.2B-Instruct": "tiny",
}

QWEN2_5_VL_SHARDS = 2  # Qwen/Qwen2.5-VL-3B-Instruct: model-0000{1,2}-of-00002.safetensors + index
# Qwen/Qwen2.5-VL-3B-Instruct's generation_config.json sampling defaults (greedy decoding must override them)
QWEN2_5_VL_SAMPLING = dict(do_sample=True, repetition_penalty=1.05, temperature=0.1, top_p=0.001, top_k=1)


def save_sharded(model, folder: Path, shards: int = 1) -> None:
    """``save_pretrained`` (safetensors) in ``shards`` files (+ ``model.safetensors.index.json`` when > 1), as
    the real repo splits its weights: the smallest shard size at which the split gives no more files.
    config.json names the model class in ``architectures`` at its top level, as every real repo's does."""
    from huggingface_hub import split_torch_state_dict_into_shards

    unique, seen = {}, set()
    for name, t in model.state_dict().items():  # tied weights are saved once
        if t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            unique[name] = t
    n_files = lambda size: len(split_torch_state_dict_into_shards(unique, max_shard_size=size).filename_to_tensors)
    lo = hi = sum(t.numel() * t.element_size() for t in unique.values())
    if shards > 1:
        lo = -(-hi // shards)
        while lo < hi:  # binary search: the file count falls as the shard size grows
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if n_files(mid) <= shards else (mid + 1, hi)
    model.save_pretrained(folder, safe_serialization=True, max_shard_size=lo)
    config = Path(folder) / "config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    if "architectures" not in data:  # transformers 4.57 files Qwen2.5-VL's under text_config; the real repo has it on top
        data["architectures"] = [type(model).__name__]
        config.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _build(folder: Path, family: str, size: str, *, seed: int, shards: int, chat_template: str, generation: dict | None = None,
           eos_tokens: tuple[str, ...] = ()) -> None:
    import torch

    from .tiny import make_tiny

    model, processor = make_tiny(family, TEXT, seed=seed, size=size)
    processor.chat_template = chat_template
    for key, value in (generation or {}).items():
        setattr(model.generation_config, key, value)
    if eos_tokens:
        model.generation_config.eos_token_id = processor.tokenizer.convert_tokens_to_ids(list(eos_tokens))
    model = model.to(torch.bfloat16)  # the real repos' dtype; loaders cast as they ask (float32 by default)
    save_sharded(model, folder, shards)
    processor.save_pretrained(folder)


def smolvlm2(folder: Path, hub_id: str, *, seed: int) -> None:
    """HuggingFaceTB/SmolVLM2-{256M-Video,500M-Video,2.2B}-Instruct: a tiny ``SmolVLMForConditionalGeneration``
    (SigLIP-style vision tower, pixel-shuffle connector, Llama text model) + ``SmolVLMProcessor``; the size
    follows :data:`SMOLVLM2_SIZES`. Chat template: transformers' SmolVLM video template (what the real
    processor renders a video conversation with)."""
    from transformers.models.smolvlm.processing_smolvlm import DEFAULT_CHAT_TEMPLATE

    if hub_id not in SMOLVLM2_SIZES:
        raise SLTInputError(f"no SmolVLM2 stand-in size for {hub_id!r}", hint=f"known: {sorted(SMOLVLM2_SIZES)}")
    _build(Path(folder), "smolvlm", SMOLVLM2_SIZES[hub_id], seed=seed, shards=1, chat_template=DEFAULT_CHAT_TEMPLATE)


def qwen2_5_vl(folder: Path, hub_id: str, *, seed: int) -> None:
    """Qwen/Qwen2.5-VL-3B-Instruct: a tiny ``Qwen2_5_VLForConditionalGeneration`` (windowed ViT, patch merger,
    Qwen2.5 LM with M-RoPE) + ``Qwen2_5_VLProcessor``, weights in two shards; the official chat template."""
    from ..models.chat_templates import QWEN2_5_VL_OFFICIAL_TEMPLATE

    _build(Path(folder), "qwen2_5_vl", "tiny", seed=seed, shards=QWEN2_5_VL_SHARDS, chat_template=QWEN2_5_VL_OFFICIAL_TEMPLATE,
           generation=QWEN2_5_VL_SAMPLING, eos_tokens=("<|im_end|>", "<|endoftext|>"))  # the real eos list
