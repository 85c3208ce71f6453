"""The default dataset choice of 03 / 07 / 08: the paper's datasets among the prepared ones."""

import pytest

from slt_nb.data.benchmarks import LLAVA_DATASETS, TABLE3_DATASETS, ablation_datasets, among_prepared
from slt_nb.errors import SLTInputError

FIVE = ["phoenix", "how2sign", "openasl", "isign", "csl-daily"]


@pytest.mark.parametrize(
    "requested, prepared, paper, expected",
    [
        (None, FIVE, TABLE3_DATASETS, ["phoenix", "how2sign", "openasl", "isign"]),  # Table 3: no CSL-Daily
        (None, FIVE, LLAVA_DATASETS, ["phoenix", "csl-daily"]),  # LLaVA-SLT Tables 3-4
        (None, ["isign", "phoenix"], TABLE3_DATASETS, ["isign", "phoenix"]),  # 01's order, not the paper's
        (None, ["phoenix", "how2sign"], LLAVA_DATASETS, ["phoenix"]),
        (None, ["how2sign"], LLAVA_DATASETS, ["how2sign"]),  # none of the paper's prepared: every prepared one
        (["csl-daily"], FIVE, TABLE3_DATASETS, ["csl-daily"]),  # an explicit list is kept as it is
    ],
)
def test_among_prepared(requested, prepared, paper, expected):
    assert among_prepared(requested, prepared, paper, parameter="ft_datasets") == expected


def test_nothing_prepared_is_an_error_naming_the_parameter():
    with pytest.raises(SLTInputError, match="llava_datasets"):
        among_prepared(None, [], LLAVA_DATASETS, parameter="llava_datasets")


@pytest.mark.parametrize(
    "requested, llava, expected",
    [
        (None, ["phoenix", "csl-daily"], ["csl-daily"]),  # the paper's Tables 6-8
        (None, ["phoenix"], ["phoenix"]),  # no CSL-Daily: the ablations still run
        ([], ["phoenix", "csl-daily"], []),  # explicitly none
        (["phoenix"], ["phoenix", "csl-daily"], ["phoenix"]),
    ],
)
def test_ablation_datasets(requested, llava, expected):
    assert ablation_datasets(requested, llava) == expected
