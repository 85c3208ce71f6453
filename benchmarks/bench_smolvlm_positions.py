"""SmolVLM vision patch positions: transformers' loop per frame vs slt_nb.models.smolvlm_positions, side by side.

A SmolVLM video is one image per frame, and transformers' ``SmolVLMVisionEmbeddings.forward``
(4.57.6) computes each image's patch positions in a Python loop. This times the embeddings module's
forward + backward both ways on the same batches -- the tiny stand-in's frames (32 px, 8 px patches)
and the real SmolVLM2 grid (384 px, 14 px patches; a tiny hidden size, so the loop's share shows) --
checks that both give the same embeddings, and prints the CPU ms per call and the ratio.

    python benchmarks/bench_smolvlm_positions.py [--frames 64] [--repeats 20]
"""

from __future__ import annotations

import time

from slt_nb.bench import cli


def _time(fn, module, pixels, mask, repeats: int) -> float:
    """CPU ms per forward + backward of ``fn`` (the embeddings' forward) on one batch, after one warm-up call."""
    fn(module, pixels, mask).sum().backward()
    t0 = time.process_time()
    for _ in range(repeats):
        fn(module, pixels, mask).sum().backward()
    return (time.process_time() - t0) / repeats * 1000


def main(argv=None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=64, help="frames (images) per batch: one clip at the paper's T_max")
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args(argv)
    cli.start(args)

    import torch
    from transformers.models.smolvlm import modeling_smolvlm
    from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig

    from slt_nb.bench.environment import machine_header
    from slt_nb.bench.tables import BenchTable, emit
    from slt_nb.models import smolvlm_positions as sp

    cls = modeling_smolvlm.SmolVLMVisionEmbeddings
    library = getattr(cls.forward, sp._ORIGINAL, cls.forward)
    table = BenchTable("smolvlm_positions", f"SmolVLM vision embeddings, {args.frames} frames: forward + backward, CPU ms per call",
                       ["grid", "valid patches", "library ms", "vectorised ms", "vectorised / library", "same embeddings"])
    # (label, image px, patch px, valid patch rows x cols of every frame): the tiny frames are full; PHOENIX's 210x260 at 384 px is 23 x 27
    for label, side, patch, (rows, cols) in (("tiny stand-in 32 px / 8 px", 32, 8, (4, 4)), ("SmolVLM2 384 px / 14 px", 384, 14, (23, 27))):
        torch.manual_seed(args.seed)
        module = cls(SmolVLMVisionConfig(hidden_size=16, image_size=side, patch_size=patch, num_channels=3))
        pixels = torch.randn(args.frames, 3, side, side)
        grid = side // patch
        mask = torch.zeros(args.frames, grid, grid, dtype=torch.bool)
        mask[:, :rows, :cols] = True
        with torch.no_grad():
            same = torch.equal(library(module, pixels, mask), sp.embeddings_forward(module, pixels, mask))
        lib_ms = _time(library, module, pixels, mask, args.repeats)
        fast_ms = _time(sp.embeddings_forward, module, pixels, mask, args.repeats)
        table.add(**{"grid": label, "valid patches": f"{rows} x {cols} of {grid} x {grid}", "library ms": lib_ms, "vectorised ms": fast_ms,
                     "vectorised / library": fast_ms / lib_ms, "same embeddings": same})
    table.notes = [f"{args.repeats} calls each after one warm-up, one process, {args.threads} thread(s); hidden size 16, so the "
                   "position computation's share is larger than in a real tower (whose patch embedding and attention dominate)",
                   "slt-nb installs the vectorised forward only after a probe shows it equals the library's (ModelFamily.fast_classes)"]
    table.header = machine_header("cpu")
    emit(table, cli.out_dir(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
