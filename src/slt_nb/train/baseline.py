"""The majority-sentence baseline: answer every clip with the most frequent training sentence.

The yardstick of the embedded default ("the fine-tuned model's BLEU-4 must be at least twice the
baseline's"): a model that ignores the video and always says the corpus's commonest sentence.
Ties are broken by first occurrence in the training manifest. Its predictions are written in the
same JSONL format as a model's (``baseline.<dataset>.<split>.jsonl``, model ``baseline``), so
every table scores them alike.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..errors import SLTInputError
from ..io import write_jsonl

BASELINE = "baseline"


def majority_sentence(samples) -> str:
    """The most frequent ``text`` of ``samples`` (first occurrence wins a tie)."""
    texts = [s.text for s in samples]
    if not texts:
        raise SLTInputError("no training sentences for the majority baseline", hint="run 01_data_prep first")
    counts = Counter(texts)  # insertion-ordered: most_common keeps first-seen order among equal counts
    return counts.most_common(1)[0][0]


def baseline_rows(samples, sentence: str, *, params_hash: str | None = None) -> list[dict]:
    return [{"id": s.id, "dataset": s.dataset, "split": s.split, "reference": s.text, "prediction": sentence, "model": BASELINE,
             "params_hash": params_hash} for s in samples]


def write_baseline(record: dict, splits=("dev", "test"), *, out_dir: str | Path, params_hash: str | None = None) -> dict:
    """Write ``<out_dir>/baseline.<dataset>.<split>.jsonl`` for a prepared dataset; returns
    ``{"sentence": ..., split: path}``."""
    from ..data.prepare import load_split

    sentence = majority_sentence(load_split(record, "train"))
    out: dict = {"sentence": sentence}
    for split in splits:
        samples = load_split(record, split)
        if samples:
            out[split] = write_jsonl(Path(out_dir) / f"{BASELINE}.{record['name']}.{split}.jsonl", baseline_rows(samples, sentence, params_hash=params_hash))
    return out
