"""Fine-tuning runs on a tiny synthetic project: trainable sets, loss, save/load, resume, skip, DDP, bad input.

One module-scoped project (a 6-clip synthetic PHOENIX corpus, 40x48 px) and, per family, a
tiny base model with the base stage cut to a few language steps (``test_finetune_base.py``
tests the base stage itself). Runs use ``model=<base folder>`` so several run folders can share
one base.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import tiny_phoenix_project

from slt_nb.errors import SLTInputError
from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.train.predict import predict_run
from slt_nb.workers import worker_pool as _ORIGINAL_POOL
from slt_nb.train.run_config import RunConfig, model_name, plan_runs
from slt_nb.train.run_plan import ADAPTER_DIR, RUN_INFO
from slt_nb.train.run import CHECKPOINTS_DIR, train_run

FAMS = sorted(FAMILIES)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """(root, manifest_dir, {family: base folder})."""
    root = tmp_path_factory.mktemp("ftproj")
    manifests, bases = tiny_phoenix_project(root, family_sizes={fam: "tiny" for fam in FAMS})
    return root, manifests, bases


def cfg_for(project, fam: str, sub: str, **kw) -> RunConfig:
    root, manifests, bases = project
    base = {"family": fam, "model": str(bases[fam]), "dataset": "phoenix", "t_max": 6, "max_steps": 4, "per_device_train_batch_size": 2,
            "gradient_accumulation_steps": 1, "learning_rate": 2e-3, "lr_scheduler_type": "constant", "save_steps": 2, "logging_steps": 1,
            "progress": False, "runs_dir": str(root / sub), "manifest_dir": str(manifests)}
    return RunConfig(**{**base, **kw})


@pytest.mark.parametrize("fam", FAMS)
def test_trains_the_paper_parameter_set_with_a_finite_decreasing_loss(project, fam):
    res = train_run(cfg_for(project, fam, f"loss-{fam}", max_steps=8, cache_examples=True), keep_model=True)
    assert res.status == "finished"
    t = res.trainable
    assert t["lora"] > 0 and t["connector"] > 0 and t["vision_tower"] == t["language_model"] == t["other"] == 0
    f = get_family(fam)
    trainable = [n for n, p in res.model.named_parameters() if p.requires_grad]
    assert all(".lora_" in n or ".modules_to_save." in n for n in trainable)
    assert all(f.language_model + ".layers." in n for n in trainable if ".lora_" in n)  # LoRA in the LM only
    assert any(f.connector + ".modules_to_save." in n for n in trainable)
    losses = [h["loss"] for h in res.log_history if "loss" in h]
    assert len(losses) == 8 and all(math.isfinite(x) and x > 0 for x in losses)
    assert np.mean(losses[-3:]) < np.mean(losses[:3]), losses
    run = res.run_dir
    info = json.loads((run / RUN_INFO).read_text())
    assert info["status"] == "finished" and info["family"] == fam and info["hash"] == res.hash
    assert (run / ADAPTER_DIR / "adapter_model.safetensors").is_file() and not list((run / ADAPTER_DIR).glob("*.bin"))
    assert any((run / "tb").iterdir())  # TensorBoard events
    assert (run / "trainer_state.json").is_file()
    assert not list(run.parent.glob(f".{run.name}.*"))  # no temporary adapter folder left


@pytest.mark.parametrize("fam", FAMS)
def test_saved_adapter_and_connector_reload_to_identical_logits(project, fam):
    from slt_nb.data.prepare import load_prepared, load_split
    from slt_nb.train.collate import VideoCollator, rows_from_samples
    from slt_nb.train.load_run import load_for_inference

    res = train_run(cfg_for(project, fam, f"rt-{fam}", lora_dropout=0.0), keep_model=True)
    sample = load_split(load_prepared(project[1])[0], "test")[:1]
    model2, proc2, _ = load_for_inference(res.run_dir, merge=False)
    batch = VideoCollator(proc2, fam, train=False, t_max=6)(rows_from_samples(sample, "P."))
    with torch.no_grad():
        a = res.model(**batch).logits
        b = model2(**batch).logits
    assert torch.equal(a, b)
    conn = get_family(fam).connector
    trained = dict(res.model.base_model.model.get_submodule(conn).modules_to_save["default"].named_parameters())
    reloaded = dict(model2.base_model.model.get_submodule(conn).modules_to_save["default"].named_parameters())
    assert trained.keys() == reloaded.keys() and all(torch.equal(trained[k], reloaded[k]) for k in trained)
    merged, _, _ = load_for_inference(res.run_dir)  # merged LoRA: float rounding only
    with torch.no_grad():
        assert torch.allclose(merged(**batch).logits, a, atol=1e-4)


def test_interrupted_run_resumes_to_the_uninterrupted_adapter(project):
    from safetensors.torch import load_file

    straight = train_run(cfg_for(project, "smolvlm", "resume-a", max_steps=6, save_steps=3))
    cfg = cfg_for(project, "smolvlm", "resume-b", max_steps=6, save_steps=3)
    first = train_run(cfg, stop_after_steps=3)
    assert first.status == "interrupted" and first.hash == straight.hash
    assert (first.run_dir / CHECKPOINTS_DIR / "checkpoint-3").is_dir() and not (first.run_dir / ADAPTER_DIR).exists()
    assert json.loads((first.run_dir / RUN_INFO).read_text())["status"] == "interrupted"
    ckpt3 = first.run_dir / CHECKPOINTS_DIR / "checkpoint-3" / "adapter_model.safetensors"
    stamp = ckpt3.stat().st_mtime_ns
    resumed = train_run(cfg)
    assert resumed.status == "finished" and ckpt3.stat().st_mtime_ns == stamp  # continued from step 3, not restarted
    def by_step(r):
        return {h["step"]: h["loss"] for h in r.log_history if "loss" in h}

    assert by_step(resumed) == pytest.approx(by_step(straight), abs=1e-4)  # steps 4-6 trained after the resume match
    a = load_file(straight.run_dir / ADAPTER_DIR / "adapter_model.safetensors")
    b = load_file(resumed.run_dir / ADAPTER_DIR / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k  # deterministic: the resumed run's weights are the uninterrupted run's


@pytest.fixture(scope="module")
def finished4(project):
    """A finished smolvlm run of 4 steps (6 clips, batch 2: 3 steps an epoch, so step 4 is not an epoch's
    end), checkpoints at steps 2 and 4: the uninterrupted run the kill tests compare with."""
    return train_run(cfg_for(project, "smolvlm", "kill-straight"))


def _killed_copy(project, run, sub: str, damage=()) -> Path:
    """``run`` as a kill after its last checkpoint leaves it (no final adapter, run.json "running"), under
    runs dir ``sub``; ``damage``: (file of checkpoint-4, share of it kept; None: not written), as a kill during its write."""
    dst = project[0] / sub / run.run_dir.name
    shutil.copytree(run.run_dir, dst)
    shutil.rmtree(dst / ADAPTER_DIR)
    info = json.loads((dst / RUN_INFO).read_text())
    (dst / RUN_INFO).write_text(json.dumps({**info, "status": "running"}), encoding="utf-8")
    for name, keep in damage:
        f = dst / CHECKPOINTS_DIR / "checkpoint-4" / name
        f.unlink() if keep is None else f.write_bytes(f.read_bytes()[: int(f.stat().st_size * keep)])
    return dst


def test_resume_from_the_final_checkpoint_trains_no_step_more(project, finished4):
    """Killed after writing its last checkpoint: the run is finished, nothing is trained (was: step 5 of 4)."""
    run = _killed_copy(project, finished4, "kill-final")
    ckpt4 = run / CHECKPOINTS_DIR / "checkpoint-4" / "adapter_model.safetensors"
    stamp = ckpt4.stat().st_mtime_ns
    resumed = train_run(cfg_for(project, "smolvlm", "kill-final"))
    assert resumed.status == "finished" and resumed.run_dir == run
    info = json.loads((run / RUN_INFO).read_text())
    assert info["status"] == "finished" and info["global_step"] == info["max_steps"] == 4
    assert max(h["step"] for h in resumed.log_history) == 4 and ckpt4.stat().st_mtime_ns == stamp
    assert not (run / CHECKPOINTS_DIR / "checkpoint-5").exists()
    assert (run / ADAPTER_DIR / "adapter_model.safetensors").read_bytes() == \
        (finished4.run_dir / ADAPTER_DIR / "adapter_model.safetensors").read_bytes()


def test_kill_during_a_checkpoint_write_resumes_from_the_last_complete_one(project, finished4):
    """Killed while writing optimizer.pt of checkpoint-4 (scheduler, RNG and trainer state not written yet):
    the run resumes from checkpoint-2 (was: "incomplete checkpoint", no resume) and, trained again from
    step 2 (a kill between checkpoints), ends with the uninterrupted run's adapter, byte for byte."""
    run = _killed_copy(project, finished4, "kill-write",
                       damage=[("optimizer.pt", 0.5), ("scheduler.pt", None), ("rng_state.pth", None), ("trainer_state.json", None)])
    resumed = train_run(cfg_for(project, "smolvlm", "kill-write"))
    assert resumed.status == "finished" and resumed.run_dir == run
    assert json.loads((run / RUN_INFO).read_text())["global_step"] == 4
    assert (run / CHECKPOINTS_DIR / "checkpoint-4" / "trainer_state.json").is_file()  # written again, whole
    losses = {h["step"]: h["loss"] for h in resumed.log_history if "loss" in h}
    assert losses == {h["step"]: h["loss"] for h in finished4.log_history if "loss" in h}
    assert (run / ADAPTER_DIR / "adapter_model.safetensors").read_bytes() == \
        (finished4.run_dir / ADAPTER_DIR / "adapter_model.safetensors").read_bytes()


