"""Table 1 (the VLM architectures) and Table 16 (the prompt per dataset) of the small-VLM paper, from
the model configs and the prompts the project actually sends.

**Table 1** has one row per model a run used (:func:`table1_for_runs`): the tiny stand-ins of the
embedded default, read from the ``config.json`` of the cached tiny base they were fine-tuned from,
and, beside each family's stand-in, the real checkpoint it stands for; on ``params/paper.yaml`` the
real checkpoints only. A real checkpoint's config comes from the repository
(:mod:`slt_nb.bench.real_configs`, the hub's ``config.json`` written out; no network) or from a
local checkpoint folder; a hub id with neither is a row that says so, with no numbers guessed.

Parameters are counted from the config alone: the model is built with ``from_config`` on PyTorch's
``meta`` device (shapes, no memory, no weights) and ``numel`` is summed over
``model.parameters()``, which yields a tied input/output embedding once -- the count the same
model built for real gives (tested on the tiny models). Parts as
:func:`slt_nb.standins.tiny.param_counts`: vision tower (Qwen2.5-VL's merger taken out of it),
connector, language model; the total also holds SmolVLM's untied LM head.

**Table 16** lists, per dataset, the prompt :func:`slt_nb.train.prompts.prompt_for` returns (what
training, generation and ``slt-nb translate`` send) beside the paper's Appendix E text, and the
user turn each family's chat template (:mod:`slt_nb.models.chat_templates`) renders around it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SLTInputError
from ..models.registry import get_family
from .paper_metrics import FAMILY_LABELS
from . import paper_numbers
from .paper_numbers import DATASET_LABELS, TABLE1_COLUMNS, TABLE16, TABLE16_ROWS
from .signature import signature

TINY_KIND = "tiny stand-in (synthetic default)"
NA = "n/a"
# Architecture names by config class (what the paper calls them, Sec 3.1 / Table 1).
VISION_NAMES = {"SmolVLMVisionConfig": "SigLIP", "Qwen2_5_VLVisionConfig": "ViT (window attention)"}
TEXT_NAMES = {"LlamaConfig": "LLaMA", "Qwen2_5_VLTextConfig": "Qwen2.5 LM"}
COLUMNS = [TABLE1_COLUMNS[0], "Checkpoint", *TABLE1_COLUMNS[1:3], "Connector", *TABLE1_COLUMNS[3:],
           "Vision params", "Connector params", "LM params", "Total params", "Datasets", "Config source"]


@dataclass(frozen=True)
class ModelSpec:
    """A model as a run names it: ``model`` is the params value (tiny size, hub id or local folder);
    ``folder`` the checkpoint the run loaded (a tiny model's cached base), ``dataset`` what it was tuned on."""

    family: str
    model: str
    folder: str | None = None
    dataset: str | None = None


@dataclass
class ReportTable:
    """A table ready for :func:`slt_nb.report.tables.write_table`: ours, the paper's, signature, notes."""

    frame: pd.DataFrame
    paper: pd.DataFrame
    signature: str
    notes: list[str] = field(default_factory=list)


# ---- Table 1 -----------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """A folder as printed in a table: relative to the project root when inside it (same bytes on every machine)."""
    from ..paths import project_root

    p = Path(path).resolve()
    try:
        return p.relative_to(project_root()).as_posix()
    except ValueError:
        return f"{p.parent.name}/{p.name}"


def load_config(spec: ModelSpec):
    """``(config or None, what the row is, where the config comes from)`` for ``spec``; never the network.

    Tiny sizes read ``<folder>/config.json``; a local folder its own ``config.json``; a hub id the
    repository's copy (:data:`slt_nb.bench.real_configs.REAL_MODELS`). Missing: ``None`` and a source
    saying what is missing.
    """
    from ..bench.real_configs import REAL_MODELS, real_config
    from ..models.registry import is_tiny

    model_cls, _ = get_family(spec.family).resolve_classes()
    model = str(spec.model)
    if is_tiny(model):
        kind = TINY_KIND if model == "tiny" else f"{TINY_KIND}, size {model}"
        folder = Path(spec.folder) if spec.folder else None
    elif Path(model).is_dir():
        kind, folder = f"local checkpoint {Path(model).name}", Path(model)
    else:
        by_hub = {rm.hub_id: name for name, rm in REAL_MODELS.items() if rm.family == get_family(spec.family).name}
        if model in by_hub:
            return real_config(by_hub[model]), model, "slt_nb.bench.real_configs (the hub's config.json, written out)"
        return None, model, "config not in the repo (no network): not counted"
    if folder is None or not (folder / "config.json").is_file():
        return None, kind, f"no config.json in {_shown(folder) if folder else 'the run (not built yet)'}: not counted"
    return model_cls.config_class.from_pretrained(folder), kind, f"{_shown(folder)}/config.json"


def count_parameters(config, family: str) -> dict:
    """Parameter counts of ``family``'s model built from ``config`` on the ``meta`` device.

    Returns ``total``, ``vision_tower``, ``connector``, ``language_model`` (ints, as
    :func:`slt_nb.standins.tiny.param_counts`) and ``connector_linears`` (its ``nn.Linear`` layers).
    """
    import torch

    from ..models.load import param_counts

    fam = get_family(family)
    model_cls, _ = fam.resolve_classes()
    with torch.device("meta"):
        model = model_cls._from_config(config)
    counts = param_counts(model)
    counts["connector_linears"] = sum(isinstance(m, torch.nn.Linear) for m in model.get_submodule(fam.connector).modules())
    return counts


def human_count(n: int) -> str:
    """``2246784880`` -> ``"2.25B"``: three significant digits, the paper's style of unit."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def _context(n: int) -> str:
    short = f"{n // 1000}K" if n % 1000 == 0 else f"{n // 1024}K" if n % 1024 == 0 else None  # 128,000 -> 128K; 8,192 -> 8K
    return f"{n:,}" + (f" ({short})" if short else "")


def _connector(config, linears: int) -> str:
    if getattr(config, "scale_factor", None):
        s = config.scale_factor
        shape = f"pixel shuffle {s}x{s}"
    else:
        m = config.vision_config.spatial_merge_size
        shape = f"{m}x{m} patch merge"
    return f"{shape} + MLP ({linears} linear layer{'s' if linears != 1 else ''})"


def architecture_row(spec: ModelSpec, labels: dict[str, str] | None = None) -> dict:
    """One Table 1 row (:data:`COLUMNS`) of ``spec``; n/a where its config is not available.
    ``labels``: dataset -> row label (e.g. "PHOENIX-2014T (synthetic)"); default the paper's names."""
    config, kind, source = load_config(spec)
    row = dict.fromkeys(COLUMNS, NA)
    names = {**DATASET_LABELS, **(labels or {})}
    row.update({"Model": FAMILY_LABELS[get_family(spec.family).name], "Checkpoint": kind, "Config source": source,
                "Datasets": names.get(spec.dataset, spec.dataset) if spec.dataset else "-"})
    if config is None:
        return row
    c = count_parameters(config, spec.family)
    vis, text = config.vision_config, config.text_config
    vis_layers = getattr(vis, "num_hidden_layers", None) or vis.depth
    row.update({
        "No. of Parameters": human_count(c["total"]),
        "Vision Model (No. of layers)": f"{VISION_NAMES.get(type(vis).__name__, type(vis).__name__)} ({vis_layers})",
        "Connector": _connector(config, c["connector_linears"]),
        "Language Model (No. of layers)": f"{TEXT_NAMES.get(type(text).__name__, type(text).__name__)} ({text.num_hidden_layers})",
        "Input Context Length": _context(text.max_position_embeddings),
        "Vision params": c["vision_tower"], "Connector params": c["connector"],
        "LM params": c["total"] - c["vision_tower"] - c["connector"], "Total params": c["total"],
    })
    return row


def table1(specs: list[ModelSpec], *, labels: dict[str, str] | None = None, with_real: bool = True) -> ReportTable:
    """Table 1 for ``specs`` (one row per distinct architecture; the datasets of merged rows joined).

    ``labels``: dataset row labels (:func:`architecture_row`).
    ``with_real``: beside each family's tiny stand-in, the real checkpoint it stands for (the
    family's main hub id, Sec 4.3), marked "config only; not run here".
    """
    from ..bench.real_configs import REAL_MODELS
    from ..models.registry import is_tiny

    if not specs:
        raise SLTInputError("Table 1 needs at least one model", hint="pass the runs of 03_finetune")
    rows: list[dict] = []
    for spec in specs:
        row = architecture_row(spec, labels)
        key = [v for k, v in row.items() if k not in ("Datasets", "Config source")]
        same = next((r for r in rows if [v for k, v in r.items() if k not in ("Datasets", "Config source")] == key), None)
        if same is None:
            rows.append(row)
            continue
        for col in ("Datasets", "Config source"):
            if row[col] not in same[col].split("; "):
                same[col] += f"; {row[col]}"
    if with_real:
        used = {str(s.model) for s in specs}
        for fam in dict.fromkeys(get_family(s.family).name for s in specs if is_tiny(str(s.model))):
            hub = get_family(fam).default_hub_id
            if hub not in used:
                row = architecture_row(ModelSpec(fam, hub))
                row.update({"Checkpoint": f"{hub} (config only; not run here)", "Datasets": "-"})
                rows.append(row)
    real = hashlib.sha256(json.dumps({k: v.config for k, v in sorted(REAL_MODELS.items())}, sort_keys=True).encode()).hexdigest()[:12]
    import transformers

    sig = signature(count="meta-from_config-numel", real_configs=real, transformers=transformers.__version__)
    notes = [
        "Parameters: each model built from its config with transformers from_config on PyTorch's meta device (shapes only, no weights) "
        "and numel summed over model.parameters() (a tied embedding once); Vision = vision tower without the connector, "
        "LM = language model with its embeddings and LM head.",
        "Real checkpoints: configs from slt_nb.bench.real_configs (the hubs' config.json written out; no network). The paper's "
        "'No. of Parameters' are the checkpoints' names; the hubs list 2.25B (SmolVLM2-2.2B) and 3.75B (Qwen2.5-VL-3B, whose "
        "language model alone is ~3.09B).",
        "Input Context Length: the language model's max_position_embeddings in the config; the paper does not say where its "
        "8K / 32K come from.",
        "Paper's 'LLaMA-3.1 (3.1)' is printed so; Sec 3.1 says a 24-layer LLaMA 3.1.",
    ]
    if any(is_tiny(str(s.model)) for s in specs):
        notes.append("Tiny stand-ins: the same transformers classes at the sizes of slt_nb.standins.tiny, with the vocabulary of the "
                     "offline BPE tokenizer trained on the synthetic corpus; each stands for its family's checkpoint in the embedded default.")
    return ReportTable(pd.DataFrame(rows, columns=COLUMNS), paper_numbers.table1(), sig, notes)


def table1_for_runs(runs, *, labels: dict[str, str] | None = None, with_real: bool = True) -> ReportTable:
    """:func:`table1` of fine-tuning runs (:class:`slt_nb.train.run.RunResult`: ``config.family``,
    ``config.model``, ``config.dataset``, ``base_model``)."""
    specs = [ModelSpec(r.config.family, str(r.config.model), str(r.base_model) if r.base_model else None, r.config.dataset) for r in runs]
    return table1(specs, labels=labels, with_real=with_real)


# ---- Table 16 ----------------------------------------------------------------------------------


def rendered_prompt(family: str, prompt: str) -> str:
    """The user turn + generation prompt ``family``'s chat template renders around ``prompt`` (a video
    placeholder, before the processor expands it into frame tokens): the text collate/generate send."""
    from transformers.utils.chat_template_utils import render_jinja_template

    from ..train.collate import build_messages

    out, _ = render_jinja_template(conversations=[build_messages(prompt)], chat_template=get_family(family).chat_template,
                                   add_generation_prompt=True)
    return out[0]


def table16(used: dict[str, str] | None = None) -> ReportTable:
    """Table 16: per dataset the prompt we send, the paper's text, and each family's rendered user turn.

    ``used``: dataset -> row label (e.g. ``"PHOENIX-2014T (synthetic)"``) of the datasets this run
    fine-tuned; they are marked, the others are listed for completeness. Newlines in rendered
    turns are shown as ``\\n``.
    """
    from ..train.prompts import NON_PAPER_PROMPTS, PHOENIX_PROMPT_ENGLISH, PROMPTS, prompt_for

    used = dict(used or {})
    paper = dict(TABLE16)
    rows = []
    for ds in [*PROMPTS, *NON_PAPER_PROMPTS]:
        p = prompt_for(ds, allow_non_paper=True)
        ref = TABLE16_ROWS.get(ds)
        same = "not in the paper (ours)" if ref is None else "yes" if paper[ref] == p.text else "no: differs from the paper"
        rows.append({"Dataset": used.get(ds, DATASET_LABELS.get(ds, ds)), "Paper's row": ref or "-", "Prompt (ours)": p.text,
                     "Same as paper": same, "In this run": "fine-tuned" if ds in used else "-",
                     **{f"{FAMILY_LABELS[f]} user turn": rendered_prompt(f, p.text).replace("\n", "\\n") for f in FAMILY_LABELS}})
    templates = hashlib.sha256("".join(get_family(f).chat_template for f in FAMILY_LABELS).encode()).hexdigest()[:12]
    import transformers

    sig = signature(prompts="slt_nb.train.prompts.prompt_for", chat_templates=templates, transformers=transformers.__version__)
    notes = [
        "The same prompt is sent for training and generation, to both families (Appendix E).",
        f"Table 16's 'English Translation' row translates the DGS prompt for readers and is never sent: {PHOENIX_PROMPT_ENGLISH!r}.",
        "User turn: the chat template of slt_nb.models.chat_templates with the video placeholder, before the processor expands it.",
    ]
    return ReportTable(pd.DataFrame(rows), paper_numbers.table16(), sig, notes)
