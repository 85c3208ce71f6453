"""Stage 2 -- visual contrastive pretraining (Sec 3.2): L = L_CLIP + lambda * L_SignCL (Eq. 2).

The hierarchical encoder's sentence vector is aligned with the frozen text encoder's sentence
embedding (through a trainable linear projection and CLIP's learnable temperature); SignCL
regularises the word-level sequence at frame rate. The stage folder holds ``encoder.safetensors``
(encoder + CLIP head), ``encoder_config.json`` and ``done.json`` (key, per-step losses, dev
retrieval accuracy).

``backbone_from`` (the default's budget option): reuse, frozen, the frame backbone of another
stage-2 variant; backbone features are then computed once and only the temporal parts train.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from ..errors import SLTInputError
from .config import EncoderConfig, Stage2Config, config_hash, to_dict
from .data import ClipSet
from .encoder import HierarchicalEncoder
from .losses import CLIP_INIT_SCALE, CLIP_MAX_SCALE, clip_loss, dynamic_margin, signcl_loss
from .text_encoder import build_text_encoder
from .train import fit, index_loader, load_modules, run_stage, save_modules

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
def backbone_features(encoder: HierarchicalEncoder, clips: ClipSet, chunk: int = 32) -> torch.Tensor:
    """Frame-level [cls] features (N, T, C) of every clip (eval mode, no grad)."""
    encoder.eval()
    dev = next(encoder.parameters()).device
    outs = [encoder.frame_features(clips.frames[i : i + chunk].to(dev), clips.lengths[i : i + chunk].to(dev)).cpu()
            for i in range(0, len(clips), chunk)]
    return torch.cat(outs)


@torch.no_grad()
def retrieval(encoder, head: ClipHead, feats: torch.Tensor, lengths: torch.Tensor, text_emb: torch.Tensor, texts: list[str]) -> dict:
    """Video -> text retrieval among the split's texts: R@1, R@5 (a hit = the retrieved text is the clip's text)."""
    dev = next(encoder.parameters()).device
    v = nn.functional.normalize(encoder.temporal(feats.to(dev), lengths.to(dev)).sentence, dim=-1)
    t = nn.functional.normalize(head.text_proj(text_emb.to(dev)), dim=-1)
    rank = (v @ t.T).argsort(dim=1, descending=True)
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
               backbone_dir: str | Path | None = None, force: bool = False, precision: str = "auto", text_key: str | None = None) -> dict:
    """Train (or skip, when finished with the same key) one stage-2 encoder variant into ``out_dir``.
    ``precision``: :mod:`slt_nb.train.device` (``auto``: bf16-mixed on CUDA, fp32 on CPU); ``text_key``:
    the key of the stage that made the text supervisor (a stage-1 LLM), part of this stage's key."""
    upstream = text_key
    if cfg.backbone_from:
        if backbone_dir is None:
            raise SLTInputError(f"stage 2 reuses the backbone of {cfg.backbone_from!r} but no folder was given")
        done = json.loads((Path(backbone_dir) / "done.json").read_text(encoding="utf-8"))
        upstream = done["key"] if text_key is None else f"{done['key']}+{text_key}"

    def work(tmp: Path) -> dict:
        torch.manual_seed(seed)
        enc = HierarchicalEncoder(cfg.encoder)
        frozen = bool(cfg.backbone_from) or not cfg.encoder.train_backbone
        if cfg.backbone_from:
            src, _ = load_encoder(backbone_dir)
            enc.backbone.load_state_dict(src.backbone.state_dict())
        if frozen:
            enc.backbone.requires_grad_(False)
        temb = build_text_encoder(cfg.text, train.texts, train.dataset)
        t_train = temb.encode(train.texts)
        head = ClipHead(t_train.shape[1], cfg.encoder.coembed_dim)
        model = ContrastiveModel(enc, head, cfg, seed)
        ids = text_ids(train.texts)
        text_len = torch.tensor(temb.n_tokens(train.texts))  # SignCL's dynamic margin
        feats = backbone_features(enc, train) if frozen else None

        def collate(idx):
            idx = torch.tensor(idx)
            n = int(train.lengths[idx].max())
            b = {"lengths": train.lengths[idx], "text": t_train[idx], "text_ids": ids[idx], "text_len": text_len[idx]}
            b.update({"feats": feats[idx, :n]} if frozen else {"frames": train.frames[idx, :n]})
            return b

        loader = index_loader(len(train), cfg.train.batch_size, collate, shuffle=True, seed=seed)
        params = [p for p in model.parameters() if p.requires_grad]
        logs = fit(model, params, loader, cfg.train, lambda m, b: m(b), label="stage2", precision=precision)
        metrics = {}
        for name, cs in (("train", train), ("dev", dev)):
            if cs is not None and len(cs):
                metrics[name] = retrieval(enc, head, backbone_features(enc, cs), cs.lengths, temb.encode(cs.texts), cs.texts)
        save_modules(tmp / WEIGHTS, encoder=enc, head=head)
        (tmp / ENC_CONFIG).write_text(json.dumps({"encoder": to_dict(cfg.encoder), "text_dim": t_train.shape[1]}, indent=2))
        return {"history": logs, "retrieval": metrics, "frozen_backbone": frozen,
                "n_params": sum(p.numel() for p in enc.parameters()), "n_trainable": sum(p.numel() for p in params)}

    return run_stage(out_dir, stage2_key(cfg, train, seed, upstream), work, force=force, precision=precision)