def test_full_weights_run_killed_after_its_last_checkpoint_is_finished(project):
    """The same for a strategy that trains the model's own weights (checkpoints hold model.safetensors)."""
    straight = train_run(cfg_for(project, "smolvlm", "kill-full-a", strategy="lm_only"))
    run = _killed_copy(project, straight, "kill-full-b")
    resumed = train_run(cfg_for(project, "smolvlm", "kill-full-b", strategy="lm_only"))
    assert resumed.status == "finished" and json.loads((run / RUN_INFO).read_text())["global_step"] == 4
    assert (run / ADAPTER_DIR / "model.safetensors").read_bytes() == (straight.run_dir / ADAPTER_DIR / "model.safetensors").read_bytes()


# where Trainer._save_checkpoint (transformers 4.57) can be killed: it writes the weights, optimizer.pt,
# scheduler.pt, rng_state.pth and trainer_state.json last, in that order
KILL_POINTS = [
    ("during-weights", [("adapter_model.safetensors", 0.5), ("optimizer.pt", None), ("scheduler.pt", None), ("rng_state.pth", None), ("trainer_state.json", None)], "adapter_model.safetensors"),
    ("empty-weights", [("adapter_model.safetensors", 0.0), ("optimizer.pt", None), ("scheduler.pt", None), ("rng_state.pth", None), ("trainer_state.json", None)], "empty"),
    ("during-optimizer", [("optimizer.pt", 0.9), ("scheduler.pt", None), ("rng_state.pth", None), ("trainer_state.json", None)], "optimizer.pt"),
    ("during-scheduler", [("scheduler.pt", 0.5), ("rng_state.pth", None), ("trainer_state.json", None)], "scheduler.pt"),
    ("during-rng", [("rng_state.pth", 0.5), ("trainer_state.json", None)], "rng_state.pth"),
    ("before-trainer-state", [("trainer_state.json", None)], "no trainer_state.json"),
    ("during-trainer-state", [("trainer_state.json", 0.5)], "not valid JSON"),
    ("empty-trainer-state", [("trainer_state.json", 0.0)], "is empty"),
]


