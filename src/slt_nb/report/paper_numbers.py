"""The numbers the papers report, transcribed with their table references, for side-by-side tables.

Source: "Can Small VLMs Translate Sign Language to Spoken Language?" (the small-VLM paper).
Table 6 prints OpenASL and iSign token counts in Indian digit grouping (13,71,021 = 1,371,021).
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
