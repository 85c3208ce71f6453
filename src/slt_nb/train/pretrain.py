"""The tiny models' "base model" stage: a short, cached pretraining that real checkpoints do not need.

A real SmolVLM2 / Qwen2.5-VL checkpoint arrives with a vision encoder that sees and a language
model that writes the language; the paper freezes the former and adapts the latter with LoRA
(Sec 3.4, 4.3). The tiny models of :mod:`slt_nb.models.tiny` arrive randomly initialised, and
the paper's recipe on top of a random frozen encoder and a random language model learns little
(measured on the synthetic PHOENIX: the fine-tuned model answers every clip with the same
sentence). So, for ``model: tiny`` only, a base model is made first, in two stages that mirror
how real VLMs are built, and cached by configuration hash in ``runs/base/<hash>/``:

1. **Vision** (SigLIP-style encoder pretraining): isolated-sign clips are rendered with
   :mod:`slt_nb.synth` — every gloss of the dataset's sign lexicon, ``reps`` times, signed by
   the dataset's own signers (as real PHOENIX-2014T shares its 9 signers across splits) — and
   the vision tower + connector are trained to name the sign through a temporary linear probe
   on the pooled visual tokens (cross-entropy over the lexicon; the probe is discarded). No
   dataset clip and no sentence is used: the isolated signs are new renderings.
2. **Language**: the language model (embeddings, layers, head) learns the spoken language from
   the *training* transcripts, text only (a real LM has read the language; no dev/test text).

Fine-tuning then follows the paper on top: vision frozen, connector + LoRA on the LM. Stage 1
needs the synthetic corpus's generator settings (``.synth.json`` beside the dataset); a dataset
without them (real data on a tiny model) gets stage 2 only.

The base is a plain checkpoint folder (``save_pretrained``, safetensors, processor beside it),
loaded through :func:`slt_nb.models.load.load_model_and_processor` like a hub checkpoint, plus
``base.json`` (configuration, hash, losses, timings). Written to a temporary folder in
``runs/base/`` and renamed into place: never half-written.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import SLTInputError
from ..io import atomic_dir, file_lock, write_json
from ..models.registry import ModelFamily, get_family

BASE_INFO = "base.json"
BASE_VERSION = 1  # bump when the procedure changes: cached bases are rebuilt
PRETRAIN_PROMPT = "Which sign is this?"  # stage 1 is a probe, the prompt is never seen by the LM; kept for the record


@dataclass(frozen=True)
class BaseSpec:
    """Sizes of the base-model stage (embedded default only; none of it is in the paper)."""

    reps: int = 8  # isolated clips rendered per gloss of the lexicon (signers cycled)
    vision_epochs: int = 8  # passes over the isolated clips (stage 1)
    vision_lr: float = 3e-3  # AdamW, constant (stage 1)
    vision_batch: int = 16  # clips per step (stage 1)
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
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (f.name.endswith(("_lr", "_batch", "vocab_size")) and v <= 0):
                raise SLTInputError(f"base_pretraining.{f.name} must be a positive number, got {v!r}")
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


def synth_setup(record: dict) -> SynthSetup | None:
    """The generator settings of a prepared dataset record (notebook 01), from the ``.synth.json``
    stamp beside its files; None for real data."""
    from ..synth.write import STAMP

    if not record.get("synthetic"):
        return None
    stamp = Path(record["root"]) / STAMP
    try:
        s = json.loads(stamp.read_text(encoding="utf-8"))
        c = s["config"]
        return SynthSetup(lang=s["lang"], seed=int(s["seed"]), width=int(c["width"]), height=int(c["height"]), fps=float(c["fps"]),
                          n_signers=int(c["n_signers"]), min_sign_frames=int(c["min_sign_frames"]),
                          max_sign_frames=int(c["max_sign_frames"]), zipf_s=float(c["zipf_s"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SLTInputError(f"cannot read the synthetic corpus settings ({exc})", file=stamp,
                            hint="re-run 01_data_prep to regenerate the synthetic corpus") from None


def _lexicon(setup: SynthSetup):
    from ..synth import Grammar, SignBook

    vocab = Grammar(setup.lang, setup.zipf_s).vocabulary()
    return vocab, SignBook(vocab, (setup.min_sign_frames, setup.max_sign_frames))  # as synth.write builds it


@lru_cache(maxsize=1)
def render_isolated(setup: SynthSetup, reps: int, t_max: int) -> tuple[tuple[str, ...], tuple]:
    """(lexicon, clips): ``reps`` renderings of every gloss, each clip ``(frames (T<=t_max, H, W, 3)
    uint8, sampled indices, total frames, gloss index)``. Cached (one setup) so both families share it."""
    from ..data.frames import sample_indices
    from ..synth import make_signers, render_clip

    vocab, book = _lexicon(setup)
    signers = make_signers(setup.n_signers, np.random.default_rng([setup.seed, 2]))  # synth.write's signer stream
    clips = []
    for i in range(reps * len(vocab)):
        k, r = i % len(vocab), i // len(vocab)
        frames = render_clip([vocab[k]], signers[r % len(signers)], np.random.default_rng([setup.seed, 100, i]), setup.width, setup.height, book)
        idx = sample_indices(len(frames), t_max)
        clips.append((frames[idx], tuple(idx), len(frames), k))
    return tuple(vocab), tuple(clips)


# ---- the cache key ---------------------------------------------------------------------------


def texts_fingerprint(texts) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def base_key(family: str | ModelFamily, dataset: str, texts: list[str], setup: SynthSetup | None, spec: BaseSpec, *, t_max: int, seed: int,
             size: str = "tiny") -> dict:
    """Everything the base depends on (hashed into its folder name). The default size adds no key,
    so bases cached before the sizes existed stay valid."""
    from ..models.tiny import BUILD_VERSION, TINY_SIZES, tiny_sizes

    fam = get_family(family)
    extra = {} if size == "tiny" else {"size": size, "sizes": tiny_sizes(size)}
    return {**extra, "version": BASE_VERSION, "tiny_build": BUILD_VERSION, "tiny_sizes": TINY_SIZES, "family": fam.name, "dataset": dataset,
            "texts": texts_fingerprint(texts), "synth": asdict(setup) if setup else None, "spec": asdict(spec), "t_max": int(t_max),
            "seed": int(seed), "chat_template": hashlib.sha256(fam.chat_template.encode()).hexdigest()[:12]}


def key_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]


# ---- the two stages --------------------------------------------------------------------------


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
    from .collate import _merge_visual

    keys = [k for k in encs[0] if k not in ("input_ids", "attention_mask", "labels")]
    batch = {}
    for k in keys:
        batch[k] = _merge_visual([e[k] for e in encs])
    return batch


def _frames_of(enc: dict) -> int:
    return int(enc["pixel_values"].shape[1]) if "pixel_values" in enc else 0


def train_vision(model, processor, family: ModelFamily, clips, n_classes: int, spec: BaseSpec, *, seed: int, progress: bool = True) -> list[float]:
    """Stage 1: vision tower + connector name the isolated sign through a linear probe. Returns the epoch losses."""
    import torch
    from ..progress import tqdm

    from .collate import VideoCollator, make_example

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


def text_examples(processor, family: ModelFamily, texts: list[str], prompt: str) -> list[list[int]]:
    """Token ids of text-only conversations (prompt -> transcript), rendered with the family's template."""
    tok = processor.tokenizer
    out = []
    for t in texts:
        msgs = [{"role": "user", "content": [{"type": "text", "text": prompt}]}, {"role": "assistant", "content": [{"type": "text", "text": t}]}]
        text = processor.apply_chat_template(msgs, chat_template=family.chat_template, tokenize=False)
        out.append(tok(text, add_special_tokens=False)["input_ids"])
    return out