@pytest.mark.parametrize("point,damage,why", KILL_POINTS, ids=[k[0] for k in KILL_POINTS])
def test_resume_point_is_the_newest_complete_checkpoint(project, finished4, point, damage, why):
    from slt_nb.train.checkpoints import checkpoint_problem, resume_point

    run = _killed_copy(project, finished4, f"kill-{point}", damage=damage)
    ckpts = run / CHECKPOINTS_DIR
    assert checkpoint_problem(ckpts / "checkpoint-2", peft=True) is None
    assert why in checkpoint_problem(ckpts / "checkpoint-4", peft=True)
    said = []
    assert resume_point(ckpts, peft=True, log=said.append) == ckpts / "checkpoint-2"
    assert not (ckpts / "checkpoint-4").exists() and len(said) == 1 and "checkpoint-4" in said[0] and "resuming from checkpoint-2" in said[0]


def test_no_complete_checkpoint_starts_from_step_0_and_a_complete_one_is_kept(project, finished4):
    from slt_nb.train.checkpoints import resume_point

    run = _killed_copy(project, finished4, "kill-none")
    ckpts = run / CHECKPOINTS_DIR
    assert resume_point(ckpts, peft=True, log=None) == ckpts / "checkpoint-4"  # undamaged: the newest
    (ckpts / "checkpoint-2" / "scheduler.pt").unlink()
    (ckpts / "checkpoint-4" / "trainer_state.json").write_text("{}")
    said = []
    assert resume_point(ckpts, peft=True, log=said.append) is None
    assert not list(ckpts.glob("checkpoint-*")) and "starting from step 0" in said[0]


