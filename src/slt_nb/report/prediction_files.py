"""Finding and ordering the prediction files that notebooks 05, 06 and 08 score.

Predictions are whatever ``<predictions_dir>/<model>.<dataset>.<split>.jsonl`` holds (written by
the fine-tuning and ablation notebooks; the majority baseline as ``baseline.<dataset>.<split>``).
Model names map onto the paper's rows by family prefix (:func:`family_of`: ``smolvlm*`` ->
SmolVLM2, ``qwen2_5_vl*`` -> Qwen2.5-VL); ``baseline*`` is the baseline. Row order everywhere:
dataset (as prepared, else by name), then SmolVLM-family models, Qwen2.5-VL family models, other
models (alphabetical), the baseline (:func:`model_key`).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SLTInputError
from ..paths import resolve
from .paper_metrics import FAMILY_LABELS
from .paper_numbers import DATASET_LABELS


BASELINE = "baseline"
CONTROL = "control: shuffled references"
RUN_NOTEBOOK_HINT = "run 03_finetune first (`slt-nb reproduce --params params/default.yaml --only 03_finetune`)"


# --- finding and ordering prediction files ------------------------------------------------------


@dataclass(frozen=True)
class PredictionFile:
    model: str
    dataset: str
    split: str
    path: Path


def parse_name(path: str | Path) -> tuple[str, str, str]:
    """``<model>.<dataset>.<split>.jsonl`` -> (model, dataset, split); the model name may contain dots."""
    p = Path(path)
    parts = p.name[: -len(".jsonl")].rsplit(".", 2) if p.name.endswith(".jsonl") else []
    if len(parts) != 3 or not all(parts):
        raise SLTInputError("predictions file name is not <model>.<dataset>.<split>.jsonl", file=p)
    return parts[0], parts[1], parts[2]


def is_baseline(model: str) -> bool:
    return model == BASELINE or model.startswith((BASELINE + "-", BASELINE + "_"))


def family_of(model: str) -> str | None:
    """``smolvlm`` / ``qwen2_5_vl`` for models of those families (name prefix), else None."""
    for fam in sorted(FAMILY_LABELS, key=len, reverse=True):
        if model.startswith(fam):  # smolvlm-tiny, smolvlm2-2.2b, qwen2_5_vl-3b-lora, ...
            return fam
    return None


def paper_model(model: str) -> str:
    """The paper's model row a model corresponds to (``SmolVLM2``, ``Qwen2.5-VL``), or ``—``."""
    fam = family_of(model)
    return FAMILY_LABELS[fam] if fam else "—"


def model_key(model: str) -> tuple:
    fams = list(FAMILY_LABELS)
    if model == CONTROL:
        return (4, model)
    if is_baseline(model):
        return (3, model)
    fam = family_of(model)
    return (0, fams.index(fam), model) if fam else (2, model)


def find_predictions(
    predictions_dir: str | Path,
    *,
    models: Iterable[str] | None = None,
    datasets: Iterable[str] | None = None,
    splits: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    params_hash: str | None = None,
) -> list[PredictionFile]:
    """Every ``*.jsonl`` in ``predictions_dir`` written by the run ``params_hash`` (None: by any run),
    optionally only some models/datasets/splits, sorted.

    ``exclude``: model-name globs to leave out (e.g. ``llava_slt*``, scored by notebook 08). Files other
    runs left in the folder are never taken. No file of this run at all is an error that says to run the
    fine-tuning notebook first (and which other runs' files it found)."""
    from ..metrics.predictions import split_by_run

    folder = resolve(predictions_dir)
    paths = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    for p in paths:
        parse_name(p)  # a file not named <model>.<dataset>.<split>.jsonl is an error before anything is read
    paths, others = split_by_run(paths, params_hash)
    if not paths:
        other = "; files of other runs: " + ", ".join(f"{h}: {len(v)}" for h, v in sorted(others.items())) if others else ""
        which = "" if params_hash is None else f" of this run (params hash {params_hash})"
        raise SLTInputError(f"no predictions found{which} (no *.jsonl){other}", file=folder, hint=RUN_NOTEBOOK_HINT)
    found = [PredictionFile(*parse_name(p), path=p) for p in paths]
    keep = [
        f
        for f in found
        if (models is None or f.model in set(models))
        and (datasets is None or f.dataset in set(datasets))
        and (splits is None or f.split in set(splits))
        and not any(fnmatch.fnmatchcase(f.model, pattern) for pattern in exclude)
    ]
    if not keep:
        raise SLTInputError(
            f"none of the {len(found)} predictions files matches models={models}, datasets={datasets}, splits={splits}",
            file=folder,
            hint="found: " + ", ".join(p.name for p in paths[:12]),
        )
    return sorted(keep, key=lambda f: (f.dataset, f.split, model_key(f.model)))


def dataset_labels(manifest_dir: str | Path | None = None) -> dict[str, str]:
    """Dataset name -> row label: from notebook 01's ``datasets.json`` when present (it says
    "(synthetic)"), else the paper's names."""
    labels = dict(DATASET_LABELS)
    if manifest_dir is not None:
        path = resolve(manifest_dir) / "datasets.json"
        if path.is_file():
            labels.update({r["name"]: r["label"] for r in json.loads(path.read_text(encoding="utf-8"))})
    return labels
