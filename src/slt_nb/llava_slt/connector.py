"""The vision-language connector (Sec 3.3): visual tokens -> the LLM's token-embedding space.

``mlp``: two linear layers with a GELU between (LLaVA-1.5's projector, which the paper adopts);
``linear``: one linear map (Tab. 8 row 2). Output width = the LLM's hidden size.
"""

from __future__ import annotations

from torch import nn

from ..errors import SLTInputError

CONNECTORS = {
    "mlp": lambda d_in, d_out: nn.Sequential(nn.Linear(d_in, d_out), nn.GELU(), nn.Linear(d_out, d_out)),
    "linear": lambda d_in, d_out: nn.Linear(d_in, d_out),
}


def build_connector(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    if kind not in CONNECTORS:
        raise SLTInputError(f"unknown connector {kind!r}", hint=f"choose from {sorted(CONNECTORS)}")
    return CONNECTORS[kind](in_dim, out_dim)
