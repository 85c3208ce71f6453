"""What each notebook parameter may be: ranges, allowed values, and the types a ``None`` default takes.

A parameter's **type** comes from its default in the notebooks' ``parameters`` cells (int, float, str,
bool, list, dict, at every nesting level; :func:`slt_nb.params_check.derive`); :data:`RULES` adds, per
parameter name, a JSON Schema fragment (https://json-schema.org, draft 2020-12, checked with the
``jsonschema`` package) that is merged into it:

* a range or a set of allowed values (``minimum``, ``exclusiveMinimum``, ``enum``, ``items``, ...);
* the type of a parameter whose default is ``None`` (``"type": ["array", "null"]``), or a type that
  widens the default's (``["integer", "null"]`` for ``ft_cpu_threads = 1``: None is allowed too);
* ``"$derive": False`` (at any level): the rule alone gives the type there (one value or one per family);
* ``"$closed": True``: every mapping of the default is a fixed set of fields (a config dataclass): other
  keys are an error; ``{"$param": NAME}``: the whole schema of parameter NAME (a variant overrides it);
* ``"description"``: what is allowed, in words, when the schema alone would read badly.

:data:`RELATIONS` checks what one parameter allows given another (an ablation cell names a size of
``abl_sizes``). ``tests/test_params_check.py`` checks that every rule names a parameter some notebook
declares, that every default passes, and that the enumerations agree with the code that consumes them.
"""

from __future__ import annotations

from .data.manifest import DATASETS, SPLITS
from .data.populations import POPULATION_PATTERN
from .llava_slt.config import PARTS as LLAVA_PARTS
from .models.registry import FAMILIES
from .train.device import PRECISIONS
from .train.strategy import STRATEGIES

# ---- building blocks -----------------------------------------------------------------------------
POS_INT = {"type": "integer", "minimum": 1}
NONNEG_INT = {"type": "integer", "minimum": 0}
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
NONNEG = {"type": "number", "minimum": 0}
PROB = {"type": "number", "minimum": 0, "maximum": 1}
TEXT = {"type": "string", "minLength": 1}
SPLIT = {"enum": list(SPLITS)}
DATASET = {"enum": list(DATASETS)}
FAMILY = {"enum": list(FAMILIES)}
STR_LIST = {"type": "array", "items": TEXT}
POPULATION = {"type": "string", "pattern": POPULATION_PATTERN,  # slt_nb.data.populations
              "description": "a population: 'train', 'dev', 'test' or several joined by '+' ('train+dev'), 'all' (every split) or 'release' (before the paper's cleaning)"}


def nullable(schema: dict) -> dict:
    """``schema`` that also takes None (its ``type`` list gains "null")."""
    t = schema.get("type")
    return {**schema, "type": [*(t if isinstance(t, list) else [t]), "null"]} if t else {"anyOf": [{"type": "null"}, schema]}


def per_family(schema: dict) -> dict:
    """One value for every family, or {family: value} (``slt_nb.train.run.per_family``)."""
    return {"$derive": False, "anyOf": [schema, {"type": "object", "propertyNames": FAMILY, "minProperties": 1, "additionalProperties": schema}]}


# transformers' SchedulerType and OptimizerNames (4.57; the test compares them with the installed transformers)
LR_SCHEDULERS = ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
                 "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay"]
OPTIMIZERS = ["adamw_torch", "adamw_torch_fused", "adamw_torch_xla", "adamw_torch_npu_fused", "adamw_apex_fused", "adafactor",
              "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit", "ademamix", "sgd", "adagrad", "adamw_bnb_8bit",
              "adamw_8bit", "ademamix_8bit", "lion_8bit", "lion_32bit", "paged_adamw_32bit", "paged_adamw_8bit",
              "paged_ademamix_32bit", "paged_ademamix_8bit", "paged_lion_32bit", "paged_lion_8bit", "rmsprop", "rmsprop_bnb",
              "rmsprop_bnb_8bit", "rmsprop_bnb_32bit", "galore_adamw", "galore_adamw_8bit", "galore_adafactor",
              "galore_adamw_layerwise", "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise", "lomo", "adalomo", "grokadamw",
              "schedule_free_radam", "schedule_free_adamw", "schedule_free_sgd", "apollo_adamw", "apollo_adamw_layerwise", "stable_adamw"]
