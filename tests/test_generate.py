"""Greedy batched inference (Sec 4.3): run-dir loading, batched == one-by-one, JSONL rows, translate.

A fake run dir per family follows the training runner's contract: a PEFT adapter saved with
``save_pretrained`` (safetensors, the connector in ``modules_to_save``), the processor beside
it and ``run.json`` with the family and the base model's folder. The adapter is randomised
(LoRA B and the connector perturbed) so that it changes the base model's output and the tiny
model's text depends on the video: a batching bug would show as different text.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from conftest import write_frame_folder, write_mp4

from slt_nb.data.frames import sample_indices
from slt_nb.data.manifest import Sample
from slt_nb.errors import SLTInputError
from slt_nb.models.load import apply_lora, load_model_and_processor
from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.standins.tiny import ensure_tiny
from slt_nb.train.collate import VideoCollator, make_example, rows_from_samples
from slt_nb.train.generate import ROW_KEYS, generate_batch, generate_predictions, greedy_config, length_order
from slt_nb.train.load_run import load_for_inference, read_run_info
from slt_nb.train.prompts import prompt_for
from slt_nb.translate import translate_clip

CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
FAMS = sorted(FAMILIES)
PROMPT = prompt_for("phoenix").text
T_MAX = 8
LENGTHS = [1, 7, 12, 3, 9, 2]  # frames per clip; 12 and 9 are sampled down to T_MAX
NEW = 16  # new tokens per sample in the tests (the paper's 128 would only make them slower)


def noise(n: int, seed: int, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (n, size, size, 3), dtype=np.uint8)


def make_run(fam: str, base, run_dir, *, seed: int = 0):
    """A run dir as the training runner writes it; returns the in-memory PEFT model that was saved."""
    model, proc = load_model_and_processor(fam, base)
    pm = apply_lora(model, fam)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in pm.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
            elif ".modules_to_save." in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    pm.eval()
    pm.save_pretrained(run_dir)
    proc.save_pretrained(run_dir)
    (run_dir / "run.json").write_text(json.dumps({"family": fam, "base_model": str(base), "prompt": PROMPT}), encoding="utf-8")
    return pm, proc


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """family -> dict(run dir, saved PEFT model, processor, loaded (model, processor, family), samples)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is fastest, and the CPU is shared
    clips = tmp_path_factory.mktemp("clips")
    samples = []
    for i, n in enumerate(LENGTHS):
        folder = write_frame_folder(clips / f"c{i}", noise(n, seed=i))
        samples.append(Sample(id=f"c{i}", dataset="phoenix", split="test", source=str(folder), source_kind="frames", n_frames=n,
                              fps=25.0, text=f"reference {i} .", signer="s1"))
    out = {}
    for fam in FAMS:
        base = ensure_tiny(fam, CORPUS, tmp_path_factory.getbasetemp() / f"tiny-{fam}", seed=0)
        run_dir = tmp_path_factory.mktemp(f"run-{fam}")
        pm, proc = make_run(fam, base, run_dir)
        out[fam] = dict(base=base, run=run_dir, pm=pm, proc=proc, loaded=load_for_inference(run_dir, device="cpu"), samples=samples)
    yield out
    torch.set_num_threads(threads)


@pytest.fixture(params=FAMS)
def fam(request):
    return request.param


