"""Stand-ins of the metric models of the small-VLM paper (Sec 4.2): FLAIR UPOS tagging for PGER and the
multilingual MiniLM sentence-transformer for TSR.

Each builder writes the files of the real hub repo into a folder, for :mod:`slt_nb.standins.hub_cache`:

* :func:`flair_upos` — ``flair/upos-multi``: ``pytorch_model.bin`` written by flair's own
  ``SequenceTagger.save`` (a torch zip whose pickle holds the constructor parameters, the UPOS tag
  dictionary and the state dict), + README.md. The tagger is of the real model's classes: a
  ``SequenceTagger`` (BiLSTM-CRF, tag type ``upos``) over ``StackedEmbeddings`` of a forward and a
  backward ``FlairEmbeddings`` (character language models, as the real ``multi-forward`` /
  ``multi-backward``), with the 17 Universal POS tags. Sizes are tiny (a 79-character dictionary, LSTMs
  of 16 units), the weights random from ``seed``: the tags it predicts are valid UPOS tags, not correct ones.
* :func:`sentence_transformer` — ``sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2``: the
  real repo's module layout (``modules.json`` Transformer → ``1_Pooling`` with mean pooling,
  ``sentence_bert_config.json``, ``config_sentence_transformers.json``), a ``BertModel`` config
  (``tokenizer_class: XLMRobertaTokenizer`` as the real one) with safetensors weights, and an
  ``XLMRobertaTokenizerFast`` (``tokenizer.json``: a SentencePiece-style Unigram model whose vocabulary is
  the specials + single characters, so every word is encoded) — 2 layers of width 32 instead of 12 × 384.

Determinism: the same seed writes the same bytes in the same environment (checked in
``tests/test_metrics_real_path.py``): the weights are drawn on the CPU from a forked RNG seeded with
``seed``, flair's device is forced to the CPU while building (a CUDA build would record ``cuda:0`` storage
locations), the torch zip's record names and ``serialization_id`` depend only on the content, and the
tokenizer vocabulary is written, not trained. Across torch / flair / transformers versions the bytes may
differ (the random draws, ``config.json``'s ``transformers_version``, the model card's versions).
"""

from __future__ import annotations

import json
from pathlib import Path

UPOS_TAGS: tuple[str, ...] = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
# characters of the stand-ins' vocabularies (German + English text; anything else is <unk>)
CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜß0123456789.,;:!?'\"-()"

FLAIR_WEIGHTS = "pytorch_model.bin"  # the file name flair's hf_download asks the hub for
FLAIR_SIZES = dict(lm_hidden=16, lm_embedding=8, tagger_hidden=16)
ST_SIZES = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=130)
ST_MAX_SEQ_LENGTH = 128  # the real sentence_bert_config.json's max_seq_length


def _readme(hub_id: str, what: str) -> str:
    return (
        f"# {hub_id} (stand-in)\n\nA small randomly initialised {what} written by `slt_nb.standins.metric_models` under the hub id "
        f"of the real model, so that the project's real metric path loads it offline (HF_HUB_OFFLINE=1). Its outputs mean nothing.\n"
    )


def flair_upos(folder: Path, hub_id: str, *, seed: int) -> None:
    """A tiny FLAIR UPOS ``SequenceTagger`` (see the module docstring), saved by flair as ``pytorch_model.bin``."""
    import flair
    import torch
    from flair.data import Dictionary
    from flair.embeddings import FlairEmbeddings, StackedEmbeddings
    from flair.models import LanguageModel, SequenceTagger

    folder = Path(folder)
    device = flair.device
    flair.device = torch.device("cpu")
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            chars = Dictionary(add_unk=True)
            for c in "\n " + CHARS:
                chars.add_item(c)
            lms = [
                LanguageModel(chars, is_forward_lm=forward, hidden_size=FLAIR_SIZES["lm_hidden"], nlayers=1, embedding_size=FLAIR_SIZES["lm_embedding"], has_decoder=False)
                for forward in (True, False)
            ]
            tags = Dictionary(add_unk=False)
            for t in UPOS_TAGS:
                tags.add_item(t)
            tagger = SequenceTagger(
                hidden_size=FLAIR_SIZES["tagger_hidden"],
                embeddings=StackedEmbeddings([FlairEmbeddings(lm) for lm in lms]),
                tag_dictionary=tags,
                tag_type="upos",
                use_crf=True,
            )
        # what flair's trainer records (torch.__version__ is a TorchVersion, a str subclass: one more global in the pickle)
        tagger.model_card = {"flair_version": flair.__version__, "pytorch_version": torch.__version__, "training_parameters": {"standin_seed": seed}}
        tagger.save(folder / FLAIR_WEIGHTS)
    finally:
        flair.device = device
    (folder / "README.md").write_text(_readme(hub_id, "FLAIR SequenceTagger (UPOS, BiLSTM-CRF over forward/backward FlairEmbeddings)"), encoding="utf-8")


def _unigram_tokenizer():
    """An ``XLMRobertaTokenizerFast`` over a written (not trained) Unigram vocabulary: XLM-R's specials in
    XLM-R's order, "▁" + each character (word start) and each character (inside a word), ``<mask>`` last."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizerFast

    specials = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces = [("▁", -3.0)] + [("▁" + c, -4.0) for c in CHARS] + [(c, -5.0) for c in CHARS]
    vocab = specials + pieces + [("<mask>", 0.0)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>", pad_token="<pad>",
        mask_token="<mask>", model_max_length=ST_MAX_SEQ_LENGTH,
    )  # fmt: skip


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def sentence_transformer(folder: Path, hub_id: str, *, seed: int) -> None:
    """A tiny sentence-transformers model in the layout of paraphrase-multilingual-MiniLM-L12-v2's repo."""
    import torch
    from transformers import BertConfig, BertModel

    folder = Path(folder)
    tok = _unigram_tokenizer()
    tok.save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(tok), pad_token_id=tok.pad_token_id, type_vocab_size=2, hidden_act="gelu", architectures=["BertModel"],
        tokenizer_class="XLMRobertaTokenizer", **ST_SIZES,
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config).eval()
    model.save_pretrained(str(folder), safe_serialization=True)
    dim = ST_SIZES["hidden_size"]
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ])  # fmt: skip
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": ST_MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(folder / "config_sentence_transformers.json", {"__version__": {"sentence_transformers": "2.0.0", "transformers": "4.7.0", "pytorch": "1.9.0+cu102"}})
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": dim, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
    })  # fmt: skip
    (folder / "README.md").write_text(_readme(hub_id, "sentence-transformers model (BertModel + mean pooling, XLM-R-style tokenizer)"), encoding="utf-8")
