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
# ---

# %% [markdown]
# # 01 · Data preparation
#
# Builds or loads every configured dataset into **one manifest format** — one JSONL line per clip
# with `id, split, source (video file or frame folder), n_frames, fps, text, gloss, signer` — that
# every later notebook reads from disk.
#
# * **Embedded default** (`params/default.yaml`): no dataset can be downloaded here, so a synthetic
#   sign-language corpus is generated (`slt-nb synth`) *in the real on-disk formats* — a
#   PHOENIX-2014T tree (German weather forecasts, PNG frame folders) and a How2Sign tree (English,
#   mp4 clips) — and read back by the same loaders a real run uses.
# * **Real data** (`params/paper.yaml`): point each dataset's `root` at the released files.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 01_data_prep`.

# %% tags=["parameters"]
seed = 0  # global seed: synthetic corpus, iSign split and vocabulary-aware subset
manifest_dir = "data/manifests"  # where the manifests (<dataset>.<split>.jsonl) are written (git-ignored)
datasets = [  # one entry per dataset; `synth` present -> generate the embedded corpus there first
    {"name": "phoenix", "root": "data/synth/phoenix", "synth": {"lang": "de"}},  # PHOENIX-2014T format, German (Sec 4.1)
    {"name": "how2sign", "root": "data/synth/how2sign", "synth": {"lang": "en"}},  # How2Sign format, English (Sec 4.1)
]
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("01_data_prep", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%
import pandas as pd

from slt_nb.data.prepare import prepare_all
from slt_nb.paths import project_root

print("project root:", project_root())
print("params:", params_file, "| hash:", params_hash)

# %% [markdown]
# ## Build / load and write the manifests
# Loaders raise a clear error naming the file, line and sample for bad input (missing frame
# folder, corrupt video, zero-frame clip, empty translation, malformed row, duplicate id).
# Only iSign is filtered, as the paper's Appendix A does; what was dropped is counted in
# `<dataset>.drops.json` beside the manifests.

# %%
records = prepare_all(datasets, manifest_dir, seed=seed)
summary = pd.DataFrame(
    [{"dataset": r["label"], **r["counts"], "dropped": r.get("drops", {}).get("total", 0), "root": r["root"]} for r in records]
)
summary

# %% [markdown]
# ## A look at the manifests

# %%
from slt_nb.data.prepare import load_split

first = load_split(records[0], "train")
pd.DataFrame([s.to_dict() for s in first[:5]])

# %%
for r in records:
    for note in r["notes"]:
        print(f"[{r['label']}] {note}")
    if "drops" in r:
        print(f"[{r['label']}] dropped {r['drops']['total']}: {r['drops']['counts']} (see {r['drops']['file']})")
