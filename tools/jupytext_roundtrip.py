"""Open and save notebooks/*.py through JupyterLab's Jupytext contents manager (what Ctrl+S in Lab does).

    python tools/jupytext_roundtrip.py            # rewrite every notebook as Lab would save it
    python tools/jupytext_roundtrip.py --check    # exit 1 naming each notebook that a save would change

The project's jupytext.toml pins the header so that an unchanged notebook saves byte-identical.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def _save_all(root: Path, names: list[str]) -> None:
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    from jupyter_client.kernelspec import KernelSpecManager

    cm = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(root))
    for name in names:
        model = await cm.get(f"notebooks/{name}")
        meta = model["content"]["metadata"]
        spec = KernelSpecManager().get_kernel_spec(meta["kernelspec"]["name"])  # what Lab writes once the kernel runs
        meta["kernelspec"] = {"display_name": spec.display_name, "language": spec.language, "name": meta["kernelspec"]["name"]}
        meta.setdefault("language_info", {"name": "python", "version": sys.version.split()[0]})  # as a running kernel adds
        await cm.save(model, f"notebooks/{name}")


def roundtrip(root: Path = ROOT, *, check: bool = False) -> list[str]:
    """Names of the notebooks whose saved text differs from the file (``check``: on a copy, files untouched)."""
    names = sorted(p.name for p in (root / "notebooks").glob("*.py"))
    work = Path(tempfile.mkdtemp(prefix="jupytext-roundtrip-")) if check else root
    try:
        if check:
            shutil.copy2(root / "jupytext.toml", work / "jupytext.toml")
            shutil.copytree(root / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        before = {n: (root / "notebooks" / n).read_bytes() for n in names}
        asyncio.run(_save_all(work, names))
        return [n for n in names if (work / "notebooks" / n).read_bytes() != before[n]]
    finally:
        if check:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    changed = roundtrip(check=ap.parse_args().check)
    for n in changed:
        print(f"notebooks/{n}: a save in JupyterLab changes it (run tools/jupytext_roundtrip.py and commit)", file=sys.stderr)
    sys.exit(1 if changed and "--check" in sys.argv else 0)
