"""Corpus BLEU-1..4 with sacrebleu: one setting for every dataset.

Setting (sacrebleu defaults, the same for all datasets): tokenizer ``13a``, **case-sensitive**
(``case:mixed``), ``exp`` smoothing, one reference, cumulative BLEU-n via
``BLEU(max_ngram_order=n)``; Chinese (CSL-Daily) uses sacrebleu's ``zh`` tokenizer, which splits
every Chinese character off (character level). Text is passed to sacrebleu exactly as written:

* PHOENIX's trailing ``" ."`` is **kept as-is** on both sides. 13a makes it a token of its own, so
  it is a (usually matched) unigram in every PHOENIX sentence: it raises BLEU-1 a little and, when
  a prediction omits it, costs a unigram and a little brevity. We do not strip it because that
  would be a dataset-specific rule and the references are distributed with it.
* Both sides are Unicode-NFC-normalised first (canonical equivalence only: a decomposed
  ``u`` + combining diaeresis equals ``ü``); no lowercasing, no compatibility folding.

:func:`corpus_bleu` returns the scores and sacrebleu's own signature string, e.g.
``nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0``; sacrebleu's signature does not
name the n-gram order, so :func:`bleu_signature` appends ``order:n``, ``punct:kept`` and ``nfc:yes``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sacrebleu.metrics import BLEU

from ..report.signature import signature
from .ranges import Bounded, ranged, ranged_field
from .text import check_lang

ORDERS = (1, 2, 3, 4)
PUNCT_POLICY = "kept"  # PHOENIX's trailing " ." is neither stripped nor added


def bleu_tokenizer(lang: str) -> str:
    """sacrebleu tokenizer for a language: ``zh`` for Chinese, ``13a`` otherwise."""
    return "zh" if check_lang(lang) == "zh" else "13a"


def _bleu(lang: str, order: int = 4, *, effective_order: bool = False) -> BLEU:
    return BLEU(tokenize=bleu_tokenizer(lang), max_ngram_order=order, effective_order=effective_order)


@dataclass
class BleuResult(Bounded):
    scores: dict[int, float] = ranged_field("bleu")  # order -> cumulative BLEU-n, in [0, 100] (round-off clamped)
    sacrebleu_signature: str  # verbatim from sacrebleu
    signatures: dict[int, str] = field(default_factory=dict)  # order -> sacrebleu signature + our keys


def bleu_signature(sacrebleu_signature: str, order: int) -> str:
    return sacrebleu_signature + "|" + signature(order=order, punct=PUNCT_POLICY, nfc="yes")


def _nfc(texts: Sequence[str]) -> list[str]:
    return [unicodedata.normalize("NFC", t) for t in texts]


def corpus_bleu(hyps: Sequence[str], refs: Sequence[str], *, lang: str, orders: Sequence[int] = ORDERS) -> BleuResult:
    """Cumulative corpus BLEU-n for each n in ``orders``, in [0, 100] (higher is better): sacrebleu's
    ``corpus_score``, with its round-off past 100 (``exp(log 100)`` = 100.00000000000004) clamped by
    :class:`BleuResult` (:mod:`.ranges`). ValueError if the lists differ in length."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
    scores, sigs, sb_sig = {}, {}, ""
    for n in orders:
        metric = _bleu(lang, n)
        scores[n] = float(metric.corpus_score(_nfc(hyps), [_nfc(refs)]).score)
        sb_sig = str(metric.get_signature())
        sigs[n] = bleu_signature(sb_sig, n)
    return BleuResult(scores=scores, sacrebleu_signature=sb_sig, signatures=sigs)


@ranged("bleu")
def sentence_bleu(hyp: str, ref: str, *, lang: str) -> float:
    """Sentence BLEU-4 in [0, 100] (sacrebleu ``sentence_score``, ``effective_order=True`` as sacrebleu recommends)."""
    return float(_bleu(lang, 4, effective_order=True).sentence_score(*_nfc([hyp]), _nfc([ref])).score)


def sentence_stats(hyps: Sequence[str], refs: Sequence[str], *, lang: str) -> np.ndarray:
    """Per-sentence BLEU sufficient statistics, shape (N, 10):
    ``[hyp_len, ref_len, correct_1..4, total_1..4]`` (sacrebleu's own layout; summed over
    sentences they reproduce ``corpus_score`` exactly, tested)."""
    metric = _bleu(lang, 4)
    return np.asarray(metric._extract_corpus_statistics(_nfc(hyps), [_nfc(refs)]), dtype=np.int64).reshape(len(hyps), 10)


@ranged("bleu")
def bleu_from_stats(total_stats: Sequence[float], order: int = 4) -> float:
    """Corpus BLEU-``order`` in [0, 100] from summed statistics (same formula and smoothing as sacrebleu)."""
    s = [int(x) for x in total_stats]
    sys_len, ref_len, correct, total = s[0], s[1], s[2:6], s[6:10]
    return float(BLEU.compute_bleu(correct[:order], total[:order], sys_len, ref_len, smooth_method="exp", max_ngram_order=order).score)
