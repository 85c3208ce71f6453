"""Progress bars: widgets in JupyterLab, a log file in headless runs, never a wall of text in a saved notebook.

Every long loop of the package uses :func:`tqdm` from here (same arguments as ``tqdm.auto.tqdm``):

* in JupyterLab (ipywidgets installed) or a terminal: ``tqdm.auto`` as usual;
* under ``slt-nb reproduce``, which sets ``SLT_NB_PROGRESS_LOG`` to a file per notebook, the bar is written
  to that file (``runs/logs/<notebook>.progress.log``) instead of the kernel's stderr, so the executed
  notebook and its HTML hold no progress lines; the runner also sets ``TQDM_DISABLE=1`` (tqdm's own
  environment override) so that third-party bars (transformers, datasets) stay out of the notebook too.
"""

from __future__ import annotations

import os

PROGRESS_LOG = "SLT_NB_PROGRESS_LOG"
_files: dict[str, object] = {}


def _log(path: str):
    f = _files.get(path)
    if f is None or f.closed:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        f = _files[path] = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (kept open for the process)
    return f


def tqdm(*args, **kwargs):
    """``tqdm.auto.tqdm(*args, **kwargs)``, or a plain text bar into ``$SLT_NB_PROGRESS_LOG`` when that is set
    (an explicit ``file=`` wins; ``disable`` defaults to False there, so the runner's ``TQDM_DISABLE`` does not hide it)."""
    path = os.environ.get(PROGRESS_LOG)
    if path and "file" not in kwargs:
        from tqdm.std import tqdm as text_tqdm

        kwargs.setdefault("disable", False)
        kwargs.setdefault("mininterval", 2.0)
        kwargs.setdefault("ascii", True)
        return text_tqdm(*args, file=_log(path), **kwargs)
    from tqdm.auto import tqdm as auto_tqdm

    return auto_tqdm(*args, **kwargs)
