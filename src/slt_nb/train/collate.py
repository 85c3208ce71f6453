"""Video + prompt + answer -> a model batch whose labels are the answer tokens only.

Per example: the conversation (video, Table 16 prompt, answer) is rendered with the family's
explicit chat template (``apply_chat_template(..., chat_template=..., tokenize=False)``), then the
processor expands the video placeholder and tokenises::

    processor(text=[text], videos=[[frames]], do_sample_frames=False, return_tensors="pt",
              **family.video_kwargs([metadata]))   # SmolVLM: video_metadata=[...]; Qwen: fps=[...]

Frames are the paper's sampled frames (Sec 3.3, ``data.frames.load_clip``), so the processor must
not sample again (``do_sample_frames=False``); the videos list is nested per text sample (a flat
list of one 4-D array is read as T videos: "number of videos in the text [1] and videos [16]").
Each example goes through the processor on its own and the batch is padded here: in transformers
4.57.6 a batched SmolVLM call with clips of different lengths fails ("stack expects each tensor
to be equal size": its video ``pad`` pads height/width only), and its "series of N frames" intro
reads ``pixel_values.shape[1]``, the batch maximum, for every sample.

Labels: -100 everywhere but the answer tokens and the end-of-turn token (the system/user prompt,
all visual tokens, the trailing newline and padding are masked). The answer span is the
rendered conversation minus the generation prompt (``add_generation_prompt=True``), checked
token-exactly at the end of the sequence; a batch with no label at all raises
:class:`AllMaskedLabelsError` instead of training on loss 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SLTInputError
from ..models.registry import ModelFamily, get_family

IGNORE_INDEX = -100
_TEXT_KEYS = ("input_ids", "attention_mask")
_DROP_KEYS = ("token_type_ids", "offset_mapping", "video_metadata")


class AllMaskedLabelsError(SLTInputError):
    """Every label of a batch (or of one training example) is -100: the loss would be 0.0, silently."""


def make_example(frames: np.ndarray, prompt: str, answer: str | None = None, *, fps: float, frames_indices=None,
                 total_frames: int | None = None, id: str = "") -> dict:
    """One collator input. ``frames``: uint8 (T, H, W, 3) already sampled; ``frames_indices``: their
    positions in the clip of ``total_frames`` frames at ``fps`` (default: the frames are the clip)."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
        raise SLTInputError(f"frames must be (T>0, H, W, 3), got shape {frames.shape}", sample=id or None)
    indices = list(range(len(frames))) if frames_indices is None else [int(i) for i in frames_indices]
    if len(indices) != len(frames):
        raise SLTInputError(f"{len(frames)} frames but {len(indices)} frame indices", sample=id or None)
    return {"id": id, "frames": frames, "frames_indices": indices, "total_frames": int(total_frames or len(frames)),
            "fps": float(fps), "prompt": prompt, "answer": answer}


def example_from_sample(sample, t_max: int, prompt: str, *, with_answer: bool = True) -> dict:
    """A collator input from a manifest :class:`~slt_nb.data.manifest.Sample` (decodes only the sampled frames)."""
    from ..data.frames import load_clip

    frames, indices = load_clip(sample, t_max)  # (min(T, t_max), H, W, 3)
    return make_example(frames, prompt, sample.text if with_answer else None, fps=sample.fps, frames_indices=indices,
                        total_frames=sample.n_frames, id=sample.id)


def rows_from_samples(samples, prompt: str) -> list[dict]:
    """Light dataset rows (manifest fields + prompt) for ``datasets.Dataset.from_list``; the
    collator decodes the frames on the fly, so no pixels ever sit in the dataset."""
    return [{**s.to_dict(), "prompt": prompt} for s in samples]


def materialise(row: dict, t_max: int, *, with_answer: bool = True) -> dict:
    """A collator input from either a :func:`make_example` dict (frames in memory; nested lists as
    a ``datasets.Dataset`` returns them are fine) or a manifest row of :func:`rows_from_samples`."""
    if "frames" in row:
        frames = np.asarray(row["frames"], dtype=np.uint8)
        return make_example(frames, row["prompt"], row.get("answer") if with_answer else None, fps=row["fps"],
                            frames_indices=row.get("frames_indices"), total_frames=row.get("total_frames"), id=row.get("id", ""))
    from dataclasses import fields

    from ..data.manifest import Sample

    missing = {"source", "source_kind", "n_frames", "prompt"} - row.keys()
    if missing:
        raise SLTInputError(f"dataset row lacks {sorted(missing)}", sample=row.get("id"),
                            hint="rows are make_example() dicts or manifest rows from rows_from_samples()")
    names = {f.name for f in fields(Sample)}
    sample = Sample(**{k: v for k, v in row.items() if k in names})
    return example_from_sample(sample, t_max, row["prompt"], with_answer=with_answer)


