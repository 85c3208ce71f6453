"""Shared fixtures: tiny synthetic clips in both source kinds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def ramp_frames(n: int, h: int = 32, w: int = 32) -> np.ndarray:
    """n frames whose mean brightness encodes the frame index (uint8, (n, h, w, 3))."""
    vals = np.linspace(10, 245, n).round().astype(np.uint8)
    return np.broadcast_to(vals[:, None, None, None], (n, h, w, 3)).copy()


def write_frame_folder(folder: Path, frames: np.ndarray) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames, 1):
        Image.fromarray(f).save(folder / f"images{i:04d}.png")
    return folder


def write_mp4(path: Path, frames: np.ndarray, fps: int = 25) -> Path:
    import imageio.v3 as iio

    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, frames, fps=fps, codec="libx264", macro_block_size=16, output_params=["-crf", "10", "-pix_fmt", "yuv420p"])
    return path


@pytest.fixture
def ramp_folder(tmp_path):
    return write_frame_folder(tmp_path / "clip", ramp_frames(10))


@pytest.fixture
def ramp_video(tmp_path):
    return write_mp4(tmp_path / "clip.mp4", ramp_frames(40))


REPO = Path(__file__).resolve().parents[1]


def make_project(root: Path, params: dict | None = None, notebooks: tuple[str, ...] | None = None, file: str = "params/test.yaml") -> str | None:
    """A temporary project for executing notebooks: a copy of notebooks/ (or the named ones) and,
    given ``params``, the YAML ``file``. Returns that params path (relative to ``root``) or None."""
    import shutil

    import yaml

    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    for nb in (REPO / "notebooks").glob("[0-9][0-9]_*.py"):
        if notebooks is None or nb.stem in notebooks:
            shutil.copy(nb, root / "notebooks")
    if params is None:
        return None
    (root / file).parent.mkdir(parents=True, exist_ok=True)
    (root / file).write_text(yaml.safe_dump(params))
    return file


def tiny_phoenix_project(root: Path, *, family_sizes: dict[str, str], text_steps: int = 20) -> tuple[Path, dict[str, Path]]:
    """A 6-clip synthetic PHOENIX prepared under ``root`` (manifests in ``root/manifests``) and one small
    cached base model per family ({family: tiny size}); returns (manifest dir, {family: base folder})."""
    import torch

    from slt_nb.data.prepare import prepare_all
    from slt_nb.standins.pretrain import ensure_base

    torch.set_num_threads(1)
    manifests = root / "manifests"
    spec = {"name": "phoenix", "root": str(root / "synth"), "synth": {"lang": "de", "n_train": 6, "n_dev": 2, "n_test": 2, "width": 40, "height": 48,
                                                                       "max_glosses": 3, "n_signers": 2}}
    records = prepare_all([spec], manifests, seed=0)
    bases = {fam: ensure_base(fam, records[0], spec={"reps": 0, "text_steps": text_steps}, runs_dir=root / "runs", progress=False, size=size)
             for fam, size in family_sizes.items()}
    return manifests, bases


@pytest.fixture(scope="session")
def standin_hub_cache(tmp_path_factory) -> Path:
    """HF_HOME of an offline hub cache (``slt_nb.standins.hub_cache``) holding the stand-in of every hub id in
    ``STANDINS`` whose builder module exists, built once per test session (seed 0). Load it in a subprocess
    started with ``offline_env(hf_home)``: huggingface_hub reads HF_HOME when it is imported."""
    from slt_nb.standins.hub_cache import STANDINS, build_hub_cache, builder

    ids = []
    for hub_id, target in STANDINS.items():
        try:
            builder(hub_id)
        except ModuleNotFoundError as exc:  # a builder module not written yet; any other import error fails
            if exc.name != f"slt_nb.standins.{target.split(':')[0]}":
                raise
            continue
        ids.append(hub_id)
    hf_home = tmp_path_factory.mktemp("hf_home")
    build_hub_cache(hf_home, ids, seed=0, progress=False)
    return hf_home
