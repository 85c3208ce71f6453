"""iSign's released layout (read by :func:`slt_nb.data.isign.load_isign`)::

    iSign_v1.1.csv        uid,text   (standard CSV quoting, one header line)
    videos/<uid>.mp4

iSign has no split: the loader cleans the rows (paper Appendix A), draws the vocabulary-aware
subset and splits them with its own seed. So ``n_train + n_dev + n_test`` is the number of
signed rows with a valid translation written here, not a split. Beside them, the rows the
cleaning must drop, so that it has something real to count:

* ``n_invalid_text`` rows whose video is signed but whose text is no translation (empty,
  ``nan``, ``n/a``, ``-``, digits or punctuation only: :func:`slt_nb.data.clean.is_valid_translation`);
* ``n_no_signer`` rows with a sentence whose video shows the studio with nobody in it
  (:func:`.render.render_empty`), which the person detector (MediaPipe pose) rejects.

A ``uid`` is ``<source video>-<segment>`` (12 hex digits, then the segment number; our naming).
Rows are sorted by uid, so the dropped rows sit among the others.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..io import write_text
from .formats import Clip, Format
from .planning import NAMES, SENTENCES, draw_sentence, signer_weights

CSV = "iSign_v1.1.csv"
EXTRA = "extra"
INVALID_TEXTS = ("", "nan", "n/a", "-", "???", "NULL", "123")  # every one fails is_valid_translation
_HEX = "0123456789abcdef"


def _natural(uid: str) -> tuple[str, int]:
    video, _, segment = uid.rpartition("-")
    return video, int(segment)


class ISign(Format):
    """iSign: Indian Sign Language segments of news and daily-life videos, one csv for all."""

    name, lang, size, fps, media = "isign", "en-in", (96, 96), 25, "mp4"
    unique_groups = True
    has_extras = True

    def group_name(self, rng: np.random.Generator) -> str:
        return "".join(_HEX[i] for i in rng.integers(0, 16, 12))

    def make_clip(self, split, group, signer, camera, first, j, number, sentence, rng) -> Clip:
        return Clip(split, f"{group}-{first + j}", group, signer, sentence.text, sentence.glosses)

    def plan(self, grammar, seed: int, cfg) -> dict[str, list[Clip]]:
        """The signed rows (:meth:`Planner.plan`), then the ``extra`` rows the cleaning drops: invalid texts
        first, then the clips without a signer, each its own source video (streams ``[seed, SENTENCES|NAMES, 3]``)."""
        plan = super().plan(grammar, seed, cfg)
        taken = {c.group for clips in plan.values() for c in clips}
        srng, nrng = np.random.default_rng([seed, SENTENCES, 3]), np.random.default_rng([seed, NAMES, 3])
        p_signer = signer_weights(cfg.n_signers)
        extra: list[Clip] = []
        while len(extra) < cfg.n_invalid_text + cfg.n_no_signer:
            group = self.group_name(nrng)
            if group in taken:
                continue
            taken.add(group)
            signer = int(nrng.choice(cfg.n_signers, p=p_signer))
            sentence = draw_sentence(grammar, srng, grammar.draw_domain(srng), cfg.min_glosses, cfg.max_glosses)
            clip = Clip(EXTRA, f"{group}-{int(nrng.integers(0, 10))}", group, signer, sentence.text, sentence.glosses)
            if len(extra) < cfg.n_invalid_text:
                clip.text = INVALID_TEXTS[len(extra) % len(INVALID_TEXTS)]
            else:
                clip.empty, clip.n_frames = True, int(round(nrng.uniform(1.5, 4.0) * cfg.fps))
            extra.append(clip)
        plan[EXTRA] = extra
        return plan

    def clip_path(self, root: Path, clip: Clip) -> Path:
        return root / "videos" / f"{clip.name}.mp4"

    def generated_paths(self, root: Path) -> list[Path]:
        return [root / CSV, root / "videos"]

    def write_annotations(self, root, plan, speakers, fps) -> None:
        rows = sorted(((c.name, c.text) for clips in plan.values() for c in clips), key=lambda r: _natural(r[0]))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(("uid", "text"))
        writer.writerows(rows)
        write_text(root / CSV, buf.getvalue())