def train_text(model, processor, family: ModelFamily, texts: list[str], prompt: str, spec: BaseSpec, *, seed: int, progress: bool = True) -> list[float]:
    """Stage 2: language modelling on the training transcripts (every token a label). Returns the
    mean loss per 50 steps."""
    import torch
    from ..progress import tqdm

    from .collate import IGNORE_INDEX, _pad

    seqs = [torch.tensor(s) for s in text_examples(processor, family, texts, prompt)]
    pad = processor.tokenizer.pad_token_id
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=spec.text_lr, weight_decay=0.0)
    rng = random.Random(seed + 1)
    losses, run = [], []
    model.train()
    for step in tqdm(range(spec.text_steps), desc="base: language", unit="step", disable=not progress):
        sel = [seqs[i] for i in rng.sample(range(len(seqs)), min(spec.text_batch, len(seqs)))]
        ids = _pad(sel, pad, "right")
        mask = _pad([torch.ones_like(s) for s in sel], 0, "right")
        labels = ids.masked_fill(mask == 0, IGNORE_INDEX)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        run.append(loss.item())
        if (step + 1) % 50 == 0 or step + 1 == spec.text_steps:
            losses.append(float(np.mean(run)))
            run = []
    return losses


# ---- the cached base -------------------------------------------------------------------------


