"""The tiny base's vision stage is cached on its own and shared by datasets whose signs render alike (issue 15: speed)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from slt_nb.errors import SLTInputError
from slt_nb.standins.pretrain import SynthSetup, ensure_base, read_base_info, synth_setup
from slt_nb.standins.vision_stage import VISION_WEIGHTS, load_vision_stage, render_identity, vision_prefixes

SPEC = {"reps": 1, "vision_epochs": 1, "vision_batch": 64, "vision_t_max": 4, "text_steps": 5}
DE = SynthSetup(lang="de", seed=0, width=40, height=48, fps=25.0, n_signers=2, min_sign_frames=6, max_sign_frames=10, zipf_s=1.1)


@pytest.mark.parametrize(("change", "same"), [
    ({}, True),
    ({"fps": 24.0}, True),  # the frame rate does not change a rendered frame
    ({"zipf_s": 1.3}, True),  # nor do the sentence statistics
    ({"lang": "en"}, False),  # another lexicon: other glosses, other signs
    ({"width": 48}, False),
    ({"n_signers": 3}, False),
    ({"seed": 1}, False),  # other signers
    ({"max_sign_frames": 12}, False),
])
def test_render_identity_says_when_isolated_signs_render_alike(change, same):
    assert (render_identity(replace(DE, **change)) == render_identity(DE)) is same


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Three synthetic corpora: PHOENIX and a How2Sign-format corpus signed with the same (German)
    lexicon, signers and frame size but other sentences; a second How2Sign-format one with wider frames."""
    from slt_nb.data.prepare import prepare_all

    root = tmp_path_factory.mktemp("visionproj")
    common = {"lang": "de", "n_dev": 1, "n_test": 1, "width": 40, "height": 48, "max_glosses": 3, "n_signers": 2}
    phoenix = prepare_all([{"name": "phoenix", "root": str(root / "p"), "synth": {**common, "n_train": 5}},
                           {"name": "how2sign", "root": str(root / "h"), "synth": {**common, "n_train": 4}}], root / "m1", seed=0)
    wide = prepare_all([{"name": "how2sign", "root": str(root / "w"), "synth": {**common, "n_train": 4, "width": 56}}], root / "m2", seed=0)
    return {"phoenix": phoenix[0], "how2sign": phoenix[1], "wide": wide[0]}


def test_datasets_whose_signs_render_alike_share_one_vision_stage(records, tmp_path):
    torch.set_num_threads(1)
    assert render_identity(synth_setup(records["phoenix"])) == render_identity(synth_setup(records["how2sign"]))
    bases = {k: ensure_base("smolvlm", r, spec=SPEC, runs_dir=tmp_path, progress=False) for k, r in records.items()}
    info = {k: read_base_info(b)["stages"]["vision"] for k, b in bases.items()}
    assert len(set(bases.values())) == 3  # one base per dataset (own tokenizer, own language stage)
    assert info["phoenix"]["built_here"] and not info["how2sign"]["built_here"] and info["wide"]["built_here"]
    assert info["phoenix"]["folder"] == info["how2sign"]["folder"] != info["wide"]["folder"]
    assert sorted(p.name for p in (tmp_path / "base" / "vision").iterdir() if not p.name.startswith(".")) == sorted({i["folder"] for i in info.values()})
    # the shared weights are in both bases, unchanged by the language stage
    shared = load_file(str(tmp_path / "base" / "vision" / info["phoenix"]["folder"] / VISION_WEIGHTS))
    for k in ("phoenix", "how2sign"):
        w = load_file(str(bases[k] / "model.safetensors"))
        assert shared and all(torch.equal(w[name], t) for name, t in shared.items())
    assert read_base_info(bases["how2sign"])["seconds"]["vision_stage"] == 0.0