ATTENTION = ["auto", "eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention"]
BOOT_METRICS = ["bleu1", "bleu2", "bleu3", "bleu4", "rougeL"]  # slt_nb.metrics.bootstrap.METRICS
TAGGER = {"type": "string", "pattern": r"^(hanta|spacy-en|flair(:.+)?)$",
          "description": "'hanta', 'spacy-en', 'flair' or 'flair:<hub id or path>' (slt_nb.metrics.pger)"}
BASE_SPEC = {"type": "object", "additionalProperties": False, "properties": {  # slt_nb.standins.pretrain.BaseSpec
    "reps": NONNEG_INT, "vision_epochs": NONNEG_INT, "vision_lr": POSITIVE, "vision_batch": POS_INT, "vision_t_max": POS_INT,
    "text_steps": NONNEG_INT, "text_lr": POSITIVE, "text_batch": POS_INT, "vocab_size": POS_INT}}

# LLaVA-SLT (slt_nb.llava_slt.config): TrainConfig wherever a stage trains
TRAIN = {"properties": {"epochs": POS_INT, "batch_size": POS_INT, "lr": POSITIVE, "weight_decay": NONNEG, "pct_start": PROB,
                        "grad_clip": POSITIVE, "micro_batch_size": nullable(POS_INT), "gradient_checkpointing": {"type": "boolean"},
                        "backbone_chunk": nullable(POS_INT)}}
LORA = nullable({"type": "object", "required": ["r", "alpha"], "additionalProperties": False,
                 "properties": {"r": POS_INT, "alpha": POSITIVE, "dropout": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                                "target_modules": STR_LIST}})
AUGMENT = nullable({"type": "object", "additionalProperties": False,  # slt_nb.llava_slt.frames.AUGMENT_KEYS
                    "properties": {"random_crop": {"type": "boolean"}, "color_jitter": NONNEG, "rotation": NONNEG, "hflip": PROB}})
LLAVA_LLM = {"$closed": True, "properties": {
    "id": TEXT, "arch": {"enum": ["llama", "qwen2"]}, "hidden": POS_INT, "layers": POS_INT, "heads": POS_INT, "intermediate": POS_INT,
    "vocab_size": POS_INT, "lora": LORA, "dtype": {"enum": ["float32", "bfloat16", "float16"]}}}
LLAVA_STAGE1 = {"$closed": True, "properties": {"corpus": nullable(TEXT), "train": TRAIN}}
LLAVA_STAGE2 = {"$closed": True, "properties": {
    "encoder": {"properties": {
        "backbone": TEXT, "lora": LORA, "frame_size": POS_INT, "crop": {"enum": ["none", "center"]}, "resize": nullable(POS_INT),
        "augment": AUGMENT, "dim": POS_INT, "heads": POS_INT, "mlp_ratio": POS_INT, "local_depth": NONNEG_INT, "local_radius": NONNEG_INT,
        "downsample": POS_INT, "sentence_depth": POS_INT, "coembed_dim": POS_INT, "dropout": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "vit": {"properties": {"hidden": POS_INT, "layers": POS_INT, "heads": POS_INT, "patch": POS_INT, "mlp_ratio": POS_INT,
                               "image_size": nullable(POS_INT)}}}},
    "text": {"properties": {"kind": {"enum": ["bow", "hf"]}, "id": nullable(TEXT), "dim": POS_INT, "ngrams": POS_INT}},
    "signcl": {"properties": {"weight": NONNEG, "max_distance": POSITIVE, "margin": {"$derive": False, "anyOf": [NONNEG_INT, {"const": "dynamic"}]},
                              "n_pos": POS_INT, "n_neg": NONNEG_INT, "on": {"enum": ["word_frames", "words"]}, "scale": {"enum": ["mean", "reference"]}}},
    "train": TRAIN, "backbone_from": nullable(TEXT)}}
LLAVA_STAGE3 = {"$closed": True, "properties": {
    "encoder_variant": TEXT, "llm_variant": TEXT, "connector": {"enum": ["mlp", "linear"]}, "features": {"enum": ["word", "sentence"]},
    "prompting": {"enum": ["full", "task", "none"]}, "train": TRAIN, "full_tune": {"type": ["object", "null"], **TRAIN},
    "full_tune_parts": {"items": {"enum": ["connector", "llm", "temporal", "backbone"]}, "uniqueItems": True},
    "max_new_tokens": POS_INT, "patience": nullable(POS_INT)}}