def ensure_base(family: str | ModelFamily, record: dict, *, t_max: int, spec: BaseSpec | dict | None = None, seed: int = 0,
                runs_dir: str | Path = "runs", prompt: str | None = None, force: bool = False, progress: bool = True, size: str = "tiny",
                build: bool = True) -> Path | None:
    """The pretrained tiny base of ``family`` (tiny size ``size``) for the prepared dataset ``record``:
    cached in ``<runs_dir>/base/<family>[-<size>].<dataset>.<hash>/`` (built when missing or when ``force``;
    with ``build=False`` a missing base is None)."""
    from ..data.prepare import load_split
    from ..paths import resolve

    fam = get_family(family)
    spec = spec if isinstance(spec, BaseSpec) else BaseSpec.from_dict(spec)
    train = load_split(record, "train")
    if not train:
        raise SLTInputError(f"dataset {record['name']!r} has no training split", hint="run 01_data_prep first")
    texts = [s.text for s in train]
    setup = synth_setup(record)
    key = base_key(fam, record["name"], texts, setup, spec, t_max=t_max, seed=seed, size=size)
    h = key_hash(key)
    root = resolve(runs_dir) / "base"
    out = root / f"{fam.name}{'' if size == 'tiny' else '-' + size}.{record['name']}.{h}"
    if not force and _cached(out, h):
        return out
    if not build:
        return None
    with file_lock(root.parent / ".locks" / f"base.{out.name}.lock"):  # another process may be building this base right now
        if not force and _cached(out, h):
            return out
        return _build_base(fam, record, out, key, h, texts, setup, spec, t_max=t_max, seed=seed, prompt=prompt, progress=progress, size=size)


def _cached(out: Path, h: str) -> bool:
    if (out / BASE_INFO).is_file() and (out / "config.json").is_file():
        try:
            return json.loads((out / BASE_INFO).read_text(encoding="utf-8")).get("hash") == h
        except (OSError, json.JSONDecodeError):
            return False
    return False


def _build_base(fam: ModelFamily, record: dict, out: Path, key: dict, h: str, texts: list[str], setup, spec: BaseSpec, *, t_max: int, seed: int,
                prompt: str | None, progress: bool, size: str) -> Path:
    import torch

    from ..models.tiny import make_tiny, param_counts
    from .prompts import prompt_for

    prompt = prompt or prompt_for(record["name"], allow_non_paper=True).text
    t0 = time.perf_counter()
    vocab, clips = render_isolated(setup, spec.reps, t_max) if setup and spec.reps and spec.vision_epochs else ((), ())
    t_render = time.perf_counter() - t0
    corpus = texts + [" ".join(g.lower() for g in vocab)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, processor = make_tiny(fam, corpus, seed=seed, vocab_size=spec.vocab_size, size=size)
        t1 = time.perf_counter()
        vision_losses = train_vision(model, processor, fam, clips, len(vocab), spec, seed=seed, progress=progress) if clips else []
        t2 = time.perf_counter()
        text_losses = train_text(model, processor, fam, texts, prompt, spec, seed=seed, progress=progress) if spec.text_steps else []
        t3 = time.perf_counter()
    model.eval()
    info = {"hash": h, "key": key, "family": fam.name, "size": size, "dataset": record["name"], "params": param_counts(model),
            "stages": {"vision": {"clips": len(clips), "lexicon": len(vocab), "epoch_loss": vision_losses,
                                  "skipped": None if clips else "no synthetic corpus settings (real data) or reps/epochs 0"},
                       "language": {"sentences": len(texts), "loss_per_50_steps": text_losses}},
            "seconds": {"render": round(t_render, 1), "vision": round(t2 - t1, 1), "language": round(t3 - t2, 1)}}
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        processor.save_pretrained(tmp)
        write_json(tmp / BASE_INFO, info)
    return out


def read_base_info(folder: str | Path) -> dict:
    p = Path(folder) / BASE_INFO
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

