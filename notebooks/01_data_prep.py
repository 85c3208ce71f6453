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
#   sign-language corpus is generated (`slt-nb synth`) *in the real on-disk formats* of all five
#   datasets of the two papers and read back by the same loaders a real run uses: PHOENIX-2014T
#   (German weather forecasts, PNG frame folders), How2Sign (English instructions, mp4 + realigned
#   CSVs), OpenASL (English news, `openasl-v1.0.tsv` + mp4), iSign (Indian English, `iSign_v1.1.csv`
#   + mp4, with clips lacking a signer and rows lacking a translation for the Appendix A cleaning to
#   drop and count) and CSL-Daily (Chinese, label pickle + `split_1.txt` + JPEG frame folders);
#   `slt-nb synth --help`.
# * **Real data** (`params/paper.yaml`): point each dataset's `root` at the released files.
#
# Run headless: `slt-nb reproduce --params params/default.yaml --only 01_data_prep`.

# %% tags=["parameters"]
seed = 0  # global seed: synthetic corpus, iSign split and vocabulary-aware subset
manifest_dir = "data/manifests"  # where the manifests (<dataset>.<split>.jsonl) are written (git-ignored)
datasets = [  # one entry per dataset; `synth` present -> generate the embedded corpus there first (slt_nb.synth.SynthConfig: 400/50/50 clips);
    # English at PHOENIX's synthetic frame size 80x96: the tiny Qwen2.5-VL sees it as 28x56 (2 merged tokens per 2 frames), half the cost of a square frame (CSL-Daily: 56x56)
    {"name": "phoenix", "root": "data/synth/phoenix", "synth": {"lang": "de"}},  # PHOENIX-2014T format, German weather (Sec 4.1)
    {"name": "how2sign", "root": "data/synth/how2sign", "synth": {"lang": "en", "width": 80, "height": 96}},  # How2Sign format, English instructions (Sec 4.1)
    {"name": "openasl", "root": "data/synth/openasl", "synth": {"lang": "en-news", "width": 80, "height": 96, "n_train": 600}},  # OpenASL format, English news (Sec 4.1);
    # 600 training clips, not 400: from 400 the tiny SmolVLM2 answered a few news templates (test BLEU-4 5.37, baseline 4.84); from 600 it reads the signs (seeds 0-2: 11.70, 11.89, 11.68)
    {"name": "isign", "root": "data/synth/isign", "synth": {"lang": "en-in", "width": 80, "height": 96},  # iSign format, Indian English (Sec 4.1): 2 % clips without a signer, 2 % rows without a translation
     "options": {"person_detector": "mediapipe-pose"}},  # App. A cleans with "pose estimation", as the real path (slt_nb.data.person)
    {"name": "csl-daily", "root": "data/synth/csl-daily", "synth": {"lang": "zh"}},  # CSL-Daily format, Chinese, glosses in sign order (LLaVA-SLT Sec 4.1)
]
data_strict = False  # false, as the field does: missing clips / segments past the video's end dropped, control characters removed, all counted in <dataset>.drops.json (how2sign.github.io#23, how2sign-data#9); true: errors
params_file = None  # set by the runner: the params file this run used
params_hash = None  # set by the runner: hash of every notebook default + the overrides

# %%
from slt_nb.provenance import this_run

params_file, params_hash = this_run("01_data_prep", params_file, params_hash, globals())  # the runner sets both; in JupyterLab: params/default.yaml + your edits

# %%
import pandas as pd

from slt_nb.data.prepare import prepare_all
from slt_nb.paths import project_root, shown

print("project root:", project_root())
print("params:", params_file, "| hash:", params_hash)

# %% [markdown]
# ## Build / load and write the manifests
# Loaders check every row first and then report all bad rows at once (`slt_nb.data.row_issues`):
# rows the field drops — a clip missing from the release (How2Sign lacks 117 train, 2 val and
# 14 test clips its CSVs list) or a realigned segment wholly past the end of its video — are
# dropped and counted by reason, with their ids, in `<dataset>.drops.json` beside the manifests;
# so are iSign's Appendix A filters. Control characters in a translation (a NUL byte ...) are
# removed and counted. Every other bad row (corrupt video, zero-frame clip, empty translation,
# malformed row, duplicate id ...) stops the run with one error listing each of them by file,
# line and sample. `data_strict = True` makes the drops and the cleaning errors too.

# %%
records = prepare_all(datasets, manifest_dir, seed=seed, strict=data_strict)
summary = pd.DataFrame(
    [{"dataset": r["label"], **r["counts"], "dropped": r["drops"]["total"], "cleaned": sum(r["drops"]["cleaned"].values()), "root": shown(r["root"])} for r in records]
)
summary

# %% [markdown]
# ## A look at the manifests

# %%
from slt_nb.data.prepare import load_split

first = load_split(records[0], "train")
pd.DataFrame([s.to_dict() for s in first[:5]])

# %% [markdown]
# ## What the loaders noted, dropped and cleaned
# The loaders' notes (e.g. CSL-Daily label records that no split lists, How2Sign segments clipped
# to the end of their video) and each drop report; the ids are in `<dataset>.drops.json`.

# %%
for r in records:
    for note in r["notes"]:
        print(f"[{r['label']}] {note}")
    d = r["drops"]
    print(f"[{r['label']}] dropped {d['total']}: {d['counts']}; cleaned: {d['cleaned']} (see {d['file']})")
