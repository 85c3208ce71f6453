"""One fine-tuning run, end to end: config -> ``runs/<family>.<dataset>.<hash>/`` with the adapter.

:class:`RunConfig` (:mod:`slt_nb.train.run_config`) holds everything a run depends on; values left ``None`` come from the family's
paper recipe in :mod:`slt_nb.models.registry` (Sec 4.3: LoRA r/alpha/dropout, learning rate,
schedule, batch 1 x accumulation 4, 10 epochs, T_max 64). :func:`train_run` then

* resolves the model: a hub id or local folder as given, or ``"tiny"``: the offline tiny model
  of the family after its cached base-model stage (:mod:`slt_nb.standins.pretrain`);
* hashes the resolved config + the training data + the base model into the run folder's name;
  a **finished** run (``run.json`` says so, same hash, final adapter present) is skipped unless
  ``force=True``;
* trains with TRL's ``SFTTrainer`` + PEFT exactly as :mod:`slt_nb.train.sft` sets it up (vision
  frozen, connector in ``modules_to_save``, LoRA on the LM projections; answer-only labels),
  logging to TensorBoard (``tb/``) and checkpointing every ``save_steps`` optimizer steps into
  ``checkpoints/``; an interrupted run **resumes** from its last complete checkpoint on the next call
  (one cut short by a kill is removed; a run whose last step is checkpointed trains no step more:
  :mod:`slt_nb.train.checkpoints`);
* writes the final adapter (safetensors; the processor beside it) to a temporary folder in the
  runs folder and renames it to ``adapter/``, then ``trainer_state.json`` and ``run.json``
  (status ``finished``), which :func:`slt_nb.train.load_run.load_for_inference` reads.

The same code runs on one CPU, one GPU, or several processes — DDP through the Trainer, only the
main process writes: ``python -m slt_nb.train.run CONFIG.json`` (one process),
``accelerate launch --config_file configs/accelerate/ddp.yaml -m slt_nb.train.run CONFIG.json``
(one process per GPU; on a machine without a GPU the same command starts 2 CPU processes over
gloo, which tests/test_accelerate_configs.py runs), ``torchrun --standalone --nproc_per_node 2 -m
slt_nb.train.run CONFIG.json`` (the same, without accelerate; ``accelerate launch --cpu`` starts
only one process unless MPI is installed). No FSDP config is shipped: with trainable weights in
fp32 beside frozen bf16 ones (``bf16-mixed``) FSDP-1 cannot flatten a wrapped unit ("Must flatten
tensors with uniform dtype"), and a 3B model with LoRA fits one GPU, so DDP is what several GPUs use.

Precision and attention: :mod:`slt_nb.train.device` (``precision="auto"``: bf16-mixed on CUDA,
fp32 on CPU); every run prints one line saying which it uses and why.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, replace
from pathlib import Path

from .. import __version__
from ..errors import SLTInputError
from ..io import file_lock, write_json, write_text
from ..models.registry import ModelFamily, get_family
from .checkpoints import finished_at, restore, resume_checkpoint, stop_after_callback
from .collate import CachedVideoCollator, VideoCollator
from .device import (
    OOM_HINT,
    attention_of,
    cast_trainable,
    describe,
    gradient_checkpointing_of,
    is_oom,
    on_cuda,
    precision_of,
    reset_accelerate_state,
)
from .run_config import RunConfig, RunResult, model_name, read_run_config
from .run_files import read_trainer_state
from .run_plan import ADAPTER_DIR, RUN_INFO, check_sources, first_stage, is_finished, plan, read_run, stage_config
from .sft import fused_loss
from .strategy import check_trainable, get_strategy, set_trainable

CHECKPOINTS_DIR = "checkpoints"
TB_DIR = "tb"


# ---- the run -----------------------------------------------------------------------------------


def _relative_base(base: str, run_dir: Path) -> str:
    p = Path(base)
    if p.is_dir():
        try:
            return os.path.relpath(p.resolve(), run_dir.resolve())
        except ValueError:  # another drive
            return str(p.resolve())
    return base


def _write_run_info(run_dir: Path, cfg: RunConfig, record: dict, base: str, h: str, status: str, **extra) -> None:
    from .prompts import prompt_for

    prompt = prompt_for(record["name"], allow_non_paper=True)
    st = get_strategy(stage_config(cfg)[0])
    info = {"family": cfg.family, "base_model": _relative_base(base, run_dir), "adapter": ADAPTER_DIR, "dataset": cfg.dataset,
            "prompt": prompt.text, "t_max": cfg.t_max, "hash": h, "status": status, "config": asdict(cfg),
            "weights": "lora_adapter" if st.lora else "full_model", "strategy": cfg.strategy,
            "model_name": model_name(cfg.family, cfg.model, cfg.strategy), "slt_nb": __version__, **extra}
    write_json(run_dir / RUN_INFO, info)


def build_trainer(cfg: RunConfig, record: dict, samples: list, base: str, run_dir: Path, *, callbacks=(), log=print):
    """The ``SFTTrainer`` of a run (model loaded; LoRA applied by TRL, or the parts of the strategy
    unfrozen; collator, TensorBoard, checkpoints). Checks which parts train (:mod:`slt_nb.train.strategy`).

    Precision (:mod:`slt_nb.train.device`): weights load in the precision's dtype (bf16 under
    ``bf16-*``); once TRL has built the PEFT model, every trainable parameter is cast to the
    precision's trainable dtype (fp32 under ``bf16-mixed``: the connector's ``modules_to_save``
    copy, or the unfrozen parts of another strategy) before the optimizer exists; the Trainer's
    ``bf16`` flag runs the forward pass under bf16 autocast. ``log`` gets the one-line
    precision/attention report (:func:`~slt_nb.train.device.describe`); None: silent."""
    import datasets
    from transformers import set_seed

    from ..models.load import load_model_and_processor, lora_config
    from .load_run import check_processor_fits
    from .prompts import prompt_for
    from .sft import fused_loss, sft_config, trainer_class

    fam = get_family(cfg.family)
    strategy, epochs, max_steps = stage_config(cfg)
    lora = get_strategy(strategy).lora
    prec = precision_of(cfg)
    attn = attention_of(cfg, prec)
    if log is not None:
        log(f"{name_of(cfg)}: {describe(prec, attn)}")
    reset_accelerate_state(prec)  # nothing of an earlier run's mixed precision in this process
    model, processor = load_model_and_processor(fam, base, dtype=prec.load_dtype, attn_implementation=attn.impl)
    check_processor_fits(model, processor, fam, where=base)
    if not lora:
        set_trainable(model, fam, strategy)
    prompt = prompt_for(record["name"], allow_non_paper=True).text
    rows = datasets.Dataset.from_list([{**s.to_dict(), "prompt": prompt} for s in samples])
    args = sft_config(
        fam, run_dir / CHECKPOINTS_DIR, cuda=on_cuda(),
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler_type, optim=cfg.optim,
        per_device_train_batch_size=cfg.per_device_train_batch_size, gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        num_train_epochs=epochs, max_steps=max_steps, warmup_ratio=cfg.warmup_ratio, weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm, seed=cfg.seed, data_seed=cfg.seed, bf16=prec.autocast,
        gradient_checkpointing=gradient_checkpointing_of(cfg), gradient_checkpointing_kwargs={"use_reentrant": False},
        save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=cfg.save_total_limit,
        logging_steps=cfg.logging_steps, logging_first_step=True, report_to=["tensorboard"], logging_dir=str(run_dir / TB_DIR),
        disable_tqdm=not cfg.progress, ddp_find_unused_parameters=False, use_cpu=not on_cuda(),
    )
    collator_cls = CachedVideoCollator if cfg.cache_examples else VideoCollator
    set_seed(cfg.seed)  # LoRA's random init happens inside SFTTrainer
    trainer = trainer_class(fused_loss(cfg.loss_impl, on_cuda()))(model=model, args=args, data_collator=collator_cls(processor, fam, train=True, t_max=cfg.t_max),
                         train_dataset=rows, processing_class=processor, callbacks=list(callbacks),
                         peft_config=lora_config(fam, r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout) if lora else None)
    cast_trainable(trainer.model, prec.trainable_dtype)  # before trainer.train() creates the optimizer
    if prec.autocast:
        _connector_to_embedding_dtype(trainer.model, fam)
    report = check_trainable(trainer.model, fam, strategy)
    return trainer, processor, report


def _connector_to_embedding_dtype(model, fam: ModelFamily) -> None:
    """Under bf16 autocast the connector's output is bf16, while a trained (fp32) token embedding gives
    fp32 text embeddings (strategies ``full``, ``lm_only``); SmolVLM merges the two by index assignment,
    which needs one dtype. The connector's output is cast to the embedding's dtype (lossless when that
    is fp32; a no-op when both are bf16)."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    emb = base.get_input_embeddings()

    def to_embedding_dtype(_module, _inputs, out):
        return out.to(emb.weight.dtype) if isinstance(out, torch.Tensor) else out

    base.get_submodule(fam.connector).register_forward_hook(to_embedding_dtype)