def test_batched_equals_one_by_one_and_rows(world, fam, tmp_path):
    w = world[fam]
    model, proc, family = w["loaded"]
    assert family is get_family(fam) and not model.training
    out = tmp_path / "pred" / "test.jsonl"
    kw = dict(prompt=PROMPT, t_max=T_MAX, max_new_tokens=NEW, model_name=f"tiny-{fam}", params_hash="abc123", progress=False)
    t0 = time.perf_counter()
    batched = generate_predictions(model, proc, family, w["samples"], batch_size=len(LENGTHS), out_path=out, **kw)
    t1 = time.perf_counter()
    single = generate_predictions(model, proc, family, w["samples"], batch_size=1, **kw)
    t2 = time.perf_counter()
    n = len(LENGTHS)
    print(f"\n{fam}: batched {n / (t1 - t0):.1f} samples/s, one-by-one {n / (t2 - t1):.1f} samples/s")
    texts = [r["prediction"] for r in batched]
    assert texts == [r["prediction"] for r in single]  # identical text, batch of mixed lengths vs one by one
    # the text depends on the clip, its pixels too (c2 and c4 both have T_MAX sampled frames): the comparison means something
    assert len(set(texts)) > 1 and texts[2] != texts[4], texts
    # rows: input order, every field
    assert [r["id"] for r in batched] == [s.id for s in w["samples"]]
    for r, s in zip(batched, w["samples"]):
        assert set(r) == set(ROW_KEYS) == {"id", "dataset", "split", "reference", "prediction", "model", "params_hash"}
        assert (r["dataset"], r["split"], r["reference"], r["model"], r["params_hash"]) == (s.dataset, s.split, s.text, f"tiny-{fam}", "abc123")
        assert r["prediction"] == r["prediction"].strip()
    # JSONL: parseable, same rows, nothing temporary left behind
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == batched
    assert sorted(p.name for p in out.parent.iterdir()) == ["test.jsonl"]
    # the saved PEFT model (unmerged, in memory) gives the same text as the reloaded merged one
    col = VideoCollator(w["proc"], fam, train=False, t_max=T_MAX)
    ref = [generate_batch(w["pm"], w["proc"], fam, rows_from_samples([s], PROMPT), max_new_tokens=NEW, collator=col)[0] for s in w["samples"]]
    assert ref == texts


def test_adapter_changes_the_output(world, fam):
    """The loaded adapter (LoRA + connector) is really applied: the bare base model answers differently."""
    w = world[fam]
    base, proc = load_model_and_processor(fam, w["base"])
    kw = dict(prompt=PROMPT, t_max=T_MAX, max_new_tokens=NEW, model_name="base", progress=False, batch_size=len(LENGTHS))
    plain = [r["prediction"] for r in generate_predictions(base.eval(), proc, fam, w["samples"], **kw)]
    tuned = [r["prediction"] for r in generate_predictions(w["loaded"][0], w["loaded"][1], fam, w["samples"], **kw)]
    assert plain != tuned


def test_max_new_tokens_is_respected(world, fam, monkeypatch):
    model, proc, family = world[fam]["loaded"]
    lengths = []
    generate = model.generate

    def spy(**kw):
        out = generate(**kw)
        lengths.append(out.shape[1] - kw["input_ids"].shape[1])
        return out

    monkeypatch.setattr(model, "generate", spy)
    kw = dict(prompt=PROMPT, t_max=T_MAX, model_name="m", progress=True, batch_size=3)  # with the tqdm bar
    generate_predictions(model, proc, family, world[fam]["samples"], max_new_tokens=3, **kw)
    assert lengths and max(lengths) <= 3
    cfg = greedy_config(proc, family, 128)  # the paper's budget, greedy, no sampling defaults
    assert (cfg.max_new_tokens, cfg.do_sample, cfg.num_beams, cfg.use_cache, cfg.repetition_penalty) == (128, False, 1, True, 1.0)
    with pytest.raises(SLTInputError, match="max_new_tokens"):
        greedy_config(proc, family, 0)


def test_length_order_longest_first_stable(world):
    samples = world[FAMS[0]]["samples"]
    assert length_order(samples, T_MAX) == [2, 4, 1, 3, 5, 0]  # 12, 9 -> 8 frames (ties in input order), then 7, 3, 2, 1


def test_failed_run_leaves_the_old_predictions(world, tmp_path):
    """Atomic: a run that fails midway leaves the previous file untouched (no half-written JSONL)."""
    import shutil

    fam = FAMS[0]
    model, proc, family = world[fam]["loaded"]
    broken_dir = tmp_path / "gone"
    shutil.copytree(world[fam]["samples"][0].source, broken_dir)
    broken = Sample(id="gone", dataset="phoenix", split="test", source=str(broken_dir), source_kind="frames", n_frames=1, fps=25.0, text="x")
    shutil.rmtree(broken_dir)
    out = tmp_path / "test.jsonl"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(SLTInputError, match="gone"):
        generate_predictions(model, proc, family, world[fam]["samples"][:2] + [broken], prompt=PROMPT, t_max=T_MAX, max_new_tokens=2,
                             model_name="m", out_path=out, progress=False, batch_size=1)
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.jsonl"]


