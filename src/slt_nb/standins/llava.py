"""Stand-ins of LLaVA-SLT's pretrained parts: the DINOv2 backbone, the mBART text encoder and the two LLMs.

Each builder writes the files of a hub repo of that checkpoint into a folder for
:mod:`slt_nb.standins.hub_cache`; the project loads them unchanged (``encoder.build_backbone``,
``text_encoder.HFTextEncoder``, ``llm.load_llm``). Same classes, same tokenizer kind and special tokens,
same chat templates and generation defaults as the real repos; what differs is size only (widths,
depths, vocabularies trained on the fixed text :data:`slt_nb.standins.vlm.TEXT`), and weights are random
(``seed``). The LLMs store bfloat16 weights in four shards like the real repos; DINOv2 and mBART float32.

* ``facebook/dinov2-base``: ``Dinov2Model`` (ViT-B/14 layout: patch 14, image 518, layer scale) and the
  real ``BitImageProcessor`` preprocessor config;
* ``facebook/mbart-large-cc25``: ``MBartForConditionalGeneration`` and, as its only tokenizer files, a
  unigram sentencepiece model as ``sentence.bpe.model`` (fairseq's name) and ``sentencepiece.bpe.model``
  (the name transformers reads; the real repo holds both): ``AutoTokenizer`` converts it slow -> fast on
  load (the real repo also ships a ``tokenizer.json``, which would skip that conversion);
* ``meta-llama/Llama-3.1-8B-Instruct``: ``LlamaForCausalLM`` (llama3 RoPE scaling) and a
  ``PreTrainedTokenizerFast`` with Llama-3's split regex, its 256 special tokens after the BPE
  vocabulary (``<|begin_of_text|>`` added in front, eos ``<|eot_id|>``) and the Llama-3.1 chat template;
* ``Qwen/Qwen2.5-7B-Instruct``: ``Qwen2ForCausalLM`` (embedding padded past the tokenizer, as the real
  152,064 rows) and ``Qwen2TokenizerFast`` with Qwen2's split regex, its 22 added tokens and the ChatML
  (Qwen2.5) chat template.

The two chat templates are read from TRL's byte-identical copies of the originals (``trl/chat_templates``,
kept there to recognise the real models), so TRL recognises the stand-ins as it does the real models.
"""

from __future__ import annotations

import io
from importlib.resources import files
from pathlib import Path

from .vlm import TEXT, save_sharded

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_SPECIAL = ("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                  "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                  "<|eot_id|>", "<|python_tag|>", *(f"<|reserved_special_token_{i}|>" for i in range(3, 248)))  # ids 128000-128255
QWEN2_ADDED = (("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<|object_ref_start|>", True),
               ("<|object_ref_end|>", True), ("<|box_start|>", True), ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
               ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True), ("<|image_pad|>", True), ("<|video_pad|>", True),
               ("<tool_call>", False), ("</tool_call>", False), ("<|fim_prefix|>", False), ("<|fim_middle|>", False), ("<|fim_suffix|>", False),
               ("<|fim_pad|>", False), ("<|repo_name|>", False), ("<|file_sep|>", False))  # ids 151643-151664: (token, special)
# The real repo's sentencepiece model under both its names: fairseq's sentence.bpe.model and the name transformers
# reads (MBartTokenizer(Fast).vocab_files_names). No tokenizer.json: AutoTokenizer converts slow -> fast on load.
MBART_SPM_FILES = ("sentence.bpe.model", "sentencepiece.bpe.model")
MBART_SPM_VOCAB = 400  # real: 250,000 pieces (+ 4 fairseq specials, 25 language codes, <mask> = 250,027)
BPE_VOCAB = 1024  # real: Llama-3 128,000 / Qwen2 151,643 merges+bytes
LLM_SHARDS = 4  # both real LLM repos: model-0000{1..4}-of-00004.safetensors
# generation_config.json of the real repos (sampling defaults: greedy decoding must override them)
LLAMA3_GENERATION = dict(do_sample=True, temperature=0.6, top_p=0.9)
QWEN2_GENERATION = dict(do_sample=True, temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05)
# the real facebook/dinov2-base preprocessor_config.json
DINOV2_PREPROCESSOR = dict(do_resize=True, size={"shortest_edge": 256}, resample=3, do_center_crop=True, crop_size={"height": 224, "width": 224},
                           do_rescale=True, rescale_factor=1 / 255, do_normalize=True, image_mean=[0.485, 0.456, 0.406],
                           image_std=[0.229, 0.224, 0.225], do_convert_rgb=True)


