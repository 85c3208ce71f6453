"""Table 1 (architectures, parameters counted from configs) and Table 16 (prompts per dataset)."""

from __future__ import annotations

import pytest

from slt_nb.models.registry import FAMILIES, get_family
from slt_nb.models.load import param_counts
from slt_nb.standins.tiny import make_tiny
from slt_nb.report import model_tables, paper_numbers
from slt_nb.report.model_tables import NA, TINY_KIND, ModelSpec, architecture_row, human_count, rendered_prompt, table1, table16
from slt_nb.report.tables import TableMeta, write_table
from slt_nb.train.collate import build_messages

CORPUS = ["am tag wechselhaft mit regen im süden .", "morgen sonne und wolken im norden .", "the cat sat on the mat ."]
FAMS = sorted(FAMILIES)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(family, size) -> (model built for real, processor, folder holding only its config.json)."""
    out = {}
    for fam in FAMS:
        for size in ("tiny", "tiny-s"):
            model, proc = make_tiny(fam, CORPUS, seed=0, size=size)
            folder = tmp_path_factory.mktemp(f"{fam}-{size}")
            model.config.save_pretrained(folder)
            out[fam, size] = (model, proc, folder)
    return out


@pytest.mark.parametrize("fam", FAMS)
@pytest.mark.parametrize("size", ["tiny", "tiny-s"])
def test_tiny_count_from_config_equals_the_model_built_for_real(tiny, fam, size):
    model, _, folder = tiny[fam, size]
    row = architecture_row(ModelSpec(fam, size, str(folder), "phoenix"))
    parts = param_counts(model)
    assert row["Total params"] == sum(p.numel() for p in model.parameters()) == parts["total"]
    assert (row["Vision params"], row["Connector params"]) == (parts["vision_tower"], parts["connector"])
    assert row["LM params"] == parts["total"] - parts["vision_tower"] - parts["connector"]
    assert row["Checkpoint"] == (TINY_KIND if size == "tiny" else f"{TINY_KIND}, size {size}")
    text = model.config.text_config
    assert row["Language Model (No. of layers)"].endswith(f"({text.num_hidden_layers})")
    assert row["Input Context Length"].startswith(f"{text.max_position_embeddings:,}")


# hub id, published size (the hub's safetensors count), exact count, vision, connector, LM, context
REAL = [
    ("HuggingFaceTB/SmolVLM2-2.2B-Instruct", 2.25e9, 2246784880, "SigLIP (27)", "pixel shuffle 3x3 + MLP (1 linear layer)", "LLaMA (24)", "16,384 (16K)"),
    ("HuggingFaceTB/SmolVLM2-500M-Video-Instruct", 507e6, 507482304, "SigLIP (12)", "pixel shuffle 4x4 + MLP (1 linear layer)", "LLaMA (32)", "8,192 (8K)"),
    ("HuggingFaceTB/SmolVLM2-256M-Video-Instruct", 256e6, 256484928, "SigLIP (12)", "pixel shuffle 4x4 + MLP (1 linear layer)", "LLaMA (30)", "8,192 (8K)"),
    ("Qwen/Qwen2.5-VL-3B-Instruct", 3.75e9, 3754622976, "ViT (window attention) (32)", "2x2 patch merge + MLP (2 linear layers)", "Qwen2.5 LM (36)",
     "128,000 (128K)"),
]


@pytest.mark.parametrize(("hub", "published", "exact", "vision", "connector", "lm", "context"), REAL)
def test_real_checkpoints_counted_from_the_repo_configs(hub, published, exact, vision, connector, lm, context):
    fam = "qwen2_5_vl" if hub.startswith("Qwen/") else "smolvlm"
    row = architecture_row(ModelSpec(fam, hub))
    assert row["Checkpoint"] == hub and row["Config source"].startswith("slt_nb.bench.real_configs")
    assert row["Total params"] == exact and row["Total params"] == pytest.approx(published, rel=0.01)
    assert row["Vision params"] + row["Connector params"] + row["LM params"] == exact
    assert (row["Vision Model (No. of layers)"], row["Connector"], row["Language Model (No. of layers)"], row["Input Context Length"]) == (
        vision, connector, lm, context)


def test_paper_table1_as_printed_and_its_layer_counts_match_ours():
    paper = paper_numbers.table1()
    assert paper.to_dict("records") == [
        {"Model": "SmolVLM2", "No. of Parameters": "2.2B", "Vision Model (No. of layers)": "SigLIP (27)",
         "Language Model (No. of layers)": "LLaMA-3.1 (3.1)", "Input Context Length": "8K"},
        {"Model": "Qwen2.5-VL", "No. of Parameters": "3B", "Vision Model (No. of layers)": "ViT (32)",
         "Language Model (No. of layers)": "Qwen2.5LM (36)", "Input Context Length": "32K"},
    ]
    ours = table1([ModelSpec("smolvlm", "HuggingFaceTB/SmolVLM2-2.2B-Instruct"), ModelSpec("qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct")])
    assert ours.frame["Model"].tolist() == paper["Model"].tolist()
    layers = [v.rsplit("(", 1)[1] for v in ours.frame["Vision Model (No. of layers)"]]
    assert layers == [v.rsplit("(", 1)[1] for v in paper["Vision Model (No. of layers)"]]  # 27, 32
    assert ours.frame["Language Model (No. of layers)"].tolist()[1].endswith("(36)")


def test_paper_yaml_rows_are_the_real_checkpoints_only():
    specs = [ModelSpec(f, get_family(f).default_hub_id, get_family(f).default_hub_id, ds) for f in FAMS for ds in ("phoenix", "isign")]
    t = table1(specs)
    assert sorted(t.frame["Checkpoint"]) == sorted(get_family(f).default_hub_id for f in FAMS)  # merged across datasets, no tiny, no extra
    assert set(t.frame["Datasets"]) == {"PHOENIX-2014T; iSign"}
    assert not any("tiny" in n.lower() for n in t.notes)


def test_every_row_says_what_it_is_and_nothing_is_guessed(tiny, tmp_path):
    _, _, folder = tiny["smolvlm", "tiny"]
    specs = [ModelSpec("smolvlm", "tiny", str(folder), "phoenix"), ModelSpec("smolvlm", "tiny", str(folder), "how2sign"),
             ModelSpec("qwen2_5_vl", "tiny", str(tmp_path / "not-built"), "phoenix"), ModelSpec("smolvlm", "someone/Other-VLM", None, "phoenix")]
    t = table1(specs, labels={"phoenix": "PHOENIX-2014T (synthetic)", "how2sign": "How2Sign (synthetic)"})
    rows = {r["Checkpoint"] + "|" + r["Model"]: r for r in t.frame.to_dict("records")}
    smol = rows[TINY_KIND + "|SmolVLM2"]
    assert smol["Datasets"] == "PHOENIX-2014T (synthetic); How2Sign (synthetic)" and isinstance(smol["Total params"], int)
    qwen = rows[TINY_KIND + "|Qwen2.5-VL"]
    assert qwen["Total params"] == NA and "no config.json" in qwen["Config source"]
    other = rows["someone/Other-VLM|SmolVLM2"]
    assert other["No. of Parameters"] == NA and other["Config source"] == "config not in the repo (no network): not counted"
    # beside each tiny stand-in, the real checkpoint it stands for, counted from the repo's config
    for fam in FAMS:
        ref = rows[f"{get_family(fam).default_hub_id} (config only; not run here)|" + {"smolvlm": "SmolVLM2", "qwen2_5_vl": "Qwen2.5-VL"}[fam]]
        assert isinstance(ref["Total params"], int) and ref["Datasets"] == "-"
    assert len(t.frame) == 5


def test_table1_for_runs_reads_what_the_notebook_passes(tiny):
    """03_finetune's cell: RunResult-like objects (config.family / model / dataset, base_model) and the dataset labels."""
    from types import SimpleNamespace

    runs = [SimpleNamespace(config=SimpleNamespace(family=fam, model="tiny", dataset="phoenix"), base_model=str(tiny[fam, "tiny"][2])) for fam in FAMS]
    t = model_tables.table1_for_runs(runs, labels={"phoenix": "PHOENIX-2014T (synthetic)"})
    ours = t.frame[t.frame["Checkpoint"] == TINY_KIND]
    assert len(ours) == 2 and set(ours["Datasets"]) == {"PHOENIX-2014T (synthetic)"}
    assert sorted(ours["Total params"]) == sorted(sum(p.numel() for p in tiny[f, "tiny"][0].parameters()) for f in FAMS)


