"""LLaVA-SLT (Liang et al., "LLaVA-SLT: Visual Language Tuning for Sign Language Translation").

Three stages; no public code exists, so the paper text is the specification and every choice it
leaves open is marked "ours" where it is made.

* Stage 1, linguistic continued pretraining (Sec 3.1): :func:`stage1.run_stage1` -- next-token
  training of the LLM (:mod:`llm`: a tiny Llama offline, a hub id on real runs) on gloss-text pairs
  and sentences.
* Stage 2, visual contrastive pretraining (Sec 3.2): :class:`encoder.HierarchicalEncoder`
  (frame [cls] -> local-attention words, downsampled by 4 -> sentence vector), aligned with a frozen
  text encoder (:mod:`text_encoder`: mBART by hub id, or the offline bag-of-n-grams stand-in) by
  :func:`losses.clip_loss` + lambda * :func:`losses.signcl_loss`; :func:`stage2.run_stage2`.
* Stage 3, visual language tuning (Sec 3.3): :func:`stage3.build_model` (connector of
  :mod:`connector` into the LLM embedding space, inserted in the user turn; response prompts of
  :mod:`prompts`, Tab. F/G), :func:`stage3.run_stage3` (connector, then full-tuning),
  :func:`stage3.translate` (greedy decoding).

Notebooks call :func:`pipeline.pretrain` (07) and :func:`pipeline.tune` (08); configurations are
the dataclasses of :mod:`config` (ablations = overrides, :data:`config.ABLATIONS`); every stage is
an atomic, resumable folder (:func:`stage_dirs.run_stage`) trained by one ``accelerate`` loop
(:func:`train.fit`); ``python -m slt_nb.llava_slt`` runs the stages under ``accelerate launch``.
:mod:`report` scores and tabulates; :mod:`paper_numbers` holds the paper's numbers.

At scale (one 80 GB GPU): :mod:`data` streams clips from disk per batch when a split is large,
:mod:`frames` is App. C's input processing (crop, resize, augmentation), :mod:`device` places every
forward pass, :mod:`memory` / :mod:`estimates` print each stage's peak-memory estimate and refuse what
cannot fit (``python -m slt_nb.llava_slt.memory``: the paper's configuration), and
:func:`train.fit` reaches the paper's batches with micro-batches and gradient accumulation.
"""
