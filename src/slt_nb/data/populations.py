"""Which clips a statistic is computed on: a split, several splits, or the release before cleaning.

The small-VLM paper's Tables 2 and 6 do not all count the same clips. Its numbers, set beside each
dataset's known split sizes, say which population each row counts (:data:`PAPER_POPULATIONS`, the
evidence beside each reading; our inference, the paper states none of it):

* Table 2: PHOENIX-2014T's 7,096 videos are its train split; How2Sign's 31,047 its train clips; OpenASL's
  97,233 exceed its train split (96,476 of 98,417 clips in the OpenASL paper, Shi et al. 2022), so dev and/or
  test clips are in it (all splits, less the clips that could not be downloaded, is the reading that fits); iSign's
  127,237 are the whole v1.1 release before the paper's cleaning (App. A: "from 126,000" after it).
* Table 6: PHOENIX-2014T's 99,081 tokens / 2,887 types are its train split's running words and
  vocabulary; How2Sign's 41,421 tokens are ~1.3 per train clip, far too few for the train split and the
  size of its test split; OpenASL and iSign count the clips of their Table 2 rows (~14 and ~10 words each).

A population is written as:

* ``"train"``, ``"dev"``, ``"test"`` or several joined by ``+`` (``"train+dev"``): those splits of the
  prepared manifests (after the field's drops and the paper's cleaning, as every notebook sees them);
* ``"all"``: every split of the prepared manifests;
* ``"release"``: every row of the release whose clip is on disk, *before* the paper's own cleaning: the
  prepared clips of every split plus the rows the paper's filters removed (iSign, App. A: invalid
  translation, no person detected, not in the vocabulary-aware subset), which 01_data_prep writes to
  ``<dataset>.filtered.jsonl`` with their text and frame count. For a dataset without such filters it
  is ``"all"``. Rows the field drops (a clip not on disk) have no frames to count and are in no population.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

from ..errors import SLTInputError
from .manifest import DATASETS, SPLITS

POPULATION_PATTERN = r"^(release|all|(train|dev|test)(\+(train|dev|test))*)$"  # params_schema's rule
TABLES = ("table2", "table6")

# table -> dataset -> (population, evidence). CSL-Daily is not in the small-VLM paper: its train split, as PHOENIX-2014T.
PAPER_POPULATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "table2": {
        "phoenix": ("train", "paper 7,096 = the train split (7,096 / 519 / 642)"),
        "how2sign": ("train", "paper 31,047 ~ the 31,048 train clips released (of 31,165 CSV rows, how2sign.github.io#23)"),
        "openasl": ("all", "paper 97,233 > the train split (96,476 of 98,417 clips, Shi et al. 2022): all splits, less clips not downloaded"),
        "isign": ("release", "paper 127,237 = the whole v1.1 release before the App. A cleaning (~126,000 after it)"),
        "csl-daily": ("train", "not in the paper: the train split, as PHOENIX-2014T"),
    },
    "table6": {
        "phoenix": ("train", "paper 99,081 tokens / 2,887 types = the train split's running words and vocabulary"),
        "how2sign": ("test", "paper 41,421 tokens = ~1.3 per train clip: not the train split; the size of the ~2.4k-sentence test split"),
        "openasl": ("all", "as its Table 2 row: 1,371,021 tokens = ~14.1 words per clip of the 97,233"),
        "isign": ("release", "as its Table 2 row: 1,320,855 tokens = ~10.4 words per video of the 127,237"),
        "csl-daily": ("train", "not in the paper: the train split, as PHOENIX-2014T"),
    },
}


class PopRow(NamedTuple):
    """One clip of a population: ``split`` is None for a row the paper's cleaning removed before any
    split was drawn; ``n_frames`` is None for such a row whose clip could not be counted."""

    id: str
    split: str | None
    text: str
    n_frames: int | None


def check_population(population: str, *, where: str = "population") -> str:
    """``population`` if it is one of the forms above, else :class:`SLTInputError`."""
    if not isinstance(population, str) or not re.match(POPULATION_PATTERN, population):
        raise SLTInputError(f"{where} = {population!r} is not a population", hint="train | dev | test | train+dev ... | all | release (slt_nb.data.populations)")
    return population


def populations_for(table: str, overrides: dict | None = None) -> dict[str, tuple[str, str]]:
    """dataset -> (population, provenance) for ``table`` ("table2" | "table6"): the paper's reading
    (:data:`PAPER_POPULATIONS`) unless ``overrides`` (a notebook parameter) sets a dataset's."""
    if table not in PAPER_POPULATIONS:
        raise ValueError(f"table must be one of {TABLES}, got {table!r}")
    out = dict(PAPER_POPULATIONS[table])
    for name, pop in (overrides or {}).items():
        if name not in DATASETS:
            raise SLTInputError(f"{table} population for unknown dataset {name!r}", hint=f"allowed: {', '.join(DATASETS)}")
        out[name] = (check_population(pop, where=f"{table} population of {name}"), "set in params")
    return out


def describe(population: str) -> str:
    """Words for the table column: "train split", "train + dev splits", "all splits", "release, before cleaning"."""
    if population == "release":
        return "release, before cleaning"
    if population == "all":
        return "all splits"
    parts = population.split("+")
    return " + ".join(parts) + (" split" if len(parts) == 1 else " splits")


def population_rows(record: dict, population: str) -> list[PopRow]:
    """The clips of one prepared dataset (a ``datasets.json`` record) in ``population``, in split order
    (train, dev, test), then the rows the paper's cleaning removed (``release``), in file order.
    A population without any clip is an :class:`SLTInputError` (never a row of zeros)."""
    from .prepare import load_split

    check_population(population)
    splits = SPLITS if population in ("all", "release") else tuple(s for s in SPLITS if s in population.split("+"))
    rows = [PopRow(s.id, s.split, s.text, s.n_frames) for split in splits for s in load_split(record, split)]
    if population == "release":
        rows += read_filtered(record)
    if not rows:
        raise SLTInputError(
            f"population {population!r} of dataset {record.get('label', record['name'])!r} holds no clips",
            hint=f"its prepared splits: {sorted(s for s, p in record['manifests'].items() if p)}; set another population in params",
        )
    return rows


def read_filtered(record: dict) -> list[PopRow]:
    """The rows of ``<dataset>.filtered.jsonl`` (written by 01_data_prep; none when the record names no such file)."""
    path = record.get("filtered")
    if not path:
        return []
    path = Path(path)
    if not path.exists():
        raise SLTInputError("filtered rows file not found", file=path, hint="run notebook 01_data_prep again (`slt-nb reproduce --only 01_data_prep`)")
    out = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            try:
                rec = json.loads(line)
                out.append(PopRow(str(rec["id"]), None, str(rec["text"]), rec["n_frames"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise SLTInputError(f"bad filtered row ({type(exc).__name__}: {exc})", file=path, line=i, hint="run notebook 01_data_prep again") from None
    return out
