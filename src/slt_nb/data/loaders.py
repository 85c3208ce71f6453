"""The real-dataset loaders' registry and :func:`load_dataset` (name -> manifest samples)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable

from ..errors import SLTInputError
from .annotations import PARAMS_HINT, LoadResult
from .csl_daily import load_csl_daily
from .how2sign import load_how2sign
from .isign import load_isign
from .manifest import Sample
from .openasl import load_openasl
from .phoenix import load_phoenix
from .row_issues import RowIssues

LOADERS: dict[str, Callable[..., list[Sample]]] = {
    "phoenix": load_phoenix,
    "how2sign": load_how2sign,
    "openasl": load_openasl,
    "isign": load_isign,
    "csl-daily": load_csl_daily,
}

__all__ = ["LOADERS", "LoadResult", "load_dataset"]


def load_dataset(name: str, root: str | Path, *, strict: bool = False, **opts) -> LoadResult:
    """Load a released dataset by its canonical name (``phoenix``, ``how2sign``, ``openasl``, ``isign``, ``csl-daily``).

    ``opts`` are the loader's options (``splits`` and the per-dataset ones); an unknown option is
    an error listing the allowed ones. Every bad row is collected (:mod:`.row_issues`): rows the
    field drops (missing clips, realigned segments past the end) and the paper's own filters
    (iSign) are left out and counted in ``result.drops`` (a :class:`~.row_issues.DropReport`,
    also summarised in ``result.notes``); any other bad row makes the load raise ONE
    :class:`SLTInputError` listing them all. ``strict=True`` raises for the dropped and cleaned
    rows too. A loader that takes ``notes`` (a list) appends its own lines for the report.
    """
    loaders = LOADERS
    if name not in loaders:
        raise SLTInputError(f"unknown dataset {name!r}", hint=f"allowed: {', '.join(loaders)}")
    root = Path(root)
    if not root.exists():
        raise SLTInputError(f"dataset root for {name!r} not found", file=root, hint=PARAMS_HINT)
    loader = loaders[name]
    params = inspect.signature(loader).parameters
    allowed = [p for p in params if p not in ("root", "notes", "issues")]
    unknown = sorted(set(opts) - set(allowed))
    if unknown:
        raise SLTInputError(f"unknown option(s) {unknown} for dataset {name!r}", hint=f"allowed: {', '.join(allowed + ['strict'])}")
    issues = RowIssues(name, strict=strict)
    result = LoadResult(samples=[], drops=issues.drops)
    extra: dict = {"notes": result.notes} if "notes" in params else {}
    result.samples = loader(root, **opts, **extra, issues=issues)
    summary = issues.drops.summary()
    if summary:
        result.notes.append(summary)
    return result
