"""The two model families the paper fine-tunes, as data (Sec 3.1, 3.4, 4.3).

One :class:`ModelFamily` per family in :data:`FAMILIES`; code elsewhere reads fields, never
branches on a family name. Class names are strings resolved from ``transformers`` on use, so
importing this module is cheap. Module paths were verified by instantiating the models in
transformers 4.57.6 (``tests/test_models_lora.py`` re-checks them on the tiny models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import SLTInputError
from .chat_templates import QWEN2_5_VL_CHAT_TEMPLATE, SMOLVLM_CHAT_TEMPLATE

# The language model's attention + MLP projections (paper Sec 4.3: "LoRA ... targeting the
# attention and MLP projection layers" of the language model). A regex, not a name list: the
# plain list [q_proj, ...] also hits SigLIP's q/k/v_proj (SmolVLM) and the Qwen2.5-VL ViT's
# gate/up/down_proj (field-facts §5). PEFT applies it with re.fullmatch to the module name.
_PROJ = r"(self_attn\.(q_proj|k_proj|v_proj|o_proj)|mlp\.(gate_proj|up_proj|down_proj))"
SMOLVLM_LORA_REGEX = r"(.*\.)?model\.text_model\.layers\.\d+\." + _PROJ
QWEN2_5_VL_LORA_REGEX = r"(.*\.)?model\.language_model\.layers\.\d+\." + _PROJ


@dataclass(frozen=True)
class LoraSpec:
    """LoRA on the language model; the connector fully trained (``modules_to_save``)."""

    r: int
    alpha: int
    dropout: float
    target_regex: str
    modules_to_save: tuple[str, ...]


@dataclass(frozen=True)
class TrainSpec:
    """Trainer settings the paper states (Sec 4.3); unstated ones carry the HF default, marked."""

    learning_rate: float
    lr_scheduler_type: str
    optim: str = "adamw_torch"
    per_device_train_batch_size: int = 1  # Sec 4.3 "per-device batch size of 1"
    gradient_accumulation_steps: int = 4  # Sec 4.3 "gradient accumulation steps of 4"
    num_train_epochs: int = 10  # Sec 4.3 "trained for 10 epochs"
    bf16: bool = True  # Sec 4.3 "all computations performed in bfloat16" (GPU only)
    attn_implementation: str = "flash_attention_2"  # Sec 4.3 "FlashAttention-2 enabled" (GPU only)
    t_max: int = 64  # Sec 4.3 "sampled video inputs of length T_max = 64 frames"
    max_new_tokens: int = 128  # Sec 4.3 "maximum generation length to 128 tokens"
    num_beams: int = 1  # Sec 4.3 "greedy decoding"


def _smolvlm_video_kwargs(metas: list[dict]) -> dict:
    """SmolVLM writes "Frame from MM:SS" per frame from metadata (fps + frame indices)."""
    return {"video_metadata": metas}


def _qwen_video_kwargs(metas: list[dict]) -> dict:
    """Qwen2.5-VL needs the sampled frame rate: second_per_grid_ts = temporal_patch / fps (M-RoPE time)."""
    return {"fps": [len(m["frames_indices"]) / m["duration"] for m in metas]}


def _qwen_fix_classes(model_cls) -> str:
    """Right temporal positions for videos sampled above 2 fps (transformers 4.57.6 truncates them: field-facts §7)."""
    from .mrope import ensure_video_positions

    return "mrope-video-seconds:" + ensure_video_positions(model_cls)  # "...:corrected" on 4.57.6, "...:library" once fixed


def _smolvlm_fast_classes() -> str:
    """Vision patch positions computed once per image shape instead of once per frame, bit for bit the library's."""
    from .smolvlm_positions import ensure_fast_positions

    return ensure_fast_positions()  # "fast", or "library" where the library's result differs (left alone)


@dataclass(frozen=True)
class ModelFamily:
    """Everything family-specific the loaders, collator and trainer need."""

    name: str
    hub_ids: tuple[str, ...]
    model_class: str
    processor_class: str
    vision_tower: str  # frozen (Sec 3.4 "the encoder was kept frozen")
    connector: str  # trained (Sec 3.4 "the connector was trained along with the LM")
    language_model: str  # LoRA (Sec 3.4)
    lora: LoraSpec
    train: TrainSpec
    chat_template: str
    end_of_turn: str  # the last label token of an answer
    video_token: str  # the placeholder the processor expands
    temporal_patch: int  # frames per visual token group in time
    context_length: int  # Table 1
    video_kwargs: Callable[[list[dict]], dict] = field(repr=False, compare=False, default=_smolvlm_video_kwargs)
    # corrections of library faults, applied to the model class before any use (resolve_classes); returns
    # what it did, which the training runner hashes into a run's key (runs made before the fix are not reused)
    fix_classes: Callable[[type], str] | None = field(repr=False, compare=False, default=None)
    # speed-ups that change no number (checked against the library's own result before they are installed):
    # applied with the corrections, not part of any run's key
    fast_classes: Callable[[], str] | None = field(repr=False, compare=False, default=None)

    @property
    def default_hub_id(self) -> str:
        return self.hub_ids[0]

    def resolve_classes(self):
        """(model class, processor class) from transformers, with the family's library corrections
        (:attr:`fix_classes`) applied first: every model of the project is built from these classes."""
        import transformers

        model_cls = getattr(transformers, self.model_class)
        if self.fix_classes is not None:
            self.fix_classes(model_cls)
        if self.fast_classes is not None:
            self.fast_classes()
        return model_cls, getattr(transformers, self.processor_class)


