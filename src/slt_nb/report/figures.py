"""Seaborn figures, saved atomically as PNG under results/figures/."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt  # headless runs fall back to Agg; Jupyter kernels show figures inline
import pandas as pd
import seaborn as sns

from ..io import atomic_path


def save(fig, path: str | Path, dpi: int = 120) -> Path:
    """Save a figure atomically (PNG); the figure is left open so a notebook can display it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path


def clip_length_histogram(lengths: pd.DataFrame, t_max: int, long_threshold: int | None = 300, split: str | None = None):
    """Histogram of frames per clip, one hue per dataset, the frame budget T_max marked.

    ``lengths``: columns ``dataset`` (the row labels, e.g. "PHOENIX-2014T (synthetic)"), ``n_frames``;
    ``split``: named in the title.
    """
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.histplot(data=lengths, x="n_frames", hue="dataset", element="step", stat="count", common_norm=False, bins=40, ax=ax)
    ax.axvline(t_max, color="crimson", ls="--", lw=1.5)
    ax.text(t_max, ax.get_ylim()[1] * 0.95, f" T_max = {t_max}", color="crimson", va="top")
    if long_threshold is not None and lengths["n_frames"].max() > long_threshold * 0.8:
        ax.axvline(long_threshold, color="grey", ls=":", lw=1)
    ax.set_xlabel("frames per clip")
    ax.set_ylabel("clips")
    ax.set_title(f"Clip lengths{f' ({split} split)' if split else ''} and the frame budget\n(frames beyond T_max are subsampled, Sec 3.3)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def rank_frequency_plot(ranks: pd.DataFrame, rare_below: int = 10, frequent_above: int = 100):
    """Log-log rank-frequency plot of the training vocabulary, one line per dataset.

    ``ranks``: columns ``dataset``, ``rank``, ``count``.
    """
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(data=ranks, x="rank", y="count", hue="dataset", ax=ax, drawstyle="steps-post")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(rare_below, color="grey", ls=":", lw=1)
    ax.axhline(frequent_above, color="grey", ls="--", lw=1)
    ax.text(1, rare_below, f"freq. {rare_below}", va="bottom", color="grey")
    ax.text(1, frequent_above, f"freq. {frequent_above}", va="bottom", color="grey")
    ax.set_xlabel("word rank")
    ax.set_ylabel("count in training split")
    ax.set_title("Rank-frequency of the training vocabulary (Table 6)")
    fig.tight_layout()
    return fig


def frame_strip(frames, indices, *, title: str = "", n_show: int = 16):
    """A strip of up to ``n_show`` frames (evenly picked from ``frames``), labelled with their clip index.

    ``frames``: uint8 (T, H, W, 3); ``indices``: the clip frame index of each row of ``frames``.
    """
    import numpy as np

    picks = np.linspace(0, len(frames) - 1, min(n_show, len(frames))).round().astype(int)
    cols = min(8, len(picks))
    rows = int(np.ceil(len(picks) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, p in zip(axes.flat, picks):
        ax.imshow(frames[p])
        ax.set_title(f"#{indices[p]}", fontsize=8)
    shown = f"{len(picks)} of the {len(frames)} shown, evenly spaced; #: frame index in the clip" if len(picks) < len(frames) else "#: frame index in the clip"
    fig.suptitle(f"{title}\n({shown})" if title else shown, fontsize=10)
    fig.tight_layout()
    return fig
