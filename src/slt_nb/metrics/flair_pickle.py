"""Reading a FLAIR model file without running code from it.

A FLAIR model file (``pytorch_model.bin`` on the hub, ``*.pt`` elsewhere) is a ``torch.save`` pickle, and
flair 0.15.1 loads it with ``torch.load(weights_only=False)`` (``flair.file_utils.load_torch_state``),
i.e. the stock unpickler, which runs whatever the file asks for. The project's rule is that downloaded
files are never unpickled that way. What a file needs depends on the flair version that saved it:

* **flair ≥ 0.12** (``Model.save`` → ``_get_state_dict``; ``embeddings.save_embeddings(use_state_dict=False)``):
  a dict of plain values — the state dict (tensors), the constructor arguments, the embeddings as a dict of
  parameters (``{"__cls__": "StackedEmbeddings", "embeddings": [...]}``) and the model card (strings).
  The only objects are ``flair.data.Dictionary`` (tag and character dictionaries; its ``__setstate__``
  only assigns ``__dict__``) and, inside a character language model's dictionary, a
  ``collections.defaultdict(int)`` cache; the model card flair's trainer writes holds ``torch.__version__``
  (``torch.torch_version.TorchVersion``, a ``str`` subclass); transformer embeddings add their tokenizer
  files as an in-memory zip (``_io.BytesIO``). Those, the tensor rebuild functions and ``OrderedDict`` are
  :data:`FLAIR_SAFE_GLOBALS`; the model is then rebuilt by flair's own constructors from the parameters
  (``SequenceTagger.load(state_dict)``), never by unpickling code.
* **older flair** (the hub's ``flair/upos-multi``, ``flair/upos-english`` … were uploaded in 2021, before
  0.12's parameter serialisation; flair 0.15.1 still carries the branch for them in
  ``Model._init_model_with_state_dict``: ``embeddings`` an object, not a dict): whole pickled Python
  objects — the embeddings (``flair.embeddings.token.StackedEmbeddings``, ``FlairEmbeddings``, the
  ``LanguageModel`` with its ``torch.nn`` modules, …) whose reconstruction runs their ``__setstate__``.
  Such a file is refused here with the name of the first global it asks for (for a file saved that way,
  as ``tests/test_metrics_real_path.py`` writes one: ``flair.embeddings.token.StackedEmbeddings``); it
  loads only with the explicit opt-in ``trust_flair_pickle`` (flair's own unrestricted loader). This could not be checked
  against the real file here (no network); flair issue #3263 (``flair/pos-english`` failing under a
  weights-only load) points the same way.

How a file is read (:func:`load_flair_state`): first ``torch.load(weights_only=True)`` inside
``torch.serialization.safe_globals(FLAIR_SAFE_GLOBALS)``. torch 2.15's weights-only unpickler reads
pickle protocol 2 only, and flair saves with ``pickle_protocol=4`` (its ``FRAME`` opcode is refused:
"Unsupported operand 149"), so for every file flair writes the second step decides: ``torch.load`` with
:func:`restricted_pickle_module`, a pickle module whose unpickler resolves **only** the globals of
:data:`FLAIR_SAFE_GLOBALS` (torch's own ``persistent_load`` rebuilds the tensors from the zip's records).
Every global a pickle can name (``GLOBAL``, ``STACK_GLOBAL``, ``INST``, ``OBJ``, extension codes) goes
through ``find_class``, so nothing outside the list can be imported or called.
"""

from __future__ import annotations

import importlib
import pickle
import types
import warnings
from pathlib import Path

from ..errors import SLTInputError

