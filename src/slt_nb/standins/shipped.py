"""The tiny models' vision stages that ship with the project: the stand-in for a downloaded pretrained vision encoder.

A real run starts from a hub checkpoint whose vision encoder was pretrained elsewhere (SigLIP in
SmolVLM2, Qwen2.5-VL's ViT; paper Sec 3.1); nobody's reproduction pays for that pretraining. The tiny
stand-ins learn theirs in the vision stage (:mod:`slt_nb.standins.vision_stage`: isolated signs, a
linear probe), which costs the embedded default about 300 CPU-s of its 10-minute budget. So the stages
the default needs ship in ``src/slt_nb/standins/shipped/vision/`` -- about 2.5 MB of safetensors, each in
the folder its cache key names -- and :func:`~slt_nb.standins.vision_stage.ensure_vision_stage` copies
one into ``<runs_dir>/base/vision/`` instead of training it when the key is the same (same renderer,
lexicon, signers, frame size, tiny sizes, stage sizes and seed). Any change to what the stage depends on
changes the key: that stage is then trained as before, never taken stale.

They are regenerated and checked by ``make standins`` (:func:`main`): it trains every shipped stage again
from its recorded corpus settings in a scratch folder and compares the bytes (``--ship`` copies the newly
trained ones in instead). ``index.json`` records, per stage, the dataset and the synthetic corpus
settings (:class:`~slt_nb.standins.base_spec.SynthSetup`) it was trained for.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

from ..io import write_json
from . import vision_stage
from .vision_stage import VISION_WEIGHTS, copy_stage, ensure_vision_stage, read_vision_info, render_identity

INDEX = "index.json"


def read_index(root: Path | None = None) -> dict:
    p = (root or vision_stage.SHIPPED_VISION) / INDEX
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries_of_runs(runs_dir: Path, manifest_dir: Path) -> dict:
    """{stage folder: {dataset, family, size, setup}} of every vision stage in ``runs_dir`` that a prepared synthetic
    dataset of ``manifest_dir`` renders alike (matched by the key's render identity)."""
    from ..data.prepare import load_prepared
    from .base_spec import synth_setup
    setups = {}
    for record in load_prepared(manifest_dir):
        setup = synth_setup(record)
        if setup is not None:
            setups.setdefault(json.dumps(render_identity(setup), sort_keys=True), (record["name"], setup))
    out = {}
    for folder in sorted((runs_dir / "base" / "vision").glob("*.*")):
        info = read_vision_info(folder)
        found = setups.get(json.dumps(info.get("key", {}).get("render"), sort_keys=True))
        if found:
            out[folder.name] = {"dataset": found[0], "family": info["family"], "size": info["size"], "setup": asdict(found[1])}
    return out


def rebuild(entry: dict, key: dict, runs_dir: Path) -> Path:
    """Train the stage of an index ``entry`` (whose cache key is ``key``) again in ``runs_dir``, ignoring the shipped one."""
    from .base_spec import BaseSpec, SynthSetup

    spec = BaseSpec.from_dict(key["spec"])
    folder, _ = ensure_vision_stage(entry["family"], SynthSetup(**entry["setup"]), spec, seed=key["seed"], runs_dir=runs_dir, size=entry["size"],
                                    progress=False, shipped=False)
    return folder


def main(argv=None) -> int:
    """``make standins``: train every shipped vision stage again and compare (``--ship``: replace them; ``--from-runs``:
    ship the stages a finished ``make reproduce`` trained in ``runs/``)."""
    import argparse
    import tempfile

    p = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    p.add_argument("--ship", action="store_true", help="copy the newly trained stages over the shipped ones")
    p.add_argument("--from-runs", metavar="RUNS_DIR", help="ship the vision stages of this runs folder (after make reproduce) instead")
    p.add_argument("--prune", action="store_true", help="with --from-runs: drop the shipped stages that folder does not have")
    p.add_argument("--manifest-dir", default="data/manifests", help="with --from-runs: the prepared datasets (their corpus settings)")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as the default's training workers (ft_cpu_threads 1): the same sums in the same order, the same bytes
    vision_stage.SHIPPED_VISION.mkdir(parents=True, exist_ok=True)
    if args.from_runs:
        entries = entries_of_runs(Path(args.from_runs), Path(args.manifest_dir))
        for name in entries:
            copy_stage(Path(args.from_runs) / "base" / "vision" / name, vision_stage.SHIPPED_VISION / name)
        index = {} if args.prune else {k: v for k, v in read_index().items() if (vision_stage.SHIPPED_VISION / k).is_dir()}
        index.update(entries)
        for stale in [f for f in vision_stage.SHIPPED_VISION.iterdir() if f.is_dir() and f.name not in index]:
            shutil.rmtree(stale)
        write_json(vision_stage.SHIPPED_VISION / INDEX, dict(sorted(index.items())))
        print(f"shipped {len(entries)} vision stages from {args.from_runs} into {vision_stage.SHIPPED_VISION} ({len(index)} in all)")
        return 0
    index, new_index, differ = read_index(), {}, 0
    with tempfile.TemporaryDirectory(prefix="slt-nb-standins-") as tmp:
        for name, entry in index.items():
            key = read_vision_info(vision_stage.SHIPPED_VISION / name)["key"]
            folder = rebuild(entry, key, Path(tmp))  # the key of today's code (a changed renderer or size: another name)
            same = folder.name == name and _sha256(folder / VISION_WEIGHTS) == _sha256(vision_stage.SHIPPED_VISION / name / VISION_WEIGHTS)
            differ += not same
            print(f"{name} ({entry['dataset']}): {'identical' if same else 'DIFFERENT -> ' + folder.name} "
                  f"(trained in {read_vision_info(folder)['seconds']} s)", flush=True)
            new_index[folder.name] = entry
            if args.ship and not same:
                shutil.rmtree(vision_stage.SHIPPED_VISION / name)
                copy_stage(folder, vision_stage.SHIPPED_VISION / folder.name)
    if args.ship:
        write_json(vision_stage.SHIPPED_VISION / INDEX, new_index)
    print(f"{len(index) - differ} of {len(index)} shipped vision stages identical to a fresh training" + (" (replaced)" if args.ship and differ else ""))
    return 1 if differ and not args.ship else 0


if __name__ == "__main__":
    raise SystemExit(main())
