"""Small dataset trees in the five released formats, for the rehearsal of the real path.

:func:`write_trees` lays out, under one folder, a few clips of each dataset exactly as its release does,
so the real loaders (:mod:`slt_nb.data`) read them unchanged:

* ``phoenix/PHOENIX-2014-T/…`` and ``how2sign/…``: the synthetic corpus (:func:`slt_nb.synth.generate`,
  German weather / English instructional sentences signed by the procedural signer);
* ``openasl/openasl-v1.0.tsv`` + ``clips/<vid>.mp4``: How2Sign's synthetic clips under OpenASL ids
  (``<yid>-HH:MM:SS.mmm-HH:MM:SS.mmm``, ``:`` included) with ``train``/``valid``/``test`` split values;
* ``isign/iSign_v1.1.csv`` (``uid,text``) + ``videos/<uid>.mp4``: the How2Sign clips again, plus one
  clip of an empty scene (no signer: the Appendix A pose filter drops it) and one row whose text is
  not a translation (dropped as invalid) — so the cleaning has something real to count;
* ``csl-daily/CSL-Daily/…``: PHOENIX's synthetic frame folders with Chinese sentences and their glosses
  (a label pickle of plain dicts/lists, as released, and ``split_1.txt``).

Only the formats are real; the sentences of OpenASL/iSign/CSL-Daily are borrowed or fixed lists (the
synthetic corpus of those datasets is a separate piece of work). Returns {dataset: root} for params.
"""

from __future__ import annotations

import csv
import pickle
import shutil
from pathlib import Path

import numpy as np

SPLITS = ("train", "dev", "test")
OPENASL_SPLIT = {"train": "train", "dev": "valid", "test": "test"}
# CSL-Daily: (characters, glosses in sign order) -- a fixed list, cycled
CSL_SENTENCES = (
    ("我今天很好", ["我", "今天", "好"]), ("明天会下雨", ["明天", "雨", "会"]), ("谢谢你的帮助", ["你", "帮助", "谢谢"]),
    ("他是我的老师", ["他", "我", "老师"]), ("我们一起吃饭", ["我们", "一起", "吃饭"]), ("天气很冷", ["天气", "冷"]),
    ("你去哪里", ["你", "去", "哪里"]), ("我喜欢看书", ["我", "书", "看", "喜欢"]), ("请坐下", ["请", "坐"]), ("晚上见", ["晚上", "见"]),
)


def write_trees(out: str | Path, *, n_train: int = 6, n_dev: int = 2, n_test: int = 2, seed: int = 0, progress: bool = False) -> dict[str, Path]:
    """The five trees under ``out`` (see the module docstring); {dataset name: root for the params' ``datasets``}.
    iSign gets ``n_train + n_dev + n_test + 4`` usable rows so that its seeded 86/7/7 split has a dev and a test clip."""
    from ..synth import generate

    out = Path(out)
    small = dict(n_train=n_train, n_dev=n_dev, n_test=n_test, width=40, height=48, n_signers=2, max_glosses=4)
    roots = {"phoenix": out / "phoenix", "how2sign": out / "how2sign"}
    generate(roots["phoenix"], "phoenix", "de", seed, progress=progress, **small)
    generate(roots["how2sign"], "how2sign", "en", seed, progress=progress, **small)
    h2s = _how2sign_clips(roots["how2sign"])
    for name in ("openasl", "isign", "csl-daily"):  # written anew from the synthetic trees
        shutil.rmtree(out / name, ignore_errors=True)
    roots["openasl"] = _openasl(out / "openasl", h2s)
    roots["isign"] = _isign(out / "isign", h2s, n=n_train + n_dev + n_test + 4)
    roots["csl-daily"] = _csl_daily(out / "csl-daily", _phoenix_clips(roots["phoenix"]))
    return roots


