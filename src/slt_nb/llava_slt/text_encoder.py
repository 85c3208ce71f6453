"""The frozen text encoder that supervises visual pretraining (Sec 3.2).

* ``kind="hf"``: a pretrained encoder by hub id or local path -- the paper uses mBART's encoder
  (``facebook/mbart-large-cc25``); sentence embedding = mean of the last hidden states over the
  non-padding tokens (the paper does not say how it pools; ours). Needs the hub or a local copy.
* ``kind="bow"``: the **offline stand-in** of the embedded default (no model hub here): a
  deterministic hashed bag of word n-grams (n = 1..``ngrams``), tf-idf weighted over the
  training texts and L2-normalised, ``dim`` wide. It is no language model -- sentences are close
  when they share words -- but it is fixed, multilingual by construction and free to compute.

Both are frozen: the text side of the CLIP loss trains only a linear projection to the
co-embedding (stage 2), so the embeddings are computed once.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import Counter

import torch

from ..errors import SLTInputError
from .config import TextEncoderConfig

WORD = re.compile(r"\w+", re.UNICODE)
MBART_LANG = {"phoenix": "de_DE", "how2sign": "en_XX", "openasl": "en_XX", "isign": "en_XX", "csl-daily": "zh_CN"}


def _words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).lower())


def _grams(text: str, n: int) -> list[str]:
    w = _words(text)
    return [" ".join(w[i : i + k]) for k in range(1, n + 1) for i in range(len(w) - k + 1)]


class BowTextEncoder:
    """Hashed tf-idf bag of n-grams (see the module docstring); ``fit`` sets the idf on training texts."""

    def __init__(self, cfg: TextEncoderConfig) -> None:
        self.dim, self.n = cfg.dim, cfg.ngrams
        self.idf: dict[str, float] = {}
        self.n_docs = 0

    def fit(self, texts: list[str]) -> BowTextEncoder:
        df = Counter(g for t in texts for g in set(_grams(t, self.n)))
        self.n_docs = len(texts)
        self.idf = {g: math.log((1 + self.n_docs) / (1 + c)) + 1 for g, c in df.items()}
        return self

    def encode(self, texts: list[str]) -> torch.Tensor:
        out = torch.zeros(len(texts), self.dim)
        unseen = math.log(1 + self.n_docs) + 1
        for i, t in enumerate(texts):
            for g, c in Counter(_grams(t, self.n)).items():
                h = zlib.crc32(g.encode("utf-8"))
                out[i, h % self.dim] += (1 if (h >> 16) & 1 else -1) * c * self.idf.get(g, unseen)
        return torch.nn.functional.normalize(out, dim=-1)

    def n_tokens(self, texts: list[str]) -> list[int]:
        """Text length in tokens as the SignCL margin schedule counts them: words + 2 (an mBART-like
        tokenizer adds the end-of-sentence and language tokens)."""
        return [len(_words(t)) + 2 for t in texts]

    @property
    def width(self) -> int:
        return self.dim


class HFTextEncoder:
    """Mean-pooled last hidden states of a hub encoder (mBART's encoder in the paper)."""

    def __init__(self, cfg: TextEncoderConfig, dataset: str | None = None, batch_size: int = 64, device=None) -> None:
        from transformers import AutoModel, AutoTokenizer

        if not cfg.id:
            raise SLTInputError("text encoder kind 'hf' needs an id", hint="e.g. facebook/mbart-large-cc25")
        self.tok = AutoTokenizer.from_pretrained(cfg.id)
        if dataset in MBART_LANG and hasattr(self.tok, "src_lang"):
            self.tok.src_lang = MBART_LANG[dataset]
        model = AutoModel.from_pretrained(cfg.id)
        self.model = (model.get_encoder() if hasattr(model, "get_encoder") else model).eval().requires_grad_(False)
        self.model.to(device or "cpu")
        self.batch_size, self.device = batch_size, device or torch.device("cpu")

    @torch.no_grad()
    def encode(self, texts: list[str]) -> torch.Tensor:
        outs = []
        for i in range(0, len(texts), self.batch_size):
            enc = self.tok(texts[i : i + self.batch_size], padding=True, truncation=True, return_tensors="pt")
            ids, mask = enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)
            h = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(h.dtype)
            outs.append(((h * m).sum(1) / m.sum(1).clamp(min=1)).float().cpu())
        return torch.cat(outs).float()

    def fit(self, texts):
        return self

    def n_tokens(self, texts: list[str]) -> list[int]:
        """Tokens the encoder's tokenizer gives each text (special tokens included), for the SignCL margin schedule."""
        return [len(ids) for ids in self.tok(texts, truncation=True)["input_ids"]]

    @property
    def width(self) -> int:
        return self.model.config.hidden_size if hasattr(self.model.config, "hidden_size") else self.model.config.d_model


TEXT_ENCODERS = {"bow": lambda cfg, dataset, device: BowTextEncoder(cfg), "hf": lambda cfg, dataset, device: HFTextEncoder(cfg, dataset, device=device)}


def build_text_encoder(cfg: TextEncoderConfig, train_texts: list[str], dataset: str | None = None, device=None):
    """The frozen text encoder of ``cfg`` fitted on ``train_texts``; a hub encoder runs on ``device`` (None: the CPU)."""
    if cfg.kind not in TEXT_ENCODERS:
        raise SLTInputError(f"unknown text encoder kind {cfg.kind!r}", hint=f"choose from {sorted(TEXT_ENCODERS)}")
    return TEXT_ENCODERS[cfg.kind](cfg, dataset, device).fit(train_texts)
