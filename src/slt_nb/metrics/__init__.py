"""Translation metrics of the small-VLM SLT paper (Sec 4.2): BLEU-1..4, ROUGE-L, TSR, PGER, plus
bootstrap confidence intervals and paired significance. Entry point: :func:`score_file`.

PGER's tagger and TSR's embedder are the offline stand-ins by default (HanTa, the packaged
all-MiniLM-L6-v2); the paper's models are named by hub id and read from the local Hugging Face cache
(:mod:`.hub_models`; FLAIR files through the restricted loader of :mod:`.flair_pickle`).

Every reported value stays inside its metric's stated range (:mod:`.ranges`); a prediction or reference
longer than :data:`~.limits.MAX_SENTENCE_CHARS` characters is refused (:mod:`.limits`).

Heavy dependencies (torch via sentence-transformers, HanTa models) load lazily, on first use.
"""

from .bleu import corpus_bleu, sentence_bleu
from .bootstrap import bootstrap_ci, paired_bootstrap
from .hub_models import MetricModelFallback
from .limits import MAX_SENTENCE_CHARS
from .pger import content_words, get_tagger, pger
from .predictions import Prediction, parse_predictions, read_predictions
from .ranges import RANGES, MetricRangeError
from .rouge import rouge_l, sentence_rouge_l
from .score import KEYS, score_file, score_records
from .text import DATASET_LANG, UnicodeTokenizer, word_tokens
from .tsr import WordEmbedder, soft_cardinality, translation_soft_recall

__all__ = [
    "DATASET_LANG",
    "KEYS",
    "MAX_SENTENCE_CHARS",
    "RANGES",
    "MetricModelFallback",
    "MetricRangeError",
    "Prediction",
    "UnicodeTokenizer",
    "WordEmbedder",
    "bootstrap_ci",
    "content_words",
    "corpus_bleu",
    "get_tagger",
    "paired_bootstrap",
    "parse_predictions",
    "pger",
    "read_predictions",
    "rouge_l",
    "score_file",
    "score_records",
    "sentence_bleu",
    "sentence_rouge_l",
    "soft_cardinality",
    "translation_soft_recall",
    "word_tokens",
]
