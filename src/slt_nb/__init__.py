"""slt-nb: the reproducible companion to two sign-language-translation papers.

The notebooks under ``notebooks/`` tell the story; this package holds the logic
they call (data loaders, the frame sampler, the synthetic corpus, statistics,
reporting), each part tested under ``tests/``.
"""

__version__ = "0.1.0"
