"""The numbers LLaVA-SLT reports (test sets), with their table references, for side-by-side tables.

Source: Liang et al., "LLaVA-SLT: Visual Language Tuning for Sign Language Translation".
BLEU-n cumulative, ROUGE-L x100, as printed. Tables 6-8 are ablations on **CSL-Daily** (the
7B model "keeps the final ... configurations"); none is on PHOENIX-2014T.

Known inconsistency: Tab. 3 gives the CSL-Daily result as BLEU-4 20.42 / ROUGE 51.26 while
Tab. 6 row 4 ("+ scaling++", the same 14B model) prints BLEU-1 52.15, BLEU-4 **20.92**,
ROUGE 51.26 -- BLEU-1 and ROUGE agree, BLEU-4 differs by 0.5. Both are transcribed as printed.

The small-VLM paper's PHOENIX-2014T / How2Sign rows ("Can Small VLMs Translate Sign Language to
Spoken Language?", Table 3) are here too so the comparison table can print both papers.
"""

from __future__ import annotations

import pandas as pd

LLAVA_SLT_PAPER = "LLaVA-SLT: Visual Language Tuning for Sign Language Translation"
SMALL_VLM_PAPER = "Can Small VLMs Translate Sign Language to Spoken Language?"
COLUMNS = ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L"]

# (dataset, system, paper, table, B1, B2, B3, B4, ROUGE-L) -- test sets
MAIN = [
    ("PHOENIX-2014T", "LLaVA-SLT", "LLaVA-SLT", "Tab. 4", 51.20, 37.51, 29.39, 23.43, 50.44),
    ("CSL-Daily", "LLaVA-SLT", "LLaVA-SLT", "Tab. 3", 52.15, 36.24, 26.47, 20.42, 51.26),
    ("CSL-Daily", "LLaVA-SLT (w/ extra data)", "LLaVA-SLT", "Tab. 3", 56.38, 42.76, 32.43, 25.23, 56.21),
    ("PHOENIX-2014T", "GFSLT-VLP-SignCL", "LLaVA-SLT", "Tab. 4", 49.76, 36.85, 29.97, 22.74, 49.04),
    ("PHOENIX-2014T", "SmolVLM2", "small VLMs", "Tab. 3", 24.15, 14.89, 10.16, 8.44, 24.51),
    ("PHOENIX-2014T", "Qwen2.5-VL", "small VLMs", "Tab. 3", 7.87, 3.43, 3.09, 2.78, 9.79),
    ("How2Sign", "SmolVLM2", "small VLMs", "Tab. 3", 6.84, 1.56, 0.28, 0.06, 8.38),
    ("How2Sign", "Qwen2.5-VL", "small VLMs", "Tab. 3", 2.80, 0.75, 0.18, 0.02, 5.05),
]

# Tab. 6: LLM continued pretraining (CSL-Daily): (row, method, LLM, B1, B4, ROUGE)
TABLE6 = [
    ("0", "Qwen-2.5 (w/o CPT)", "3B", 46.56, 16.69, 45.59),
    ("1", "+ gloss-text data", "3B", 48.79, 18.09, 46.72),
    ("2", "+ web&books data", "3B", 49.02, 18.54, 47.13),
    ("3", "+ scaling", "7B", 50.94, 19.88, 49.70),
    ("4", "+ scaling++", "14B", 52.15, 20.92, 51.26),
    ("5", "- Qwen-1.5", "7B", 50.27, 19.05, 49.52),
    ("6", "- Llama-3.1", "7B", 48.95, 18.39, 48.19),
]

# Tab. 7: visual pretraining (CSL-Daily, LLaVA-SLT-7B): (row, method, DINO, res., B1, B4, ROUGE)
TABLE7 = [
    ("0", "LLaVA-SLT-7B", "ViT/B", 336, 50.94, 19.88, 49.70),
    ("1", "- local attention", "ViT/B", None, 45.47, 14.87, 44.76),
    ("2", "- backbone size", "ViT/S", None, 50.09, 19.25, 48.58),
    ("3", "- input resolution", "ViT/B", 224, 48.96, 18.42, 48.01),
    ("4", "+ 50% extra data", "ViT/B", None, 53.78, 23.65, 52.83),
    ("5", "+ 100% extra data", "ViT/B", None, 55.18, 24.28, 54.21),
    ("6", "w/ Qwen supervision", "ViT/B", None, 40.77, 13.42, 38.95),
]
# The extracted Tab. 7 prints the resolution for row 0 only (336); row 3's 224 comes from Sec 4.4's text.

