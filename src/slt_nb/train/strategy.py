"""Fine-tuning strategies of the ablation (paper Sec 3.4 and Sec 6, Table 8): which parts train.

The paper's main recipe is ``lora_lm``: LoRA on the language model, the connector fully trained,
the vision encoder frozen (Sec 3.4). Table 8 compares it with full fine-tuning, tuning only the
language model, only the vision model, and the two in sequence ("with the connector being trained
with the language model"). Each strategy is data: the parts of the model that train. The parts are
those of :func:`slt_nb.models.load.trainable_report`: ``vision_tower`` (without the connector),
``connector``, ``language_model`` (its embeddings and layers) and ``other`` (the output head;
tied to the embeddings in Qwen2.5-VL, so it has no parameters of its own there).

Choices the paper leaves open, stated here and in the notebook:

* **LM only** trains the connector with the language model (Sec 3.4 groups them: "the connector
  was trained along with the LM"), and the output head with it.
* **Vision model only** trains the vision encoder alone; the connector stays as the base model has it.
* **Vision then LM** runs ``vision_only`` for the first ``sequential_split`` of the epochs, then
  ``lm_only`` from that checkpoint for the rest, so that every Table 8 cell sees the same number
  of epochs ("after 5 epochs", Table 8 caption). The split is not stated in the paper (0.5 here).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SLTInputError
from ..models.registry import ModelFamily, get_family


@dataclass(frozen=True)
class Strategy:
    name: str
    label: str  # as Table 8 prints it
    trains: tuple[str, ...]  # trainable_report parts that must train (output head: see ``head``)
    lora: bool = False  # LoRA adapters on the LM (the LM's own weights frozen)
    head: bool = False  # the output head trains too (where it has parameters of its own)
    stages: tuple[str, ...] = ()  # a sequence of strategies instead of one


STRATEGIES: dict[str, Strategy] = {
    "full": Strategy("full", "Full", ("vision_tower", "connector", "language_model"), head=True),
    "lm_only": Strategy("lm_only", "LM only", ("connector", "language_model"), head=True),
    "vision_only": Strategy("vision_only", "Vision model only", ("vision_tower",)),
    "vision_then_lm": Strategy("vision_then_lm", "Vision then LM", (), stages=("vision_only", "lm_only")),
    "lora_lm": Strategy("lora_lm", "LoRA for LM", ("lora", "connector"), lora=True),  # the paper's main recipe (Sec 3.4)
}
DEFAULT_STRATEGY = "lora_lm"
PARTS = ("lora", "connector", "vision_tower", "language_model", "other")


def get_strategy(name: str) -> Strategy:
    """The :class:`Strategy` called ``name``; an unknown name lists the allowed ones."""
    try:
        return STRATEGIES[name]
    except (KeyError, TypeError):
        raise SLTInputError(f"unknown fine-tuning strategy {name!r}",
                            hint=f"expected one of {list(STRATEGIES)} (Table 8: " + ", ".join(f"{k} = {s.label}" for k, s in STRATEGIES.items()) + ")") from None


def _prefixes(fam: ModelFamily, parts: tuple[str, ...], head: bool) -> list[str]:
    names = {"vision_tower": fam.vision_tower, "connector": fam.connector, "language_model": fam.language_model}
    out = [names[p] + "." for p in parts if p in names]
    if head:
        out.append("lm_head.")
    return out


def set_trainable(model, family: str | ModelFamily, strategy: str) -> dict[str, int]:
    """Freeze ``model`` and unfreeze the parts ``strategy`` trains (not for LoRA or staged strategies,
    which :func:`slt_nb.train.run.build_trainer` handles). Returns :func:`check_trainable`'s report.

    Qwen2.5-VL's connector (``model.visual.merger``) lives inside its vision tower: ``vision_only``
    re-freezes it after unfreezing the tower, so the connector never trains with the vision model.
    """
    fam = get_family(family)
    st = get_strategy(strategy)
    if st.lora or st.stages:
        raise SLTInputError(f"strategy {strategy!r} is not a plain freeze/unfreeze", hint="use build_trainer, which applies LoRA / runs the stages")
    keep = _prefixes(fam, st.trains, st.head)
    conn = fam.connector + "."
    for name, p in model.named_parameters():
        on = any(name.startswith(k) for k in keep)
        if name.startswith(conn) and "connector" not in st.trains:
            on = False
        p.requires_grad_(on)
    return check_trainable(model, fam, strategy)


def check_trainable(model, family: str | ModelFamily, strategy: str) -> dict[str, int]:
    """The trainable-parameter report of ``model``, checked against ``strategy``: every part it
    trains has trainable parameters and no other part has any. Raises on a mismatch."""
    from ..models.load import trainable_report

    fam = get_family(family)
    st = get_strategy(strategy)
    report = trainable_report(model, fam)
    must = set(st.trains)
    allowed = must | ({"other"} if st.head else set())
    missing = sorted(p for p in must if report[p] == 0)
    extra = sorted(p for p in PARTS if p not in allowed and report[p] != 0)
    if missing or extra:
        raise SLTInputError(f"strategy {strategy!r} ({st.label}): trainable parameters {report}"
                            + (f"; nothing trains in {missing}" if missing else "") + (f"; {extra} should be frozen" if extra else ""),
                            hint="module paths of the model changed? see slt_nb.models.registry")
    return report
