"""iSign text cleaning, the vocabulary-aware subset and the seeded split (paper Appendix A).

The paper removes samples without a valid translation, removes videos without a visible person
(:mod:`.person`), and then reduces the corpus to 50K samples: up to 30,000 that contain at least
one rare word (frequency < 10 over the corpus), plus 20,000 sampled from the rest; 43K / 3.5K /
3.5K for train / dev / test. All those numbers are parameters here.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ..errors import SLTInputError
from .manifest import SPLITS, normalise_split
from .stats import tokenize, word_counts

NAN_LIKE = {"nan", "none", "null", "n/a", "-"}


def is_valid_translation(text: str | None) -> bool:
    """False for a missing, blank or NaN-like text (``nan``, ``none``, ``null``, ``n/a``, ``-``) or one without any letter."""
    if text is None:
        return False
    text = text.strip()
    return bool(text) and text.lower() not in NAN_LIKE and any(ch.isalpha() for ch in text)


def tokens(text: str) -> list[str]:
    """Words of a text, exactly as Table 6 counts them (:func:`slt_nb.data.stats.tokenize`):
    NFC, lowercased, split at whitespace, punctuation stripped from both ends of each token."""
    return tokenize(text, "words")


def word_frequencies(texts: Iterable[str]) -> Counter:
    """How often each word (:func:`tokens`) occurs over the corpus."""
    return word_counts(texts, "words")


@dataclass
class Subset:
    """The outcome of :func:`vocab_subset`: selected ids (corpus order) and the pool sizes."""

    selected: list[str]
    left_out: list[str]
    rare_pool: int
    from_rare: int
    rest_pool: int
    from_rest: int
    rare_words: int
    words: int

    def summary(self) -> str:
        return (
            f"vocabulary-aware subset: {self.rare_words} of {self.words} distinct words are rare; "
            f"{self.from_rare} of {self.rare_pool} samples with a rare word selected, then {self.from_rest} of the "
            f"{self.rest_pool} remaining; {len(self.selected)} selected, {len(self.left_out)} left out"
        )


def vocab_subset(
    items: Sequence[tuple[str, str]],
    *,
    rare_threshold: int = 10,
    n_rare: int = 30_000,
    n_rest: int = 20_000,
    seed: int = 0,
) -> Subset:
    """The paper's vocabulary-aware subset of ``(id, text)`` items.

    Word frequencies are counted over all ``items`` (:func:`tokens`); a word occurring fewer
    than ``rare_threshold`` times is rare. Up to ``n_rare`` items containing a rare word are
    drawn at random (seeded) from those items; then up to ``n_rest`` are drawn from every item
    not selected so far (the paper's "rest of the dataset"). Same items and seed, same subset,
    whatever their order; ``selected`` keeps the corpus order.
    """
    for name, value in (("rare_threshold", rare_threshold), ("n_rare", n_rare), ("n_rest", n_rest)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SLTInputError(f"{name} must be a non-negative integer, got {value!r}", hint="fix the iSign options in params")
    freq = word_frequencies(text for _, text in items)
    rare = {w for w, c in freq.items() if c < rare_threshold}
    order = {sid: i for i, (sid, _) in enumerate(items)}
    rare_pool = [sid for sid, text in items if any(w in rare for w in tokens(text))]
    rng = random.Random(f"isign-subset-{seed}")
    first = set(rng.sample(sorted(rare_pool), min(n_rare, len(rare_pool))))
    rest_pool = sorted(sid for sid, _ in items if sid not in first)
    second = set(rng.sample(rest_pool, min(n_rest, len(rest_pool))))
    chosen = first | second
    return Subset(
        selected=sorted(chosen, key=order.__getitem__),
        left_out=[sid for sid, _ in items if sid not in chosen],
        rare_pool=len(rare_pool),
        from_rare=len(first),
        rest_pool=len(rest_pool),
        from_rest=len(second),
        rare_words=len(rare),
        words=len(freq),
    )


def assign_splits(ids: Sequence[str], fractions: Mapping[str, float], *, seed: int = 0) -> dict[str, str]:
    """id -> split, by a seeded shuffle; dev and test get ``round(fraction * n)`` each, train the rest.

    ``fractions`` maps split names (``val`` accepted for ``dev``) to shares summing to 1.
    """
    shares = {normalise_split(k): float(v) for k, v in fractions.items()}
    if set(shares) != set(SPLITS) or any(v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1) > 1e-6:
        raise SLTInputError(
            f"split fractions {dict(fractions)} must give train, dev and test shares >= 0 summing to 1", hint="e.g. {train: 0.86, dev: 0.07, test: 0.07}"
        )
    shuffled = sorted(ids)
    random.Random(f"isign-split-{seed}").shuffle(shuffled)
    n_dev, n_test = round(shares["dev"] * len(ids)), round(shares["test"] * len(ids))
    split_of = {sid: "dev" for sid in shuffled[:n_dev]}
    split_of.update({sid: "test" for sid in shuffled[n_dev : n_dev + n_test]})
    split_of.update({sid: "train" for sid in shuffled[n_dev + n_test :]})
    return split_of