def _how2sign_clips(root: Path) -> list[tuple[str, Path, str]]:
    """(split, mp4, sentence) of the synthetic How2Sign tree, in annotation order."""
    out = []
    for split, folder in (("train", "train"), ("dev", "val"), ("test", "test")):
        with open(root / f"how2sign_realigned_{folder}.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                out.append((split, root / "sentence_level" / folder / "rgb_front" / f"{row['SENTENCE_NAME']}.mp4", row["SENTENCE"]))
    return out


def _phoenix_clips(root: Path) -> list[tuple[str, Path]]:
    """(split, frame folder) of the synthetic PHOENIX tree, in annotation order."""
    base = root / "PHOENIX-2014-T"
    out = []
    for split in SPLITS:
        lines = (base / "annotations" / "manual" / f"PHOENIX-2014-T.{split}.corpus.csv").read_text(encoding="utf-8").splitlines()[1:]
        out += [(split, base / "features" / "fullFrame-210x260px" / split / line.split("|")[0]) for line in lines if line.strip()]
    return out


def _openasl(root: Path, clips: list[tuple[str, Path, str]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rows = ["\t".join(("vid", "yid", "start", "end", "raw-text", "tokenized-text", "gloss", "split"))]
    for i, (split, mp4, text) in enumerate(clips):
        yid, start, end = f"oa{i:09d}", f"00:00:{i:02d}.000", f"00:00:{i:02d}.900"
        vid = f"{yid}-{start}-{end}"
        shutil.copyfile(mp4, _mkparent(root / "clips" / f"{vid}.mp4"))
        rows.append("\t".join((vid, yid, start, end, text, text.lower(), "", OPENASL_SPLIT[split])))
    (root / "openasl-v1.0.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def _isign(root: Path, clips: list[tuple[str, Path, str]], n: int) -> Path:
    """``n`` signed clips (cycled), one empty scene and one row without a translation (both dropped by Appendix A)."""
    from ..synth.formats import write_mp4

    root.mkdir(parents=True, exist_ok=True)
    rows = [("uid", "text")]
    for i in range(n):
        _split, mp4, text = clips[i % len(clips)]
        uid = f"isign-{i:05d}"
        shutil.copyfile(mp4, _mkparent(root / "videos" / f"{uid}.mp4"))
        rows.append((uid, text))
    write_mp4(_mkparent(root / "videos" / "isign-empty.mp4"), _empty_scene(), 25)
    rows.append(("isign-empty", clips[0][2]))  # a sentence, but nobody signs it
    shutil.copyfile(clips[0][1], root / "videos" / "isign-notext.mp4")
    rows.append(("isign-notext", "n/a"))  # no translation
    with open(root / "iSign_v1.1.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return root


def _empty_scene(n: int = 24, h: int = 48, w: int = 40) -> np.ndarray:
    """(n, h, w, 3) uint8: a panning blue-green gradient -- it moves, but nobody is there."""
    x, y = np.linspace(0, 1, w)[None, :], np.linspace(0, 1, h)[:, None]
    base = np.stack([20 + 30 * x + 0 * y, 90 + 80 * y + 0 * x, 160 + 60 * x * y], axis=-1).astype(np.uint8)
    return np.stack([np.roll(base, 2 * i, axis=1) for i in range(n)])


def _csl_daily(root: Path, folders: list[tuple[str, Path]]) -> Path:
    base = root / "CSL-Daily"
    info, split_lines = [], ["name|split"]
    for i, (split, folder) in enumerate(folders):
        chars, glosses = CSL_SENTENCES[i % len(CSL_SENTENCES)]
        name = f"S{i:06d}_P{i % 3:04d}_T00"
        shutil.copytree(folder, base / "sentences" / "frames_512x512" / name)
        info.append({"name": name, "label_gloss": glosses, "label_char": list(chars), "label_word": [chars], "length": 0, "signer": i % 3})
        split_lines.append(f"{name}|{split}")
    labels = _mkparent(base / "sentence_label" / "csl2020ct_v2.pkl")
    labels.write_bytes(pickle.dumps({"info": info, "gloss_map": sorted({g for r in info for g in r["label_gloss"]}), "char_map": []}, protocol=4))
    (base / "sentence_label" / "split_1.txt").write_text("\n".join(split_lines) + "\n", encoding="utf-8")
    return root


def _mkparent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
