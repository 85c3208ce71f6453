"""A few optimiser steps on the tiny models: finite, decreasing loss; plain torch and TRL SFTTrainer."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
import torch

from slt_nb.data.manifest import Sample
from slt_nb.models.load import apply_lora, load_model_and_processor, trainable_report
from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.standins.tiny import ensure_tiny
from slt_nb.train.collate import VideoCollator, make_example, rows_from_samples
from slt_nb.train.prompts import prompt_for
from slt_nb.train.sft import make_trainer, sft_config

CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
FAMS = sorted(FAMILIES)


@pytest.fixture(params=FAMS)
def tiny(request, tmp_path_factory):
    fam = request.param
    folder = ensure_tiny(fam, CORPUS, tmp_path_factory.getbasetemp() / f"tiny-{fam}", seed=0)
    return (fam, *load_model_and_processor(fam, folder))


def clip(n: int, seed: int, size: int = 48) -> np.ndarray:
    """A bright square moving over noise: uint8 (n, size, size, 3)."""
    rng = np.random.default_rng(seed)
    f = rng.integers(0, 80, (n, size, size, 3), dtype=np.uint8)
    for t in range(n):
        x = (t * 2) % (size - 10)
        f[t, 20:30, x : x + 10] = 250
    return f


def test_plain_torch_steps_decrease_the_loss_fast(tiny):
    """5 AdamW steps on one 16-frame clip (batch 1, as the paper); one step well under a second."""
    fam, model, proc = tiny
    torch.manual_seed(0)
    pm = apply_lora(model, fam)
    pm.train()
    batch = VideoCollator(proc, fam)([make_example(clip(16, 0), prompt_for("phoenix").text, CORPUS[0], fps=25.0, id="a")])
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=1e-3)
    losses, times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        loss = pm(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    assert all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0] and all(b <= a + 1e-6 for a, b in itertools.pairwise(losses)), losses
    assert min(times) < 1.0, times


def test_connector_moves_and_vision_tower_does_not(tiny):
    fam, model, proc = tiny
    f = get_family(fam)
    pm = apply_lora(model, fam)
    base = pm.base_model.model
    vision_before = {n: p.detach().clone() for n, p in base.get_submodule(f.vision_tower).named_parameters() if "modules_to_save" not in n}
    conn = base.get_submodule(f.connector).modules_to_save["default"]
    conn_before = [p.detach().clone() for p in conn.parameters()]
    batch = VideoCollator(proc, fam)([make_example(clip(8, 1), "Translate.", CORPUS[1], fps=25.0)])
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=1e-2)
    pm.train()
    for _ in range(2):
        pm(**batch).loss.backward()
        opt.step()
        opt.zero_grad()
    after = dict(base.get_submodule(f.vision_tower).named_parameters())
    assert all(torch.equal(after[n], p) for n, p in vision_before.items())
    assert any(not torch.equal(a, b) for a, b in zip(conn.parameters(), conn_before))


def test_sft_config_closes_the_trl_traps(tmp_path):
    for fam in FAMS:
        cfg = sft_config(fam, tmp_path, cuda=False)
        assert cfg.bf16 is False and cfg.remove_unused_columns is False and cfg.max_length is None
        assert cfg.dataset_kwargs == {"skip_prepare_dataset": True}
        t = get_family(fam).train
        assert (cfg.learning_rate, cfg.lr_scheduler_type.value) == (t.learning_rate, t.lr_scheduler_type)
        assert (cfg.per_device_train_batch_size, cfg.gradient_accumulation_steps, cfg.num_train_epochs) == (1, 4, 10)


def test_sft_trainer_on_manifest_rows(tiny, tmp_path):
    """TRL SFTTrainer + PEFT on a datasets.Dataset of manifest rows; frames decoded by the collator."""
    import datasets
    from PIL import Image

    fam, model, proc = tiny
    samples = []
    for i in range(2):
        folder = tmp_path / f"clip{i}"
        folder.mkdir()
        for j, fr in enumerate(clip(24, 10 + i, size=40), 1):
            Image.fromarray(fr).save(folder / f"images{j:04d}.png")
        samples.append(Sample(id=f"c{i}", dataset="phoenix", split="train", source=str(folder), source_kind="frames",
                              n_frames=24, fps=25.0, text=CORPUS[i]))
    ds = datasets.Dataset.from_list(rows_from_samples(samples, prompt_for("phoenix").text))
    cfg = sft_config(fam, tmp_path / "out", cuda=False, max_steps=6, learning_rate=1e-3, gradient_accumulation_steps=1,
                     lr_scheduler_type="constant", seed=0, disable_tqdm=True)
    trainer = make_trainer(model, proc, fam, ds, cfg, t_max=8)
    report = trainable_report(trainer.model, fam)
    assert report["lora"] > 0 and report["connector"] > 0 and report["vision_tower"] == report["other"] == 0
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 6 and all(math.isfinite(x) and x > 0 for x in losses)
    assert np.mean(losses[-2:]) < np.mean(losses[:2]), losses
