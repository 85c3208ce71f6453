# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   slt_nb:
#     after:
#     - 01_data_prep
#     gpu: true
# ---

# %% [markdown]
# # 07 · LLaVA-SLT, stages 1–2: linguistic continued pretraining and visual contrastive pretraining
#
# The second paper ("LLaVA-SLT: Visual Language Tuning for Sign Language Translation") trains in
# three stages; this notebook runs the first two, `08_llava_slt_tuning` the third.
#
# * **Stage 1 — linguistic continued pretraining** (Sec 3.1): next-token training of the LLM on a
#   sign-language-domain corpus of gloss–text pairs and plain text (Tab. 6 rows 1–2).
# * **Stage 2 — visual contrastive pretraining** (Sec 3.2, Fig. 4): the hierarchical visual encoder —
#   frame level (ViT [cls] token), word level (local-attention transformer + nearest-neighbour
#   downsampling by 4), sentence level (full-attention transformer → co-embedding) — aligned with a
#   frozen text encoder by the CLIP loss, plus SignCL with λ = 1e-2 (Eq. 2).
#
# No public code exists; the paper text is the specification. **Where it is silent we chose**, and
# say so here and in `slt_nb.llava_slt`:
#
# * Block design of the word/sentence transformers: pre-norm, rotary positions (the paper cites
#   RoFormer in Sec 3.2, whose extracted text is cut), GELU MLP; local window ±4 frames; widths.
# * Downsampling keeps frames 0, 4, 8, … → **ceil(T/4)** words. SignCL regularises the local-attention
#   output at frame rate (its positives are neighbouring *frames*); margin 8 frames at our 32-frame budget
#   (SignCL's repo uses 20 on full-rate clips). SignCL's hyper-parameters (L1 distance, softplus around
#   32, 2 positives / 4 negatives per anchor) come from its public repository (JinhuiYE/SignCL).
# * The text encoder is frozen (it "supervises" the visual encoder); a trainable linear layer maps its
#   sentence embedding (mean-pooled on real runs) to the co-embedding; CLIP's learnable temperature.
#   Clips with identical sentences are positives of each other, not negatives.
# * Frame budget: the small-VLM paper's sampler with `llava_t_max` frames (LLaVA-SLT states none).
# * Stage 1 on the default: the tiny LLM is not instruction-tuned like the paper's Llama/Qwen, so the
#   gloss–text pairs are written as chats (user = glosses, assistant = translation) whose system prompt
#   cycles through the response-prompting variants of Tab. F/G; the plain sentences are the training
#   translations (no dev/test text is ever used). The paper *skips* stage 1 on PHOENIX (no German corpus,
#   Sec 4.2); the default runs it because the tiny LLM starts from random weights.
#
# **Embedded default** (no hub, 2 shared CPU cores, ~4.5 min): the synthetic PHOENIX-2014T and CSL-Daily corpora
# (the ablation variants on CSL-Daily only, as the paper's Tables 6-8); a
# randomly initialised DINOv2-architecture ViT (48 wide, 1 layer, 32×32 frames, patch 8) trained fully
# instead of DINOv2 ViT-B/14 + LoRA; depths 2/2 instead of 4/8; co-embedding 64 instead of 768; a hashed
# tf-idf bag-of-n-grams text encoder instead of mBART's; 20 epochs at lr 2e-3 instead of 200 at 2e-4 (a
# from-scratch tiny ViT learns nothing in 20 epochs at 2e-4); a tiny Llama (64 wide, 2 layers) instead of
# Llama-3.1-8B; no augmentation (App. C's crop, jitter, rotation and flip are options that `params/paper.yaml`
# turns on: on 32-px frames of a procedural signer they remove what a from-scratch ViT must learn in 20
# epochs, and they would stop stage 3 from computing the frozen features once). `params/paper.yaml` sets the
# paper's values. Numbers on the synthetic corpus show the pipeline working; they are not comparable with
# the paper's. Every stage prints its estimated peak memory first; on a GPU a stage that cannot fit is
# refused with the settings that would make it fit (`slt_nb.llava_slt.memory`).
#
# The ablation encoder without local attention (Tab. 7 row 1) is trained on the default from the main
# encoder's trained frame backbone, kept frozen (its features are computed once): in the paper both
# encoders start from the same pretrained DINOv2, here the main run's tiny ViT plays that part, and
# training a second ViT from scratch would double the notebook's time. `params/paper.yaml` trains it fully.
# The same holds for the lower resolution and the LLM as text supervisor (Tab. 7 rows 3 and 6: main's
# ViT sees 24-px frames, as the paper's pretrained DINOv2 sees 224^2 ones); the smaller backbone (row 2)
# trains its own ViT. The LLM variants of Tab. 6 (`llava_llm_variants`: without
# continued pretraining, gloss-text data only, a larger LLM, another LLM family) each get their own stage 1;
# 08 tunes one model per variant and writes the paper's ablation tables.
#
# Every stage writes an atomic, resumable folder under `llava_run_dir` and is skipped when it already
# finished with the same configuration and data. `accelerate launch` runs the same loops on several GPUs.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 07_llava_slt_pretrain`.

