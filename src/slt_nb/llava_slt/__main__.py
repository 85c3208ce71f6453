"""Stages 1-3 without Jupyter, for ``accelerate launch`` on several GPUs::

    python -m slt_nb.llava_slt pretrain --params params/paper.yaml        # = notebook 07's training
    accelerate launch -m slt_nb.llava_slt pretrain --params params/paper.yaml
    accelerate launch -m slt_nb.llava_slt tune --params params/paper.yaml # = notebook 08's training + predictions

The params file is the runner's (``llava_*``, ``seed``, ``manifest_dir``, ``results_dir``; other
keys are ignored); missing keys take the package defaults. Every process trains (data-parallel);
the main process writes the stage folders and the predictions (``<results_dir>/predictions``, stamped
with the params hash ``slt-nb reproduce --params`` gives the same file, so notebook 08 and the
metrics notebooks take them as their run's). Tables and figures stay in 08.
"""

from __future__ import annotations

import argparse
import sys

from ..params import load_params
from .config import ABLATIONS, ENCODER_VARIANTS, LLM_VARIANTS

DEFAULTS = {
    "seed": 0, "manifest_dir": "data/manifests", "results_dir": "results", "llava_run_dir": "runs/llava_slt",
    "llava_datasets": ["phoenix"], "llava_t_max": 32, "llava_llm": {}, "llava_stage1": {}, "llava_stage2": {},
    "llava_encoder_variants": ENCODER_VARIANTS, "llava_llm_variants": LLM_VARIANTS, "llava_stage3": {}, "llava_ablations": ABLATIONS,
    "llava_model_name": "llava_slt-tiny", "llava_eval_splits": ["dev", "test"], "llava_force": False, "llava_precision": "auto",
    "llava_per_dataset": {},
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m slt_nb.llava_slt", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("pretrain", "tune"))
    ap.add_argument("--params", default=None, help="YAML params file (the runner's)")
    args = ap.parse_args(argv)
    p = {**DEFAULTS, **{k: v for k, v in load_params(args.params).items() if k in DEFAULTS}}

    import torch
    from accelerate import PartialState

    from ..data.prepare import load_prepared
    from . import pipeline, report
    from .config import for_dataset, llm_config, stage1_config, stage2_config, stage3_config

    from ..paths import project_root, resolve
    from ..provenance import declared
    from ..runner import run_hash

    phash = run_hash(declared(project_root()), load_params(args.params))
    records = {r["name"]: r for r in load_prepared(p["manifest_dir"])}
    is_main = PartialState(cpu=not torch.cuda.is_available()).is_main_process
    for ds in p["llava_datasets"]:
        if args.command == "pretrain":
            per = p["llava_per_dataset"]
            pipeline.pretrain(records[ds], run_dir=p["llava_run_dir"], t_max=p["llava_t_max"], llm=for_dataset(per, ds, "llm", llm_config(p["llava_llm"])),
                              stage1=for_dataset(per, ds, "stage1", stage1_config(p["llava_stage1"])),
                              stage2=for_dataset(per, ds, "stage2", stage2_config(p["llava_stage2"])), variants=p["llava_encoder_variants"],
                              llm_variants=p["llava_llm_variants"],
                              seed=p["seed"], force=p["llava_force"], precision=p["llava_precision"], log=print if is_main else (lambda *a: None))
            continue
        out = pipeline.tune(records[ds], run_dir=p["llava_run_dir"], stage3=for_dataset(p["llava_per_dataset"], ds, "stage3", stage3_config(p["llava_stage3"])),
                            variants=p["llava_ablations"], splits=p["llava_eval_splits"], seed=p["seed"], force=p["llava_force"],
                            precision=p["llava_precision"], log=print if is_main else (lambda *a: None))
        if is_main:
            for variant, by_split in out["predictions"].items():
                if variant.endswith("shuffled_video"):
                    continue
                for sp, preds in by_split.items():
                    rows = report.prediction_rows(out["clips"][sp], preds, model=report.variant_model(p["llava_model_name"], variant), params_hash=phash)
                    print(report.write_predictions(rows, resolve(p["results_dir"]) / "predictions"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
