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
# ---

# %% [markdown]
# # 02 · Frame and vocabulary statistics (Tables 2 and 6)
#
# Reads the manifests written by `01_data_prep` and regenerates
#
# * **Table 2** — per dataset: total videos, average frame count, videos with more than 300 frames
#   (plus, beyond the paper, the clips longer than the frame budget T_max, i.e. the ones the
#   sampler of Sec 3.3 subsamples);
# * **Table 6** — tokens, unique tokens, tokens (types) with frequency < 10 and > 100;
# * a histogram of clip lengths with the frame budget marked, and a rank–frequency plot of the
#   training vocabulary.
#
# Each dataset's row counts the clips the paper's number counts, and says which in its `Population`
# column: the paper does not say, but its numbers against each dataset's split sizes do
# (`slt_nb.data.populations.PAPER_POPULATIONS`, the evidence in each table's notes). Table 2:
# PHOENIX-2014T's 7,096 videos are its train split, OpenASL's 97,233 exceed its train split (all
# splits), iSign's 127,237 are the whole release *before* the App. A cleaning; Table 6: How2Sign's
# 41,421 tokens are its test split's size, not its train split's. `table2_populations` /
# `table6_populations` override a dataset's population.
# On the embedded default the rows are the *synthetic* corpora: they show that the pipeline and the
# statistics work, not the real datasets' values, which are printed beside them from the paper.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 02_frame_statistics`.

# %% tags=["parameters"]
manifest_dir = "data/manifests"  # written by 01_data_prep
results_dir = "results"  # tables/ and figures/ go here
stats_split = "train"  # split of the clip-length histogram, rank-frequency plot and sampled-frames figure (the sampler trains on it)
table2_populations = {}  # dataset -> population overrides for Table 2 ("train", "train+dev", "all", "release"); {}: the paper's reading per dataset (slt_nb.data.populations.PAPER_POPULATIONS, evidence in the notes)
table6_populations = {}  # the same for Table 6; {}: the paper's reading (How2Sign: test split; iSign: release before cleaning)
t_max = 64  # frame budget T_max (Sec 4.3)
long_threshold = 300  # "videos with more than 300 frames" (Table 2)
rare_below = 10  # rare tokens: frequency < 10 (Table 6)
frequent_above = 100  # frequent tokens: frequency > 100 (Table 6)
tokenizers = {}  # per-dataset tokenizer override ("words" | "chars"); csl-daily defaults to chars
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("02_frame_statistics", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%

from IPython.display import Markdown, display

from slt_nb.data.frames import load_clip
from slt_nb.data.prepare import load_prepared, load_split
from slt_nb.paths import resolve, shown
from slt_nb.report import figures, paper_numbers, stats_tables
from slt_nb.report.tables import TableMeta, write_table

records = load_prepared(manifest_dir)
tables_dir, figures_dir = resolve(results_dir) / "tables", resolve(results_dir) / "figures"
provenance = dict(params_file=params_file, params_hash=params_hash, notebook="02_frame_statistics")
[r["label"] for r in records]

# %% [markdown]
# ## Table 2 — video-level statistics

# %%
t2 = stats_tables.table2(records, populations=table2_populations, long_threshold=long_threshold, t_max=t_max)
meta2 = TableMeta(
    name="table2_frame_stats",
    caption="Table 2: video-level statistics (each dataset on the population the paper's row counts: column Population)",
    paper_ref="Table 2",
    signature=stats_tables.table2_signature(stats_tables.population_field("table2", records, table2_populations), long_threshold, t_max),
    notes=stats_tables.population_notes("table2", records, table2_populations),
    **provenance,
)
write_table(t2, meta2, tables_dir, paper=paper_numbers.table2())
display(Markdown((tables_dir / "table2_frame_stats.md").read_text()))

# %% [markdown]
# ## Table 6 — vocabulary statistics
# Tokens are counted after NFC normalisation and lowercasing, split on whitespace, with
# punctuation stripped (PHOENIX's trailing " ." is not a token); the paper does not state its
# tokenisation, so its counts and ours may differ by that choice on real data.

# %%
t6 = stats_tables.table6(records, populations=table6_populations, rare_below=rare_below, frequent_above=frequent_above, tokenizers=tokenizers)
meta6 = TableMeta(
    name="table6_vocabulary",
    caption="Table 6: vocabulary statistics (each dataset on the population the paper's row counts: column Population)",
    paper_ref="Table 6",
    signature=stats_tables.table6_signature(stats_tables.population_field("table6", records, table6_populations), rare_below, frequent_above),
    notes=stats_tables.population_notes("table6", records, table6_populations),
    **provenance,
)
write_table(t6, meta6, tables_dir, paper=paper_numbers.table6())
display(Markdown((tables_dir / "table6_vocabulary.md").read_text()))

# %% [markdown]
# ## Clip lengths and the frame budget

# %%
fig = figures.clip_length_histogram(stats_tables.lengths_frame(records, stats_split), t_max=t_max, long_threshold=long_threshold, split=stats_split)
figures.save(fig, figures_dir / "clip_lengths.png")

# %% [markdown]
# ## Rank–frequency of the vocabulary
# A straight line on log–log axes is Zipf's law: a few very frequent words and a long tail of rare
# ones — the skew the paper links to the model's vocabulary bias (Sec 4.4.2).

# %%
ranks = stats_tables.ranks_frame(records, stats_split, tokenizers)
fig = figures.rank_frequency_plot(ranks, rare_below=rare_below, frequent_above=frequent_above)
figures.save(fig, figures_dir / "rank_frequency.png")
ranks.groupby("dataset").head(10)

# %% [markdown]
# ## What the sampler keeps
# The longest training clip of the first dataset, and the T_max frames the sampler of Sec 3.3
# picks from it (`f_i = frames[floor((i+1)·T/T_max) − 1]`; every frame when T ≤ T_max).

# %%
longest = max(load_split(records[0], stats_split), key=lambda s: s.n_frames)
frames, idx = load_clip(longest, t_max)  # frames: (min(T, t_max), H, W, 3) uint8
fig = figures.frame_strip(frames, idx, title=f"{records[0]['label']}, clip {longest.id}: {longest.n_frames} frames -> T_max = {len(idx)} sampled")
figures.save(fig, figures_dir / "sampled_frames.png")
print(longest.text)

# %% [markdown]
# ## Figure 2 — clips the cleaning dropped for showing no person
# The paper's Figure 2 shows frames of an iSign video without a signer, the kind of clip its
# Appendix A cleaning removes with a pose detector. Here: the first clips our cleaning dropped for
# that reason (01_data_prep's `<dataset>.filtered.jsonl`), a few frames each.

# %%
from slt_nb.report.dropped_clips import dropped_strip_for

for r in records:
    path = dropped_strip_for(r, figures_dir)
    print(f"{r['label']}: " + (f"{shown(path)}" if path else "no clip dropped for lack of a person"))
