"""Which datasets each paper evaluates on, and the notebooks' default choice among the prepared ones.

The small-VLM paper fine-tunes and scores on four datasets (Sec 4.1, Table 3); LLaVA-SLT reports
PHOENIX-2014T and CSL-Daily (its Sec 4.1, Tables 3-4) and runs its ablations on CSL-Daily only (its
Tables 6-8). A notebook parameter left at ``None`` (``ft_datasets``, ``llava_datasets``,
``llava_ablation_datasets``) means "the paper's datasets among those 01_data_prep prepared", so a
run that prepares fewer datasets (a test, a user's own corpus) needs no further overrides.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..errors import SLTInputError

TABLE3_DATASETS = ("phoenix", "how2sign", "openasl", "isign")  # small-VLM paper Sec 4.1 / Table 3
LLAVA_DATASETS = ("phoenix", "csl-daily")  # LLaVA-SLT Sec 4.1 / Tables 3-4
LLAVA_ABLATION_DATASETS = ("csl-daily",)  # LLaVA-SLT Tables 6-8
# 03_finetune's default: Table 3's four and CSL-Daily -- beyond the small-VLM paper, so that LLaVA-SLT's Table 3
# (CSL-Daily) has the fine-tuned small VLMs beside it, as it has them on PHOENIX-2014T; params/paper.yaml: the four
FINETUNE_DATASETS = (*TABLE3_DATASETS, "csl-daily")


def among_prepared(requested: Sequence[str] | None, prepared: Iterable[str], paper: Sequence[str], *, parameter: str) -> list[str]:
    """``requested`` as a list; ``None``: the datasets of ``paper`` that were prepared, in the order 01_data_prep
    prepared them, or every prepared dataset when none of the paper's was (a run on other data still runs).
    Raises :class:`SLTInputError` naming ``parameter`` when nothing was prepared at all."""
    if requested is not None:
        return list(requested)
    prepared = list(prepared)
    if not prepared:
        raise SLTInputError(f"{parameter} = None selects among the prepared datasets, and 01_data_prep prepared none",
                            hint="configure `datasets` and run 01_data_prep first")
    return [d for d in prepared if d in paper] or prepared


def ablation_datasets(requested: Sequence[str] | None, llava_datasets: Sequence[str]) -> list[str]:
    """The LLaVA-SLT datasets whose ablation variants run: ``requested``; ``None``: the paper's (CSL-Daily, Tables 6-8)
    where it is among ``llava_datasets``, else every one of ``llava_datasets`` (so a PHOENIX-only run still has them)."""
    if requested is not None:
        return list(requested)
    return [d for d in llava_datasets if d in LLAVA_ABLATION_DATASETS] or list(llava_datasets)
