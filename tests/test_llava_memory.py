"""The memory estimator of the LLaVA-SLT stages: arithmetic on hand-computed sizes, counts against real modules, refusals."""

from __future__ import annotations

import pytest
import torch

from slt_nb.errors import SLTInputError
from slt_nb.llava_slt import estimates, memory
from slt_nb.llava_slt.config import EncoderConfig, LLMConfig, TrainConfig
from slt_nb.llava_slt.memory import GB, KNOWN, Estimate, LMDims, Part, ViTDims

LLAMA, QWEN, DINO = KNOWN["meta-llama/Llama-3.1-8B-Instruct"], KNOWN["Qwen/Qwen2.5-7B-Instruct"], KNOWN["facebook/dinov2-base"]


@pytest.mark.parametrize("parts, precision, want", [
    # frozen 100 params in bf16 (2 B) + 50 trainable: fp32 copies (4 B), fp32 gradients, two fp32 AdamW states
    ([Part("a", 100, 0, 2), Part("b", 50, 50, 2)], "bf16-mixed", (100 * 2 + 50 * 4, 50 * 4, 2 * 50 * 4)),
    ([Part("a", 100, 0, 2), Part("b", 50, 50, 2)], "bf16-pure", (100 * 2 + 50 * 2, 50 * 2, 2 * 50 * 2)),
    ([Part("a", 100, 0, 4), Part("b", 50, 50, 4)], "fp32", (100 * 4 + 50 * 4, 50 * 4, 2 * 50 * 4)),
    # full-tuning Llama-3.1-8B: 16 bytes per parameter mixed (128 GB), 8 pure -- the "about 64 GB before activations"
    ([Part("llm", LLAMA.params, LLAMA.params, 2)], "bf16-mixed", (4 * LLAMA.params, 4 * LLAMA.params, 8 * LLAMA.params)),
    ([Part("llm", LLAMA.params, LLAMA.params, 2)], "bf16-pure", (2 * LLAMA.params, 2 * LLAMA.params, 4 * LLAMA.params)),
])
def test_weights_gradients_and_adamw_states(parts, precision, want):
    est = memory.estimate("s", parts, 0.0, precision)
    assert (est.weights, est.grads, est.optimizer) == want and est.total == sum(want)


def test_full_tuning_an_8b_llm_in_round_numbers():
    assert memory.estimate("s", [Part("llm", LLAMA.params, LLAMA.params, 2)], 0, "bf16-pure").total / GB == pytest.approx(64.24, abs=0.01)
    assert memory.estimate("s", [Part("llm", LLAMA.params, LLAMA.params, 2)], 0, "bf16-mixed").total / GB == pytest.approx(128.48, abs=0.01)
    assert memory.estimate("s", [Part("llm", LLAMA.params, 0, 2)], 0, "bf16-mixed").total / GB == pytest.approx(16.06, abs=0.01)  # frozen bf16


@pytest.mark.parametrize("dims, r, want", [
    (LLAMA, 8, 3_407_872),  # PEFT's "trainable params" for Llama-3-8B, r=8 on q_proj/v_proj: 32 x 8 x (2*4096 + 4096 + 1024)
    (QWEN, 8, 2_523_136),  # Qwen2.5-7B, r=8 on q_proj/v_proj: 28 x 8 x (3 * 3584 + 512)
    (DINO, 8, 294_912),  # DINOv2-base, r=8 on query/value: 12 layers x 2 x 8 x (768 + 768)
])
def test_lora_counts_of_the_papers_models(dims, r, want):
    assert dims.lora(r) == want


