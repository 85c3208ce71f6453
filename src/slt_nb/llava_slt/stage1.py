"""Stage 1 -- linguistic continued pretraining (Sec 3.1): next-token prediction on the domain corpus.

The stage folder holds ``llm/`` (model + tokenizer, ``save_pretrained`` with safetensors) and
``done.json`` (key, per-step losses, dev loss). With ``enabled=False`` (the paper's PHOENIX
setting) a hub LLM is recorded by id and not copied; the tiny LLM is still saved (untrained).
"""

from __future__ import annotations

from pathlib import Path

import torch

from .batches import train_loader
from .config import LLMConfig, Stage1Config, config_hash
from .llm import DOC_END, corpus_documents, load_llm
from .prompts import all_system_prompts
from .stage_dirs import run_stage
from .train import fit

PROMPT_WEIGHT = 50  # the prompts and chat roles are repeated so BPE merges them into few tokens (short sequences)


def tokenizer_corpus(train, dataset: str) -> list[str]:
    """Texts the tiny tokenizer is trained on: translations, glosses, the prompts, the chat roles."""
    fixed = all_system_prompts(dataset) + ["system\n", "user\n", "assistant\n"]
    return [s.text for s in train] + [s.gloss for s in train if s.gloss] + fixed * PROMPT_WEIGHT


def _lm_batches(tok, docs: list[str], max_len: int = 256):
    enc = tok(docs, truncation=True, max_length=max_len, add_special_tokens=False)
    ids = enc["input_ids"]

    def collate(idx):
        rows = [ids[i] for i in idx]
        n = max(len(r) for r in rows)
        x = torch.full((len(rows), n), tok.pad_token_id, dtype=torch.long)
        m = torch.zeros((len(rows), n), dtype=torch.long)
        for j, r in enumerate(rows):
            x[j, : len(r)] = torch.tensor(r)
            m[j, : len(r)] = 1
        return {"input_ids": x, "attention_mask": m, "labels": x.masked_fill(m == 0, -100)}

    collate.max_len = max((len(r) for r in ids), default=0)
    return collate, len(ids)


def _lm_step(model, batch):
    return {"loss": model(**batch).loss}


def _lm_tokens(batch) -> int:
    """Tokens the next-token loss of a batch averages over (its micro-batch weight)."""
    return int((batch["labels"][:, 1:] != -100).sum())


@torch.no_grad()
def lm_loss(model, tok, docs: list[str], batch_size: int = 64) -> float:
    """Mean next-token loss over ``docs`` (token-weighted), computed where ``model`` is."""
    collate, n = _lm_batches(tok, docs)
    tot, cnt = 0.0, 0
    model.eval()
    dev = next(model.parameters()).device
    for i in range(0, n, batch_size):
        b = {k: v.to(dev) for k, v in collate(list(range(i, min(n, i + batch_size)))).items()}
        k = int((b["labels"][:, 1:] != -100).sum())
        tot += float(model(**b).loss) * k
        cnt += k
    return tot / max(cnt, 1)


def read_corpus(path: str | Path) -> list[str]:
    """The extra domain corpus of ``Stage1Config.corpus``: one document per non-blank line (UTF-8). The paper's
    CSL-Corpus (gloss-text pairs and web & books text, Sec 3.1) is not public; give whatever corpus you have."""
    from ..errors import SLTInputError
    from ..paths import resolve

    p = resolve(path)
    if not p.is_file():
        raise SLTInputError("stage-1 corpus not found", file=p, hint="llava_stage1.corpus: a UTF-8 text file, one document per line (or null)")
    try:
        docs = [line.strip() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError as exc:
        raise SLTInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=p) from None
    if not docs:
        raise SLTInputError("the stage-1 corpus is empty", file=p)
    return docs


def stage1_key(llm: LLMConfig, cfg: Stage1Config, train, dataset: str, seed: int) -> str:
    corpus = read_corpus(cfg.corpus) if cfg.enabled and cfg.corpus else None
    return config_hash("stage1", llm, cfg, dataset, seed, [(s.id, s.text, s.gloss) for s in train], corpus)


