"""Notebook 01's work: build (synthetic) or load (real) each configured dataset into manifests.

A dataset spec (one entry of the ``datasets`` parameter)::

    {"name": "phoenix",                 # loader: phoenix | how2sign | openasl | isign | csl-daily
     "root": "data/synth/phoenix",      # the released tree (real) or where to generate it (synthetic)
     "synth": {"lang": "de", ...},      # present -> generate the embedded corpus first (slt_nb.synth)
     "options": {...},                  # loader options (e.g. How2Sign clip mode, iSign cleaning; strict: true|false)
     "label": "PHOENIX-2014T (synthetic)"}   # optional row name in tables

Writes ``<manifest_dir>/<name>.<split>.jsonl`` per split, ``<name>.drops.json`` (for every
dataset: the rows dropped by reason with their ids -- the paper's filters, missing clips,
segments past the end -- and the rows whose text was cleaned; :mod:`.row_issues`),
``<name>.filtered.jsonl`` (iSign: the rows the paper's own cleaning removed, with text and frame
count, for statistics over the release before cleaning; :mod:`.populations`), and
``datasets.json`` describing what was prepared.
"""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path

from ..errors import SLTInputError
from ..io import write_json, write_jsonl
from ..paths import resolve
from ..report.paper_numbers import DATASET_LABELS
from .manifest import DATASETS, SPLITS, manifest_path, read_manifest, write_manifest

SPEC_KEYS = {"name", "root", "synth", "options", "label"}


def check_spec(spec: dict, index: int) -> dict:
    where = f"datasets[{index}]"
    if not isinstance(spec, dict):
        raise SLTInputError(f"{where} must be a mapping with at least 'name' and 'root'")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise SLTInputError(f"{where} has unknown keys {sorted(unknown)}", hint=f"allowed: {sorted(SPEC_KEYS)}")
    for key in ("name", "root"):
        if not spec.get(key):
            raise SLTInputError(f"{where} is missing {key!r}")
    if spec["name"] not in DATASETS:
        raise SLTInputError(f"{where}: unknown dataset {spec['name']!r}", hint=f"allowed: {', '.join(DATASETS)}")
    return spec


def label_for(spec: dict) -> str:
    base = DATASET_LABELS.get(spec["name"], spec["name"])
    return spec.get("label") or (f"{base} (synthetic)" if spec.get("synth") is not None else base)


def prepare_dataset(spec: dict, manifest_dir: str | Path, *, seed: int = 0, splits=SPLITS, strict: bool = False) -> dict:
    """Generate (if synthetic) and load one dataset; write its manifests and drop report. Returns its summary record.

    ``strict`` (overridden by the spec's ``options.strict``): bad rows the field drops are errors
    too (:func:`~.loaders.load_dataset`). The load (every check) ends before anything is written.
    """
    return _write(*_load(spec, seed=seed, splits=splits, strict=strict), manifest_dir)


def _load(spec: dict, *, seed: int, splits, strict: bool):
    """(record without the written paths, LoadResult) of one dataset spec; nothing is written but a synthetic tree."""
    from .loaders import LOADERS, load_dataset

    root = resolve(spec["root"])
    synth = spec.get("synth")
    if synth is not None:
        from ..synth import generate

        synth = dict(synth)
        fmt = synth.pop("format", spec["name"])
        root = generate(root, fmt=fmt, seed=synth.pop("seed", seed), **synth)
    options = dict(spec.get("options") or {})
    if "seed" in inspect.signature(LOADERS[spec["name"]]).parameters:
        options.setdefault("seed", seed)  # iSign's split and vocabulary-aware subset follow the run's seed
    strict = options.pop("strict", strict)
    result = load_dataset(spec["name"], root, splits=tuple(splits), strict=strict, **options)
    counts = Counter(s.split for s in result.samples)
    record = {
        "name": spec["name"],
        "label": label_for(spec),
        "root": str(root),
        "synthetic": synth is not None,
        "synth": spec.get("synth"),
        "options": options,
        "counts": {s: counts.get(s, 0) for s in splits},
        "manifests": {},
        "strict": strict,
        "notes": list(result.notes),
    }
    return record, result


def _write(record: dict, result, manifest_dir: str | Path) -> dict:
    """Write one loaded dataset's manifests (one per non-empty split) and drop report; the record with their paths."""
    manifest_dir = resolve(manifest_dir)
    for split in record["counts"]:
        rows = [s for s in result.samples if s.split == split]
        if rows:
            record["manifests"][split] = str(write_manifest(rows, manifest_path(manifest_dir, record["name"], split)))
    d = result.drops
    filtered = manifest_dir / f"{record['name']}.filtered.jsonl"  # the paper's cleaning's removed rows (Tables 2, 6: release population)
    if d.filtered:
        record["filtered"] = str(write_jsonl(filtered, d.filtered))
    else:
        filtered.unlink(missing_ok=True)  # none this run: no stale file from an earlier one
        record["filtered"] = None
    record["drops"] = {"file": str(d.write(manifest_dir)), "total": d.total, "counts": d.counts, "cleaned": {k: len(v) for k, v in sorted(d.cleaned.items())}}
    return record


def prepare_all(datasets: list[dict], manifest_dir: str | Path, *, seed: int = 0, strict: bool = False) -> list[dict]:
    """Prepare every configured dataset and write ``datasets.json`` (atomically) beside the manifests.

    Every dataset is loaded (and checked) before any manifest is written, so a bad row in the
    last dataset leaves the earlier manifests as they were. ``strict``: the default of every
    dataset's ``options.strict`` (:func:`prepare_dataset`).
    """
    if not datasets:
        raise SLTInputError("no datasets configured", hint="set the 'datasets' parameter (see params/default.yaml)")
    specs = [check_spec(s, i) for i, s in enumerate(datasets)]
    names = Counter(s["name"] for s in specs)
    dup = [n for n, c in names.items() if c > 1]
    if dup:
        raise SLTInputError(f"dataset(s) {dup} configured twice", hint="each dataset may appear once per run")
    loaded = [_load(s, seed=seed, splits=SPLITS, strict=strict) for s in specs]
    records = [_write(record, result, manifest_dir) for record, result in loaded]
    write_json(resolve(manifest_dir) / "datasets.json", records)
    return records


def load_prepared(manifest_dir: str | Path) -> list[dict]:
    """The ``datasets.json`` written by :func:`prepare_all` (notebook 01)."""
    path = resolve(manifest_dir) / "datasets.json"
    if not path.exists():
        raise SLTInputError("no prepared datasets", file=path, hint="run notebook 01_data_prep first (`slt-nb reproduce --only 01_data_prep`)")
    return json.loads(path.read_text(encoding="utf-8"))


def prepared_names(manifest_dir: str | Path) -> list[str]:
    """Names of the datasets 01_data_prep prepared, in its order (``datasets.json``; errors as :func:`load_prepared`)."""
    return [r["name"] for r in load_prepared(manifest_dir)]


def load_split(record: dict, split: str):
    """The manifest samples of one prepared dataset and split ([] if the split is absent)."""
    path = record["manifests"].get(split)
    return read_manifest(path) if path else []
