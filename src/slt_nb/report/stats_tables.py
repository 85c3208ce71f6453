"""Notebook 02's tables and figure data: Table 2 and Table 6 over the prepared datasets."""

from __future__ import annotations

import pandas as pd

from ..data.prepare import load_split
from ..data.stats import frame_stats, rank_frequency, vocab_stats
from .signature import signature

# CSL-Daily is Chinese, counted (and later scored) at character level.
DEFAULT_TOKENIZERS = {"csl-daily": "chars"}


def tokenizer_for(name: str, overrides: dict | None = None) -> str:
    return {**DEFAULT_TOKENIZERS, **(overrides or {})}.get(name, "words")


def table2(records: list[dict], *, split: str = "train", long_threshold: int = 300, t_max: int = 64) -> pd.DataFrame:
    """Table 2 rows (ours): total videos, average frames, videos over the threshold, and over T_max."""
    rows = []
    for rec in records:
        st = frame_stats(load_split(rec, split), long_threshold=long_threshold, t_max=t_max)
        rows.append(
            {
                "Dataset": rec["label"],
                "Total videos": st["total_videos"],
                "Avg. frame count": st["avg_frames"],
                f"Frame count > {long_threshold}": st[f"over_{long_threshold}"],
                f"Frame count > T_max ({t_max})": st["over_t_max"],
                "Min frames": st["min_frames"],
                "Max frames": st["max_frames"],
            }
        )
    return pd.DataFrame(rows)


def table6(records: list[dict], *, split: str = "train", rare_below: int = 10, frequent_above: int = 100, tokenizers: dict | None = None) -> pd.DataFrame:
    """Table 6 rows (ours): tokens, unique tokens, types with frequency < 10 and > 100."""
    rows = []
    for rec in records:
        tok = tokenizer_for(rec["name"], tokenizers)
        st = vocab_stats((s.text for s in load_split(rec, split)), tokenizer=tok, rare_below=rare_below, frequent_above=frequent_above)
        rows.append(
            {
                "Dataset": rec["label"],
                "No. of tokens": st["tokens"],
                "No. of unique tokens": st["unique_tokens"],
                f"Token freq. < {rare_below}": st[f"freq_lt_{rare_below}"],
                f"Token freq. > {frequent_above}": st[f"freq_gt_{frequent_above}"],
                "Tokenizer": tok,
            }
        )
    return pd.DataFrame(rows)


def table2_signature(split: str, long_threshold: int, t_max: int) -> str:
    return signature(split=split, frames="manifest-count", long=f">{long_threshold}", tmax=t_max)


def table6_signature(split: str, rare_below: int, frequent_above: int) -> str:
    return signature(split=split, tok="nfc-lower-ws-strip-punct+chars-for-csl-daily", rare=f"<{rare_below}", frequent=f">{frequent_above}", unit="types")


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
