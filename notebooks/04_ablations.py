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
# # 04 · Ablations: model size × fine-tuning strategy (Table 8) and frame budget (Table 9)
#
# Sec 6 of the small-VLM paper. **Table 8**: SmolVLM2 at three sizes (256M, 500M, 2.2B), trained
# five ways — full fine-tuning; the language model only; the vision model only; vision then LM
# (sequentially, the connector trained with the LM); LoRA on the LM with the vision encoder frozen
# and the connector trained (the main recipe, Sec 3.4) — on PHOENIX-2014T, scored on its test set
# after 5 epochs. **Table 9**: Qwen2.5-VL fine-tuned with 64 and with 256 frames.
#
# Every cell of the grid is one training run whose configuration is *derived* from the parameters
# below: the recipe shared with `03_finetune` (same parameter names, same defaults, so a params
# file changes both) plus what the cell varies (size, strategy, frame budget). Runs are cached by
# configuration hash in `runs/` — re-running this notebook skips finished cells (`abl_force`
# retrains). A Table 9 cell at 03's frame budget *is* 03's Qwen2.5-VL run (same hash), as the
# paper's Table 9 64-frame row is its Table 3 Qwen2.5-VL test row; when 03 and 04 run side by side
# (`slt-nb reproduce --jobs 2`), whichever reaches that run first trains it and the other waits on
# its lock and reuses it (a run trains in one process at a time).
#
# * **Embedded default**: three tiny sizes of the SmolVLM architecture (`tiny-xs`, `tiny-s`,
#   `tiny`, each with its own cached base stage, see 03) stand for 256M / 500M / 2.2B; Table 8
#   trains for half of 03's epochs (the paper: 5 of Table 3's 10); Table 9 compares 16 and 64
#   frames — the paper's 1 : 4 ratio at the synthetic corpus's clip lengths (median ~60 frames,
#   where PHOENIX-2014T clips run ~50–300). The cells train two at a time (two CPU cores, `ft_jobs`).
# * **Real checkpoints** (`params/paper.yaml`): the SmolVLM2 hub ids of the three sizes, 5 epochs,
#   Table 9 at 64 and 256 frames. On a GPU node, one papermill execution per cell (a batch job
#   each; the README shows the loop), then one more execution that finds every cell finished and
#   writes the tables.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 04_ablations`.

