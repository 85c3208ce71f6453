"""Notebook 01's work: build (synthetic) or load (real) each configured dataset into manifests.

A dataset spec (one entry of the ``datasets`` parameter)::

    {"name": "phoenix",                 # loader: phoenix | how2sign | openasl | isign | csl-daily
     "root": "data/synth/phoenix",      # the released tree (real) or where to generate it (synthetic)
     "synth": {"lang": "de", ...},      # present -> generate the embedded corpus first (slt_nb.synth)
     "options": {...},                  # loader options (e.g. How2Sign clip mode, iSign cleaning)
     "label": "PHOENIX-2014T (synthetic)"}   # optional row name in tables

Writes ``<manifest_dir>/<name>.<split>.jsonl`` per split, ``<name>.drops.json`` where a
paper-mandated filter dropped samples, and ``datasets.json`` describing what was prepared.
"""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path

from ..errors import SLTInputError
from ..io import write_json
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


def prepare_dataset(spec: dict, manifest_dir: str | Path, *, seed: int = 0, splits=SPLITS) -> dict:
    """Generate (if synthetic) and load one dataset; write its manifests. Returns its summary record."""
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
    result = load_dataset(spec["name"], root, splits=tuple(splits), **options)
    manifest_dir = resolve(manifest_dir)
    counts = Counter(s.split for s in result.samples)
    paths = {}
    for split in splits:
        rows = [s for s in result.samples if s.split == split]
        if rows:
            paths[split] = str(write_manifest(rows, manifest_path(manifest_dir, spec["name"], split)))
    record = {
        "name": spec["name"],
        "label": label_for(spec),
        "root": str(root),
        "synthetic": synth is not None,
        "synth": spec.get("synth"),
        "options": options,
        "counts": {s: counts.get(s, 0) for s in splits},
        "manifests": paths,
        "notes": list(result.notes),
    }
    if result.drops is not None:
        record["drops"] = {"file": str(result.drops.write(manifest_dir)), "total": result.drops.total, "counts": result.drops.counts}
    return record


def prepare_all(datasets: list[dict], manifest_dir: str | Path, *, seed: int = 0) -> list[dict]:
    """Prepare every configured dataset and write ``datasets.json`` (atomically) beside the manifests."""
    if not datasets:
        raise SLTInputError("no datasets configured", hint="set the 'datasets' parameter (see params/default.yaml)")
    specs = [check_spec(s, i) for i, s in enumerate(datasets)]
    names = Counter(s["name"] for s in specs)
    dup = [n for n, c in names.items() if c > 1]
    if dup:
        raise SLTInputError(f"dataset(s) {dup} configured twice", hint="each dataset may appear once per run")
    records = [prepare_dataset(s, manifest_dir, seed=seed) for s in specs]
    write_json(resolve(manifest_dir) / "datasets.json", records)
    return records


def load_prepared(manifest_dir: str | Path) -> list[dict]:
    """The ``datasets.json`` written by :func:`prepare_all` (notebook 01)."""
    path = resolve(manifest_dir) / "datasets.json"
    if not path.exists():
        raise SLTInputError("no prepared datasets", file=path, hint="run notebook 01_data_prep first (`slt-nb reproduce --only 01_data_prep`)")
    return json.loads(path.read_text(encoding="utf-8"))


def load_split(record: dict, split: str):
    """The manifest samples of one prepared dataset and split ([] if the split is absent)."""
    path = record["manifests"].get(split)
    return read_manifest(path) if path else []
