"""iSign cleaning (paper Appendix A): invalid texts, no-person videos, the vocabulary-aware subset."""

from __future__ import annotations

import json

import pytest
import realfmt as rf

from slt_nb.data.clean import assign_splits, is_valid_translation, tokens, vocab_subset, word_frequencies
from slt_nb.data.loaders import load_dataset
from slt_nb.data.person import SkinMotionStandIn, make_detector
from slt_nb.errors import SLTInputError


@pytest.mark.parametrize(
    "text,valid",
    [
        ("He is going to the market.", True),
        ("a", True),
        ("नमस्ते", True),
        ("", False),
        ("   \t", False),
        (None, False),
        ("nan", False),
        ("NaN", False),
        ("None", False),
        (" - ", False),
        ("42", False),
        ("...!?", False),
    ],
)
def test_valid_translation(text, valid):
    assert is_valid_translation(text) is valid


def test_tokens_lowercase_and_strip_edge_punctuation():
    assert tokens("Hello, WORLD! don't (stop) -- 3.5") == ["hello", "world", "don't", "stop", "3.5"]
    assert word_frequencies(["A cat.", "a dog", "Cat!"]) == {"a": 2, "cat": 2, "dog": 1}


def _corpus(n: int = 100, n_unique: int = 40):
    """Every item has the common words; the first ``n_unique`` also one word seen nowhere else."""
    return [(f"s{i:03d}", f"the weather is fine today{f' word{i}' if i < n_unique else ''}") for i in range(n)]


def test_vocab_subset_sizes():
    sub = vocab_subset(_corpus(), rare_threshold=10, n_rare=30, n_rest=20, seed=0)
    assert (sub.rare_pool, sub.from_rare, sub.rest_pool, sub.from_rest) == (40, 30, 70, 20)
    assert len(sub.selected) == 50 and len(sub.left_out) == 50
    assert set(sub.selected).isdisjoint(sub.left_out)
    assert sub.rare_words == 40 and sub.words == 45
    assert "30 of 40 samples with a rare word" in sub.summary()
    rare_selected = [s for s in sub.selected if int(s[1:]) < 40]
    assert len(rare_selected) >= 30


def test_vocab_subset_takes_all_rare_items_when_fewer_than_n_rare():
    sub = vocab_subset(_corpus(), n_rare=1000, n_rest=5)
    assert (sub.from_rare, sub.from_rest, len(sub.selected)) == (40, 5, 45)
    assert all(f"s{i:03d}" in sub.selected for i in range(40))


def test_vocab_subset_threshold_is_strict():
    items = [(f"a{i}", "ten") for i in range(10)] + [(f"b{i}", "nine") for i in range(9)]
    sub = vocab_subset(items, rare_threshold=10, n_rare=100, n_rest=0)
    assert sub.rare_pool == 9 and sub.selected == [f"b{i}" for i in range(9)]


def test_vocab_subset_is_deterministic_by_seed():
    runs = [vocab_subset(_corpus(), n_rare=30, n_rest=20, seed=s).selected for s in (7, 7, 8)]
    assert runs[0] == runs[1] != runs[2]
    assert runs[0] == sorted(runs[0])  # corpus order


def test_assign_splits_paper_sizes_and_determinism():
    ids = [f"x{i}" for i in range(50_000)]
    fractions = {"train": 0.86, "val": 0.07, "test": 0.07}
    split_of = assign_splits(ids, fractions, seed=3)
    assert sorted(split_of.values()).count("train") == 43_000
    assert list(split_of.values()).count("dev") == 3_500 and list(split_of.values()).count("test") == 3_500
    assert assign_splits(list(reversed(ids)), fractions, seed=3) == split_of


@pytest.mark.parametrize("bad", [{"train": 0.9, "dev": 0.2, "test": 0.1}, {"train": 1.0}, {"train": 1.2, "dev": -0.1, "test": -0.1}])
def test_assign_splits_rejects_bad_fractions(bad):
    with pytest.raises(SLTInputError, match="split fractions"):
        assign_splits(["a", "b"], bad)


def test_stand_in_detector_on_a_photo_of_a_person_and_an_empty_scene():
    det = SkinMotionStandIn()
    assert "NOT pose estimation" in det.name
    assert det.has_person(rf.person_frames(5))
    assert not det.has_person(rf.empty_frames(5))
    assert not det.has_person(rf.person_frames(1).repeat(5, axis=0))  # a still photo does not sign


def test_unknown_detector_is_an_error():
    with pytest.raises(SLTInputError, match="unknown person detector 'yolo'.*mediapipe-pose, standin-skin-motion, none"):
        make_detector("yolo")


INVALID = {"bad_nan": "nan", "bad_empty": "", "bad_dash": "-", "bad_space": "   ", "bad_digits": "1234"}
PEOPLE = {"p1": "The train is late.", "p2": "Please sit down, friend."}
EMPTY = {"e1": "Nobody is signing here."}


@pytest.fixture(scope="module")
def isign_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("isign")
    rf.write_isign(root, {**PEOPLE, **EMPTY, **INVALID}, people=set(PEOPLE), missing=set(INVALID))
    return root


# mediapipe is part of the pinned environment (requirements-nodeps.txt): no skip if it is missing.
@pytest.mark.parametrize("detector", ["standin-skin-motion", "mediapipe-pose"])
def test_isign_cleaning_drops_and_counts(isign_root, tmp_path, detector):
    result = load_dataset("isign", isign_root, person_detector=detector, split_fractions={"train": 1, "dev": 0, "test": 0})
    assert sorted(s.id for s in result.samples) == sorted(PEOPLE)
    drops = result.drops
    assert drops.counts == {"invalid_translation": 5, "no_person_detected": 1}
    assert sorted(drops.reasons["invalid_translation"]) == sorted(INVALID)
    assert drops.reasons["no_person_detected"] == ["e1"]
    assert drops.notes["person_detector"].startswith(detector)
    assert any("no_person_detected" in n for n in result.notes)
    written = json.loads(drops.write(tmp_path).read_text(encoding="utf-8"))
    assert written["total_dropped"] == 6 and written["counts"]["no_person_detected"] == 1


def test_isign_without_person_filter_says_so(isign_root):
    result = load_dataset("isign", isign_root, person_detector="none", split_fractions={"train": 1, "dev": 0, "test": 0})
    assert sorted(s.id for s in result.samples) == sorted({**PEOPLE, **EMPTY})
    assert result.drops.counts == {"invalid_translation": 5}
    assert "filter is disabled" in result.drops.notes["person_detector"]


def test_isign_vocab_subset_leaves_out_and_reports(tmp_path):
    rows = {f"v{i}": f"the weather is fine today{f' word{i}' if i < 4 else ''}" for i in range(12)}
    rf.write_isign(tmp_path, rows)
    opts = dict(person_detector="none", n_rare=3, n_rest=2, split_fractions={"train": 0.6, "dev": 0.2, "test": 0.2}, seed=5)
    result = load_dataset("isign", tmp_path, **opts)
    assert len(result.samples) == 5
    assert sorted(s.split for s in result.samples) == ["dev", "test", "train", "train", "train"]
    assert result.drops.counts == {"not_in_vocab_subset": 7}
    assert "3 of 4 samples with a rare word selected, then 2 of the 9 remaining" in result.drops.notes["subset"]
    assert [s.id for s in load_dataset("isign", tmp_path, **opts).samples] == [s.id for s in result.samples]
