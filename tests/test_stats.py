"""Table 2 / Table 6 statistics on hand-counted inputs."""

import pytest

from slt_nb.data.manifest import Sample
from slt_nb.data.stats import dataset_stats, frame_stats, rank_frequency, tokenize, vocab_stats

TOKENIZE_CASES = [
    ("am tag scheint im süden die sonne .", "words", ["am", "tag", "scheint", "im", "süden", "die", "sonne"]),
    ("Straße, SÜDEN!", "words", ["straße", "süden"]),
    ("First, cut the onion.", "words", ["first", "cut", "the", "onion"]),
    ("it's 12-15 °C", "words", ["it's", "12-15", "c"]),  # inner punctuation stays; edge symbols (°) strip
    ("“quoted” ...", "words", ["quoted"]),
    ("今天 天气。", "chars", ["今", "天", "天", "气"]),
    ("su\u0308den", "words", ["süden"]),  # NFD input -> NFC
    ("", "words", []),
]


@pytest.mark.parametrize("text,tok,expected", TOKENIZE_CASES)
def test_tokenize(text, tok, expected):
    assert tokenize(text, tok) == expected


def _samples(lengths):
    return [Sample(id=f"s{i}", dataset="phoenix", split="train", source="x", source_kind="frames", n_frames=n, fps=25.0, text="a b .") for i, n in enumerate(lengths)]


def test_frame_stats_known():
    st = frame_stats(_samples([10, 100, 301, 300, 500]), long_threshold=300, t_max=64)
    assert st == {"total_videos": 5, "avg_frames": 242.2, "over_300": 2, "over_t_max": 4, "min_frames": 10, "max_frames": 500}


def test_vocab_stats_known():
    # "a" x 101 (> 100), "b" x 10 (neither), "c" x 9 (< 10), "d" x 1 (< 10)
    texts = ["a " * 101 + "b " * 10, "c " * 9 + "d ."]
    assert vocab_stats(texts) == {"tokens": 121, "unique_tokens": 4, "freq_lt_10": 2, "freq_gt_100": 1}


def test_vocab_stats_other_thresholds_name_their_keys():
    st = vocab_stats(["a a b"], rare_below=2, frequent_above=1)
    assert st == {"tokens": 3, "unique_tokens": 2, "freq_lt_2": 1, "freq_gt_1": 1}


def test_dataset_stats_has_cli_keys():
    keys = set(dataset_stats(_samples([5, 6])))
    assert {"total_videos", "avg_frames", "over_300", "tokens", "unique_tokens", "freq_lt_10", "freq_gt_100"} <= keys


def test_rank_frequency_deterministic_ties():
    assert rank_frequency(["b a c a", "c"]) == [(1, "a", 2), (2, "c", 2), (3, "b", 1)]
