"""An offline Hugging Face hub cache holding small stand-ins under the real hub ids (the rehearsal).

:func:`build_hub_cache` writes, for each hub id, the standard cache layout that ``huggingface_hub``
reads with ``HF_HUB_OFFLINE=1``::

    $HF_HOME/hub/models--ORG--NAME/refs/main              # the commit hash (40 hex digits)
    $HF_HOME/hub/models--ORG--NAME/blobs/<sha256>         # file contents
    $HF_HOME/hub/models--ORG--NAME/snapshots/<commit>/…   # symlinks into blobs/, named as in the repo

Each stand-in is a small, randomly initialised model of the **same class** as the real checkpoint
(``SmolVLMForConditionalGeneration``, ``LlamaForCausalLM``, a FLAIR ``SequenceTagger``, …) with the
files a real repo holds (config, safetensors weights, tokenizer, processor), written by the builder
named in :data:`STANDINS`. The real code then loads it unchanged: ``from_pretrained(hub_id)`` finds the
snapshot, nothing branches on "rehearsal". The commit hash is derived from the builder's version, the
hub id and the seed, so the same call writes the same cache.

``python -m slt_nb.standins.hub_cache HF_HOME [--params params/paper.yaml]`` builds the stand-ins of
every hub id a params file names (:func:`hub_ids_in_params`); then run with
``HF_HOME=HF_HOME HF_HUB_OFFLINE=1`` (:func:`offline_env`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import SLTInputError
from ..io import atomic_dir

BUILD_VERSION = 1  # bump when a builder changes: cached stand-ins are rebuilt
MARKER = "slt_nb_standin.json"  # beside refs/ and snapshots/ (never inside a snapshot): what built this repo

# hub id -> "module:function" in slt_nb.standins; the function writes one checkpoint's files into a folder:
# fn(folder: Path, hub_id: str, *, seed: int) -> None
STANDINS: dict[str, str] = {
    # small-VLM paper: Sec 4.3 footnotes 4-5 (main models), Table 8 (the SmolVLM2 sizes)
    "HuggingFaceTB/SmolVLM2-2.2B-Instruct": "vlm:smolvlm2",
    "HuggingFaceTB/SmolVLM2-500M-Video-Instruct": "vlm:smolvlm2",
    "HuggingFaceTB/SmolVLM2-256M-Video-Instruct": "vlm:smolvlm2",
    "Qwen/Qwen2.5-VL-3B-Instruct": "vlm:qwen2_5_vl",
    # LLaVA-SLT: Sec 3.2 (DINOv2 backbone, mBART text encoder), Sec 4.2 / Tab. 6 (LLMs)
    "facebook/dinov2-base": "llava:dinov2",
    "facebook/mbart-large-cc25": "llava:mbart",
    "meta-llama/Llama-3.1-8B-Instruct": "llava:llama3_instruct",
    "Qwen/Qwen2.5-7B-Instruct": "llava:qwen2_instruct",
    # LLaVA-SLT ablations (Tab. 6 row 4, Tab. 7 rows 2 and 6)
    "Qwen/Qwen2.5-14B-Instruct": "llava:qwen2_instruct",
    "Qwen/Qwen2.5-0.5B": "llava:qwen2_instruct",
    "facebook/dinov2-small": "llava:dinov2",
    # metric models: small-VLM paper Sec 4.2 (FLAIR POS tagging for PGER, multilingual MiniLM for TSR)
    "flair/upos-multi": "metric_models:flair_upos",
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2": "metric_models:sentence_transformer",
}

HUB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PATH_KEYS = re.compile(r"(^root$|_dir$|_file$|^file$|^path$)")


def repo_folder(hf_home: str | Path, hub_id: str) -> Path:
    """``$HF_HOME/hub/models--ORG--NAME`` (huggingface_hub's naming)."""
    return Path(hf_home) / "hub" / ("models--" + hub_id.replace("/", "--"))


def offline_env(hf_home: str | Path) -> dict[str, str]:
    """The environment under which the real code loads from ``hf_home`` and never reaches for the hub."""
    return {"HF_HOME": str(Path(hf_home).resolve()), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def builder(hub_id: str) -> Callable:
    """The function that writes the stand-in of ``hub_id``; an unknown id names the known ones."""
    try:
        target = STANDINS[hub_id]
    except KeyError:
        raise SLTInputError(f"no stand-in for hub id {hub_id!r}", hint=f"known: {sorted(STANDINS)}; add a builder to slt_nb.standins.hub_cache.STANDINS") from None
    module, fn = target.split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), fn)


