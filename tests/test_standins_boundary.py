"""The stand-ins (``slt_nb.standins``: the tiny models, their cached base stage, the rehearsal's hub cache and trees)
stay out of the real path: importing the package's real code loads none of them, and the few places that hand a
tiny model to them import them inside the function that does so."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from importgraph import PACKAGE, import_targets, module_name

STANDINS = "slt_nb.standins"
# (module, function) -> why it may import the stand-ins: each runs only for a tiny model of the embedded default
DISPATCH = {
    ("slt_nb.train.run_plan", "resolve_base"): "model 'tiny': build or reuse the cached base model before fine-tuning",
    ("slt_nb.train.parallel", "_signs_of"): "tiny runs that share a vision stage are not started together",
    ("slt_nb.llava_slt.stage1", "run_stage1"): "LLaVA-SLT's llm.id 'tiny': the tiny LLM is built, not downloaded",
    ("slt_nb.llava_slt.encoder", "build_backbone"): "LLaVA-SLT's encoder.backbone 'tiny': the tiny ViT is built, not downloaded",
}
OUTSIDE_THE_REAL_PATH = (STANDINS, "slt_nb.bench")  # the benchmarks build stand-ins to measure on this machine


def real_path_modules() -> list[str]:
    names = sorted(module_name(p) for p in PACKAGE.rglob("*.py"))
    return [m for m in names if not m.startswith(OUTSIDE_THE_REAL_PATH) and not m.endswith("__main__")]


def standin_imports(path: Path) -> list[tuple[str | None, int]]:
    """(enclosing top-level function or None at module level, line) of every import of ``slt_nb.standins`` in a file."""
    found = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and func is None else func
            if isinstance(child, (ast.Import, ast.ImportFrom)) and any(
                    t == STANDINS or t.startswith(STANDINS + ".") for t in import_targets(path, child)):
                found.append((func, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def test_importing_the_real_path_loads_no_stand_in():
    modules = real_path_modules()
    assert len(modules) > 100 and "slt_nb.train.run" in modules and "slt_nb.llava_slt.pipeline" in modules
    code = ("import importlib, json, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(k for k in sys.modules if k.startswith('slt_nb'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert "slt_nb.train.run" in loaded
    assert [m for m in loaded if m.startswith(STANDINS)] == []


def test_the_real_path_imports_stand_ins_only_where_a_tiny_model_is_handed_over():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        mod = module_name(path)
        if mod.startswith(OUTSIDE_THE_REAL_PATH):
            continue
        for func, line in standin_imports(path):
            assert func is not None, f"{mod} imports the stand-ins at module level (line {line})"
            found[mod, func] = line
    assert set(found) == set(DISPATCH)


def test_the_finder_sees_relative_and_absolute_imports(tmp_path):
    assert standin_imports(PACKAGE / "train" / "run_plan.py") and standin_imports(PACKAGE / "standins" / "vlm.py")
    assert not standin_imports(PACKAGE / "train" / "device.py")


def test_the_real_side_knows_the_tiny_names_the_stand_ins_build():
    from slt_nb.models.registry import TINY_MODELS, is_tiny
    from slt_nb.standins.tiny import TINY_SCALES

    assert set(TINY_MODELS) == set(TINY_SCALES)
    assert is_tiny("tiny-s") and not is_tiny("HuggingFaceTB/SmolVLM2-2.2B-Instruct") and not is_tiny("runs/base/smolvlm.phoenix.x")
