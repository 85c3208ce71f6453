"""What a fine-tuning run trains on and where it lives: the dataset record and training samples, the run's
key (resolved config + training data + base model) and the folder hash it names, the base model it starts
from (the cached tiny base for ``model: tiny``, :mod:`slt_nb.standins.pretrain`; a hub id or local folder as
given otherwise), and the plan :func:`slt_nb.train.run.train_run` executes. Nothing here trains.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from ..errors import SLTInputError
from ..models.registry import get_family
from .device import precision_of
from .run_config import RunConfig
from .run_files import read_run_json
from .strategy import get_strategy

RUN_INFO = "run.json"
ADAPTER_DIR = "adapter"
RUN_VERSION = 2  # 2: the model's own loss on CPU (loss_impl "auto"); bump when training changes in a way that should not reuse finished runs


# ---- names, hashes, data -----------------------------------------------------------------------


def dataset_record(dataset: str, manifest_dir: str | Path = "data/manifests") -> dict:
    from ..data.prepare import load_prepared

    records = load_prepared(manifest_dir)
    for r in records:
        if r["name"] == dataset:
            return r
    raise SLTInputError(f"dataset {dataset!r} was not prepared", hint=f"prepared: {[r['name'] for r in records]}; add it to 01_data_prep's datasets")


def train_samples(record: dict, max_samples: int | None = None) -> list:
    from ..data.prepare import load_split

    samples = load_split(record, "train")
    if max_samples is not None:
        samples = samples[: int(max_samples)]
    if not samples:
        raise SLTInputError(f"dataset {record['name']!r} has no training clips", hint="run 01_data_prep first")
    return samples


def data_fingerprint(samples) -> str:
    h = hashlib.sha256()
    for s in samples:
        h.update(json.dumps([s.id, s.text, s.n_frames, s.fps, s.start, s.end], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:16]


def check_sources(samples) -> None:
    """Every clip's source exists (and a frame folder holds images whose names give their order) before any training starts."""
    from ..data.frames import list_frame_files

    for s in samples:
        p = Path(s.source)
        if s.source_kind == "frames":
            list_frame_files(p, sample=s.id)  # the listing every reader uses: missing folder, no images, unorderable names
        elif not p.is_file():
            raise SLTInputError("video file not found", file=p, sample=s.id, hint="check the dataset root; re-run 01_data_prep")
        elif p.stat().st_size == 0:
            raise SLTInputError("empty video file (zero-frame clip)", file=p, sample=s.id, hint="fix or remove the clip, then re-run 01_data_prep")


def _base_identity(base: str) -> str:
    """What the run depends on of its base model: a local folder's config and build identity (the
    tiny base's hash, the tiny build's fingerprint, the weights index), or the hub id."""
    p = Path(base)
    if not p.is_dir():
        return base
    h = hashlib.sha256(str(read_run(p.parent).get("hash", "")).encode() if p.name == ADAPTER_DIR else b"")  # a stage-1 run's weights
    for name, key in (("config.json", None), ("base.json", "hash"), ("tiny_build.json", "fingerprint"), ("model.safetensors.index.json", None)):
        f = p / name
        if f.is_file():
            data = f.read_bytes()
            if key is not None:
                try:
                    data = str(json.loads(data).get(key)).encode()
                except (ValueError, AttributeError):
                    pass
            h.update(name.encode() + data)
    return f"{p.name}:{h.hexdigest()[:12]}"


def run_key(cfg: RunConfig, data_fp: str, base: str) -> dict:
    import peft
    import transformers
    import trl

    key = {"run_version": RUN_VERSION, "config": cfg.hashed(), "data": data_fp, "base": _base_identity(base),
           "versions": {"transformers": transformers.__version__, "trl": trl.__version__, "peft": peft.__version__}}
    fam = get_family(cfg.family)
    if fam.fix_classes is not None:  # Qwen2.5-VL: runs trained with the library's truncated video times are not reused
        key["library_fixes"] = fam.fix_classes(fam.resolve_classes()[0])
    prec = precision_of(cfg)
    if prec.name != "fp32":  # a bf16 run trains other weights than an fp32 one (and than bf16 runs before trainable weights were fp32)
        key["precision"] = prec.name
    return key


