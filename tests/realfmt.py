"""Writers of tiny fixtures in each released dataset format, generated at test time.

Each ``write_<dataset>(root)`` lays out a few clips exactly as the release does (annotation
files, frame folders of PNGs, libx264 mp4s) and returns the samples a loader should read as
``{id: (split, n_frames, text, gloss, signer)}``. Row formatters let tests append bad rows.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

SIZE = (32, 32)  # (H, W): even and a multiple of 16 for libx264


def ramp(n: int, size: tuple[int, int] = SIZE, offset: int = 0) -> np.ndarray:
    """n frames whose brightness rises with the index, (n, H, W, 3) uint8."""
    vals = (np.linspace(20, 235, n) + offset).clip(0, 255).astype(np.uint8)
    return np.broadcast_to(vals[:, None, None, None], (n, *size, 3)).copy()


def write_pngs(folder: Path, n: int) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(ramp(n), 1):
        Image.fromarray(frame).save(folder / f"images{i:04d}.png")
    return folder


def write_mp4(path: Path, frames: np.ndarray | int, fps: int = 25) -> Path:
    """An H.264 mp4 of ``frames`` (or of an n-frame ramp)."""
    import imageio.v3 as iio

    frames = ramp(frames) if isinstance(frames, int) else frames
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, frames, fps=fps, codec="libx264", macro_block_size=16, ffmpeg_log_level="error")
    return path


def append(path: Path, line: str) -> int:
    """Append one line to a text file; returns its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


# --- PHOENIX-2014T -------------------------------------------------------------------------

PHOENIX_HEADER = "name|video|start|end|speaker|orth|translation"


def phoenix_row(name: str, text: str = "am tag regen .", signer: str = "Signer01", gloss: str = "REGEN") -> str:
    return f"{name}|{name}/1/*.png|-1|-1|{signer}|{gloss}|{text}"


def phoenix_csv(base: Path, split: str) -> Path:
    return base / "annotations" / "manual" / f"PHOENIX-2014-T.{split}.corpus.csv"


def phoenix_frames(base: Path, split: str, name: str) -> Path:
    return base / "features" / "fullFrame-210x260px" / split / name


def write_phoenix(root: Path) -> dict:
    """``root/PHOENIX-2014-T``; one train clip keeps its frames in the ``1/`` sub-folder of the ``video`` column."""
    base = root / "PHOENIX-2014-T"
    clips = {
        "01April_2010_Thursday_heute-6694": ("train", 5, "und nun die wettervorhersage für morgen .", "JETZT WETTER", "Signer04"),
        "train_nested-1": ("train", 4, "im süden regen .", "SUED REGEN", "Signer01"),
        "dev_a-7": ("dev", 3, "es bleibt kühl .", "KUEHL BLEIBEN", "Signer05"),
        "test_a-9": ("test", 6, "morgen sonne .", "MORGEN SONNE", "Signer08"),
    }
    for split in ("train", "dev", "test"):
        lines = [PHOENIX_HEADER] + [phoenix_row(n, t, s, g) for n, (sp, _, t, g, s) in clips.items() if sp == split]
        path = phoenix_csv(base, split)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, (split, n, *_rest) in clips.items():
        folder = phoenix_frames(base, split, name)
        write_pngs(folder / "1" if name == "train_nested-1" else folder, n)
    return {k: (sp, n, t, g, s) for k, (sp, n, t, g, s) in clips.items()}


# --- How2Sign --------------------------------------------------------------------------------

H2S_HEADER = "\t".join(["VIDEO_ID", "VIDEO_NAME", "SENTENCE_ID", "SENTENCE_NAME", "START_REALIGNED", "END_REALIGNED", "SENTENCE"])
H2S_FOLDER = {"train": "train", "dev": "val", "test": "test"}


def how2sign_row(sentence: str, video: str = "vidA-5-rgb_front", start: float = 0.0, end: float = 0.4, text: str = "Hi there.") -> str:
    return "\t".join([video.split("-")[0], video, f"{sentence}_0", sentence, str(start), str(end), text])


