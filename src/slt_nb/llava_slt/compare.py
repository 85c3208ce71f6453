"""LLaVA-SLT beside the other systems of the same run (notebook 09): what 08 and 03 wrote, read back.

Notebook 08 trains and decodes LLaVA-SLT without waiting for the small VLMs of notebook 03; this
module joins them afterwards, from the prediction files alone, so that both notebooks can run side
by side (``slt-nb reproduce --jobs 2``):

* ``<results_dir>/predictions/<model>.<dataset>.<split>.jsonl``: LLaVA-SLT's main model (08), the
  fine-tuned small VLMs and the majority baseline (03);
* ``<results_dir>/controls/<model>.<dataset>.<split>.jsonl``: the shuffled-video controls (03 and 08).

Every file must carry this run's params hash (:func:`slt_nb.metrics.predictions.read_predictions`);
a missing or foreign one is an :class:`~slt_nb.errors.SLTInputError` that names it and the notebook to run.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SLTInputError
from ..metrics.predictions import read_predictions
from .report import other_systems

CONTROL_KIND = "control: another clip's video"
BASELINE_KIND = "majority sentence (train)"
SMALL_VLM_KIND = "small VLM (fine-tuned)"


def read_rows(path: str | Path, *, params_hash: str | None, writer: str = "08_llava_slt_tuning") -> list[dict]:
    """Prediction rows ``{"id", "reference", "prediction"}`` of one file, in file order.

    Raises :class:`SLTInputError` (naming the file and ``writer``, the notebook that writes it) when the file
    is missing or another run (another params hash) wrote it.
    """
    path = Path(path)
    if not path.is_file():
        raise SLTInputError("predictions file not found", file=path, hint=f"run notebook {writer} first (same params file)")
    return [{"id": p.id, "reference": p.reference, "prediction": p.prediction} for p in read_predictions(path, params_hash=params_hash)]


def llava_test_rows(results_dir: str | Path, model: str, dataset: str, split: str, *, params_hash: str | None) -> tuple[list[dict], list[dict]]:
    """(main model rows, shuffled-video control rows) of LLaVA-SLT on one dataset split, as notebook 08 wrote them."""
    name = f"{model}.{dataset}.{split}.jsonl"
    results_dir = Path(results_dir)
    return (read_rows(results_dir / "predictions" / name, params_hash=params_hash),
            read_rows(results_dir / "controls" / name, params_hash=params_hash))


def systems_for_dataset(results_dir: str | Path, dataset: str, split: str, *, model: str, llm_id: str, train_texts: list[str],
                        params_hash: str | None) -> tuple[dict[str, list[dict]], dict[str, str], dict[str, list[dict]]]:
    """The rows of LLaVA-SLT's comparison table for one dataset: ``(systems, kinds, others)``.

    ``systems``: {system name: prediction rows}, in the table's order -- ours, ours on shuffled video, then
    every other system 03 wrote for this dataset (sorted by file name), the majority baseline among them; when
    03 wrote none for it (e.g. CSL-Daily, which the small-VLM paper does not use) the baseline is built here
    from ``train_texts`` exactly as 03 builds it (:func:`~.data.majority_sentence`). ``kinds``: system -> what
    it is. ``others``: the other systems alone (Table 5 picks the strongest of them).
    """
    from .data import majority_sentence

    main, shuffled = llava_test_rows(results_dir, model, dataset, split, params_hash=params_hash)
    systems = {model: main, f"{model} (shuffled video)": shuffled}
    kinds = {model: f"LLaVA-SLT (ours; LLM {llm_id})", f"{model} (shuffled video)": CONTROL_KIND}
    others = other_systems(Path(results_dir) / "predictions", dataset, split, exclude_prefix=model.split("-")[0], params_hash=params_hash)
    if "baseline" not in others:  # 03_finetune writes baseline.<dataset>.<split>.jsonl; same definition
        maj = majority_sentence(train_texts)
        others["baseline"] = [{"id": r["id"], "reference": r["reference"], "prediction": maj} for r in main]
    for name, recs in others.items():
        systems[name] = recs
        kinds[name] = BASELINE_KIND if name == "baseline" else SMALL_VLM_KIND
    return systems, kinds, others
