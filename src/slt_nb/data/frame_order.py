"""The order of the images in a frame folder: by the number in their names (natural sort), or refused.

A frame folder's names carry the frame number: PHOENIX-2014T writes ``images0001.png``, CSL-Daily
``000000.jpg``, other extractors ``frame1.png`` without padding. Text order puts ``frame10.png``
before ``frame2.png``; the number decides here, so ``frame1 … frame12`` come out as 1, 2, …, 12.

Each stem (the name without its image suffix) is split into runs of ASCII digits and the text
between them: ``clip3_f0012`` -> text ``("clip", "_f", "")``, numbers ``(3, 12)``. The order is
the tuple of numbers. It is refused (:class:`~slt_nb.errors.SLTInputError` naming the folder and
two names that show the problem) when it cannot be unambiguous:

* the names follow different patterns (their text differs: ``frame1.png`` and ``img2.png``,
  ``Frame1.png`` and ``frame2.png``, a name without a number beside numbered ones);
* two names carry the same numbers (``img01.png`` and ``img1.png``, ``frame1.png`` and ``frame1.jpg``);
* several names carry no number at all (``a.png``, ``b.png``): nothing says which frame comes first.

A folder of one image is always in order. Files whose names start with ``.`` (hidden files, macOS
``._*`` resource forks) are not frames and are left out by the caller (:func:`~slt_nb.data.frames.list_frame_files`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from ..errors import SLTInputError

_DIGITS = re.compile(r"([0-9]+)")
ORDER_HINT = "name the frames <prefix><number>.<ext> with one prefix and one file per number, e.g. images0001.png, images0002.png, ..."


def name_key(stem: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(text parts, numbers) of a file stem: ``"frame12"`` -> ``(("frame", ""), (12,))``."""
    parts = _DIGITS.split(stem)
    return tuple(parts[0::2]), tuple(int(p) for p in parts[1::2])


def order_frame_files(files: Iterable[str | Path], *, folder: str | Path | None = None, sample: str | None = None) -> list[Path]:
    """The image files of one frame folder in frame order (by the numbers in their names).

    ``files``: the folder's image files, in any order. Returns them as a new list of ``Path``,
    ordered by the numbers of their stems (see the module docstring); ties are impossible: they
    are refused. Raises :class:`SLTInputError` (``file=folder``) when the names cannot be ordered
    unambiguously. Natural sort as in ``natsort``'s default for these names, plus the refusal.
    """
    files = [Path(f) for f in files]
    if len(files) <= 1:
        return files
    keyed = [(name_key(f.stem), f) for f in files]
    where = folder if folder is not None else files[0].parent
    (text0, _), first = keyed[0]
    if all(not nums for (_, nums), _ in keyed):
        raise SLTInputError(
            f"frame names cannot be ordered: none of the {len(files)} images carries a frame number (e.g. {first.name!r})",
            file=where, sample=sample, hint=ORDER_HINT,
        )
    for (text, _), f in keyed[1:]:
        if text != text0:
            raise SLTInputError(
                f"frame names cannot be ordered unambiguously: {first.name!r} and {f.name!r} follow different name patterns",
                file=where, sample=sample, hint=ORDER_HINT,
            )
    keyed.sort(key=lambda kf: (kf[0][1], kf[1].name))
    for (ka, a), (kb, b) in zip(keyed, keyed[1:]):
        if ka[1] == kb[1]:
            raise SLTInputError(
                f"frame names cannot be ordered unambiguously: {a.name!r} and {b.name!r} carry the same frame number",
                file=where, sample=sample, hint=ORDER_HINT,
            )
    return [f for _, f in keyed]