def test_local_checkpoint_folder_is_read_from_its_config(tiny):
    model, _, folder = tiny["qwen2_5_vl", "tiny-s"]
    row = architecture_row(ModelSpec("qwen2_5_vl", str(folder)))
    assert row["Checkpoint"] == f"local checkpoint {folder.name}" and row["Total params"] == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("n", "text"), [(2246784880, "2.25B"), (3754622976, "3.75B"), (507482304, "507M"), (256484928, "256M"), (123456, "123K"), (999, "999")])
def test_human_count(n, text):
    assert human_count(n) == text


# dataset, prompt sent (verbatim Table 16 where the paper has it), Table 16 row, same as paper
PROMPTS = [
    ("phoenix", "Übersetzen Sie das Video in deutscher Gebärdensprache in deutschen Text (gesprochene Sprache).", "DGS (PHOENIX-2014T)", "yes"),
    ("how2sign", "Translate the English sign language video into spoken text.", "ASL (How2Sign and OpenASL)", "yes"),
    ("openasl", "Translate the English sign language video into spoken text.", "ASL (How2Sign and OpenASL)", "yes"),
    ("isign", "Translate the Indian sign language video into spoken text.", "ISL (iSign)", "yes"),
    ("csl-daily", "Translate the Chinese sign language video into spoken text.", "-", "not in the paper (ours)"),
]


