"""The rehearsal of the real path: ``params/paper.yaml`` run end to end on stand-ins, on a CPU.

What a GPU node does with ``make reproduce PARAMS=params/paper.yaml``, made runnable here:

* the checkpoints: an offline hub cache holding a small model of the same class under every hub id the
  params name (:mod:`.hub_cache`), loaded through the unchanged ``from_pretrained(hub_id)`` path with
  ``HF_HUB_OFFLINE=1``;
* the datasets: small trees in the five released formats (:mod:`.trees`), read by the real loaders;
* the params: a file that ``extends`` ``paper.yaml`` and overrides only the roots — of the datasets and
  of the outputs (:data:`OUTPUT_ROOTS`, under the rehearsal's folder, so a rehearsal never touches a real
  run's results) — and the sizes in :data:`SIZES` (epochs, frame budgets and frame sizes, widths and
  depths, decoding lengths); every other value, the hub ids, the recipe, the per-dataset choices, the
  metric models, is the paper's.

``python -m slt_nb.standins.rehearsal OUT`` writes all three under ``OUT`` and prints the command that
runs it; ``tests/test_rehearsal.py`` runs it through ``slt-nb reproduce`` and checks every table.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import yaml

# The sizes the rehearsal shrinks (dotted paths into the params; each leaf replaces paper.yaml's value).
SIZES: dict[str, object] = {
    "t_max": 8,  # paper 64 frames (Sec 4.3)
    "ft_epochs": 1,  # paper 10
    "gen_max_new_tokens": 8,  # paper 128
    "abl_epochs": 1,  # paper 5
    "abl_frame_budgets": [8, 16],  # paper [64, 256]: the first is t_max, as the paper's 64 is (its run is 03's)
    "llava_t_max": 8,  # paper.yaml 64
    "llava_stage1.train.epochs": 1,
    "llava_stage2.encoder.frame_size": 28,  # paper 336; two 14-pixel patches of the DINOv2 stand-in
    "llava_stage2.encoder.resize": 32,  # paper 384 (App. C: resized to 384, cropped to 336); 32 = 28 x 8/7 as 384 = 336 x 8/7
    "llava_stage2.encoder.dim": 16,  # paper.yaml 768
    "llava_stage2.encoder.heads": 2,  # 12
    "llava_stage2.encoder.local_depth": 1,  # paper 4
    "llava_stage2.encoder.sentence_depth": 1,  # paper 8
    "llava_stage2.encoder.coembed_dim": 8,  # paper 768
    "llava_stage2.train.epochs": 1,  # paper 200
    "llava_stage2.train.batch_size": 4,  # paper 128
    "llava_stage3.train.epochs": 1,
    "llava_stage3.train.batch_size": 4,  # paper 64
    "llava_stage3.full_tune.epochs": 1,
    "llava_stage3.full_tune.batch_size": 4,  # paper 64
    "llava_stage3.max_new_tokens": 6,  # ours 40
    "llava_encoder_variants.lower_resolution.encoder.frame_size": 14,  # paper 224 (Tab. 7 row 3): one DINOv2 patch below the rehearsal's 28
    "llava_encoder_variants.lower_resolution.encoder.resize": 16,  # paper 256 for 224 (App. C), 16 = 14 x 8/7
}


OUTPUT_ROOTS = {"results_dir": "results", "manifest_dir": "manifests", "ft_runs_dir": "runs", "llava_run_dir": "runs/llava_slt"}  # under the rehearsal's folder


@dataclass(frozen=True)
class Rehearsal:
    params_file: Path  # extends paper.yaml; roots + SIZES only
    hf_home: Path  # the stand-in hub cache
    env: dict  # HF_HOME + offline switches: the environment the run needs
    roots: dict  # dataset -> tree


def set_path(params: dict, dotted: str, value) -> None:
    """``params[a][b][c] = value`` for ``a.b.c``, creating the missing mappings."""
    *heads, last = dotted.split(".")
    cur = params
    for h in heads:
        cur = cur.setdefault(h, {})
    cur[last] = value


def rehearsal_overrides(paper: dict, roots: dict[str, str | Path], out_dir: str | Path) -> dict:
    """The top-level keys the rehearsal file must set: ``paper``'s values with the dataset roots replaced,
    the output roots under ``out_dir`` and :data:`SIZES` applied (a top-level key replaces paper.yaml's
    whole, so nested ones are restated)."""
    out: dict = {k: str(Path(out_dir) / v) for k, v in OUTPUT_ROOTS.items()}
    datasets = copy.deepcopy(paper["datasets"])
    for d in datasets:
        d["root"] = str(roots[d["name"]])
    out["datasets"] = datasets
    for dotted, value in SIZES.items():
        head = dotted.split(".")[0]
        if head not in out:
            out[head] = copy.deepcopy(paper.get(head, {})) if "." in dotted else None
        if "." in dotted:
            set_path(out, dotted, value)
        else:
            out[head] = value
    return out


def changed_paths(a, b, prefix: str = "") -> set[str]:
    """Dotted paths of the leaves where ``a`` and ``b`` differ (a list of mappings is indexed, e.g. ``datasets.0.root``)."""
    if isinstance(a, dict) or isinstance(b, dict):
        a, b = (x if isinstance(x, dict) else {} if x is None else {"": x} for x in (a, b))
        return {p for k in set(a) | set(b) for p in changed_paths(a.get(k), b.get(k), f"{prefix}{k}.")}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and any(isinstance(x, dict) for x in a):
        return {p for i, (x, y) in enumerate(zip(a, b)) for p in changed_paths(x, y, f"{prefix}{i}.")}
    return set() if a == b else {prefix.rstrip(".")}


def write_rehearsal(out: str | Path, paper_yaml: str | Path, *, seed: int = 0, progress: bool = False) -> Rehearsal:
    """Trees, hub cache and ``rehearsal.yaml`` under ``out`` (see the module docstring)."""
    from ..params import load_params
    from .hub_cache import build_hub_cache, hub_ids_in_params, offline_env
    from .trees import write_trees

    out, paper_yaml = Path(out).resolve(), Path(paper_yaml).resolve()
    paper = load_params(paper_yaml)
    roots = write_trees(out / "data", seed=seed, progress=progress)
    hf_home = out / "hf_home"
    build_hub_cache(hf_home, hub_ids_in_params(paper), seed=seed, progress=progress)
    lines = [f"# The rehearsal of {paper_yaml.name}: only the roots (datasets, outputs) and these sizes differ from it",
             "# (slt_nb.standins.rehearsal.SIZES): " + ", ".join(f"{k}={v}" for k, v in SIZES.items()),
             f"# Run with: {command(offline_env(hf_home), out / 'rehearsal.yaml')}",
             yaml.safe_dump({"extends": str(paper_yaml), **rehearsal_overrides(paper, roots, out)}, sort_keys=False, allow_unicode=True)]
    params_file = out / "rehearsal.yaml"
    params_file.write_text("\n".join(lines), encoding="utf-8")
    return Rehearsal(params_file=params_file, hf_home=hf_home, env=offline_env(hf_home), roots=roots)


def command(env: dict, params_file: Path) -> str:
    """The shell command that runs the rehearsal with this Python (the project's venv, activated or not)."""
    import shlex
    import sys

    return " ".join(f"{k}={shlex.quote(str(v))}" for k, v in env.items()) + f" {shlex.quote(sys.executable)} -m slt_nb reproduce --params {shlex.quote(str(params_file))}"


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m slt_nb.standins.rehearsal", description=write_rehearsal.__doc__)
    ap.add_argument("out", help="folder for the trees, the hub cache and rehearsal.yaml")
    ap.add_argument("--paper", default="params/paper.yaml", help="the params file rehearsed (default params/paper.yaml)")
    a = ap.parse_args(argv)
    r = write_rehearsal(a.out, a.paper, progress=True)
    print(command(r.env, r.params_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
