"""Stand-ins: what exists only because nothing can be downloaded on the machines this project is built on.

The real path (``params/paper.yaml`` on a GPU node) never imports this package: it loads checkpoints by
hub id through ``from_pretrained`` and reads the released dataset trees. The rehearsal of that path
(``tests/test_rehearsal.py``) puts small models of the **same classes** into an offline Hugging Face hub
cache under the real hub ids (:mod:`.hub_cache`), so the unchanged real code loads them.
"""