def how2sign_csv(root: Path, split: str) -> Path:
    return root / f"how2sign_realigned_{H2S_FOLDER[split]}.csv"


def how2sign_clip(root: Path, split: str, sentence: str) -> Path:
    return root / "sentence_level" / H2S_FOLDER[split] / "rgb_front" / f"{sentence}.mp4"


def how2sign_video(root: Path, split: str, video: str) -> Path:
    return root / "video_level" / H2S_FOLDER[split] / "rgb_front" / "raw_videos" / f"{video}.mp4"


def write_how2sign(root: Path) -> dict:
    """Sentence clips (one under ``raw_videos/``) and the full videos they were cut from.

    Full video ``vidA-5-rgb_front`` (train) has 20 frames at 25 fps (0.8 s); its second
    sentence's realigned end (1.0 s) runs past the end, so it is clipped to 10 frames.
    Returns ``{id: (split, clip frames, text, segment frames)}``.
    """
    rows = {
        "vidA_0-5-rgb_front": ("train", "vidA-5-rgb_front", 0.0, 0.4, 7, 'He said "hi", then left.', 10),
        "vidA_1-5-rgb_front": ("train", "vidA-5-rgb_front", 0.4, 1.0, 5, "Then he sat down.", 10),
        "vidB_0-3-rgb_front": ("dev", "vidB-3-rgb_front", 0.08, 0.32, 4, "Good morning.", 6),
        "vidC_0-1-rgb_front": ("test", "vidC-1-rgb_front", 0.0, 0.2, 6, "Thank you.", 5),
    }
    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev", "test"):
        lines = [H2S_HEADER] + [how2sign_row(s, v, a, b, t) for s, (sp, v, a, b, _, t, _) in rows.items() if sp == split]
        how2sign_csv(root, split).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for sentence, (split, _, _, _, n, _, _) in rows.items():
        clip = how2sign_clip(root, split, sentence)
        write_mp4(clip.parent / "raw_videos" / clip.name if split == "test" else clip, n)
    for split, video, n in (("train", "vidA-5-rgb_front", 20), ("dev", "vidB-3-rgb_front", 12), ("test", "vidC-1-rgb_front", 8)):
        write_mp4(how2sign_video(root, split, video), n)
    return {s: (sp, n, t, seg) for s, (sp, _, _, _, n, t, seg) in rows.items()}


# --- OpenASL ---------------------------------------------------------------------------------

OPENASL_HEADER = "\t".join(["vid", "yid", "start", "end", "raw-text", "tokenized-text", "gloss", "split"])


def openasl_row(vid: str, text: str = "Hello.", split: str = "train", gloss: str = "") -> str:
    yid = vid.split("-")[0]
    return "\t".join([vid, yid, "00:00:01.000", "00:00:02.000", text, text.lower(), gloss, split])