def test_finished_run_is_skipped_unless_forced(project):
    cfg = cfg_for(project, "qwen2_5_vl", "skip", max_steps=2)
    first = train_run(cfg)
    stamp = (first.run_dir / ADAPTER_DIR / "adapter_model.safetensors").stat().st_mtime_ns
    again = train_run(replace(cfg, save_steps=1, progress=True))  # operational settings do not change the hash
    assert again.status == "skipped" and again.run_dir == first.run_dir and again.log_history
    assert (first.run_dir / ADAPTER_DIR / "adapter_model.safetensors").stat().st_mtime_ns == stamp
    other = train_run(replace(cfg, learning_rate=1e-3))  # a recipe change is another run
    assert other.status == "finished" and other.run_dir != first.run_dir
    forced = train_run(cfg, force=True)
    assert forced.status == "finished" and forced.run_dir == first.run_dir


def test_predictions_and_shuffled_video_control(project, tmp_path):
    res = train_run(cfg_for(project, "smolvlm", "pred", max_steps=2))
    out = predict_run(res, ("dev", "test"), out_dir=tmp_path / "p", shuffled_video_dir=tmp_path / "c", batch_size=2, max_new_tokens=5,
                      params_hash="abc", progress=False)
    assert set(out) == {"dev", "test", "test-shuffled-video"}
    rows = [json.loads(x) for x in out["test"].read_text().splitlines()]
    assert out["test"].name == "smolvlm-tiny.phoenix.test.jsonl" or out["test"].name.endswith(".phoenix.test.jsonl")
    assert len(rows) == 2 and {"id", "dataset", "split", "reference", "prediction", "model", "params_hash"} <= rows[0].keys()
    assert rows[0]["model"] == res.model_name and rows[0]["params_hash"] == "abc"
    ctrl = [json.loads(x) for x in out["test-shuffled-video"].read_text().splitlines()]
    assert [r["id"] for r in ctrl] == [r["id"] for r in rows] and [r["reference"] for r in ctrl] == [r["reference"] for r in rows]


