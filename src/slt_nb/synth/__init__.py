"""The embedded synthetic sign-language corpus.

Real SLT datasets cannot be downloaded here, so the default run generates one: sentences from
a small German (weather, PHOENIX-like) or English (instructions, How2Sign-like) grammar with
Zipf-distributed word frequencies, each with glosses in sign order, rendered as clips of a
procedural 2D signer and written in the released PHOENIX-2014T or How2Sign on-disk format.

    >>> from slt_nb.synth import generate
    >>> root = generate("data/synth", "phoenix", "de", seed=0)  # doctest: +SKIP
"""

from .formats import FORMATS
from .grammar import LANGS, Grammar, Sentence
from .render import render_clip
from .signer import Signer, make_signers
from .signs import Sign, SignBook
from .write import SynthConfig, dataset_root, generate

__all__ = [
    "FORMATS",
    "LANGS",
    "Grammar",
    "Sentence",
    "Sign",
    "SignBook",
    "Signer",
    "SynthConfig",
    "dataset_root",
    "generate",
    "make_signers",
    "render_clip",
]
