"""Bootstrap confidence intervals and paired bootstrap significance (beyond the paper).

Resampling unit: the sentence. For ``n`` resamples (default 1000) the test set's N sentence
indices are drawn N times with replacement using ``numpy.random.default_rng(seed).choice(N,
size=(n, N))`` (seed 12345 by default, sacrebleu's own default), and the corpus metric is
recomputed on each resample: BLEU-k from the summed per-sentence sufficient statistics (exactly
sacrebleu's formula), ROUGE-L as the mean of the resampled sentence scores.

* :func:`bootstrap_ci`: 95% percentile interval, taken as sacrebleu does (the order statistics
  ``n//40`` and ``n - n//40 - 1`` of the sorted resample scores, i.e. the 2.5% / 97.5% points),
  plus the resample mean. The point estimate stays the full-test-set score.
* :func:`paired_bootstrap`: two systems on the same test set, the same resamples for both
  (Koehn 2004). The p-value is computed exactly as sacrebleu's ``paired_bs`` test (the Moses
  ``bootstrap-hypothesis-difference-significance.pl`` recipe): with observed difference
  ``d = |B − A|`` and resampled differences ``d_i = |B_i − A_i|``,
  ``p = (#{d_i − mean(d) > d} + 1) / (n + 1)``. With the same seed it reproduces
  ``sacrebleu.significance.PairedTest(test_type='bs')`` (cross-checked in the tests), with one
  deliberate exception: when every resampled difference is exactly 0 (the two systems score the
  same on every resample, e.g. identical outputs) sacrebleu's recipe gives the smallest possible
  p, 1/(n+1); we report p = 1. Koehn's ``win_rate`` (share of resamples where B beats A) is
  reported too.

Every score, interval bound and mean lies in its metric's range, differences in ±(its width), p-values
and win rates in [0, 1] (:mod:`.ranges`: round-off clamped, anything further raises).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..report.signature import signature
from .bleu import bleu_from_stats, sentence_stats
from .limits import check_lengths
from .ranges import bound, bound_scores, metric_of
from .rouge import sentence_rouge_l

METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "rougeL")
DEFAULT_N = 1000
DEFAULT_SEED = 12345


def resample_indices(n_sentences: int, n: int = DEFAULT_N, seed: int | None = DEFAULT_SEED) -> np.ndarray:
    """(n, N) indices; identical to sacrebleu's for the same seed."""
    return np.random.default_rng(seed).choice(n_sentences, size=(n, n_sentences), replace=True)


class _Stats:
    """Per-sentence statistics of one system, for fast corpus scores on resamples."""

    def __init__(self, hyps: Sequence[str], refs: Sequence[str], lang: str, metrics: Sequence[str]) -> None:
        if len(hyps) != len(refs):
            raise ValueError(f"{len(hyps)} predictions but {len(refs)} references")
        if not len(hyps):
            raise ValueError("nothing to resample: no sentences")
        check_lengths(hyps, refs)
        self.metrics = list(metrics)
        unknown = set(self.metrics) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}; expected {METRICS}")
        self.bleu = sentence_stats(hyps, refs, lang=lang).astype(np.float64) if any(m.startswith("bleu") for m in self.metrics) else None
        self.rouge = np.array([sentence_rouge_l(h, r) for h, r in zip(hyps, refs)]) if "rougeL" in self.metrics else None

    def score(self, weights: np.ndarray | None = None) -> dict[str, float]:
        """Corpus scores for a resample given as per-sentence counts (None = the full set)."""
        out = {}
        if self.bleu is not None:
            tot = self.bleu.sum(0) if weights is None else weights @ self.bleu
        if self.rouge is not None:
            r = self.rouge.mean() if weights is None else float(weights @ self.rouge) / weights.sum()
        for m in self.metrics:
            out[m] = bleu_from_stats(tot, int(m[-1])) if m.startswith("bleu") else float(r)
        return bound_scores(out)

    def resampled(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        n_sent = idx.shape[1]
        rows = [self.score(np.bincount(row, minlength=n_sent).astype(np.float64)) for row in idx]
        return {m: np.array([r[m] for r in rows]) for m in self.metrics}


def _interval(scores: np.ndarray) -> tuple[float, float]:
    s = np.sort(scores)
    lo = len(s) // 40
    return float(s[lo]), float(s[len(s) - lo - 1])


def bootstrap_signature(n: int, seed) -> str:
    return signature(test="bootstrap", unit="sentence", n=n, seed=seed, ci="95-percentile")


def bootstrap_ci(
    hyps: Sequence[str], refs: Sequence[str], *, lang: str, metrics: Sequence[str] = METRICS, n: int = DEFAULT_N, seed: int | None = DEFAULT_SEED
) -> dict:
    """``{metric: {"score", "lo", "hi", "mean"}, ..., "signature": ...}``, each value in the metric's range
    (BLEU [0, 100], ROUGE-L [0, 1])."""
    st = _Stats(hyps, refs, lang, metrics)
    full = st.score()
    res = st.resampled(resample_indices(len(hyps), n, seed))
    out: dict = {}
    for m in metrics:
        lo, hi = _interval(res[m])
        out[m] = bound({"score": full[m], "lo": lo, "hi": hi, "mean": float(res[m].mean())}, metric_of(m), what=f"bootstrap {m}")
    out["signature"] = bootstrap_signature(n, seed)
    return out


def paired_bootstrap(
    hyps_a: Sequence[str],
    hyps_b: Sequence[str],
    refs: Sequence[str],
    *,
    lang: str,
    metrics: Sequence[str] = ("bleu4", "rougeL"),
    n: int = DEFAULT_N,
    seed: int | None = DEFAULT_SEED,
) -> dict:
    """Paired bootstrap test of system B against system A (the baseline) on the same references.

    Returns ``{metric: {"a", "b", "delta" (= b − a), "p_value", "win_rate", "a_ci", "b_ci"}, "signature"}``:
    scores and intervals in the metric's range, ``delta`` in ±(its width), ``p_value`` and ``win_rate`` in [0, 1].
    """
    if len(hyps_a) != len(hyps_b):
        raise ValueError(f"systems differ in length: {len(hyps_a)} vs {len(hyps_b)}")
    sa, sb = _Stats(hyps_a, refs, lang, metrics), _Stats(hyps_b, refs, lang, metrics)
    fa, fb = sa.score(), sb.score()
    idx = resample_indices(len(refs), n, seed)
    ra, rb = sa.resampled(idx), sb.resampled(idx)
    out: dict = {}
    for m in metrics:
        d = abs(fb[m] - fa[m])
        sample_diffs = np.abs(rb[m] - ra[m])
        centred = sample_diffs - sample_diffs.mean()
        p = (int(np.sum(centred > d)) + 1) / (n + 1)
        if not sample_diffs.any():  # identical on every resample: sacrebleu would say p = 1/(n+1)
            p = 1.0
        res = {
            "a": fa[m],
            "b": fb[m],
            "delta": fb[m] - fa[m],
            "p_value": p,
            "win_rate": float(np.mean(rb[m] > ra[m])),
            "a_ci": list(_interval(ra[m])),
            "b_ci": list(_interval(rb[m])),
        }
        out[m] = {
            k: bound(v, "probability" if k in ("p_value", "win_rate") else metric_of(m), delta=k == "delta", what=f"paired bootstrap {m} {k}")
            for k, v in res.items()
        }
    out["signature"] = signature(test="paired-bootstrap", unit="sentence", n=n, seed=seed, p="sacrebleu-paired-bs")
    return out
