"""Scoring every prediction file once (notebook 05): BLEU-1..4, ROUGE-L, TSR and PGER per file, with
bootstrap intervals, into a :class:`ScoreSet` that the tables of :mod:`.metrics_tables` read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import SLTInputError
from ..metrics.bootstrap import DEFAULT_N, DEFAULT_SEED
from ..metrics.pger import DEFAULT_TAGGER, get_tagger
from ..metrics.predictions import Prediction, read_predictions
from ..metrics.score import infer_lang, score_records
from .paper_numbers import DATASET_LABELS
from .prediction_files import PredictionFile, model_key


METRIC_COLUMNS = {"bleu1": "BLEU-1", "bleu2": "BLEU-2", "bleu3": "BLEU-3", "bleu4": "BLEU-4", "rougeL": "ROUGE-L"}


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Scored:
    file: PredictionFile
    records: list[Prediction]
    lang: str
    scores: dict  # slt_nb.metrics.score.score_records output (BLEU 0..100, ROUGE-L/TSR/PGER 0..1, "ci", "signatures")

    @property
    def model(self) -> str:
        return self.file.model


@dataclass
class ScoreSet:
    """Every predictions file scored once; the tables below are views of it."""

    items: list[Scored]
    labels: dict[str, str] = field(default_factory=lambda: dict(DATASET_LABELS))
    tagger: str | None = DEFAULT_TAGGER
    embedder: object = None
    n_boot: int = DEFAULT_N
    seed: int | None = DEFAULT_SEED
    semantic_splits: tuple[str, ...] = ("test",)

    def label(self, dataset: str) -> str:
        return self.labels.get(dataset, dataset)

    def datasets(self) -> list[str]:
        order = list(self.labels)
        names = {s.file.dataset for s in self.items}
        return sorted(names, key=lambda d: (order.index(d) if d in order else len(order), d))

    def select(self, *, dataset: str | None = None, split: str | None = None, model: str | None = None) -> list[Scored]:
        out = [s for s in self.items if (dataset is None or s.file.dataset == dataset) and (split is None or s.file.split == split) and (model is None or s.model == model)]
        return sorted(out, key=lambda s: (self.datasets().index(s.file.dataset), s.file.split, model_key(s.model)))

    def get(self, model: str, dataset: str, split: str) -> Scored | None:
        hit = self.select(dataset=dataset, split=split, model=model)
        return hit[0] if hit else None


def _prewarm(embedder, records: Sequence[Prediction]) -> None:
    """Embed every word of the records in one batch (the TSR code embeds sentence by sentence,
    many tiny forward passes); the embedder's word cache then serves TSR."""
    from ..metrics.text import word_tokens
    from ..metrics.tsr import get_embedder

    words = sorted({w for r in records for t in (r.reference, r.prediction) for w in word_tokens(t)})
    if words:
        get_embedder(embedder)(words)


def score_predictions(
    files: Sequence[PredictionFile],
    *,
    labels: dict[str, str] | None = None,
    tagger=DEFAULT_TAGGER,
    embedder=None,
    n_boot: int = DEFAULT_N,
    seed: int | None = DEFAULT_SEED,
    semantic_splits: Sequence[str] = ("test",),
    fallback: bool = False,
    trust_flair_pickle: bool = False,
) -> ScoreSet:
    """Score every file: BLEU-1..4 and ROUGE-L with 95% bootstrap intervals on every split, TSR and
    PGER only on ``semantic_splits`` (the paper reports them on the test sets; the others get None).

    ``tagger`` / ``embedder`` (names, hub ids or objects; see :mod:`slt_nb.metrics.score`) are resolved
    once, here: ``fallback`` lets the offline stand-ins score when a paper model cannot be loaded (a
    warning, and signatures that say ``fallback:``); ``trust_flair_pickle`` lets flair's own unpickler
    load a FLAIR file that the restricted loader refuses."""
    from ..metrics.tsr import get_embedder

    if tagger is not None and not (isinstance(tagger, str) and tagger.lower() == "none"):
        tagger = get_tagger(tagger, fallback=fallback, trust_flair_pickle=trust_flair_pickle)
    if not (isinstance(embedder, str) and embedder.lower() == "none"):
        embedder = get_embedder(embedder, fallback=fallback)
    loaded = [(f, read_predictions(f.path)) for f in files]
    if not (isinstance(embedder, str) and embedder.lower() == "none"):
        _prewarm(embedder, [r for f, recs in loaded if f.split in semantic_splits for r in recs])
    items = []
    for f, records in loaded:
        lang = infer_lang(records, path=f.path)
        semantic = f.split in semantic_splits
        scores = score_records(
            records, lang=lang, tagger=tagger if semantic else None, embedder=embedder if semantic else "none", ci=True, n_boot=n_boot, seed=seed,
            file=f.path,
        )
        if scores.get("dataset") not in (None, f.dataset):
            raise SLTInputError(f"records say dataset {scores['dataset']!r} but the file name says {f.dataset!r}", file=f.path)
        items.append(Scored(file=f, records=records, lang=lang, scores=scores))
    return ScoreSet(
        items=items,
        labels={**DATASET_LABELS, **(labels or {})},
        tagger=tagger,
        embedder=embedder,
        n_boot=n_boot,
        seed=seed,
        semantic_splits=tuple(semantic_splits),
    )


def provenance_note(ss: ScoreSet) -> str:
    hashes = sorted({str(s.scores.get("params_hash")) for s in ss.items})
    return f"Predictions: {len(ss.items)} files from run(s) with params hash {', '.join(f'`{h}`' for h in hashes)}."
