"""Stage 1 of the tiny base model (:mod:`slt_nb.standins.pretrain`), cached on its own and shared by datasets.

The vision stage teaches the tiny vision tower + connector to tell the signs of a synthetic
corpus apart (isolated-sign clips, a temporary linear probe; see :mod:`slt_nb.standins.pretrain`).
What it learns depends only on how the signs *look*: the lexicon (every gloss and the sign the
:class:`~slt_nb.synth.SignBook` gives it), the signers, the frame size and the sign durations
(:func:`render_identity`), plus the model (family, tiny size), the seed and the stage's own sizes
(its frame budget included, not the run's). It never sees a sentence. So it is cached by that key alone in
``<runs_dir>/base/vision/<family>[-<size>].<hash>/`` (``vision.safetensors``: the vision tower's and
the connector's weights; ``vision.json``: key, losses, seconds; the rendered clips in
``<runs_dir>/base/signs/``, :mod:`slt_nb.standins.isolated_signs`) and every dataset whose signs
render alike — e.g. synthetic English corpora made with the same generator settings — reuses it;
each dataset's base then adds its own tokenizer and language stage on top
(:func:`load_vision_stage`).

The stage's model is the tiny model built with a tokenizer trained on the lexicon alone (the
dataset's transcripts are not known here), so the vision weights start from the same random
init whichever dataset asks first: same key, same weights. Written to a temporary folder and
renamed into place under a file lock: never half-written, built once when two processes ask.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SLTInputError
from ..io import atomic_dir, file_lock, write_json
from ..models.registry import ModelFamily, get_family
from .isolated_signs import lexicon, render_identity, render_isolated  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from .base_spec import BaseSpec, SynthSetup

SHIPPED_VISION = Path(__file__).resolve().parent / "shipped" / "vision"  # the stages that ship with the project (slt_nb.standins.shipped)
VISION_INFO = "vision.json"
VISION_WEIGHTS = "vision.safetensors"
VISION_VERSION = 1  # bump when the stage changes: cached vision stages are rebuilt
PRETRAIN_PROMPT = "Which sign is this?"  # the probe never shows the prompt to the LM; kept for the record
SPEC_FIELDS = ("reps", "vision_epochs", "vision_lr", "vision_batch", "vision_t_max", "vocab_size")  # of BaseSpec, what the stage uses


def vision_key(family: str | ModelFamily, setup: SynthSetup, spec: BaseSpec, *, seed: int, size: str = "tiny") -> dict:
    """Everything the vision stage depends on (hashed into its folder name); no dataset name, no text, no run T_max."""
    from .tiny import BUILD_VERSION, tiny_sizes

    fam = get_family(family)
    return {"version": VISION_VERSION, "tiny_build": BUILD_VERSION, "family": fam.name, "size": size, "sizes": tiny_sizes(size),
            "render": render_identity(setup), "spec": {k: getattr(spec, k) for k in SPEC_FIELDS}, "seed": int(seed)}


def _hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]


def vision_prefixes(family: str | ModelFamily) -> tuple[str, ...]:
    """State-dict prefixes of the weights the stage trains: the vision tower and the connector."""
    fam = get_family(family)
    return (fam.vision_tower + ".", fam.connector + ".")


# ---- the stage -------------------------------------------------------------------------------


def _pooled_visual(model, batch: dict, frames_per_sample: list[int]):
    """(B, 2 * hidden): mean and max over each clip's visual tokens, as the language model gets them
    (vision tower + connector). Dispatches on the batch's keys (SmolVLM ``pixel_values`` per frame,
    Qwen2.5-VL ``pixel_values_videos`` per video)."""
    import torch

    inner = model.model
    if "pixel_values_videos" in batch:
        per = list(inner.get_video_features(batch["pixel_values_videos"], batch["video_grid_thw"]))  # [(tokens_i, hidden)]
    else:
        h = inner.get_image_features(batch["pixel_values"], batch.get("pixel_attention_mask"))  # (real frames, tokens, hidden)
        per = [x.reshape(-1, h.shape[-1]) for x in torch.split(h, frames_per_sample)]
    return torch.stack([torch.cat([x.mean(0), x.amax(0)]) for x in per])


def _visual_batch(encs: list[dict]):
    from ..train.collate import _merge_visual

    keys = [k for k in encs[0] if k not in ("input_ids", "attention_mask", "labels")]
    return {k: _merge_visual([e[k] for e in encs]) for k in keys}


def _frames_of(enc: dict) -> int:
    return int(enc["pixel_values"].shape[1]) if "pixel_values" in enc else 0


def train_vision(model, processor, family: ModelFamily, clips, n_classes: int, spec: BaseSpec, *, seed: int, progress: bool = True) -> list[float]:
    """Vision tower + connector name the isolated sign through a linear probe (cross-entropy over the
    lexicon; AdamW at ``spec.vision_lr``, ``spec.vision_batch`` clips a step). Returns the epoch losses."""
    import torch

    from ..progress import tqdm
    from ..train.collate import VideoCollator, make_example

    col = VideoCollator(processor, family, train=False, t_max=max(len(c[0]) for c in clips))
    encs = []
    for i, (frames, idx, total, _k) in enumerate(tqdm(clips, desc="base: encode signs", unit="clip", disable=not progress)):
        e = col.encode(make_example(frames, PRETRAIN_PROMPT, fps=25.0, frames_indices=idx, total_frames=total, id=f"sign{i}"))
        encs.append({k: v for k, v in e.items() if k not in ("input_ids", "attention_mask")})
    labels = torch.tensor([c[3] for c in clips])
    hidden = model.config.get_text_config().hidden_size
    probe = torch.nn.Linear(2 * hidden, n_classes)
    params = [p for p in model.model.parameters() if p.requires_grad] + list(probe.parameters())
    opt = torch.optim.AdamW(params, lr=spec.vision_lr, weight_decay=0.0)
    rng = random.Random(seed)
    order = list(range(len(encs)))
    losses = []
    model.train()
    steps = spec.vision_epochs * math.ceil(len(order) / spec.vision_batch)
    with tqdm(total=steps, desc="base: vision", unit="step", disable=not progress) as bar:
        for _ in range(spec.vision_epochs):
            rng.shuffle(order)
            run = []
            for s in range(0, len(order), spec.vision_batch):
                ix = order[s : s + spec.vision_batch]
                sel = [encs[i] for i in ix]
                feats = _pooled_visual(model, _visual_batch(sel), [_frames_of(e) for e in sel])
                loss = torch.nn.functional.cross_entropy(probe(feats), labels[ix])
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                run.append(loss.item())
                bar.update()
            losses.append(float(np.mean(run)))
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    return losses


# ---- the cache -------------------------------------------------------------------------------


def shipped_stage(name: str, h: str, root: Path | None = None) -> Path | None:
    """The shipped vision stage folder ``name`` (``<family>[-<size>].<hash>``) if it holds a stage of key hash ``h``, else None."""
    folder = (root or SHIPPED_VISION) / name
    try:
        ok = (folder / VISION_WEIGHTS).is_file() and json.loads((folder / VISION_INFO).read_text(encoding="utf-8")).get("hash") == h
    except (OSError, json.JSONDecodeError):
        return None
    return folder if ok else None


def copy_stage(src: Path, out: Path) -> None:
    """Copy a stage folder into place atomically (never a half-copied stage)."""
    with atomic_dir(out) as tmp:
        for f in sorted(src.iterdir()):
            if f.is_file():
                shutil.copy2(f, tmp / f.name)


def ensure_vision_stage(family: str | ModelFamily, setup: SynthSetup, spec: BaseSpec, *, seed: int = 0, runs_dir: str | Path = "runs",
                        size: str = "tiny", progress: bool = True, shipped: bool = True) -> tuple[Path, bool]:
    """(folder, built now) of the vision stage of ``family`` (tiny ``size``) for the signs of ``setup``:
    cached in ``<runs_dir>/base/vision/<family>[-<size>].<hash>/``; when missing, copied from the stages
    that ship with the project if one has the same key (``shipped``; :mod:`slt_nb.standins.shipped`), else
    built. Two processes asking at once: one builds, the other waits on its lock and reuses it."""
    from ..paths import resolve

    fam = get_family(family)
    key = vision_key(fam, setup, spec, seed=seed, size=size)
    h = _hash(key)
    root = resolve(runs_dir) / "base" / "vision"
    out = root / f"{fam.name}{'' if size == 'tiny' else '-' + size}.{h}"
    if _cached(out, h):
        return out, False
    with file_lock(resolve(runs_dir) / ".locks" / f"vision.{out.name}.lock"):
        if _cached(out, h):
            return out, False
        if shipped:
            src = shipped_stage(out.name, h)
            if src is not None:
                copy_stage(src, out)
                return out, False
        _build(fam, setup, spec, out, key, h, seed=seed, size=size, progress=progress, signs_dir=resolve(runs_dir) / "base" / "signs")
    return out, True


def _cached(out: Path, h: str) -> bool:
    try:
        return (out / VISION_WEIGHTS).is_file() and json.loads((out / VISION_INFO).read_text(encoding="utf-8")).get("hash") == h
    except (OSError, json.JSONDecodeError):
        return False


def _build(fam: ModelFamily, setup: SynthSetup, spec: BaseSpec, out: Path, key: dict, h: str, *, seed: int, size: str, progress: bool,
           signs_dir: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from .tiny import make_tiny

    t0 = time.perf_counter()
    vocab, clips = render_isolated(setup, spec.reps, spec.vision_t_max, str(signs_dir))  # rendered once per lexicon, then read back
    t1 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, processor = make_tiny(fam, [" ".join(g.lower() for g in vocab)], seed=seed, vocab_size=spec.vocab_size, size=size)
        losses = train_vision(model, processor, fam, clips, len(vocab), spec, seed=seed, progress=progress)
    t2 = time.perf_counter()
    prefixes = vision_prefixes(fam)
    weights = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items() if k.startswith(prefixes)}
    info = {"hash": h, "key": key, "family": fam.name, "size": size, "clips": len(clips), "lexicon": len(vocab), "epoch_loss": losses,
            "tensors": len(weights), "seconds": {"render": round(t1 - t0, 1), "vision": round(t2 - t1, 1)}}
    with atomic_dir(out) as tmp:
        save_file(weights, str(tmp / VISION_WEIGHTS))
        write_json(tmp / VISION_INFO, info)


def read_vision_info(folder: str | Path) -> dict:
    p = Path(folder) / VISION_INFO
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def load_vision_stage(model, folder: str | Path, family: str | ModelFamily) -> None:
    """Copy the stage's vision tower + connector weights into ``model`` (a fresh tiny model of the same
    family and size). Every vision/connector weight of the model must come from the file, shape for
    shape; anything else is an :class:`SLTInputError` naming the file (never a half-pretrained model)."""
    from safetensors.torch import load_file

    path = Path(folder) / VISION_WEIGHTS
    weights = load_file(str(path))
    prefixes = vision_prefixes(family)
    own = {k: v for k, v in model.state_dict().items() if k.startswith(prefixes)}
    missing, extra = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
    wrong = [k for k in own if k in weights and tuple(own[k].shape) != tuple(weights[k].shape)]
    if missing or extra or wrong:
        raise SLTInputError(f"the vision stage does not fit the model (missing {missing[:2]}, unexpected {extra[:2]}, shapes differ {wrong[:2]})",
                            file=path, hint="delete the folder: it is rebuilt on the next run")
    model.load_state_dict(weights, strict=False)
