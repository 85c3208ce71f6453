"""Response prompting (Sec 3.3, Tab. 8-9) and the instruction templates of Appendix Tables F and G.

System prompt = the base prompt + the task prompt + the format prompt (the two appended "at the
end of the system prompt during both training and inference"). The user turn holds the video
placeholder, which is replaced by the MLP connector's outputs; the assistant turn is the
translation (``<text_placeholder>``).

Table F (CSL) and Table G (DGS) differ only in the language of the format prompt. The paper
has no How2Sign/OpenASL/iSign template; ours uses "English", marked ``paper=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SLTInputError

BASE = "You are a helpful assistant."  # Tab. F/G; Tab. 9 "Normal prompt"
TASK = "Use your expertise to provide the most precise translation."  # Tab. F/G, Tab. 9 "Task prompt"
FORMAT = "Answer with one single {language} sentence."  # Tab. F/G; Tab. 9 prints it without the language
VIDEO_PLACEHOLDER = "<video_placeholder>"  # Tab. F/G (replaced by connector outputs, never tokenised)


@dataclass(frozen=True)
class Template:
    language: str
    source: str
    paper: bool = True


TEMPLATES = {
    "csl-daily": Template("Chinese", "Appendix Table F (CSL instruction template)"),
    "phoenix": Template("German", "Appendix Table G (DGS instruction template)"),
    "how2sign": Template("English", "not in the paper: Table G with 'English'", paper=False),
    "openasl": Template("English", "not in the paper: Table G with 'English'", paper=False),
    "isign": Template("English", "not in the paper: Table G with 'English'", paper=False),
}

# Which response prompts each prompting mode appends (Tab. 8 rows 3-4).
PROMPTING = {"full": ("task", "format"), "task": ("task",), "none": ()}


def system_prompt(dataset: str, prompting: str = "full") -> str:
    """The system prompt of Tab. F/G for ``dataset`` with the response prompts of ``prompting``."""
    if dataset not in TEMPLATES:
        raise SLTInputError(f"no instruction template for dataset {dataset!r}", hint=f"known: {sorted(TEMPLATES)}")
    if prompting not in PROMPTING:
        raise SLTInputError(f"unknown prompting {prompting!r}", hint=f"choose from {sorted(PROMPTING)}")
    parts = [BASE]
    for p in PROMPTING[prompting]:
        parts.append(TASK if p == "task" else FORMAT.format(language=TEMPLATES[dataset].language))
    return " ".join(parts)


def all_system_prompts(dataset: str) -> list[str]:
    return [system_prompt(dataset, p) for p in PROMPTING]


def chat_pieces(tokenizer, system: str) -> tuple[list[int], list[int]]:
    """Token ids before and after the video placeholder of [system, user(video)] + generation prompt.

    Rendered with the tokenizer's own chat template (Llama-3.1, Qwen2.5 or the tiny ChatML one)
    and split at :data:`VIDEO_PLACEHOLDER`, so the connector outputs sit inside the user turn.
    """
    msgs = [{"role": "system", "content": system}, {"role": "user", "content": VIDEO_PLACEHOLDER}]
    text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    if text.count(VIDEO_PLACEHOLDER) != 1:
        raise SLTInputError("the chat template did not keep the video placeholder exactly once")
    before, after = text.split(VIDEO_PLACEHOLDER)
    enc = lambda s: tokenizer(s, add_special_tokens=False)["input_ids"]
    return enc(before), enc(after)