# %% tags=["parameters"]
seed = 0  # global seed (model init, data order, SignCL sampling)
manifest_dir = "data/manifests"  # written by 01_data_prep
results_dir = "results"  # tables/ and figures/ go here
llava_run_dir = "runs/llava_slt"  # stage folders and the decoded-frame cache (git-ignored)
llava_datasets = None  # None: LLaVA-SLT's benchmarks (Sec 4.1, Tables 3-4: PHOENIX-2014T, CSL-Daily) among those 01_data_prep prepared; or a list
llava_t_max = 32  # frames per clip, the small-VLM paper's sampler (LLaVA-SLT states no budget); 32 fits the CPU budget
llava_cpu_threads = 1  # torch threads on CPU (None: torch's default); 1 is 2-3x faster than 2 on the shared 2-core machine
llava_llm = {  # the LLM (Sec 3.1, 4.2)
    "id": "tiny",  # paper (PHOENIX): "meta-llama/Llama-3.1-8B-Instruct" (Sec 4.2); CSL-Daily: Qwen2.5-7B/14B-Instruct (Tab. 6)
    "arch": "llama",  # the tiny LLM's family: "llama" | "qwen2" (only with id "tiny"; Tab. 6 row 6 compares base LLMs)
    "hidden": 64,  # tiny Llama width (only with id "tiny")
    "layers": 2,  # tiny Llama depth
    "heads": 4,  # tiny Llama attention heads
    "intermediate": 128,  # tiny Llama MLP width
    "vocab_size": 1024,  # tiny byte-level BPE trained on the training texts, glosses and prompts
    "lora": None,  # LoRA of a hub LLM for stage 1 / full-tuning, e.g. {"r": 8, "alpha": 16} (paper: "LoRA if used")
    "dtype": "float32",  # weights of a hub LLM; "bfloat16" for an 8B model on one GPU (paper silent)
}
llava_stage1 = {  # linguistic continued pretraining (Sec 3.1)
    "enabled": True,  # paper: skipped on PHOENIX (Sec 4.2); the tiny LLM needs it
    "gloss_text_pairs": True,  # Tab. 6 row 1
    "sentences": True,  # Tab. 6 row 2 ("web & books"; here: the training translations)
    "corpus": None,  # a text file, one document per line, added to the corpus (paper: CSL-Corpus, not public)
    "train": {"epochs": 12, "batch_size": 32, "lr": 3e-3, "weight_decay": 0.0, "pct_start": 0.1, "grad_clip": 1.0,
              "micro_batch_size": None, "gradient_checkpointing": False, "backbone_chunk": None},  # paper silent; micro_batch_size: clips per forward, gradients accumulated to batch_size (None: whole batch); gradient_checkpointing: of the LLM; backbone_chunk: frames per ViT forward (unused here)
}
llava_stage2 = {  # visual contrastive pretraining (Sec 3.2)
    "encoder": {
        "backbone": "tiny",  # paper: DINOv2 ViT-B/14 distilled = "facebook/dinov2-base", its [cls] token
        "vit": {"hidden": 48, "layers": 1, "heads": 4, "patch": 8, "mlp_ratio": 2, "image_size": None},  # the tiny ViT (ignored with a hub backbone)
        "lora": None,  # paper: {"r": 8, "alpha": 16} on the DINOv2 backbone (Sec 3.2)
        "train_backbone": True,  # tiny ViT: trained from scratch here; hub backbone: only its LoRA trains
        "frame_size": 32,  # paper: 336 (Sec 3.2, App. C)
        "crop": "none",  # paper: central square crop (App. C); default squashes 96x80 frames so no hand is cut off
        "resize": None,  # side before the crop (paper: 384, randomly/centrally cropped to 336 in training/test, App. C); None: frame_size, no crop
        "augment": None,  # training augmentation (App. C): {"random_crop": True, "color_jitter": 0.2, "rotation": 10.0, "hflip": 0.5} (strengths ours); off here: see below
        "dim": 64,  # word/sentence transformer width (paper silent)
        "heads": 4,  # attention heads (paper silent)
        "mlp_ratio": 2,  # MLP width / dim (paper silent)
        "local_depth": 2,  # paper: 4 (Sec 3.2)
        "local_radius": 4,  # local attention window: +-4 frames (paper silent)
        "downsample": 4,  # paper: nearest-neighbour downsampling with step 4 (Sec 3.2)
        "sentence_depth": 2,  # paper: 8 (Sec 3.2)
        "coembed_dim": 64,  # paper: 768 (Sec 3.2)
        "dropout": 0.0,  # paper silent
    },
    "text": {"kind": "bow", "id": None, "dim": 512, "ngrams": 2},  # paper: mBART's encoder, {"kind": "hf", "id": "facebook/mbart-large-cc25"}
    "signcl": {"weight": 1e-2, "max_distance": 32.0, "margin": 8, "n_pos": 2, "n_neg": 4, "on": "word_frames", "scale": "mean"},  # lambda 1e-2 (Sec 3.2); rest: SignCL repo, except margin 8 (repo: "dynamic", per batch) and scale "mean" (repo: "reference", divided by the batch size)
    "train": {"epochs": 20, "batch_size": 32, "lr": 2e-3, "weight_decay": 1e-5, "pct_start": 0.1, "grad_clip": 1.0,
              "micro_batch_size": None, "gradient_checkpointing": False, "backbone_chunk": None},  # paper: 200 ep, bs 128, lr 2e-4, wd 1e-5, one-cycle cosine; backbone_chunk: frames per ViT forward, each chunk checkpointed when the ViT trains (paper.yaml: 64)
    "backbone_from": None,  # reuse (frozen) another variant's frame backbone (a budget option; off)
}
llava_encoder_variants = {  # further stage-2 encoders for the ablations (overrides of llava_stage2; Tab. 7)
    "no_local_attention": {"encoder": {"local_depth": 0}, "backbone_from": "main"},  # Tab. 7 row 1: frame features straight into the sentence transformer; starts from main's frame backbone, frozen (budget; see above)
    "smaller_backbone": {"encoder": {"vit": {"hidden": 24, "heads": 2}}},  # Tab. 7 row 2: ViT-S/14 for ViT-B/14 (half the width); trained from scratch
    "lower_resolution": {"encoder": {"frame_size": 24}, "backbone_from": "main"},  # Tab. 7 row 3: 224^2 for 336^2 (paper 2/3 of the side; ours 3/4: whole 8-px patches); main's frame backbone at 24 px, frozen (as row 1)
    "text_supervisor_llm": {"text": {"kind": "hf", "id": "stage1"}, "backbone_from": "main"},  # Tab. 7 row 6: an autoregressive LLM as text supervisor (paper: Qwen-2.5-0.5B; ours: the stage-1 LLM)
}
llava_llm_variants = {  # further stage-1 LLMs for Tab. 6 (overrides of llava_llm / llava_stage1, each tuned in 08)
    "no_cpt": {"stage1": {"enabled": False}},  # Tab. 6 row 0: without continued pretraining (the tiny LLM stays untrained)
    "gloss_text_only": {"stage1": {"sentences": False}},  # Tab. 6 row 1: gloss-text pairs only
    "larger": {"llm": {"hidden": 96, "heads": 6, "intermediate": 192}},  # Tab. 6 row 4 (+ scaling++): a larger tiny LLM (1.5x as wide)
    "other_family": {"llm": {"arch": "qwen2"}},  # Tab. 6 row 6: another base LLM family (paper: Llama-3.1 for Qwen-2.5)
}
llava_ablation_datasets = None  # datasets whose ablation variants run; None: the paper's (Tab. 6-8: CSL-Daily) if among llava_datasets, else every llava dataset
llava_precision = "auto"  # "auto": bf16-mixed on CUDA (trainable weights fp32, compute bf16; the frozen LLM in llava_llm's dtype), fp32 on CPU | "bf16-mixed" | "bf16-pure" | "fp32" (paper silent)
llava_per_dataset = {"csl-daily": {"stage3": {"train": {"epochs": 20}}}}  # {dataset: {"llm" | "stage1" | "stage2" | "stage3": overrides}}: the paper configures each benchmark apart (Sec 4.2). Here: CSL-Daily's answers are a token per character, so 20 epochs (dev BLEU-4 11.74 at 10, 14.65 at 20); paper.yaml: its own
llava_force = False  # retrain stages that already finished with the same configuration
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("07_llava_slt_pretrain", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%
import torch
from IPython.display import Markdown, display

from slt_nb.llava_slt import pipeline, report
from slt_nb.llava_slt.config import PAPER, for_dataset, llm_config, stage1_config, stage2_config
from slt_nb.data.benchmarks import LLAVA_DATASETS, ablation_datasets, among_prepared
from slt_nb.data.prepare import prepared_names
from slt_nb.paths import resolve
from slt_nb.report import figures
from slt_nb.report.signature import signature
from slt_nb.report.tables import TableMeta, write_table

llava_datasets = among_prepared(llava_datasets, prepared_names(manifest_dir), LLAVA_DATASETS, parameter="llava_datasets")
llava_ablation_datasets = ablation_datasets(llava_ablation_datasets, llava_datasets)  # the paper's: CSL-Daily
records = pipeline.prepared_records(manifest_dir, llava_datasets, cpu_threads=llava_cpu_threads)
llm, s1, s2 = llm_config(llava_llm), stage1_config(llava_stage1), stage2_config(llava_stage2)
tables_dir, figures_dir = resolve(results_dir) / "tables", resolve(results_dir) / "figures"
provenance = dict(params_file=params_file, params_hash=params_hash, notebook="07_llava_slt_pretrain")
per_ds = {ds: {"llm": for_dataset(llava_per_dataset, ds, "llm", llm), "stage1": for_dataset(llava_per_dataset, ds, "stage1", s1),
              "stage2": for_dataset(llava_per_dataset, ds, "stage2", s2)} for ds in llava_datasets}
report.config_table({"llm": llm, "stage1": s1, "stage2": s2}, PAPER, per_dataset=per_ds)

# %% [markdown]
# ## Stages 1 and 2
# Per dataset: the clips are decoded once (`llava_t_max` frames, squared, resized, cached), stage 1
# trains the LLM, stage 2 trains the main encoder and each encoder variant. Each stage prints its time
# (or that it was skipped) and its check on the dev split: the LM loss before → after stage 1, and the
# video → text retrieval accuracy R@1 of stage 2 against chance (1 / distinct dev sentences).

# %%
results = {}
for ds in llava_datasets:
    ablate = ds in llava_ablation_datasets
    results[ds] = pipeline.pretrain(records[ds], run_dir=llava_run_dir, t_max=llava_t_max, **per_ds[ds], variants=llava_encoder_variants if ablate else {},
                                    llm_variants=llava_llm_variants if ablate else {}, seed=seed, force=llava_force, precision=llava_precision)

# %%
for ds, res in results.items():
    t = report.pretrain_table(res)
    meta = TableMeta(
        name=f"llava_slt_pretrain_{ds}",
        caption=f"LLaVA-SLT stages 1-2 on {records[ds]['label']}: losses and dev checks",
        paper_ref=None,
        signature=signature(stage1=res["stage1"]["key"], stage2=res["stage2"]["main"]["key"], t_max=llava_t_max, seed=seed,
                            signcl=f"lambda {per_ds[ds]['stage2'].signcl.weight:g}, margin {per_ds[ds]['stage2'].signcl.margin}, scale {per_ds[ds]['stage2'].signcl.scale}"),
        notes=["Dev check of stage 2: video->text retrieval among the dev sentences (a hit = the retrieved sentence is the clip's)."],
        **provenance,
    )
    write_table(t, meta, tables_dir)
    display(Markdown((tables_dir / f"llava_slt_pretrain_{ds}.md").read_text()))

# %% [markdown]
# ## Loss curves
# Stage 1: next-token loss. Stage 2: the total (CLIP + 0.01·SignCL) and its two terms, per encoder.
# SignCL starts high (≈ 28: the untrained features sit far inside the 32-distance margin of the
# negatives) and falls fast; CLIP falls from ln(batch) ≈ 3.5.

# %%
for ds, res in results.items():
    hist = {"llm": res["stage1"]["history"], **{f"encoder {n}": r["history"] for n, r in res["stage2"].items()}}
    fig = report.loss_figure(report.loss_frame(hist), title=f"LLaVA-SLT stages 1-2 ({records[ds]['label']})")
    figures.save(fig, figures_dir / f"llava_slt_pretrain_losses_{ds}.png")

# %% [markdown]
# ## Shapes through the hierarchy
# One dev clip through the main encoder: T frames → ceil(T/4) word tokens → one sentence vector.

# %%
from slt_nb.llava_slt.stage2 import load_encoder

ds = llava_datasets[0]
enc, _ = load_encoder(pipeline.dataset_dir(llava_run_dir, ds) / "stage2-main")
enc_cfg = per_ds[ds]["stage2"].encoder
clips = pipeline.load_clips(records[ds], ("dev",), t_max=llava_t_max, frame_size=enc_cfg.frame_size, crop=enc_cfg.crop, run_dir=llava_run_dir)["dev"]
with torch.no_grad():
    out = enc(clips.frames[:1, : int(clips.lengths[0])], clips.lengths[:1])
print(f"{clips.ids[0]}: frames {tuple(out.frames.shape)} -> words {tuple(out.words.shape)} (word_lengths {out.word_lengths.tolist()}) "
      f"-> sentence {tuple(out.sentence.shape)}")