def video_metadata(ex: dict) -> dict:
    """What the processors know about a clip: frame count, fps, duration (s) and the sampled indices."""
    return {"total_num_frames": ex["total_frames"], "fps": ex["fps"], "duration": ex["total_frames"] / ex["fps"],
            "frames_indices": list(ex["frames_indices"]), "height": int(ex["frames"].shape[1]), "width": int(ex["frames"].shape[2])}


def build_messages(prompt: str, answer: str | None = None) -> list[dict]:
    """User turn = video then the prompt (Appendix E); assistant turn = the answer, if given."""
    messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": prompt}]}]
    if answer is not None:
        messages.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
    return messages


@dataclass(frozen=True)
class Rendered:
    text: str  # what the processor gets
    label_text: str  # the answer + end-of-turn token: the only supervised characters
    tail_text: str  # after the end-of-turn token (masked)


def render(processor, family: ModelFamily, prompt: str, answer: str | None = None, *, chat_template: str | None = None) -> Rendered:
    """Render the conversation; with an answer, split off the supervised part.

    Checks that the training text starts with the generation prompt, so training and
    inference see the same prompt.
    """
    template = chat_template or family.chat_template
    gen_prompt = processor.apply_chat_template(build_messages(prompt), chat_template=template, add_generation_prompt=True, tokenize=False)
    if answer is None:
        return Rendered(gen_prompt, "", "")
    full = processor.apply_chat_template(build_messages(prompt, answer), chat_template=template, tokenize=False)
    if not full.startswith(gen_prompt):
        raise SLTInputError("the chat template renders the training prompt differently from the generation prompt",
                            hint=f"training text {full[:120]!r}... vs generation prompt ...{gen_prompt[-60:]!r}")
    completion = full[len(gen_prompt):]
    cut = completion.rfind(family.end_of_turn)
    if cut < 0 or not completion[:cut].strip():
        return Rendered(full, "", completion)  # no answer rendered: caught as all-masked by the caller
    end = cut + len(family.end_of_turn)
    return Rendered(full, completion[:end], completion[end:])


def _pad(rows: list, value, side: str):
    """Stack 1-D tensors of different lengths into (B, L_max), padding on ``side``."""
    import torch

    width = max(r.shape[0] for r in rows)
    out = torch.full((len(rows), width), value, dtype=rows[0].dtype)
    for i, r in enumerate(rows):
        if side == "left":
            out[i, width - r.shape[0]:] = r
        else:
            out[i, : r.shape[0]] = r
    return out


def _merge_visual(parts: list):
    """Concatenate per-example visual tensors on dim 0; pad dim 1 (SmolVLM frames) with zeros first.

    An all-zero frame is what SmolVLM's own processor pads with and its model drops.
    """
    import torch

    if all(p.shape[1:] == parts[0].shape[1:] for p in parts):
        return torch.cat(parts, dim=0)
    n = max(p.shape[1] for p in parts)
    padded = []
    for p in parts:
        if p.shape[2:] != parts[0].shape[2:]:
            raise SLTInputError(f"cannot batch visual tensors of shapes {[tuple(q.shape) for q in parts]}")
        pad = torch.zeros((p.shape[0], n - p.shape[1], *p.shape[2:]), dtype=p.dtype)
        padded.append(torch.cat([p, pad], dim=1))
    return torch.cat(padded, dim=0)


def check_labels(labels, ids: list[str] | None = None) -> None:
    """Raise :class:`AllMaskedLabelsError` if ``labels`` (B, L) has no supervised token at all."""
    if int((labels != IGNORE_INDEX).sum()) == 0:
        raise AllMaskedLabelsError(
            "every label of the batch is -100: the loss would be 0.0 and nothing would train",
            sample=", ".join(i for i in (ids or []) if i) or None,
            hint="is the answer missing, or truncated away, or does the chat template drop the assistant turn?",
        )


