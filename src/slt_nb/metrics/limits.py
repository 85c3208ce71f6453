"""Input sizes the metrics accept, stated once, and the check that refuses anything larger.

Costs grow faster than the text: ROUGE-L's LCS table is |prediction| x |reference| tokens (Python lists,
rouge-score), TSR compares every word with every other (|words|² similarities; :mod:`.tsr` takes them in
row blocks of 32 MB, so memory stays bounded, but time does not) and HanTa's word analysis grows faster than the
square of a word's characters. So every metric refuses a prediction or reference longer than
:data:`MAX_SENTENCE_CHARS` characters with an :class:`~slt_nb.errors.SLTInputError` naming the file, line
and sample and the limit (before any metric runs when scoring a file: :func:`.score.score_records`).

The limit is far above a sentence: generation stops at 128 new tokens (Sec 4.3), and the five datasets'
references are single sentences. A longer line is a runaway generation or a broken file. Worst cases at the
limit, measured on the 2-core CPU machine: ROUGE-L of two 5,000-character Chinese texts (one token per
character) 19 s and about 300 MB; TSR of such a pair about 45 s (mostly embedding the distinct words), its
similarities in 32 MB blocks; PGER (HanTa) of 5,000 characters in 70-character words about 8 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import SLTInputError

MAX_SENTENCE_CHARS = 5_000  # characters per prediction or reference, for every metric


def check_lengths(
    hyps: Sequence[str],
    refs: Sequence[str],
    *,
    ids: Sequence[str] | None = None,
    lines: Sequence[int | None] | None = None,
    file: str | Path | None = None,
) -> None:
    """Raise :class:`SLTInputError` for the first prediction or reference longer than :data:`MAX_SENTENCE_CHARS`
    characters, naming ``file``, its ``lines[i]`` and ``ids[i]`` when given (else the sentence's position)."""
    for i, (hyp, ref) in enumerate(zip(hyps, refs)):
        for side, text in (("prediction", hyp), ("reference", ref)):
            if len(text) > MAX_SENTENCE_CHARS:
                where = "" if ids is not None or lines is not None else f" (sentence {i + 1})"
                raise SLTInputError(
                    f"{side} of {len(text):,} characters{where} is longer than the metrics accept: "
                    f"at most {MAX_SENTENCE_CHARS:,} characters per prediction or reference",
                    file=file,
                    line=None if lines is None else lines[i],
                    sample=None if ids is None else ids[i],
                    hint="generation stops at max_new_tokens, so a line this long is a runaway generation or a broken file: cut it or fix the file",
                )
