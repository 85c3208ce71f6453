"""Unicode-aware ROUGE-L: sentence-level F-measure averaged over the corpus.

Computed with ``rouge_score.rouge_scorer.RougeScorer(['rougeL'], tokenizer=UnicodeTokenizer())``
(rouge-score's LCS, no stemming — its Porter stemmer is English-only); the tokenizer is
:class:`~slt_nb.metrics.text.UnicodeTokenizer` (NFC, lowercase, runs of letters/digits, one token
per Chinese character). Per sentence: LCS-based F1 = 2PR/(P+R); an empty prediction (or one with
no word tokens) scores 0. The corpus figure is the plain mean over sentences, on a 0..1 scale
(the paper's tables print it ×100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
from rouge_score import rouge_scorer

from ..report.signature import signature
from .text import TOKENIZER_ID, UnicodeTokenizer

_SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False, tokenizer=UnicodeTokenizer())


@dataclass
class RougeResult:
    score: float  # mean sentence-level ROUGE-L F (0..1)
    per_sentence: np.ndarray
    signature: str


def rouge_signature() -> str:
    return signature(
        metric="rougeL", impl=f"rouge-score-{version('rouge-score')}", tok=TOKENIZER_ID, cjk="char", stem="no", avg="sentence-f-mean", scale="0-1"
    )


def sentence_rouge_l(hyp: str, ref: str) -> float:
    """ROUGE-L F-measure of one prediction against its reference (0..1)."""
    return float(_SCORER.score(ref, hyp)["rougeL"].fmeasure)


def rouge_l(hyps: Sequence[str], refs: Sequence[str]) -> RougeResult:
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
    per = np.array([sentence_rouge_l(h, r) for h, r in zip(hyps, refs)], dtype=float)
    return RougeResult(score=float(per.mean()) if len(per) else 0.0, per_sentence=per, signature=rouge_signature())
