"""Stage 3 -- visual language tuning (Sec 3.3), then the short full-tuning, and greedy decoding.

Input to the LLM: the chat template's tokens up to the video placeholder, the connector's
outputs (one per visual token), the rest of the template up to the assistant turn, then the
translation and the end-of-turn token. The cross-entropy is applied to the response only.

Phase A trains the connector alone (LLM and visual encoder frozen; AdamW wd 1e-3, lr 1e-3,
one-cycle cosine). Phase B ("further full-tuning", lr 1e-5) unfreezes ``full_tune_parts``:
``connector``, ``llm``, ``temporal`` (the word/sentence transformers) and, on real runs,
``backbone`` (its LoRA). With the backbone frozen and no augmentation of the training frames its
features are computed once; otherwise clips are streamed and encoded per batch on the device.
With ``patience``, phase A decodes the dev split after every epoch and keeps the connector of the
best dev BLEU, stopping after ``patience`` epochs without improvement ("trained ... until their
validation performance stops improving", Sec 3.3; ``train.epochs`` is then the most it trains).
Phase B (length not stated) keeps its fixed epochs.

Stage folder: ``connector.safetensors`` (phase A), ``full_tune.safetensors`` (phase B: connector,
encoder, LLM states), ``done.json``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import SLTInputError
from .batches import train_loader
from .config import Stage3Config, config_hash, to_dict
from .connector import build_connector
from .data import ClipSet
from .encoder import HierarchicalEncoder
from .frames import FrameSpec
from .llm import end_of_turn_id
from .prompts import chat_pieces, system_prompt
from .stage2 import backbone_features
from .stage_dirs import load_modules, run_stage, save_modules
from .train import fit

FEATURES = {"word": lambda o: (o.words, o.word_lengths), "sentence": lambda o: (o.sentence_tokens, o.word_lengths)}


class VLTModel(nn.Module):
    def __init__(self, encoder: HierarchicalEncoder, llm, connector: nn.Module, features: str, prefix, suffix) -> None:
        super().__init__()
        if features not in FEATURES:
            raise SLTInputError(f"unknown visual features {features!r}", hint=f"choose from {sorted(FEATURES)}")
        self.encoder, self.llm, self.connector, self.features = encoder, llm, connector, features
        self.register_buffer("prefix", torch.tensor(prefix, dtype=torch.long), persistent=False)
        self.register_buffer("suffix", torch.tensor(suffix, dtype=torch.long), persistent=False)

    def visual_tokens(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, W, H) connector outputs and (B,) counts."""
        enc = self.encoder
        out = enc.temporal(batch["feats"], batch["lengths"]) if "feats" in batch else enc(batch["frames"], batch["lengths"])
        x, n = FEATURES[self.features](out)
        return self.connector(x), n

    def inputs(self, batch: dict, answers: list[list[int]] | None, *, left: bool = False):
        """inputs_embeds, attention_mask, labels (None without answers); right-padded, left for generation."""
        emb = self.llm.get_input_embeddings()
        vis, n = self.visual_tokens(batch)
        pre, suf = emb(self.prefix), emb(self.suffix)
        seqs, labs = [], []
        for b in range(vis.shape[0]):
            parts = [pre, vis[b, : int(n[b])].to(pre.dtype), suf]
            lab = [-100] * (len(self.prefix) + int(n[b]) + len(self.suffix))
            if answers is not None:
                a = torch.tensor(answers[b], dtype=torch.long, device=pre.device)
                parts.append(emb(a))
                lab += answers[b]
            seqs.append(torch.cat(parts))
            labs.append(lab)
        L, H = max(len(s) for s in seqs), seqs[0].shape[1]
        x = pre.new_zeros(len(seqs), L, H)
        mask = torch.zeros(len(seqs), L, dtype=torch.long, device=pre.device)
        labels = torch.full((len(seqs), L), -100, dtype=torch.long, device=pre.device)
        for i, (s, lab) in enumerate(zip(seqs, labs)):
            sl = slice(L - len(s), L) if left else slice(0, len(s))
            x[i, sl], mask[i, sl], labels[i, sl] = s, 1, torch.tensor(lab, device=pre.device)
        return x, mask, (labels if answers is not None else None)

    def forward(self, batch: dict) -> dict:
        x, mask, labels = self.inputs(batch, batch["answers"])
        return {"loss": self.llm(inputs_embeds=x, attention_mask=mask, labels=labels).loss}


def answer_ids(tok, texts: list[str]) -> list[list[int]]:
    eot = end_of_turn_id(tok)
    return [tok(t.strip(), add_special_tokens=False)["input_ids"] + [eot] for t in texts]


def _collate(data: dict, answers=None, clips: ClipSet | None = None, spec: FrameSpec | None = None, seed: int = 0):
    """Batches of precomputed ``data["feats"]`` or, with ``clips``, of frames prepared for training by ``spec``."""
    def collate(idx):
        idx_t = torch.tensor(idx)
        n = int(data["lengths"][idx_t].max())
        b = {k: v[idx_t, :n] for k, v in data.items() if k == "feats"}
        if clips is not None:
            b["frames"] = clips.batch(idx, spec, train=True, epoch=getattr(idx, "epoch", 0), seed=seed)
        b["lengths"] = data["lengths"][idx_t]
        if answers is not None:
            b["answers"] = [answers[i] for i in idx_t.tolist()]
        return b

    return collate