def test_translate_clip_video_and_frame_folder(world, fam, tmp_path):
    w = world[fam]
    frames = noise(12, seed=7)
    video = write_mp4(tmp_path / "clip.mp4", frames)  # 32 px wide (decord mis-decodes widths 16/24/48/72)
    from_video = translate_clip(video, w["run"], t_max=T_MAX, max_new_tokens=NEW)  # loads the run itself
    assert isinstance(from_video, str)
    folder = write_frame_folder(tmp_path / "frames", frames)
    from_folder = translate_clip(folder, w["run"], t_max=T_MAX, max_new_tokens=NEW, loaded=w["loaded"])
    # the same path as a test split: a one-sample generate_predictions over the same folder gives the same text
    s = Sample(id="f", dataset="phoenix", split="test", source=str(folder), source_kind="frames", n_frames=12, fps=25.0, text="x")
    model, proc, family = w["loaded"]
    row = generate_predictions(model, proc, family, [s], prompt=PROMPT, t_max=T_MAX, max_new_tokens=NEW, model_name="m", progress=False)[0]
    assert from_folder == row["prediction"]
    # prompt: run.json's by default; a dataset's Table 16 prompt when asked (a different prompt, a different input)
    idx = sample_indices(12, T_MAX)
    ex = make_example(frames[idx], prompt_for("how2sign").text, fps=25.0, frames_indices=idx, total_frames=12)
    assert translate_clip(folder, w["run"], t_max=T_MAX, max_new_tokens=NEW, dataset="how2sign", loaded=w["loaded"]) == \
        generate_batch(model, proc, family, [ex], max_new_tokens=NEW)[0]


def test_out_of_memory_splits_the_batch_then_says_what_to_change(world, monkeypatch):
    """CUDA OOM (simulated): the batch is halved until it fits; one clip that does not fit is a clear error."""
    import slt_nb.train.generate as gen

    calls = []

    def fake(model, processor, family, rows, **kw):
        calls.append(len(rows))
        if len(rows) > limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [f"p-{r['id']}" for r in rows]

    monkeypatch.setattr(gen, "generate_batch", fake)
    model, proc, family = world["smolvlm"]["loaded"]
    samples = world["smolvlm"]["samples"]
    kw = dict(prompt=PROMPT, t_max=T_MAX, model_name="m", progress=False, batch_size=6)
    limit = 2
    rows = generate_predictions(model, proc, family, samples, **kw)
    assert [r["prediction"] for r in rows] == [f"p-{s.id}" for s in samples] and calls == [6, 3, 1, 2, 3, 1, 2]
    limit = 0
    with pytest.raises(SLTInputError, match="out of memory.*lower t_max"):
        generate_predictions(model, proc, family, samples, **kw)


# ---- bad input -------------------------------------------------------------------------------