def name_of(cfg: RunConfig) -> str:
    """A run's short name in log lines: ``<model name> on <dataset>``."""
    return f"{model_name(cfg.family, cfg.model, cfg.strategy)} on {cfg.dataset}"


def _save_adapter(trainer, processor, run_dir: Path, state) -> Path:
    """The final adapter (+ processor): ``trainer.save_model`` (every process takes part, so FSDP can
    gather the weights; the main process writes) into a temporary folder in the runs folder, then
    renamed to ``adapter/``. The Trainer's pickled ``training_args.bin`` is left out."""
    final = run_dir / ADAPTER_DIR
    tmp = run_dir.parent / f".{run_dir.name}.adapter-tmp"
    if state.is_main_process and tmp.exists():
        shutil.rmtree(tmp)  # left over by an earlier failure
    state.wait_for_everyone()
    trainer.save_model(str(tmp))
    if state.is_main_process:
        try:
            (tmp / "training_args.bin").unlink(missing_ok=True)
            processor.save_pretrained(tmp)
            if not any((tmp / w).is_file() for w in ("adapter_model.safetensors", "model.safetensors")):
                raise SLTInputError("the trainer saved no safetensors weights", file=tmp)
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    state.wait_for_everyone()
    return final


def train_run(cfg: RunConfig, *, force: bool = False, stop_after_steps: int | None = None, keep_model: bool = False, train: bool = True) -> RunResult:
    """Train (or resume, or skip) one run; see the module docstring. ``stop_after_steps``: stop
    after that many optimizer steps with a checkpoint and without the final adapter, as an
    interrupted run would (tests). ``keep_model``: return the trained model and processor too.
    ``train=False``: only look: the finished run (status "skipped") or status "pending", nothing built.
    ``train=True`` holds a CPU slot (:mod:`slt_nb.cpu_slots`; a no-op outside ``slt-nb reproduce --jobs N``)
    while it builds and trains."""
    from ..cpu_slots import cpu_slot

    with cpu_slot() if train else nullcontext():
        return _train_run(cfg, force=force, stop_after_steps=stop_after_steps, keep_model=keep_model, train=train)