def test_activation_formulas_by_hand():
    lm = LMDims(hidden=4, layers=2, intermediate=8, vocab=10, kv_hidden=2, params=0)
    assert lm.layer_values() == 7 * 4 + 2 * 2 + 4 * 8 == 64
    # 3 tokens, bf16 (2 B): 2 layers x 64 values, plus logits 3 x 10 x (2 + 8) bytes
    assert memory.lm_activations(lm, 3, grad=True, checkpointing=False, act_bytes=2) == 3 * 2 * 64 * 2 + 3 * 10 * 10
    # checkpointing: the 2 layers' inputs (4 values) + one layer's full set
    assert memory.lm_activations(lm, 3, grad=True, checkpointing=True, act_bytes=2) == 3 * (2 * 4 + 64) * 2 + 3 * 10 * 10
    assert memory.lm_activations(lm, 3, grad=False, checkpointing=False, act_bytes=2) == 3 * (64 + 10) * 2
    vit = ViTDims(hidden=4, layers=3, intermediate=8, patch=2, params=0)
    assert vit.tokens(4) == 5  # (4 / 2)^2 patches + [cls]
    frames_on_device = lambda n, live: n * 3 * 16 + live * 3 * 16 * 4 + n * 4 * 4  # noqa: E731 - uint8 frames, one fp32 input, outputs
    assert memory.vit_activations(vit, 4, 10, trains=True, chunk=None, act_bytes=2) == 10 * 5 * (8 * 4 + 2 * 8) * 3 * 2 + frames_on_device(10, 10)
    assert memory.vit_activations(vit, 4, 10, trains=True, chunk=4, act_bytes=2) == 4 * 5 * (8 * 4 + 2 * 8) * 3 * 2 + frames_on_device(10, 4)
    assert memory.vit_activations(vit, 4, 10, trains=False, chunk=4, act_bytes=2) == 4 * 5 * (2 * 4 + 2 * 8) * 2 + frames_on_device(10, 4)
    # 2 clips of 8 frames, downsample 4 -> 2 words + query; local depth 1, sentence depth 2; (8 + 2 r) dim values per token and block
    assert memory.temporal_activations(6, 2, 1, 2, 2, 8, 4, trains=True, act_bytes=4) == 2 * (1 * 8 + 2 * 3) * (8 + 4) * 6 * 4


def test_parameter_formulas_match_the_modules():
    from slt_nb.llava_slt.connector import build_connector
    from slt_nb.llava_slt.encoder import HierarchicalEncoder

    for ov in ({}, {"local_depth": 0, "sentence_depth": 3, "mlp_ratio": 3}):
        cfg = EncoderConfig(**{"vit": {"hidden": 16, "layers": 1, "heads": 2, "patch": 8}, "frame_size": 16, "dim": 16, "heads": 2,
                               "local_depth": 1, "sentence_depth": 1, "coembed_dim": 8, **ov})
        enc = HierarchicalEncoder(cfg)
        want = sum(p.numel() for p in enc.temporal_parameters())
        assert memory.temporal_params(16, cfg.dim, cfg.mlp_ratio, cfg.local_depth + cfg.sentence_depth, cfg.coembed_dim) == want
        dims = estimates.vit_dims(enc.backbone)
        assert dims.params == sum(p.numel() for p in enc.backbone.parameters()) and dims.tokens(16) == 5
    for kind in ("mlp", "linear"):
        assert memory.connector_params(kind, 16, 48) == sum(p.numel() for p in build_connector(kind, 16, 48).parameters())


