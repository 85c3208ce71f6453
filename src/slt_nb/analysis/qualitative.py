"""Qualitative examples picked by a stated rule, never by hand (paper Tables 7, 10, 11).

:data:`SELECTION_RULE`: every sample of the primary system is scored with sentence BLEU
(sacrebleu ``sentence_score``, BLEU-4, ``effective_order=True``, the corpus BLEU tokenisation
for the language). Sorted by (score, id) ascending — ties broken by id — the **worst** k are the
first k, the **best** k are the last k taken in descending score order (ties again by id
ascending), and the **median** k are the k consecutive items of the ascending order starting at
position (N−1)//2 − k//2 (centred on the lower median; for even k one more below it than above;
clamped to the list). With N < 3k the three groups may share samples. Other systems' predictions for
the same ids are shown beside (as in Table 7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..errors import SLTInputError
from ..metrics.bleu import sentence_bleu
from ..metrics.predictions import Prediction

SELECTION_RULE = (
    "sentence BLEU-4 of the primary system (sacrebleu sentence_score, effective_order=True); "
    "best k, median k (k consecutive items from (N-1)//2 - k//2 of the ascending order) and worst k, ties broken by id"
)


def sentence_scores(records: Sequence[Prediction], *, lang: str) -> list[tuple[str, float]]:
    return [(r.id, sentence_bleu(r.prediction, r.reference, lang=lang)) for r in records]


def pick_examples(
    records: Sequence[Prediction],
    *,
    lang: str,
    k: int = 1,
    others: Mapping[str, Sequence[Prediction]] | None = None,
    primary_name: str = "prediction",
) -> pd.DataFrame:
    """Rows ``rule, rank, id, sentence_bleu, reference, <primary_name>, <other names>...``."""
    if not records:
        raise SLTInputError("no records to pick examples from")
    by_id = {r.id: r for r in records}
    scores = sentence_scores(records, lang=lang)
    asc = sorted(scores, key=lambda s: (s[1], s[0]))
    desc = sorted(scores, key=lambda s: (-s[1], s[0]))
    mid = (len(asc) - 1) // 2
    start = max(0, min(mid - k // 2, len(asc) - k))
    groups = {"best": desc[:k], "median": asc[start : start + k], "worst": asc[:k]}
    other_maps = {name: {r.id: r for r in recs} for name, recs in (others or {}).items()}
    rows = []
    for rule, picked in groups.items():
        for rank, (sid, sc) in enumerate(picked, 1):
            rec = by_id[sid]
            row = {"rule": rule, "rank": rank, "id": sid, "sentence_bleu": sc, "reference": rec.reference, primary_name: rec.prediction}
            for name, m in other_maps.items():
                row[name] = m[sid].prediction if sid in m else None
            rows.append(row)
    return pd.DataFrame(rows)
