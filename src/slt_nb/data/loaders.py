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
from .manifest import DropReport, Sample
from .openasl import load_openasl
from .phoenix import load_phoenix

LOADERS: dict[str, Callable[..., list[Sample]]] = {
    "phoenix": load_phoenix,
    "how2sign": load_how2sign,
    "openasl": load_openasl,
    "isign": load_isign,
    "csl-daily": load_csl_daily,
}

__all__ = ["LOADERS", "LoadResult", "load_dataset"]


def load_dataset(name: str, root: str | Path, **opts) -> LoadResult:
    """Load a released dataset by its canonical name (``phoenix``, ``how2sign``, ``openasl``, ``isign``, ``csl-daily``).

    ``opts`` are the loader's options (``splits`` and the per-dataset ones); an unknown option is
    an error listing the allowed ones. A loader that takes ``notes`` (a list) appends lines for the
    report; one that takes ``drops`` (a :class:`DropReport`) applies paper-mandated filters (iSign).
    """
    loaders = LOADERS
    if name not in loaders:
        raise SLTInputError(f"unknown dataset {name!r}", hint=f"allowed: {', '.join(loaders)}")
    root = Path(root)
    if not root.exists():
        raise SLTInputError(f"dataset root for {name!r} not found", file=root, hint=PARAMS_HINT)
    loader = loaders[name]
    params = inspect.signature(loader).parameters
    allowed = [p for p in params if p not in ("root", "notes", "drops")]
    unknown = sorted(set(opts) - set(allowed))
    if unknown:
        raise SLTInputError(f"unknown option(s) {unknown} for dataset {name!r}", hint=f"allowed: {', '.join(allowed)}")
    result = LoadResult(samples=[])
    extra: dict = {"notes": result.notes} if "notes" in params else {}
    if "drops" in params:
        result.drops = extra["drops"] = DropReport(dataset=name)
    result.samples = loader(root, **opts, **extra)
    return result