def _answer_tokens(batch) -> int:
    """Target tokens of a batch (its micro-batch weight: the loss is their mean)."""
    return sum(len(a) for a in batch["answers"])


def _adapted(module: nn.Module) -> list:
    """The LoRA parameters of a PEFT-wrapped module ("LoRA if used", Sec 3.3), else all its parameters."""
    lora = [p for n, p in module.named_parameters() if "lora_" in n]
    return lora or list(module.parameters())


def _trainable(model: VLTModel, parts) -> list:
    groups = {"connector": list(model.connector.parameters()), "llm": _adapted(model.llm), "temporal": model.encoder.temporal_parameters(),
              "backbone": _adapted(model.encoder.backbone)}
    unknown = set(parts) - set(groups)
    if unknown:
        raise SLTInputError(f"unknown full-tune parts {sorted(unknown)}", hint=f"choose from {sorted(groups)}")
    model.requires_grad_(False)
    params = [p for name in parts for p in groups[name]]
    for p in params:
        p.requires_grad_(True)
    return params


def build_model(encoder, llm, tok, dataset: str, cfg: Stage3Config, *, seed: int = 0) -> VLTModel:
    """The tuning model: frozen encoder and LLM, a fresh connector initialised from ``seed``."""
    prefix, suffix = chat_pieces(tok, system_prompt(dataset, cfg.prompting))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        connector = build_connector(cfg.connector, encoder.cfg.dim, llm.config.hidden_size)
    encoder.requires_grad_(False)
    llm.requires_grad_(False)
    return VLTModel(encoder, llm, connector, cfg.features, prefix, suffix)


def stage3_key(cfg: Stage3Config, dataset: str, seed: int, stage1_key: str, stage2_key: str) -> str:
    return config_hash("stage3", cfg, dataset, seed, stage1_key, stage2_key)


