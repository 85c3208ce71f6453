"""Peak device memory of each LLaVA-SLT stage, estimated from sizes before it runs; refused when it cannot fit.

estimate = weights + gradients + AdamW states + activations (bytes; GB = 1e9 bytes):

* weights: frozen parameters in their load dtype (an LLM's ``dtype``: bf16 = 2 bytes; the ViT, the
  temporal transformers and the text encoder load in fp32 = 4), trainable ones in the trainable
  dtype of the precision (fp32 under ``fp32`` and ``bf16-mixed``, bf16 under ``bf16-pure``);
* gradients: one per trainable parameter, same dtype; AdamW: two states per trainable parameter (torch
  keeps them in the parameter's dtype);
* activations (2 bytes under bf16 autocast, else 4), what autograd keeps for the backward pass:
  - LLM, per token and layer, 7 h + 2 h_kv + 4 I values (pre-norm SwiGLU decoder with a memory-efficient
    attention kernel: norm inputs, q/k/v, attention output, gate/up/act/product); with gradient checkpointing
    h per layer plus one layer's full set; logits of every token (vocab V) in compute dtype + their fp32 copy
    and gradient (V x (a + 8) bytes per token). Without gradients (a frozen LLM with nothing trained before it)
    one layer's set;
  - ViT (DINOv2), per frame and layer, (P + 1) x (8 d + 2 I) values for P patches; a trained backbone keeps them
    for every frame of the micro-batch, or for ``backbone_chunk`` frames when chunked (each chunk is recomputed
    in the backward); a frozen one only one layer's working set, (P + 1) x (2 d + 2 I) values per frame of a
    forward; plus the micro-batch's uint8 frames on the device and one forward's input in fp32;
  - word/sentence transformers, per token and block, (8 + 2 r) x dim values (r = mlp_ratio) when they train.

It is an estimate (the allocator's fragmentation, CUDA workspaces and the attention kernel's buffers are not
counted: leave ~10% free); :func:`check` prints it in one line and refuses with :class:`SLTInputError` naming
what to set when it exceeds the budget. :data:`KNOWN` holds the sizes of the paper's checkpoints, so
:func:`paper_estimates` (``python -m slt_nb.llava_slt.memory``) prints the paper's configuration without them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import SLTInputError

GB = 1e9


@dataclass(frozen=True)
class ViTDims:
    hidden: int
    layers: int
    intermediate: int
    patch: int
    params: int

    def tokens(self, side: int) -> int:
        return (side // self.patch) ** 2 + 1

    def lora(self, r: int, targets: int = 2) -> int:
        """LoRA parameters on ``targets`` square projections per layer (query, value)."""
        return self.layers * targets * r * 2 * self.hidden


@dataclass(frozen=True)
class LMDims:
    hidden: int
    layers: int
    intermediate: int
    vocab: int
    kv_hidden: int
    params: int

    def layer_values(self) -> int:
        """Activation values one decoder layer keeps per token."""
        return 7 * self.hidden + 2 * self.kv_hidden + 4 * self.intermediate

    def lora(self, r: int) -> int:
        """LoRA parameters on q_proj (h -> h) and v_proj (h -> h_kv) per layer (the default targets of llm.load_llm)."""
        return self.layers * r * (2 * self.hidden + self.hidden + self.kv_hidden)


# Sizes of the paper's checkpoints (from their config.json; parameter counts checked against the hub's).
KNOWN = {
    "facebook/dinov2-base": ViTDims(768, 12, 3072, 14, 86_580_480),
    "facebook/dinov2-small": ViTDims(384, 12, 1536, 14, 22_056_576),
    "meta-llama/Llama-3.1-8B-Instruct": LMDims(4096, 32, 14336, 128_256, 1024, 8_030_261_248),
    "Qwen/Qwen2.5-7B-Instruct": LMDims(3584, 28, 18944, 152_064, 512, 7_615_616_512),
    "facebook/mbart-large-cc25": 408_237_056,  # the encoder kept by text_encoder.HFTextEncoder (embeddings + 12 layers of 1024)
}


def temporal_params(c: int, dim: int, mlp_ratio: int, depth: int, coembed: int) -> int:
    """Parameters of the encoder outside the backbone: frame projection (+LayerNorm), ``depth`` blocks, query, norm, head."""
    block = (4 + 2 * mlp_ratio) * dim * dim + (9 + mlp_ratio) * dim
    return c * dim + 3 * dim + depth * block + dim + 2 * dim + dim * coembed + coembed


def connector_params(kind: str, d_in: int, d_out: int) -> int:
    return d_in * d_out + d_out + (d_out * d_out + d_out if kind == "mlp" else 0)


@dataclass(frozen=True)
class Part:
    """Parameters of one component: ``params`` in all, ``trainable`` of them; frozen ones take ``load_bytes`` each."""

    name: str
    params: int
    trainable: int = 0
    load_bytes: int = 4


@dataclass(frozen=True)
class Estimate:
    stage: str
    weights: float  # bytes
    grads: float
    optimizer: float
    activations: float
    detail: str = ""  # the sizes it assumed

    @property
    def total(self) -> float:
        return self.weights + self.grads + self.optimizer + self.activations

    def line(self, budget: float | None = None, where: str = "") -> str:
        g = lambda x: f"{x / GB:.1f}" if self.total >= 0.1 * GB else f"{x / GB:.2g}"  # noqa: E731 - tiny stages: 2 significant figures
        out = (f"memory estimate, {self.stage}: weights {g(self.weights)} + gradients {g(self.grads)} + AdamW {g(self.optimizer)}"
               f" + activations {g(self.activations)} = {g(self.total)} GB")
        if budget:
            out += f" of {g(budget)} GB{' on ' + where if where else ''} ({100 * self.total / budget:.0f}%)"
        elif where:
            out += f" (on {where}: not checked)"
        return out + (f" [{self.detail}]" if self.detail else "")


def param_memory(parts: list[Part], train_bytes: int) -> tuple[float, float, float]:
    """(weights, gradients, AdamW states) in bytes."""
    trainable = sum(p.trainable for p in parts)
    weights = sum((p.params - p.trainable) * p.load_bytes for p in parts) + trainable * train_bytes
    return float(weights), float(trainable * train_bytes), float(2 * trainable * train_bytes)


def lm_activations(lm: LMDims, tokens: int, *, grad: bool, checkpointing: bool, act_bytes: int) -> float:
    if not grad:
        return float(tokens * (lm.layer_values() + lm.vocab) * act_bytes)
    layers = lm.layers * lm.hidden + lm.layer_values() if checkpointing else lm.layers * lm.layer_values()
    return float(tokens * layers * act_bytes + tokens * lm.vocab * (act_bytes + 8))


def vit_activations(vit: ViTDims, side: int, frames: int, *, trains: bool, chunk: int | None, act_bytes: int) -> float:
    """Backbone activations plus the uint8 frames on the device and the float copy of one forward's input."""
    live = min(chunk or frames, frames)
    if trains:
        act = live * vit.tokens(side) * (8 * vit.hidden + 2 * vit.intermediate) * vit.layers * act_bytes
    else:
        act = live * vit.tokens(side) * (2 * vit.hidden + 2 * vit.intermediate) * act_bytes
    return float(act + frames * 3 * side**2 + live * 3 * side**2 * 4 + frames * vit.hidden * 4)


