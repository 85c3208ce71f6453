"""The files of a run folder and its checkpoints, read and checked in one place.

Every reader of a run (``translate``, ``predict``, the notebooks through
:func:`slt_nb.train.load_run.load_for_inference`, the training runner deciding whether a run is
finished or where to resume) goes through these functions, so a damaged file gives one
:class:`~slt_nb.errors.SLTInputError` naming the file (and line or key, or tensor) instead of a
traceback from ``json``/``safetensors``/PEFT or, worse, a silently wrong result:

* :func:`read_json_object` -- a JSON object file: empty, not UTF-8, not JSON (``file:line``), not an object;
* :func:`read_run_json` -- ``run.json``: the keys the readers use, each of the type they expect
  (``t_max`` a positive integer, ``weights`` one of :data:`WEIGHT_KINDS`, ...), named by key;
* :func:`read_adapter_config` -- PEFT's ``adapter_config.json``: valid JSON with the LoRA keys
  PEFT needs (``peft_type``, ``r``, ``lora_alpha``, ``target_modules``);
* :func:`read_trainer_state` -- the Trainer's ``trainer_state.json`` (``global_step``, ``max_steps``);
* :func:`check_weights` -- a safetensors file: not empty, not truncated (the header's offsets cover
  the file: safetensors' own check), and with ``finite=True`` no NaN/inf in any tensor
  (:func:`first_non_finite`, one tensor in memory at a time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import SLTInputError

RETRAIN = "re-train the run, or re-download / copy the run folder again"
WEIGHT_KINDS = ("lora_adapter", "full_model")


def read_json_object(path: str | Path, *, what: str | None = None, hint: str = RETRAIN) -> dict:
    """The JSON object in ``path``.

    Raises :class:`SLTInputError` naming ``path`` (and the line of a syntax error) for a missing,
    unreadable, empty, non-UTF-8 or non-JSON file, or JSON that is not an object. ``what``: the
    file's role in the message (default: its name)."""
    p = Path(path)
    what = what or p.name
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SLTInputError(f"cannot read {what} ({exc.strerror or exc})", file=p, hint=hint) from None
    if not data.strip():
        raise SLTInputError(f"{what} is empty ({len(data)} bytes)", file=p, hint=hint)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SLTInputError(f"{what} is not UTF-8 text (byte {exc.start})", file=p, line=line, hint=hint) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SLTInputError(f"{what} is not valid JSON ({exc.msg}, column {exc.colno})", file=p, line=exc.lineno, hint=hint) from None
    if not isinstance(obj, dict):
        raise SLTInputError(f"{what} must hold a JSON object, not a {type(obj).__name__}", file=p, line=1, hint=hint)
    return obj


def _key_line(text: str, dotted: str) -> int | None:
    """Best-effort line of a (dotted) key in a JSON text: the first ``"part":`` of each part in turn."""
    lines, start = text.splitlines(), 0
    for part in dotted.split("."):
        pat = re.compile(r'"' + re.escape(part) + r'"\s*:')
        start = next((i for i in range(start, len(lines)) if pat.search(lines[i])), None)
        if start is None:
            return None
    return start + 1


def _get(obj: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _positive_int(v) -> bool:
    return _int(v) and v > 0


def _text(v) -> bool:
    return isinstance(v, str) and bool(v.strip())


# key -> (check of a present, non-null value, what it must be). None (JSON null) means "not recorded".
RUN_KEYS = {
    "family": (_text, "a model family name"),
    "base_model": (_text, "a hub id or a folder"),
    "adapter": (_text, "a folder name"),
    "weights": (lambda v: v in WEIGHT_KINDS, f"one of {list(WEIGHT_KINDS)}"),
    "t_max": (_positive_int, "a positive integer (frames)"),
    "config": (lambda v: isinstance(v, dict), "a JSON object"),
    "config.t_max": (_positive_int, "a positive integer (frames)"),
    "prompt": (lambda v: _text(v) or (isinstance(v, dict) and _text(v.get("text"))), "a text (or an object with a text)"),
    "dataset": (_text, "a dataset name"),
    "hash": (_text, "a text"),
    "status": (_text, "a text"),
    "global_step": (lambda v: _int(v) and v >= 0, "an integer >= 0"),
    "max_steps": (_int, "an integer"),
    "trainable": (lambda v: isinstance(v, dict), "a JSON object"),
}


def check_keys(obj: dict, path: str | Path, schema: dict, *, required: Iterable[str] = (), hint: str = RETRAIN) -> dict:
    """``obj`` (read from ``path``) with every ``required`` key present and every key of ``schema``
    that is present of its type; else :class:`SLTInputError` naming the file, the key (and its line)."""
    p = Path(path)
    missing = [k for k in required if _get(obj, k) is None]
    if missing:
        raise SLTInputError(f"{p.name} lacks {missing}", file=p, hint=hint)
    text = None
    for key, (ok, expected) in schema.items():
        v = _get(obj, key)
        if v is not None and not ok(v):
            if text is None:
                try:
                    text = p.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text = ""
            raise SLTInputError(f"{key!r} must be {expected}, got {v!r}"[:300], file=p, line=_key_line(text, key), hint=hint)
    return obj


def read_run_json(path: str | Path, *, required: Iterable[str] = ()) -> dict:
    """``run.json`` (a path to it or to its run folder), checked against :data:`RUN_KEYS`."""
    p = Path(path)
    if p.is_dir():
        p = p / "run.json"
    return check_keys(read_json_object(p), p, RUN_KEYS, required=required)


ADAPTER_KEYS = {
    "peft_type": (_text, "a PEFT method name (LORA)"),
    "r": (_positive_int, "a positive integer (LoRA rank)"),
    "lora_alpha": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, "a positive number"),
    "target_modules": (lambda v: _text(v) or (isinstance(v, list) and bool(v) and all(_text(x) for x in v)), "a regex or a list of module names"),
    "modules_to_save": (lambda v: isinstance(v, list) and all(_text(x) for x in v), "a list of module names"),
}


