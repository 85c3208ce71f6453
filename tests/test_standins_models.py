"""Stand-in checkpoints of the transformers models (slt_nb.standins.vlm / .llava) in the offline hub cache.

The cache (session fixture ``standin_hub_cache``) is loaded in a subprocess started with
``hub_cache.offline_env`` (huggingface_hub reads HF_HOME at import time) through the project's own
loaders -- ``models.load.load_model_and_processor``, ``llava_slt.encoder.build_backbone``,
``llava_slt.text_encoder.HFTextEncoder``, ``llava_slt.llm.load_llm`` -- by the real hub ids; each model
runs one tiny forward and one greedy generation there, and the subprocess prints one JSON object.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slt_nb.params import load_params
from slt_nb.standins.hub_cache import MARKER, STANDINS, builder, hub_ids_in_params, offline_env, repo_folder, write_snapshot

REPO = Path(__file__).resolve().parents[1]
OURS = sorted(h for h, target in STANDINS.items() if target.split(":")[0] in ("vlm", "llava"))
SMOLVLM2 = ["HuggingFaceTB/SmolVLM2-256M-Video-Instruct", "HuggingFaceTB/SmolVLM2-500M-Video-Instruct", "HuggingFaceTB/SmolVLM2-2.2B-Instruct"]
VLMS = SMOLVLM2 + ["Qwen/Qwen2.5-VL-3B-Instruct"]
LLMS = ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-14B-Instruct", "Qwen/Qwen2.5-0.5B"]  # the last two: LLaVA-SLT ablations
BACKBONES = ["facebook/dinov2-base", "facebook/dinov2-small"]  # dinov2-small: LLaVA-SLT Tab. 7 row 2
ARCHITECTURES = {**dict.fromkeys(SMOLVLM2, "SmolVLMForConditionalGeneration"), "Qwen/Qwen2.5-VL-3B-Instruct": "Qwen2_5_VLForConditionalGeneration",
                 "facebook/dinov2-base": "Dinov2Model", "facebook/mbart-large-cc25": "MBartForConditionalGeneration",
                 "meta-llama/Llama-3.1-8B-Instruct": "LlamaForCausalLM", **dict.fromkeys(LLMS[1:], "Qwen2ForCausalLM"),
                 "facebook/dinov2-small": "Dinov2Model"}
TEXTS = ["am tag regen im süden .", "morgen sonne im norden ."]


def _run_here(fn: str, hf_home: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """``fn(*args)`` of this file in a fresh interpreter whose environment is ``offline_env(hf_home)``."""
    code = f"import runpy, sys; runpy.run_path({str(Path(__file__))!r})[{fn!r}](*sys.argv[1:])"
    env = {**os.environ, **offline_env(hf_home), "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


# ---- run in the subprocess ------------------------------------------------------------------------


def _probe_vlms() -> dict:
    import numpy as np

    from slt_nb.models.load import apply_lora, load_model_and_processor
    from slt_nb.models.registry import family_of_hub_id
    from slt_nb.models.load import param_counts
    from slt_nb.train.collate import VideoCollator, make_example
    from slt_nb.train.generate import generate_batch
    from slt_nb.train.load_run import check_processor_fits
    from slt_nb.train.prompts import prompt_for

    frames = np.random.default_rng(0).integers(0, 256, (6, 48, 40, 3), dtype=np.uint8)
    out = {}
    for hub_id in VLMS:
        fam = family_of_hub_id(hub_id)
        model, proc = load_model_and_processor(fam, hub_id)
        check_processor_fits(model, proc, fam)
        ex = make_example(frames, prompt_for("phoenix").text, TEXTS[0], fps=25.0, id="x")
        batch = VideoCollator(proc, fam)([ex])
        loss = float(model(**batch).loss)
        text = generate_batch(model, proc, fam, [{**ex, "answer": None}], max_new_tokens=3)
        counts = param_counts(model)
        lora = apply_lora(model, fam)  # the paper's LoRA regex finds the LM projections
        out[hub_id] = {"model": type(model).__name__, "processor": type(proc).__name__, "dtype": str(model.dtype), "loss": loss,
                       "generated": text, "params": counts["total"], "lora_params": sum(p.numel() for n, p in lora.named_parameters() if "lora_" in n)}
    return out


def _probe_llava() -> dict:
    from types import SimpleNamespace

    import torch

    from slt_nb.llava_slt.config import EncoderConfig, TextEncoderConfig, llm_config, stage3_config
    from slt_nb.llava_slt.data import ClipSet
    from slt_nb.llava_slt.encoder import HierarchicalEncoder
    from slt_nb.llava_slt.llm import corpus_documents, end_of_turn_id, load_llm
    from slt_nb.llava_slt.stage1 import lm_loss
    from slt_nb.llava_slt.stage3 import answer_ids, build_model, translate
    from slt_nb.llava_slt.text_encoder import HFTextEncoder

    out = {}
    frames = torch.randint(0, 256, (2, 8, 3, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    lengths = torch.tensor([8, 5])
    for hub_id in BACKBONES:
        enc_cfg = EncoderConfig(backbone=hub_id, lora={"r": 8, "alpha": 16}, frame_size=28, dim=16, heads=2, local_depth=1,
                                sentence_depth=1, coembed_dim=16)
        encoder = HierarchicalEncoder(enc_cfg)
        backbone = encoder.backbone
        out[hub_id] = {"model": type(backbone.get_base_model()).__name__, "wrapper": type(backbone).__name__,
                       "sentence": list(encoder(frames, lengths).sentence.shape)}
    te = HFTextEncoder(TextEncoderConfig(kind="hf", id="facebook/mbart-large-cc25"), dataset="phoenix")
    ids = te.tok(TEXTS[0])["input_ids"]
    out["facebook/mbart-large-cc25"] = {"model": type(te.model).__name__, "tokenizer": type(te.tok).__name__, "width": te.width,
                                        "embeddings": list(te.encode(TEXTS + ["今天天气很好"]).shape),
                                        "suffix": te.tok.convert_ids_to_tokens(ids[-2:])}
    clips = ClipSet("phoenix", "test", ["a", "b"], TEXTS, ["REGEN SUED", "SONNE NORD"], frames, lengths)
    samples = [SimpleNamespace(text=t, gloss=g) for t, g in zip(clips.texts, clips.glosses)]
    for hub_id in LLMS:
        llm, tok = load_llm(hub_id, llm_config({"id": hub_id}))
        vlt = build_model(encoder, llm, tok, "phoenix", stage3_config())
        loss = vlt({"frames": frames, "lengths": lengths, "answers": answer_ids(tok, clips.texts)})["loss"]
        out[hub_id] = {"model": type(llm).__name__, "tokenizer": type(tok).__name__, "dtype": str(llm.dtype),
                       "end_of_turn": tok.convert_ids_to_tokens(end_of_turn_id(tok)), "pad": tok.pad_token,
                       "prefix": tok.decode(vlt.prefix.tolist()), "suffix": tok.decode(vlt.suffix.tolist()), "vlt_loss": float(loss),
                       "lm_loss": lm_loss(llm, tok, corpus_documents(samples, "phoenix", tokenizer=tok)),
                       "translations": translate(vlt, tok, clips, max_new_tokens=3)}
    return out


def probe() -> None:
    """Load every stand-in through the project's loaders, run it, print {hub id: facts} as JSON."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(json.dumps({**_probe_vlms(), **_probe_llava()}))


