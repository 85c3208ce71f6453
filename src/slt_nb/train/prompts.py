"""The instruction given with each video, per dataset: the paper's Appendix E, Table 16, verbatim.

"The prompts used to fine-tune both of our models, and also during inference" (Appendix E):
the same text for SmolVLM2 and Qwen2.5-VL, for training and for generation. The table's
"English Translation" row translates the DGS prompt for readers; PHOENIX-2014T itself is
prompted in German. The ASL row says "English sign language" (sic), kept as printed.

CSL-Daily is not in the paper (it comes from LLaVA-SLT); its prompt is ours, marked
``paper=False``, and is only returned when asked for explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SLTInputError


@dataclass(frozen=True)
class Prompt:
    text: str
    source: str  # where the text comes from
    paper: bool = True  # False: not from the paper


# Appendix E, Table 16 ("The prompt used across different datasets, for fine-tuning and inference").
PROMPTS: dict[str, Prompt] = {
    "phoenix": Prompt(
        "Übersetzen Sie das Video in deutscher Gebärdensprache in deutschen Text (gesprochene Sprache).",
        "Table 16, row 'DGS (PHOENIX-2014T)'",
    ),
    "how2sign": Prompt("Translate the English sign language video into spoken text.", "Table 16, row 'ASL (How2Sign and OpenASL)'"),
    "openasl": Prompt("Translate the English sign language video into spoken text.", "Table 16, row 'ASL (How2Sign and OpenASL)'"),
    "isign": Prompt("Translate the Indian sign language video into spoken text.", "Table 16, row 'ISL (iSign)'"),
}

# Table 16, row 'English Translation' (of the DGS prompt): documentation, never sent to a model.
PHOENIX_PROMPT_ENGLISH = "Translate the German Sign Language video into German text (spoken language)."

# Not in the paper: Table 16's ASL/ISL wording with the language changed.
NON_PAPER_PROMPTS: dict[str, Prompt] = {
    "csl-daily": Prompt(
        "Translate the Chinese sign language video into spoken text.",
        "not in the paper: Table 16's ASL/ISL wording, 'Chinese' for the language",
        paper=False,
    ),
}


def prompt_for(dataset: str, *, override: str | None = None, allow_non_paper: bool = False) -> Prompt:
    """The prompt for ``dataset``: an explicit ``override`` wins, else Table 16.

    A dataset outside Table 16 (CSL-Daily) needs ``allow_non_paper=True`` (our wording) or an
    override, so a run never silently uses a prompt the paper did not.
    """
    if override is not None:
        if not override.strip():
            raise SLTInputError("empty prompt override", hint="omit it to use the paper's Table 16 prompt")
        return Prompt(override, "override (not the paper's)", paper=False)
    if dataset in PROMPTS:
        return PROMPTS[dataset]
    if dataset in NON_PAPER_PROMPTS:
        if allow_non_paper:
            return NON_PAPER_PROMPTS[dataset]
        raise SLTInputError(
            f"the paper gives no prompt for dataset {dataset!r} (Appendix E, Table 16)",
            hint="pass allow_non_paper=True to use ours: " + repr(NON_PAPER_PROMPTS[dataset].text) + ", or an explicit override",
        )
    raise SLTInputError(f"unknown dataset {dataset!r}", hint=f"Table 16 covers {sorted(PROMPTS)}")