def _train_run(cfg: RunConfig, *, force: bool, stop_after_steps: int | None, keep_model: bool, train: bool) -> RunResult:
    from accelerate import PartialState

    state = PartialState(cpu=not on_cuda())  # on CPU, torchrun's env (WORLD_SIZE) -> gloo process group (MULTI_CPU)
    t0 = time.perf_counter()
    stage_base = None
    name = model_name(cfg.family, cfg.model, cfg.strategy)
    pending = RunResult(cfg, Path(), "pending", "", "", name)
    if get_strategy(cfg.resolved().strategy).stages:  # vision then LM: the vision stage is a run of its own
        one = train_run(first_stage(cfg.resolved()), force=force, stop_after_steps=stop_after_steps, train=train)
        if not one.finished:
            return pending if one.status == "pending" else replace(one, status="interrupted")
        stage_base = str(one.run_dir / ADAPTER_DIR)
    planned = plan(cfg, state=state, base=stage_base, build=train)
    if planned is None:
        return pending
    cfg, record, samples, base, h, run_dir = planned
    if not (force and train) and is_finished(run_dir, h):
        return RunResult(cfg, run_dir, "skipped", h, base, name, log_history=_log_history(run_dir), trainable=read_run(run_dir).get("trainable", {}),
                         seconds=time.perf_counter() - t0)
    if not train:
        return replace(pending, config=cfg, run_dir=run_dir, hash=h, base_model=base)
    return _train(cfg, record, samples, base, h, run_dir, state, name, t0, force=force, stop_after_steps=stop_after_steps, keep_model=keep_model)


