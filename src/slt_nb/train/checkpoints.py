"""Checkpoints of a run: the newest **complete** one to resume from, checked against the model.

``transformers.Trainer._save_checkpoint`` (4.57) writes ``checkpoint-N/`` in place, file by file:
the weights (``save_model``: ``adapter_model.safetensors`` + ``adapter_config.json`` of a LoRA
run, ``model.safetensors`` or its shards otherwise), ``optimizer.pt``, ``scheduler.pt``, the RNG
state (``rng_state.pth``, or ``rng_state_<rank>.pth`` per process), and ``trainer_state.json``
last. A kill during that write leaves a folder with some of them missing or cut short, and
``transformers.trainer_utils.get_last_checkpoint`` still returns it (the highest N). So
:func:`checkpoint_problem` defines a complete checkpoint by its contents, with no marker needed
(the last file the Trainer writes is itself checked):

* ``trainer_state.json`` is a JSON object whose ``global_step`` is the N of the folder's name;
* every weights file is readable safetensors that its header covers exactly (not empty, not truncated);
* ``optimizer.pt``, ``scheduler.pt`` and an RNG state file are whole ``torch.save`` archives
  (a zip file whose end-of-archive record is present: a file cut short has none).

:func:`resume_point` returns the newest complete checkpoint and removes the incomplete ones newer
than it (the Trainer would otherwise write into them again, and its rotation may keep a broken one
over a good one). A run whose newest complete checkpoint is its last step is finished:
:func:`finished_at` says so and :func:`restore` loads that checkpoint's weights and state into the
trainer without training a step (``Trainer.train(resume_from_checkpoint=...)`` at
``global_step == max_steps`` still trains one more batch when ``max_steps`` is not a whole number of
epochs: its stop check runs only after a step).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from ..errors import SLTInputError
from .run_files import check_weights, read_trainer_state, weight_files

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
TORCH_STATE = ("optimizer.pt", "scheduler.pt")


def checkpoints(ckpt_dir: Path) -> list[Path]:
    """The ``checkpoint-N`` folders of ``ckpt_dir``, newest (highest N) first."""
    d = Path(ckpt_dir)
    if not d.is_dir():
        return []
    found = [p for p in d.iterdir() if p.is_dir() and CHECKPOINT_RE.match(p.name)]
    return sorted(found, key=lambda p: int(CHECKPOINT_RE.match(p.name).group(1)), reverse=True)


def _whole_archive(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0 and zipfile.is_zipfile(path)
    except OSError:
        return False


def checkpoint_problem(ckpt: Path, *, peft: bool) -> str | None:
    """Why ``ckpt`` is not a complete checkpoint of a LoRA (``peft``) or full-weights run, or None.
    Reads the headers only (seconds for a multi-GB model): nothing is loaded."""
    ckpt = Path(ckpt)
    m = CHECKPOINT_RE.match(ckpt.name)
    if m is None:
        return "not a checkpoint-N folder"
    try:  # in the order the Trainer writes them: the first problem is where the write stopped
        for f in weight_files(ckpt, "adapter_model.safetensors" if peft else "model.safetensors"):
            check_weights(f)
    except SLTInputError as exc:
        return f"{Path(exc.file).name}: {exc.problem}" if exc.file is not None and Path(exc.file).is_file() else exc.problem
    for name in TORCH_STATE:
        if not _whole_archive(ckpt / name):
            return f"{name} missing or cut short"
    if not any(_whole_archive(p) for p in ckpt.glob("rng_state*.pth")):
        return "rng_state.pth missing or cut short"
    try:
        st = read_trainer_state(ckpt / "trainer_state.json")
    except SLTInputError as exc:
        return exc.problem if (ckpt / "trainer_state.json").exists() else "no trainer_state.json"
    if st["global_step"] != int(m.group(1)):
        return f"trainer_state.json is of step {st['global_step']}"
    return None


def resume_point(ckpt_dir: Path, *, peft: bool, main_process: bool = True, log=print) -> Path | None:
    """The newest complete checkpoint in ``ckpt_dir`` (None: start from step 0). The incomplete
    checkpoints newer than it are removed by the main process; ``log`` gets one line naming them."""
    skipped = []
    for ckpt in checkpoints(ckpt_dir):
        why = checkpoint_problem(ckpt, peft=peft)
        if why is None:
            break
        skipped.append((ckpt, why))
    else:
        ckpt = None
    if skipped and main_process:
        for p, _ in skipped:
            shutil.rmtree(p, ignore_errors=True)
        if log is not None:
            gone = "; ".join(f"{p.name} ({why})" for p, why in skipped)
            log(f"removed incomplete checkpoint(s) {gone} of an interrupted write; "
                + (f"resuming from {ckpt.name}" if ckpt is not None else "starting from step 0"))
    return ckpt


def resume_checkpoint(trainer, ckpt_dir: Path, state) -> Path | None:
    """The checkpoint a run resumes from: :func:`resume_point` (incomplete newer ones removed by the
    main process, which prints one line), then :func:`check_checkpoint` against ``trainer``'s model.
    ``state``: accelerate's ``PartialState`` (every process waits for the removal). None: step 0."""
    from peft import PeftModel

    main = state.is_main_process
    resume = resume_point(ckpt_dir, peft=isinstance(trainer.model, PeftModel), main_process=main, log=print if main else None)
    state.wait_for_everyone()
    if resume is not None:
        check_checkpoint(resume, trainer)
    return resume


