"""LLaVA-SLT's ablation and qualitative tables in the paper's layout (notebook 08).

* Tables 6, 7, 8 (LLM pretraining, visual pretraining, visual language tuning; CSL-Daily in the paper):
  every paper row beside the variant of ours that runs it (:data:`~.paper_numbers.VARIANT_OF_ROW`), with
  its difference to our main model and the paired-bootstrap p-value; rows that cannot run here say why.
* Table 5 (qualitative comparison with the strongest other system) and Table 9 (prompting strategies):
  test clips picked by the stated rule of the small-VLM paper's examples -- best, median and worst by
  sentence BLEU of our main model (:func:`slt_nb.analysis.qualitative.pick_examples`) -- never by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..report.tables import TableMeta, write_table
from .report import ablation_table, score

PROMPTING = {"no_prompting": "w/o prompting (normal prompt)", "task_prompt_only": "+ task prompt", "main": "+ task + format prompt (ours)"}  # Tab. 9 order


def paper_layout_table(ablations: pd.DataFrame, table: str) -> pd.DataFrame:
    """One of the paper's ablation tables (``"Tab. 6"``, ``"Tab. 7"``, ``"Tab. 8"``) row by row, our variant's
    scores (from :func:`~.report.ablation_table`) beside the paper's; a row with no variant of ours says why
    (:data:`~.paper_numbers.NOT_RUN`), a row whose variant is not configured says so."""
    from .paper_numbers import NOT_RUN, PAPER_TABLES, ROW_NOTES, VARIANT_OF_ROW

    ours = {r["Variant"]: r for r in ablations.to_dict("records")}
    rows = []
    for paper_row in PAPER_TABLES[table]:
        row, method, (b1, b4, rg) = paper_row[0], paper_row[1], paper_row[-3:]
        variant = VARIANT_OF_ROW[table][row]
        got = ours.get(variant) if variant else None
        missing = NOT_RUN.get((table, row)) or f"not run: variant {variant!r} is not in llava_ablations"
        note = "; ".join(n for n in ("" if got else missing, ROW_NOTES.get((table, row), "")) if n)
        rows.append({"Row": row, "Method (paper)": method, "Ours": variant if got else "—",
                     **{c: (got[c] if got else None) for c in ("BLEU-1", "BLEU-4", "ROUGE-L", "dBLEU-4", "p (BLEU-4)")},
                     "Paper BLEU-1": b1, "Paper BLEU-4": b4, "Paper ROUGE-L": rg, "Note": note})
    return pd.DataFrame(rows)


def strongest_other(others: dict[str, list[dict]], dataset: str) -> str | None:
    """The other system with the highest BLEU-4 (the baseline only when there is no other; None if none)."""
    scored = {name: score(recs, dataset)["BLEU-4"] for name, recs in others.items() if name != "baseline"}
    if scored:
        return max(sorted(scored), key=lambda n: scored[n])
    return "baseline" if "baseline" in others else None


def write_ablation_tables(variants: dict[str, list[dict]], dataset: str, label: str, tables_dir: str | Path, *, provenance: dict) -> list[str]:
    """``llava_slt_ablations_<ds>`` (every variant, with paired-bootstrap p against main) and the paper-layout
    ``llava_slt_table{6,7,8}_<ds>``; returns the table names written. ``variants``: {variant: test prediction rows}."""
    from .paper_numbers import ABLATION_ROWS, ablation_table as paper_ablations

    abl = ablation_table(variants, dataset, ABLATION_ROWS)
    signature = score(variants["main"], dataset)["signature"]
    common = ["dBLEU-4: variant minus main; p: paired bootstrap (sacrebleu's recipe), 1000 resamples of the test sentences."]
    names = [f"llava_slt_ablations_{dataset}"]
    write_table(abl, TableMeta(name=names[0], caption=f"LLaVA-SLT: every variant on {label} (test split)", paper_ref="LLaVA-SLT Tab. 6-8",
                               signature=signature, notes=common + ["shuffled_video: the main model decoding another clip's video (the LLM prior alone)."],
                               **provenance), tables_dir, paper=paper_ablations())
    titles = {"Tab. 6": "LLM pretraining ablation (data, model size, base model)", "Tab. 7": "visual pretraining ablation (encoder, data, text supervisor)",
              "Tab. 8": "visual language tuning ablation"}
    for table, title in titles.items():
        name = f"llava_slt_table{table[-1]}_{dataset}"
        write_table(paper_layout_table(abl, table), TableMeta(
            name=name, caption=f"LLaVA-SLT {table}: {title}; ours on {label} (test) beside the paper's (CSL-Daily, 7B)", paper_ref=f"LLaVA-SLT {table}",
            signature=signature, notes=common + ["Paper columns: the paper's CSL-Daily rows as printed; ours run at our sizes on this dataset."], **provenance),
            tables_dir)
        names.append(name)
    return names


def write_qualitative_tables(main: list[dict], others: dict[str, list[dict]], variants: dict[str, list[dict]], dataset: str, label: str,
                             tables_dir: str | Path, *, provenance: dict, k: int = 1) -> list[str]:
    """Table 5 (ours vs the strongest other system, :func:`strongest_other`) and Table 9 (the prompting variants
    present in ``variants``) on the same picked clips; returns the table names written."""
    from ..analysis import SELECTION_RULE
    from ..metrics.predictions import parse_predictions
    from ..metrics.text import lang_of_dataset
    from ..report.bias_tables import qualitative_table

    lang, names = lang_of_dataset(dataset), []
    rule = f"picked by rule: {SELECTION_RULE} (k={k}), sentence BLEU of our main model"
    best = strongest_other(others, dataset)
    if best is not None:
        df = qualitative_table({"LLaVA-SLT (ours)": parse_predictions(main), best: parse_predictions(others[best])}, lang=lang, k=k,
                               primary="LLaVA-SLT (ours)", include_baseline=True)
        names.append(f"llava_slt_table5_qualitative_{dataset}")
        write_table(df, TableMeta(name=names[-1], caption=f"LLaVA-SLT Tab. 5 layout: ours vs the strongest other system ({best}), {label} test",
                                  paper_ref="LLaVA-SLT Tab. 5", signature=rule,
                                  notes=["The paper compares with GFSLT-VLP-SignCL on CSL-Daily; here the strongest other system run on this dataset."],
                                  **provenance), tables_dir)
    prompting = {PROMPTING[v]: parse_predictions(variants[v]) for v in PROMPTING if v in variants}
    if len(prompting) > 1:
        df = qualitative_table(prompting, lang=lang, k=k, primary=PROMPTING["main"], include_baseline=True)
        names.append(f"llava_slt_table9_prompting_{dataset}")
        write_table(df, TableMeta(name=names[-1], caption=f"LLaVA-SLT Tab. 9 layout: prompting strategies on the same clips, {label} test",
                                  paper_ref="LLaVA-SLT Tab. 9", signature=rule, **provenance), tables_dir)
    return names
