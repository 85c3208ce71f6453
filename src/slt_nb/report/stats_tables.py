"""Notebook 02's tables and figure data: Table 2 and Table 6 over the prepared datasets.

Each dataset's row is computed on the population the paper's number counts (:mod:`slt_nb.data.populations`:
a split, several splits, or the release before the paper's cleaning), named in the ``Population``
column; :func:`population_notes` gives the evidence for each, for the table's notes.
"""

from __future__ import annotations

import pandas as pd

from ..data.populations import describe, population_rows, populations_for
from ..data.prepare import load_split
from ..data.stats import frame_stats, rank_frequency, vocab_stats
from .signature import signature

# CSL-Daily is Chinese, counted (and later scored) at character level.
DEFAULT_TOKENIZERS = {"csl-daily": "chars"}


def tokenizer_for(name: str, overrides: dict | None = None) -> str:
    return {**DEFAULT_TOKENIZERS, **(overrides or {})}.get(name, "words")


def table2(records: list[dict], *, populations: dict | None = None, long_threshold: int = 300, t_max: int = 64) -> pd.DataFrame:
    """Table 2 rows (ours), one per prepared dataset (``records``: ``datasets.json``), on its population
    (``populations``: dataset -> population, overriding the paper's reading, :func:`~slt_nb.data.populations.populations_for`):
    total videos, average frames, videos over the threshold and over T_max. A row the paper's cleaning
    removed whose clip could not be counted is left out of the frame columns and counted in ``Uncounted clips``."""
    pops = populations_for("table2", populations)
    rows = []
    for rec in records:
        pop = pops[rec["name"]][0]
        clips = population_rows(rec, pop)
        counted = [c for c in clips if c.n_frames is not None]
        st = frame_stats(counted, long_threshold=long_threshold, t_max=t_max)
        rows.append(
            {
                "Dataset": rec["label"],
                "Population": describe(pop),
                "Total videos": st["total_videos"],
                "Avg. frame count": st["avg_frames"],
                f"Frame count > {long_threshold}": st[f"over_{long_threshold}"],
                f"Frame count > T_max ({t_max})": st["over_t_max"],
                "Min frames": st["min_frames"],
                "Max frames": st["max_frames"],
                "Uncounted clips": len(clips) - len(counted),
            }
        )
    return pd.DataFrame(rows)


def table6(records: list[dict], *, populations: dict | None = None, rare_below: int = 10, frequent_above: int = 100, tokenizers: dict | None = None) -> pd.DataFrame:
    """Table 6 rows (ours), one per prepared dataset, on its population (as :func:`table2`): tokens,
    unique tokens, types with frequency < 10 and > 100."""
    pops = populations_for("table6", populations)
    rows = []
    for rec in records:
        pop = pops[rec["name"]][0]
        tok = tokenizer_for(rec["name"], tokenizers)
        st = vocab_stats((c.text for c in population_rows(rec, pop)), tokenizer=tok, rare_below=rare_below, frequent_above=frequent_above)
        rows.append(
            {
                "Dataset": rec["label"],
                "Population": describe(pop),
                "No. of tokens": st["tokens"],
                "No. of unique tokens": st["unique_tokens"],
                f"Token freq. < {rare_below}": st[f"freq_lt_{rare_below}"],
                f"Token freq. > {frequent_above}": st[f"freq_gt_{frequent_above}"],
                "Tokenizer": tok,
            }
        )
    return pd.DataFrame(rows)


def population_notes(table: str, records: list[dict], populations: dict | None = None) -> list[str]:
    """One note per prepared dataset: its population and the evidence for it (the paper's number
    against the dataset's split sizes), or "set in params"."""
    pops = populations_for(table, populations)
    return [f"Population of {rec['label']}: {describe(pops[rec['name']][0])} — {pops[rec['name']][1]}." for rec in records]


def population_field(table: str, records: list[dict], populations: dict | None = None) -> str:
    """``phoenix=train,isign=release,...`` for the signature (the prepared datasets, in order)."""
    pops = populations_for(table, populations)
    return ",".join(f"{rec['name']}={pops[rec['name']][0]}" for rec in records)


def table2_signature(population: str, long_threshold: int, t_max: int) -> str:
    """``population``: :func:`population_field`."""
    return signature(population=population, frames="manifest-count", long=f">{long_threshold}", tmax=t_max)


def table6_signature(population: str, rare_below: int, frequent_above: int) -> str:
    """``population``: :func:`population_field`."""
    return signature(population=population, tok="nfc-lower-ws-strip-punct+chars-for-csl-daily", rare=f"<{rare_below}", frequent=f">{frequent_above}", unit="types")


def lengths_frame(records: list[dict], split: str = "train") -> pd.DataFrame:
    """Long format (dataset, n_frames) for the clip-length histogram."""
    return pd.DataFrame([{"dataset": rec["label"], "n_frames": s.n_frames} for rec in records for s in load_split(rec, split)])


def ranks_frame(records: list[dict], split: str = "train", tokenizers: dict | None = None) -> pd.DataFrame:
    """Long format (dataset, rank, token, count) for the rank-frequency plot."""
    rows = []
    for rec in records:
        texts = [s.text for s in load_split(rec, split)]
        rows += [{"dataset": rec["label"], "rank": r, "token": t, "count": c} for r, t, c in rank_frequency(texts, tokenizer_for(rec["name"], tokenizers))]
    return pd.DataFrame(rows)