def test_lora_formulas_match_peft():
    from peft import LoraConfig, get_peft_model
    from transformers import Dinov2Config, Dinov2Model

    vit = Dinov2Model(Dinov2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, image_size=16, patch_size=8))
    dims = estimates.vit_dims(vit)
    wrapped = get_peft_model(vit, LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"]))
    assert sum(p.numel() for n, p in wrapped.named_parameters() if "lora_" in n) == dims.lora(4) == 2 * 2 * 4 * 32

    from slt_nb.standins.llava_tiny import build_tiny_llm

    llm, _ = build_tiny_llm(LLMConfig(hidden=32, layers=2, heads=4, intermediate=64, vocab_size=300), ["a b c"] * 5)
    dims = estimates.lm_dims(llm)
    assert dims.params == sum(p.numel() for p in llm.parameters()) and dims.kv_hidden == 32
    wrapped = get_peft_model(llm, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    assert sum(p.numel() for n, p in wrapped.named_parameters() if "lora_" in n) == dims.lora(4)
    assert estimates.lm_dims(wrapped) == dims  # the adapters are not the base's parameters


def test_stage1_estimate_of_a_tiny_llm():
    from slt_nb.standins.llava_tiny import build_tiny_llm

    llm, _ = build_tiny_llm(LLMConfig(hidden=32, layers=2, heads=4, intermediate=64, vocab_size=300), ["a b c"] * 5)
    n = sum(p.numel() for p in llm.parameters())
    est = estimates.stage1(llm, TrainConfig(batch_size=8, micro_batch_size=2), 10, "fp32")
    assert (est.weights, est.grads, est.optimizer) == (4 * n, 4 * n, 8 * n)
    assert est.activations == memory.lm_activations(estimates.lm_dims(llm), 2 * 10, grad=True, checkpointing=False, act_bytes=4)
    assert "2 x 10 tokens" in est.line()


def test_check_prints_one_line_and_refuses_naming_what_fits():
    lines = []
    est = Estimate("stage 9", 1 * GB, 0, 0, 3 * GB)
    assert memory.check(est, 10 * GB, hint="h", where="cuda:0", log=lines.append) is est
    assert lines == ["memory estimate, stage 9: weights 1.0 + gradients 0.0 + AdamW 0.0 + activations 3.0 = 4.0 GB of 10.0 GB on cuda:0 (40%)"]
    assert memory.check(est, None, hint="h", where="cpu", log=lines.append) is est and lines[-1].endswith("(on cpu: not checked)")

    # activations 10 GB per clip without checkpointing, 5 with: at 45 GB, 4 clips fit without, 8 with
    make = lambda m, ck: Estimate("s", 0, 0, 0, m * (5 if ck else 10) * GB)  # noqa: E731
    assert memory.fitting_micro(make, 64, 45 * GB, "llava_stage3.train") == "llava_stage3.train: {micro_batch_size: 4}"
    assert memory.fitting_micro(make, 64, 9 * GB, "k") == "k: {micro_batch_size: 1, gradient_checkpointing: true}"
    assert memory.fitting_micro(make, 64, 4 * GB, "k") is None
    with pytest.raises(SLTInputError, match="needs about 640.0 GB, more than the 45.0 GB") as e:
        estimates.guard(make, TrainConfig(batch_size=64), 45 * GB, key="llava_stage3.train", where="cuda:0", log=None, hint="LoRA")
    assert "llava_stage3.train: {micro_batch_size: 4} would fit; or LoRA" in str(e.value)


def test_paper_configuration_estimates():
    rows = memory.paper_estimates()
    by = {(ds, e.stage.split(" (")[0]): e for ds, e in rows}
    assert set(by) == {("phoenix", "stage 2"), ("phoenix", "stage 3a"), ("phoenix", "stage 3b"),
                       ("csl-daily", "stage 1"), ("csl-daily", "stage 2"), ("csl-daily", "stage 3a"), ("csl-daily", "stage 3b")}
    # full-tuning Llama-3.1-8B under bf16-mixed cannot fit 80 GB whatever the batch: 16 bytes per LLM parameter
    assert by["phoenix", "stage 3b"].weights + by["phoenix", "stage 3b"].grads + by["phoenix", "stage 3b"].optimizer > 16 * LLAMA.params
    assert by["phoenix", "stage 2"].total > 1000 * GB  # 128 x 64 frames through DINOv2 with gradients at once
    rec = {(ds, e.stage.split(" (")[0]): e for ds, e in memory.paper_estimates(memory.RECOMMENDED)}
    assert all(e.total < 80 * GB for k, e in rec.items() if k != ("phoenix", "stage 3b"))
    lines = []
    memory.print_paper_estimates(80, log=lines.append)
    assert any("phoenix" in line and "stage 3b" in line and "does not fit" in line for line in lines)


def test_estimates_see_trainable_parts_and_cached_features():
    import copy

    from slt_nb.llava_slt.config import stage3_config
    from slt_nb.llava_slt.encoder import HierarchicalEncoder
    from slt_nb.standins.llava_tiny import build_tiny_llm
    from slt_nb.llava_slt.stage3 import build_model

    llm, tok = build_tiny_llm(LLMConfig(hidden=32, layers=1, heads=2, intermediate=64, vocab_size=300), ["a b c"] * 5)
    enc = HierarchicalEncoder(EncoderConfig(vit={"hidden": 16, "layers": 1, "heads": 2, "patch": 8}, frame_size=16, dim=16, heads=2,
                                            local_depth=1, sentence_depth=1, coembed_dim=8))
    model = build_model(enc, copy.deepcopy(llm), tok, "phoenix", stage3_config())
    tc = TrainConfig(batch_size=4)
    conn = sum(p.numel() for p in model.connector.parameters())
    a = estimates.stage3(model, tc, ("connector",), 8, 20, "fp32", backbone="cached", label="3a")
    assert a.grads == 4 * conn
    b = estimates.stage3(model, tc, ("connector", "llm", "temporal", "backbone"), 8, 20, "fp32", backbone="trains", label="3b")
    assert b.grads == 4 * sum(p.numel() for p in model.parameters())
    frozen = estimates.stage3(model, tc, ("connector",), 8, 20, "fp32", backbone="frozen", label="3a")
    assert a.activations < frozen.activations < estimates.stage3(model, tc, ("connector",), 8, 20, "fp32", backbone="trains", label="x").activations
    assert torch.is_tensor(model.prefix)


def test_stage2_is_offered_backbone_chunks_not_micro_batches():
    make = lambda c: Estimate("s", 0, 0, 0, c * GB)  # noqa: E731 - activations grow with the frames per backbone forward
    assert memory.fitting_chunk(make, 100 * GB, "llava_stage2.train") == "llava_stage2.train: {backbone_chunk: 64}"
    assert memory.fitting_chunk(make, 1 * GB, "k") is None
