"""Analyses of predictions beyond the metrics: vocabulary bias and noun phrases (paper Sec 4.4.2,
Appendices C–D, Tables 12–15; the noun-phrase extraction is ours, the paper states none:
:data:`NP_METHOD`) and qualitative examples picked by a stated rule (Tables 7, 10, 11)."""

from .qualitative import SELECTION_RULE, pick_examples, sentence_scores
from .vocab_bias import (
    CHUNK_RULE,
    NP_METHOD,
    compare_noun_phrases,
    frequency_table,
    noun_phrase_counts,
    noun_phrases,
    plot_predicted_vs_train,
    vocab_bias_tables,
    word_counts,
)

__all__ = [
    "CHUNK_RULE",
    "NP_METHOD",
    "SELECTION_RULE",
    "compare_noun_phrases",
    "frequency_table",
    "noun_phrase_counts",
    "noun_phrases",
    "pick_examples",
    "plot_predicted_vs_train",
    "sentence_scores",
    "vocab_bias_tables",
    "word_counts",
]
