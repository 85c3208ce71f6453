"""The multi-process configs shipped in configs/accelerate/ are ones a test runs.

``accelerate launch --config_file configs/accelerate/ddp.yaml -m slt_nb.train.run CONFIG.json`` as
the README gives it: on a machine without a GPU the same command starts 2 CPU processes (accelerate's
multi-GPU launcher is torchrun; the run's ``PartialState(cpu=True)`` joins them over gloo), here under
``bf16-mixed`` so DDP also carries the fp32 trainable weights beside frozen bf16 ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
import yaml
from conftest import tiny_phoenix_project

from slt_nb.train.run_config import RunConfig

from slt_nb.train.run_plan import ADAPTER_DIR, RUN_INFO

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs" / "accelerate"
TESTED = {"ddp.yaml"}


def test_every_shipped_config_is_tested():
    assert {p.name for p in CONFIGS.glob("*.y*ml")} == TESTED  # no FSDP config: see the comment in ddp.yaml
    cfg = yaml.safe_load((CONFIGS / "ddp.yaml").read_text())
    assert cfg["distributed_type"] == "MULTI_GPU" and cfg["mixed_precision"] == "no"  # precision comes from RunConfig


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU (gloo) form of the launch")
def test_ddp_config_trains_one_run_on_two_cpu_processes(tmp_path):
    from safetensors.torch import load_file

    manifests, bases = tiny_phoenix_project(tmp_path, family_sizes={"smolvlm": "tiny-xs"}, text_steps=1)
    cfg = RunConfig(family="smolvlm", model=str(bases["smolvlm"]), dataset="phoenix", t_max=6, max_steps=2, per_device_train_batch_size=1,
                    gradient_accumulation_steps=1, learning_rate=1e-4, save_steps=100, logging_steps=1, progress=False, precision="bf16-mixed",
                    runs_dir=str(tmp_path / "runs"), manifest_dir=str(manifests))
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(asdict(cfg)))
    accelerate = Path(sys.executable).with_name("accelerate")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([str(accelerate), "launch", "--config_file", str(CONFIGS / "ddp.yaml"), "-m", "slt_nb.train.run", str(path)],
                          check=False, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    out = json.loads(lines[-1])
    run = Path(out["run_dir"])
    info = json.loads((run / RUN_INFO).read_text())
    assert out["status"] == "finished" and info["world_size"] == 2 and info["global_step"] == 2
    assert sum(line.count("precision: bf16-mixed") for line in lines) == 1  # one line per run, from the main process
    weights = load_file(run / ADAPTER_DIR / "adapter_model.safetensors")
    assert weights and {v.dtype for v in weights.values()} == {torch.float32}  # connector and LoRA trained in fp32
