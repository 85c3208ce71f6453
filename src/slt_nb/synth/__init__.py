"""The embedded synthetic sign-language corpus.

Real SLT datasets cannot be downloaded here, so the default run generates one: sentences from
a small grammar with Zipf-distributed word frequencies (German weather forecasts, English
instructions, English news, Indian English news and daily life, Chinese daily life), each with
glosses in sign order, rendered as clips of a procedural 2D signer and written in a released
on-disk format: PHOENIX-2014T, How2Sign, OpenASL, iSign or CSL-Daily (:mod:`.catalog`).

    >>> from slt_nb.synth import generate
    >>> root = generate("data/synth", "phoenix", "de", seed=0)  # doctest: +SKIP
"""

from .catalog import FORMATS
from .grammar import LANGS, Grammar, Sentence
from .render import render_clip, render_empty
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
    "render_empty",
]