def run_stage1(train, dev, dataset: str, llm_cfg: LLMConfig, cfg: Stage1Config, out_dir: str | Path, *, seed: int = 0, force: bool = False,
               precision: str = "auto", device="auto", memory_budget_gb: float | None = None, log=print) -> dict:
    """Build/load the LLM, continue its pretraining on the training texts of ``dataset``, save it.
    ``precision``: :mod:`slt_nb.train.device` (``auto``: bf16-mixed on CUDA -- the LLM's trained
    weights in fp32, compute in bf16 -- and fp32 on CPU). The LLM, its dev LM loss before and after
    and the training run on ``device`` (:func:`device.resolve_device`); the memory estimate is printed
    first and checked against ``memory_budget_gb`` (None: the GPU's memory; not checked on the CPU)."""
    from . import estimates
    from .device import device_label, memory_budget, release, resolve_device
    from .train import resolve_precision

    dev_ = resolve_device(device)

    def work(tmp: Path) -> dict:
        torch.manual_seed(seed)
        if llm_cfg.id == "tiny":  # the embedded default: built here (stand-in), not downloaded
            from ..standins.llava_tiny import build_tiny_llm

            model, tok = build_tiny_llm(llm_cfg, tokenizer_corpus(train, dataset), seed=seed)
        else:
            model, tok = load_llm(llm_cfg.id, llm_cfg)
        docs = []
        if cfg.enabled:
            docs = corpus_documents(train, dataset, gloss_text_pairs=cfg.gloss_text_pairs, sentences=cfg.sentences, tokenizer=tok)
            if cfg.corpus:
                end = DOC_END if DOC_END in tok.get_vocab() else (tok.eos_token or "")
                docs += [d + end for d in read_corpus(cfg.corpus)]
            collate, n = _lm_batches(tok, docs)
            prec = resolve_precision(precision).name
            estimates.guard(lambda m, ck: estimates.stage1(model, estimates.runtime(cfg.train, m, ck), collate.max_len, prec), cfg.train,
                            memory_budget(dev_, memory_budget_gb), key="llava_stage1.train", where=device_label(dev_), log=log,
                            hint="set llava_stage1.train.micro_batch_size (a divisor of batch_size) and gradient_checkpointing: true, "
                                 "or LoRA on the LLM (llava_llm.lora: {r: 8, alpha: 16})")
        model.to(dev_)
        dev_docs = corpus_documents(dev, dataset, tokenizer=tok) if dev else []
        before = lm_loss(model, tok, dev_docs) if dev_docs else None
        logs: list[dict] = []
        if cfg.enabled:
            loader = train_loader(n, cfg.train, collate, seed=seed)
            logs = fit(model, list(model.parameters()), loader, cfg.train, _lm_step, label="stage1", precision=precision, weight=_lm_tokens,
                       checkpointing=[model], device=dev_)
        after = (lm_loss(model, tok, dev_docs) if dev_docs else None) if cfg.enabled else before  # nothing trained: the same loss
        if cfg.enabled or llm_cfg.id == "tiny":
            model = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
            model.save_pretrained(tmp / "llm", safe_serialization=True)
            tok.save_pretrained(tmp / "llm")
            where = "llm"
        else:
            where = llm_cfg.id
        n_params = sum(p.numel() for p in model.parameters())
        del model
        return {"llm": where, "history": logs, "dev_loss_before": before, "dev_loss_after": after, "n_params": n_params}

    out = run_stage(out_dir, stage1_key(llm_cfg, cfg, train, dataset, seed), work, force=force, precision=precision)
    release()
    return out


def llm_location(stage1_dir: str | Path, done: dict) -> str:
    """Where the stage-1 LLM lives: the stage's ``llm/`` folder or a hub id."""
    return str(Path(stage1_dir) / done["llm"]) if done["llm"] == "llm" else done["llm"]