def run_stage3(model: VLTModel, tok, train: ClipSet, cfg: Stage3Config, out_dir: str | Path, key: str, *, seed: int = 0, force: bool = False,
               precision: str = "auto", dev: ClipSet | None = None, memory_budget_gb: float | None = None, log=print) -> dict:
    """Phase A (connector) then phase B (full-tuning) on ``train``; leaves ``model`` holding the final weights.
    ``precision``: :mod:`slt_nb.train.device` (``auto``: bf16-mixed on CUDA -- what trains in fp32, the
    frozen LLM in its load dtype, compute in bf16 -- and fp32 on CPU). Runs where ``model`` is; each phase
    prints its memory estimate first (checked against ``memory_budget_gb``; None: the GPU's memory).
    ``dev``: the clips of the early stopping (``cfg.patience``)."""
    from . import estimates
    from .device import device_label, memory_budget
    from .train import resolve_precision

    answers = answer_ids(tok, train.texts)
    spec = FrameSpec.of(model.encoder.cfg)
    device = model.prefix.device
    prec = resolve_precision(precision).name
    seq_len = len(model.prefix) + len(model.suffix) + -(-train.frames.shape[1] // model.encoder.cfg.downsample) + max(map(len, answers))
    if cfg.patience is not None and (dev is None or not len(dev)):
        raise SLTInputError("stage 3 early stopping (patience) needs the dev split", hint="keep 'dev' in llava_eval_splits")

    def loader_for(parts, tc, seed_, phase: str):
        per_batch = "backbone" in parts or spec.random()
        model.encoder.chunk = tc.backbone_chunk
        label = {"train": "stage 3a (connector)", "full_tune": "stage 3b (full-tuning)"}[phase]
        estimates.guard(lambda m, ck: estimates.stage3(model, estimates.runtime(tc, m, ck), parts, train.frames.shape[1], seq_len, prec,
                                                        backbone=("trains" if "backbone" in parts else "frozen") if per_batch else "cached", label=label),
                        tc, memory_budget(device, memory_budget_gb), key=f"llava_stage3.{phase}", where=device_label(device), log=log,
                        hint=f"set llava_stage3.{phase}.micro_batch_size (a divisor of batch_size) and gradient_checkpointing: true "
                             f"(and backbone_chunk, frames per backbone forward, when the backbone runs per batch); full-tuning an 8B LLM: "
                             f"llava_precision: bf16-pure, LoRA (llava_llm.lora) or no 'llm' in full_tune_parts")
        data = {"lengths": train.lengths}
        if not per_batch:
            data["feats"] = backbone_features(model.encoder, train, precision=prec)
        return train_loader(len(train), tc, _collate(data, answers, train if per_batch else None, spec, seed_), seed=seed_, workers=train.workers)

    def work(tmp: Path) -> dict:
        torch.manual_seed(seed)
        params = _trainable(model, ["connector"])
        loader = loader_for(("connector",), cfg.train, seed, "train")
        stop = _EarlyStopping(model, tok, dev, cfg, prec) if cfg.patience is not None else None
        logs = fit(model, params, loader, cfg.train, lambda m, b: m(b), label="stage3", precision=precision, weight=_answer_tokens,
                   checkpointing=[model.llm], on_epoch=stop, device=device)
        if stop is not None:
            stop.restore()
        save_modules(tmp / "connector.safetensors", connector=model.connector)
        if cfg.full_tune is not None and cfg.full_tune.epochs > 0:
            params = _trainable(model, cfg.full_tune_parts)
            loader = loader_for(tuple(cfg.full_tune_parts), cfg.full_tune, seed + 1, "full_tune")
            logs += fit(model, params, loader, cfg.full_tune, lambda m, b: m(b), label="full_tune", precision=precision, weight=_answer_tokens,
                        checkpointing=[model.llm], device=device)
            save_modules(tmp / "full_tune.safetensors", connector=model.connector, encoder=model.encoder, llm=model.llm)
        model.requires_grad_(False)
        return {"history": logs, "config": to_dict(cfg), "n_connector": sum(p.numel() for p in model.connector.parameters()),
                **(stop.summary() if stop is not None else {})}

    done = run_stage(out_dir, key, work, force=force, precision=precision)
    if done["skipped"]:
        load_weights(model, out_dir, full_tune=True)
    return done


class _EarlyStopping:
    """``on_epoch`` of phase A: dev BLEU after every epoch; the best connector is kept; True after ``patience`` epochs without a better one."""

    def __init__(self, model: VLTModel, tok, dev: ClipSet, cfg: Stage3Config, precision: str) -> None:
        self.model, self.tok, self.dev, self.cfg = model, tok, dev, cfg
        self.feats = backbone_features(model.encoder, dev, precision=precision)  # the encoder is frozen in phase A
        self.bleu: list[float] = []
        self.best_epoch, self.best_state = 0, None

    def __call__(self, epoch: int) -> bool:
        from .report import prediction_rows, score

        preds = translate(self.model, self.tok, self.dev, max_new_tokens=self.cfg.max_new_tokens, feats=self.feats)
        self.model.train()
        self.bleu.append(score(prediction_rows(self.dev, preds, model="stage3", params_hash=None), self.dev.dataset)["BLEU-4"])
        if self.best_state is None or self.bleu[-1] > self.bleu[self.best_epoch - 1]:
            self.best_epoch = epoch
            self.best_state = {k: v.detach().cpu().clone() for k, v in self.model.connector.state_dict().items()}
        return epoch - self.best_epoch >= self.cfg.patience

    def restore(self) -> None:
        self.model.connector.load_state_dict(self.best_state)

    def summary(self) -> dict:
        return {"dev_bleu": self.bleu, "best_epoch": self.best_epoch, "epochs_trained": len(self.bleu)}


def load_weights(model: VLTModel, stage_dir: str | Path, *, full_tune: bool) -> VLTModel:
    """Load phase A (connector only) or, when present and asked for, phase B weights into ``model``."""
    ft = Path(stage_dir) / "full_tune.safetensors"
    if full_tune and ft.is_file():
        load_modules(ft, connector=model.connector, encoder=model.encoder, llm=model.llm)
    else:
        load_modules(Path(stage_dir) / "connector.safetensors", connector=model.connector)
    return model.eval()


@torch.no_grad()
def translate(model: VLTModel, tok, clips: ClipSet, *, max_new_tokens: int = 40, batch_size: int = 64, permute: torch.Tensor | None = None,
              feats: torch.Tensor | None = None, precision: str = "fp32") -> list[str]:
    """Greedy decoding of every clip (left-padded batches, stops at the end-of-turn token), where ``model`` is.

    ``permute``: clip i is decoded from the video of clip ``permute[i]`` -- the shuffled-video
    control that shows how much of a score comes from the video and how much from the LLM's prior.
    ``feats``: the clips' backbone features when already computed (:func:`stage2.backbone_features`, in ``precision``).
    """
    model.eval()
    feats, lengths = (backbone_features(model.encoder, clips, precision=precision) if feats is None else feats), clips.lengths
    if permute is not None:
        feats, lengths = feats[permute], lengths[permute]
    data = {"feats": feats, "lengths": lengths}
    collate = _collate(data)
    from transformers import GenerationConfig

    eot = end_of_turn_id(tok)
    # Greedy from a fresh config: a checkpoint's own sampling defaults (Qwen2.5-Instruct: repetition_penalty 1.05,
    # temperature, top_p) never apply, as in slt_nb.train.generate.greedy_config.
    greedy = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, use_cache=True, eos_token_id=eot,
                              pad_token_id=tok.pad_token_id, repetition_penalty=1.0)
    out: list[str] = []
    dev = model.prefix.device
    for i in range(0, len(clips), batch_size):
        b = {k: v.to(dev) for k, v in collate(list(range(i, min(len(clips), i + batch_size)))).items()}
        x, mask, _ = model.inputs(b, None, left=True)
        gen = model.llm.generate(inputs_embeds=x, attention_mask=mask, generation_config=greedy, use_model_defaults=False)
        out += [t.strip() for t in tok.batch_decode(gen, skip_special_tokens=True)]
    return out
