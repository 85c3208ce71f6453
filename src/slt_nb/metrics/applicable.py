"""Metric values that do not apply, printed as "n/a" with the reason: one mechanism for every report.

A metric without a value for an input -- PGER for Chinese, which the small-VLM paper does not define
(:data:`.pger.UNDEFINED_LANGS`), or a PGER tagger without a model for the language -- has no number.
:func:`~.score.score_records` keeps its value None (the numeric API) and its reason in
``scores["not_applicable"][metric]``; every table (:func:`cell`, :func:`reasons`) and the ``slt-nb score``
output (:func:`for_output`) print :data:`NA` in its place with the reason beside it, never ``nan``, an empty
cell or a bare ``null``.
"""

from __future__ import annotations

NA = "n/a"


def cell(value, digits: int = 4):
    """A table cell: ``value`` rounded to ``digits``, or :data:`NA` when there is none (None or NaN)."""
    if value is None or value != value:  # None or NaN
        return NA
    return round(float(value), digits)


def reason_of(scores: dict, metric: str) -> str | None:
    """Why ``metric`` has no value in one file's scores (None when it has one or none was recorded)."""
    return (scores.get("not_applicable") or {}).get(metric)


def reasons(rows: list[tuple[str, dict]], metric: str, label: str) -> list[str]:
    """Table notes: ``"<label> n/a for <where>: <reason>"`` once per distinct (where, reason), in order.
    ``rows``: (where, scores dict) per table row."""
    seen: dict[tuple[str, str], None] = {}
    for where, scores in rows:
        why = reason_of(scores, metric)
        if why:
            seen.setdefault((where, why), None)
    return [f"{label} {NA} for {where}: {why}." for where, why in seen]


def for_output(scores: dict) -> dict:
    """A copy of one file's scores for printing: every metric listed under ``not_applicable`` shows :data:`NA`
    instead of None (the reason stays under ``not_applicable``)."""
    out = dict(scores)
    for metric in scores.get("not_applicable") or {}:
        if out.get(metric) is None:
            out[metric] = NA
    return out
