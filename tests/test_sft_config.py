"""Trainer settings chosen from the benchmarks: loader workers and which head computes the loss."""

from __future__ import annotations

import pytest

from slt_nb.errors import SLTInputError
from slt_nb.train.sft import fused_loss, loader_workers, sft_config


@pytest.mark.parametrize("cores,cuda,workers", [(2, False, 0), (16, False, 0), (16, True, 8), (4, True, 3), (1, True, 0)])
def test_loader_workers_only_where_a_gpu_waits_for_them(monkeypatch, cores, cuda, workers):
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    kw = loader_workers(cuda)
    assert kw["dataloader_num_workers"] == workers
    assert kw.get("dataloader_persistent_workers", False) == (workers > 0)


def test_sft_config_on_cpu_has_no_workers(tmp_path):
    cfg = sft_config("smolvlm", tmp_path, cuda=False)
    assert cfg.dataloader_num_workers == 0 and not cfg.bf16


@pytest.mark.parametrize("impl,cuda,fused", [("auto", True, True), ("auto", False, False), ("trl_fused", False, True), ("model", True, False)])
def test_loss_head_choice(impl, cuda, fused):
    assert fused_loss(impl, cuda) is fused


def test_unknown_loss_impl_names_the_choices():
    with pytest.raises(SLTInputError, match="trl_fused"):
        fused_loss("liger", False)
