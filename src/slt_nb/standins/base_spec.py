"""The sizes of the tiny models' base-model stage and the synthetic corpus's render settings it reads.

Plain data, shared by :mod:`slt_nb.standins.pretrain` (which builds the base), :mod:`slt_nb.standins.vision_stage`
and :mod:`slt_nb.standins.isolated_signs` (which render and learn the signs): kept apart so that these
modules import it and not each other (no import cycle). Embedded default only: a real checkpoint
needs no base stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import SLTInputError


@dataclass(frozen=True)
class BaseSpec:
    """Sizes of the base-model stage (embedded default only; none of it is in the paper)."""

    reps: int = 8  # isolated clips rendered per gloss of the lexicon (signers cycled)
    vision_epochs: int = 8  # passes over the isolated clips (stage 1)
    vision_lr: float = 3e-3  # AdamW, constant (stage 1)
    vision_batch: int = 16  # clips per step (stage 1)
    vision_t_max: int = 16  # frames an isolated sign is sampled to (stage 1; signs last ~6-20 frames). Not the run's T_max: a base stands
    # for one pretrained checkpoint, whatever budget fine-tuning then uses (Table 9 fine-tunes one checkpoint at two budgets)
    text_steps: int = 300  # optimizer steps of language modelling on the training transcripts (stage 2)
    text_lr: float = 3e-3  # AdamW, constant (stage 2)
    text_batch: int = 16  # sentences per step (stage 2)
    vocab_size: int = 1024  # the tiny byte-level BPE tokenizer's size

    @classmethod
    def from_dict(cls, d: dict | None) -> BaseSpec:
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SLTInputError(f"unknown base_pretraining keys {unknown}", hint=f"known: {sorted(known)}")
        spec = cls(**d)
        for f in fields(spec):
            v = getattr(spec, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (f.name.endswith(("_lr", "_batch", "vocab_size", "t_max")) and v <= 0):
                raise SLTInputError(f"base_pretraining.{f.name} must be a positive number, got {v!r}")
            if f.name == "vision_t_max" and not isinstance(v, int):
                raise SLTInputError(f"base_pretraining.vision_t_max must be a positive integer (frames), got {v!r}")
        return spec


@dataclass(frozen=True)
class SynthSetup:
    """What :mod:`slt_nb.synth` needs to render signs exactly as in a generated dataset."""

    lang: str
    seed: int
    width: int
    height: int
    fps: float
    n_signers: int
    min_sign_frames: int
    max_sign_frames: int
    zipf_s: float


def setup_from_config(lang: str, seed: int, c: dict) -> SynthSetup:
    """The :class:`SynthSetup` of a corpus generated with language ``lang``, ``seed`` and the resolved
    :class:`~slt_nb.synth.write.SynthConfig` fields ``c`` (as its ``.synth.json`` stamp records them)."""
    return SynthSetup(lang=lang, seed=int(seed), width=int(c["width"]), height=int(c["height"]), fps=float(c["fps"]),
                      n_signers=int(c["n_signers"]), min_sign_frames=int(c["min_sign_frames"]),
                      max_sign_frames=int(c["max_sign_frames"]), zipf_s=float(c["zipf_s"]))


def synth_setup(record: dict) -> SynthSetup | None:
    """The generator settings of a prepared dataset record (notebook 01), from the ``.synth.json``
    stamp beside its files; None for real data."""
    from ..synth.write import STAMP

    if not record.get("synthetic"):
        return None
    stamp = Path(record["root"]) / STAMP
    try:
        s = json.loads(stamp.read_text(encoding="utf-8"))
        return setup_from_config(s["lang"], s["seed"], s["config"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SLTInputError(f"cannot read the synthetic corpus settings ({exc})", file=stamp,
                            hint="re-run 01_data_prep to regenerate the synthetic corpus") from None


# ---- the cache key ---------------------------------------------------------------------------
