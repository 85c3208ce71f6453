"""Shared command-line options of ``benchmarks/*.py`` and the start-up every benchmark does."""

from __future__ import annotations

import argparse
import logging
import os
import warnings

from . import DEFAULT_OUT
from .corpus import BENCH_DATA


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")),
                   help="torch intra-op threads (env BENCH_THREADS); 1 keeps timings comparable on a shared machine")
    p.add_argument("--seed", type=int, default=0, help="seed of the corpus, model init, LoRA init and sample order")
    p.add_argument("--out", default=DEFAULT_OUT, help="where the CSV + Markdown tables go")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--data", default=BENCH_DATA, help="where the benchmark's synthetic corpus is generated (cached)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def start(args) -> int:
    """Threads and seeds from ``args``; quiet third-party warnings that say nothing about the benchmark. Returns the threads."""
    from .environment import configure

    warnings.filterwarnings("ignore", message=".*fast image processor.*")
    warnings.filterwarnings("ignore", category=FutureWarning)
    logging.getLogger("transformers").setLevel(logging.ERROR)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return configure(args.threads, args.seed)


def out_dir(args):
    return None if args.no_write else args.out
