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
from .limits import check_lengths
from .ranges import Bounded, ranged, ranged_field
from .text import TOKENIZER_ID, UnicodeTokenizer

_SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False, tokenizer=UnicodeTokenizer())


@dataclass
class RougeResult(Bounded):
    score: float = ranged_field("rougeL")  # mean sentence-level ROUGE-L F, in [0, 1]
    per_sentence: np.ndarray = ranged_field("rougeL")  # (N,), each in [0, 1]
    signature: str


def rouge_signature() -> str:
    return signature(
        metric="rougeL", impl=f"rouge-score-{version('rouge-score')}", tok=TOKENIZER_ID, cjk="char", stem="no", avg="sentence-f-mean", scale="0-1"
    )


@ranged("rougeL")
def sentence_rouge_l(hyp: str, ref: str) -> float:
    """ROUGE-L F-measure of one prediction against its reference, in [0, 1]."""
    return float(_SCORER.score(ref, hyp)["rougeL"].fmeasure)


def rouge_l(hyps: Sequence[str], refs: Sequence[str]) -> RougeResult:
    """Corpus ROUGE-L (mean of the N sentence F-measures, in [0, 1]) and the (N,) sentence scores.

    rouge-score's LCS table is |pred| x |ref| words (Python lists): a sentence longer than
    :data:`~.limits.MAX_SENTENCE_CHARS` raises :class:`~slt_nb.errors.SLTInputError`; ValueError if the
    lists differ in length."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
    check_lengths(hyps, refs)
    per = np.array([sentence_rouge_l(h, r) for h, r in zip(hyps, refs)], dtype=float)
    return RougeResult(score=float(per.mean()) if len(per) else 0.0, per_sentence=per, signature=rouge_signature())
