"""Stage 2 -- visual contrastive pretraining (Sec 3.2): L = L_CLIP + lambda * L_SignCL (Eq. 2).

The hierarchical encoder's sentence vector is aligned with the frozen text encoder's sentence
embedding (through a trainable linear projection and CLIP's learnable temperature); SignCL
regularises the word-level sequence at frame rate. The stage folder holds ``encoder.safetensors``
(encoder + CLIP head), ``encoder_config.json`` and ``done.json`` (key, per-step losses, dev
retrieval accuracy).

``backbone_from`` (the default's budget option): reuse, frozen, the frame backbone of another
stage-2 variant; backbone features are then computed once and only the temporal parts train --
unless the encoder augments its training frames (``augment``), then they are computed per batch.

Everything runs on the stage's device (:func:`device.resolve_device`): the text encoder (freed
before training), the training loop (clips streamed per batch when the split is not in memory),
the features and the retrieval check.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from ..errors import SLTInputError
from .batches import index_loader, train_loader
from .config import EncoderConfig, Stage2Config, config_hash, to_dict
from .data import ClipSet
from .encoder import HierarchicalEncoder
from .frames import FrameSpec
from .losses import CLIP_INIT_SCALE, CLIP_MAX_SCALE, clip_loss, dynamic_margin, signcl_loss
from .stage_dirs import load_modules, run_stage, save_modules
from .text_encoder import build_text_encoder
from .train import fit

WEIGHTS, ENC_CONFIG = "encoder.safetensors", "encoder_config.json"


class ClipHead(nn.Module):
    def __init__(self, text_dim: int, coembed_dim: int) -> None:
        super().__init__()
        self.text_proj = nn.Linear(text_dim, coembed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(CLIP_INIT_SCALE))


class ContrastiveModel(nn.Module):
    def __init__(self, encoder: HierarchicalEncoder, head: ClipHead, cfg: Stage2Config, seed: int = 0) -> None:
        super().__init__()
        self.encoder, self.head, self.cfg = encoder, head, cfg
        self.gen = torch.Generator().manual_seed(seed)

    def forward(self, batch: dict) -> dict:
        enc = self.encoder
        out = enc.temporal(batch["feats"], batch["lengths"]) if "feats" in batch else enc(batch["frames"], batch["lengths"])
        scale = self.head.logit_scale.clamp(max=CLIP_MAX_SCALE).exp()
        l_clip = clip_loss(out.sentence, self.head.text_proj(batch["text"]), scale, batch["text_ids"])
        sc = self.cfg.signcl
        seq, lens = (out.word_frames, batch["lengths"]) if sc.on == "word_frames" else (out.words, out.word_lengths)
        margin = dynamic_margin(seq.shape[1], int(batch["text_len"].max())) if sc.margin == "dynamic" else sc.margin
        l_signcl = signcl_loss(seq, lens, max_distance=sc.max_distance, margin=margin, n_pos=sc.n_pos, n_neg=sc.n_neg, generator=self.gen,
                               scale=sc.scale)
        return {"loss": l_clip + sc.weight * l_signcl, "clip": l_clip, "signcl": l_signcl}


@torch.no_grad()
def backbone_features(encoder: HierarchicalEncoder, clips: ClipSet, chunk: int = 32, *, precision: str = "fp32") -> torch.Tensor:
    """Frame-level [cls] features (N, t_max, C) of every clip (float32, on the CPU; zero after each clip's length).

    Test-time preprocessing (central crop, no augmentation) for the encoder's input size; ``chunk`` clips per batch,
    streamed by a loader with the set's workers and encoded where the encoder is (bf16 autocast unless ``precision``
    is fp32), ``encoder.chunk`` frames per backbone forward."""
    from ..train.device import autocast
    from .train import resolve_precision

    encoder.eval()
    dev = next(encoder.parameters()).device
    spec = FrameSpec.of(encoder.cfg)
    loader = index_loader(len(clips), chunk, lambda idx: (torch.tensor(idx), clips.batch(idx, spec)), shuffle=False, seed=0, workers=clips.workers)
    out = None
    for idx, frames in loader:
        with autocast(resolve_precision(precision), dev.type):
            f = encoder.frame_features(frames.to(dev), clips.lengths[idx].to(dev)).float().cpu()
        if out is None:
            out = torch.zeros(len(clips), clips.frames.shape[1], f.shape[-1])
        out[idx, : f.shape[1]] = f
    return out


@torch.no_grad()
def retrieval(encoder, head: ClipHead, feats: torch.Tensor, lengths: torch.Tensor, text_emb: torch.Tensor, texts: list[str], chunk: int = 1024) -> dict:
    """Video -> text retrieval among the split's texts: R@1, R@5 (a hit = the retrieved text is the clip's text)."""
    dev = next(encoder.parameters()).device
    v = torch.cat([nn.functional.normalize(encoder.temporal(feats[i : i + chunk].to(dev), lengths[i : i + chunk].to(dev)).sentence, dim=-1)
                   for i in range(0, len(feats), chunk)])
    t = nn.functional.normalize(head.text_proj(text_emb.to(dev)), dim=-1)
    rank = (v @ t.T).argsort(dim=1, descending=True).cpu()
    hit = lambda k: sum(any(texts[j] == texts[i] for j in rank[i, :k].tolist()) for i in range(len(texts))) / len(texts)
    return {"r1": hit(1), "r5": hit(5), "chance_r1": 1 / len(set(texts))}


def text_ids(texts: list[str]) -> torch.Tensor:
    index: dict[str, int] = {}
    return torch.tensor([index.setdefault(t, len(index)) for t in texts])


def load_encoder(stage_dir: str | Path) -> tuple[HierarchicalEncoder, ClipHead]:
    """The encoder (and CLIP head) a finished stage-2 folder holds."""
    stage_dir = Path(stage_dir)
    cfg_path = stage_dir / ENC_CONFIG
    if not cfg_path.is_file():
        raise SLTInputError("no stage-2 encoder here", file=cfg_path, hint="run notebook 07_llava_slt_pretrain first")
    spec = json.loads(cfg_path.read_text(encoding="utf-8"))
    enc = HierarchicalEncoder(EncoderConfig(**spec["encoder"]))
    head = ClipHead(spec["text_dim"], enc.cfg.coembed_dim)
    load_modules(stage_dir / WEIGHTS, encoder=enc, head=head)
    return enc.eval(), head.eval()


def stage2_key(cfg: Stage2Config, train: ClipSet, seed: int, upstream: str | None = None) -> str:
    return config_hash("stage2", cfg, train.dataset, seed, train.ids, train.texts, list(train.frames.shape), upstream)


def run_stage2(train: ClipSet, dev: ClipSet | None, cfg: Stage2Config, out_dir: str | Path, *, seed: int = 0,
               backbone_dir: str | Path | None = None, force: bool = False, precision: str = "auto", text_key: str | None = None,
               device="auto", memory_budget_gb: float | None = None, log=print) -> dict:
    """Train (or skip, when finished with the same key) one stage-2 encoder variant into ``out_dir``.
    ``precision``: :mod:`slt_nb.train.device` (``auto``: bf16-mixed on CUDA, fp32 on CPU); ``text_key``:
    the key of the stage that made the text supervisor (a stage-1 LLM), part of this stage's key. Runs on
    ``device``; the memory estimate is printed first and checked against ``memory_budget_gb`` (None: the GPU's)."""
    from dataclasses import replace

    from . import estimates, memory
    from .device import device_label, memory_budget, release, resolve_device
    from .train import resolve_precision

    dev_ = resolve_device(device)
    upstream = text_key
    if cfg.backbone_from:
        if backbone_dir is None:
            raise SLTInputError(f"stage 2 reuses the backbone of {cfg.backbone_from!r} but no folder was given")
        done = json.loads((Path(backbone_dir) / "done.json").read_text(encoding="utf-8"))
        upstream = done["key"] if text_key is None else f"{done['key']}+{text_key}"
        src_enc = json.loads((Path(backbone_dir) / ENC_CONFIG).read_text(encoding="utf-8"))["encoder"]
        if cfg.encoder.backbone == "tiny":  # the reused ViT keeps its position-embedding grid; another frame size is interpolated
            side = src_enc["vit"].get("image_size") or src_enc["frame_size"]
            cfg = replace(cfg, encoder=replace(cfg.encoder, vit={**cfg.encoder.vit, "image_size": side}))

    def work(tmp: Path) -> dict:
        torch.manual_seed(seed)
        enc = HierarchicalEncoder(cfg.encoder)
        frozen = bool(cfg.backbone_from) or not cfg.encoder.train_backbone
        if cfg.backbone_from:
            src, _ = load_encoder(backbone_dir)
            enc.backbone.load_state_dict(src.backbone.state_dict())
        if frozen:
            enc.backbone.requires_grad_(False)
        temb = build_text_encoder(cfg.text, train.texts, train.dataset, device=dev_)
        t_train = temb.encode(train.texts)
        t_dev = temb.encode(dev.texts) if dev is not None and len(dev) else None
        text_len = torch.tensor(temb.n_tokens(train.texts))  # SignCL's dynamic margin
        del temb
        release()  # the text encoder is done before the encoder trains
        head = ClipHead(t_train.shape[1], cfg.encoder.coembed_dim)
        model = ContrastiveModel(enc, head, cfg, seed)
        ids = text_ids(train.texts)
        spec = FrameSpec.of(cfg.encoder)
        enc.chunk = cfg.train.backbone_chunk
        cached = frozen and not spec.random()
        prec = resolve_precision(precision).name
        backbone, budget = "cached" if cached else ("frozen" if frozen else "trains"), memory_budget(dev_, memory_budget_gb)
        make = lambda tc: estimates.stage2(enc, head, tc, train.frames.shape[1], prec, backbone=backbone)  # noqa: E731
        estimates.guard(lambda m, ck: make(estimates.runtime(cfg.train, m, ck)), cfg.train, budget, key="llava_stage2.train",
                        where=device_label(dev_), log=log,
                        suggest=lambda: memory.fitting_chunk(lambda c: make(replace(cfg.train, backbone_chunk=c)), budget, "llava_stage2.train"),
                        hint="set llava_stage2.train.backbone_chunk (frames per backbone forward, e.g. 64; the CLIP loss keeps the whole "
                             "batch) or micro_batch_size (then CLIP's negatives are the micro-batch's), or a lower llava_t_max")
        model.to(dev_)
        feats = backbone_features(enc, train, precision=prec) if cached else None

        def collate(idx):
            idx_t = torch.tensor(idx)
            n = int(train.lengths[idx_t].max())
            b = {"lengths": train.lengths[idx_t], "text": t_train[idx_t], "text_ids": ids[idx_t], "text_len": text_len[idx_t]}
            b.update({"feats": feats[idx_t, :n]} if cached else {"frames": train.batch(idx, spec, train=True, epoch=idx.epoch, seed=seed)})
            return b

        loader = train_loader(len(train), cfg.train, collate, seed=seed, workers=train.workers)
        params = [p for p in model.parameters() if p.requires_grad]
        logs = fit(model, params, loader, cfg.train, lambda m, b: m(b), label="stage2", precision=precision, device=dev_)
        metrics = {}
        for name, cs, temb_cs in (("train", train, t_train), ("dev", dev, t_dev)):
            if cs is not None and len(cs):
                metrics[name] = retrieval(enc, head, backbone_features(enc, cs, precision=prec), cs.lengths, temb_cs, cs.texts)
        save_modules(tmp / WEIGHTS, encoder=enc, head=head)
        (tmp / ENC_CONFIG).write_text(json.dumps({"encoder": to_dict(cfg.encoder), "text_dim": t_train.shape[1]}, indent=2))
        summary = {"history": logs, "retrieval": metrics, "frozen_backbone": frozen,
                   "n_params": sum(p.numel() for p in enc.parameters()), "n_trainable": sum(p.numel() for p in params)}
        del model, enc, head, feats
        return summary

    out = run_stage(out_dir, stage2_key(cfg, train, seed, upstream), work, force=force, precision=precision)
    release()
    return out
