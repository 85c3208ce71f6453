"""What every clip of a synthetic corpus says and who signs it, drawn before anything is rendered.

Random streams (``numpy.random.default_rng([seed, stream, ...])``), one per purpose and split
index ``k`` (0 train, 1 dev, 2 test, 3 the iSign rows its cleaning drops), so that splits never
share draws and each clip renders the same in any process:

* ``[seed, SENTENCES, k]``: sentences (and topic domains) of split ``k``;
* ``[seed, CLIPS, k, i]``: rendering of clip ``i`` of split ``k`` (:mod:`.write`);
* ``[seed, SIGNERS]``: the signers (:func:`.signer.make_signers`);
* ``[seed, NAMES, k]``: group and clip names, the signer of each group, timings of split ``k``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import SLTInputError
from .grammar import Grammar, Sentence

if TYPE_CHECKING:
    from .formats import Clip

SENTENCES, CLIPS, SIGNERS, NAMES = range(4)
SPLITS = ("train", "dev", "test")
PLAN_KEYS = (*SPLITS, "extra")  # plan keys in stream order: k = PLAN_KEYS.index(key)
MAX_REDRAWS = 1000


def draw_sentence(grammar: Grammar, rng: np.random.Generator, domain: str, min_glosses: int, max_glosses: int) -> Sentence:
    """A sentence about ``domain`` whose gloss count is within [min_glosses, max_glosses] (redrawn until it is)."""
    for _ in range(MAX_REDRAWS):
        s = grammar.sentence(rng, domain)
        if min_glosses <= len(s.glosses) <= max_glosses:
            return s
    raise SLTInputError(
        f"the {grammar.lang!r} grammar makes no sentences with {min_glosses}-{max_glosses} glosses",
        hint="widen min_glosses/max_glosses",
    )


def signer_weights(n_signers: int) -> np.ndarray:
    """(n_signers,) probabilities: some signers sign more than others (p ~ 1/sqrt(rank))."""
    p = 1 / np.sqrt(np.arange(1, n_signers + 1))
    return p / p.sum()


class Planner:
    """The default plan: clips in groups (a broadcast, a parent video), each group signed by one
    signer and about one topic domain, 2-8 consecutive sentences each.

    A format supplies ``group_name(rng)``, ``make_clip(...)`` and ``unique_groups``; a format
    with another structure overrides :meth:`plan`.
    """

    unique_groups: bool = True

    def group_name(self, rng: np.random.Generator) -> str:
        raise NotImplementedError

    def make_clip(self, split: str, group: str, signer: int, camera: int, first: int, j: int, number: int, sentence: Sentence,
                  rng: np.random.Generator) -> Clip:
        """Clip ``j`` of a group (``number``: 1-based over the whole corpus); ``rng`` is the names stream."""
        raise NotImplementedError

    def plan(self, grammar: Grammar, seed: int, cfg) -> dict[str, list[Clip]]:
        """Sentences, names and signers of every clip, in order (no rendering); ``cfg`` a resolved ``SynthConfig``."""
        plan: dict[str, list[Clip]] = {}
        groups: set[str] = set()
        number = 0
        p_signer = signer_weights(cfg.n_signers)
        for k, split in enumerate(SPLITS):
            srng, nrng = np.random.default_rng([seed, SENTENCES, k]), np.random.default_rng([seed, NAMES, k])
            clips: list[Clip] = []
            while len(clips) < cfg.n_clips(split):
                group = self.group_name(nrng)
                if group in groups and self.unique_groups:
                    continue
                groups.add(group)
                signer = int(nrng.choice(cfg.n_signers, p=p_signer))
                camera, first = int(nrng.choice([1, 2, 3, 5, 8])), int(nrng.integers(0, 10))
                domain = grammar.draw_domain(srng)  # a broadcast / video keeps to one topic
                for j in range(min(int(nrng.integers(2, 9)), cfg.n_clips(split) - len(clips))):
                    sentence = draw_sentence(grammar, srng, domain, cfg.min_glosses, cfg.max_glosses)
                    number += 1
                    clips.append(self.make_clip(split, group, signer, camera, first, j, number, sentence, nrng))
            plan[split] = clips
        return plan
