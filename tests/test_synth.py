"""The synthetic corpus: grammar, sign inventory, renderer and the PHOENIX / How2Sign writers."""

from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from slt_nb.errors import SLTInputError
from slt_nb.synth import (
    LANGS,
    Grammar,
    SignBook,
    SynthConfig,
    generate,
    make_signers,
    render_clip,
)
from slt_nb.synth.signs import HAND_SHAPES, N_COMBOS, SHAPES

TINY = {"n_train": 6, "n_dev": 2, "n_test": 2, "width": 40, "height": 48, "n_signers": 2}  # decord misreads 48 px wide mp4s
PHOENIX_HEADER = "name|video|start|end|speaker|orth|translation"
HOW2SIGN_HEADER = "VIDEO_ID\tVIDEO_NAME\tSENTENCE_ID\tSENTENCE_NAME\tSTART_REALIGNED\tEND_REALIGNED\tSENTENCE"


@functools.cache
def sentences(lang: str, n: int, seed: int = 0):
    g, rng = Grammar(lang), np.random.default_rng(seed)
    return tuple(g.sentence(rng) for _ in range(n))


def words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


# ---------------------------------------------------------------- grammar


@pytest.mark.parametrize("lang", LANGS)
def test_grammar_is_deterministic_per_seed(lang):
    g = Grammar(lang)
    a = [g.sentence(np.random.default_rng(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    assert sentences(lang, 50, 1) == sentences(lang, 50, 1) != sentences(lang, 50, 2)


def test_german_text_is_phoenix_style():
    texts = [s.text for s in sentences("de", 1000)]
    assert all(t == t.lower() and t.endswith(" .") and "  " not in t for t in texts)
    vocab = {w for t in texts for w in t.split()}
    assert {"süden", "später", "größtenteils", "schnee", "gewitter", "temperaturen", "grad"} <= vocab
    assert any(re.fullmatch(r"(zwölf|zwanzig|dreizehn)", w) for w in vocab)  # numbers as words


def test_english_text_is_how2sign_style():
    texts = [s.text for s in sentences("en", 1000)]
    assert all(t[0].isupper() and t.endswith(".") and " ," not in t and " ." not in t for t in texts)
    assert any(t.startswith("I'm ") for t in texts) and not any(re.search(r"\bi\b", t) for t in texts)
    assert not any(re.search(r"\ba [aeiou]", t) for t in texts)  # 'an onion'


GLOSS_SPELLING = {"de": r"[A-Z0-9-]+", "en": r"[A-Z0-9-]+", "en-news": r"[A-Z0-9-]+", "en-in": r"[A-Z0-9-]+", "zh": r"[\u4e00-\u9fff]+"}


@pytest.mark.parametrize("lang", LANGS)
def test_glosses_are_spelt_as_the_corpus_does_and_in_the_vocabulary(lang):
    """Uppercase Latin glosses (PHOENIX, ASL/ISL conventions); Chinese words for CSL-Daily."""
    vocab = set(Grammar(lang).vocabulary())
    for s in sentences(lang, 1000):
        assert s.glosses and set(s.glosses) <= vocab
        assert all(re.fullmatch(GLOSS_SPELLING[lang], g) for g in s.glosses)


@pytest.mark.parametrize("lang", LANGS)
def test_sign_order_differs_from_word_order(lang):
    ss = sentences(lang, 1000)
    assert all(sorted(s.glosses) == sorted(s.spoken) for s in ss)  # same glosses, other order
    assert np.mean([s.glosses != s.spoken for s in ss]) > 0.6


@pytest.mark.parametrize("lang, min_types, max_types", [("de", 150, 400), ("en", 150, 400)])
def test_word_frequencies_are_long_tailed(lang, min_types, max_types):
    counts = collections.Counter(w for s in sentences(lang, 3000) for w in words(s.text))
    assert min_types <= len(counts) <= max_types
    top, median = counts.most_common(1)[0][1], np.median(list(counts.values()))
    assert top > 30 * median
    assert sum(c < 10 for c in counts.values()) >= 40


@pytest.mark.parametrize("lang", LANGS)
def test_gloss_vocabulary_size(lang):
    assert 100 <= len(Grammar(lang).vocabulary()) <= 200


def test_grammar_rejects_unknown_language_and_domain():
    with pytest.raises(SLTInputError, match="'de'"):
        Grammar("fr")
    with pytest.raises(SLTInputError, match="domain"):
        Grammar("en").sentence(np.random.default_rng(0), domain="weather")


def test_english_domain_keeps_to_its_topic():
    g, rng = Grammar("en"), np.random.default_rng(0)
    cooking = " ".join(g.sentence(rng, "cooking").text for _ in range(200)).lower()
    assert "onion" in cooking and "guitar" not in cooking


# ---------------------------------------------------------------- signs


@pytest.mark.parametrize("lang", LANGS)
def test_signbook_gives_every_gloss_its_own_sign(lang):
    vocab = Grammar(lang).vocabulary()
    book, again = SignBook(vocab, (6, 10)), SignBook(reversed(vocab), (6, 10))
    combos = {(book[g].shape, book[g].location, book[g].movement) for g in vocab}
    assert len(combos) == len(vocab) < N_COMBOS
    assert all(book[g] == again[g] and 6 <= book[g].frames <= 10 for g in vocab)
    assert 0.2 < np.mean([book[g].two_handed for g in vocab]) < 0.5


def test_every_shape_can_be_drawn():
    assert set(HAND_SHAPES) == set(SHAPES)


# ---------------------------------------------------------------- render


@pytest.fixture(scope="module")
def signers():
    return make_signers(3, np.random.default_rng(0))


@pytest.mark.parametrize("width, height", [(48, 48), (80, 96), (96, 64)])
def test_render_shape_and_dtype(signers, width, height):
    clip = render_clip(["MORGEN", "REGEN"], signers[0], np.random.default_rng(0), width, height)
    assert clip.dtype == np.uint8 and clip.shape[1:] == (height, width, 3) and len(clip) >= 20


def test_render_is_deterministic(signers):
    a, b = (render_clip(["NORD", "SONNE"], signers[0], np.random.default_rng(3), 48, 48) for _ in range(2))
    assert np.array_equal(a, b)


def test_different_glosses_and_signers_give_different_frames(signers):
    book = SignBook(Grammar("de").vocabulary())
    clips = {g: render_clip([g], signers[0], np.random.default_rng(1), 64, 64, book) for g in ("REGEN", "SCHNEE", "NORD", "GRAD")}
    for a, b in [("REGEN", "SCHNEE"), ("NORD", "GRAD"), ("REGEN", "GRAD")]:
        ca, cb = clips[a], clips[b]
        assert np.abs(ca[len(ca) // 2].astype(int) - cb[len(cb) // 2]).mean() > 1.0
    other = render_clip(["REGEN"], signers[1], np.random.default_rng(1), 64, 64, book)
    assert np.abs(other[0].astype(int) - clips["REGEN"][0]).mean() > 10  # other person, clothes, backdrop


def test_signs_are_recognisable_across_jitter_noise_and_timing(signers):
    """1-nearest-neighbour on a crude motion map (frame minus rest pose, max over the middle half)
    finds the gloss of a clip rendered with another seed far above chance (1/20)."""
    vocab = Grammar("en").vocabulary()
    book = SignBook(vocab)
    glosses = np.random.default_rng(5).choice(vocab, 20, replace=False)

    def motion_map(gloss: str, seed: int) -> np.ndarray:
        clip = render_clip([gloss], signers[0], np.random.default_rng(seed), 96, 96, book).astype(np.float32)
        t = len(clip)
        diff = np.abs(clip[t // 4 : 3 * t // 4] - clip[0]).max(0)  # (96, 96, 3)
        return diff.reshape(24, 4, 24, 4, 3).mean((1, 3)).ravel()

    x = np.stack([motion_map(g, seed) for g in glosses for seed in range(3)])
    y = np.repeat(np.arange(len(glosses)), 3)
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (y[d.argmin(1)] == y).mean() > 0.5


def test_clip_length_grows_with_glosses_and_tempo(signers):
    glosses = ["MORGEN", "NORD", "REGEN", "STARK", "SPAETER", "SONNE", "TEMPERATUR", "GRAD"]
    short = render_clip(glosses[:2], signers[0], np.random.default_rng(0), 32, 32)
    long = render_clip(glosses, signers[0], np.random.default_rng(0), 32, 32)
    assert len(long) > len(short) + 40
    slow, fast = (dataclasses.replace(signers[0], tempo=t) for t in (1.3, 0.8))
    assert len(render_clip(glosses, slow, np.random.default_rng(0), 32, 32)) > len(render_clip(glosses, fast, np.random.default_rng(0), 32, 32)) + 20


def test_signers_are_distinct_and_seeded():
    a, b = make_signers(5, np.random.default_rng(0)), make_signers(5, np.random.default_rng(0))
    assert a == b and len({s.name for s in a}) == 5 and len({(s.skin, s.clothes, s.background) for s in a}) == 5
    assert all(0.8 <= s.tempo <= 1.3 for s in a)


@pytest.mark.parametrize("glosses, width", [([], 48), (["A"], 8), (["A"], 48.0)])
def test_render_rejects_bad_input(signers, glosses, width):
    with pytest.raises(SLTInputError):
        render_clip(glosses, signers[0], np.random.default_rng(0), width, 48)


# ---------------------------------------------------------------- writers


def rerender(lang: str, seed: int, split_index: int, clip_index: int, glosses: list[str], speaker: str, cfg: SynthConfig):
    """A clip rendered again from the documented random streams (see slt_nb.synth.write)."""
    signer = next(s for s in make_signers(cfg.n_signers, np.random.default_rng([seed, 2])) if s.name == speaker)
    book = SignBook(Grammar(lang).vocabulary(), (cfg.min_sign_frames, cfg.max_sign_frames))
    rng = np.random.default_rng([seed, 1, split_index, clip_index])
    return render_clip(glosses, signer, rng, cfg.width, cfg.height, book)


def read_table(path: Path, sep: str) -> tuple[str, list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0], [line.split(sep) for line in lines[1:]]


def tree_digest(root: Path, pattern: str) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob(pattern)):
        h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("phoenix"), "phoenix", "de", seed=1, progress=False, **TINY)


@pytest.fixture(scope="module")
def how2sign(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("how2sign"), "how2sign", "en", seed=1, progress=False, **TINY)


def test_phoenix_tree(phoenix):
    assert phoenix.name == "PHOENIX-2014-T"
    cfg, names = SynthConfig(**TINY).resolved("phoenix"), set()
    for k, (split, n) in enumerate([("train", 6), ("dev", 2), ("test", 2)]):
        header, rows = read_table(phoenix / f"annotations/manual/PHOENIX-2014-T.{split}.corpus.csv", "|")
        assert header == PHOENIX_HEADER and len(rows) == n and all(len(r) == 7 for r in rows)
        for i, (name, video, start, end, speaker, orth, translation) in enumerate(rows):
            assert re.fullmatch(r"\d\d[A-Z][a-z]+_20\d\d_[A-Z][a-z]+day_(heute|tagesschau)-\d+", name)
            assert video == f"{name}/1/*.png" and start == end == "-1" and re.fullmatch(r"Signer0[12]", speaker)
            assert orth == orth.upper() and translation.endswith(" .") and translation == translation.lower()
            frames = sorted((phoenix / "features/fullFrame-210x260px" / split / name).iterdir())
            assert [f.name for f in frames] == [f"images{j:04d}.png" for j in range(1, len(frames) + 1)]
            expected = rerender("de", 1, k, i, orth.split(), speaker, cfg)
            assert len(frames) == len(expected)
            assert np.array_equal(np.stack([np.asarray(Image.open(f)) for f in frames]), expected)  # PNG is lossless
            names.add(name)
    assert len(names) == 10


def test_how2sign_tree(how2sign):
    import decord

    for split, n in [("train", 6), ("val", 2), ("test", 2)]:
        header, rows = read_table(how2sign / f"how2sign_realigned_{split}.csv", "\t")
        assert header == HOW2SIGN_HEADER and len(rows) == n and all(len(r) == 7 for r in rows)
        previous_end: dict[str, float] = {}
        for video_id, video_name, sentence_id, sentence_name, start, end, sentence in rows:
            cam = re.fullmatch(re.escape(video_id) + r"-(\d)-rgb_front", video_name).group(1)
            assert len(video_id) == 11 and re.fullmatch(re.escape(video_id) + r"_\d+", sentence_id)
            assert sentence_name == f"{sentence_id}-{cam}-rgb_front" and sentence[0].isupper()
            assert re.fullmatch(r"\d+\.\d\d", start) and float(start) >= previous_end.get(video_id, 0.0) and float(end) > float(start)
            previous_end[video_id] = float(end)
            vr = decord.VideoReader(str(how2sign / "sentence_level" / split / "rgb_front" / f"{sentence_name}.mp4"))
            assert (len(vr), round(vr.get_avg_fps())) == (round((float(end) - float(start)) * 24), 24)
            assert vr[0].shape == (48, 40, 3)


@pytest.mark.parametrize("glosses, width, height, fps", [(["MORGEN"], 40, 48, 24), (["NORD", "REGEN", "STARK", "SONNE"], 80, 96, 25), (["GRAD"] * 12, 96, 64, 24)])
def test_mp4_holds_exactly_the_rendered_frames(tmp_path, signers, glosses, width, height, fps):
    import decord

    from slt_nb.synth.formats import write_mp4

    clip = render_clip(glosses, signers[2], np.random.default_rng(0), width, height)  # (T, H, W, 3)
    write_mp4(tmp_path / "clip.mp4", clip, fps)
    vr = decord.VideoReader(str(tmp_path / "clip.mp4"))
    assert (len(vr), vr.get_avg_fps()) == (len(clip), fps)
    decoded = vr.get_batch(range(len(vr))).asnumpy()
    assert decoded.shape == clip.shape and np.abs(decoded.astype(int) - clip).mean() < 4


def test_same_seed_same_bytes_other_seed_other_corpus(tmp_path, phoenix, how2sign):
    again = generate(tmp_path / "a", "phoenix", "de", seed=1, progress=False, workers=2, **TINY)  # a process pool
    for pattern in ("*.csv", "*.png"):
        assert tree_digest(again, pattern) == tree_digest(phoenix, pattern)
    assert tree_digest(generate(tmp_path / "b", "how2sign", "en", seed=1, progress=False, **TINY), "*.csv") == tree_digest(how2sign, "*.csv")
    other = generate(tmp_path / "c", "phoenix", "de", seed=2, progress=False, **TINY)
    assert tree_digest(other, "*.csv") != tree_digest(phoenix, "*.csv")


def test_stamp_skips_an_identical_run_and_replaces_a_different_one(tmp_path):
    root = generate(tmp_path, "phoenix", "de", seed=0, progress=False, **TINY)
    stamp = json.loads((root / ".synth.json").read_text())
    assert (stamp["seed"], stamp["lang"], stamp["config"]["width"]) == (0, "de", 40) and not (root / ".synth.partial").exists()
    marker = root / "features" / "marker.txt"
    marker.write_text("kept unless regenerated")
    t0 = time.perf_counter()
    assert generate(tmp_path, "phoenix", "de", seed=0, progress=False, **TINY) == root
    assert time.perf_counter() - t0 < 0.5 and marker.exists()
    generate(tmp_path, "phoenix", "de", seed=0, progress=False, **{**TINY, "n_train": 7})
    assert not marker.exists() and json.loads((root / ".synth.json").read_text())["config"]["n_train"] == 7
    assert len(read_table(root / "annotations/manual/PHOENIX-2014-T.train.corpus.csv", "|")[1]) == 7


def test_an_interrupted_run_is_redone(tmp_path):
    root = generate(tmp_path, "how2sign", "en", seed=0, progress=False, **TINY)
    (root / ".synth.json").rename(root / ".synth.partial")  # as if it died before the stamp
    generate(tmp_path, "how2sign", "en", seed=0, progress=False, **TINY)
    assert (root / ".synth.json").exists() and not (root / ".synth.partial").exists()


def test_a_foreign_tree_is_never_removed(tmp_path):
    real = tmp_path / "PHOENIX-2014-T" / "annotations" / "manual" / "PHOENIX-2014-T.train.corpus.csv"
    real.parent.mkdir(parents=True)
    real.write_text("the real thing")
    with pytest.raises(SLTInputError, match="not written by"):
        generate(tmp_path, "phoenix", "de", progress=False, **TINY)
    assert real.read_text() == "the real thing"


@pytest.mark.parametrize("fmt, lang, sep, column", [("phoenix", "en", "|", 6), ("how2sign", "de", "\t", 6)])
def test_language_is_independent_of_format(tmp_path, fmt, lang, sep, column):
    root = generate(tmp_path, fmt, lang, seed=0, progress=False, **TINY)
    csv = next(root.rglob("*train*.csv"))
    texts = [r[column] for r in read_table(csv, sep)[1]]
    assert len(texts) == 6 and all((t == t.lower()) == (lang == "de") for t in texts)


def test_default_sizes():
    ph, h2s = SynthConfig().resolved("phoenix"), SynthConfig().resolved("how2sign")
    assert (ph.n_train, ph.n_dev, ph.n_test, ph.width, ph.height, ph.fps) == (400, 50, 50, 80, 96, 25)
    assert (h2s.width, h2s.height, h2s.fps, h2s.n_signers) == (96, 96, 24, 5)
    assert (ph.n_no_signer, ph.n_invalid_text) == (0, 0) == (h2s.n_no_signer, h2s.n_invalid_text)
    for fmt in ("openasl", "isign", "csl-daily"):
        c = SynthConfig().resolved(fmt)
        assert (c.width, c.height, c.fps) == (96, 96, 25)
    assert (SynthConfig().resolved("isign").n_no_signer, SynthConfig().resolved("isign").n_invalid_text) == (10, 10)  # 2 % of 500


@pytest.mark.parametrize(
    "args, options, message",
    [
        (("csl", "de"), {}, "'phoenix', 'how2sign'"),
        (("phoenix", "fr"), {}, "'de', 'en'"),
        (("phoenix", "de"), {"n_train": 0}, "n_train must be a positive integer"),
        (("phoenix", "de"), {"n_dev": 2.5}, "n_dev must be a positive integer"),
        (("phoenix", "de"), {"width": 8}, "at least 16"),
        (("how2sign", "en"), {"width": 49}, "even width"),
        (("how2sign", "en"), {"width": 48}, "decord misreads"),
        (("phoenix", "de"), {"seed": -1}, "seed"),
        (("phoenix", "de"), {"frames": 3}, "unknown size options"),
        (("phoenix", "de"), {"min_glosses": 5, "max_glosses": 2}, "must not exceed"),
        (("phoenix", "de"), {"min_glosses": 40, "max_glosses": 50}, "no sentences with 40-50 glosses"),
        (("phoenix", "de"), {"min_sign_frames": 1}, "at least 3"),
        (("phoenix", "de"), {"workers": 0}, "workers must be a positive integer"),
    ],
)
def test_bad_arguments_are_named(tmp_path, args, options, message):
    with pytest.raises(SLTInputError, match=re.escape(message)):
        generate(tmp_path, *args, progress=False, **options)
    assert not any(tmp_path.iterdir())  # nothing written