@pytest.mark.parametrize("min_clips, expect_workers", [(0, True), (10_000, False)])
def test_predictions_in_workers_are_the_same_files(project, tmp_path, monkeypatch, min_clips, expect_workers):
    """predict_many with 2 workers (or, under MIN_CLIPS_FOR_WORKERS clips, in-process) writes byte-identical files."""
    from slt_nb.train import predict as predict_mod

    res = train_run(cfg_for(project, "smolvlm", "pred", max_steps=2))
    kw = dict(splits=("dev", "test"), shuffled_video_dir=tmp_path / "c1", batch_size=2, max_new_tokens=5, params_hash="abc")
    serial = predict_run(res, out_dir=tmp_path / "p1", progress=False, **kw)
    monkeypatch.setattr(predict_mod, "MIN_CLIPS_FOR_WORKERS", min_clips)
    started = []
    monkeypatch.setattr("slt_nb.workers.worker_pool", lambda *a, **k: started.append(1) or _ORIGINAL_POOL(*a, **k))
    many = predict_mod.predict_many({"a": res, "b": res}, jobs=2, log_dir=tmp_path / "logs", name_by_id=True, progress=False,
                                    **{**kw, "out_dir": tmp_path / "p2", "shuffled_video_dir": tmp_path / "c2"})
    assert bool(started) == expect_workers
    for run_id in ("a", "b"):
        assert set(many[run_id]) == set(serial)
        for key, path in serial.items():
            assert many[run_id][key].name == path.name.replace(res.model_name, run_id)
            assert many[run_id][key].read_text() == path.read_text()  # same rows (the model field names the run's model)


def test_model_names_and_plan():
    assert model_name("smolvlm", "tiny") == "smolvlm-tiny"
    assert model_name("qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct") == "qwen2_5_vl-Qwen2.5-VL-3B-Instruct"
    cfgs = plan_runs(["smolvlm", "qwen2_5_vl"], {"smolvlm": "tiny", "qwen2_5_vl": "tiny"}, ["phoenix", "how2sign"],
                     learning_rate={"smolvlm": 1e-4, "qwen2_5_vl": 1e-5}, base={"reps": 1}, epochs=3)
    assert [(c.dataset, c.family) for c in cfgs] == [("phoenix", "smolvlm"), ("phoenix", "qwen2_5_vl"), ("how2sign", "smolvlm"), ("how2sign", "qwen2_5_vl")]
    assert [c.learning_rate for c in cfgs[:2]] == [1e-4, 1e-5] and cfgs[0].base == {"reps": 1} and cfgs[0].epochs == 3
    r = RunConfig(family="qwen2_5_vl", model="tiny", dataset="phoenix").resolved()  # paper values from the registry
    assert (r.t_max, r.epochs, r.learning_rate, r.lr_scheduler_type, r.per_device_train_batch_size, r.gradient_accumulation_steps) == (64, 10, 1e-5, "cosine", 1, 4)
    assert (r.lora_r, r.lora_alpha, r.lora_dropout) == (64, 64, 0.05)
    with pytest.raises(SLTInputError, match="t_max"):
        RunConfig(family="smolvlm", model="tiny", dataset="phoenix", t_max=0).resolved()


# ---- several processes ----------------------------------------------------------------------


def test_two_process_ddp_run_on_cpu(project, tmp_path):
    """``torchrun --standalone --nproc_per_node 2 -m slt_nb.train.run CONFIG.json``: DDP over gloo on CPU (the Trainer's
    accelerate state picks the process group up). ``accelerate launch --cpu --num_processes 2`` would
    start a single process here: accelerate's multi-CPU launcher needs MPI."""
    from dataclasses import asdict

    cfg = cfg_for(project, "smolvlm", "ddp", max_steps=2, per_device_train_batch_size=1)
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(asdict(cfg)))
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "slt_nb.train.run", str(path)],
                          check=False, capture_output=True, text=True, env=env, timeout=240, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    run = Path(out["run_dir"])
    info = json.loads((run / RUN_INFO).read_text())
    assert out["status"] == "finished" and info["world_size"] == 2 and info["global_step"] == 2
    assert (run / ADAPTER_DIR / "adapter_model.safetensors").is_file()


# ---- bad input --------------------------------------------------------------------------------