def test_table16_prompts_per_dataset():
    t = table16({"phoenix": "PHOENIX-2014T (synthetic)"})
    got = t.frame.to_dict("records")
    assert [(r["Prompt (ours)"], r["Paper's row"], r["Same as paper"]) for r in got] == [p[1:] for p in PROMPTS]
    assert got[0]["Dataset"] == "PHOENIX-2014T (synthetic)" and got[0]["In this run"] == "fine-tuned"
    assert [r["In this run"] for r in got[1:]] == ["-"] * 4
    assert got[3]["SmolVLM2 user turn"] == "<|im_start|>User: <video>Translate the Indian sign language video into spoken text.<end_of_utterance>\\nAssistant:"
    assert t.paper["Dataset"].tolist() == ["DGS (PHOENIX-2014T)", "English Translation", "ASL (How2Sign and OpenASL)", "ISL (iSign)"]


def test_table16_says_when_our_prompt_differs_from_the_paper(monkeypatch):
    from slt_nb.train import prompts

    monkeypatch.setitem(prompts.PROMPTS, "isign", prompts.Prompt("Translate the ISL video.", "test"))
    rows = {r["Paper's row"]: r for r in table16().frame.to_dict("records")}
    assert rows["ISL (iSign)"]["Same as paper"] == "no: differs from the paper"


@pytest.mark.parametrize("fam", FAMS)
def test_rendered_user_turn_is_what_the_processor_renders(tiny, fam):
    _, proc, _ = tiny[fam, "tiny"]
    for _, prompt, _, _ in PROMPTS:
        expected = proc.apply_chat_template(build_messages(prompt), chat_template=get_family(fam).chat_template, add_generation_prompt=True,
                                            tokenize=False)
        assert rendered_prompt(fam, prompt) == expected


def test_tables_are_byte_identical_on_rewrite(tmp_path):
    def write(out):
        t1 = table1([ModelSpec("qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct", None, "phoenix")])
        t16 = table16({"isign": "iSign (synthetic)"})
        for name, t in (("table1_architectures", t1), ("table16_prompts", t16)):
            write_table(t.frame, TableMeta(name=name, caption=name, paper_ref=name, signature=t.signature, notes=t.notes), out, paper=t.paper)
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    first, second = write(tmp_path / "a"), write(tmp_path / "b")
    assert first == second and len(first) == 10
    assert "Übersetzen Sie" in first["table16_prompts.md"].decode()