# (module, name) -> why a FLAIR model file (flair >= 0.12) needs it
FLAIR_SAFE_GLOBALS: dict[tuple[str, str], str] = {
    ("flair.data", "Dictionary"): "tag and character dictionaries (a dict + a list of bytes; __setstate__ only assigns __dict__)",
    ("collections", "OrderedDict"): "state dicts",
    ("collections", "defaultdict"): "a character dictionary's lookup cache (item2idx_not_encoded)",
    ("builtins", "int"): "that cache's default factory",
    ("torch._utils", "_rebuild_tensor_v2"): "tensors",
    ("torch._utils", "_rebuild_parameter"): "parameters",
    ("_io", "BytesIO"): "TransformerWordEmbeddings' tokenizer files (a zip in memory)",
    ("torch.torch_version", "TorchVersion"): "the model card's pytorch_version (flair's trainer stores torch.__version__, a str subclass)",
}
TRUST_HINT = (
    "if you trust this file, set trust_flair_pickle: true (params; get_tagger(..., trust_flair_pickle=True)) to load it with "
    "flair's own loader, torch.load(weights_only=False), which can run code from the file; or use tagger hanta"
)


class FlairPickleRefused(SLTInputError):
    """A FLAIR model file asks for a global outside :data:`FLAIR_SAFE_GLOBALS` (e.g. a model saved by flair < 0.12)."""

    def __init__(self, global_name: str, file: str | Path | None = None) -> None:
        self.global_name = global_name
        super().__init__(
            f"the FLAIR model file asks for the global {global_name}, which the restricted loader does not allow "
            "(it holds pickled Python objects, as models saved by flair < 0.12 do, and unpickling them can run code)",
            file=file,
            hint=TRUST_HINT,
        )


def _resolve(module: str, name: str):
    return getattr(importlib.import_module(module), name)


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals of :data:`FLAIR_SAFE_GLOBALS`; any other raises :class:`FlairPickleRefused`."""

    file_name: str | None = None  # named in the error

    def find_class(self, module: str, name: str):
        if (module, name) in FLAIR_SAFE_GLOBALS:
            return _resolve(module, name)
        raise FlairPickleRefused(f"{module}.{name}", self.file_name)


def restricted_pickle_module(file: str | Path | None = None) -> types.ModuleType:
    """What ``torch.load(pickle_module=...)`` uses: ``.Unpickler`` (torch wraps it to rebuild storages from
    the zip) and ``.load`` (torch's legacy, pre-zip format), both restricted to :data:`FLAIR_SAFE_GLOBALS`."""
    unpickler = type("RestrictedUnpickler", (RestrictedUnpickler,), {"file_name": None if file is None else str(file)})
    module = types.ModuleType("slt_nb_restricted_pickle")
    module.Unpickler = unpickler  # type: ignore[attr-defined]
    module.load = lambda fh, **kwargs: unpickler(fh, **kwargs).load()  # type: ignore[attr-defined]
    return module


def _unreadable(path: Path, exc: Exception) -> SLTInputError:
    return SLTInputError(f"not a readable FLAIR model file ({type(exc).__name__}: {str(exc)[:200]})", file=path)


def load_flair_state(path: str | Path) -> dict:
    """The dict a FLAIR ``Model.save`` wrote, read without running code from the file (module docstring);
    :class:`FlairPickleRefused` names the first global outside the allowlist."""
    import torch

    path = Path(path)
    try:
        with torch.serialization.safe_globals([_resolve(m, n) for m, n in FLAIR_SAFE_GLOBALS]), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)  # the fallback below reads it
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # protocol > 2 (every flair save) or a global torch refuses: the allowlist decides
        try:
            state = torch.load(path, map_location="cpu", weights_only=False, pickle_module=restricted_pickle_module(path))
        except FlairPickleRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file
            raise _unreadable(path, exc) from None
    except Exception as exc:  # noqa: BLE001 - not a torch file at all (a broken zip, …)
        raise _unreadable(path, exc) from None
    if not isinstance(state, dict) or "state_dict" not in state:
        raise SLTInputError(f"not a FLAIR model file: expected a dict with a 'state_dict', found {type(state).__name__}", file=path)
    cls = state.get("__cls__")
    if cls not in (None, "SequenceTagger"):
        raise SLTInputError(f"the FLAIR model file holds a {cls}, not a SequenceTagger", file=path, hint="PGER needs a POS tagger")
    return state