def test_missing_model_and_unprepared_dataset(project):
    root = project[0]
    with pytest.raises(SLTInputError, match="neither a local folder nor a hub id|cannot load"):
        train_run(cfg_for(project, "smolvlm", "bad", model="/nonexistent/checkpoint"))
    written = [p for p in (root / "bad").rglob("*") if ".locks" not in p.parts] if (root / "bad").exists() else []
    assert written == []  # nothing written for a run whose model cannot load (but the empty lock file that serialises runs)
    with pytest.raises(SLTInputError, match="not prepared"):
        train_run(cfg_for(project, "smolvlm", "bad", dataset="isign"))


def test_processor_of_another_model_is_refused(project, tmp_path):
    """A base folder whose tokenizer was swapped for a larger one (ids beyond the embedding matrix)."""
    from slt_nb.standins.tiny import train_tokenizer

    _, _, bases = project
    mixed = tmp_path / "mixed"
    shutil.copytree(bases["smolvlm"], mixed)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (mixed / f).unlink(missing_ok=True)
    train_tokenizer([f"wort{i} neu{i} satz{i} ." for i in range(400)], "smolvlm", vocab_size=1500).save_pretrained(mixed)
    with pytest.raises(SLTInputError, match="tokenizer has .* tokens but the smolvlm model embeds only"):
        train_run(cfg_for(project, "smolvlm", "bad-proc", model=str(mixed)))
    assert not (project[0] / "bad-proc").exists()


def test_zero_frame_clip_is_named_before_training(project, tmp_path):
    from slt_nb.data.manifest import manifest_path, read_manifest, write_manifest

    root, manifests, _ = project
    bad_dir = tmp_path / "manifests"
    shutil.copytree(manifests, bad_dir)
    samples = read_manifest(manifest_path(bad_dir, "phoenix", "train"))
    empty = tmp_path / "empty_clip"
    empty.mkdir()
    samples[1] = replace(samples[1], source=str(empty))
    write_manifest(samples, manifest_path(bad_dir, "phoenix", "train"))
    recs = json.loads((bad_dir / "datasets.json").read_text())
    for r in recs:
        r["manifests"] = {k: str(bad_dir / Path(v).name) for k, v in r["manifests"].items()}
    (bad_dir / "datasets.json").write_text(json.dumps(recs))
    cfg = cfg_for(project, "smolvlm", "zero", manifest_dir=str(bad_dir))
    with pytest.raises(SLTInputError, match="zero-frame") as e:
        train_run(cfg)
    assert samples[1].id in str(e.value)
    assert not list((root / "zero").glob("*/adapter"))


def test_checkpoint_of_another_shape_is_refused(project):
    from safetensors.torch import load_file, save_file

    cfg = cfg_for(project, "smolvlm", "mismatch", max_steps=4, save_steps=2)
    first = train_run(cfg, stop_after_steps=2)
    ckpt = first.run_dir / CHECKPOINTS_DIR / "checkpoint-2" / "adapter_model.safetensors"
    w = load_file(ckpt)
    k = next(k for k in w if "lora_A" in k)
    w[k] = torch.zeros(8, w[k].shape[1])  # rank 8 instead of 64
    save_file(w, ckpt)
    with pytest.raises(SLTInputError, match="checkpoint does not fit.*force=True"):
        train_run(cfg)


def test_out_of_memory_says_what_to_change(project, monkeypatch):
    import transformers

    def oom(self, *a, **k):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(transformers.Trainer, "train", oom)
    with pytest.raises(SLTInputError, match="out of memory.*lower t_max.*gradient_checkpointing"):
        train_run(cfg_for(project, "smolvlm", "oom"))


def test_cached_collator_gives_the_plain_collator_batches(project):
    from slt_nb.data.prepare import load_prepared, load_split
    from slt_nb.models.load import load_model_and_processor
    from slt_nb.train.collate import CachedVideoCollator, VideoCollator, rows_from_samples

    _, manifests, bases = project
    rows = rows_from_samples(load_split(load_prepared(manifests)[0], "train")[:3], "P.")
    for fam in FAMS:
        _, proc = load_model_and_processor(fam, bases[fam])
        plain, cached = VideoCollator(proc, fam, t_max=6), CachedVideoCollator(proc, fam, t_max=6)
        for _ in range(2):  # the second pass comes from the cache
            a, b = plain(rows), cached(rows)
            assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
        assert len(cached._cache) == 3


