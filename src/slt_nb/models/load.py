"""Load a checkpoint (hub id or local folder) and wrap it for the paper's fine-tuning (Sec 3.4, 4.3).

One path for real and tiny checkpoints: the family's transformers classes, ``from_pretrained``,
``trust_remote_code=False``. Then :func:`apply_lora`: LoRA on the language model's attention +
MLP projections, the connector fully trainable as a PEFT ``modules_to_save`` (a bare
``requires_grad`` would train it but not save it with the adapter), everything else frozen.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SLTInputError
from .registry import ModelFamily, get_family


def load_model_and_processor(family: str | ModelFamily, name_or_path: str | Path, *, dtype=None, attn_implementation: str | None = None,
                             device: str | None = None, local_files_only: bool | None = None):
    """(model, processor) of ``family`` from a hub id or a local folder (e.g. a tiny build).

    ``dtype`` e.g. ``torch.bfloat16`` on GPU (Sec 4.3); default float32. ``attn_implementation``
    e.g. ``"flash_attention_2"`` (Sec 4.3) where installed; default: transformers' choice (sdpa).
    A local folder is read with ``local_files_only=True`` so nothing ever reaches for the hub.
    """
    fam = get_family(family)
    model_cls, proc_cls = fam.resolve_classes()
    is_local = Path(str(name_or_path)).is_dir()
    if local_files_only is None:
        local_files_only = is_local
    if not is_local and ("/" not in str(name_or_path) or Path(str(name_or_path)).is_absolute()):
        raise SLTInputError(f"checkpoint {str(name_or_path)!r} is neither a local folder nor a hub id",
                            hint=f"build the tiny default (slt_nb.standins.tiny.ensure_tiny) or use one of {list(fam.hub_ids)}")
    kwargs = {"trust_remote_code": False, "local_files_only": local_files_only}
    model_kwargs = dict(kwargs)
    if dtype is not None:
        model_kwargs["dtype"] = dtype
    if attn_implementation is not None:
        model_kwargs["attn_implementation"] = attn_implementation
    try:
        processor = proc_cls.from_pretrained(str(name_or_path), **kwargs)
        model = model_cls.from_pretrained(str(name_or_path), **model_kwargs)
    except OSError as exc:
        raise SLTInputError(f"cannot load {fam.name} checkpoint {str(name_or_path)!r} ({str(exc).splitlines()[0][:200]})",
                            hint="no model hub is reachable here: use a local folder (the tiny default) or a pre-downloaded cache") from None
    if device is not None:
        model = model.to(device)
    return model, processor


def lora_config(family: str | ModelFamily, **overrides):
    """The paper's ``peft.LoraConfig`` for ``family`` (r, alpha, dropout from Sec 4.3)."""
    from peft import LoraConfig

    fam = get_family(family)
    kw = dict(r=fam.lora.r, lora_alpha=fam.lora.alpha, lora_dropout=fam.lora.dropout, target_modules=fam.lora.target_regex,
              modules_to_save=list(fam.lora.modules_to_save), bias="none", task_type="CAUSAL_LM")
    kw.update(overrides)
    return LoraConfig(**kw)


def lora_targets(model, family: str | ModelFamily) -> list[str]:
    """Module names the family's LoRA regex selects in ``model`` (before wrapping), as PEFT matches them."""
    fam = get_family(family)
    return [n for n, _ in model.named_modules() if n and re.fullmatch(fam.lora.target_regex, n)]


def apply_lora(model, family: str | ModelFamily, **overrides):
    """Wrap ``model`` as a PEFT model: LoRA on the LM projections + trainable connector, rest frozen.

    Checks the result: at least one LoRA layer, none outside the language model, the connector
    trainable, the vision tower frozen.
    """
    from peft import get_peft_model

    fam = get_family(family)
    targets = lora_targets(model, fam)
    if not targets:
        raise SLTInputError(f"the LoRA regex of {fam.name} matches no module of {type(model).__name__}",
                            hint=f"regex {fam.lora.target_regex!r}; module paths changed in this transformers version?")
    outside = [t for t in targets if not t.startswith(fam.language_model + ".")]
    if outside:
        raise SLTInputError(f"LoRA regex of {fam.name} hits modules outside the language model: {outside[:3]}")
    peft_model = get_peft_model(model, lora_config(fam, **overrides))
    report = trainable_report(peft_model, fam)
    if report["connector"] == 0:
        raise SLTInputError(f"connector {fam.connector!r} is not trainable after wrapping", hint="check modules_to_save")
    if report["vision_tower"] != 0 or report["other"] != 0:
        raise SLTInputError(f"unexpected trainable parameters: {report}")
    return peft_model


def _strip_peft(name: str) -> str:
    """A parameter name of a PEFT model as the base model names it (wrappers removed)."""
    name = re.sub(r"^base_model\.model\.", "", name)
    name = re.sub(r"\.(base_layer|original_module)\.", ".", name)
    return re.sub(r"\.modules_to_save\.[^.]+\.", ".", name)


def trainable_report(model, family: str | ModelFamily) -> dict[str, int]:
    """Trainable parameter counts by part: ``lora`` (adapters), ``connector``, ``vision_tower`` (rest
    of it), ``language_model`` (non-LoRA weights), ``other`` (e.g. lm_head), and ``frozen``."""
    fam = get_family(family)
    out = {"lora": 0, "connector": 0, "vision_tower": 0, "language_model": 0, "other": 0, "frozen": 0}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            out["frozen"] += p.numel()
            continue
        base = _strip_peft(name)
        if ".lora_" in name:
            key = "lora"
        elif base.startswith(fam.connector + "."):
            key = "connector"
        elif base.startswith(fam.vision_tower + "."):
            key = "vision_tower"
        elif base.startswith(fam.language_model + "."):
            key = "language_model"
        else:
            key = "other"
        out[key] += p.numel()
    return out


def param_counts(model) -> dict[str, int]:
    """Parameter counts of the whole model and its vision tower / connector / language model (+ head)."""
    fam = get_family(_family_of_model(model))
    total = sum(p.numel() for p in model.parameters())
    part = {k: sum(p.numel() for p in model.get_submodule(getattr(fam, k)).parameters()) for k in ("vision_tower", "connector", "language_model")}
    if fam.connector.startswith(fam.vision_tower + "."):
        part["vision_tower"] -= part["connector"]  # Qwen's merger lives inside model.visual
    return {"total": total, **part}


def _family_of_model(model) -> str:
    from .registry import FAMILIES

    name = type(model).__name__
    for fam in FAMILIES.values():
        if fam.model_class == name:
            return fam.name
    raise SLTInputError(f"{name} is not a model of a known family")


def hub_offline_if_local(models) -> bool:
    """Set ``HF_HUB_OFFLINE=1`` (unless already set) when every model named is a tiny stand-in or a local
    folder, so that nothing reaches for the hub; ``models``: names, or a {family: name} mapping. Returns
    whether they are all local."""
    import os

    from .registry import is_tiny

    names = list(models.values()) if isinstance(models, dict) else list(models) if isinstance(models, (list, tuple)) else [models]
    local = all(is_tiny(m) or Path(str(m)).is_dir() for m in names)
    if local:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return local
