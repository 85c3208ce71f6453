"""CSL-Daily's released layout (read by :func:`slt_nb.data.csl_daily.load_csl_daily`)::

    CSL-Daily/sentence_label/csl2020ct_v2.pkl   {'info': [record, ...], 'gloss_map': [...], 'char_map': [...], 'word_map': [...]}
    CSL-Daily/sentence_label/split_1.txt        name|split (a header line, then one line per clip)
    CSL-Daily/sentences/frames_512x512/<name>/000000.jpg ...

A record is ``{'name', 'length' (frames), 'label_gloss', 'label_char', 'label_word', 'signer', 'time'}``
with the glosses (sign order), characters and words as lists of strings: plain dicts, lists,
str and int, pickled (protocol 4) as the release is, so the loader's restricted unpickler reads
it. Names are ``S<sentence>_P<signer>_T<take>`` (``S000012_P0003_T00``): as in the release, one
sentence is signed by one to three signers (``T00``: nobody signs a sentence twice), all in the
same split. The frame folder is where the loader looks by default (``sentences/frames_512x512``).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..io import write_bytes, write_text
from .formats import Clip, Format
from .planning import NAMES, SENTENCES, SPLITS, draw_sentence, signer_weights

FOLDER = "CSL-Daily"
LABELS = "sentence_label"
LABEL_PKL = "csl2020ct_v2.pkl"
SPLIT_FILE = "split_1.txt"
FRAMES = "sentences/frames_512x512"
MAX_SIGNERS_PER_SENTENCE = 3


def record(clip: Clip) -> dict:
    """The label record of one clip (built anew for every call: the pickle's bytes depend only on the values)."""
    return {
        "name": clip.name,
        "length": int(clip.n_frames),
        "label_gloss": list(clip.glosses),
        "label_char": list(clip.text),
        "label_word": list(clip.words),
        "signer": int(clip.signer),
        "time": 0,
    }


class CSLDaily(Format):
    """CSL-Daily: Chinese daily-life sentences, each signed by a few signers, stored as JPEG frame folders."""

    name, lang, size, fps, media, folder = "csl-daily", "zh", (96, 96), 25, "jpg", FOLDER  # 512x512 in the release; 25 fps as the loader assumes

    def plan(self, grammar, seed: int, cfg) -> dict[str, list[Clip]]:
        """Per split: sentences (stream ``[seed, SENTENCES, k]``), each signed by 1-3 distinct signers
        (``[seed, NAMES, k]``) until the split has its clips; sentence numbers run over all splits."""
        plan: dict[str, list[Clip]] = {}
        number = 0
        p_signer = signer_weights(cfg.n_signers)
        for k, split in enumerate(SPLITS):
            srng, nrng = np.random.default_rng([seed, SENTENCES, k]), np.random.default_rng([seed, NAMES, k])
            clips: list[Clip] = []
            while len(clips) < cfg.n_clips(split):
                sentence = draw_sentence(grammar, srng, grammar.draw_domain(srng), cfg.min_glosses, cfg.max_glosses)
                n = min(int(nrng.integers(1, MAX_SIGNERS_PER_SENTENCE + 1)), cfg.n_signers, cfg.n_clips(split) - len(clips))
                group = f"S{number:06d}"
                for signer in sorted(int(s) for s in nrng.choice(cfg.n_signers, n, replace=False, p=p_signer)):
                    name = f"{group}_P{signer:04d}_T00"
                    clips.append(Clip(split, name, group, signer, sentence.text, list(sentence.glosses), words=sentence.words))
                number += 1
            plan[split] = clips
        return plan

    def clip_path(self, root: Path, clip: Clip) -> Path:
        return root / FRAMES / clip.name

    def generated_paths(self, root: Path) -> list[Path]:
        return [root / LABELS, root / FRAMES.split("/")[0]]

    def write_annotations(self, root, plan, speakers, fps) -> None:
        clips = sorted((c for split in SPLITS for c in plan[split]), key=lambda c: c.name)
        info = [record(c) for c in clips]
        data = {
            "info": info,
            "gloss_map": sorted({g for r in info for g in r["label_gloss"]}),
            "char_map": sorted({ch for r in info for ch in r["label_char"]}),
            "word_map": sorted({w for r in info for w in r["label_word"]}),
        }
        write_bytes(root / LABELS / LABEL_PKL, pickle.dumps(data, protocol=4))
        lines = ["name|split"] + [f"{c.name}|{c.split}" for c in clips]
        write_text(root / LABELS / SPLIT_FILE, "\n".join(lines) + "\n")
