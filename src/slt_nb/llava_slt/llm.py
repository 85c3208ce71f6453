"""The LLM of LLaVA-SLT and its domain corpus (Sec 3.1).

Real runs load an instruction-tuned LLM by hub id (PHOENIX: Llama-3.1-8B-Instruct, Sec 4.2;
CSL-Daily: Qwen2.5-3B/7B/14B-Instruct, Tab. 6). The embedded default builds a **tiny Llama**
(``LlamaForCausalLM`` from a small ``LlamaConfig``) with a byte-level BPE tokenizer trained on the
corpus, a ChatML chat template, saved with safetensors and reloaded with ``from_pretrained`` --
the same path a hub checkpoint takes.

The domain corpus for linguistic continued pretraining (Sec 3.1, Tab. 6): plain sentences
("web & books": here the training translations) and gloss-text pairs. A real LLM is already
instruction-tuned; the tiny one is not, so the gloss-text pairs are written as chats (system
prompt, user = glosses, assistant = translation) and the system prompt cycles through the
response-prompting variants, so the tiny LLM knows the chat format and the prompts' words
before stage 3 freezes it (ours; the paper trains on raw text of an instruct model).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import SLTInputError
from .config import LLMConfig
from .prompts import all_system_prompts

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
DOC_END = "<|endoftext|>"


def corpus_documents(samples, dataset: str, *, gloss_text_pairs: bool = True, sentences: bool = True, tokenizer=None) -> list[str]:
    """The stage-1 documents from training samples (``.text``, ``.gloss``); see the module docstring."""
    docs: list[str] = []
    prompts = all_system_prompts(dataset)
    end = DOC_END if tokenizer is None or DOC_END in tokenizer.get_vocab() else tokenizer.eos_token
    if sentences:
        docs += [s.text.strip() + end for s in samples]
    if gloss_text_pairs:
        pairs = [s for s in samples if s.gloss]
        for i, s in enumerate(pairs):
            msgs = [{"role": "system", "content": prompts[i % len(prompts)]}, {"role": "user", "content": s.gloss},
                    {"role": "assistant", "content": s.text.strip()}]
            docs.append(tokenizer.apply_chat_template(msgs, tokenize=False) if tokenizer is not None else str(msgs))
    if not docs:
        raise SLTInputError("the stage-1 corpus is empty", hint="enable sentences or gloss_text_pairs, and check the training split")
    return docs


TINY_ARCHS = {"llama": ("LlamaConfig", "LlamaForCausalLM"), "qwen2": ("Qwen2Config", "Qwen2ForCausalLM")}


def load_llm(path_or_id: str | Path, cfg: LLMConfig | None = None):
    """(model, tokenizer) from a saved folder or a hub id; a pad token is set if missing."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path_or_id))
    model = AutoModelForCausalLM.from_pretrained(str(path_or_id), dtype=getattr(torch, cfg.dtype if cfg else "float32"))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if cfg is not None and cfg.lora and cfg.id != "tiny":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=cfg.lora["r"], lora_alpha=cfg.lora["alpha"], task_type="CAUSAL_LM",
                                                 target_modules=cfg.lora.get("target_modules", ["q_proj", "v_proj"])))
    return model, tok


def end_of_turn_id(tokenizer) -> int:
    """The token that closes an assistant turn (ChatML <|im_end|>, Llama-3 <|eot_id|>, else eos)."""
    for t in ("<|im_end|>", "<|eot_id|>"):
        if t in tokenizer.get_vocab():
            return tokenizer.convert_tokens_to_ids(t)
    return tokenizer.eos_token_id


def embed_layer(model):
    return model.get_input_embeddings()