def rebuild(hf_home: str) -> None:
    """Build our stand-ins (seed 0) into ``hf_home`` in this fresh process."""
    from slt_nb.standins.hub_cache import build_hub_cache

    build_hub_cache(hf_home, OURS, seed=0, progress=False)


# ---- the tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probed(standin_hub_cache):
    return json.loads(_run_here("probe", standin_hub_cache).stdout.strip().splitlines()[-1])


def _tree(hf_home: Path, hub_id: str) -> dict[str, str | bytes]:
    """Every file under a cached repo: symlinks by target, regular files by content."""
    root = repo_folder(hf_home, hub_id)
    return {str(p.relative_to(root)): (os.readlink(p) if p.is_symlink() else p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.mark.parametrize("hub_id", OURS)
def test_cache_layout_and_real_architecture(standin_hub_cache, hub_id):
    repo = repo_folder(standin_hub_cache, hub_id)
    commit = (repo / "refs" / "main").read_text()
    assert len(commit) == 40 and [p.name for p in (repo / "snapshots").iterdir()] == [commit]
    assert json.loads((repo / MARKER).read_text())["commit"] == commit
    snap = repo / "snapshots" / commit
    files = sorted(p for p in snap.rglob("*") if not p.is_dir())
    assert files and all(p.is_symlink() for p in files)
    for p in files:
        blob = p.resolve()
        assert blob.parent == (repo / "blobs").resolve() and blob.name == hashlib.sha256(blob.read_bytes()).hexdigest()
    names = {p.name for p in files}
    assert "config.json" in names and not names & {"pytorch_model.bin", "model.bin"}  # weights as safetensors only
    assert any(n.endswith(".safetensors") for n in names)
    config = json.loads((snap / "config.json").read_text())
    assert config["architectures"] == [ARCHITECTURES[hub_id]] and "auto_map" not in config  # no trust_remote_code


def test_mbart_tokenizer_is_only_the_sentencepiece_model(standin_hub_cache):
    snap = repo_folder(standin_hub_cache, "facebook/mbart-large-cc25") / "snapshots"
    names = {p.name for p in next(snap.iterdir()).iterdir()}
    assert {"sentence.bpe.model", "sentencepiece.bpe.model"} <= names
    assert not names & {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}  # AutoTokenizer converts slow -> fast


def test_the_project_loaders_load_and_run_every_standin(probed):
    assert set(probed) == set(OURS)
    for hub_id in VLMS:
        p = probed[hub_id]
        assert p["model"] == ARCHITECTURES[hub_id] and p["processor"] == ARCHITECTURES[hub_id].replace("ForConditionalGeneration", "Processor")
        assert p["dtype"] == "torch.float32" and 0 < p["loss"] < 20 and p["lora_params"] > 0  # bf16 on disk, float32 by default
        assert len(p["generated"]) == 1 and isinstance(p["generated"][0], str)
    mbart = probed["facebook/mbart-large-cc25"]
    for hub_id in BACKBONES:
        assert probed[hub_id] == {"model": "Dinov2Model", "wrapper": "PeftModel", "sentence": [2, 16]}  # LoRA r=8 on query/value (Sec 3.2)
    assert mbart["model"] == "MBartEncoder" and mbart["tokenizer"] == "MBartTokenizerFast"
    assert mbart["embeddings"] == [3, mbart["width"]] and mbart["suffix"] == ["</s>", "de_DE"]  # src_lang from the dataset
    llama, qwen = probed["meta-llama/Llama-3.1-8B-Instruct"], probed["Qwen/Qwen2.5-7B-Instruct"]
    assert (llama["model"], llama["tokenizer"], llama["end_of_turn"]) == ("LlamaForCausalLM", "PreTrainedTokenizerFast", "<|eot_id|>")
    assert llama["prefix"].startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date")
    assert llama["prefix"].endswith("<|start_header_id|>user<|end_header_id|>\n\n")
    assert llama["suffix"] == "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    assert llama["pad"] == "<|eot_id|>"  # no pad token in Llama-3.1: load_llm falls back to eos
    assert (qwen["model"], qwen["tokenizer"], qwen["end_of_turn"], qwen["pad"]) == ("Qwen2ForCausalLM", "Qwen2TokenizerFast", "<|im_end|>", "<|endoftext|>")
    assert qwen["prefix"].startswith("<|im_start|>system\nYou are a helpful assistant.") and qwen["prefix"].endswith("<|im_start|>user\n")
    assert qwen["suffix"] == "<|im_end|>\n<|im_start|>assistant\n"
    for p in (probed[h] for h in LLMS):
        assert p["dtype"] == "torch.float32" and 0 < p["vlt_loss"] < 20 and 0 < p["lm_loss"] < 20 and len(p["translations"]) == 2


def test_smolvlm2_sizes_keep_the_real_order(probed):
    sizes = [probed[h]["params"] for h in SMOLVLM2]  # 256M, 500M, 2.2B
    assert sizes == sorted(sizes) and len(set(sizes)) == 3


def test_same_seed_writes_byte_identical_files(standin_hub_cache, tmp_path):
    _run_here("rebuild", tmp_path, str(tmp_path))  # a fresh process: no state shared with the fixture's build
    for hub_id in OURS:
        assert _tree(tmp_path, hub_id) == _tree(standin_hub_cache, hub_id), hub_id


def test_another_seed_changes_the_weights_only(standin_hub_cache, tmp_path):
    hub_id = "facebook/dinov2-base"
    other = write_snapshot(tmp_path, hub_id, seed=1)
    base = next((repo_folder(standin_hub_cache, hub_id) / "snapshots").iterdir())
    assert other.name != base.name
    assert (other / "model.safetensors").read_bytes() != (base / "model.safetensors").read_bytes()
    assert (other / "preprocessor_config.json").read_bytes() == (base / "preprocessor_config.json").read_bytes()


def test_paper_params_hub_ids_are_covered():
    metric = {h for h, target in STANDINS.items() if target.startswith("metric_models:")}
    needed = hub_ids_in_params(load_params(REPO / "params" / "paper.yaml")) - metric
    assert needed and needed <= set(OURS)
    assert set(SMOLVLM2) | {"Qwen/Qwen2.5-VL-3B-Instruct", "facebook/dinov2-base", "facebook/mbart-large-cc25",
                            "meta-llama/Llama-3.1-8B-Instruct"} <= needed
    for hub_id in OURS:
        assert callable(builder(hub_id))