def write_openasl(root: Path) -> dict:
    """``root/openasl-v1.0.tsv`` and ``root/clips/<vid>.mp4``; split names train/valid/test."""
    rows = {
        "1nFdgokPwBw-00:00:14.100-00:00:17.266": ("train", "train", 5, "The news at 9.", "NEWS"),
        "abcDEF12345-00:01:02.000-00:01:04.500": ("train", "train", 3, 'She said "yes".', ""),
        "zzzYYY00000-00:00:00.500-00:00:01.500": ("valid", "dev", 4, "Weather today.", ""),
        "qqqWWW11111-00:10:00.000-00:10:01.000": ("test", "test", 6, "Goodbye, friends!", "BYE"),
    }
    lines = [OPENASL_HEADER] + [openasl_row(v, t, raw, g) for v, (raw, _, _, t, g) in rows.items()]
    root.mkdir(parents=True, exist_ok=True)
    (root / "openasl-v1.0.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for vid, (_, _, n, _, _) in rows.items():
        write_mp4(root / "clips" / f"{vid}.mp4", n)
    return {v: (sp, n, t, g or None) for v, (_, sp, n, t, g) in rows.items()}


# --- iSign -----------------------------------------------------------------------------------


def isign_row(uid: str, text: str) -> str:
    return f'{uid},"{text.replace(chr(34), chr(34) * 2)}"'


def person_frames(n: int = 8) -> np.ndarray:
    """A real photograph of a person (matplotlib's bundled Grace Hopper portrait), drifting sideways."""
    from matplotlib import cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as im:
        base = np.asarray(im.convert("RGB").resize((160, 192)))
    return np.stack([np.roll(base, 3 * i, axis=1) for i in range(n)])


def empty_frames(n: int = 8) -> np.ndarray:
    """An empty scene: a blue-green gradient panning sideways (moves, but nobody is there)."""
    x = np.linspace(0, 1, 160)[None, :]
    y = np.linspace(0, 1, 192)[:, None]
    base = np.stack([20 + 30 * x + 0 * y, 90 + 80 * y + 0 * x, 160 + 60 * x * y], axis=-1).astype(np.uint8)
    return np.stack([np.roll(base, 4 * i, axis=1) for i in range(n)])


def write_isign(root: Path, rows: dict[str, str], people: set[str] = frozenset(), missing: set[str] = frozenset()) -> Path:
    """``root/iSign_v1.1.csv`` with ``rows`` (uid -> text) and ``root/videos/<uid>.mp4``.

    Videos in ``people`` show a person, the others an empty scene; ``missing`` get no video.
    """
    lines = ["uid,text"] + [isign_row(uid, text) for uid, text in rows.items()]
    path = root / "iSign_v1.1.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    person, empty = person_frames(), empty_frames()
    for uid in rows:
        if uid not in missing:
            write_mp4(root / "videos" / f"{uid}.mp4", person if uid in people else empty)
    return path


def write_isign_release(root: Path, splits: dict[str, dict[str, int]]) -> None:
    """The 10k-subset release layout: ``{split}.csv`` (``video_name,text``) and ``videos/<name>.mp4``."""
    root.mkdir(parents=True, exist_ok=True)
    for split, clips in splits.items():
        lines = ["video_name,text"] + [isign_row(f"{uid}.mp4", f"sentence of {uid}") for uid in clips]
        (root / f"{split}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for uid, n in clips.items():
            write_mp4(root / "videos" / f"{uid}.mp4", n)


# --- CSL-Daily -------------------------------------------------------------------------------


def csl_record(name: str, chars: str, glosses: list[str]) -> dict:
    return {"name": name, "label_gloss": glosses, "label_char": list(chars), "label_word": [chars], "length": 0, "signer": 3}


def write_csl_labels(base: Path, records: list[dict]) -> Path:
    path = base / "sentence_label" / "csl2020ct_v2.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"info": records, "gloss_map": sorted({g for r in records for g in r["label_gloss"]}), "char_map": []}
    path.write_bytes(pickle.dumps(data, protocol=4))
    return path


def write_csl_daily(root: Path) -> dict:
    """``root/CSL-Daily/{sentence_label,sentences/frames_512x512}`` with a header line in ``split_1.txt``."""
    base = root / "CSL-Daily"
    clips = {
        "S000000_P0000_T00": ("train", 5, "我今天很好", ["我", "今天", "好"]),
        "S000001_P0001_T00": ("train", 3, "谢谢你", ["谢谢", "你"]),
        "S000002_P0002_T00": ("dev", 4, "明天见", ["明天", "见"]),
        "S000003_P0003_T00": ("test", 6, "他是老师", ["他", "老师"]),
    }
    write_csl_labels(base, [csl_record(n, c, g) for n, (_, _, c, g) in clips.items()])
    lines = ["name|split"] + [f"{n}|{sp}" for n, (sp, *_rest) in clips.items()]
    (base / "sentence_label" / "split_1.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, (_, n, _, _) in clips.items():
        write_pngs(base / "sentences" / "frames_512x512" / name, n)
    return {n: (sp, k, c, " ".join(g)) for n, (sp, k, c, g) in clips.items()}