def key_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]


def read_run(run_dir: str | Path) -> dict:
    """``run.json`` of a run folder ({} if there is none), checked (:func:`slt_nb.train.run_files.read_run_json`):
    a damaged one is an :class:`SLTInputError` naming it, not a run silently taken for unfinished."""
    p = Path(run_dir) / RUN_INFO
    return read_run_json(p) if p.is_file() else {}


def is_finished(run_dir: str | Path, h: str) -> bool:
    info = read_run(run_dir)
    adapter = Path(run_dir) / ADAPTER_DIR
    weights = "model.safetensors" if info.get("weights") == "full_model" else "adapter_model.safetensors"
    return info.get("status") == "finished" and info.get("hash") == h and (adapter / weights).is_file()


# ---- the base model and the plan ---------------------------------------------------------------


def resolve_base(cfg: RunConfig, record: dict, *, state=None, progress: bool = True, build: bool = True) -> str | None:
    """The checkpoint the run starts from: the cached tiny base (built on the main process first;
    None if missing and not ``build``) or ``cfg.model``."""
    from ..models.registry import is_tiny

    if not is_tiny(cfg.model):
        return str(cfg.model)
    from ..standins.pretrain import ensure_base
    from .prompts import prompt_for

    def make():
        out = ensure_base(cfg.family, record, spec=cfg.base, seed=cfg.seed, runs_dir=cfg.runs_dir,
                          prompt=prompt_for(record["name"], allow_non_paper=True).text, progress=progress, size=cfg.model, build=build)
        return None if out is None else str(out)

    if state is None or not build:
        return make()
    with state.main_process_first():
        return make()


def first_stage(cfg: RunConfig) -> RunConfig:
    """The vision stage of a ``vision_then_lm`` run: ``vision_only`` for ``sequential_split`` of the epochs
    (or of ``max_steps``), a run of its own (cached, resumable); the LM stage continues from its weights."""
    first, _ = get_strategy(cfg.strategy).stages
    if cfg.max_steps > 0:
        return replace(cfg, strategy=first, max_steps=max(1, round(cfg.max_steps * cfg.sequential_split)))
    return replace(cfg, strategy=first, epochs=cfg.epochs * cfg.sequential_split)


def stage_config(cfg: RunConfig) -> tuple[str, float, int]:
    """(strategy trained now, epochs, max_steps) of a run: a staged strategy trains its last stage for
    the rest of the epochs (or steps) on top of :func:`first_stage`'s weights."""
    st = get_strategy(cfg.strategy)
    if not st.stages:
        return cfg.strategy, cfg.epochs, cfg.max_steps
    one = first_stage(cfg)
    return st.stages[-1], cfg.epochs - one.epochs, (cfg.max_steps - one.max_steps if cfg.max_steps > 0 else -1)


def plan(cfg: RunConfig, *, state=None, base: str | None = None, build: bool = True) -> tuple[RunConfig, dict, list, str, str, Path] | None:
    """(resolved config, dataset record, training samples, base model, hash, run folder); ``base``
    overrides the starting checkpoint (the first stage of a staged strategy). ``build=False``: None
    when the tiny base model is not built yet."""
    from ..paths import resolve

    cfg = cfg.resolved()
    record = dataset_record(cfg.dataset, cfg.manifest_dir)
    samples = train_samples(record, cfg.max_train_samples)
    base = base or resolve_base(cfg, record, state=state, progress=cfg.progress, build=build)
    if base is None:
        return None
    h = key_hash(run_key(cfg, data_fingerprint(samples), base))
    return cfg, record, samples, base, h, resolve(cfg.runs_dir) / f"{cfg.family}.{cfg.dataset}.{h}"