def temporal_activations(dim: int, mlp_ratio: int, local_depth: int, sentence_depth: int, clips: int, t_max: int, downsample: int, *,
                         trains: bool, act_bytes: int) -> float:
    words = -(-t_max // downsample) + 1
    tokens = (max(local_depth, 1) * t_max + sentence_depth * words) if trains else t_max
    return float(clips * tokens * (8 + 2 * mlp_ratio) * dim * act_bytes)


def precision_bytes(precision: str) -> tuple[int, int]:
    """(trainable-weight bytes, activation bytes) of a resolved precision name."""
    return (2 if precision == "bf16-pure" else 4), (4 if precision == "fp32" else 2)


def estimate(stage: str, parts: list[Part], activations: float, precision: str, detail: str = "") -> Estimate:
    train_bytes, _ = precision_bytes(precision)
    return Estimate(stage, *param_memory(parts, train_bytes), activations, detail)


def check(est: Estimate, budget: float | None, *, hint: str, where: str = "", log=print, suggest=None) -> Estimate:
    """Print ``est`` in one line; raise when it exceeds ``budget`` bytes (None: print only). ``suggest()``: settings
    that would fit (e.g. :func:`fitting_micro`), named first in the error's hint."""
    if log is not None:
        log(est.line(budget, where))
    if budget is not None and est.total > budget:
        fits = suggest() if suggest is not None else None
        raise SLTInputError(f"{est.stage} needs about {est.total / GB:.1f} GB, more than the {budget / GB:.1f} GB of {where or 'the device'}",
                            hint=(f"{fits} would fit; or " if fits else "") + hint)
    return est


def fitting_micro(make, batch_size: int, budget: float, key: str) -> str | None:
    """The largest micro-batch (a divisor of ``batch_size``, halving) whose estimate ``make(micro, checkpointing)`` fits
    ``budget``, first without then with gradient checkpointing, as the settings to write under ``key``; None if even 1 does not."""
    for ckpt in (False, True):
        m = batch_size
        while m >= 1:
            if batch_size % m == 0 and make(m, ckpt).total <= budget:
                return f"{key}: {{micro_batch_size: {m}" + (", gradient_checkpointing: true}" if ckpt else "}")
            m //= 2
    return None


def fitting_chunk(make, budget: float, key: str, chunks=(512, 256, 128, 64, 32, 16, 8)) -> str | None:
    """The largest ``backbone_chunk`` whose estimate ``make(chunk)`` fits ``budget`` (whole batches: stage 2's CLIP loss keeps all its negatives)."""
    for c in chunks:
        if make(c).total <= budget:
            return f"{key}: {{backbone_chunk: {c}}}"
    return None


# ---- the paper's configuration (params/paper.yaml), without its checkpoints ---------------------------------------


@dataclass(frozen=True)
class PaperRun:
    """The sizes of params/paper.yaml that memory depends on (Sec 3.2-3.3, 4.2); per-stage runtime settings."""

    t_max: int = 64
    side: int = 336
    backbone: str = "facebook/dinov2-base"
    backbone_lora: int = 8
    dim: int = 768
    mlp_ratio: int = 2
    local_depth: int = 4
    sentence_depth: int = 8
    coembed: int = 768
    text: str = "facebook/mbart-large-cc25"
    s2_batch: int = 128
    s3_batch: int = 64
    seq_len: int = 128  # LLM tokens per clip in stage 3: chat template + prompt (~60) + 16 visual tokens + answer (<= ~50)
    s1_seq_len: int = 256  # stage-1 documents are cut at 256 tokens
    precision: str = "bf16-mixed"  # auto on a CUDA GPU
    micro: dict | None = None  # {"stage1" | "stage2" | "stage3" | "full_tune": micro_batch_size}
    checkpointing: dict | None = None  # {stage: True}
    backbone_chunk: int | None = None


def _micro(run: PaperRun, stage: str, batch: int) -> int:
    return min(batch, (run.micro or {}).get(stage) or batch)


def paper_estimates(run: PaperRun = PaperRun(), llms: dict | None = None) -> list[tuple[str, Estimate]]:
    """(dataset, estimate) of every stage of params/paper.yaml: PHOENIX-2014T with Llama-3.1-8B fully tuned, CSL-Daily with
    Qwen2.5-7B + LoRA r=8 (stage 1 on CSL-Daily only)."""
    llms = llms or {"phoenix": ("meta-llama/Llama-3.1-8B-Instruct", None), "csl-daily": ("Qwen/Qwen2.5-7B-Instruct", 8)}
    vit: ViTDims = KNOWN[run.backbone]
    _, act = precision_bytes(run.precision)
    tmp = temporal_params(vit.hidden, run.dim, run.mlp_ratio, run.local_depth + run.sentence_depth, run.coembed)
    ck = run.checkpointing or {}
    out = []
    micro2 = _micro(run, "stage2", run.s2_batch)
    frames2 = micro2 * run.t_max
    s2 = estimate("stage 2 (visual contrastive)",
                  [Part("dinov2", vit.params), Part("lora", vit.lora(run.backbone_lora), vit.lora(run.backbone_lora)), Part("temporal", tmp, tmp),
                   Part("text encoder", KNOWN[run.text]), Part("clip head", 1024 * run.coembed + run.coembed + 1, 1024 * run.coembed + run.coembed + 1)],
                  vit_activations(vit, run.side, frames2, trains=True, chunk=run.backbone_chunk, act_bytes=act)
                  + temporal_activations(run.dim, run.mlp_ratio, run.local_depth, run.sentence_depth, micro2, run.t_max, 4, trains=True, act_bytes=act),
                  run.precision, f"{micro2} clips x {run.t_max} frames of {run.side}^2 per forward, backbone chunk {run.backbone_chunk}")
    for ds, (llm_id, r) in llms.items():
        lm: LMDims = KNOWN[llm_id]
        lora = lm.lora(r) if r else 0
        llm_parts = [Part("llm", lm.params, 0 if r else lm.params, 2), *([Part("llm lora", lora, lora)] if r else [])]
        if ds == "csl-daily":  # Sec 3.1: continued pretraining (skipped on PHOENIX, Sec 4.2)
            m1 = _micro(run, "stage1", 32)
            llm1 = [Part("llm", lm.params, 0, 2), Part("llm lora", lora, lora)] if r else [Part("llm", lm.params, lm.params, 2)]
            out.append((ds, estimate("stage 1 (continued pretraining)", llm1,
                                     lm_activations(lm, m1 * run.s1_seq_len, grad=True, checkpointing=ck.get("stage1", False), act_bytes=act),
                                     run.precision, f"{m1} x {run.s1_seq_len} tokens")))
        out.append((ds, s2))
        conn = connector_params("mlp", run.dim, lm.hidden)
        for phase, key, trains in (("stage 3a (connector)", "stage3", False), ("stage 3b (full-tuning)", "full_tune", True)):
            m = _micro(run, key, run.s3_batch)
            parts = [Part("dinov2", vit.params), Part("lora", vit.lora(run.backbone_lora), vit.lora(run.backbone_lora) if trains else 0),
                     Part("temporal", tmp, tmp if trains else 0), Part("connector", conn, conn),
                     *(llm_parts if trains else [Part("llm", lm.params, 0, 2), *([Part("llm lora", lora, 0)] if r else [])])]
            acts = (lm_activations(lm, m * run.seq_len, grad=True, checkpointing=ck.get(key, False), act_bytes=act)
                    + vit_activations(vit, run.side, m * run.t_max, trains=trains, chunk=run.backbone_chunk, act_bytes=act)
                    + temporal_activations(run.dim, run.mlp_ratio, run.local_depth, run.sentence_depth, m, run.t_max, 4, trains=trains, act_bytes=act))
            out.append((ds, estimate(phase, parts, acts, run.precision, f"{m} clips x {run.seq_len} LLM tokens per forward")))
    return out


RECOMMENDED = PaperRun(micro={"stage1": 16, "stage3": 32, "full_tune": 8}, checkpointing={"full_tune": True}, backbone_chunk=64)


def print_paper_estimates(budget_gb: float = 80.0, log=print) -> None:
    """The estimates of params/paper.yaml as it is, then with :data:`RECOMMENDED`, with LoRA on PHOENIX's Llama too, and in bf16-pure."""
    lora = {"phoenix": ("meta-llama/Llama-3.1-8B-Instruct", 8), "csl-daily": ("Qwen/Qwen2.5-7B-Instruct", 8)}
    for title, run, llms in (("params/paper.yaml as is (bf16-mixed, whole batches)", PaperRun(), None),
                             ("with micro-batches (stage 1: 16, 3a: 32, 3b: 8), backbone chunks of 64 frames, checkpointing in 3b", RECOMMENDED, None),
                             ("the same with LoRA r=8 on PHOENIX's Llama-3.1-8B too (llava_per_dataset.phoenix.llm.lora)", RECOMMENDED, lora),
                             ("the same in bf16-pure, Llama fully tuned (weights, gradients and AdamW states in bf16)", replace(RECOMMENDED, precision="bf16-pure"),
                              None)):
        log(f"== {title}; budget {budget_gb:.0f} GB")
        for ds, est in paper_estimates(run, llms):
            log(f"  {ds:9s} {est.line(budget_gb * GB)}{'  <- does not fit' if est.total > budget_gb * GB else ''}")


if __name__ == "__main__":
    print_paper_estimates()