def _commit(hub_id: str, seed: int) -> str:
    return hashlib.sha1(json.dumps([BUILD_VERSION, STANDINS.get(hub_id), hub_id, seed]).encode()).hexdigest()


def write_snapshot(hf_home: str | Path, hub_id: str, *, seed: int = 0, force: bool = False) -> Path:
    """Build the stand-in of ``hub_id`` into the cache (standard layout, see the module docstring) and
    return its snapshot folder. A repo already built by the same builder version and seed is kept unless
    ``force``. The repo folder is replaced whole (built in a temporary folder beside it)."""
    repo = repo_folder(hf_home, hub_id)
    commit = _commit(hub_id, seed)
    marker = {"hub_id": hub_id, "builder": STANDINS.get(hub_id), "version": BUILD_VERSION, "seed": seed, "commit": commit}
    snapshot = repo / "snapshots" / commit
    if not force and snapshot.is_dir() and (repo / MARKER).is_file() and json.loads((repo / MARKER).read_text()) == marker:
        return snapshot
    build = builder(hub_id)
    with atomic_dir(repo) as tmp:
        files = tmp / "files"
        files.mkdir()
        build(files, hub_id, seed=seed)
        if not any(files.iterdir()):
            raise SLTInputError(f"the stand-in builder of {hub_id!r} wrote no files")
        _lay_out(files, tmp, commit)
        shutil.rmtree(files)
        (tmp / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    return snapshot


def _lay_out(files: Path, repo: Path, commit: str) -> None:
    """Move ``files`` into ``repo`` as blobs (content-addressed) + snapshot symlinks + refs/main."""
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    snap = repo / "snapshots" / commit
    blobs = repo / "blobs"
    blobs.mkdir()
    for f in sorted(p for p in files.rglob("*") if p.is_file()):
        rel = f.relative_to(files)
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        if not (blobs / digest).exists():
            shutil.copyfile(f, blobs / digest)
        link = snap / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blobs / digest, link.parent), link)


def build_hub_cache(hf_home: str | Path, hub_ids: Iterable[str] | None = None, *, seed: int = 0, force: bool = False,
                    progress: bool = True) -> dict[str, Path]:
    """Stand-ins for ``hub_ids`` (default: every id in :data:`STANDINS`) under ``hf_home``; {hub id: snapshot}."""
    from ..progress import tqdm

    ids = sorted(set(STANDINS if hub_ids is None else hub_ids))
    for hub_id in ids:
        builder(hub_id)  # every id known before anything is built
    return {hub_id: write_snapshot(hf_home, hub_id, seed=seed, force=force)
            for hub_id in tqdm(ids, desc="stand-in hub cache", unit="model", disable=not progress)}


def hub_ids_in_params(params) -> set[str]:
    """Every hub id (``ORG/NAME``) named by a params mapping's values, at any depth. Paths are not hub ids:
    values of keys like ``root`` / ``*_dir`` and strings starting with ``.``, ``/`` or ``~`` are skipped;
    a ``kind:ORG/NAME`` spec (e.g. ``flair:flair/upos-multi``) counts as ``ORG/NAME``."""
    found: set[str] = set()

    def walk(value, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and not _PATH_KEYS.search(key):
            s = value.split(":", 1)[1] if re.match(r"^[a-z][a-z0-9_-]*:[^/]", value) else value
            if not s.startswith((".", "/", "~")) and HUB_ID_RE.match(s):
                found.add(s)

    walk(params)
    return found


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ..params import load_params

    ap = argparse.ArgumentParser(prog="python -m slt_nb.standins.hub_cache", description=build_hub_cache.__doc__)
    ap.add_argument("hf_home", help="folder to use as HF_HOME")
    ap.add_argument("--params", help="build the stand-ins of every hub id this params file names (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    ids = hub_ids_in_params(load_params(a.params)) if a.params else None
    for hub_id, snap in build_hub_cache(a.hf_home, ids, seed=a.seed, force=a.force).items():
        print(f"{hub_id}\t{snap}")
    print("run with: " + " ".join(f"{k}={v}" for k, v in offline_env(a.hf_home).items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
