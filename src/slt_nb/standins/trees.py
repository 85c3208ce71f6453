"""Small dataset trees in the five released formats, for the rehearsal of the real path.

:func:`write_trees` lays out, under one folder, a few clips of each dataset exactly as its release does,
so the real loaders (:mod:`slt_nb.data`) read them unchanged. Every tree is the synthetic corpus
(:func:`slt_nb.synth.generate`, one mechanism for all five formats), each in its own language and style:

* ``phoenix/PHOENIX-2014-T/…`` (German weather) and ``how2sign/…`` (English instructions);
* ``openasl/openasl-v1.0.tsv`` + ``clips/<vid>.mp4`` (English news; ids ``<yid>-HH:MM:SS.mmm-HH:MM:SS.mmm``,
  ``:`` included; split values ``train``/``valid``/``test``);
* ``isign/iSign_v1.1.csv`` (``uid,text``) + ``videos/<uid>.mp4`` (Indian English), with one clip of an
  empty studio (no signer: the Appendix A pose filter drops it) and one row whose text is not a
  translation (dropped as invalid), so the cleaning has something real to count;
* ``csl-daily/CSL-Daily/…`` (Chinese, glosses in sign order; a label pickle of plain dicts/lists, as
  released, ``split_1.txt`` and JPEG frame folders).

Returns {dataset: root for the params' ``datasets``}.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..synth.catalog import FORMATS
from ..synth.write import STAMP

DATASETS = ("phoenix", "how2sign", "openasl", "isign", "csl-daily")
WRITTEN_BY_HAND = ("openasl", "isign", "csl-daily")  # earlier versions wrote these trees without a stamp


def write_trees(out: str | Path, *, n_train: int = 6, n_dev: int = 2, n_test: int = 2, seed: int = 0, progress: bool = False) -> dict[str, Path]:
    """The five trees under ``out`` (see the module docstring); {dataset name: root for the params' ``datasets``}.
    iSign gets ``n_train + n_dev + n_test + 4`` usable rows so that its seeded 86/7/7 split has a dev and a test clip,
    plus one clip without a signer and one row without a translation."""
    from ..synth import generate

    out = Path(out)
    small = dict(n_train=n_train, n_dev=n_dev, n_test=n_test, width=40, height=48, n_signers=2, max_glosses=4)
    extra = {"isign": dict(n_train=n_train + 4, n_no_signer=1, n_invalid_text=1)}
    roots = {}
    for name in DATASETS:
        if name in WRITTEN_BY_HAND and (out / name).exists() and not (FORMATS[name].root(out / name) / STAMP).exists():
            shutil.rmtree(out / name)  # this function's own tree from before these formats were generated
        generate(out / name, name, seed=seed, progress=progress, **{**small, **extra.get(name, {})})
        roots[name] = out / name
    return roots
