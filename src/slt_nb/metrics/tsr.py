"""Translation Soft Recall (paper Eq. 1–2), with both denominators honestly labelled.

Soft cardinality (Eq. 1; Fränti & Mariescu-Istodor 2023)::

    C(Z) = sum_i 1 / sum_j sim(z_i, z_j)

over the **word** embeddings of one translation Z, sim = cosine similarity. The soft size of the
overlap is ``I = C(Y) + C(Ŷ) − C(Y ∪ Ŷ)`` (Y reference, Ŷ prediction). Then

* ``tsr``        = I / C(Ŷ) — Eq. 2 **as printed** in the paper. By the source definition this
  is soft *precision* (share of the prediction covered by the reference);
* ``tsr_recall`` = I / C(Y) — soft *recall* (share of the reference covered by the prediction),
  which is what the name "Translation Soft Recall" describes.

Definitions (stated in the signature):

* words: :func:`~slt_nb.metrics.text.word_tokens` (NFC, lowercase, letter/digit runs, punctuation
  dropped; one word per Chinese character). Z is the token list; repeated words need no special
  treatment: two identical words contribute 1/2 + 1/2, so ``C(a a) = C(a) = 1``, and
  ``Y ∪ Ŷ`` is the concatenation of the two lists (shared words then count once, softly).
* similarities are **clipped to [0, 1]** (negative cosines set to 0: STORM's implementation does
  not clip, and a negative row sum can make C blow up or change sign); with clipping every row
  sum is ≥ 1, so 1 ≤ C(Z) ≤ |Z| for non-empty Z. Self-similarity is set to exactly 1.
* an **empty prediction** (no word tokens) scores 0 on both (C(Ŷ) = 0 would divide by zero);
* a reference with no word tokens cannot be scored: that sentence is **excluded** from both
  averages and counted (``n_excluded_empty_reference``); the readers reject empty references, so
  this happens only for punctuation-only references;
* soft cardinality is not monotone, so I can exceed C(Ŷ) or C(Y) a little (or dip below 0): each
  sentence score is clipped to [0, 1] (the signature says ``score:clip01``), and the corpus figure is
  their plain mean, in [0, 1], as in the paper's Table 5 (checked by :mod:`.ranges`).

Resources: the similarities of one translation are computed in row blocks of at most
:data:`BLOCK_ELEMENTS` values (32 MB of float64), so memory stays bounded however long the sentence
(the whole |Z| x |Z| matrix took 7.5 GB for a 20,000-word line); a block that holds every row is the
plain full-matrix computation, so a pair of up to 2,048 words together scores exactly as before. Time still
grows as |Z|², so a prediction or reference longer than :data:`~.limits.MAX_SENTENCE_CHARS` characters
(5,000) is refused with an :class:`~slt_nb.errors.SLTInputError` (:mod:`.limits`).

Embeddings (:mod:`.embedders`): a sentence-transformers model by local path or hub id, loaded offline,
each word embedded alone and L2-normalised; default the packaged all-MiniLM-L6-v2, the offline stand-in;
the paper's is :data:`~.embedders.PAPER_EMBEDDER`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..report.signature import signature
from .embedders import (  # re-exported: `from slt_nb.metrics.tsr import get_embedder` keeps working
    DEFAULT_EMBEDDER_LABEL,
    PAPER_EMBEDDER,
    EmbedderUnavailable,
    Encoder,
    WordEmbedder,
    default_embedder_path,
    get_embedder,
)
from .limits import check_lengths
from .ranges import Bounded, ranged_field
from .text import TOKENIZER_ID, word_tokens

__all__ = [
    "BLOCK_ELEMENTS", "DEFAULT_EMBEDDER_LABEL", "PAPER_EMBEDDER", "EmbedderUnavailable", "Encoder", "TSRResult", "WordEmbedder",
    "default_embedder_path", "get_embedder", "similarity", "soft_cardinality", "translation_soft_recall", "tsr_pair", "tsr_signatures",
]  # fmt: skip

BLOCK_ELEMENTS = 1 << 22  # similarities held at once by soft_cardinality (4,194,304 float64 = 32 MB)


def similarity(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Cosine similarities of unit vectors, clipped to [0, 1]."""
    return np.clip(a @ (a if b is None else b).T, 0.0, 1.0)