def finished_at(ckpt: Path) -> bool:
    """Whether ``ckpt`` holds the run's last step (``global_step >= max_steps > 0``): nothing left to train."""
    st = read_trainer_state(Path(ckpt) / "trainer_state.json")
    return st["max_steps"] > 0 and st["global_step"] >= st["max_steps"]


def restore(trainer, ckpt: Path) -> None:
    """Load ``ckpt``'s weights and ``trainer_state.json`` into ``trainer`` without training: the
    state of a run that finished its last step (the optimizer is not needed). Relies on
    ``Trainer._load_from_checkpoint`` (transformers 4.57: adapter or full weights, shards included)."""
    from transformers import TrainerState

    trainer._load_from_checkpoint(str(ckpt))
    trainer.state = TrainerState.load_from_json(str(Path(ckpt) / "trainer_state.json"))


def check_checkpoint(ckpt: Path, trainer) -> None:
    """A checkpoint to resume from must hold weights of this model's shapes, all finite: the adapter
    of a LoRA run, the whole model (``model.safetensors`` or shards) of another strategy."""
    from peft import PeftModel
    from peft.utils import get_peft_model_state_dict

    hint = f"delete {ckpt} (or the whole run folder) or train with force=True to start over"
    peft = isinstance(trainer.model, PeftModel)
    why = checkpoint_problem(ckpt, peft=peft)
    if why is not None:
        raise SLTInputError(f"incomplete checkpoint ({why})", file=ckpt, hint=hint)
    sd = get_peft_model_state_dict(trainer.model) if peft else trainer.model.state_dict()
    expected = {k: tuple(v.shape) for k, v in sd.items()}
    saved = {}
    for f in weight_files(ckpt, "adapter_model.safetensors" if peft else "model.safetensors"):
        saved.update(check_weights(f, finite=True, hint=hint))  # NaN/inf weights would train on as NaN
    if not peft:  # a full checkpoint may leave out tied weights
        expected = {k: v for k, v in expected.items() if k in saved} if saved else expected
    bad = [k for k in expected if k not in saved or saved[k] != expected[k]]
    if bad or set(saved) - set(expected):
        k = bad[0] if bad else min(set(saved) - set(expected))
        raise SLTInputError(f"checkpoint does not fit the model: {k} is {saved.get(k)} in the checkpoint, {expected.get(k)} in the model",
                            file=ckpt, hint=hint)


def stop_after_callback(stop_after: int):
    from transformers import TrainerCallback

    class StopAfter(TrainerCallback):
        """Stops training after ``stop_after`` optimizer steps (a simulated interruption, for tests)."""

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= stop_after:
                control.should_training_stop = True
                control.should_save = True
            return control

    return StopAfter()