# Tab. 8: visual language tuning (CSL-Daily, 7B): (row, method, B1, B4, ROUGE)
TABLE8 = [
    ("0", "LLaVA-SLT-7B", 50.94, 19.88, 49.70),
    ("1", "w/ sentence-level feature", 48.70, 18.65, 46.78),
    ("2", "w/ linear connector", 46.80, 17.05, 45.17),
    ("3", "w/o format prompting", 49.65, 19.01, 48.46),
    ("4", "w/o prompting", 46.13, 16.79, 45.80),
    ("5", "w/o additional full-tuning", 50.04, 19.40, 48.92),
]

# Each row of the paper's ablation tables -> the variant of ours that runs it (08's ``llava_ablations`` names,
# "main", "no_full_tune"), or None with the reason it cannot run here. Notes say where ours differs.
VARIANT_OF_ROW = {
    "Tab. 6": {"0": "llm_no_cpt", "1": "llm_gloss_text_only", "2": "main", "3": "main", "4": "llm_larger", "5": None, "6": "llm_other_family"},
    "Tab. 7": {"0": "main", "1": "no_local_attention", "2": "smaller_backbone", "3": "lower_resolution", "4": None, "5": None,
               "6": "text_supervisor_llm"},
    "Tab. 8": {"0": "main", "1": "sentence_features", "2": "linear_connector", "3": "task_prompt_only", "4": "no_prompting", "5": "no_full_tune"},
}
NOT_RUN = {
    ("Tab. 6", "5"): "not run: an older release of the same LLM family (Qwen-1.5) has no counterpart here",
    ("Tab. 7", "4"): "not run: needs the paper's CSL-400h extra data (not public)",
    ("Tab. 7", "5"): "not run: needs the paper's CSL-400h extra data (not public)",
}
ROW_NOTES = {
    ("Tab. 6", "0"): "rows 0-2 at our main LLM size (the paper's at 3B)",
    ("Tab. 6", "2"): "= our main: its 'web & books' text is the training translations (CSL-Corpus is not public)",
    ("Tab. 6", "3"): "= our main (the paper's main LLM is the 7B)",
    ("Tab. 6", "4"): "a larger LLM of the same family",
    ("Tab. 6", "6"): "another base-LLM family (paper: Llama-3.1 for Qwen-2.5)",
    ("Tab. 7", "2"): "a narrower backbone (paper: ViT-S/14 for ViT-B/14)",
    ("Tab. 7", "3"): "a lower input resolution (paper 224^2 for 336^2)",
    ("Tab. 7", "6"): "the stage-1 LLM as text supervisor (paper: Qwen-2.5-0.5B)",
}
PAPER_TABLES = {"Tab. 6": TABLE6, "Tab. 7": TABLE7, "Tab. 8": TABLE8}


def row_method(table: str, row: str) -> str:
    return next(r[1] for r in PAPER_TABLES[table] if r[0] == row)


# Our variant slugs -> (the paper's row label, its table and row): the first paper row each variant runs.
ABLATION_ROWS = {}
for _table, _rows in VARIANT_OF_ROW.items():
    for _row, _variant in _rows.items():
        if _variant is not None and _variant not in ABLATION_ROWS:
            ABLATION_ROWS[_variant] = (row_method(_table, _row), _table, _row)
ABLATION_ROWS["main"] = ("LLaVA-SLT-7B", "Tab. 7/8", "0")  # also Tab. 6 row 3


def main_table(datasets: list[str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(MAIN, columns=["Dataset", "System", "Paper", "Table", *COLUMNS])
    return df[df["Dataset"].isin(datasets)].reset_index(drop=True) if datasets else df


def ablation_table() -> pd.DataFrame:
    """Tab. 7 row 0-1 and Tab. 8 rows 0-5 (CSL-Daily, 7B) in one frame: BLEU-1, BLEU-4, ROUGE-L."""
    rows = [("Tab. 7", r, m, b1, b4, rg) for r, m, _, _, b1, b4, rg in TABLE7[:2]]
    rows += [("Tab. 8", r, m, b1, b4, rg) for r, m, b1, b4, rg in TABLE8]
    return pd.DataFrame(rows, columns=["Table", "Row", "Method", "BLEU-1", "BLEU-4", "ROUGE-L"])


def table6() -> pd.DataFrame:
    return pd.DataFrame(TABLE6, columns=["Row", "Method", "LLM", "BLEU-1", "BLEU-4", "ROUGE-L"])


def table7() -> pd.DataFrame:
    return pd.DataFrame(TABLE7, columns=["Row", "Method", "DINO", "Res.", "BLEU-1", "BLEU-4", "ROUGE-L"])


def table8() -> pd.DataFrame:
    return pd.DataFrame(TABLE8, columns=["Row", "Method", "BLEU-1", "BLEU-4", "ROUGE-L"])
