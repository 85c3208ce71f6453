"""Loading a fine-tuning run directory for inference (paper Sec 4.3): ``runs/<family>.<dataset>.<hash>/``.

:func:`load_for_inference` turns a run directory (``run.json`` naming the family and base model, a PEFT
adapter saved with ``save_pretrained`` -- safetensors, the connector in ``modules_to_save`` -- and the
processor saved beside it) into an eval-mode model for :func:`slt_nb.train.generate.generate_predictions`.
Every check that can fail says which file and what to do (:class:`~slt_nb.errors.SLTInputError`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import SLTInputError
from ..models.registry import ModelFamily, get_family
from .run_files import check_weights, first_non_finite, read_adapter_config, read_run_json, weight_files

RUN_INFO = "run.json"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_SUBDIRS = ("adapter", "final_adapter", "final", "adapter_final")  # where a run dir may keep its final adapter
PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")
TRAIN_FIRST = "train first or point --checkpoint at a run dir"


# ---- loading a run directory ---------------------------------------------------------------


def read_run_info(checkpoint_dir: str | Path) -> tuple[Path, dict, Path]:
    """(run dir, contents of ``run.json``, adapter dir) of ``checkpoint_dir``.

    ``checkpoint_dir`` is a run dir (``run.json`` + the final adapter, in the dir itself or in one
    of :data:`ADAPTER_SUBDIRS` or the folder ``run.json``'s ``"adapter"`` names) or an adapter
    folder inside a run dir (e.g. an intermediate ``checkpoint-N``; ``run.json`` is then read
    from the parent).

    Every file is checked before anything loads (:mod:`slt_nb.train.run_files`): ``run.json``
    (JSON, the keys' types: a non-integer ``t_max`` is named by key), ``adapter_config.json``
    (JSON, PEFT's keys), the weights (not empty, not truncated). Each problem is one
    :class:`SLTInputError` naming the file.
    """
    ckpt = Path(checkpoint_dir)
    if not ckpt.exists():
        raise SLTInputError("checkpoint folder not found", file=ckpt, hint=TRAIN_FIRST)
    if not ckpt.is_dir():
        raise SLTInputError("checkpoint is not a folder", file=ckpt, hint=TRAIN_FIRST)
    run_dir = ckpt if (ckpt / RUN_INFO).is_file() else ckpt.parent if (ckpt.parent / RUN_INFO).is_file() else None
    if run_dir is None:
        raise SLTInputError(f"no {RUN_INFO} in the checkpoint folder (or its parent)", file=ckpt, hint=TRAIN_FIRST)
    info = read_run_json(run_dir / RUN_INFO, required=("family", "base_model"))  # every key the readers use, checked (run_files)
    if info.get("weights") == "full_model":  # a strategy that trains the model's own weights (Table 8): a whole checkpoint
        folder = ckpt if ckpt != run_dir else run_dir / str(info.get("adapter") or "adapter")
        if not (folder / "model.safetensors").is_file() and not (folder / "model.safetensors.index.json").is_file():
            raise SLTInputError("missing model weights (model.safetensors) of a full fine-tuning run", file=folder, hint=TRAIN_FIRST)
        for f in weight_files(folder, "model.safetensors"):
            check_weights(f)  # zero-byte / truncated: named here, not as a safetensors traceback
        return run_dir, info, folder
    return run_dir, info, _find_adapter(ckpt, run_dir, info)


def _find_adapter(ckpt: Path, run_dir: Path, info: dict) -> Path:
    candidates = [ckpt]
    if isinstance(info.get("adapter"), str):
        candidates.append(run_dir / info["adapter"])
    candidates += [run_dir / name for name in ADAPTER_SUBDIRS]
    adapter = next((c for c in candidates if (c / ADAPTER_CONFIG).is_file()), None)
    if adapter is None:
        others = sorted(p for p in run_dir.iterdir() if p.is_dir() and (p / ADAPTER_CONFIG).is_file())
        final = [p for p in others if not p.name.startswith("checkpoint-")]
        if len(final) == 1:
            adapter = final[0]
        elif final:
            raise SLTInputError(f"several adapters in the run folder: {[p.name for p in final]}", file=run_dir,
                                hint="point --checkpoint at the one to use")
        elif others:
            raise SLTInputError(f"the run has no final adapter, only intermediate checkpoints {[p.name for p in others]}", file=run_dir,
                                hint="finish (resume) the training, or point --checkpoint at one checkpoint-N folder")
        else:
            raise SLTInputError(f"missing adapter ({ADAPTER_CONFIG})", file=ckpt, hint=TRAIN_FIRST)
    if not (adapter / ADAPTER_WEIGHTS).is_file():
        legacy = (adapter / "adapter_model.bin").is_file()
        raise SLTInputError(f"missing adapter weights {ADAPTER_WEIGHTS}" + (" (found a pickled adapter_model.bin: weights must be safetensors)" if legacy else ""),
                            file=adapter, hint=TRAIN_FIRST)
    read_adapter_config(adapter)  # not JSON / lacks PEFT's keys: named here, not as "does not fit the base model"
    check_weights(adapter / ADAPTER_WEIGHTS)  # zero-byte or truncated: the file named (NaN/inf: _load_adapter)
    return adapter


def _resolve_base(base: str, run_dir: Path) -> str:
    """``base_model`` of run.json: a hub id, an absolute folder, or a folder relative to the run dir / cwd."""
    p = Path(base)
    if p.is_dir():
        return str(p)
    if not p.is_absolute() and (run_dir / p).is_dir():
        return str(run_dir / p)
    if p.is_absolute() or base.startswith((".", "~")) or base.count("/") != 1:
        raise SLTInputError(f"base model folder {base!r} named in {RUN_INFO} not found", file=run_dir / RUN_INFO,
                            hint="rebuild it (the tiny default: slt_nb.standins.tiny.ensure_tiny) or fix base_model in run.json")
    return base  # a hub id ("org/name")


def _check_model_type(fam: ModelFamily, base: str) -> None:
    cfg = Path(base) / "config.json"
    if not cfg.is_file():
        return
    try:
        model_type = json.loads(cfg.read_text(encoding="utf-8")).get("model_type")
    except (OSError, json.JSONDecodeError):
        return
    expected = fam.resolve_classes()[0].config_class.model_type
    if model_type and model_type != expected:
        raise SLTInputError(f"base model is a {model_type!r} checkpoint but run.json says family {fam.name!r} ({expected!r})", file=cfg,
                            hint="the run.json family and base_model do not belong together")


def _has_processor(folder: Path) -> bool:
    return any((folder / f).is_file() for f in PROCESSOR_FILES) and (folder / "tokenizer_config.json").is_file()


def check_processor_fits(model, processor, family: str | ModelFamily, *, where=None) -> None:
    """The processor's tokenizer must fit the model: every token id inside the embedding matrix
    and the visual placeholder tokens at the ids the model's config expects."""
    fam = get_family(family)
    tok = processor.tokenizer
    n_emb = model.get_input_embeddings().weight.shape[0]
    if len(tok) > n_emb:
        raise SLTInputError(f"the processor's tokenizer has {len(tok)} tokens but the {fam.name} model embeds only {n_emb}",
                            file=where, hint="the processor belongs to another model: save the base model's processor beside the adapter")
    cfg = model.config
    for attr in ("image_token_id", "video_token_id"):
        want, have = getattr(cfg, attr, None), getattr(processor, attr, None)
        if want is not None and have is not None and int(want) != int(have):
            raise SLTInputError(f"the processor's {attr} is {have} but the model expects {want}", file=where,
                                hint="the processor belongs to another model: save the base model's processor beside the adapter")


def _load_adapter(base_model, adapter_dir: Path):
    """``PeftModel.from_pretrained`` with its silent failures (size mismatch text, missing and
    unexpected keys, NaN/inf weights, which decode to an empty line) turned into :class:`SLTInputError`."""
    import warnings

    from peft import PeftModel
    from peft.utils import get_peft_model_state_dict
    from safetensors import safe_open

    hint = "the adapter was trained on a different base model: check base_model in run.json"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Found missing adapter keys")  # checked below, with a better message
            model = PeftModel.from_pretrained(base_model, str(adapter_dir), is_trainable=False)  # reads the .safetensors checked above
    except RuntimeError as exc:
        found = re.findall(r"size mismatch for (\S+): copying a param with shape torch\.Size\((\[[^\]]*\])\) from checkpoint, "
                           r"the shape in current model is torch\.Size\((\[[^\]]*\])\)", str(exc))
        if found:
            lines = [f"size mismatch for {name.replace('base_model.model.', '')}: {saved} in the adapter, {want} in the model"
                     for name, saved, want in found]
            more = f" (+{len(lines) - 3} more)" if len(lines) > 3 else ""
            raise SLTInputError("adapter does not fit the base model: " + "; ".join(lines[:3]) + more, file=adapter_dir, hint=hint) from None
        raise SLTInputError(f"cannot load the adapter ({str(exc).splitlines()[0][:300]})", file=adapter_dir, hint=hint) from None
    except ValueError as exc:  # e.g. "Target modules ... not found in the base model"
        raise SLTInputError(f"adapter does not fit the base model ({str(exc).splitlines()[0][:300]})", file=adapter_dir, hint=hint) from None
    with safe_open(str(adapter_dir / ADAPTER_WEIGHTS), "pt") as fh:
        saved = set(fh.keys())
    loaded = get_peft_model_state_dict(model)
    expected = set(loaded)
    missing, unexpected = sorted(expected - saved), sorted(saved - expected)
    if missing or unexpected:
        parts = ([f"{len(missing)} adapter weights the model needs are not in the file (e.g. {missing[0]})"] if missing else []) + \
                ([f"{len(unexpected)} weights in the file match no module of the model (e.g. {unexpected[0]})"] if unexpected else [])
        raise SLTInputError("adapter does not fit the base model: " + "; ".join(parts), file=adapter_dir, hint=hint)
    bad = first_non_finite(sorted(loaded.items()))  # NaN/inf weights decode to empty or garbage text, with exit 0
    if bad is not None:
        raise SLTInputError(f"adapter tensor {bad[0]} holds {bad[1]} NaN/inf of {bad[2]} values", file=adapter_dir / ADAPTER_WEIGHTS,
                            hint="the training diverged or the file is damaged: re-train the run, or re-download / copy it again")
    return model


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_for_inference(checkpoint_dir: str | Path, *, device: str | None = None, dtype=None, merge: bool = True,
                       attn_implementation: str | None = None):
    """(model, processor, family) of a run directory, ready for :func:`generate_predictions`.

    The base model (``run.json``'s ``base_model``: hub id or local folder) loads through
    :func:`~slt_nb.models.load.load_model_and_processor` (``trust_remote_code=False``), the
    adapter through ``PeftModel.from_pretrained`` (safetensors only), and with ``merge`` (default)
    the LoRA weights and the trained connector are merged into a plain transformers model. A run
    whose strategy trains the model's own weights (``run.json`` ``"weights": "full_model"``) saved a
    whole checkpoint instead, loaded the same way as a base model. Trained weights holding NaN or
    inf (the adapter's tensors, or all of a whole checkpoint's) are refused, naming file and tensor.
    The processor is the one saved beside the adapter (else beside ``run.json``, else the base
    model's). ``device``: default CUDA if available; ``dtype``: default bfloat16 on CUDA
    (Sec 4.3), float32 on CPU. Eval mode.
    """
    import torch

    from ..models.load import load_model_and_processor

    run_dir, info, adapter_dir = read_run_info(checkpoint_dir)
    fam = get_family(info["family"])
    full = info.get("weights") == "full_model"
    base = str(adapter_dir) if full else _resolve_base(str(info["base_model"]), run_dir)
    _check_model_type(fam, base)
    device = device or default_device()
    if dtype is None:
        dtype = torch.bfloat16 if str(device).startswith("cuda") and torch.cuda.is_bf16_supported() else torch.float32
    model, processor = load_model_and_processor(fam, base, dtype=dtype, attn_implementation=attn_implementation)
    proc_dir = next((d for d in (adapter_dir, run_dir) if _has_processor(d)), None)
    if proc_dir is not None:
        _, proc_cls = fam.resolve_classes()
        try:
            processor = proc_cls.from_pretrained(str(proc_dir), trust_remote_code=False, local_files_only=True)
        except (OSError, ValueError, TypeError) as exc:
            raise SLTInputError(f"cannot load the {fam.name} processor ({str(exc).splitlines()[0][:200]})", file=proc_dir,
                                hint="save the base model's processor beside the adapter") from None
    check_processor_fits(model, processor, fam, where=proc_dir or base)
    if full:  # the trained weights are the model's own: none may be NaN/inf (an adapter's file was checked by read_run_info)
        bad = first_non_finite(model.named_parameters())
        if bad is not None:
            raise SLTInputError(f"weight {bad[0]} holds {bad[1]} NaN/inf of {bad[2]} values", file=adapter_dir,
                                hint="the training diverged or the weights are damaged: re-train the run")
    else:
        model = _load_adapter(model, adapter_dir)
        if merge:
            model = model.merge_and_unload()
    model = model.to(device).eval()
    return model, processor, fam
