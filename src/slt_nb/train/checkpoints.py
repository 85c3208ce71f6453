"""Checkpoints of a run: the last one to resume from, checked against the model before resuming."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SLTInputError


def last_checkpoint(ckpt_dir: Path) -> Path | None:
    from transformers.trainer_utils import get_last_checkpoint

    return Path(get_last_checkpoint(str(ckpt_dir))) if ckpt_dir.is_dir() and get_last_checkpoint(str(ckpt_dir)) else None


def check_checkpoint(ckpt: Path, trainer) -> None:
    """A checkpoint to resume from must hold the trainer state and weights of this model's shapes:
    the adapter of a LoRA run, the whole model (``model.safetensors``) of another strategy."""
    from peft import PeftModel
    from peft.utils import get_peft_model_state_dict
    from safetensors import SafetensorError, safe_open

    hint = f"delete {ckpt} (or the whole run folder) or train with force=True to start over"
    peft = isinstance(trainer.model, PeftModel)
    state = ckpt / "trainer_state.json"
    weights = ckpt / ("adapter_model.safetensors" if peft else "model.safetensors")
    if not state.is_file() or not weights.is_file():
        raise SLTInputError(f"incomplete checkpoint (no trainer_state.json or {weights.name})", file=ckpt, hint=hint)
    try:
        json.loads(state.read_text(encoding="utf-8"))
        sd = get_peft_model_state_dict(trainer.model) if peft else trainer.model.state_dict()
        expected = {k: tuple(v.shape) for k, v in sd.items()}
        with safe_open(str(weights), "pt") as fh:
            saved = {k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()}  # noqa: SIM118 (safe_open is not iterable)
    except (OSError, ValueError, RuntimeError, SafetensorError) as exc:  # corrupt json / safetensors
        raise SLTInputError(f"unreadable checkpoint ({type(exc).__name__}: {str(exc)[:200]})", file=ckpt, hint=hint) from None
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
