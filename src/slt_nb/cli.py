"""The ``slt-nb`` command line (also ``python -m slt_nb``): argument parsing only; each command calls one function.

Bad input exits non-zero with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import SLTInputError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


SYNTH_SIZES = ("n_train", "n_dev", "n_test", "width", "height", "n_signers")
SYNTH_ISIGN = ("n_no_signer", "n_invalid_text")
SYNTH_LANGS = ("de", "en", "en-news", "en-in", "zh")  # slt_nb.synth.grammar.LANGS, spelt out: the parser imports no numpy (a test checks)


def cmd_synth(args) -> int:
    from .synth import generate

    sizes = {k: getattr(args, k) for k in (*SYNTH_SIZES, *SYNTH_ISIGN) if getattr(args, k) is not None}
    root = generate(args.out, fmt=args.format, lang=args.lang, seed=args.seed, **sizes)
    print(root)
    return 0


def cmd_stats(args) -> int:
    from .data.loaders import load_dataset
    from .data.manifest import normalise_split
    from .data.stats import dataset_stats
    from .report.stats_tables import tokenizer_for

    split = normalise_split(args.split)
    result = load_dataset(args.dataset, args.root, splits=(split,), strict=args.strict)
    for note in result.notes:  # the loader's notes and drop report, on stderr: stdout stays one JSON object
        print(f"slt-nb stats: note: {note}", file=sys.stderr)
    samples = [s for s in result.samples if s.split == split]
    if not samples:
        raise SLTInputError(f"no samples in split {split!r}", file=args.root)
    out = dataset_stats(samples, tokenizer=tokenizer_for(args.dataset), t_max=args.t_max)
    out.update({"dataset": args.dataset, "split": split})
    if args.decode:  # every failing clip on its own line, then one error: before a long run, not mid-run
        from .data.decode_check import require_decodable

        out["decoded"] = require_decodable(samples, frames=args.decode, t_max=args.t_max, echo=lambda line: print(f"slt-nb stats: cannot decode: {line}", file=sys.stderr))
    out["dropped"] = result.drops.counts
    print(json.dumps(out, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_sample_frames(args) -> int:
    from .data.frames import sample_indices

    print(json.dumps(sample_indices(args.total, args.max)))
    return 0


def cmd_score(args) -> int:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models load from local paths / pip packages only
    from .metrics.applicable import for_output
    from .metrics.score import score_file

    out = score_file(args.predictions, tagger=args.tagger, embedder=args.embedder, lang=args.lang, ci=args.ci, n_boot=args.n_boot, seed=args.seed)
    print(json.dumps(for_output(out), ensure_ascii=False, sort_keys=True))  # a metric without a value: "n/a", its reason under not_applicable
    return 0


def cmd_translate(args) -> int:
    from .translate import translate_clip

    print(translate_clip(args.clip, args.checkpoint, t_max=args.t_max, dataset=args.dataset, max_new_tokens=args.max_new_tokens))
    return 0


def cmd_reproduce(args) -> int:
    from .params import parse_yaml
    from .runner import reproduce

    sets = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SLTInputError(f"--set expects KEY=VALUE, got {item!r}", hint="e.g. --set 'abl_only=[table8-500M-lm_only]'")
        sets[key.strip()] = parse_yaml(value, what=f"YAML value in --set {item}")  # one line, duplicate keys refused
    import time

    from .paths import project_root, resolve
    from .ownership import results_dir_of

    t0 = time.perf_counter()
    reproduce(args.params, args.only, jobs=args.jobs, set_params=sets, share_gpu=args.share_gpu, cpu_slots=args.cpu_slots)  # one line per notebook as it ends
    index = results_dir_of(args.params, sets) / "README.md"
    shown = index.relative_to(project_root()) if index.is_relative_to(project_root()) else index
    print(f"slt-nb reproduce: done in {time.perf_counter() - t0:.0f} s; results: {shown}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .data.manifest import DATASETS

    p = argparse.ArgumentParser(prog="slt-nb", description="Reproducible sign language translation notebooks.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="generate the embedded synthetic sign-language corpus in a real dataset format")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--format", required=True, choices=list(DATASETS), help="on-disk format to write (the dataset's loader reads it)")
    s.add_argument("--lang", default=None, choices=SYNTH_LANGS, help="lexicon of the translations (default: the format's own: "
                   "phoenix de, how2sign en, openasl en-news, isign en-in, csl-daily zh)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    for name in SYNTH_SIZES:
        s.add_argument(f"--{name.replace('_', '-')}", dest=name, type=_positive_int, default=None, help=f"{name.replace('_', ' ')} (default: the synth config's)")
    for name in SYNTH_ISIGN:
        s.add_argument(f"--{name.replace('_', '-')}", dest=name, type=_count, default=None,
                       help=f"isign only: {name.replace('n_', 'rows with ').replace('_', ' ')} that its cleaning drops (default: 2%% of the rows, at least 1)")
    s.set_defaults(func=cmd_synth)

    s = sub.add_parser("stats", help="print the Table 2 and Table 6 figures of a dataset as JSON")
    s.add_argument("--dataset", required=True, choices=list(DATASETS))
    s.add_argument("--root", required=True, help="dataset root folder (the released tree)")
    s.add_argument("--split", default="train", help="split to count (default train, as in the paper)")
    s.add_argument("--t-max", dest="t_max", type=_positive_int, default=64, help="frame budget for over_t_max (default 64, Sec 4.3)")
    s.add_argument("--strict", action="store_true", help="fail on rows the field drops (missing clips, segments past the end) and on control characters in a text, instead of dropping/cleaning and counting them")
    s.add_argument("--decode", nargs="?", const="sampled", choices=["sampled", "all"], default=None,
                   help="also decode the clips and list every one that fails (file, row, reason; exit 2): 'sampled' (the default "
                        "for a bare --decode) decodes the frames the sampler picks at --t-max, what a run with that T_max reads; "
                        "'all' decodes every frame. Run it before a long run.")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("sample-frames", help="print the paper's sampled frame indices (Sec 3.3) as a JSON list")
    s.add_argument("--total", required=True, type=_positive_int, help="frames in the clip (T)")
    s.add_argument("--max", required=True, type=_positive_int, help="frame budget (T_max)")
    s.set_defaults(func=cmd_sample_frames)

    s = sub.add_parser(
        "score",
        help="score a predictions JSONL: BLEU-1..4, ROUGE-L, TSR, PGER (+ signatures) as one JSON object",
        description="Ranges: BLEU-1..4 in [0, 100]; ROUGE-L, TSR, PGER in [0, 1] (float round-off past a bound is clamped). "
        "Limit: a prediction or reference longer than 5,000 characters is refused (slt_nb.metrics.limits); TSR's memory "
        "is bounded (32 MB similarity blocks); the POS tagger sees 1,000 tokens at a time and words of at most 64 characters "
        "(longer ones shortened, counted in counts).",
    )
    s.add_argument("--predictions", required=True, help="JSONL with at least id, reference, prediction per line")
    s.add_argument("--tagger", default="hanta", help="POS tagger for PGER: hanta (default, offline) | flair | flair:/path.pt | spacy-en | none")
    s.add_argument("--embedder", default=None, help="sentence-transformers model name or path for TSR (default: packaged all-MiniLM-L6-v2) | none")
    s.add_argument("--lang", choices=["de", "en", "zh"], default=None, help="language (default: from the dataset field)")
    s.add_argument("--ci", action="store_true", help="add 95%% bootstrap confidence intervals")
    s.add_argument("--n-boot", dest="n_boot", type=_positive_int, default=1000, help="bootstrap resamples (default 1000)")
    s.add_argument("--seed", type=int, default=12345, help="bootstrap seed (default 12345)")
    s.set_defaults(func=cmd_score)

    s = sub.add_parser("translate", help="translate your own clip (video file or frame folder) with a fine-tuned checkpoint")
    s.add_argument("clip", metavar="VIDEO_OR_FRAME_DIR", help="a video file (mp4/avi/mov/mkv/webm) or a folder of frame images")
    s.add_argument("--checkpoint", required=True, help="a fine-tuning run dir (runs/<hash>/ with run.json and the adapter)")
    s.add_argument("--t-max", dest="t_max", type=_positive_int, default=None, help="frame budget T_max (default: the run's, from run.json; else 64, Sec 4.3)")
    s.add_argument("--dataset", choices=list(DATASETS), default=None, help="use this dataset's prompt (Table 16; default: the run's)")
    s.add_argument("--max-new-tokens", dest="max_new_tokens", type=_positive_int, default=128, help="generation length limit (default 128, Sec 4.3)")
    s.set_defaults(func=cmd_translate)

    s = sub.add_parser("reproduce", help="execute the notebooks headlessly with papermill and rebuild results/")
    s.add_argument("--params", default="params/default.yaml", help="YAML params file (default: params/default.yaml, the embedded default)")
    s.add_argument("--only", nargs="+", default=None, metavar="NOTEBOOK", help="run only these notebooks (e.g. 01_data_prep or data_prep)")
    s.add_argument("--jobs", type=_positive_int, default=1, help="notebooks run at once, each after the notebooks it reads from (default 1)")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override one parameter (YAML value) on top of --params; repeatable")
    s.add_argument("--share-gpu", action="store_true", help="let notebooks that train on the GPU run at the same time on one GPU (default: one per GPU)")
    s.add_argument("--cpu-slots", dest="cpu_slots", type=_count, default=None, metavar="N",
                   help="at most N training runs / prediction passes / LLaVA-SLT stages compute at once across the notebooks "
                        "(default: the CPU cores when --jobs > 1 and nothing trains on a GPU; 0: no limit)")
    s.set_defaults(func=cmd_reproduce)
    return p


def main(argv: list[str] | None = None) -> int:
    from .workers import Terminated, stop_on_sigterm

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        stop_on_sigterm()
        return args.func(args)
    except SLTInputError as exc:
        print(f"slt-nb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unreadable/unwritable paths: one line naming the file, not a traceback
        print(f"slt-nb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): the workers were stopped; one line, no traceback
        print(f"slt-nb {args.command}: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
