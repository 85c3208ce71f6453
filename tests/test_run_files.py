"""Damaged run folders: every reader (translate, predict, the notebooks: ``load_for_inference``) refuses
them with one line naming the file and the key, line or tensor (``slt_nb.train.run_files``).

One good run folder of the tiny SmolVLM2 (a LoRA adapter with its processor and ``run.json``, as
the training runner writes it) and one of a full-weights strategy (``"weights": "full_model"``);
each case copies one, damages one file, and translates a 3-frame clip through the CLI.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import torch
from conftest import write_frame_folder

from slt_nb.cli import main as cli_main
from slt_nb.errors import SLTInputError
from slt_nb.models.load import apply_lora, load_model_and_processor
from slt_nb.standins.tiny import ensure_tiny
from slt_nb.train.prompts import prompt_for
from slt_nb.translate import translate_clip

FAM = "smolvlm"
CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden ."]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """{"lora": run dir, "full": run dir, "clip": frame folder} (tiny SmolVLM2, seed 0)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runfiles")
    base = ensure_tiny(FAM, CORPUS, root / "tiny", seed=0)
    model, proc = load_model_and_processor(FAM, base)
    lora = root / "lora"
    pm = apply_lora(model, FAM)
    pm.save_pretrained(lora)
    proc.save_pretrained(lora)
    info = {"family": FAM, "base_model": str(base), "prompt": prompt_for("phoenix").text, "t_max": 3, "config": {"t_max": 3}}
    (lora / "run.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    full = root / "full"
    shutil.copytree(base, full / "adapter")
    (full / "run.json").write_text(json.dumps({**info, "weights": "full_model", "adapter": "adapter"}, indent=2) + "\n", encoding="utf-8")
    clip = write_frame_folder(root / "clip", np.random.default_rng(0).integers(0, 255, (3, 32, 32, 3), dtype=np.uint8))
    yield {"lora": lora, "full": full, "clip": clip}
    torch.set_num_threads(threads)


def _poison(path, key_part: str, value: float):
    from safetensors.torch import load_file, save_file

    w = load_file(str(path))
    key = min(k for k in w if key_part in k)
    w[key] = w[key].clone()
    w[key].view(-1)[0] = value
    save_file(w, str(path), metadata={"format": "pt"})
    return key


def _truncate(path, keep: float = 0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _edit_json(path, **changes):
    d = json.loads(path.read_text(encoding="utf-8"))
    for k, v in changes.items():
        if "." in k:
            a, b = k.split(".")
            d[a][b] = v
        else:
            d[k] = v
    path.write_text(json.dumps(d, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# (case, which run, damage(run) -> None, regex the one line must match, file the line must name (relative to the run))
CASES = [
    ("nan-in-adapter", "lora", lambda r: _poison(r / "adapter_model.safetensors", "lora_A", float("nan")),
     r"adapter tensor \S+lora_A\S* holds 1 NaN/inf of \d+ values", "adapter_model.safetensors"),
    ("inf-in-connector", "lora", lambda r: _poison(r / "adapter_model.safetensors", "connector", float("inf")),
     r"adapter tensor \S+connector\S* holds 1 NaN/inf", "adapter_model.safetensors"),
    ("zero-byte-adapter", "lora", lambda r: (r / "adapter_model.safetensors").write_bytes(b""),
     r"weights file is empty \(0 bytes\).*re-train the run, or re-download", "adapter_model.safetensors"),
    ("truncated-adapter", "lora", lambda r: _truncate(r / "adapter_model.safetensors"),
     r"weights file is truncated or corrupt.*re-train the run, or re-download", "adapter_model.safetensors"),
    ("adapter-config-cut-short", "lora", lambda r: _truncate(r / "adapter_config.json", 0.6),
     r"adapter_config.json:\d+: adapter_config.json is not valid JSON", "adapter_config.json"),
    ("adapter-config-no-rank", "lora", lambda r: (r / "adapter_config.json").write_text('{"peft_type": "LORA", "lora_alpha": 64}'),
     r"adapter_config.json lacks \['r', 'target_modules'\]", "adapter_config.json"),
    ("adapter-config-rank-text", "lora", lambda r: _edit_json(r / "adapter_config.json", r="64"),
     r"adapter_config.json:\d+: 'r' must be a positive integer", "adapter_config.json"),
    ("t_max-text", "lora", lambda r: _edit_json(r / "run.json", t_max="sixty-four"),
     r"run.json:\d+: 't_max' must be a positive integer \(frames\), got 'sixty-four'", "run.json"),
    ("config-t_max-fraction", "lora", lambda r: _edit_json(r / "run.json", **{"config.t_max": 6.5}),
     r"run.json:\d+: 'config.t_max' must be a positive integer \(frames\), got 6.5", "run.json"),
    ("run-json-cut-short", "lora", lambda r: _truncate(r / "run.json", 0.5),
     r"run.json:\d+: run.json is not valid JSON", "run.json"),
    ("run-json-not-utf8", "lora", lambda r: (r / "run.json").write_bytes(b'{"family": "smolvlm\xff"}'),
     r"run.json:1: run.json is not UTF-8", "run.json"),
    ("run-json-a-list", "lora", lambda r: (r / "run.json").write_text("[1, 2]"),
     r"run.json must hold a JSON object, not a list", "run.json"),
    ("weights-kind-unknown", "lora", lambda r: _edit_json(r / "run.json", weights="lora"),
     r"'weights' must be one of \['lora_adapter', 'full_model'\]", "run.json"),
    ("full-model-truncated", "full", lambda r: _truncate(r / "adapter" / "model.safetensors", 0.9),
     r"weights file is truncated or corrupt", "adapter/model.safetensors"),
    ("full-model-nan", "full", lambda r: _poison(r / "adapter" / "model.safetensors", "connector", float("nan")),
     r"weight \S+connector\S* holds 1 NaN/inf", "adapter"),
]


@pytest.mark.parametrize("case,kind,damage,needle,culprit", CASES, ids=[c[0] for c in CASES])
def test_damaged_run_folder_is_refused_in_one_line(world, tmp_path, capsys, case, kind, damage, needle, culprit):
    run = tmp_path / "run"
    shutil.copytree(world[kind], run)
    damage(run)
    capsys.readouterr()
    rc = cli_main(["translate", str(world["clip"]), "--checkpoint", str(run), "--max-new-tokens", "4"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "", (rc, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("slt-nb translate: error: "), err
    assert str(run / culprit) in lines[0], lines[0]
    assert re.search(needle, lines[0]), lines[0]


@pytest.mark.parametrize("kind", ["lora", "full"])
def test_undamaged_run_folders_translate(world, kind):
    """The same folders, undamaged, load and translate (the checks refuse only the damage)."""
    text = translate_clip(world["clip"], world[kind], max_new_tokens=4, device="cpu")
    assert isinstance(text, str)


@pytest.mark.parametrize("content,needle,line", [
    (b"", "is empty", None),
    (b'{\n  "a": 1,\n  "b": \n}\n', "not valid JSON", 4),
    (b'{"a": "\xe9"}', "not UTF-8", 1),
    (b"null", "not a NoneType", 1),
])
def test_read_json_object_names_file_and_line(tmp_path, content, needle, line):
    from slt_nb.train.run_files import read_json_object

    p = tmp_path / "x.json"
    p.write_bytes(content)
    with pytest.raises(SLTInputError, match=needle) as e:
        read_json_object(p)
    assert e.value.file == p and e.value.line == line


def test_run_json_key_line_points_at_the_nested_key(tmp_path):
    from slt_nb.train.run_files import read_run_json

    p = tmp_path / "run.json"
    p.write_text(json.dumps({"t_max": 8, "config": {"lr": 1, "t_max": "8"}, "family": "smolvlm"}, indent=2, sort_keys=True), encoding="utf-8")
    with pytest.raises(SLTInputError, match="'config.t_max' must be a positive integer") as e:
        read_run_json(p)
    assert p.read_text().splitlines()[e.value.line - 1].strip() == '"t_max": "8"'
