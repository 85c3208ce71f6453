"""The atomic writers' errors name the file the caller asked for, never a temporary file or nothing.

A full disk fails a ``write`` with ``[Errno 28] No space left on device`` and no name; a read-only folder
fails ``mkstemp`` naming a ``.name.XXXX.tmp`` the user never asked for. Tests run as root, whom ``chmod``
does not stop, so both are simulated by patching the call that fails.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from slt_nb import io
from slt_nb.io import atomic_dir, write_json, write_text


def _enospc(*a, **k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _read_only_mkstemp(*a, dir=None, prefix="", **k):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.path.join(dir, f"{prefix}k2j4.tmp"))


def _replace_fails(src, dst):
    raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(src), str(dst))


@pytest.mark.parametrize(
    "target, patch, errno_, exc_type",
    [
        ("os.replace", _enospc, errno.ENOSPC, OSError),  # the rename: a write without a name
        ("pathlib.Path.write_text", _enospc, errno.ENOSPC, OSError),  # the data itself
        ("tempfile.mkstemp", _read_only_mkstemp, errno.EACCES, PermissionError),  # a read-only folder: names the temp file
        ("os.replace", _replace_fails, errno.EXDEV, OSError),  # names the temp file and the target
    ],
    ids=["replace-enospc", "write-enospc", "read-only", "replace-two-names"],
)
def test_write_errors_name_the_final_path(tmp_path, monkeypatch, target, patch, errno_, exc_type):
    path = tmp_path / "results" / "tables" / "table2.csv"
    monkeypatch.setattr(target, patch)
    with pytest.raises(exc_type) as err:
        write_text(path, "a,b\n")
    assert err.value.errno == errno_  # the same error, so callers that test the errno still can
    assert str(err.value) == f"[Errno {errno_}] {os.strerror(errno_)}: '{path}'"
    monkeypatch.undo()
    assert not path.exists() and not list(path.parent.glob("*.tmp"))  # nothing half-written left behind


def test_an_error_about_another_file_keeps_its_name(tmp_path):
    missing = tmp_path / "input.bin"
    with pytest.raises(FileNotFoundError) as err, io.atomic_path(tmp_path / "out.bin") as tmp:
        tmp.write_bytes(missing.read_bytes())
    assert err.value.filename == str(missing)


def test_atomic_dir_names_the_file_in_the_final_folder(tmp_path, monkeypatch):
    final = tmp_path / "checkpoint-400"

    def full(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError) as err, atomic_dir(final) as tmp:
        (tmp / "model.safetensors").write_bytes(b"x")
    assert str(err.value) == f"[Errno 28] {os.strerror(errno.ENOSPC)}: '{final / 'model.safetensors'}'"
    assert not final.exists() and [p.name for p in tmp_path.iterdir()] == []


def test_a_lock_on_a_folder_creates_no_file(tmp_path):
    (tmp_path / "results").mkdir()
    with io.file_lock(tmp_path / "results"):
        write_json(tmp_path / "results" / "runtimes.json", {})
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["runtimes.json"]

