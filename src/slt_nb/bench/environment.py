"""Where a benchmark ran, how fast that machine can multiply, and how much memory a run took.

* :func:`configure` fixes threads and seeds; :func:`machine_header` names the machine (CPU
  model, cores this process may use, torch / transformers versions, device, threads, the exact
  command, git commit), printed and written above every table.
* :func:`resolve_device`: ``"cuda"`` without CUDA is an error, never a silent CPU run.
* :func:`peak_flops`: the dense bf16 peak of known GPUs (vendor data sheets: A100 312 TFLOP/s,
  H100 SXM / H200 989 TFLOP/s) or, on CPU, the fp32 GEMM rate measured here (``torch.mm`` of
  1024 x 1024 matrices at the configured threads): CPU MFU is relative to that measured rate.
* :class:`PeakMemory`: CUDA ``max_memory_allocated``; on CPU the process's resident-set high-water
  mark (``VmHWM``), reset through ``/proc/self/clear_refs`` (Linux: writing ``5`` resets it), minus
  the resident set at the start.
"""

from __future__ import annotations

import datetime
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from pathlib import Path

from ..errors import SLTInputError

# Dense (no sparsity) bf16 tensor-core peaks, FLOP/s, from the vendors' data sheets.
GPU_PEAK_BF16 = {"A100": 312e12, "H100": 989e12, "H200": 989e12}
PAPER_GPU = "A100"  # paper Sec 4.3: "a single NVIDIA A100 GPU"


def configure(threads: int | None = 1, seed: int = 0) -> int:
    """Set torch's intra-op threads (``None``: leave torch's default) and every seed; return the threads used."""
    import numpy as np
    import torch

    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads <= 0:
            raise SLTInputError(f"threads must be a positive integer, got {threads!r}")
        torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.get_num_threads()


def resolve_device(name: str) -> str:
    """``"cpu"`` or ``"cuda"``; asking for CUDA where there is none fails with the reason."""
    import torch

    if name not in ("cpu", "cuda"):
        raise SLTInputError(f"unknown device {name!r}", hint="expected 'cpu' or 'cuda'")
    if name == "cuda" and not torch.cuda.is_available():
        raise SLTInputError("--device cuda was asked for but torch.cuda.is_available() is False",
                            hint="run on a GPU machine, or use --device cpu --size tiny")
    return name


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=5,
                               cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def device_name(device: str) -> str:
    import torch

    if device == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu"


def machine_header(device: str = "cpu", *, command: list[str] | None = None, extra: dict | None = None) -> dict[str, str]:
    """The lines above every table: machine, versions, device, threads, command, commit, date."""
    import torch
    import transformers

    argv = command if command is not None else [Path(sys.executable).name, *sys.argv]
    head = {
        "machine": f"{_cpu_model()}, {len(os.sched_getaffinity(0))} cores available ({os.cpu_count()} in the machine)",
        "python / torch / transformers": f"{platform.python_version()} / {torch.__version__} / {transformers.__version__}",
        "device": device_name(device),
        "torch threads": str(torch.get_num_threads()),
        "command": shlex.join(argv),
        "git commit": _git_commit(),
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }
    head.update({k: str(v) for k, v in (extra or {}).items()})
    return head


def step_clock(device: str):
    """(clock, what it measures) for timing steps: process CPU time on a CPU run with one torch
    thread (other load on a shared machine then does not inflate the figures; on an idle core it
    equals wall time), wall time otherwise (CUDA runs asynchronously; several threads add up CPU time)."""
    import torch

    if device == "cpu" and torch.get_num_threads() == 1:
        return time.process_time, "process CPU time (1 thread: wall time of an idle core, unaffected by other load)"
    return time.perf_counter, "wall time"


def measure_cpu_gemm_flops(n: int = 1024, seconds: float = 0.5) -> float:
    """fp32 FLOP/s of ``torch.mm`` on (n, n) matrices at the current thread count (best of repeated runs)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # warm-up
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * n**3 / (time.perf_counter() - t0))
    return best


def peak_flops(device: str) -> tuple[float | None, str]:
    """(peak FLOP/s, where the figure comes from) for MFU on ``device``."""
    import torch

    if device == "cuda":
        name = torch.cuda.get_device_name(0)
        for key, peak in GPU_PEAK_BF16.items():
            if key in name:
                return peak, f"{key} dense bf16 data-sheet peak {peak / 1e12:.0f} TFLOP/s"
        return None, f"no data-sheet peak known for {name!r}: MFU not reported"
    rate = measure_cpu_gemm_flops()
    return rate, f"measured fp32 torch.mm 1024^3 at {torch.get_num_threads()} thread(s): {rate / 1e9:.1f} GFLOP/s"


def mfu(model_flops: float, seconds: float, peak: float | None) -> float | None:
    """Model FLOPs utilisation: achieved model FLOP/s over the peak (None without a peak)."""
    if peak is None or seconds <= 0:
        return None
    return model_flops / seconds / peak


class PeakMemory:
    """``with PeakMemory(device) as pm: ...`` then ``pm.peak_mib``: the run's peak memory.

    CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats`` (all allocated
    tensors, the weights included: what must fit on the GPU).
    CPU: resident-set high-water mark (``VmHWM``) reset through ``/proc/self/clear_refs``, minus the
    resident set at the start (the whole process: model, activations, optimizer state, allocator slack).
    That growth can be 0 when the allocator reuses memory freed earlier, so ``absolute=True`` gives the
    high-water mark itself (the whole process, weights included: the CPU counterpart of the CUDA figure).
    """

    def __init__(self, device: str = "cpu", *, absolute: bool = False):
        self.device, self.peak_mib, self.how, self.absolute = device, None, "", absolute

    @staticmethod
    def _status_kib(key: str) -> int | None:
        try:
            for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def __enter__(self):
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._start = torch.cuda.memory_allocated()
            self.how = "CUDA max_memory_allocated (weights included)"
            return self
        try:
            Path("/proc/self/clear_refs").write_text("5", encoding="utf-8")
            self.how = "CPU VmHWM (reset)"
        except OSError:
            self.how = "CPU VmHWM (not resettable here: includes earlier peaks)"
        self.how += "" if self.absolute else " - VmRSS at start"
        self._start = self._status_kib("VmRSS")
        return self

    def __exit__(self, *exc):
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()
            self.peak_mib = torch.cuda.max_memory_allocated() / 2**20  # absolute: weights included
        else:
            hwm = self._status_kib("VmHWM")
            if hwm is None or self._start is None:
                self.peak_mib = None
            else:
                self.peak_mib = (hwm if self.absolute else max(0, hwm - self._start)) / 1024
        return False
