"""Every format the synthetic corpus can be written in, by the dataset name its loader is registered under
(:data:`slt_nb.data.loaders.LOADERS`), so a params entry ``{name: csl-daily, synth: {...}}`` needs no format key."""

from __future__ import annotations

from .fmt_csl_daily import CSLDaily
from .fmt_isign import ISign
from .fmt_openasl import OpenASL
from .formats import Format, How2Sign, Phoenix

FORMATS: dict[str, Format] = {f.name: f for f in (Phoenix(), How2Sign(), OpenASL(), ISign(), CSLDaily())}
DEFAULT_LANG = {name: f.lang for name, f in FORMATS.items()}
DEFAULT_SIZE = {name: f.size for name, f in FORMATS.items()}  # (width, height)
DEFAULT_FPS = {name: f.fps for name, f in FORMATS.items()}