def test_a_vision_stage_of_another_size_is_refused(records, tmp_path):
    from slt_nb.standins.tiny import make_tiny

    ensure_base("smolvlm", records["phoenix"], spec=SPEC, runs_dir=tmp_path, progress=False)
    stage = next((tmp_path / "base" / "vision").glob("smolvlm.*"))
    model, _ = make_tiny("smolvlm", ["ein satz ."], size="tiny-xs")
    before = {k: v.clone() for k, v in model.state_dict().items() if k.startswith(vision_prefixes("smolvlm"))}
    with pytest.raises(SLTInputError, match="does not fit the model") as err:
        load_vision_stage(model, stage, "smolvlm")
    assert VISION_WEIGHTS in str(err.value)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())  # nothing half-loaded


def test_runs_on_datasets_with_the_same_signs_are_scheduled_as_one_group(records):
    """train_many starts no two runs that would build the same vision stage (the second would wait on its lock)."""
    from pathlib import Path

    from slt_nb.train.parallel import _base_group
    from slt_nb.train.run_config import RunConfig

    def group(name, rec_key, family="smolvlm"):
        manifests = Path(records[rec_key]["manifests"]["train"]).parent
        return _base_group(RunConfig(family=family, model="tiny", dataset=name, manifest_dir=str(manifests)))

    assert group("phoenix", "phoenix") == group("how2sign", "how2sign")  # same signs: one group
    assert group("how2sign", "how2sign") != group("how2sign", "wide")  # other frame size
    assert group("phoenix", "phoenix") != group("phoenix", "phoenix", family="qwen2_5_vl")
    assert "dataset:openasl" in group("openasl", "phoenix")  # not prepared: grouped by name, train_run names the problem


def test_one_base_serves_every_frame_budget(records, tmp_path):
    """Table 9 fine-tunes one pretrained checkpoint at two frame budgets: the tiny base is not rebuilt per T_max."""
    from pathlib import Path

    from slt_nb.train.parallel import _base_group
    from slt_nb.train.run_config import RunConfig
    from slt_nb.train.run_plan import resolve_base

    torch.set_num_threads(1)
    manifests = str(Path(records["phoenix"]["manifests"]["train"]).parent)
    cfgs = [RunConfig(family="qwen2_5_vl", model="tiny", dataset="phoenix", t_max=t, base=SPEC, runs_dir=str(tmp_path), manifest_dir=manifests,
                      progress=False) for t in (4, 16)]
    assert len({resolve_base(c.resolved(), records["phoenix"], progress=False) for c in cfgs}) == 1
    assert len([p for p in (tmp_path / "base").iterdir() if p.name.startswith("qwen2_5_vl.")]) == 1
    assert _base_group(cfgs[0]) == _base_group(cfgs[1])


def _same(a, b):
    (va, ca), (vb, cb) = a, b
    return va == vb and len(ca) == len(cb) and all(np.array_equal(x[0], y[0]) and x[1:] == y[1:] for x, y in zip(ca, cb))


def test_isolated_signs_are_rendered_once_and_read_back_exactly(tmp_path):
    """The workers that build vision stages share one rendering per lexicon; a damaged cache file is rendered again, never used."""
    from slt_nb.standins.isolated_signs import _render, render_isolated

    setup = replace(DE, width=32, height=40)
    fresh = _render(setup, 1, 4)
    render_isolated.cache_clear()
    first = render_isolated(setup, 1, 4, str(tmp_path))
    files = list(tmp_path.glob("*.signs"))
    assert len(files) == 1 and _same(first, fresh)
    render_isolated.cache_clear()
    assert _same(render_isolated(setup, 1, 4, str(tmp_path)), fresh)  # read back from the file
    data = files[0].read_bytes()
    for damaged in (data[: len(data) // 2], data.replace(b'"reps": 1', b'"reps": 2', 1), b"not a cache file"):
        files[0].write_bytes(damaged)
        render_isolated.cache_clear()
        assert _same(render_isolated(setup, 1, 4, str(tmp_path)), fresh)
        assert files[0].read_bytes() == data  # replaced by a good one
    render_isolated.cache_clear()
    render_isolated(setup, 1, 3, str(tmp_path))  # another frame budget: another file
    assert len(list(tmp_path.glob("*.signs"))) == 2
