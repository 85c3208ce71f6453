"""Tiny, offline models of the two architectures: the embedded default when no hub is reachable.

:func:`build_tiny` trains a byte-level BPE tokenizer on the given corpus (plus the prompts and
the processors' frame boilerplate), builds a randomly initialised
``SmolVLMForConditionalGeneration`` / ``Qwen2_5_VLForConditionalGeneration`` from a tiny config
and a processor configured for tiny frames, and ``save_pretrained``s everything (safetensors)
into one folder. That folder then loads through exactly the path a hub checkpoint uses:
``models.load.load_model_and_processor(family, folder)``.

Same architecture, same processors, same special tokens and chat template as the real models;
only the sizes differ (see :data:`TINY_SIZES`). Tokens per frame: SmolVLM 4 (32 px frame,
8 px patches, pixel-shuffle 2), Qwen2.5-VL 2 for a square frame (56 x 56 px, 14 px patches, 2x2 merge,
2 frames per temporal patch) and 1 for the default's 80 x 96 frames (resized to 28 x 56).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SLTInputError
from ..io import atomic_dir, write_json
from ..models.load import param_counts
from ..models.registry import ModelFamily, get_family

BUILD_INFO = "tiny_build.json"
BUILD_VERSION = 2  # bump when the tiny configs change: cached folders are rebuilt. 2: Qwen2.5-VL max_pixels one pixel over
# 56 x 56 (square frames were 28 x 28), CJK ideographs one per BPE piece
HAN = r"\p{Han}"  # Oniguruma (tokenizers.Regex): CJK ideographs


@dataclass(frozen=True)
class TinySpec:
    """How to make the tiny member of a family: tokenizer tokens, config and processor builders."""

    special_tokens: tuple[str, ...]  # added first, in this order (ids 0..n-1)
    tokenizer_class: str  # the class a real checkpoint's tokenizer loads as (or a generic fast one)
    tokenizer_kwargs: dict
    boilerplate: Callable[[], tuple[str, ...]]  # text the processor/template inserts: trained into the BPE merges
    make_config: Callable  # (tokenizer, sizes) -> PretrainedConfig
    make_processor: Callable  # (tokenizer) -> processor


# ---- sizes: "text" is both families' language model (Llama / Qwen2.5 layout) -------------------
TINY_SIZES = {
    "text": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2),
    "smolvlm_vision": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8),
    "smolvlm_scale_factor": 2,  # (32/8)^2 / 2^2 = 4 tokens per frame
    "qwen_vision": dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, patch_size=14, spatial_merge_size=2,
                        temporal_patch_size=2, window_size=56, fullatt_block_indexes=[1], tokens_per_second=2),
    "qwen_frame_pixels": 56 * 56,  # 2x2 merged tokens per 2 frames
    "qwen_mrope_section": [2, 3, 3],  # (t, h, w) rotary split, sums to head_dim/2 = 8 (3B: [16, 24, 24] = 64)
}

# ---- three tiny sizes of the same architecture (Table 8's 256M / 500M / 2.2B on the embedded default) ----
# Overrides of TINY_SIZES; head_dim stays 16 in the text model (Qwen's M-RoPE split) and the frame /
# patch / merge sizes stay as they are, so all three share one processor and tokens per frame.
TINY_SCALES: dict[str, dict] = {
    "tiny": {},  # the default tiny model (stands for the paper's main SmolVLM2-2.2B / Qwen2.5-VL-3B)
    "tiny-s": {  # smaller (stands for SmolVLM2-500M in Table 8)
        "text": dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=1),
        "smolvlm_vision": dict(hidden_size=24, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2),
        "qwen_vision": dict(depth=2, hidden_size=24, intermediate_size=48, num_heads=2, fullatt_block_indexes=[1]),
    },
    "tiny-xs": {  # smallest (stands for SmolVLM2-256M in Table 8)
        "text": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1),
        "smolvlm_vision": dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=1),
        "qwen_vision": dict(depth=1, hidden_size=16, intermediate_size=32, num_heads=1, fullatt_block_indexes=[0]),
    },
}


def tiny_sizes(size: str = "tiny") -> dict:
    """:data:`TINY_SIZES` with the overrides of ``size``; an unknown size names the known ones."""
    if size not in TINY_SCALES:
        raise SLTInputError(f"unknown tiny model size {size!r}", hint=f"expected one of {sorted(TINY_SCALES)}")
    out = json.loads(json.dumps(TINY_SIZES))
    for key, over in TINY_SCALES[size].items():
        out[key].update(over)
    return out


def _smolvlm_config(tok, sizes: dict = TINY_SIZES):
    from transformers import LlamaConfig, SmolVLMConfig
    from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig

    ids = tok.convert_tokens_to_ids
    text = LlamaConfig(vocab_size=len(tok), max_position_embeddings=8192, rms_norm_eps=1e-5, tie_word_embeddings=False,
                       pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, **sizes["text"])
    vision = SmolVLMVisionConfig(**sizes["smolvlm_vision"])
    return SmolVLMConfig(vision_config=vision.to_dict(), text_config=text.to_dict(), scale_factor=sizes["smolvlm_scale_factor"],
                         image_token_id=ids("<image>"), pad_token_id=tok.pad_token_id, tie_word_embeddings=False)


def _smolvlm_processor(tok):
    from transformers import (
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
    )
    from transformers.image_utils import PILImageResampling

    v = TINY_SIZES["smolvlm_vision"]
    side = {"longest_edge": v["image_size"]}
    common = dict(image_mean=[0.5] * 3, image_std=[0.5] * 3, resample=PILImageResampling.BICUBIC)
    image = SmolVLMImageProcessor(do_image_splitting=False, size=side, max_image_size=side, **common)
    video = SmolVLMVideoProcessor(size=side, max_image_size=side, fps=1, num_frames=64, **common)
    seq_len = (v["image_size"] // v["patch_size"]) ** 2 // TINY_SIZES["smolvlm_scale_factor"] ** 2
    return SmolVLMProcessor(image_processor=image, tokenizer=tok, video_processor=video, image_seq_len=seq_len,
                            chat_template=get_family("smolvlm").chat_template)


def _qwen_config(tok, sizes: dict = TINY_SIZES):
    from transformers import Qwen2_5_VLConfig

    ids = tok.convert_tokens_to_ids
    t = sizes["text"]
    text = dict(vocab_size=len(tok), max_position_embeddings=32768, rope_theta=1e6, tie_word_embeddings=True,
                rope_scaling={"type": "mrope", "mrope_section": sizes["qwen_mrope_section"]},
                bos_token_id=ids("<|endoftext|>"), eos_token_id=ids("<|im_end|>"), pad_token_id=ids("<|endoftext|>"), **t)
    vision = dict(in_channels=3, out_hidden_size=t["hidden_size"], **sizes["qwen_vision"])
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
                            vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"), tie_word_embeddings=True)


def _qwen_processor(tok):
    from transformers import (
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessorFast,
        Qwen2VLVideoProcessor,
    )

    px = TINY_SIZES["qwen_frame_pixels"]
    # max_pixels one over: with max_pixels == 56 * 56, transformers' smart_resize floors 96 / sqrt(96 * 96 / 3136) / 28
    # = 1.9999... to 1 and a square 96 px frame became 28 x 28 (1 merged token per 2 frames; the tiny vision stage
    # then stayed at chance). With the slack it is 56 x 56; an 80 x 96 frame stays 28 x 56.
    return Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessorFast(min_pixels=px, max_pixels=px + 1), tokenizer=tok,
                               video_processor=Qwen2VLVideoProcessor(min_pixels=px, max_pixels=px + 1),
                               chat_template=get_family("qwen2_5_vl").chat_template)


def _smolvlm_boilerplate() -> tuple[str, ...]:
    from num2words import num2words

    intro = [f"You are provided the following series of {num2words(n)} frames from a 0:00:0{n % 10} [H:MM:SS] video.\n" for n in range(1, 65)]
    stamps = [f"\nFrame from 00:{s:02d}:" for s in range(60)]
    return tuple(intro + stamps + ["User: ", "Assistant: ", "System: "])


TINY: dict[str, TinySpec] = {
    "smolvlm": TinySpec(
        special_tokens=("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<end_of_utterance>", "<fake_token_around_image>",
                        "<image>", "<global-img>", "<video>"),
        tokenizer_class="PreTrainedTokenizerFast",
        # as SmolVLM2's tokenizer: bos <|im_start|>, eos <end_of_utterance>, pad <|im_end|>; the attributes
        # SmolVLMProcessor reads (image_token, fake_image_token, global_image_token, ...) as extra special tokens
        tokenizer_kwargs=dict(bos_token="<|im_start|>", eos_token="<end_of_utterance>", pad_token="<|im_end|>", unk_token="<|endoftext|>",
                              extra_special_tokens={"image_token": "<image>", "fake_image_token": "<fake_token_around_image>",
                                                    "global_image_token": "<global-img>", "end_of_utterance_token": "<end_of_utterance>",
                                                    "video_token": "<video>"}),
        boilerplate=_smolvlm_boilerplate,
        make_config=_smolvlm_config,
        make_processor=_smolvlm_processor,
    ),
    "qwen2_5_vl": TinySpec(
        special_tokens=("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
                        "<|image_pad|>", "<|video_pad|>"),
        tokenizer_class="Qwen2TokenizerFast",  # what Qwen2_5_VLProcessor.from_pretrained instantiates
        tokenizer_kwargs=dict(eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None, bos_token=None),
        boilerplate=lambda: ("system\nYou are a helpful assistant.", "user\n", "assistant\n"),
        make_config=_qwen_config,
        make_processor=_qwen_processor,
    ),
}


def train_tokenizer(texts: Iterable[str], family: str, *, vocab_size: int = 1024):
    """A byte-level BPE tokenizer (like both real ones) trained on ``texts`` + prompts + boilerplate.

    Byte-level: any text (umlauts, Devanagari, CJK) tokenises without an unknown token. CJK ideographs
    are pre-tokenised one by one (as BERT's Chinese tokenizer does), so a token is at most one character:
    Chinese has no spaces, and on a 400-sentence corpus the BPE otherwise merged whole clauses
    ("我明天要去面馆" one token), leaving a tiny model one token to guess per clause. Text without
    ideographs tokenises exactly as before. (The real tokenizers' 49k / 151k vocabularies hold
    single characters and common words; a 1k tiny vocabulary can afford only the former.)
    """
    import transformers
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    from ..train.prompts import PROMPTS

    spec = TINY[family]
    corpus = [t for t in texts if t and t.strip()]
    if not corpus:
        raise SLTInputError("the tiny tokenizer needs at least one non-empty corpus sentence")
    corpus += [p.text for p in PROMPTS.values()] + list(spec.boilerplate())
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(HAN), behavior="isolated"),  # one CJK ideograph per piece
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(spec.special_tokens), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(corpus, trainer)
    cls = getattr(transformers, spec.tokenizer_class)
    return cls(tokenizer_object=bpe, model_input_names=["input_ids", "attention_mask"], **spec.tokenizer_kwargs)


def corpus_fingerprint(texts: Iterable[str], family: str, seed: int, vocab_size: int, size: str = "tiny") -> str:
    ident = [BUILD_VERSION, family, seed, vocab_size, TINY_SIZES, get_family(family).chat_template]
    if size != "tiny":  # the default size keeps the fingerprint it had before sizes existed (cached builds stay valid)
        ident += [size, tiny_sizes(size)]
    h = hashlib.sha256(json.dumps(ident).encode())
    for t in texts:
        h.update(t.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def make_tiny(family: str | ModelFamily, texts: Iterable[str], *, seed: int = 0, vocab_size: int = 1024, size: str = "tiny"):
    """(model, processor) of the tiny ``family`` member of ``size`` (:data:`TINY_SCALES`), in memory,
    randomly initialised with ``seed``."""
    import torch

    fam = get_family(family)
    spec = TINY[fam.name]
    sizes = tiny_sizes(size)
    tok = train_tokenizer(texts, fam.name, vocab_size=vocab_size)
    processor = spec.make_processor(tok)
    model_cls, _ = fam.resolve_classes()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(spec.make_config(tok, sizes)).eval()
    model.generation_config.eos_token_id = tok.convert_tokens_to_ids(fam.end_of_turn)  # stop at the end of the turn
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, processor


def build_tiny(family: str | ModelFamily, texts: Iterable[str], out_dir: str | Path, *, seed: int = 0, vocab_size: int = 1024,
               size: str = "tiny") -> Path:
    """Build the tiny model + processor of ``family`` and save them into ``out_dir`` (replaced atomically).

    Deterministic for the same texts, seed and vocab size. Writes ``tiny_build.json`` (fingerprint,
    parameter counts) beside the checkpoint files.
    """
    fam = get_family(family)
    texts = list(texts)
    model, processor = make_tiny(fam, texts, seed=seed, vocab_size=vocab_size, size=size)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        processor.save_pretrained(tmp)
        write_json(tmp / BUILD_INFO, {"family": fam.name, "fingerprint": corpus_fingerprint(texts, fam.name, seed, vocab_size, size),
                                      "size": size, "seed": seed, "vocab_size": len(processor.tokenizer), "params": param_counts(model),
                                      "build_version": BUILD_VERSION})
    return out_dir


def ensure_tiny(family: str | ModelFamily, texts: Iterable[str], out_dir: str | Path, *, seed: int = 0, vocab_size: int = 1024,
                size: str = "tiny") -> Path:
    """``out_dir`` if it already holds this exact tiny build (same fingerprint), else :func:`build_tiny`."""
    fam = get_family(family)
    texts = list(texts)
    info = Path(out_dir) / BUILD_INFO
    if info.is_file():
        try:
            rec = json.loads(info.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            rec = {}
        if rec.get("fingerprint") == corpus_fingerprint(texts, fam.name, seed, vocab_size, size):
            return Path(out_dir)
    return build_tiny(fam, texts, out_dir, seed=seed, vocab_size=vocab_size, size=size)