def read_adapter_config(adapter_dir: str | Path) -> dict:
    """``adapter_config.json`` of a PEFT LoRA adapter folder, with the keys PEFT needs to rebuild it."""
    p = Path(adapter_dir) / "adapter_config.json"
    return check_keys(read_json_object(p), p, ADAPTER_KEYS, required=("peft_type", "r", "lora_alpha", "target_modules"))


TRAINER_STATE_KEYS = {
    "global_step": (lambda v: _int(v) and v >= 0, "an integer >= 0"),
    "max_steps": (_int, "an integer"),
    "log_history": (lambda v: isinstance(v, list), "a list"),
}


def read_trainer_state(path: str | Path) -> dict:
    """The Trainer's ``trainer_state.json`` (a path to it or to its folder), with ``global_step`` and ``max_steps``."""
    p = Path(path)
    if p.is_dir():
        p = p / "trainer_state.json"
    return check_keys(read_json_object(p), p, TRAINER_STATE_KEYS, required=("global_step", "max_steps"))


def first_non_finite(named_tensors) -> tuple[str, int, int] | None:
    """(name, number of NaN/inf values, numel) of the first floating-point tensor of ``named_tensors``
    (an iterable of (name, tensor)) holding a NaN or an infinity; None if all are finite."""
    import torch

    for name, t in named_tensors:
        if t.is_floating_point() or t.is_complex():
            bad = int((~torch.isfinite(t)).sum())
            if bad:
                return name, bad, t.numel()
    return None


def weight_files(folder: str | Path, name: str) -> list[Path]:
    """The safetensors files of ``name`` in ``folder``: ``name`` itself, or the shards listed in its
    ``<name>.index.json`` (a sharded ``save_pretrained``). Raises naming the missing file."""
    d = Path(folder)
    if (d / name).is_file():
        return [d / name]
    index = d / f"{name}.index.json"
    if index.is_file():
        shards = read_json_object(index).get("weight_map")
        if not isinstance(shards, dict) or not shards:
            raise SLTInputError("'weight_map' must be a non-empty JSON object", file=index, hint=RETRAIN)
        files = [d / s for s in sorted(set(map(str, shards.values())))]
        gone = [f.name for f in files if not f.is_file()]
        if gone:
            raise SLTInputError(f"weight shards {gone[:3]} listed in {index.name} are missing", file=d, hint=RETRAIN)
        return files
    raise SLTInputError(f"missing weights {name}", file=d, hint=RETRAIN)


def check_weights(path: str | Path, *, finite: bool = False, hint: str = RETRAIN) -> dict[str, tuple]:
    """{tensor name: shape} of the safetensors file ``path``.

    Raises :class:`SLTInputError` naming the file for a zero-byte, truncated or otherwise unreadable
    file (safetensors checks that the header's offsets cover the file exactly), and with
    ``finite=True`` naming the first tensor that holds NaN or inf (read one tensor at a time)."""
    from safetensors import SafetensorError, safe_open

    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise SLTInputError(f"cannot read the weights ({exc.strerror or exc})", file=p, hint=hint) from None
    if size == 0:
        raise SLTInputError("weights file is empty (0 bytes)", file=p, hint=hint)
    try:
        with safe_open(str(p), "pt") as fh:
            shapes = {k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()}  # noqa: SIM118 (safe_open is not iterable)
            bad = first_non_finite((k, fh.get_tensor(k)) for k in sorted(shapes)) if finite else None
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SLTInputError(f"weights file is truncated or corrupt ({size} bytes; {why})", file=p, hint=hint) from None
    if bad is not None:
        name, n, total = bad
        raise SLTInputError(f"tensor {name} holds {n} NaN/inf of {total} values", file=p,
                            hint="the training diverged or the file is damaged: " + hint)
    return shapes
