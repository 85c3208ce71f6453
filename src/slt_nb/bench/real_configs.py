"""The real checkpoints' architectures as data, for FLOPs, the compute budget and the GPU benchmark.

No hub is reachable here, so the configurations are written out from the public ``config.json``
files (looked up in public mirrors; every architecture field is spelled out, nothing is left to a
class default):

* ``HuggingFaceTB/SmolVLM2-2.2B-Instruct``: SmolLM2-1.7B text model (hidden 2048, 24 layers, 32
  heads, 32 KV heads, MLP 8192, vocab 49280, RoPE theta 273768, 16k positions) + SigLIP-SO400M
  vision (hidden 1152, 27 layers, 16 heads, MLP 4304, 384 px, 14 px patches), pixel-shuffle
  scale 3 -> 81 tokens per frame (the SmolVLM-Base config, same architecture, lists
  ``image_seq_len: 81, scale_factor: 3``); video frames at 384 px (field-facts §5).
* ``HuggingFaceTB/SmolVLM2-500M-Video-Instruct``: text 960 / 32 layers / 15 heads / 5 KV / MLP
  2560; vision SigLIP-B/16 (768, 12 layers, 12 heads, MLP 3072, 512 px, 16 px patches), scale 4
  -> 64 tokens per frame; video frames at 512 px (its ``preprocessor_config.json``).
* ``HuggingFaceTB/SmolVLM2-256M-Video-Instruct`` (Table 8 only): text 576 / 30 layers / 9 heads /
  3 KV / MLP 1536 (SmolVLM-256M config); vision as the 500M.
* ``Qwen/Qwen2.5-VL-3B-Instruct``: text 2048 / 36 layers / 16 heads / 2 KV / MLP 11008, vocab
  151936, tied embeddings, M-RoPE [16, 24, 24]; vision 1280 / depth 32 / 16 heads / MLP 3420,
  14 px patches, 2x2 merge, temporal patch 2, window 112 px, full attention in blocks 7, 15, 23, 31,
  output 2048.

Models are built with ``from_config`` (random weights; on the ``meta`` device for counting).
:func:`real_processor` makes a processor at the real frame sizes around a given (tiny, offline)
tokenizer; :func:`real_config` can move the special-token ids to that tokenizer's.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from ..errors import SLTInputError

_SMOL_TEXT = dict(model_type="llama", vocab_size=49280, head_dim=64, rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=False,
                  attention_bias=False, mlp_bias=False, pad_token_id=2, bos_token_id=1, eos_token_id=49279)
_SIGLIP_B16_512 = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=512, patch_size=16,
                       num_channels=3, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6)


@dataclass(frozen=True)
class RealModel:
    """One real checkpoint: family, config dict, frame geometry of its processor."""

    name: str
    family: str
    hub_id: str
    config: dict = field(repr=False)
    frame_side: int | None = None  # SmolVLM: video frames resized to a square of this side
    image_seq_len: int | None = None  # SmolVLM: LM tokens per frame after pixel shuffle
    min_pixels: int | None = None  # Qwen2.5-VL: video processor pixel bounds per frame
    max_pixels: int | None = None


REAL_MODELS: dict[str, RealModel] = {
    "smolvlm2-2.2b": RealModel(
        "smolvlm2-2.2b", "smolvlm", "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
        dict(model_type="smolvlm", scale_factor=3, image_token_id=49190, pad_token_id=128002, tie_word_embeddings=False,
             text_config=dict(_SMOL_TEXT, hidden_size=2048, intermediate_size=8192, num_hidden_layers=24, num_attention_heads=32,
                              num_key_value_heads=32, max_position_embeddings=16384, rope_theta=273768.0),
             vision_config=dict(_SIGLIP_B16_512, hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                                image_size=384, patch_size=14)),
        frame_side=384, image_seq_len=81),
    "smolvlm2-500m": RealModel(
        "smolvlm2-500m", "smolvlm", "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
        dict(model_type="smolvlm", scale_factor=4, image_token_id=49190, pad_token_id=128002, tie_word_embeddings=False,
             text_config=dict(_SMOL_TEXT, hidden_size=960, intermediate_size=2560, num_hidden_layers=32, num_attention_heads=15,
                              num_key_value_heads=5, max_position_embeddings=8192, rope_theta=100000.0),
             vision_config=dict(_SIGLIP_B16_512)),
        frame_side=512, image_seq_len=64),
    "smolvlm2-256m": RealModel(
        "smolvlm2-256m", "smolvlm", "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
        dict(model_type="smolvlm", scale_factor=4, image_token_id=49190, pad_token_id=128002, tie_word_embeddings=False,
             text_config=dict(_SMOL_TEXT, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                              num_key_value_heads=3, max_position_embeddings=8192, rope_theta=100000.0),
             vision_config=dict(_SIGLIP_B16_512)),
        frame_side=512, image_seq_len=64),
    "qwen2.5-vl-3b": RealModel(
        "qwen2.5-vl-3b", "qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct",
        dict(model_type="qwen2_5_vl", image_token_id=151655, video_token_id=151656, vision_start_token_id=151652, vision_end_token_id=151653,
             tie_word_embeddings=True,
             text_config=dict(vocab_size=151936, hidden_size=2048, intermediate_size=11008, num_hidden_layers=36, num_attention_heads=16,
                              num_key_value_heads=2, hidden_act="silu", max_position_embeddings=128000, rms_norm_eps=1e-6, rope_theta=1e6,
                              rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]}, use_sliding_window=False, tie_word_embeddings=True,
                              bos_token_id=151643, eos_token_id=151645, pad_token_id=151643),
             vision_config=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, in_channels=3, patch_size=14,
                                spatial_merge_size=2, temporal_patch_size=2, window_size=112, fullatt_block_indexes=[7, 15, 23, 31],
                                out_hidden_size=2048, tokens_per_second=2, hidden_act="silu")),
        # transformers 4.57.6 Qwen2VLVideoProcessor defaults (= qwen-vl-utils VIDEO_MIN/MAX_PIXELS); if the checkpoint's
        # preprocessor_config bounds (3136 .. 12845056) applied instead, small frames would not be upscaled
        min_pixels=128 * 28 * 28, max_pixels=768 * 28 * 28),
}
# The paper's two main models (Sec 4.3) and the Table 8 scales.
PAPER_MAIN = {"smolvlm": "smolvlm2-2.2b", "qwen2_5_vl": "qwen2.5-vl-3b"}


def get_real(name: str) -> RealModel:
    try:
        return REAL_MODELS[name]
    except KeyError:
        raise SLTInputError(f"unknown real model {name!r}", hint=f"expected one of {sorted(REAL_MODELS)}") from None


def _token_ids(tokenizer, family: str) -> dict:
    """Special-token ids of an offline tokenizer, under the config keys of ``family``."""
    ids = tokenizer.convert_tokens_to_ids
    if family == "smolvlm":
        return {"image_token_id": ids("<image>"), "pad_token_id": tokenizer.pad_token_id,
                "text": {"pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id}}
    return {"image_token_id": ids("<|image_pad|>"), "video_token_id": ids("<|video_pad|>"), "vision_start_token_id": ids("<|vision_start|>"),
            "vision_end_token_id": ids("<|vision_end|>"),
            "text": {"bos_token_id": ids("<|endoftext|>"), "eos_token_id": ids("<|im_end|>"), "pad_token_id": ids("<|endoftext|>")}}


def real_config(name: str, tokenizer=None):
    """The transformers config of ``name``; with ``tokenizer``, special-token ids moved to its ids
    (the vocabulary size stays the real one, so embedding and LM-head costs are the real ones)."""
    from transformers import Qwen2_5_VLConfig, SmolVLMConfig

    rm = get_real(name)
    d = copy.deepcopy(rm.config)
    if tokenizer is not None:
        ids = _token_ids(tokenizer, rm.family)
        d["text_config"].update(ids.pop("text"))
        d.update(ids)
        if len(tokenizer) > d["text_config"]["vocab_size"]:
            raise SLTInputError(f"tokenizer has {len(tokenizer)} tokens, more than {name}'s vocabulary")
    d.pop("model_type")
    cls = SmolVLMConfig if rm.family == "smolvlm" else Qwen2_5_VLConfig
    return cls(**d)


def build_model(name: str, *, tokenizer=None, device: str = "meta", dtype=None, attn_implementation: str | None = None):
    """A randomly initialised model of ``name`` via ``from_config`` (``device="meta"``: shapes only, no memory)."""
    import torch

    from ..models.registry import get_family

    rm = get_real(name)
    model_cls, _ = get_family(rm.family).resolve_classes()
    kw = {} if attn_implementation is None else {"attn_implementation": attn_implementation}
    if dtype is not None:
        kw["dtype"] = dtype  # transformers >= 4.56 (torch_dtype is deprecated there)
    with torch.device(device):
        return model_cls._from_config(real_config(name, tokenizer), **kw)


def qwen_frame_grid(rm: RealModel, height: int, width: int) -> tuple[int, int]:
    """(patch rows, patch columns) of one Qwen2.5-VL frame after the processor's resize (``smart_resize``)."""
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    v = rm.config["vision_config"]
    h, w = smart_resize(height, width, factor=v["patch_size"] * v["spatial_merge_size"], min_pixels=rm.min_pixels, max_pixels=rm.max_pixels)
    return h // v["patch_size"], w // v["patch_size"]


