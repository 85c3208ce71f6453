"""The tiny models' "base model" stage: a short, cached pretraining that real checkpoints do not need.

A real SmolVLM2 / Qwen2.5-VL checkpoint arrives with a vision encoder that sees and a language
model that writes the language; the paper freezes the former and adapts the latter with LoRA
(Sec 3.4, 4.3). The tiny models of :mod:`slt_nb.standins.tiny` arrive randomly initialised, and
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

Stage 1 never sees a sentence, so it is cached on its own (:mod:`slt_nb.standins.vision_stage`,
``runs/base/vision/``) and shared by every dataset whose signs render alike (same lexicon,
signers, frame size and sign durations): synthetic corpora made with the same generator settings
pay for it once per family and size. Each dataset's base is then the tiny model with the
dataset's own tokenizer, the shared vision weights loaded, and its own stage 2.

The base is a plain checkpoint folder (``save_pretrained``, safetensors, processor beside it),
loaded through :func:`slt_nb.models.load.load_model_and_processor` like a hub checkpoint, plus
``base.json`` (configuration, hash, losses, timings). Written to a temporary folder in
``runs/base/`` and renamed into place: never half-written.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import SLTInputError
from ..io import atomic_dir, file_lock, write_json
from ..models.registry import ModelFamily, get_family
from .base_spec import BaseSpec, SynthSetup, synth_setup  # noqa: F401 (re-exported: defined apart to keep vision_stage free of this module)
from .vision_stage import PRETRAIN_PROMPT, ensure_vision_stage, load_vision_stage, read_vision_info, render_isolated, train_vision  # noqa: F401

BASE_INFO = "base.json"
BASE_VERSION = 2  # bump when the procedure changes: cached bases are rebuilt. 2: stage 1 cached apart (shared across datasets), no run T_max


def texts_fingerprint(texts) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def base_key(family: str | ModelFamily, dataset: str, texts: list[str], vision: str | None, spec: BaseSpec, *, seed: int,
             size: str = "tiny") -> dict:
    """Everything the base depends on (hashed into its folder name): the dataset's training texts, the
    hash of its vision stage (None: none), the sizes and the seed; not the run's frame budget."""
    from .tiny import BUILD_VERSION, TINY_SIZES, tiny_sizes

    fam = get_family(family)
    extra = {} if size == "tiny" else {"size": size, "sizes": tiny_sizes(size)}
    return {**extra, "version": BASE_VERSION, "tiny_build": BUILD_VERSION, "tiny_sizes": TINY_SIZES, "family": fam.name, "dataset": dataset,
            "texts": texts_fingerprint(texts), "vision": vision, "spec": asdict(spec), "seed": int(seed), "chat_template": hashlib.sha256(fam.chat_template.encode()).hexdigest()[:12]}


def key_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]


# ---- the two stages --------------------------------------------------------------------------


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

    from ..train.collate import IGNORE_INDEX, _pad

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


def ensure_base(family: str | ModelFamily, record: dict, *, spec: BaseSpec | dict | None = None, seed: int = 0,
                runs_dir: str | Path = "runs", prompt: str | None = None, force: bool = False, progress: bool = True, size: str = "tiny",
                build: bool = True) -> Path | None:
    """The pretrained tiny base of ``family`` (tiny size ``size``) for the prepared dataset ``record``:
    cached in ``<runs_dir>/base/<family>[-<size>].<dataset>.<hash>/`` (built when missing or when ``force``;
    with ``build=False`` a missing base is None). Its vision stage comes from the shared cache
    (:func:`slt_nb.standins.vision_stage.ensure_vision_stage`; ``force`` does not rebuild it). One base serves
    every frame budget of fine-tuning (stage 1 samples the isolated signs to ``spec.vision_t_max``)."""
    from ..data.prepare import load_split
    from ..paths import resolve
    from .vision_stage import _hash, vision_key

    fam = get_family(family)
    spec = spec if isinstance(spec, BaseSpec) else BaseSpec.from_dict(spec)
    train = load_split(record, "train")
    if not train:
        raise SLTInputError(f"dataset {record['name']!r} has no training split", hint="run 01_data_prep first")
    texts = [s.text for s in train]
    setup = synth_setup(record)
    setup = setup if setup and spec.reps and spec.vision_epochs else None  # None: no vision stage
    vision = _hash(vision_key(fam, setup, spec, seed=seed, size=size)) if setup else None
    key = base_key(fam, record["name"], texts, vision, spec, seed=seed, size=size)
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
        return _build_base(fam, record, out, key, h, texts, setup, spec, seed=seed, prompt=prompt, progress=progress, size=size, runs_dir=runs_dir)


def _cached(out: Path, h: str) -> bool:
    if (out / BASE_INFO).is_file() and (out / "config.json").is_file():
        try:
            return json.loads((out / BASE_INFO).read_text(encoding="utf-8")).get("hash") == h
        except (OSError, json.JSONDecodeError):
            return False
    return False


def _build_base(fam: ModelFamily, record: dict, out: Path, key: dict, h: str, texts: list[str], setup, spec: BaseSpec, *, seed: int,
                prompt: str | None, progress: bool, size: str, runs_dir) -> Path:
    import torch

    from ..models.load import param_counts
    from .tiny import make_tiny
    from ..train.prompts import prompt_for
    from .isolated_signs import lexicon

    prompt = prompt or prompt_for(record["name"], allow_non_paper=True).text
    t0 = time.perf_counter()
    stage, built = ensure_vision_stage(fam, setup, spec, seed=seed, runs_dir=runs_dir, size=size, progress=progress) if setup else (None, False)
    t1 = time.perf_counter()
    vocab = lexicon(setup)[0] if setup else ()
    corpus = texts + [" ".join(g.lower() for g in vocab)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, processor = make_tiny(fam, corpus, seed=seed, vocab_size=spec.vocab_size, size=size)
        if stage is not None:
            load_vision_stage(model, stage, fam)
        t2 = time.perf_counter()
        text_losses = train_text(model, processor, fam, texts, prompt, spec, seed=seed, progress=progress) if spec.text_steps else []
        t3 = time.perf_counter()
    model.eval()
    vinfo = read_vision_info(stage) if stage is not None else {}
    info = {"hash": h, "key": key, "family": fam.name, "size": size, "dataset": record["name"], "params": param_counts(model),
            "stages": {"vision": {"clips": vinfo.get("clips", 0), "lexicon": vinfo.get("lexicon", 0), "epoch_loss": vinfo.get("epoch_loss", []),
                                  "folder": stage.name if stage is not None else None, "built_here": built,
                                  "skipped": None if stage is not None else "no synthetic corpus settings (real data) or reps/epochs 0"},
                       "language": {"sentences": len(texts), "loss_per_50_steps": text_losses}},
            "seconds": {"vision_stage": round(t1 - t0, 1) if built else 0.0, "vision_stage_when_built": vinfo.get("seconds", {}),
                        "language": round(t3 - t2, 1)}}
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        processor.save_pretrained(tmp)
        write_json(tmp / BASE_INFO, info)
    return out


def read_base_info(folder: str | Path) -> dict:
    p = Path(folder) / BASE_INFO
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