# %% tags=["parameters"]
manifest_dir = "data/manifests"  # written by 01_data_prep
results_dir = "results"  # tables/, figures/ and ablations/predictions/ go here
ft_runs_dir = "runs"  # fine-tuning runs (shared with 03_finetune) and the cached tiny base models
seed = 0  # global seed (LoRA init, data order, dropout, the tiny models)
ft_models = {"smolvlm": "tiny", "qwen2_5_vl": "tiny"}  # as 03: Table 9 uses the qwen2_5_vl entry (paper: Qwen2.5-VL-3B-Instruct, Sec 4.3)
t_max = 16  # frame budget of Table 8's cells, as 03; paper: 64 (Sec 4.3)
ft_epochs = 8  # as 03 (Table 9 is the main recipe); paper: 10 (Sec 4.3)
ft_learning_rate = {"smolvlm": 2e-3, "qwen2_5_vl": 2e-3}  # as 03; paper: 1e-4 SmolVLM2, 1e-5 Qwen2.5-VL (Sec 4.3)
ft_lr_scheduler = {"smolvlm": "linear", "qwen2_5_vl": "cosine"}  # as 03 (Sec 4.3)
ft_optimizer = "adamw_torch"  # AdamW (Sec 4.3)
ft_batch_size = 4  # as 03; paper: 1 (Sec 4.3)
ft_grad_accumulation = 1  # as 03; paper: 4 (Sec 4.3)
ft_lora_r = 64  # LoRA rank (Sec 4.3)
ft_lora_alpha = 64  # LoRA scaling factor alpha (Sec 4.3)
ft_lora_dropout = {"smolvlm": 0.1, "qwen2_5_vl": 0.05}  # Sec 4.3
ft_warmup_ratio = 0.0  # not stated in the paper; HF default
ft_weight_decay = 0.0  # not stated in the paper; HF default
ft_precision = "auto"  # "auto": bf16-mixed on CUDA (Sec 4.3 bf16 compute; weights that train kept in fp32), fp32 on CPU | "bf16-mixed" | "bf16-pure" (the literal reading: bf16 weights too) | "fp32"
ft_attn_implementation = "auto"  # "auto": FlashAttention-2 on CUDA where installed (requirements-gpu.txt; Sec 4.3), else SDPA
ft_gradient_checkpointing = "auto"  # "auto": on CUDA; off on CPU
gen_max_new_tokens = 128  # greedy decoding, at most 128 new tokens (Sec 4.3)
gen_batch_size = 16  # clips per generation batch (left padding); not stated in the paper
ft_save_steps = 100  # checkpoint every N optimizer steps (resume point)
ft_save_total_limit = 2  # checkpoints kept per run
ft_logging_steps = 10  # loss logged every N optimizer steps
ft_cache_examples = True  # keep encoded clips in RAM across epochs (tiny models); paper.yaml: false
ft_base_pretraining = {}  # tiny models only: overrides of the base stage's sizes (slt_nb.standins.pretrain.BaseSpec)
ft_cpu_threads = 1  # torch threads per training process when no GPU; None: torch's choice
abl_dataset = "phoenix"  # Tables 8-9 are on PHOENIX-2014T (Sec 6)
abl_epochs = 4  # Table 8's epochs; paper: 5 (Table 8 caption), half of Table 3's 10 (the default keeps the half of ft_epochs)
abl_sizes = {"256M": "tiny-xs", "500M": "tiny-s", "2.2B": "tiny"}  # Table 8 size label to model; paper: the SmolVLM2 hub ids (params/paper.yaml)
abl_cells = [["256M", "full"], ["500M", "lm_only"], ["500M", "vision_only"], ["500M", "vision_then_lm"], ["500M", "lora_lm"], ["2.2B", "lora_lm"]]  # Table 8 rows (Sec 6)
abl_sequential_split = 0.5  # vision_then_lm: share of the epochs for the vision stage (not stated in the paper)
abl_frame_budgets = [16, 64]  # Table 9 budgets; paper: [64, 256]. 16 is 03's budget (its run is reused), 64 keeps the 1:4 ratio
abl_only = None  # run only these cell ids (batch jobs: one execution per cell); None: every cell
ft_jobs = 2  # as 03: runs trained at once, each in a worker process with ft_cpu_threads threads (or one GPU); 1: one after the other in this kernel
abl_force = False  # retrain cells that already finished with the same configuration
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("04_ablations", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%
from slt_nb.models.load import hub_offline_if_local

hub_offline_if_local([*abl_sizes.values(), *ft_models.values()])  # tiny stand-ins or local folders only: never reach for the hub

import pandas as pd
import torch
from IPython.display import Markdown, display

from slt_nb.paths import resolve
from slt_nb.report import ablation_tables as abt
from slt_nb.report import figures, paper_metrics
from slt_nb.report.prediction_files import dataset_labels
from slt_nb.report.tables import TableMeta, write_table
from slt_nb.train.ablations import select_cells, table8_cells, table9_cells, train_cells, trainable_table
from slt_nb.train.predict import predict_many
from slt_nb.train.run_config import per_family, recipe_from_params

if ft_cpu_threads and not torch.cuda.is_available():
    torch.set_num_threads(ft_cpu_threads)
pred_dir = resolve(results_dir) / "ablations" / "predictions"
tables_dir, figures_dir = resolve(results_dir) / "tables", resolve(results_dir) / "figures"
provenance = dict(params_file=params_file, params_hash=params_hash, notebook="04_ablations")

# the recipe shared with 03 (same parameter names), per family; each table sets its own epochs, Table 9 its frame budgets
cells = table8_cells(abl_cells, abl_sizes, family="smolvlm", dataset=abl_dataset, epochs=abl_epochs, sequential_split=abl_sequential_split,
                     **recipe_from_params(globals(), "smolvlm", exclude=("epochs",)))
cells += table9_cells(abl_frame_budgets, family="qwen2_5_vl", model=per_family(ft_models, "qwen2_5_vl"), dataset=abl_dataset,
                      epochs=ft_epochs, **recipe_from_params(globals(), "qwen2_5_vl", exclude=("epochs", "t_max")))
selected = select_cells(cells, abl_only)
pd.DataFrame([{"cell": c.id, "table": c.table, "size": c.size, "model": c.config.model, "strategy": c.strategy, "T_max": c.t_max,
               "epochs": c.config.epochs, "lr": c.config.learning_rate, "run now": c in selected} for c in cells])

# %% [markdown]
# ## Train every cell (finished cells are skipped)
# Each line of the table below is one run folder in `runs/`; `ft_jobs` cells train at once, each
# in a worker process whose log is `runs/logs/<cell>.log`. A `vision_then_lm` cell is two runs: its vision stage (a run of its own,
# cached) and the LM stage on top of it.

# %%
results = train_cells(selected, jobs=ft_jobs, force=abl_force, threads=ft_cpu_threads or 1, log_dir=resolve(ft_runs_dir) / "logs")
pd.DataFrame([{"cell": cid, "status": r.status, "run folder": r.run_dir.name} for cid, r in results.items()])

# %% [markdown]
# ## What trains under each strategy
# Parameter counts by part, from the trained model itself (`slt_nb.models.load.trainable_report`);
# `train_run` refuses a run where any other part trains (`slt_nb.train.strategy.check_trainable`).
# `other` is the output head (untied in SmolVLM). The connector trains with the LM (Sec 3.4); in
# "Vision model only" it stays as the base model has it.

# %%
trainable = pd.DataFrame(trainable_table(selected, results))
trainable

# %% [markdown]
# ## Test-set predictions of every cell
# Greedy, batched (as in 03), into `results/ablations/predictions/<cell>.<dataset>.test.jsonl`.

# %%
_ = predict_many({c.id: results[c.id] for c in selected}, name_by_id=True, jobs=1 if torch.cuda.is_available() else ft_jobs, threads=ft_cpu_threads or 1,
                 log_dir=resolve(ft_runs_dir) / "logs", splits=("test",), out_dir=pred_dir, batch_size=gen_batch_size,
                 max_new_tokens=gen_max_new_tokens, params_hash=params_hash)  # ft_jobs workers on CPU, as the training

# %% [markdown]
# ## Table 8 — model size × fine-tuning strategy

# %%
counts = {row["cell"]: {"trainable": row["trainable"], "total": row["trainable"] + row["frozen"]} for row in trainable.to_dict("records")} if len(trainable) else {}
t8, missing8 = abt.table8(cells, pred_dir, params=counts, params_hash=params_hash)
data_label = dataset_labels(manifest_dir)[abl_dataset]  # "PHOENIX-2014T (synthetic)" on the default
signature = abt.signature_of(cells, pred_dir, params_hash=params_hash)
meta8 = TableMeta(
    name="table8_strategies", caption=f"Table 8: BLEU-1..4 and ROUGE-L (x100) by model size and fine-tuning strategy, {data_label} test, {abl_epochs} epochs",
    paper_ref="Table 8", signature=signature, **provenance,
    notes=[f"Paper's model size -> our model: {', '.join(f'{k} = {v}' for k, v in abl_sizes.items())} (Total params: ours); T_max {t_max}; "
           f"lr {per_family(ft_learning_rate, 'smolvlm')}",
           f"Vision then LM: {abl_sequential_split:g} of the epochs vision only, then LM + connector",
           "Missing cells (no predictions of this run yet): " + (", ".join(missing8) if missing8 else "none")],
)
if len(t8):
    write_table(t8.drop(columns=["n"]).rename(columns={"Model Size": "Paper's Model Size"}), meta8, tables_dir, paper=paper_metrics.table8())
    display(Markdown((tables_dir / "table8_strategies.md").read_text()))
else:
    print("no Table 8 cell has predictions yet:", missing8)

# %% [markdown]
# ## Table 9 — frame budget (Qwen2.5-VL)

# %%
t9, missing9 = abt.table9(cells, pred_dir, params_hash=params_hash)
meta9 = TableMeta(
    name="table9_frame_budget", caption=f"Table 9: BLEU-1..4 and ROUGE-L (x100) of Qwen2.5-VL by frame budget T_max, {data_label} test",
    paper_ref="Table 9", signature=signature, **provenance,
    notes=[f"Budgets {list(abl_frame_budgets)} (paper: 64, 256; the same 1:4 ratio); {ft_epochs} epochs, the recipe of 03_finetune",
           "Missing cells (no predictions of this run yet): " + (", ".join(missing9) if missing9 else "none")],
)
if len(t9):
    write_table(t9.drop(columns=["n"]), meta9, tables_dir, paper=paper_metrics.table9())
    display(Markdown((tables_dir / "table9_frame_budget.md").read_text()))
else:
    print("no Table 9 cell has predictions yet:", missing9)

# %% [markdown]
# ## BLEU-4 by strategy and size, and by frame budget — ours beside the paper's

# %%
fig = abt.figure(t8, t9, paper_metrics.table8(), paper_metrics.table9(), data_label=data_label)
_ = figures.save(fig, figures_dir / "ablations_bleu4.png")

# %% [markdown]
# ## Do we order the cells as the paper does?
# Kendall's τ between our BLEU-4 and the paper's over the cells both tables have (1: the same order,
# −1: reversed), and the best cell of each.

# %%
pd.DataFrame([{"table": "Table 8", **abt.agreement(t8, paper_metrics.table8(), ["Model Size", "Fine-tuning Strategy"])},
              {"table": "Table 9", **abt.agreement(abt.by_budget_ratio(t9), abt.by_budget_ratio(paper_metrics.table9()), ["Budget"])}])

# %% [markdown]
# How to read this on the embedded default: the tiny models and the synthetic corpus are not the
# paper's, so the comparison is about the *shape* of the grid (which strategies train what, what
# a larger budget costs), not about the paper's values. The paper's findings to compare with: LoRA
# on the LM with a trained connector is the best 500M strategy; the 2.2B model is best overall;
# full fine-tuning of the smallest model is poor; 256 frames are worse than 64 for Qwen2.5-VL.