def test_missing_checkpoint_run_json_and_adapter(world, tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(SLTInputError, match="checkpoint folder not found.*train first") as e:
        load_for_inference(missing)
    assert str(missing) in str(e.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SLTInputError, match="no run.json.*train first") as e:
        read_run_info(empty)
    assert str(empty) in str(e.value)
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"family": "smolvlm", "base_model": str(world["smolvlm"]["base"])}), encoding="utf-8")
    with pytest.raises(SLTInputError, match="missing adapter.*train first") as e:
        load_for_inference(run)
    assert str(run) in str(e.value)
    (run / "adapter").mkdir()
    (run / "adapter" / "adapter_config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SLTInputError, match="missing adapter weights adapter_model.safetensors.*train first") as e:
        load_for_inference(run)
    assert str(run / "adapter") in str(e.value)
    with pytest.raises(SLTInputError, match="checkpoint folder not found"):
        translate_clip(world["smolvlm"]["samples"][0].source, missing)


def test_adapter_in_a_subfolder_and_checkpoint_n(world, tmp_path):
    """Layouts: adapter/ beside run.json; a checkpoint-N folder reads run.json from its parent."""
    import shutil

    src = world["smolvlm"]["run"]
    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    for f in src.iterdir():
        shutil.copy(f, (run if f.name == "run.json" else run / "adapter") / f.name)
    assert read_run_info(run)[2] == run / "adapter"
    shutil.copytree(run / "adapter", run / "checkpoint-4")
    assert read_run_info(run / "checkpoint-4")[:3:2] == (run, run / "checkpoint-4")
    shutil.rmtree(run / "adapter")
    with pytest.raises(SLTInputError, match="only intermediate checkpoints"):
        read_run_info(run)


def test_adapter_that_does_not_fit_names_the_tensor(world, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    run = tmp_path / "run"
    shutil.copytree(world["smolvlm"]["run"], run)
    weights = load_file(str(run / "adapter_model.safetensors"))
    key = min(k for k in weights if "lora_A" in k)
    weights[key] = weights[key][:, :-8].contiguous()  # as if trained on a model with another hidden size
    save_file(weights, str(run / "adapter_model.safetensors"))
    with pytest.raises(SLTInputError, match="adapter does not fit the base model: size mismatch for .*lora_A") as e:
        load_for_inference(run, device="cpu")
    assert str(run) in str(e.value)
    # weights the model needs missing from the file (e.g. an adapter of a model with fewer layers)
    weights = load_file(str(world["smolvlm"]["run"] / "adapter_model.safetensors"))
    save_file({k: v for k, v in weights.items() if ".layers.1." not in k}, str(run / "adapter_model.safetensors"))
    with pytest.raises(SLTInputError, match=r"adapter does not fit the base model: \d+ adapter weights the model needs are not in the file"):
        load_for_inference(run, device="cpu")
    # an adapter of the other family: run.json and base model do not belong together
    (run / "run.json").write_text(json.dumps({"family": "qwen2_5_vl", "base_model": str(world["smolvlm"]["base"])}), encoding="utf-8")
    with pytest.raises(SLTInputError, match="'smolvlm' checkpoint but run.json says family 'qwen2_5_vl'"):
        load_for_inference(run, device="cpu")


def test_processor_that_does_not_fit_the_model(world, tmp_path):
    import shutil

    fam = "qwen2_5_vl"
    run = tmp_path / "run"
    shutil.copytree(world[fam]["run"], run)
    proc = get_family(fam).resolve_classes()[1].from_pretrained(str(run))  # a copy: the fixture's stays as it is
    proc.tokenizer.add_tokens([f"<extra_{i}>" for i in range(40)])  # as if another model's tokenizer
    proc.save_pretrained(run)
    with pytest.raises(SLTInputError, match=r"tokenizer has \d+ tokens but the qwen2_5_vl model embeds only \d+") as e:
        load_for_inference(run, device="cpu")
    assert str(run) in str(e.value)


def test_zero_frame_clip_and_unsupported_file(world, tmp_path):
    run = world["smolvlm"]["run"]
    empty = tmp_path / "frames"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here", encoding="utf-8")
    with pytest.raises(SLTInputError, match="zero-frame") as e:
        translate_clip(empty, run, loaded=world["smolvlm"]["loaded"])
    assert str(empty) in str(e.value)
    odd = tmp_path / "clip.gif"
    odd.write_bytes(b"GIF89a")
    with pytest.raises(SLTInputError, match="unsupported clip type") as e:
        translate_clip(odd, run, loaded=world["smolvlm"]["loaded"])
    assert str(odd) in str(e.value)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(SLTInputError, match="unreadable or corrupt video") as e:
        translate_clip(bad, run, loaded=world["smolvlm"]["loaded"])
    assert str(bad) in str(e.value)
    with pytest.raises(SLTInputError, match="clip not found"):
        translate_clip(tmp_path / "missing.mp4", run, loaded=world["smolvlm"]["loaded"])