def visual_geometry(name: str, frames: float, height: int, width: int) -> dict:
    """Vision patches, LM visual tokens and the vision attention span for ``frames`` frames of H x W.

    SmolVLM: each frame is its own square image: (side/patch)^2 patches, ``image_seq_len`` LM tokens.
    Qwen2.5-VL: frames pair up (temporal patch 2, an odd count is padded by repeating the last
    frame); each pair gives rows x cols patches, merged 2x2 into LM tokens.
    """
    rm = get_real(name)
    v = rm.config["vision_config"]
    if rm.family == "smolvlm":
        per_frame = (rm.frame_side // v["patch_size"]) ** 2
        return {"patches": frames * per_frame, "visual_tokens": frames * rm.image_seq_len, "attn_span": per_frame, "window_span": per_frame}
    rows, cols = qwen_frame_grid(rm, height, width)
    groups = math.ceil(frames / v["temporal_patch_size"])
    window = (v["window_size"] // v["patch_size"]) ** 2  # 112 px window = 8 x 8 patches
    return {"patches": groups * rows * cols, "visual_tokens": groups * rows * cols // v["spatial_merge_size"] ** 2,
            "attn_span": rows * cols, "window_span": min(window, rows * cols)}


def real_processor(name: str, tokenizer):
    """A processor with ``name``'s real frame sizes around ``tokenizer`` (an offline tiny tokenizer)."""
    from ..models.registry import get_family

    rm = get_real(name)
    fam = get_family(rm.family)
    if rm.family == "smolvlm":
        from transformers import SmolVLMImageProcessor, SmolVLMProcessor, SmolVLMVideoProcessor
        from transformers.image_utils import PILImageResampling

        side = {"longest_edge": rm.frame_side}
        # the hub preprocessor says resample 1 (LANCZOS), which the fast (torch) processors replace by BICUBIC anyway
        common = dict(image_mean=[0.5] * 3, image_std=[0.5] * 3, resample=PILImageResampling.BICUBIC)
        image = SmolVLMImageProcessor(do_image_splitting=False, size=side, max_image_size=side, **common)
        video = SmolVLMVideoProcessor(size=side, max_image_size=side, fps=1, num_frames=64, **common)
        return SmolVLMProcessor(image_processor=image, tokenizer=tokenizer, video_processor=video, image_seq_len=rm.image_seq_len,
                                chat_template=fam.chat_template)
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessorFast, Qwen2VLVideoProcessor

    px = dict(min_pixels=rm.min_pixels, max_pixels=rm.max_pixels)
    return Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessorFast(**px), tokenizer=tokenizer,
                               video_processor=Qwen2VLVideoProcessor(**px), chat_template=fam.chat_template)
