"""Table 2 (video-level frame statistics) and Table 6 (vocabulary statistics) of the paper.

Both are computed on one split (the paper: the training split; PHOENIX-2014T's 7,096 videos
in Table 2 is its training set).

Tokenisation for Table 6 (the paper does not state one; ours, stated in every table's
signature): NFC-normalise, lowercase, split on whitespace, strip punctuation from both
ends of each token and drop tokens that were only punctuation (PHOENIX's trailing " .").
``tokenizer="chars"`` counts characters instead (CSL-Daily is scored at character level).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Iterable, Sequence

from .manifest import Sample

TOKENIZERS = ("words", "chars")


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P") or unicodedata.category(ch).startswith("S")


def tokenize(text: str, tokenizer: str = "words") -> list[str]:
    """Tokens of one translation, as counted in Table 6 (see the module docstring)."""
    text = unicodedata.normalize("NFC", text).lower()
    if tokenizer == "chars":
        return [c for c in text if not c.isspace() and not _is_punct(c)]
    if tokenizer != "words":
        raise ValueError(f"unknown tokenizer {tokenizer!r}; expected one of {TOKENIZERS}")
    out = []
    for tok in text.split():
        start, end = 0, len(tok)
        while start < end and _is_punct(tok[start]):
            start += 1
        while end > start and _is_punct(tok[end - 1]):
            end -= 1
        if start < end:
            out.append(tok[start:end])
    return out


def word_counts(texts: Iterable[str], tokenizer: str = "words") -> Counter:
    counts: Counter = Counter()
    for t in texts:
        counts.update(tokenize(t, tokenizer))
    return counts


def frame_stats(samples: Sequence[Sample], *, long_threshold: int = 300, t_max: int = 64) -> dict:
    """Table 2: total videos, average frame count, videos with more than ``long_threshold`` frames.

    ``over_t_max`` (beyond the paper) counts the clips the sampler actually subsamples.
    """
    n = len(samples)
    frames = [s.n_frames for s in samples]
    return {
        "total_videos": n,
        "avg_frames": round(sum(frames) / n, 2) if n else 0.0,
        "over_300" if long_threshold == 300 else f"over_{long_threshold}": sum(f > long_threshold for f in frames),
        "over_t_max": sum(f > t_max for f in frames),
        "min_frames": min(frames) if n else 0,
        "max_frames": max(frames) if n else 0,
    }


def vocab_stats(texts: Iterable[str], *, tokenizer: str = "words", rare_below: int = 10, frequent_above: int = 100) -> dict:
    """Table 6: tokens, unique tokens, tokens with frequency < 10 and > 100 (counted as types)."""
    counts = word_counts(texts, tokenizer)
    return {
        "tokens": sum(counts.values()),
        "unique_tokens": len(counts),
        "freq_lt_10" if rare_below == 10 else f"freq_lt_{rare_below}": sum(c < rare_below for c in counts.values()),
        "freq_gt_100" if frequent_above == 100 else f"freq_gt_{frequent_above}": sum(c > frequent_above for c in counts.values()),
    }


def dataset_stats(samples: Sequence[Sample], *, tokenizer: str = "words", long_threshold: int = 300, t_max: int = 64) -> dict:
    """The figures behind `slt-nb stats`: Table 2 and Table 6 keys in one dict."""
    out = frame_stats(samples, long_threshold=long_threshold, t_max=t_max)
    out.update(vocab_stats((s.text for s in samples), tokenizer=tokenizer))
    return out


def rank_frequency(texts: Iterable[str], tokenizer: str = "words") -> list[tuple[int, str, int]]:
    """(rank, token, count) sorted by decreasing count, ties broken alphabetically (deterministic)."""
    counts = word_counts(texts, tokenizer)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(i + 1, tok, c) for i, (tok, c) in enumerate(ordered)]
