"""The stated range of every reported metric, and the one step that keeps values inside it.

Every value that leaves the metric layer — corpus scores, per-sentence scores, bootstrap intervals and
means, paired-bootstrap scores, differences, p-values and win rates — passes :func:`bound` with the name
of its metric. The range is stated where the metric is defined: ``@ranged("bleu")`` above a function
that returns scores, ``ranged_field("bleu")`` on a field of a result dataclass that derives from
:class:`Bounded` (checked when the result is built).

:func:`bound` tells float round-off from a bug:

* a value within :data:`ROUND_OFF` × (width of the range) outside a bound is set to the bound. sacrebleu
  computes BLEU as ``exp(mean(log(precision)))``, so identical text gives ``exp(log(100)) =
  100.00000000000004``; that becomes exactly 100.0;
* a value further outside, a NaN or an infinity (a scalar) raises :class:`MetricRangeError`: a metric that
  produced it is wrong, and no table may print it. Arrays of per-sentence scores may hold NaN, the
  documented marker of a sentence excluded from the average (TSR and PGER: a reference without words).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import field, fields

import numpy as np

# metric -> (lowest, highest) value it can take; the scales the tables and `slt-nb score` report
RANGES: dict[str, tuple[float, float]] = {
    "bleu": (0.0, 100.0),  # sacrebleu BLEU-1..4, corpus and sentence
    "rougeL": (0.0, 1.0),  # ROUGE-L F (the paper's tables print it x100)
    "tsr": (0.0, 1.0),  # Eq. 2 as printed and the recall form
    "pger": (0.0, 1.0),  # Eq. 3
    "probability": (0.0, 1.0),  # p-values, win rates (shares of resamples)
}
ROUND_OFF = 1e-9  # relative to the width of the range: what counts as float round-off

# result keys (score_records, bootstrap) -> metric
_KEY_METRIC = {"bleu1": "bleu", "bleu2": "bleu", "bleu3": "bleu", "bleu4": "bleu", "rougeL": "rougeL", "tsr": "tsr", "tsr_recall": "tsr", "pger": "pger"}


class MetricRangeError(RuntimeError):
    """A metric produced a value outside its stated range by more than round-off: a bug, never bad input."""


def metric_of(key: str) -> str:
    """The metric of a result key (``bleu1``..``bleu4`` -> ``bleu``, ``tsr_recall`` -> ``tsr``, ...); KeyError if none."""
    return _KEY_METRIC[key]


def _bound_float(v: float, lo: float, hi: float, metric: str, what: str) -> float:
    tol = ROUND_OFF * (hi - lo)
    if not math.isfinite(v) or v < lo - tol or v > hi + tol:
        raise MetricRangeError(f"{what or metric} = {v!r} lies outside the range of {metric}, [{lo:g}, {hi:g}] (a bug in the metric)")
    return min(max(v, lo), hi)


def bound(value, metric: str, *, what: str = "", delta: bool = False):
    """``value`` with round-off outside the range of ``metric`` (a key of :data:`RANGES`) set to the bound.

    ``value``: None (passed through), a number (-> float), a numpy array (-> float array of the same shape;
    NaN kept as the marker of an excluded sentence), or a list/tuple/dict of those (bounded item by item).
    ``delta=True``: a difference of two scores, whose range is [-(hi - lo), hi - lo].
    Raises :class:`MetricRangeError` for a value outside by more than round-off, and for a scalar NaN or inf.
    """
    lo, hi = RANGES[metric]
    if delta:
        lo, hi = -(hi - lo), hi - lo
    if value is None:
        return None
    if isinstance(value, Mapping):
        return type(value)({k: bound(v, metric, what=f"{what}[{k!r}]", delta=delta) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(bound(v, metric, what=f"{what}[{i}]", delta=delta) for i, v in enumerate(value))
    if isinstance(value, np.ndarray):
        arr = np.asarray(value, dtype=float)
        finite = arr[~np.isnan(arr)]
        tol = ROUND_OFF * (hi - lo)
        if finite.size and (np.isinf(finite).any() or finite.min() < lo - tol or finite.max() > hi + tol):
            bad = finite[(finite < lo - tol) | (finite > hi + tol) | np.isinf(finite)][0]
            raise MetricRangeError(f"{what or metric}: a value {bad!r} lies outside the range of {metric}, [{lo:g}, {hi:g}] (a bug in the metric)")
        return np.clip(arr, lo, hi)  # NaN stays NaN
    return _bound_float(float(value), lo, hi, metric, what)


def bound_scores(scores: Mapping[str, object], *, what: str = "") -> dict:
    """A dict keyed by result keys (``bleu4``, ``rougeL``, ...), each value bounded by its metric's range."""
    return {k: bound(v, metric_of(k), what=f"{what}{k}") for k, v in scores.items()}


def ranged(metric: str) -> Callable:
    """Decorator: the function's return value is in the range of ``metric`` (passed through :func:`bound`).
    The range is on the wrapper as ``metric_range``."""

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return bound(fn(*args, **kwargs), metric, what=fn.__qualname__)

        wrapper.metric_range = RANGES[metric]
        return wrapper

    return deco


def ranged_field(metric: str, **kwargs):
    """A dataclass field whose value is in the range of ``metric`` (checked by :class:`Bounded`)."""
    return field(metadata={"metric_range": metric}, **kwargs)


class Bounded:
    """Mixin for result dataclasses: fields made with :func:`ranged_field` are bounded when the result is built."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            metric = f.metadata.get("metric_range")
            if metric is not None:
                setattr(self, f.name, bound(getattr(self, f.name), metric, what=f"{type(self).__name__}.{f.name}"))
