"""What notebooks 07 and 08 call: the three stages over one dataset, variants as data.

Layout under ``run_dir/<dataset>/``::

    clips/                      decoded frame cache of the splits held in memory (safetensors, keyed by manifest + preprocessing)
    stage1/                     the LLM after linguistic continued pretraining
    stage1-<variant>/           one more LLM per LLM variant (Tab. 6: corpus, size, base LLM)
    stage2-<variant>/           one hierarchical encoder per encoder variant ("main", "no_local_attention", ...)
    stage3-<variant>/           connector (+ full-tuned weights) per tuning variant
    pretrain.json               what 07 trained (configs, keys) -- 08 reads only this and the folders

Every stage is skipped when its folder finished with the same key (config + data + upstream keys).

Runtime (not part of any key): ``device`` (:func:`device.resolve_device`: ``auto`` = the GPU of this
process when there is one) for every forward pass, one model on it at a time; ``clip_cache_gb``: a split
up to this size is held in memory, larger ones are streamed from disk per batch (:mod:`data`);
``workers``: loader workers for streamed clips (None: :func:`device.loader_workers`);
``memory_budget_gb``: what each stage's memory estimate is checked against (None: the GPU's memory).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import SLTInputError
from ..io import write_json
from ..paths import resolve
from .config import (
    LLMConfig,
    Stage1Config,
    Stage2Config,
    Stage3Config,
    llm_config,
    stage2_config,
    to_dict,
    with_overrides,
)
from .data import DEFAULT_CACHE_GB, load_clipset

PRETRAIN = "pretrain.json"
NAME = re.compile(r"^[a-z0-9_]+$")


def _took(done: dict) -> str:
    """Trained or reused: no wall time in a notebook's output (it lives in the stage's done.json and runtimes.json)."""
    return "skipped (finished)" if done["skipped"] else "trained"


def _num(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def prepared_records(manifest_dir, datasets, *, cpu_threads: int | None = None) -> dict[str, dict]:
    """The 01_data_prep records of ``datasets`` by name (a clear error for any not prepared);
    sets the CPU thread count first when given and no GPU is used."""
    import torch

    from ..data.prepare import load_prepared

    if cpu_threads and not torch.cuda.is_available():
        torch.set_num_threads(cpu_threads)
    records = {r["name"]: r for r in load_prepared(manifest_dir)}
    missing = [d for d in datasets if d not in records]
    if missing:
        raise SLTInputError(f"llava_datasets {missing} were not prepared by 01_data_prep", hint=f"prepared: {sorted(records)}")
    return records


def dataset_dir(run_dir, dataset: str) -> Path:
    return resolve(run_dir) / dataset


def load_clips(record: dict, splits, *, t_max: int, frame_size: int, crop: str, run_dir, resize: int | None = None,
               cache_gb: float | None = DEFAULT_CACHE_GB, workers: int | None = None, device="auto") -> dict:
    """``{split: ClipSet}`` stored at side ``resize or frame_size`` (App. C: 384, cropped to 336 per batch); in memory up
    to ``cache_gb`` per split, else streamed with ``workers`` loader workers (None: :func:`device.loader_workers`)."""
    from ..data.prepare import load_split
    from .data import split_bytes
    from .device import loader_workers, resolve_device

    cache = dataset_dir(run_dir, record["name"]) / "clips"
    out = {}
    for sp in splits:
        samples = load_split(record, sp)
        side = resize or frame_size
        streamed = cache_gb is not None and split_bytes(len(samples), t_max, side) > cache_gb * 1e9
        out[sp] = load_clipset(samples, t_max=t_max, frame_size=side, crop=crop, cache_dir=cache, cache_gb=cache_gb,
                               workers=loader_workers(resolve_device(device), streamed, workers))
    return out


def _variants(base, variants: dict[str, dict] | None, kind: str) -> dict:
    """``{"main": base, name: base with overrides, ...}``; names are folder-safe slugs."""
    out = {"main": base}
    for name, ov in (variants or {}).items():
        if name == "main" or not NAME.match(str(name)):
            raise SLTInputError(f"bad {kind} variant name {name!r}", hint="use lowercase letters, digits and '_', not 'main'")
        out[name] = with_overrides(base, ov, f"{kind} variant {name!r}")
    return out


def llm_variant_configs(llm: LLMConfig, stage1: Stage1Config, variants: dict[str, dict] | None) -> dict[str, tuple[LLMConfig, Stage1Config]]:
    """``{"main": (llm, stage1), name: (llm, stage1) with the variant's ``{"llm": ..., "stage1": ...}`` overrides}``
    (Tab. 6: continued-pretraining data, LLM size, base LLM); names are folder-safe slugs."""
    out = {"main": (llm, stage1)}
    for name, ov in (variants or {}).items():
        if name == "main" or not NAME.match(str(name)):
            raise SLTInputError(f"bad LLM variant name {name!r}", hint="use lowercase letters, digits and '_', not 'main'")
        if not isinstance(ov, dict) or set(ov) - {"llm", "stage1"}:
            raise SLTInputError(f"LLM variant {name!r} must be a mapping with 'llm' and/or 'stage1' overrides, got {ov!r}")
        out[name] = (with_overrides(llm, ov.get("llm"), f"LLM variant {name!r} llm"), with_overrides(stage1, ov.get("stage1"), f"LLM variant {name!r} stage1"))
    return out


def encoder_variants(base: Stage2Config, variants: dict[str, dict] | None) -> dict[str, Stage2Config]:
    """Stage-2 variants (overrides use the :class:`Stage2Config` field names, e.g. ``{"encoder": {"local_depth": 0}}``)."""
    return _variants(base, variants, "encoder")


def pretrain(record: dict, *, run_dir, t_max: int, llm: LLMConfig, stage1: Stage1Config, stage2: Stage2Config,
             variants: dict[str, dict] | None = None, llm_variants: dict[str, dict] | None = None, seed: int = 0, force: bool = False,
             precision: str = "auto", log=print, device="auto", clip_cache_gb: float | None = DEFAULT_CACHE_GB, workers: int | None = None,
             memory_budget_gb: float | None = None) -> dict:
    """Stages 1 and 2 for one prepared dataset; returns (and writes) the pretrain summary. ``variants``: encoder
    variants (stage 2); ``llm_variants``: LLM variants (stage 1, :func:`llm_variant_configs`). ``precision``:
    :mod:`slt_nb.train.device` (``auto``: bf16-mixed on CUDA, fp32 on CPU). A text supervisor ``id: stage1``
    is this dataset's main stage-1 LLM. Runtime options: see the module docstring. Holds a CPU slot
    (:mod:`slt_nb.cpu_slots`) throughout."""
    from ..cpu_slots import cpu_slot

    with cpu_slot():
        return _pretrain(record, run_dir=run_dir, t_max=t_max, llm=llm, stage1=stage1, stage2=stage2, variants=variants, llm_variants=llm_variants,
                         seed=seed, force=force, precision=precision, log=log, device=device, clip_cache_gb=clip_cache_gb, workers=workers,
                         memory_budget_gb=memory_budget_gb)


def _pretrain(record: dict, *, run_dir, t_max: int, llm: LLMConfig, stage1: Stage1Config, stage2: Stage2Config, variants, llm_variants,
              seed: int, force: bool, precision: str, log, device, clip_cache_gb, workers, memory_budget_gb) -> dict:
    from .stage1 import llm_location
    from .stage_dirs import read_done

    from ..data.prepare import load_split
    from .stage1 import run_stage1
    from .stage2 import run_stage2

    ds = record["name"]
    root = dataset_dir(run_dir, ds)
    enc = stage2.encoder
    clips = load_clips(record, ("train", "dev"), t_max=t_max, frame_size=enc.frame_size, crop=enc.crop, run_dir=run_dir, resize=enc.resize,
                       cache_gb=clip_cache_gb, workers=workers, device=device)
    rt = {"device": device, "memory_budget_gb": memory_budget_gb, "log": log}
    train, dev = load_split(record, "train"), load_split(record, "dev")
    llms = llm_variant_configs(llm, stage1, llm_variants)
    s1s = {}
    for name, (lc, sc) in llms.items():
        s1s[name] = run_stage1(train, dev, ds, lc, sc, root / _stage1_dir(name), seed=seed, force=force, precision=precision, **rt)
        log(f"[{ds}] stage 1{'' if name == 'main' else ' ' + name}: {_took(s1s[name])}; "
            f"dev LM loss {_num(s1s[name]['dev_loss_before'])} -> {_num(s1s[name]['dev_loss_after'])}")
    s1 = s1s["main"]
    s2 = {}
    for name, cfg in encoder_variants(stage2, variants or {}).items():
        text_key = None
        if cfg.text.id == "stage1":  # an autoregressive LLM as the text supervisor: this dataset's stage-1 LLM
            cfg = with_overrides(cfg, {"text": {"id": llm_location(root / "stage1", read_done(root / "stage1"))}})
            text_key = s1["key"]
        bdir = root / f"stage2-{cfg.backbone_from}" if cfg.backbone_from else None
        if cfg.backbone_from and cfg.backbone_from not in s2:
            raise SLTInputError(f"encoder variant {name!r} reuses {cfg.backbone_from!r}, which is not trained before it")
        s2[name] = run_stage2(clips["train"], clips["dev"], cfg, root / f"stage2-{name}", seed=seed, backbone_dir=bdir, force=force,
                              precision=precision, text_key=text_key, **rt)
        r = s2[name]["retrieval"].get("dev", {})
        log(f"[{ds}] stage 2 {name}: {_took(s2[name])}; "
            f"dev R@1 {r.get('r1', float('nan')):.2f} (chance {r.get('chance_r1', float('nan')):.2f})")
    summary = {
        "dataset": ds, "t_max": t_max, "seed": seed, "llm": to_dict(llm),
        "stage1": {"dir": "stage1", "key": s1["key"], "config": to_dict(stage1)},
        "llm_variants": {n: {"dir": _stage1_dir(n), "key": s1s[n]["key"], "config": to_dict(sc), "llm": to_dict(lc)}
                         for n, (lc, sc) in llms.items() if n != "main"},
        "stage2": {n: {"dir": f"stage2-{n}", "key": s2[n]["key"], "config": to_dict(c)} for n, c in encoder_variants(stage2, variants or {}).items()},
    }
    write_json(root / PRETRAIN, summary)
    return {"summary": summary, "stage1": s1, "stage2": s2, "llm_variants": {n: r for n, r in s1s.items() if n != "main"}}


def _stage1_dir(name: str) -> str:
    return "stage1" if name == "main" else f"stage1-{name}"


def stage1_of(pre: dict, variant: str) -> tuple[dict, dict]:
    """(stage-1 summary: dir, key, config; LLM config) of an LLM variant recorded by :func:`pretrain`."""
    if variant == "main":
        return pre["stage1"], pre["llm"]
    found = pre.get("llm_variants", {}).get(variant)
    if found is None:
        raise SLTInputError(f"no stage-1 LLM variant {variant!r}", hint=f"07 trained {sorted(pre.get('llm_variants', {})) + ['main']}")
    return found, found["llm"]


def read_pretrain(run_dir, dataset: str) -> dict:
    path = dataset_dir(run_dir, dataset) / PRETRAIN
    if not path.is_file():
        raise SLTInputError("stages 1-2 have not run for this dataset", file=path, hint="run notebook 07_llava_slt_pretrain first")
    return json.loads(path.read_text(encoding="utf-8"))


def tuning_variants(base: Stage3Config, variants: dict[str, dict] | None) -> dict[str, Stage3Config]:
    """Stage-3 variants (overrides use the :class:`Stage3Config` field names, e.g. ``{"connector": "linear"}``)."""
    return _variants(base, variants, "tuning")


def _fresh_model(root: Path, pre: dict, cfg: Stage3Config, ds: str, seed: int = 0, device="auto"):
    from .llm import load_llm
    from .stage1 import llm_location
    from .stage2 import load_encoder
    from .stage3 import build_model
    from .stage_dirs import read_done

    if cfg.encoder_variant not in pre["stage2"]:
        raise SLTInputError(f"no stage-2 encoder {cfg.encoder_variant!r}", hint=f"07 trained {sorted(pre['stage2'])}")
    s1, llm_cfg = stage1_of(pre, cfg.llm_variant)
    s1dir = root / s1["dir"]
    llm, tok = load_llm(llm_location(s1dir, read_done(s1dir)), llm_config(llm_cfg))
    from .device import release, resolve_device

    enc, _ = load_encoder(root / pre["stage2"][cfg.encoder_variant]["dir"])
    model = build_model(enc, llm.eval(), tok, ds, cfg, seed=seed).to(resolve_device(device))
    release()
    return model, tok


def tune(record: dict, *, run_dir, stage3: Stage3Config, variants: dict[str, dict] | None = None, splits=("dev", "test"),
         seed: int = 0, force: bool = False, controls: str | None = "main", precision: str = "auto", log=print, device="auto",
         clip_cache_gb: float | None = DEFAULT_CACHE_GB, workers: int | None = None, memory_budget_gb: float | None = None,
         jobs: int = 1) -> dict:
    """Stage 3 for every tuning variant, then translations of ``splits`` (runtime options: see the module docstring;
    one model on the device at a time). A variant with ``patience`` stops on the dev split's BLEU (loaded if not in ``splits``).
    ``jobs`` > 1 on the CPU: the variants train in that many worker processes (:mod:`.parallel`; each seeds itself
    and uses this process's torch thread count, so the predictions are those of ``jobs=1``); on a GPU, one at a time.

    Returns ``{"runs": {variant: done-summary}, "predictions": {variant: {split: [str]}}, "clips": {split: ClipSet}}``;
    for the ``controls`` variant two more decodings: ``"<variant>/no_full_tune"`` (its phase-A model, Tab. 8 row 5)
    and ``"<variant>/shuffled_video"`` (every clip decoded from another clip's video: what the LLM's prior alone scores).
    Raises :class:`SLTInputError` for ``jobs`` < 1 and for a variant that fails in a worker (its traceback in the message).
    """
    from .device import resolve_device

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SLTInputError(f"jobs must be a positive integer, got {jobs!r}", hint="e.g. llava_jobs = 2 (CPU) or 1")
    ds = record["name"]
    pre = read_pretrain(run_dir, ds)
    cfgs = tuning_variants(stage3, variants or {})
    opts = dict(record=record, run_dir=run_dir, splits=tuple(splits), seed=seed, force=force, controls=controls, precision=precision,
                device=device, clip_cache_gb=clip_cache_gb, workers=workers, memory_budget_gb=memory_budget_gb)
    clips = tuning_clips(pre, cfgs, **opts)
    if jobs > 1 and len(cfgs) > 1 and str(resolve_device(device)) == "cpu":
        from .parallel import tune_variants_in_pool

        results = tune_variants_in_pool(cfgs, opts, jobs=jobs, log=log)
    else:
        results = {name: tune_variant(name, cfg, pre=pre, clips=clips, log=log, **opts) for name, cfg in cfgs.items()}
    runs = {name: run for name, (run, _) in results.items()}
    preds = {k: v for _, p in results.values() for k, v in p.items()}
    return {"runs": runs, "predictions": preds, "clips": {sp: c for sp, c in clips.items() if sp in ("train", *splits)}}


def tuning_clips(pre: dict, cfgs: dict[str, Stage3Config], *, record: dict, run_dir, splits, clip_cache_gb, workers, device, **_) -> dict:
    """The ClipSets stage 3 needs: train, ``splits``, and dev when a variant stops early on it (stored by stage 2's preprocessing)."""
    enc_cfg = stage2_config(pre["stage2"]["main"]["config"]).encoder
    needed = ("train", *splits, *(("dev",) if any(c.patience is not None for c in cfgs.values()) and "dev" not in splits else ()))
    return load_clips(record, needed, t_max=pre["t_max"], frame_size=enc_cfg.frame_size, crop=enc_cfg.crop, run_dir=run_dir, resize=enc_cfg.resize,
                      cache_gb=clip_cache_gb, workers=workers, device=device)


def tune_variant(name: str, cfg: Stage3Config, *, pre: dict, clips: dict, record: dict, run_dir, splits, seed: int, force: bool,
                 controls: str | None, precision: str, device, memory_budget_gb, log=print, **_) -> tuple[dict, dict]:
    """One tuning variant: stage 3 (skipped when finished with the same key), then greedy decoding
    (``splits`` for the main model, the last split for ablations; the controls for ``controls``).
    Returns ``(done-summary, {prediction key: {split: [str]}})``. Holds a CPU slot (:mod:`slt_nb.cpu_slots`)."""
    from ..cpu_slots import cpu_slot

    with cpu_slot():
        return _tune_variant(name, cfg, pre=pre, clips=clips, record=record, run_dir=run_dir, splits=splits, seed=seed, force=force,
                             controls=controls, precision=precision, device=device, memory_budget_gb=memory_budget_gb, log=log)


def _tune_variant(name: str, cfg: Stage3Config, *, pre: dict, clips: dict, record: dict, run_dir, splits, seed: int, force: bool,
                  controls: str | None, precision: str, device, memory_budget_gb, log) -> tuple[dict, dict]:
    import torch

    from .device import release
    from .stage3 import load_weights, run_stage3, stage3_key, translate
    from .train import resolve_precision

    ds = record["name"]
    root = dataset_dir(run_dir, ds)
    prec = resolve_precision(precision).name
    preds = {}
    model, tok = _fresh_model(root, pre, cfg, ds, seed, device)
    key = stage3_key(cfg, ds, seed, stage1_of(pre, cfg.llm_variant)[0]["key"], pre["stage2"][cfg.encoder_variant]["key"])
    run = run_stage3(model, tok, clips["train"], cfg, root / f"stage3-{name}", key, seed=seed, force=force, precision=precision,
                     dev=clips.get("dev"), memory_budget_gb=memory_budget_gb, log=log)
    decoded = splits if name == "main" else splits[-1:]  # the ablation tables read the last split (test) only
    preds[name] = {sp: translate(model, tok, clips[sp], max_new_tokens=cfg.max_new_tokens, precision=prec) for sp in decoded}
    log(f"[{ds}] stage 3 {name}: {_took(run)}; e.g. {preds[name][splits[-1]][0]!r}")
    if name == controls:
        g = torch.Generator().manual_seed(seed)
        perm = {sp: torch.randperm(len(clips[sp]), generator=g) for sp in splits}
        preds[f"{name}/shuffled_video"] = {sp: translate(model, tok, clips[sp], max_new_tokens=cfg.max_new_tokens, permute=perm[sp],
                                                         precision=prec) for sp in splits}
        if cfg.full_tune is not None and cfg.full_tune.epochs > 0:
            del model
            release()
            model, tok = _fresh_model(root, pre, cfg, ds, seed, device)
            load_weights(model, root / f"stage3-{name}", full_tune=False)
            preds[f"{name}/no_full_tune"] = {sp: translate(model, tok, clips[sp], max_new_tokens=cfg.max_new_tokens, precision=prec)
                                             for sp in splits}
    del model
    release()
    return run, preds
