"""LoRA on the language model only, connector trained and saved, vision tower frozen (Sec 3.4, 4.3)."""

from __future__ import annotations

import re

import pytest

from slt_nb.models.load import (
    apply_lora,
    load_model_and_processor,
    lora_config,
    lora_targets,
    trainable_report,
)
from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.standins.tiny import ensure_tiny

CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
FAMS = sorted(FAMILIES)
PROJ = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@pytest.fixture(params=FAMS)
def tiny(request, tmp_path_factory):
    """(family, fresh model, processor), from the shared tiny build of this test session."""
    fam = request.param
    folder = ensure_tiny(fam, CORPUS, tmp_path_factory.getbasetemp() / f"tiny-{fam}", seed=0)
    model, proc = load_model_and_processor(fam, folder)
    return fam, model, proc


# Verified module paths (transformers 4.57.6): family -> (vision tower, connector, LM layer prefix).
PATHS = {
    "smolvlm": ("model.vision_model", "model.connector", "model.text_model.layers"),
    "qwen2_5_vl": ("model.visual", "model.visual.merger", "model.language_model.layers"),
}


def test_registry_module_paths_exist(tiny):
    fam, model, _ = tiny
    f = get_family(fam)
    vision, connector, layers = PATHS[fam]
    assert (f.vision_tower, f.connector) == (vision, connector)
    for path in (f.vision_tower, f.connector, f.language_model, layers):
        model.get_submodule(path)  # raises AttributeError if the path is wrong


def test_lora_regex_hits_exactly_the_lm_projections(tiny):
    fam, model, _ = tiny
    f = get_family(fam)
    n_layers = model.config.get_text_config().num_hidden_layers
    expected = {f"{PATHS[fam][2]}.{i}.{'self_attn' if p[0] in 'qkvo' else 'mlp'}.{p}" for i in range(n_layers) for p in PROJ}
    targets = lora_targets(model, fam)
    assert set(targets) == expected
    assert not [t for t in targets if t.startswith((f.vision_tower + ".", f.connector))]


def test_plain_name_list_would_also_hit_the_vision_tower(tiny):
    """The trap the regex avoids (field-facts §5): PEFT's suffix match of a plain list."""
    fam, model, _ = tiny
    f = get_family(fam)
    hits = [n for n, _ in model.named_modules() if any(n.endswith("." + p) for p in PROJ)]
    assert [n for n in hits if n.startswith(f.vision_tower + ".")], "expected the plain list to reach into the vision tower"


def test_wrapped_model_trains_lora_and_connector_only(tiny):
    from peft.tuners.lora import LoraLayer
    from peft.utils import ModulesToSaveWrapper

    fam, model, _ = tiny
    f = get_family(fam)
    expected = set(lora_targets(model, fam))
    pm = apply_lora(model, fam)
    base = pm.base_model.model
    wrapped = {n for n, m in base.named_modules() if isinstance(m, LoraLayer)}
    assert wrapped == expected
    assert isinstance(base.get_submodule(f.connector), ModulesToSaveWrapper)
    report = trainable_report(pm, fam)
    r = f.lora.r
    d = model.config.get_text_config()
    lora_per_layer = sum(r * (i + o) for i, o in _proj_shapes(d))
    assert report["lora"] == lora_per_layer * d.num_hidden_layers
    assert report["connector"] == sum(p.numel() for p in base.get_submodule(f.connector).original_module.parameters())
    assert report["vision_tower"] == report["language_model"] == report["other"] == 0
    for name, p in pm.named_parameters():
        if p.requires_grad:
            assert ".lora_" in name or ".modules_to_save." in name, name
    cfg = lora_config(fam)
    assert (cfg.r, cfg.lora_alpha, cfg.lora_dropout) == (f.lora.r, f.lora.alpha, f.lora.dropout)
    assert re.fullmatch(cfg.target_modules, f.language_model + ".layers.0.self_attn.q_proj")


def _proj_shapes(c):
    """(in, out) of the 7 LoRA-targeted projections of one decoder layer."""
    head = c.hidden_size // c.num_attention_heads
    h, kv, m = c.hidden_size, c.num_key_value_heads * head, c.intermediate_size
    return [(h, h), (h, kv), (h, kv), (h, h), (h, m), (h, m), (m, h)]


def test_saved_adapter_includes_the_connector(tiny, tmp_path):
    """modules_to_save puts the trained connector into the adapter file (a bare requires_grad would not)."""
    from safetensors import safe_open

    fam, model, _ = tiny
    f = get_family(fam)
    pm = apply_lora(model, fam)
    pm.save_pretrained(tmp_path / "adapter")
    with safe_open(str(tmp_path / "adapter" / "adapter_model.safetensors"), "pt") as fh:
        keys = list(fh.keys())
    leaf = f.connector.split(".")[-1]
    assert any(f".{leaf}." in k and "lora" not in k for k in keys)
    assert any("lora_A" in k for k in keys)
    assert not any(k.startswith(f"base_model.model.{f.vision_tower}.") and leaf not in k for k in keys)
