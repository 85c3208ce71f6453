"""Precision and attention (slt_nb.train.device): the decision tables, and what bf16 does to training.

The CUDA settings are forced on CPU (bf16 autocast runs there): weights loaded in bf16, the forward
pass under bf16 autocast. Under ``bf16-mixed`` (what ``auto`` means on CUDA) every trainable tensor
is fp32 and moves at the paper's smallest learning rate (1e-5); under ``bf16-pure`` most updates
round away. Measured here (2 steps at 1e-5, tiny models): the share of trainable weights that
changed is printed by each test (``pytest -s``) and asserted to be higher under mixed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from conftest import tiny_phoenix_project

from slt_nb.errors import SLTInputError
from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.train import device
from slt_nb.train.device import (
    FLASH,
    GPU_EXTRA,
    decide_attention,
    decide_precision,
    describe,
    dtype_counts,
    reset_accelerate_state,
)
from slt_nb.train.run_config import RunConfig
from slt_nb.train.run_plan import plan, run_key
from slt_nb.train.run import build_trainer

FAMS = sorted(FAMILIES)
BF16, FP32 = torch.bfloat16, torch.float32
ON_CUDA = torch.cuda.is_available()


@pytest.fixture(autouse=True, scope="module")
def _no_leak_into_other_modules():
    """bf16 runs here set accelerate's process-wide state and ACCELERATE_MIXED_PRECISION; other test
    modules that build Trainers themselves (not through train_run) must not inherit them."""
    saved = os.environ.get("ACCELERATE_MIXED_PRECISION")
    yield
    reset_accelerate_state(None)
    if saved is None:
        os.environ.pop("ACCELERATE_MIXED_PRECISION", None)
    else:
        os.environ["ACCELERATE_MIXED_PRECISION"] = saved


# ---- the decision tables ----------------------------------------------------------------------

SETTINGS = {"bf16-mixed": (BF16, FP32, True), "bf16-pure": (BF16, BF16, True), "fp32": (FP32, FP32, False)}  # load, trainable, autocast

PRECISION_TABLE = [  # asked, cuda, GPU has bf16 -> name, part of the reason
    ("auto", True, True, "bf16-mixed", "auto on CUDA: trainable fp32, compute bf16"),
    ("auto", True, False, "fp32", "auto: this GPU has no bf16"),
    ("auto", False, False, "fp32", "auto on CPU"),
    ("bf16-mixed", True, True, "bf16-mixed", "asked: trainable fp32, compute bf16"),
    ("bf16", True, True, "bf16-mixed", "asked: trainable fp32"),  # the old name
    ("bf16-mixed", False, False, "bf16-mixed", "asked on CPU"),  # the CUDA settings forced on CPU
    ("bf16-pure", True, True, "bf16-pure", "asked: weights and compute bf16"),
    ("bf16-pure", False, False, "bf16-pure", "asked on CPU"),
    ("fp32", True, True, "fp32", "asked: weights and compute fp32"),
    ("fp32", False, False, "fp32", "asked on CPU"),
]


@pytest.mark.parametrize("asked,cuda,bf16_ok,name,why", PRECISION_TABLE)
def test_precision_table(asked, cuda, bf16_ok, name, why):
    p = decide_precision(asked, cuda=cuda, bf16_supported=bf16_ok)
    assert p.name == name and why in p.why
    assert (p.load_dtype, p.trainable_dtype, p.autocast) == SETTINGS[name]


@pytest.mark.parametrize("asked,cuda,bf16_ok,match", [
    ("bf16-mixed", True, False, "does not support"),
    ("bf16-pure", True, False, "does not support"),
    ("fp16", False, False, "unknown precision"),
    ("BF16", False, False, "unknown precision"),
    (None, False, False, "unknown precision"),
])
def test_precision_refused(asked, cuda, bf16_ok, match):
    with pytest.raises(SLTInputError, match=match):
        decide_precision(asked, cuda=cuda, bf16_supported=bf16_ok)


ATTENTION_TABLE = [  # asked, cuda, precision, flash usable, flash installed -> implementation, part of the reason
    ("auto", False, "fp32", False, False, None, "auto on CPU: transformers' default"),  # the CPU default: unchanged
    ("auto", False, "bf16-mixed", True, True, None, "auto on CPU"),
    ("auto", True, "bf16-mixed", True, True, FLASH, "auto on CUDA: flash-attn installed"),
    ("auto", True, "bf16-pure", True, True, FLASH, "flash-attn installed"),
    ("auto", True, "bf16-mixed", False, False, "sdpa", f"auto: flash-attn not installed; {GPU_EXTRA}"),
    ("auto", True, "bf16-mixed", False, True, "sdpa", "installed but transformers cannot use it"),
    ("auto", True, "fp32", True, True, "sdpa", "needs bf16 compute"),
    (None, True, "bf16-mixed", True, True, FLASH, "auto on CUDA"),
    ("sdpa", True, "bf16-mixed", True, True, "sdpa", "asked"),
    ("eager", False, "fp32", False, False, "eager", "asked"),
    (FLASH, True, "bf16-mixed", True, True, FLASH, "asked"),
]


@pytest.mark.parametrize("asked,cuda,prec,usable,installed,impl,why", ATTENTION_TABLE)
def test_attention_table(asked, cuda, prec, usable, installed, impl, why):
    a = decide_attention(asked, cuda=cuda, precision=prec, flash_available=usable, flash_installed=installed)
    assert a.impl == impl and why in a.why and a.name == (impl or "sdpa")


@pytest.mark.parametrize("cuda,installed,match", [(False, False, "not installed.*needs a CUDA GPU"), (True, True, "installed but unusable")])
def test_flash_attention_asked_but_unusable(cuda, installed, match):
    with pytest.raises(SLTInputError, match=match) as e:
        decide_attention(FLASH, cuda=cuda, precision="bf16-mixed", flash_available=False, flash_installed=installed)
    assert "requirements-gpu.txt" in str(e.value)


def test_the_line_a_run_prints():
    prec = decide_precision("auto", cuda=True, bf16_supported=True)
    attn = decide_attention("auto", cuda=True, precision=prec, flash_available=False, flash_installed=False)
    assert describe(prec, attn) == ("precision: bf16-mixed (auto on CUDA: trainable fp32, compute bf16) | "
                                    f"attention: sdpa (auto: flash-attn not installed; {GPU_EXTRA})")
    assert describe(decide_precision("auto", cuda=False, bf16_supported=False)) == "precision: fp32 (auto on CPU)"


def test_this_machine_uses_transformers_flash_check(monkeypatch):
    import transformers.utils

    monkeypatch.setattr(device, "on_cuda", lambda: True)
    monkeypatch.setattr(device, "_bf16_supported", lambda: True)
    monkeypatch.setattr(transformers.utils, "is_flash_attn_2_available", lambda: True)
    assert device.precision_of("auto").name == "bf16-mixed"
    assert device.attention_of("auto").impl == FLASH
    monkeypatch.setattr(transformers.utils, "is_flash_attn_2_available", lambda: False)
    assert device.attention_of("auto").impl == "sdpa"


@pytest.mark.skipif(ON_CUDA, reason="the CPU default")
def test_cpu_default_is_unchanged_and_names_are_checked():
    cfg = RunConfig(family="smolvlm", model="tiny", dataset="phoenix")
    assert device.precision_of(cfg).name == "fp32" and device.attention_of(cfg).impl is None  # fp32 weights, transformers' attention
    assert cfg.resolved().hashed()["precision"] == "auto"
    key = run_key(cfg.resolved(), "data", "HuggingFaceTB/SmolVLM2-2.2B-Instruct")
    assert "precision" not in key  # the embedded default's run hashes do not change
    assert run_key(RunConfig(family="smolvlm", model="tiny", dataset="phoenix", precision="bf16").resolved(), "data", "x/y")["precision"] == "bf16-mixed"
    assert RunConfig(family="smolvlm", model="tiny", dataset="phoenix", precision="bf16").resolved().precision == "bf16-mixed"
    with pytest.raises(SLTInputError, match="unknown precision 'fp16'"):
        RunConfig(family="smolvlm", model="tiny", dataset="phoenix", precision="fp16").resolved()


# ---- fine-tuning under the CUDA settings on CPU -------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("precproj")
    manifests, bases = tiny_phoenix_project(root, family_sizes={fam: "tiny" for fam in FAMS}, text_steps=2)
    return root, manifests, bases


class _Snapshots:
    """A TrainerCallback that keeps the trainable weights after every optimizer step."""

    def __init__(self):
        from transformers import TrainerCallback

        outer = self
        self.steps: list[dict] = []

        class CB(TrainerCallback):
            def on_step_end(self, args, state, control, model=None, **kw):
                outer.steps.append({n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad})

        self.callback = CB()


def train_steps(project, fam: str, precision: str, *, steps: int = 2, lr: float = 1e-5, sub: str = "p"):
    """(initial trainable weights, weights after each step, the trainer, dtype of a frozen LM projection's output)."""
    root, manifests, bases = project
    cfg = RunConfig(family=fam, model=str(bases[fam]), dataset="phoenix", t_max=6, max_steps=steps, per_device_train_batch_size=2,
                    gradient_accumulation_steps=1, learning_rate=lr, lr_scheduler_type="constant", lora_dropout=0.0, save_steps=1000,
                    logging_steps=1, progress=False, precision=precision, runs_dir=str(root / sub), manifest_dir=str(manifests))
    cfg, record, samples, base, _, run_dir = plan(cfg)
    snaps = _Snapshots()
    trainer, _, _ = build_trainer(cfg, record, samples, base, run_dir, callbacks=[snaps.callback], log=None)
    initial = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    lm = get_family(fam).language_model
    proj = next(m for n, m in trainer.model.named_modules() if n.endswith("q_proj.base_layer") and f"{lm}.layers." in n)
    seen = []
    handle = proj.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    trainer.train()
    handle.remove()
    return initial, snaps.steps, trainer, seen[0]


def changed(before: dict, after: dict) -> tuple[set, float]:
    """(names of the tensors that changed, share of all their elements that changed)."""
    names = {n for n in before if not torch.equal(before[n], after[n])}
    moved = sum(int((before[n] != after[n]).sum()) for n in before)
    return names, moved / sum(t.numel() for t in before.values())


@pytest.mark.parametrize("fam", FAMS)
def test_bf16_mixed_trains_every_tensor_and_pure_loses_updates(project, fam):
    init, steps, trainer, compute = train_steps(project, fam, "bf16-mixed")
    assert compute == BF16  # the forward pass runs in bf16
    assert set(dtype_counts(trainer.model, trainable=True)) == {"float32"}  # connector copy and LoRA in fp32
    assert set(dtype_counts(trainer.model, trainable=False)) == {"bfloat16"}  # frozen weights keep the load dtype
    first, _ = changed(init, steps[0])
    lora_a = {n for n in init if ".lora_A." in n}
    assert lora_a and first == set(init) - lora_a  # step 1: LoRA B starts at zero, so LoRA A has no gradient yet; the rest moves
    assert any(get_family(fam).connector + ".modules_to_save." in n for n in first)
    every, mixed = changed(init, steps[1])
    assert every == set(init)  # step 2: every trainable tensor moved at lr 1e-5

    init_p, steps_p, trainer_p, compute_p = train_steps(project, fam, "bf16-pure")
    assert compute_p == BF16 and set(dtype_counts(trainer_p.model, trainable=True)) == {"bfloat16"}
    _, pure = changed(init_p, steps_p[1])
    print(f"\n{fam}: weights changed after 2 steps at lr 1e-5: bf16-mixed {mixed:.1%}, bf16-pure {pure:.1%}")
    assert mixed > 0.99 and pure < mixed


# ---- LLaVA-SLT: the LLM's own training loops --------------------------------------------------


def _bf16_llm(project, tmp_path) -> tuple[Path, list]:
    """A tiny LLM saved in bf16 (the load dtype a hub LLM gets with ``llm.dtype: bfloat16``) and the training samples."""
    from slt_nb.data.prepare import load_prepared, load_split
    from slt_nb.llava_slt.config import LLMConfig
    from slt_nb.standins.llava_tiny import build_tiny_llm
    from slt_nb.llava_slt.stage1 import tokenizer_corpus

    train = load_split(load_prepared(project[1])[0], "train")
    model, tok = build_tiny_llm(LLMConfig(hidden=32, layers=1, heads=2, intermediate=64, vocab_size=300), tokenizer_corpus(train, "phoenix"), seed=0)
    folder = tmp_path / "llm_bf16"
    model.to(BF16).save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder, train


def test_llava_stage1_llm_trains_in_fp32_under_bf16_mixed(project, tmp_path):
    """Stage 1 (continued pretraining, the LLM fully trained) on an LLM loaded in bf16, max lr 1e-5 (one-cycle: 4 steps)."""
    from safetensors.torch import load_file

    from slt_nb.llava_slt.config import LLMConfig, stage1_config
    from slt_nb.llava_slt.stage1 import run_stage1

    folder, train = _bf16_llm(project, tmp_path)
    original = load_file(folder / "model.safetensors")
    llm_cfg = LLMConfig(id=str(folder), dtype="bfloat16")
    s1 = stage1_config({"train": {"epochs": 1, "batch_size": 3, "lr": 1e-5}})  # 12 documents: 4 steps
    out = {}
    for prec in ("bf16-mixed", "bf16-pure"):
        done = run_stage1(train, [], "phoenix", llm_cfg, s1, tmp_path / prec, precision=prec)
        assert done["key"].endswith("." + prec) and len(done["history"]) == 4  # a bf16 stage never reuses an fp32 one
        trained = load_file(tmp_path / prec / "llm" / "model.safetensors")
        assert {str(t.dtype) for t in trained.values()} == {"torch.float32" if prec == "bf16-mixed" else "torch.bfloat16"}
        out[prec] = changed({k: v.float() for k, v in original.items()}, {k: trained[k].float() for k in original})
    names, mixed = out["bf16-mixed"]
    assert names == set(original)  # every tensor of the LLM moved
    print(f"\nLLaVA-SLT stage-1 LLM: weights changed after 4 steps at max lr 1e-5: bf16-mixed {mixed:.1%}, bf16-pure {out['bf16-pure'][1]:.1%}")
    assert mixed > 0.99 and out["bf16-pure"][1] < mixed


def test_llava_full_tuning_trains_the_llm_in_fp32_under_bf16_mixed(project, tmp_path):
    """Stage 3's full-tuning (connector + LLM at lr 1e-5) with the LLM loaded in bf16: the frozen encoder keeps its
    dtype, the LLM's weights become fp32 and all move; decoding works afterwards."""
    from slt_nb.llava_slt.config import stage2_config, stage3_config
    from slt_nb.llava_slt.data import ClipSet
    from slt_nb.llava_slt.encoder import HierarchicalEncoder
    from slt_nb.llava_slt.llm import load_llm
    from slt_nb.llava_slt.stage3 import build_model, run_stage3, translate

    folder, train = _bf16_llm(project, tmp_path)
    enc_cfg = stage2_config({"encoder": {"vit": {"hidden": 16, "layers": 1, "heads": 2, "patch": 8}, "frame_size": 16, "dim": 16,
                                         "heads": 2, "local_depth": 1, "sentence_depth": 1, "coembed_dim": 8}}).encoder
    torch.manual_seed(0)
    clips = ClipSet("phoenix", "train", [s.id for s in train[:4]], [s.text for s in train[:4]], [s.gloss for s in train[:4]],
                    torch.randint(0, 256, (4, 8, 3, 16, 16), dtype=torch.uint8), torch.tensor([8, 6, 5, 8]))
    cfg = stage3_config({"train": {"epochs": 1, "batch_size": 4}, "full_tune": {"epochs": 1, "batch_size": 1, "lr": 1e-5},
                         "full_tune_parts": ["connector", "llm"]})
    shares = {}
    for prec in ("bf16-mixed", "bf16-pure"):
        llm, tok = load_llm(folder)
        llm = llm.to(BF16)
        model = build_model(HierarchicalEncoder(enc_cfg), llm, tok, "phoenix", cfg)
        before = {n: p.detach().float().clone() for n, p in model.llm.named_parameters()}
        done = run_stage3(model, tok, clips, cfg, tmp_path / f"s3-{prec}", "k", precision=prec)
        assert done["key"] == f"k.{prec}" and len(done["history"]) == 1 + 4
        after = {n: p.detach().float() for n, p in model.llm.named_parameters()}
        shares[prec] = changed(before, after)
        assert {p.dtype for p in model.llm.parameters()} == {FP32 if prec == "bf16-mixed" else BF16}
        assert {p.dtype for p in model.encoder.parameters()} == {FP32}  # frozen: as loaded
        if prec == "bf16-mixed":
            assert shares[prec][0] == set(before)
            assert len(translate(model, tok, clips, max_new_tokens=2)) == 4
    print(f"\nLLaVA-SLT full-tuning LLM: weights changed after 4 steps at max lr 1e-5: bf16-mixed {shares['bf16-mixed'][1]:.1%}, "
          f"bf16-pure {shares['bf16-pure'][1]:.1%}")
    assert shares["bf16-mixed"][1] > 0.99 and shares["bf16-pure"][1] < shares["bf16-mixed"][1]


# ---- accelerate's mixed precision does not leak from one run to the next -----------------------


def test_bf16_run_then_fp32_run_in_one_process(project, monkeypatch):
    """Reproduced first: without the reset, accelerate's state and ACCELERATE_MIXED_PRECISION=bf16 from the
    bf16 run make the next fp32 run compute under bf16 autocast (SmolVLM then fails on mixed dtypes)."""
    import slt_nb.train.run as run_mod

    monkeypatch.setattr(run_mod, "reset_accelerate_state", lambda precision=None: None)
    train_steps(project, "smolvlm", "bf16-mixed", steps=1, sub="leak")
    with pytest.raises(RuntimeError, match="dtype"):
        train_steps(project, "smolvlm", "fp32", steps=1, sub="leak")
    monkeypatch.undo()

    *_, compute = train_steps(project, "smolvlm", "bf16-mixed", steps=1, sub="leak")
    assert compute == BF16
    init, steps, trainer, compute = train_steps(project, "smolvlm", "fp32", steps=1, sub="leak")
    assert compute == FP32 and set(dtype_counts(trainer.model, trainable=False)) == {"float32"}
    assert changed(init, steps[0])[0]

    # LLaVA-SLT's own loop after a bf16 Trainer in the same process: its Accelerator starts clean, fp32 compute
    from slt_nb.llava_slt.config import LLMConfig, TrainConfig
    from slt_nb.standins.llava_tiny import build_tiny_llm
    from slt_nb.llava_slt.train import fit

    train_steps(project, "smolvlm", "bf16-mixed", steps=1, sub="leak")
    llm, tok = build_tiny_llm(LLMConfig(hidden=32, layers=1, heads=2, intermediate=64, vocab_size=300), ["a b c", "b c d"], seed=0)
    ids = tok(["a b c d"], return_tensors="pt")["input_ids"]
    dtypes = []
    llm.model.layers[0].self_attn.q_proj.register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    fit(llm, list(llm.parameters()), [{"input_ids": ids, "labels": ids}], TrainConfig(epochs=1, lr=1e-3), lambda m, b: {"loss": m(**b).loss},
        precision="fp32", log=None)
    assert dtypes == [FP32]
