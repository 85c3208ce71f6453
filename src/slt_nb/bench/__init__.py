"""Benchmark helpers behind ``benchmarks/*.py`` (``make bench``): figures, never timed tests.

Each module measures one thing with the project's own code path and returns a
:class:`~slt_nb.bench.tables.BenchTable`, which prints itself and is written (CSV + Markdown,
atomically) to ``results/benchmarks/`` under a header naming the machine, the threads and the
exact command:

* :mod:`.data_path` — sampled-frame decoding (PIL for frame folders, decord for mp4) against
  decoding every frame; collate throughput against the model's step time;
* :mod:`.train_step` — samples/s, tokens/s, peak memory and MFU of the paper's training
  configuration against an optimised one, with the first losses of both on the same data;
* :mod:`.generation` — batched greedy decoding (left padding, KV cache) against one clip at a time;
* :mod:`.llava` — LLaVA-SLT's three stages: clips/s and peak memory against their memory estimate, clips
  held in memory vs streamed from disk, with and without App. C's augmentation;
* :mod:`.notebook_times` — each notebook's wall time from ``results/runtimes.json``;
* :mod:`.budget` — projected GPU-hours of every paper table from FLOPs per sample;
* :mod:`.gpu_check` — ``make gpu-check``: the GPU readiness run (real architectures, random weights,
  one time budget; the tiny models on CPU): :mod:`.gpu_train` (the paper's recipe vs optimised
  candidates), :mod:`.gpu_data` (synthetic clips, models, timed generation).

The FLOPs model is in :mod:`.flops`, the real checkpoints' configurations in
:mod:`.real_configs`, the machine header, peak FLOP/s and memory meter in :mod:`.environment`,
the benchmarks' own synthetic corpus in :mod:`.corpus`, length-grouped batching in
:mod:`.grouping`, the training-step driver in :mod:`.train_bench`, shared CLI options in :mod:`.cli`.
"""

DEFAULT_OUT = "results/benchmarks"
