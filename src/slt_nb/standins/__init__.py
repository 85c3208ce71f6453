"""Stand-ins: what exists only because nothing can be downloaded on the machines this project is built on.

The real path (``params/paper.yaml`` on a GPU node) never imports this package: it loads checkpoints by
hub id through ``from_pretrained`` and reads the released dataset trees (``tests/test_standins_boundary.py``
checks that importing the real code loads nothing from here, and that the only imports of it sit in the
functions that hand a tiny model over). What is here:

* the embedded default's **tiny models** of the real architectures with their offline tokenizer and
  processor (:mod:`.tiny`; the real side knows only their names, :data:`slt_nb.models.registry.TINY_MODELS`),
  and their cached **base-model stage** (:mod:`.pretrain`, :mod:`.base_spec`, :mod:`.vision_stage`,
  :mod:`.isolated_signs`), which a real checkpoint does not need;
* the **rehearsal** of the real path (``tests/test_rehearsal.py``): small models of the **same classes** in
  an offline Hugging Face hub cache under the real hub ids (:mod:`.hub_cache`, :mod:`.vlm`, :mod:`.llava`,
  :mod:`.metric_models`), so the unchanged real code loads them, and small trees in the released dataset
  formats (:mod:`.trees`, :mod:`.rehearsal`).

Still among the real code (to move): LLaVA-SLT's tiny LLM / encoder builders (:mod:`slt_nb.llava_slt.llm`,
:mod:`slt_nb.llava_slt.encoder`) and the metrics' offline fallbacks.
"""
