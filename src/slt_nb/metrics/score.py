"""Score one predictions file: every metric of the paper plus the signatures.

``score_file(path)`` -> ``{"bleu1".."bleu4", "rougeL", "tsr", "tsr_recall", "pger", "n",
"signatures": {metric: str}, ...}``. Scales: BLEU 0..100 (sacrebleu), ROUGE-L, TSR and PGER
0..1 (the paper prints ROUGE-L ×100 in Table 3 and TSR/PGER as fractions in Tables 4–5).

Language: ``lang`` if given, else from the records' ``dataset`` field (phoenix→de,
how2sign/openasl/isign→en, csl-daily→zh), else from the file name
``<model>.<dataset>.<split>.jsonl``; mixed languages in one file are an error.
Ranges: every value is inside its metric's stated range (:mod:`.ranges`: round-off past a bound is
clamped, anything further is a bug and raises). Limits: a prediction or reference longer than
:data:`~.limits.MAX_SENTENCE_CHARS` characters (5,000) is refused with an
:class:`~slt_nb.errors.SLTInputError` naming the file, line and sample, before any metric runs.

``tagger=None``/``"none"`` skips PGER and ``embedder="none"`` skips TSR (their values are then
None and their signatures say ``skipped``). PGER for Chinese is undefined (the small-VLM paper defines
it on the German and English of its datasets, :data:`.pger.UNDEFINED_LANGS`), and a tagger may have no
model for the language: PGER is then None, ``not_applicable["pger"]`` says why, its signature says
``status:n/a`` (undefined) or ``status:unavailable`` (tagger) with the reason, and every report prints
"n/a" (:mod:`.applicable`).

The paper's models are named by hub id (``tagger="flair:flair/upos-multi"``,
``embedder="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"``) and read from the local
Hugging Face cache; ``fallback=True`` lets the offline stand-ins score when they cannot be loaded (a
warning, and signatures that say ``fallback:``), ``trust_flair_pickle=True`` lets flair's unrestricted
unpickler load a FLAIR file the restricted loader refuses (see :mod:`.hub_models`, :mod:`.flair_pickle`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SLTInputError
from ..report.signature import signature
from .bleu import corpus_bleu
from .bootstrap import DEFAULT_N, DEFAULT_SEED, bootstrap_ci
from .limits import check_lengths
from .pger import DEFAULT_TAGGER, PGERUndefined, TaggerLanguageUnsupported, get_tagger, pger
from .predictions import Prediction, common_value, read_predictions
from .rouge import rouge_l
from .text import DATASET_LANG, check_lang, lang_of_dataset
from .tsr import get_embedder, translation_soft_recall

KEYS = ("bleu1", "bleu2", "bleu3", "bleu4", "rougeL", "tsr", "tsr_recall", "pger", "n")


def infer_lang(records: list[Prediction], *, path: str | Path | None = None) -> str:
    datasets = {r.dataset for r in records if r.dataset}
    if datasets:
        langs = {lang_of_dataset(d) for d in datasets}
        if len(langs) > 1:
            raise SLTInputError(f"records mix datasets of different languages {sorted(datasets)}", file=path, hint="score one dataset per file")
        return langs.pop()
    if path is not None:
        parts = Path(path).name.split(".")
        if len(parts) >= 4 and parts[-1] == "jsonl" and parts[-3] in DATASET_LANG:
            return DATASET_LANG[parts[-3]]
    raise SLTInputError(
        "cannot tell the language: no 'dataset' field and the file name is not <model>.<dataset>.<split>.jsonl",
        file=path,
        hint="pass lang= (de, en, zh)",
    )


def score_records(
    records: list[Prediction],
    *,
    lang: str,
    tagger=DEFAULT_TAGGER,
    embedder=None,
    ci: bool = False,
    n_boot: int = DEFAULT_N,
    seed: int | None = DEFAULT_SEED,
    fallback: bool = False,
    trust_flair_pickle: bool = False,
    file: str | Path | None = None,
) -> dict:
    """All metrics for validated records (see the module docstring); ``file``: where they were read, for errors."""
    lang = check_lang(lang)
    hyps = [r.prediction for r in records]
    refs = [r.reference for r in records]
    check_lengths(hyps, refs, ids=[r.id for r in records], lines=[r.line for r in records], file=file)
    out: dict = {}
    sigs: dict[str, str] = {}
    not_applicable: dict[str, str] = {}  # metric -> why it has no value (printed "n/a", .applicable)

    bleu = corpus_bleu(hyps, refs, lang=lang)
    for k in (1, 2, 3, 4):
        out[f"bleu{k}"] = bleu.scores[k]
        sigs[f"bleu{k}"] = bleu.signatures[k]

    rouge = rouge_l(hyps, refs)
    out["rougeL"] = rouge.score
    sigs["rougeL"] = rouge.signature

    counts = {"empty_predictions": sum(1 for h in hyps if not h.strip())}
    if isinstance(embedder, str) and embedder.lower() == "none":
        out["tsr"] = out["tsr_recall"] = None
        sigs["tsr"] = signature(metric="tsr", status="skipped")
        sigs["tsr_recall"] = signature(metric="tsr-recall", status="skipped")
    else:
        t = translation_soft_recall(hyps, refs, embedder=get_embedder(embedder, fallback=fallback))
        out["tsr"], out["tsr_recall"] = t.tsr, t.tsr_recall
        sigs["tsr"], sigs["tsr_recall"] = t.signature_tsr, t.signature_recall
        counts["tsr_scored"] = t.n_scored
        counts["tsr_excluded_empty_reference"] = t.n_excluded_empty_reference

    if tagger is None or (isinstance(tagger, str) and tagger.lower() == "none"):
        out["pger"] = None
        sigs["pger"] = signature(metric="pger", status="skipped")
    else:
        # unknown name / model missing offline (flair, no fallback): an error, not a silent None
        tg = get_tagger(tagger, fallback=fallback, trust_flair_pickle=trust_flair_pickle)
        try:
            p = pger(hyps, refs, tagger=tg, lang=lang)
        except TaggerLanguageUnsupported as exc:  # PGERUndefined (Chinese) or a tagger without the language: "n/a" + reason
            out["pger"] = None
            not_applicable["pger"] = exc.problem
            status = "n/a" if isinstance(exc, PGERUndefined) else "unavailable"
            sigs["pger"] = signature(metric="pger", tagger=tg.name, lang=lang, status=status, reason=exc.problem.replace("|", "/"))
        else:
            out["pger"] = p.score
            sigs["pger"] = p.signature
            counts["pger_scored"] = p.n_scored
            counts["pger_excluded_empty_reference"] = p.n_excluded_empty_reference
            counts["pger_texts_tagged_in_windows"] = p.n_tagged_in_windows
            counts["pger_tokens_shortened_for_tagger"] = p.n_tokens_shortened

    out["n"] = len(records)
    out["signatures"] = sigs
    out["lang"] = lang
    for f in ("dataset", "split", "model", "params_hash"):
        out[f] = common_value(records, f)
    out["counts"] = counts
    out["not_applicable"] = not_applicable
    if ci:
        b = bootstrap_ci(hyps, refs, lang=lang, n=n_boot, seed=seed)
        sigs["ci"] = b.pop("signature")
        out["ci"] = {m: [v["lo"], v["hi"]] for m, v in b.items()}
    return out


def score_file(
    path: str | Path,
    *,
    tagger=DEFAULT_TAGGER,
    embedder=None,
    lang: str | None = None,
    ci: bool = False,
    n_boot: int = DEFAULT_N,
    seed: int | None = DEFAULT_SEED,
    fallback: bool = False,
    trust_flair_pickle: bool = False,
) -> dict:
    """Read and validate ``path`` (a predictions JSONL) and score it; see :func:`score_records`."""
    records = read_predictions(path)
    lang = check_lang(lang) if lang else infer_lang(records, path=path)
    out = score_records(
        records, lang=lang, tagger=tagger, embedder=embedder, ci=ci, n_boot=n_boot, seed=seed, fallback=fallback, trust_flair_pickle=trust_flair_pickle,
        file=path,
    )
    out["file"] = str(path)
    return out
