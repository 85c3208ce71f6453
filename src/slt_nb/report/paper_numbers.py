"""The numbers the papers report, transcribed with their table references, for side-by-side tables.

Source: "Can Small VLMs Translate Sign Language to Spoken Language?" (the small-VLM paper).
Table 6 prints OpenASL and iSign token counts in Indian digit grouping (13,71,021 = 1,371,021).
Table 1 prints SmolVLM2's language model as "LLaMA-3.1 (3.1)": the layer count is a misprint (Sec 3.1
says "a 24-layer LLaMA 3.1"); kept as printed. Table 16 is transcribed verbatim, "English sign
language" (sic) included.
"""

from __future__ import annotations

import pandas as pd

SMALL_VLM_PAPER = "Can Small VLMs Translate Sign Language to Spoken Language?"

# Table 2: total videos, average frame count, videos with more than 300 frames.
TABLE2 = [
    ("PHOENIX-2014T", 7096, 116.59, 23),
    ("How2Sign", 31047, 162.76, 3772),
    ("OpenASL", 97233, 205.25, 24752),
    ("iSign", 127237, 209.08, 23767),
]

# Table 6: tokens, unique tokens, tokens with frequency < 10, tokens with frequency > 100.
TABLE6 = [
    ("PHOENIX-2014T", 99081, 2887, 2083, 182),
    ("How2Sign", 41421, 3577, 3105, 65),
    ("OpenASL", 1371021, 29197, 21335, 1561),
    ("iSign", 1320855, 33498, 25304, 1517),
]

# Table 1 ("Overview of Selected VLM Architectures"), as printed: model, no. of parameters, vision model
# (no. of layers), language model (no. of layers), input context length.
TABLE1 = [
    ("SmolVLM2", "2.2B", "SigLIP (27)", "LLaMA-3.1 (3.1)", "8K"),
    ("Qwen2.5-VL", "3B", "ViT (32)", "Qwen2.5LM (36)", "32K"),
]
TABLE1_COLUMNS = ["Model", "No. of Parameters", "Vision Model (No. of layers)", "Language Model (No. of layers)", "Input Context Length"]

# Table 16 (Appendix E, "The prompt used across different datasets, for fine-tuning and inference"), verbatim.
TABLE16 = [
    ("DGS (PHOENIX-2014T)", "Übersetzen Sie das Video in deutscher Gebärdensprache in deutschen Text (gesprochene Sprache)."),
    ("English Translation", "Translate the German Sign Language video into German text (spoken language)."),
    ("ASL (How2Sign and OpenASL)", "Translate the English sign language video into spoken text."),
    ("ISL (iSign)", "Translate the Indian sign language video into spoken text."),
]
# Our dataset names -> the Table 16 row that holds their prompt (CSL-Daily: none, it is not in the paper).
TABLE16_ROWS = {"phoenix": "DGS (PHOENIX-2014T)", "how2sign": "ASL (How2Sign and OpenASL)", "openasl": "ASL (How2Sign and OpenASL)",
                "isign": "ISL (iSign)"}

# Our dataset names -> the paper's row names.
DATASET_LABELS = {
    "phoenix": "PHOENIX-2014T",
    "how2sign": "How2Sign",
    "openasl": "OpenASL",
    "isign": "iSign",
    "csl-daily": "CSL-Daily",
}


def table2() -> pd.DataFrame:
    return pd.DataFrame(TABLE2, columns=["Dataset", "Total videos", "Avg. frame count", "Frame count > 300"])


def table6() -> pd.DataFrame:
    return pd.DataFrame(TABLE6, columns=["Dataset", "No. of tokens", "No. of unique tokens", "Token freq. < 10", "Token freq. > 100"])


def table1() -> pd.DataFrame:
    """Table 1 as printed (two rows: SmolVLM2, Qwen2.5-VL)."""
    return pd.DataFrame(TABLE1, columns=TABLE1_COLUMNS)


def table16() -> pd.DataFrame:
    """Table 16 (Appendix E) as printed: Dataset, Prompt (four rows, the English translation included)."""
    return pd.DataFrame(TABLE16, columns=["Dataset", "Prompt"])