def _train(cfg: RunConfig, record: dict, samples: list, base: str, h: str, run_dir: Path, state, name: str, t0: float, *, force: bool,
           stop_after_steps: int | None, keep_model: bool) -> RunResult:
    check_sources(samples)
    callbacks = [stop_after_callback(stop_after_steps)] if stop_after_steps else []
    trainer, processor, report = build_trainer(cfg, record, samples, base, run_dir, callbacks=callbacks,  # a model that fails to load writes nothing
                                               log=print if state.is_main_process else None)
    # One process trains a given run at a time (another notebook or batch job may share runs/); a
    # distributed run is one job whose ranks train together, so only single-process runs lock.
    with file_lock(run_dir.parent / ".locks" / f"{run_dir.name}.lock") if state.num_processes == 1 else nullcontext():
        if not force and is_finished(run_dir, h):  # finished by another process while this one waited
            return RunResult(cfg, run_dir, "skipped", h, base, name, log_history=_log_history(run_dir),
                             trainable=read_run(run_dir).get("trainable", {}), seconds=time.perf_counter() - t0)
        return _fit(trainer, processor, report, cfg, record, samples, base, h, run_dir, state, name, t0, force=force, keep_model=keep_model)


def _fit(trainer, processor, report, cfg: RunConfig, record: dict, samples: list, base: str, h: str, run_dir: Path, state, name: str, t0: float, *,
         force: bool, keep_model: bool) -> RunResult:
    if state.is_main_process:
        if force and run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        _write_run_info(run_dir, cfg, record, base, h, "running")
    state.wait_for_everyone()
    resume = resume_checkpoint(trainer, run_dir / CHECKPOINTS_DIR, state)  # the newest complete one, checked; None: from step 0
    try:
        if resume is not None and finished_at(resume):  # its last step is saved: load it, train no step more
            restore(trainer, resume)
        else:
            trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    except Exception as exc:
        if not is_oom(exc):
            raise
        raise SLTInputError(f"out of memory training {name} on {cfg.dataset} (t_max={cfg.t_max}, batch {cfg.per_device_train_batch_size})",
                            file=run_dir, hint=OOM_HINT) from None
    st = trainer.state
    done = st.max_steps > 0 and st.global_step >= st.max_steps
    if done:
        _save_adapter(trainer, processor, run_dir, state)
    if state.is_main_process:
        write_text(run_dir / "trainer_state.json", json.dumps(asdict(st), indent=2, sort_keys=True) + "\n")  # as save_to_json, atomically
        _write_run_info(run_dir, cfg, record, base, h, "finished" if done else "interrupted", trainable=report,
                        global_step=st.global_step, max_steps=st.max_steps, train_seconds=round(time.perf_counter() - t0, 1),
                        train_clips=len(samples), world_size=state.num_processes)
    state.wait_for_everyone()
    model = trainer.model.eval() if keep_model else None
    return RunResult(cfg, run_dir, "finished" if done else "interrupted", h, base, name, log_history=list(st.log_history),
                     trainable=report, seconds=time.perf_counter() - t0, model=model, processor=processor if keep_model else None)


def _log_history(run_dir: Path) -> list:
    p = Path(run_dir) / "trainer_state.json"
    return read_trainer_state(p).get("log_history", []) if p.is_file() else []


def main(argv: list[str] | None = None) -> int:
    """``python -m slt_nb.train.run CONFIG.json [--force]``: one run from a JSON RunConfig (for
    ``accelerate launch`` / ``torchrun``)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m slt_nb.train.run", description=main.__doc__)
    ap.add_argument("config", help="JSON file with RunConfig fields")
    ap.add_argument("--force", action="store_true", help="retrain even if a finished run exists")
    ap.add_argument("--stop-after-steps", type=int, default=None, help="stop early with a checkpoint (simulated interruption)")
    a = ap.parse_args(argv)
    try:
        cfg = read_run_config(a.config)
        res = train_run(cfg, force=a.force, stop_after_steps=a.stop_after_steps)
    except SLTInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from accelerate import PartialState

    if PartialState(cpu=not on_cuda()).is_main_process:
        print(json.dumps({"status": res.status, "run_dir": str(res.run_dir), "hash": res.hash}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