@pytest.mark.parametrize("fam", FAMS)
def test_answer_position_logits_give_the_full_loss_and_gradients(project, fam):
    """The CPU loss computes the LM head only where the next token is supervised (issue 15: speed): the
    same loss and the same gradients as the model's loss over every position, on a padded batch."""
    from slt_nb.data.prepare import load_prepared, load_split
    from slt_nb.models.load import apply_lora, load_model_and_processor
    from slt_nb.train.collate import VideoCollator, rows_from_samples
    from slt_nb.train.sft import answer_positions

    torch.manual_seed(0)
    _, manifests, bases = project
    model, proc = load_model_and_processor(fam, bases[fam])
    model = apply_lora(model, fam)  # the trainable set of the main recipe; LoRA dropout off for an exact comparison
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    rows = rows_from_samples(load_split(load_prepared(manifests)[0], "train")[:3], "P.")
    batch = VideoCollator(proc, fam, t_max=6)(rows)
    assert batch["attention_mask"].sum(1).unique().numel() > 1  # rows of different lengths: padding in the batch
    labels = batch["labels"]
    n = (labels[:, 1:] != -100).sum()
    keep, targets = answer_positions(labels)
    assert keep.numel() < labels.shape[1] // 2 and int((targets != -100).sum()) == int(n)
    results = []
    for kw in ({}, {"logits_to_keep": keep, "shift_labels": targets}):
        model.zero_grad()
        out = model(**batch, num_items_in_batch=n, **kw)
        out.loss.backward()
        results.append((out.loss.item(), out.logits.shape[1], {k: p.grad.clone() for k, p in model.named_parameters() if p.requires_grad}))
    (full, width_full, g_full), (part, width_part, g_part) = results
    assert width_full == labels.shape[1] and width_part == keep.numel()
    assert part == pytest.approx(full, rel=1e-5)
    assert max((g_full[k] - g_part[k]).abs().max().item() for k in g_full) < 1e-5
    # the CPU trainer's loss (loss_impl "model") is this one
    from slt_nb.train.run_plan import plan
    from slt_nb.train.run import build_trainer

    cfg, record, samples, base, _h, run_dir = plan(cfg_for(project, fam, f"answer-positions-{fam}", loss_impl="model", lora_dropout=0.0))
    trainer, _, _ = build_trainer(cfg, record, samples, base, run_dir, log=None)
    loss, out = trainer.compute_loss(trainer.model, dict(batch), return_outputs=True, num_items_in_batch=n)
    assert out.logits.shape[1] == keep.numel() and torch.isfinite(loss)


@pytest.mark.parametrize("fam", FAMS)
def test_model_loss_and_trl_tiled_head_train_the_same(project, fam):
    """The CPU default computes the loss with the model's own head (faster at tiny sizes); TRL's tiled
    head gives the same losses and the same adapter up to float rounding."""
    runs = {impl: train_run(cfg_for(project, fam, f"loss-impl-{impl}-{fam}", loss_impl=impl, lora_dropout=0.0), keep_model=True)
            for impl in ("trl_fused", "model")}
    a, b = ([h["loss"] for h in r.log_history if "loss" in h] for r in runs.values())
    assert len(a) == len(b) == 4 and np.allclose(a, b, rtol=1e-4), (a, b)
    pa = dict(runs["trl_fused"].model.named_parameters())
    pb = dict(runs["model"].model.named_parameters())
    diff = max((pa[k] - pb[k]).abs().max().item() for k in pa if pa[k].requires_grad)
    assert diff < 1e-4  # rounding-size (measured 5.6e-6 SmolVLM, 3.2e-5 Qwen; Adam magnifies tiny gradient differences)