# ---- the table -----------------------------------------------------------------------------------
RULES: dict[str, dict] = {
    # shared
    "seed": NONNEG_INT,
    "manifest_dir": TEXT, "results_dir": TEXT, "ft_runs_dir": TEXT, "llava_run_dir": TEXT,
    # 01_data_prep
    "datasets": {"minItems": 1, "items": {"type": "object", "required": ["name", "root"], "additionalProperties": False,
                                          "properties": {"name": DATASET, "root": TEXT, "label": TEXT,
                                                         "synth": nullable({"type": "object"}), "options": nullable({"type": "object"})}}},
    # 02_frame_statistics
    "stats_split": SPLIT,
    "table2_populations": {"propertyNames": DATASET, "additionalProperties": POPULATION},
    "table6_populations": {"propertyNames": DATASET, "additionalProperties": POPULATION},
    "t_max": POS_INT,
    "long_threshold": NONNEG_INT,
    "rare_below": POS_INT,
    "frequent_above": NONNEG_INT,
    "tokenizers": {"propertyNames": DATASET, "additionalProperties": {"enum": ["words", "chars"]}},
    # 03_finetune / 04_ablations
    "ft_families": {"minItems": 1, "uniqueItems": True, "items": FAMILY},
    "ft_models": {"propertyNames": FAMILY, "minProperties": 1, "additionalProperties": TEXT},
    "ft_datasets": nullable({"type": "array", "minItems": 1, "items": DATASET}),
    "ft_epochs": {"type": "number", "exclusiveMinimum": 0},  # fractional epochs are the Trainer's (RunConfig.epochs: float)
    "ft_learning_rate": per_family(POSITIVE),
    "ft_lr_scheduler": per_family({"enum": LR_SCHEDULERS}),
    "ft_optimizer": per_family({"enum": OPTIMIZERS}),
    "ft_batch_size": per_family(POS_INT),
    "ft_grad_accumulation": per_family(POS_INT),
    "ft_lora_r": per_family(POS_INT),
    "ft_lora_alpha": per_family(POSITIVE),
    "ft_lora_dropout": per_family({"type": "number", "minimum": 0, "exclusiveMaximum": 1}),
    "ft_warmup_ratio": per_family(PROB),
    "ft_weight_decay": per_family(NONNEG),
    "ft_precision": per_family({"enum": [*PRECISIONS, "bf16"]}),
    "ft_attn_implementation": per_family({"enum": ATTENTION}),
    "ft_gradient_checkpointing": per_family({"enum": ["auto", True, False]}),
    "gen_max_new_tokens": POS_INT,
    "gen_batch_size": POS_INT,
    "ft_save_steps": POS_INT,
    "ft_save_total_limit": POS_INT,
    "ft_logging_steps": POS_INT,
    "ft_base_pretraining": BASE_SPEC,
    "ft_cpu_threads": nullable(POS_INT),
    "ft_jobs": POS_INT,
    "abl_dataset": DATASET,
    "abl_epochs": {"type": "number", "exclusiveMinimum": 0},
    "abl_sizes": {"minProperties": 1, "additionalProperties": TEXT},
    "abl_cells": {"items": {"type": "array", "minItems": 2, "maxItems": 2, "prefixItems": [TEXT, {"enum": list(STRATEGIES)}]}},
    "abl_sequential_split": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "abl_frame_budgets": {"minItems": 1, "items": POS_INT},
    "abl_only": {"type": ["string", "array", "null"], "minLength": 1, "items": TEXT},
    # 05_metrics / 06_vocabulary_bias
    "metric_models": nullable(STR_LIST),
    "metric_datasets": nullable({"type": "array", "items": DATASET}),
    "metric_exclude": STR_LIST,
    "tagger": TAGGER,
    "embedder": nullable(TEXT),
    "semantic_splits": {"items": SPLIT, "uniqueItems": True},
    "test_split": SPLIT,
    "n_boot": POS_INT,
    "bootstrap_seed": NONNEG_INT,
    "significance_metrics": {"minItems": 1, "items": {"enum": BOOT_METRICS}},
    "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "bias_split": SPLIT,
    "train_split": SPLIT,
    "bias_models": nullable(STR_LIST),
    "bias_datasets": nullable({"type": "array", "items": DATASET}),
    "primary_model": nullable(TEXT),
    "table7_k": POS_INT, "appendix_k": POS_INT, "noun_phrase_k": POS_INT, "top_n": POS_INT, "plot_top": POS_INT,
    # 07_llava_slt_pretrain / 08_llava_slt_tuning
    "llava_datasets": nullable({"type": "array", "minItems": 1, "uniqueItems": True, "items": DATASET}),
    "llava_t_max": POS_INT,
    "llava_cpu_threads": nullable(POS_INT),
    "llava_jobs": POS_INT,
    "llava_llm": LLAVA_LLM,
    "llava_stage1": LLAVA_STAGE1,
    "llava_stage2": LLAVA_STAGE2,
    "llava_stage3": LLAVA_STAGE3,
    "llava_encoder_variants": {"additionalProperties": {"$param": "llava_stage2"}},
    "llava_llm_variants": {"additionalProperties": {"type": "object", "additionalProperties": False,
                                                    "properties": {"llm": {"$param": "llava_llm"}, "stage1": {"$param": "llava_stage1"}}}},
    "llava_ablations": {"additionalProperties": {"$param": "llava_stage3"}},
    "llava_ablation_datasets": nullable({"type": "array", "items": DATASET}),
    "llava_precision": {"enum": list(PRECISIONS)},
    "llava_per_dataset": {"propertyNames": DATASET, "additionalProperties": {
        "type": "object", "propertyNames": {"enum": list(LLAVA_PARTS)},
        "properties": {"llm": {"$param": "llava_llm"}, "stage1": {"$param": "llava_stage1"},
                       "stage2": {"$param": "llava_stage2"}, "stage3": {"$param": "llava_stage3"}}}},
    "llava_model_name": {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]+$", "description": "a file-name-safe model name (letters, digits, _ . -)"},
    "llava_eval_splits": {"minItems": 1, "uniqueItems": True, "items": SPLIT},
}