FAMILIES: dict[str, ModelFamily] = {
    "smolvlm": ModelFamily(
        name="smolvlm",
        # Sec 4.3 footnote 4 (SmolVLM2-2.2B-Instruct, the main model); Table 8 (500M, 256M scales).
        hub_ids=(
            "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
            "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
            "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
        ),
        model_class="SmolVLMForConditionalGeneration",
        processor_class="SmolVLMProcessor",
        vision_tower="model.vision_model",  # SigLIP (Sec 3.1, Table 1)
        connector="model.connector",  # pixel shuffle + modality_projection (Sec 3.1 "MLP-based modality bridge")
        language_model="model.text_model",  # Llama (Sec 3.1)
        lora=LoraSpec(
            r=64,  # Sec 4.3 "LoRA rank of r = 64"
            alpha=64,  # Sec 4.3 "scaling factor alpha = 64"
            dropout=0.1,  # Sec 4.3 "a dropout of 0.1" (SmolVLM2)
            target_regex=SMOLVLM_LORA_REGEX,
            modules_to_save=("model.connector",),
        ),
        train=TrainSpec(
            learning_rate=1e-4,  # Sec 4.3 "AdamW optimizer with a learning rate of 1e-4"
            lr_scheduler_type="linear",  # not stated for SmolVLM2; HF Trainer default
            optim="adamw_torch",  # Sec 4.3 "AdamW"
        ),
        chat_template=SMOLVLM_CHAT_TEMPLATE,
        end_of_turn="<end_of_utterance>",
        video_token="<video>",
        temporal_patch=1,  # every frame is its own image
        context_length=8192,  # Table 1 "8K"
        video_kwargs=_smolvlm_video_kwargs,
        fast_classes=_smolvlm_fast_classes,  # vision patch positions without a loop per frame (slt_nb.models.smolvlm_positions)
    ),
    "qwen2_5_vl": ModelFamily(
        name="qwen2_5_vl",
        hub_ids=("Qwen/Qwen2.5-VL-3B-Instruct",),  # Sec 4.3 footnote 5
        model_class="Qwen2_5_VLForConditionalGeneration",
        processor_class="Qwen2_5_VLProcessor",
        vision_tower="model.visual",  # windowed-attention ViT (Sec 3.1)
        connector="model.visual.merger",  # patch merger MLP (Sec 3.1 "MLP-based connector"); lives inside model.visual
        language_model="model.language_model",  # Qwen2.5 LM (Sec 3.1)
        lora=LoraSpec(
            r=64,  # Sec 4.3 "the same LoRA rank and scaling factor"
            alpha=64,
            dropout=0.05,  # Sec 4.3 "but a dropout of 0.05"
            target_regex=QWEN2_5_VL_LORA_REGEX,
            modules_to_save=("model.visual.merger",),
        ),
        train=TrainSpec(
            learning_rate=1e-5,  # Sec 4.3 "base learning rate of 1e-5, also applied to the connector"
            lr_scheduler_type="cosine",  # Sec 4.3 "cosine learning rate schedule"
            optim="adamw_torch",  # not stated for Qwen2.5-VL; HF Trainer default
        ),
        chat_template=QWEN2_5_VL_CHAT_TEMPLATE,
        end_of_turn="<|im_end|>",
        video_token="<|video_pad|>",
        temporal_patch=2,  # field-facts §5: frame counts rounded up to even (processor repeats the last frame)
        context_length=32768,  # Table 1 "32K"
        video_kwargs=_qwen_video_kwargs,
        fix_classes=_qwen_fix_classes,  # M-RoPE video times (slt_nb.models.mrope)
    ),
}


def get_family(name: str) -> ModelFamily:
    """The :class:`ModelFamily` called ``name``; an unknown name is an error listing the known ones."""
    if isinstance(name, ModelFamily):
        return name
    try:
        return FAMILIES[name]
    except KeyError:
        raise SLTInputError(f"unknown model family {name!r}", hint=f"expected one of {sorted(FAMILIES)}") from None


def family_of_hub_id(hub_id: str) -> ModelFamily:
    """The family a default hub id belongs to (for params that name only a checkpoint)."""
    for fam in FAMILIES.values():
        if hub_id in fam.hub_ids:
            return fam
    raise SLTInputError(
        f"hub id {hub_id!r} is not a default of any family",
        hint="pass the family explicitly: " + ", ".join(f"{f.name}: {list(f.hub_ids)}" for f in FAMILIES.values()),
    )


# The embedded default's tiny models (slt_nb.standins.tiny builds them; Table 8's three sizes). Only their
# names live here, so that the real path can tell a tiny model from a checkpoint without importing the stand-ins.
TINY_MODELS = ("tiny", "tiny-s", "tiny-xs")


def is_tiny(model: str) -> bool:
    """Whether a ``model`` parameter names one of the offline tiny sizes (:data:`TINY_MODELS`), which
    :mod:`slt_nb.standins.tiny` builds; anything else is a hub id or a local checkpoint folder."""
    return str(model) in TINY_MODELS
