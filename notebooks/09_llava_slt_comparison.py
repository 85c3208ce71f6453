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
#     - 03_finetune
#     - 08_llava_slt_tuning
# ---

# %% [markdown]
# # 09 · LLaVA-SLT beside the fine-tuned small VLMs (LLaVA-SLT Tab. 3-4 and Tab. 5)
#
# LLaVA-SLT's main tables (Tab. 3: CSL-Daily, Tab. 4: PHOENIX-2014T) put it beside other gloss-free
# systems; here the other systems are the ones this run trained on the same datasets — the small VLMs
# fine-tuned by `03_finetune` (SmolVLM2 and Qwen2.5-VL, the small-VLM paper's Tab. 3) and the
# majority-sentence baseline — every row scored by the same metrics on the same test clips, with the
# papers' own numbers on the real datasets beside them for orientation. **Tab. 5** shows test clips picked
# by rule (best, median and worst by sentence BLEU of our main model) beside the strongest other system.
#
# Nothing is trained here: the notebook reads the prediction files that 03 and 08 wrote in this run
# (`<results_dir>/predictions/` and the shuffled-video controls in `<results_dir>/controls/`, each
# carrying the run's params hash), so 08 need not wait for 03 (`slt-nb reproduce --jobs 2` runs them
# side by side). A dataset no small VLM was fine-tuned on (CSL-Daily: the small-VLM paper does not use
# it) gets the majority baseline only.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 09_llava_slt_comparison`
# (after 03 and 08 have run with the same params file).

# %% tags=["parameters"]
manifest_dir = "data/manifests"  # written by 01_data_prep
results_dir = "results"  # where 03 and 08 wrote predictions/ and controls/; the tables go to tables/
llava_run_dir = "runs/llava_slt"  # where 07 and 08 wrote the LLaVA-SLT stages (the LLM id of each dataset's main model)
llava_datasets = None  # as 08: None: LLaVA-SLT's benchmarks (Sec 4.1, Tables 3-4: PHOENIX-2014T, CSL-Daily) among those 01_data_prep prepared
llava_model_name = "llava_slt-tiny"  # as 08: LLaVA-SLT's model name in the predictions files
llava_eval_splits = ["dev", "test"]  # as 08: the tables are on the last split (the paper's: test)
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("09_llava_slt_comparison", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%
import pandas as pd
from IPython.display import Markdown, display

from slt_nb.data.benchmarks import LLAVA_DATASETS, among_prepared
from slt_nb.data.prepare import load_split, prepared_names
from slt_nb.llava_slt import compare, paper_numbers, pipeline, report
from slt_nb.paths import resolve
from slt_nb.report.paper_numbers import DATASET_LABELS
from slt_nb.report.tables import TableMeta, write_table

llava_datasets = among_prepared(llava_datasets, prepared_names(manifest_dir), LLAVA_DATASETS, parameter="llava_datasets")
records = pipeline.prepared_records(manifest_dir, llava_datasets)
tables_dir, test = resolve(results_dir) / "tables", llava_eval_splits[-1]
provenance = dict(params_file=params_file, params_hash=params_hash, notebook="09_llava_slt_comparison")

# %% [markdown]
# ## LLaVA-SLT beside the fine-tuned small VLMs and the majority baseline
# Every row is scored by the same metrics (sacrebleu BLEU, Unicode ROUGE-L ×100) on the same test clips;
# the small-VLM rows are what `03_finetune` wrote in this run (same params hash; none if it has not run).
# The papers' own test numbers on the real datasets are printed beside, for orientation only.

# %%
systems = {ds: compare.systems_for_dataset(resolve(results_dir), ds, test, model=llava_model_name,
                                           llm_id=pipeline.read_pretrain(llava_run_dir, ds)["llm"]["id"],  # per dataset (08's llava_per_dataset)
                                           train_texts=[s.text for s in load_split(records[ds], "train")], params_hash=params_hash)
           for ds in llava_datasets}  # ds -> (systems, kinds, others)
comparison = pd.concat([report.comparison_table(rows, ds, test, kinds=kinds, label=records[ds]["label"]) for ds, (rows, kinds, _) in systems.items()],
                       ignore_index=True)
meta = TableMeta(
    name="llava_slt_comparison",
    caption=f"LLaVA-SLT vs the fine-tuned small VLMs vs the majority baseline ({test} split)",
    paper_ref="LLaVA-SLT Tab. 3-4; small-VLM paper Tab. 3 (real datasets)",
    signature=" ; ".join(dict.fromkeys(report.score(rows[llava_model_name], ds)["signature"] for ds, (rows, _, _) in systems.items())),  # Chinese: character level
    notes=["BLEU-4 95% CI: 1000 bootstrap resamples of the test sentences.",
           "Synthetic corpus: our rows are not comparable with the papers' numbers on the real datasets."],
    **provenance,
)
write_table(comparison, meta, tables_dir, paper=paper_numbers.main_table([DATASET_LABELS.get(d, d) for d in llava_datasets]))
display(Markdown((tables_dir / "llava_slt_comparison.md").read_text()))

# %% [markdown]
# ## Examples: ours vs the strongest other system (Tab. 5)
# Test clips picked by rule — best, median and worst by sentence BLEU of our main model — beside the
# strongest other system run on the same dataset (a small VLM of 03, else the baseline).

# %%
from slt_nb.llava_slt.tables import write_table5_qualitative

for ds, (rows, _, others) in systems.items():
    for name in write_table5_qualitative(rows[llava_model_name], others, ds, records[ds]["label"], tables_dir, provenance=provenance):
        display(Markdown((tables_dir / f"{name}.md").read_text()))