# ---- relations between parameters ----------------------------------------------------------------
def _abl_cell_sizes(v: dict):
    sizes = v.get("abl_sizes")
    for i, cell in enumerate(v.get("abl_cells") or []):
        if isinstance(sizes, dict) and cell and cell[0] not in sizes:
            yield "abl_cells", f"[{i}][0]", cell[0], f"one of the sizes of abl_sizes: {sorted(sizes)}"


def _llava_variants(v: dict):
    encoders = {"main", *(v.get("llava_encoder_variants") or {})}
    llms = {"main", *(v.get("llava_llm_variants") or {})}
    tunings = {"": v.get("llava_stage3") or {}, **{f".{k}": t for k, t in (v.get("llava_ablations") or {}).items()}}
    for path, tuning in tunings.items():
        name = "llava_stage3" if not path else "llava_ablations"
        for key, known in (("encoder_variant", encoders), ("llm_variant", llms)):
            if isinstance(tuning, dict) and key in tuning and tuning[key] not in known:
                yield name, f"{path}.{key}", tuning[key], f"'main' or a variant of llava_{key.split('_')[0]}_variants: {sorted(known - {'main'})}"
    for name, variant in (v.get("llava_encoder_variants") or {}).items():
        src = variant.get("backbone_from") if isinstance(variant, dict) else None
        if src is not None and src not in encoders:
            yield "llava_encoder_variants", f".{name}.backbone_from", src, f"'main' or another encoder variant: {sorted(encoders - {'main'})}"


USES_DATASETS = ("ft_datasets", "abl_dataset", "metric_datasets", "bias_datasets", "llava_datasets", "llava_ablation_datasets")


def _prepared_datasets(v: dict):
    prepared = [d.get("name") for d in v.get("datasets") or [] if isinstance(d, dict)]
    for name in USES_DATASETS:
        value = v.get(name)
        for i, ds in enumerate([value] if isinstance(value, str) else value or []):
            if ds not in prepared:
                yield name, "" if isinstance(value, str) else f"[{i}]", ds, f"a dataset that 01_data_prep prepares (datasets: {prepared})"


# (parameters it reads, check(effective values) -> (parameter, path within it, value, what is allowed) ...)
RELATIONS = [
    (("datasets",), _prepared_datasets),
    (("abl_cells", "abl_sizes"), _abl_cell_sizes),
    (("llava_stage3", "llava_ablations", "llava_encoder_variants", "llava_llm_variants"), _llava_variants),
]