def _seeded(seed: int, make):
    """``make()`` under ``torch.manual_seed(seed)``, leaving the global RNG as it was."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def _corpus(*extra: str) -> list[str]:
    """:data:`TEXT`, LLaVA-SLT's system prompts and ``extra`` boilerplate: what the stand-in tokenizers learn."""
    from ..llava_slt.prompts import TEMPLATES, all_system_prompts

    return list(TEXT) + [p for d in sorted(TEMPLATES) for p in all_system_prompts(d)] + list(extra)


def _trl_template(name: str) -> str:
    return (files("trl") / "chat_templates" / f"{name}.jinja").read_text(encoding="utf-8")


def _byte_level_bpe(split: str, texts: list[str], added, *, nfc: bool, bos: str | None = None):
    """A byte-level BPE ``tokenizers.Tokenizer`` like the real Llama-3 / Qwen2 ones: regex split, bytes, BPE
    trained on ``texts``; ``added`` ((token, special), ...) get the ids after the vocabulary, in order."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(ignore_merges=bos is not None))  # Llama-3 sets ignore_merges, Qwen2 does not
    tok.normalizer = normalizers.NFC() if nfc else None
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(split), behavior="isolated"),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    for token, special in added:
        (tok.add_special_tokens if special else tok.add_tokens)([AddedToken(token, special=special, normalized=False)])
    byte_level = processors.ByteLevel(trim_offsets=False)
    if bos is None:
        tok.post_processor = byte_level
    else:
        bos_id = tok.token_to_id(bos)
        tok.post_processor = processors.Sequence([byte_level, processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B:1", special_tokens=[(bos, bos_id)])])
    return tok


def _save_llm(folder: Path, model, tok, generation: dict, eos: list[str]) -> None:
    import torch

    ids = tok.convert_tokens_to_ids
    for key, value in {**generation, "eos_token_id": ids(eos)}.items():
        setattr(model.generation_config, key, value)
    save_sharded(model.to(torch.bfloat16), folder, LLM_SHARDS)
    tok.save_pretrained(folder)


def dinov2(folder: Path, hub_id: str, *, seed: int) -> None:
    """facebook/dinov2-base: a 2-layer, 32-wide ``Dinov2Model`` (real: 12 layers, 768) with the real patch 14,
    image size 518 (position embeddings interpolated for other sizes), MLP ratio 4, layer scale; the real
    ``BitImageProcessor`` config."""
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    cfg = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=4, image_size=518, patch_size=14,
                       layerscale_value=1.0, layer_norm_eps=1e-6, drop_path_rate=0.0, use_swiglu_ffn=False)
    model = _seeded(seed, lambda: Dinov2Model(cfg))
    model.save_pretrained(folder, safe_serialization=True)
    BitImageProcessor(**DINOV2_PREPROCESSOR).save_pretrained(folder)


def _sentencepiece(texts: list[str]) -> bytes:
    """A unigram sentencepiece model (unk 0, bos 1, eos 2, no pad: fairseq's layout, as mBART's) trained on
    ``texts`` in one thread, written to memory (so no input path is recorded in it): deterministic bytes."""
    import sentencepiece as spm

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=out, model_type="unigram", vocab_size=MBART_SPM_VOCAB,
                                   character_coverage=1.0, hard_vocab_limit=False, num_threads=1, shuffle_input_sentence=False,
                                   unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
    return out.getvalue()


def mbart(folder: Path, hub_id: str, *, seed: int) -> None:
    """facebook/mbart-large-cc25: a 1+1-layer, 32-wide ``MBartForConditionalGeneration`` (real: 12+12, 1024) whose
    vocabulary follows the real layout (fairseq <s> <pad> </s> <unk>, the sentencepiece pieces, 25 language
    codes, <mask>) and the sentencepiece model (:data:`MBART_SPM_FILES`) as the only tokenizer files."""
    import sentencepiece as spm
    from transformers import MBartConfig, MBartForConditionalGeneration
    from transformers.models.mbart.tokenization_mbart import FAIRSEQ_LANGUAGE_CODES

    model_bytes = _sentencepiece(_corpus())
    n_pieces = spm.SentencePieceProcessor(model_proto=model_bytes).get_piece_size()
    vocab = n_pieces + 1 + len(FAIRSEQ_LANGUAGE_CODES) + 1  # fairseq offset 1, language codes, <mask>
    cfg = MBartConfig(vocab_size=vocab, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                      encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=1024, dropout=0.1, attention_dropout=0.0,
                      activation_function="gelu", scale_embedding=True, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = _seeded(seed, lambda: MBartForConditionalGeneration(cfg))
    model.save_pretrained(folder, safe_serialization=True)
    for name in MBART_SPM_FILES:
        (Path(folder) / name).write_bytes(model_bytes)


def llama3_instruct(folder: Path, hub_id: str, *, seed: int) -> None:
    """meta-llama/Llama-3.1-8B-Instruct: a 2-layer, 64-wide ``LlamaForCausalLM`` (real: 32 layers, 4096; GQA 4:1
    kept as 4 heads : 1 kv head, llama3 RoPE scaling, untied head) + the Llama-3.1 tokenizer layout, template
    and generation defaults (eos <|end_of_text|>, <|eom_id|>, <|eot_id|>)."""
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    boiler = ("system", "user", "assistant", "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n")
    raw = _byte_level_bpe(LLAMA3_SPLIT, _corpus(*boiler), [(t, True) for t in LLAMA3_SPECIAL], nfc=False, bos="<|begin_of_text|>")
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", model_max_length=131072,
                                  clean_up_tokenization_spaces=True, model_input_names=["input_ids", "attention_mask"],
                                  chat_template=_trl_template("llama3_1"))
    ids = tok.convert_tokens_to_ids
    eos = ["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"]
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=224, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=1, max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
                      rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                    "original_max_position_embeddings": 8192},
                      tie_word_embeddings=False, bos_token_id=ids("<|begin_of_text|>"), eos_token_id=ids(eos))
    model = _seeded(seed, lambda: LlamaForCausalLM(cfg))
    _save_llm(Path(folder), model, tok, {**LLAMA3_GENERATION, "bos_token_id": ids("<|begin_of_text|>")}, eos)


def qwen2_instruct(folder: Path, hub_id: str, *, seed: int) -> None:
    """Qwen/Qwen2.5-7B-Instruct: a 2-layer, 64-wide ``Qwen2ForCausalLM`` (real: 28 layers, 3584; GQA 4 heads : 1 kv
    head for 28:4, untied head) + ``Qwen2TokenizerFast`` (eos <|im_end|>, pad <|endoftext|>, no bos), the
    Qwen2.5 ChatML template and generation defaults (eos <|im_end|>, <|endoftext|>)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM, Qwen2TokenizerFast

    raw = _byte_level_bpe(QWEN2_SPLIT, _corpus("system\n", "user\n", "assistant\n"), QWEN2_ADDED, nfc=True)
    tok = Qwen2TokenizerFast(tokenizer_object=raw, unk_token=None, bos_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                             additional_special_tokens=[t for t, special in QWEN2_ADDED[1:14] if special], model_max_length=131072,
                             clean_up_tokenization_spaces=False, split_special_tokens=False, errors="replace",
                             chat_template=_trl_template("qwen2_5"))
    ids = tok.convert_tokens_to_ids
    cfg = Qwen2Config(vocab_size=-(-len(tok) // 64) * 64, hidden_size=64, intermediate_size=224, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=1, max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0, sliding_window=131072,
                      use_sliding_window=False, max_window_layers=2, tie_word_embeddings=False, bos_token_id=ids("<|endoftext|>"),
                      eos_token_id=ids("<|im_end|>"))
    model = _seeded(seed, lambda: Qwen2ForCausalLM(cfg))
    gen = {**QWEN2_GENERATION, "bos_token_id": ids("<|endoftext|>"), "pad_token_id": ids("<|endoftext|>")}
    _save_llm(Path(folder), model, tok, gen, ["<|im_end|>", "<|endoftext|>"])

