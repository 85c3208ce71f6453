"""Compact filler specs for the lexicons (see :mod:`.grammar` for what a filler is).

A spec is a comma-separated list of ``GLOSS:form[:form...]`` items; glosses may hold spaces
(several glosses for one filler), forms may not hold ``:`` or ``,``.
"""

from __future__ import annotations


def verbs(spec: str) -> list[tuple[str, str, str]]:
    """'GLOSS:base:ing, ...' -> fillers; ``ing`` defaults to base + 'ing'."""
    out = []
    for item in spec.split(","):
        gloss, base, *ing = item.strip().split(":")
        out.append((gloss, base, ing[0] if ing else base + "ing"))
    return out


def objs(spec: str) -> list[tuple[str, str, str]]:
    """'GLOSS:noun[:a-phrase], ...' -> fillers; the a-phrase defaults to 'a noun'."""
    out = []
    for item in spec.split(","):
        gloss, noun, *a = item.strip().split(":")
        out.append((gloss, noun, a[0] if a else f"a {noun}"))
    return out


def plain(spec: str) -> list[tuple[str, ...]]:
    """'GLOSS:form[:form...], ...' -> fillers, every form given."""
    return [tuple(item.strip().split(":")) for item in spec.split(",")]
