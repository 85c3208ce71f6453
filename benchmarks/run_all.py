"""`make bench`: every CPU benchmark in turn, each in its own process; prints the tables and the time each took.

    python benchmarks/run_all.py [--only train_step budget] [extra options passed to every benchmark, e.g. --threads 2]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("synth", "data_path", "train_step", "trainer", "oversubscription", "base_stage", "smolvlm_positions", "generation", "llava", "pipeline", "budget")  # budget last: it reads train_step.csv if a CUDA run wrote one


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=ORDER, help="run only these")
    args, extra = p.parse_known_args(argv)
    times = {}
    for name in args.only or ORDER:
        cmd = [sys.executable, os.path.relpath(HERE / f"bench_{name}.py"), *extra]  # relative: the tables' headers name it
        print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        times[name] = time.perf_counter() - t0
        if rc:
            print(f"benchmark {name} failed (exit {rc})", file=sys.stderr)
            return rc
    print("\n" + "\n".join(f"{k:<12} {v:6.1f} s" for k, v in times.items()) + f"\n{'total':<12} {sum(times.values()):6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