def soft_cardinality(emb: np.ndarray, *, block_elements: int | None = None) -> float:
    """Eq. 1 over the n rows of ``emb`` (n x dim unit vectors); 0 for no rows.

    The n x n similarities (clipped to [0, 1], self-similarity 1) are taken ``max(1, block_elements // n)``
    rows at a time (default :data:`BLOCK_ELEMENTS`), so at most about ``block_elements`` float64 values are
    held (plus ``emb`` and n row sums). When one block holds all n rows this is the full-matrix computation
    unchanged; in blocks each row sum agrees with it to float round-off (BLAS may order the dot products
    differently)."""
    n = len(emb)
    if n == 0:
        return 0.0
    rows = max(1, int(BLOCK_ELEMENTS if block_elements is None else block_elements) // n)
    if rows >= n:
        s = similarity(emb)
        np.fill_diagonal(s, 1.0)
        return float((1.0 / s.sum(axis=1)).sum())
    row_sums = np.empty(n)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        block = emb[start:stop] @ emb.T
        np.clip(block, 0.0, 1.0, out=block)
        block[np.arange(stop - start), np.arange(start, stop)] = 1.0
        row_sums[start:stop] = block.sum(axis=1)
        del block
    return float((1.0 / row_sums).sum())


def tsr_pair(ref_words: Sequence[str], pred_words: Sequence[str], embed) -> tuple[float, float] | None:
    """(tsr as printed = I/C(Ŷ), tsr_recall = I/C(Y)) for one pair; None if the reference has no words."""
    if not ref_words:
        return None
    if not pred_words:
        return 0.0, 0.0
    ey, ep = embed(list(ref_words)), embed(list(pred_words))
    cy, cp = soft_cardinality(ey), soft_cardinality(ep)
    cu = soft_cardinality(np.vstack([ey, ep]))
    inter = cy + cp - cu
    # Soft cardinality is not monotone, so the soft intersection can exceed C(Ŷ) or C(Y) a little
    # (or dip below 0); a recall/precision lives in [0, 1], so each sentence score is clipped there
    # (the signature says `score:clip01`).
    return float(np.clip(inter / cp, 0.0, 1.0)), float(np.clip(inter / cy, 0.0, 1.0))


@dataclass
class TSRResult(Bounded):
    tsr: float | None = ranged_field("tsr")  # Eq. 2 as printed: I / C(prediction), in [0, 1]  (soft precision)
    tsr_recall: float | None = ranged_field("tsr")  # I / C(reference), in [0, 1]              (soft recall)
    per_sentence: np.ndarray = ranged_field("tsr")  # (N, 2), each in [0, 1]; NaN rows for excluded sentences
    n_scored: int
    n_empty_prediction: int
    n_excluded_empty_reference: int
    signature_tsr: str
    signature_recall: str


def tsr_signatures(embedder_name: str) -> tuple[str, str]:
    common = {"emb": embedder_name, "unit": "word", "tok": TOKENIZER_ID, "sim": "cos-clip0", "score": "clip01", "empty_pred": "0", "empty_ref": "excluded", "avg": "sentence-mean"}
    return (
        signature(metric="tsr", denom="C(pred)-eq2-as-printed", **common),
        signature(metric="tsr-recall", denom="C(ref)", **common),
    )


def translation_soft_recall(hyps: Sequence[str], refs: Sequence[str], *, embedder=None) -> TSRResult:
    """Corpus TSR (both forms, each in [0, 1]): mean of the sentence scores. See the module docstring.

    Raises :class:`~slt_nb.errors.SLTInputError` for a sentence longer than :data:`~.limits.MAX_SENTENCE_CHARS`
    characters, ValueError if the lists differ in length."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
    check_lengths(hyps, refs)
    emb = get_embedder(embedder)
    per = np.full((len(hyps), 2), np.nan)
    n_empty_pred = n_excl = 0
    for i, (h, r) in enumerate(zip(hyps, refs)):
        rw, hw = word_tokens(r), word_tokens(h)
        res = tsr_pair(rw, hw, emb)
        if res is None:
            n_excl += 1
            continue
        if not hw:
            n_empty_pred += 1
        per[i] = res
    scored = ~np.isnan(per[:, 0])
    n_scored = int(scored.sum())
    means = per[scored].mean(axis=0) if n_scored else (None, None)
    s_tsr, s_rec = tsr_signatures(emb.name)
    return TSRResult(
        tsr=None if means[0] is None else float(means[0]),
        tsr_recall=None if means[1] is None else float(means[1]),
        per_sentence=per,
        n_scored=n_scored,
        n_empty_prediction=n_empty_pred,
        n_excluded_empty_reference=n_excl,
        signature_tsr=s_tsr,
        signature_recall=s_rec,
    )