class VideoCollator:
    """Collate :func:`make_example` dicts or manifest rows (:func:`rows_from_samples`) into a batch.

    ``train=True``: the full conversation, right padding, ``labels`` (answer + end-of-turn only).
    ``train=False``: the generation prompt (ends with the assistant header), left padding, no
    labels, for ``model.generate``. ``max_length``: a longer example is an error, never
    truncated (truncation would cut visual tokens or the answer).
    """

    def __init__(self, processor, family: str | ModelFamily, *, train: bool = True, padding_side: str | None = None,
                 max_length: int | None = None, chat_template: str | None = None, t_max: int | None = None):
        self.processor, self.family, self.train = processor, get_family(family), train
        self.family.resolve_classes()  # applies the family's library corrections (Qwen2.5-VL video times: models.mrope)
        self.t_max = t_max or self.family.train.t_max  # frames kept of a manifest row (Sec 3.3 sampler)
        self.padding_side = padding_side or ("right" if train else "left")
        if self.padding_side not in ("left", "right"):
            raise SLTInputError(f"padding_side must be 'left' or 'right', got {self.padding_side!r}")
        self.max_length, self.chat_template = max_length, chat_template
        self.tokenizer = processor.tokenizer
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id

    def encode(self, ex: dict) -> dict:
        """One example -> unpadded tensors: input_ids (L,), attention_mask (L,), labels (L,), visual tensors."""
        sid = ex.get("id") or None
        answer = ex.get("answer") if self.train else None
        if self.train and (answer is None or not str(answer).strip()):
            raise AllMaskedLabelsError("training example has no answer", sample=sid, hint="every training clip needs its translation")
        r = render(self.processor, self.family, ex["prompt"], answer, chat_template=self.chat_template)
        bos = self.tokenizer.bos_token
        out = self.processor(text=[r.text], videos=[[ex["frames"]]], do_sample_frames=False, return_tensors="pt",
                             add_special_tokens=not (bos and r.text.startswith(bos)),  # the template already has BOS
                             **self.family.video_kwargs([video_metadata(ex)]))
        enc = {k: v for k, v in out.items() if k not in _DROP_KEYS}
        ids = enc["input_ids"][0]  # (L,)
        enc["input_ids"], enc["attention_mask"] = ids, enc["attention_mask"][0]
        if self.max_length is not None and ids.shape[0] > self.max_length:
            raise SLTInputError(f"{ids.shape[0]} tokens exceed max_length={self.max_length}", sample=sid,
                                hint="raise max_length or lower t_max; truncation would cut visual tokens or the answer")
        if self.train:
            enc["labels"] = self._labels(ids, r, sid)
        return enc

    def _labels(self, ids, r: Rendered, sid):
        import torch

        if not r.label_text:
            raise AllMaskedLabelsError("the rendered conversation has no answer tokens to supervise", sample=sid,
                                       hint="the chat template dropped the assistant turn (or its end-of-turn token)")
        lab = self.tokenizer(r.label_text, add_special_tokens=False)["input_ids"]
        tail = self.tokenizer(r.tail_text, add_special_tokens=False)["input_ids"] if r.tail_text else []
        n, seq = len(lab) + len(tail), ids.tolist()
        if n > len(seq) or seq[len(seq) - n:] != lab + tail:
            raise SLTInputError("the answer does not tokenise the same inside the conversation as alone", sample=sid,
                                hint="a token spans the prompt/answer boundary; check the chat template")
        labels = torch.full_like(ids, IGNORE_INDEX)
        start = len(seq) - n
        labels[start : start + len(lab)] = ids[start : start + len(lab)]
        return labels  # (L,)

    def encode_row(self, row: dict) -> dict:
        """One dataset row (a manifest sample + prompt) -> the processor's tensors for that clip."""
        return self.encode(materialise(row, self.t_max, with_answer=self.train))

    def __call__(self, examples: list[dict]) -> dict:
        if not examples:
            raise SLTInputError("empty batch")
        encs = [self.encode_row(r) for r in examples]
        batch = {
            "input_ids": _pad([e["input_ids"] for e in encs], self.pad_id, self.padding_side),  # (B, L_max)
            "attention_mask": _pad([e["attention_mask"] for e in encs], 0, self.padding_side),  # (B, L_max)
        }
        for key in encs[0]:
            if key not in _TEXT_KEYS and key != "labels":
                batch[key] = _merge_visual([e[key] for e in encs])  # SmolVLM (B, F_max, 3, H, W); Qwen (sum patches, D)
        if self.train:
            batch["labels"] = _pad([e["labels"] for e in encs], IGNORE_INDEX, self.padding_side)  # (B, L_max)
            check_labels(batch["labels"], [r.get("id", "") for r in examples])
        return batch


class CachedVideoCollator(VideoCollator):
    """:class:`VideoCollator` that encodes each clip once (keyed by row id) and
    reuses the tensors in later epochs. Same batches as the plain collator; RAM grows with the
    training set (tiny models at 16 frames: ~0.2-0.6 MB per clip)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache: dict[str, dict] = {}

    def encode_row(self, row: dict) -> dict:
        key = row.get("id") or ""
        enc = self._cache.get(key) if key else None
        if enc is None:
            enc = super().encode_row(row)
            if key:
                self._cache[key] = enc
        return enc
