"""The paper's metric models by hub id, from the local Hugging Face cache only, and the fallback to the
offline stand-ins when one cannot be loaded.

PGER's tagger and TSR's embedder can be named by hub id (``tagger: "flair:flair/upos-multi"``,
``embedder: "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"``). They are looked up in the
cache that ``huggingface_hub`` reads (``$HF_HOME/hub``, or ``HF_HUB_CACHE``) with ``local_files_only`` —
nothing is ever downloaded at run time — and loaded with ``trust_remote_code=False``.

When such a model cannot be loaded and the caller allows it (``fallback=True``; the notebooks'
``metric_fallback`` parameter), the stand-in scores instead: HanTa for the tagger, the packaged
all-MiniLM-L6-v2 for the embedder. Then a :class:`MetricModelFallback` warning says what failed and why,
and the stand-in's name — which goes into every signature and table note — says it is a fallback
(:func:`fallback_name`), e.g. ``hanta-1.2.1(fallback:flair/upos-multi unavailable:not-cached)``, so no
table passes a stand-in off as the paper's metric. Reason codes: ``not-cached`` (not in the cache),
``pickle-refused`` (a FLAIR file the restricted loader refuses, see :mod:`.flair_pickle`),
``unsafe-module`` / ``no-safetensors`` (a sentence-transformers repo that would import code outside
``sentence_transformers`` or has only pickled weights), ``load-failed`` (anything else).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

HUB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
REASONS = ("not-cached", "pickle-refused", "unsafe-module", "no-safetensors", "load-failed")


class MetricModelFallback(UserWarning):
    """A paper metric model could not be loaded: its offline stand-in scores instead (named in the signature)."""


def is_hub_id(spec: str | Path) -> bool:
    """``ORG/NAME`` that is not an existing local path."""
    s = str(spec)
    return bool(HUB_ID_RE.match(s)) and not Path(s).exists()


def hf_cache_dir() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def cached_file(hub_id: str, filename: str, *, cache_dirs: tuple[str | Path | None, ...] = (None,)) -> Path | None:
    """``filename`` of ``hub_id``'s ``main`` snapshot from the first cache that has it (None: huggingface_hub's
    own cache), never from the network; None if no cache has it."""
    from huggingface_hub import hf_hub_download

    for cache_dir in cache_dirs:
        try:
            return Path(hf_hub_download(hub_id, filename, cache_dir=None if cache_dir is None else str(cache_dir), local_files_only=True))
        except Exception:  # noqa: BLE001 - LocalEntryNotFoundError, or a broken cache: not there
            continue
    return None


def snapshot_commit(path: str | Path) -> str | None:
    """The commit of a file inside a hub cache snapshot (``…/snapshots/<commit>/<file>``), else None."""
    parts = Path(path).parts
    if "snapshots" in parts[:-1]:
        i = len(parts) - 1 - parts[::-1].index("snapshots")
        if i + 1 < len(parts):
            return parts[i + 1]
    return None


def versioned(hub_id: str, commit: str | None) -> str:
    """``ORG/NAME@<12 hex digits of the commit>`` (the name a signature carries)."""
    return f"{hub_id}@{commit[:12]}" if commit else hub_id


def fallback_name(standin: str, requested: str, reason: str) -> str:
    """The name of a stand-in scoring in place of ``requested``; '|' never appears (signatures use it)."""
    return f"{standin}(fallback:{requested} unavailable:{reason})".replace("|", "/")


def warn_fallback(what: str, requested: str, standin: str, exc: BaseException, reason: str, *, stacklevel: int = 3) -> None:
    """A :class:`MetricModelFallback` warning; ``stacklevel`` points it at the caller of get_tagger / get_embedder."""
    warnings.warn(
        f"{what} {requested!r} could not be loaded ({reason}: {exc}); scoring with the offline stand-in {standin} instead. "
        f"The signatures say so ('fallback:{requested}'): these are not the paper's metric.",
        MetricModelFallback,
        stacklevel=stacklevel,
    )
